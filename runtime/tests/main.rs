//! The runtime's integration tests as one test binary (the generated client they call through
//! is linked once). Each module was its own test file; run one with
//! `cargo test -p wechatpay-runtime --test runtime <module>::`.

/// The test keys and the `openssl` helpers the modules share.
#[path = "common/keys.rs"]
mod keys;
mod layout;
mod roundtrip;
mod security;
