//! Test support: generated fixture clients, a WeChat Pay mock server on loopback, test keys.

#![forbid(unsafe_code)]

pub mod fixtures;
/// The test keys (`tests/keys/`): the sandbox's, one set for every test.
pub use wechatpay_sandbox::keys;
/// The loopback WeChat Pay mock server; it lives in the `wechatpay-sandbox` crate (the local
/// sandbox is built on it).
pub use wechatpay_sandbox::mock;
