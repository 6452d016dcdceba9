//! What the response and notification targets share: a client configured like a real one
//! (public-key mode, the test keys of `tests/keys/`), and the platform's side (signing answers).

#![allow(dead_code)] // each target uses part of it

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;

pub const KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
pub const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";

pub fn client() -> &'static wechatpay::Client {
    static CLIENT: OnceLock<wechatpay::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        wechatpay::Client::builder()
            .mchid("1900000001")
            .merchant_serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
            .private_key_pem(include_str!("../../tests/keys/merchant_key.pem"))
            .wechatpay_public_key(KEY_ID, include_str!("../../tests/keys/wechatpay_pub.pem"))
            .apiv3_key(APIV3_KEY)
            .build()
            .expect("the fuzz client builds")
    })
}

/// The platform's signature over `timestamp\nnonce\nbody\n` (base64), as WeChat Pay signs.
pub fn platform_sign(timestamp: &str, nonce: &str, body: &[u8]) -> String {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let pem = include_str!("../../tests/keys/wechatpay_key.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        RsaKeyPair::from_pkcs8(&der).unwrap()
    });
    let mut message = Vec::with_capacity(body.len() + 64);
    message.extend_from_slice(format!("{timestamp}\n{nonce}\n").as_bytes());
    message.extend_from_slice(body);
    message.push(b'\n');
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &message, &mut sig).unwrap();
    base64::engine::general_purpose::STANDARD.encode(sig)
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The four security headers, plus `extra` (a name that is not a valid header is skipped).
pub fn headers(
    timestamp: &str,
    nonce: &str,
    signature: &str,
    serial: &str,
    extra: &[(String, String)],
) -> wechatpay::runtime::HeaderMap {
    use wechatpay::runtime::HeaderMap;
    let mut map = HeaderMap::new();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            reqwest_name(name),
            reqwest::header::HeaderValue::from_str(value),
        ) {
            map.append(n, v);
        }
    };
    put("Wechatpay-Timestamp", timestamp);
    put("Wechatpay-Nonce", nonce);
    put("Wechatpay-Signature", signature);
    put("Wechatpay-Serial", serial);
    put("Request-ID", "08F1-fuzz");
    for (n, v) in extra {
        put(n, v);
    }
    map
}

fn reqwest_name(name: &str) -> Result<reqwest::header::HeaderName, ()> {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(drop)
}

/// Whether `extra` touches a security header (then a correctly signed answer may be refused).
pub fn touches_security_headers(extra: &[(String, String)]) -> bool {
    extra.iter().any(|(n, _)| n.to_ascii_lowercase().starts_with("wechatpay-"))
}
