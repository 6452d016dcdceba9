//! The project's test keys (`sandbox/keys/`, **TEST ONLY**) and what the benchmark needs of them.
//! The same identifiers and files as `wechatpay_sandbox::keys` (checked below), embedded here so
//! that the release build of the benchmark does not compile the sandbox.

use base64::Engine as _;

pub const MCHID: &str = "1900000001";
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// An APIv3 key for the notification benchmark (32 bytes).
pub const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";

pub const MERCHANT_KEY_PEM: &str = include_str!("../../sandbox/keys/merchant_key.pem");
pub const WECHATPAY_KEY_PEM: &str = include_str!("../../sandbox/keys/wechatpay_key.pem");
pub const WECHATPAY_PUB_PEM: &str = include_str!("../../sandbox/keys/wechatpay_pub.pem");

/// The DER bytes of the first PEM block of `pem`.
pub fn der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("PEM base64")
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A client of the responder at `base_url` with the test keys (public-key mode).
pub fn client(base_url: &str) -> wechatpay::Client {
    wechatpay::Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(MERCHANT_KEY_PEM)
        .wechatpay_public_key(PUB_KEY_ID, WECHATPAY_PUB_PEM)
        .apiv3_key(APIV3_KEY)
        .base_url(base_url)
        .build()
        .expect("the benchmark client builds")
}

/// The nonce of every answer the benchmark signs.
pub const ANSWER_NONCE: &str = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";

/// `message` signed as WeChat Pay signs (RSA-SHA256 with the test WeChat Pay key): the raw
/// signature bytes.
pub fn wechatpay_sign(message: &[u8]) -> Vec<u8> {
    use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
    let key = RsaKeyPair::from_pkcs8(&der(WECHATPAY_KEY_PEM)).expect("the WeChat Pay test key");
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut signature,
    )
    .expect("sign");
    signature
}

#[cfg(test)]
mod tests {
    /// One set of test keys: these are the sandbox's.
    #[test]
    fn the_benchmark_keys_are_the_sandbox_keys() {
        use wechatpay_sandbox::keys as sandbox;
        assert_eq!(super::MCHID, sandbox::MCHID);
        assert_eq!(super::MERCHANT_SERIAL, sandbox::MERCHANT_SERIAL);
        assert_eq!(super::PUB_KEY_ID, sandbox::WECHATPAY_PUBLIC_KEY_ID);
        assert_eq!(super::MERCHANT_KEY_PEM, sandbox::MERCHANT_KEY_PEM);
        assert_eq!(super::WECHATPAY_KEY_PEM, sandbox::WECHATPAY_KEY_PEM);
        assert_eq!(super::WECHATPAY_PUB_PEM, sandbox::WECHATPAY_PUB_PEM);
    }
}
