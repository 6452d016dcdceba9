//! Test support: generated fixture clients, a WeChat Pay mock server on loopback, test keys.

#![forbid(unsafe_code)]

pub mod fixtures;
/// The test keys (`sandbox/keys/`): the sandbox's, one set for every test.
pub use wechatpay_sandbox::keys;
/// The loopback WeChat Pay mock server; it lives in the `wechatpay-sandbox` crate (the local
/// sandbox is built on it).
pub use wechatpay_sandbox::mock;

use wechatpay::{Client, ClientBuilder};

/// The merchant half of every test client: the test merchant and its key ([`keys`]), no WeChat
/// Pay key, no base URL.
pub fn merchant() -> ClientBuilder {
    Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
}

/// A public-key-mode builder with the test keys: [`merchant`] and the WeChat Pay public key.
pub fn builder() -> ClientBuilder {
    merchant().wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
}

/// A public-key-mode client of the mock server `server` ([`builder`] at its base URL).
pub fn client(server: &mock::MockServer) -> Client {
    builder()
        .base_url(server.base_url())
        .build()
        .expect("the test client builds")
}

/// The base URL of a loopback port with nothing listening (a connection there is refused).
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
