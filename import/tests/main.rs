//! The importer's integration tests as one test binary. Each module was its own test file; run
//! one with `cargo test -p wechatpay-import --test importer <module>::`.

mod import;
mod import_validate;
