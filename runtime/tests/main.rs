//! The runtime's integration tests as one test binary (the generated client they call through
//! is linked once). Each module was its own test file; run one with
//! `cargo test -p wechatpay-runtime --test runtime <module>::`.

mod layout;
mod roundtrip;
mod security;
