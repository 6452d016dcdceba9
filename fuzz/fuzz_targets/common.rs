//! What the response and notification targets share: a client configured like a real one
//! (public-key mode, the test keys of `sandbox/keys/`), and the platform's side (signing answers).

#![allow(dead_code)] // each target uses part of it

use std::sync::OnceLock;

use wechatpay_sandbox::keys;

pub const KEY_ID: &str = keys::WECHATPAY_PUBLIC_KEY_ID;
pub const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";

pub fn client() -> &'static wechatpay::Client {
    static CLIENT: OnceLock<wechatpay::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        wechatpay::Client::builder()
            .mchid(keys::MCHID)
            .merchant_serial(keys::MERCHANT_SERIAL)
            .private_key_pem(keys::MERCHANT_KEY_PEM)
            .wechatpay_public_key(KEY_ID, keys::WECHATPAY_PUB_PEM)
            .apiv3_key(APIV3_KEY)
            .build()
            .expect("the fuzz client builds")
    })
}

/// The platform's signature over `timestamp\nnonce\nbody\n` (base64), as WeChat Pay signs: the
/// mock server's signing key (`sandbox/keys/wechatpay_key.pem`).
pub fn platform_sign(timestamp: &str, nonce: &str, body: &[u8]) -> String {
    static KEY: OnceLock<wechatpay_sandbox::mock::ResponseKey> = OnceLock::new();
    let key = KEY.get_or_init(wechatpay_sandbox::mock::ResponseKey::wechatpay_public_key);
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    key.sign_base64(&message)
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
