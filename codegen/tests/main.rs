//! The generator's integration tests as one test binary. Each module was its own test file; run
//! one with `cargo test -p wechatpay-codegen --test generator <module>::`.

mod layout;
mod share;
mod validate;
