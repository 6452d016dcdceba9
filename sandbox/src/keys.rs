//! TEST ONLY keys, shipped in `sandbox/keys/` (see `sandbox/keys/README.md`) and embedded in the
//! sandbox at build time.
//!
//! **Never use these keys for real traffic**: they are public.

use std::path::PathBuf;

/// The merchant number the tests use.
pub const MCHID: &str = "1900000001";

/// The merchant API certificate serial the tests use (uppercase hex).
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

/// The id of the WeChat Pay public key (`wechatpay_pub.pem`), public-key mode.
pub const WECHATPAY_PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";

/// The serial of the self-signed platform certificate (`platform_cert.pem`), legacy mode.
pub const PLATFORM_CERT_SERIAL: &str = "3C8F2A6D1B4E5F70819A2B3C4D5E6F7081920A1B";

/// Merchant private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
pub const MERCHANT_KEY_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/merchant_key.pem"));
/// The same merchant private key, PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
pub const MERCHANT_KEY_PKCS1_PEM: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/merchant_key_pkcs1.pem"));
/// Merchant public key, SPKI PEM.
pub const MERCHANT_PUB_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/merchant_pub.pem"));

/// WeChat Pay platform private key (public-key mode), PKCS#8 PEM. Only the mock server uses it.
pub const WECHATPAY_KEY_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/wechatpay_key.pem"));
/// A self-signed merchant API certificate of [`MERCHANT_KEY_PEM`] (`apiclient_cert.pem`), serial
/// [`MERCHANT_SERIAL`]: for APIv2's mutual TLS.
pub const MERCHANT_CERT_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/merchant_cert.pem"));

/// WeChat Pay public key, SPKI PEM, id [`WECHATPAY_PUBLIC_KEY_ID`].
pub const WECHATPAY_PUB_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/wechatpay_pub.pem"));

/// Private key of the legacy platform certificate, PKCS#8 PEM. Only the mock server uses it.
pub const PLATFORM_CERT_KEY_PEM: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/platform_cert_key.pem"));
/// The self-signed legacy platform certificate, PEM, serial [`PLATFORM_CERT_SERIAL`].
pub const PLATFORM_CERT_PEM: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/platform_cert.pem"));

/// The folder holding the key files.
pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keys")
}

/// Path of a file in `sandbox/keys/`, e.g. `key_path("wechatpay_pub.pem")`.
pub fn key_path(file: &str) -> PathBuf {
    keys_dir().join(file)
}

/// Path of `merchant_key.pem` (PKCS#8).
pub fn merchant_key_path() -> PathBuf {
    key_path("merchant_key.pem")
}
/// Path of `merchant_key_pkcs1.pem`.
pub fn merchant_key_pkcs1_path() -> PathBuf {
    key_path("merchant_key_pkcs1.pem")
}
/// Path of `merchant_pub.pem`.
pub fn merchant_pub_path() -> PathBuf {
    key_path("merchant_pub.pem")
}
/// Path of `wechatpay_key.pem`.
pub fn wechatpay_key_path() -> PathBuf {
    key_path("wechatpay_key.pem")
}
/// Path of `wechatpay_pub.pem`.
pub fn wechatpay_pub_path() -> PathBuf {
    key_path("wechatpay_pub.pem")
}
/// Path of `platform_cert_key.pem`.
pub fn platform_cert_key_path() -> PathBuf {
    key_path("platform_cert_key.pem")
}
/// Path of `platform_cert.pem`.
pub fn platform_cert_path() -> PathBuf {
    key_path("platform_cert.pem")
}

/// Decodes the first PEM block with the given label (`"PRIVATE KEY"`, `"PUBLIC KEY"`, …) to DER.
/// A small independent parser, so the mock does not share code with the client.
pub fn pem_to_der(pem: &str, label: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or_else(|| format!("no '{begin}' line"))? + begin.len();
    let stop = pem[start..].find(&end).ok_or_else(|| format!("no '{end}' line"))? + start;
    let b64: String = pem[start..stop].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("bad base64 in PEM: {e}"))
}

/// The APIv3 key the sandbox encrypts notifications and platform certificates with
/// (32 ASCII bytes). **TEST ONLY.**
pub const APIV3_KEY: &str = "TESTONLY0123456789abcdefABCDEF00";

/// The APIv2 key the sandbox signs APIv2 answers and checks APIv2 requests with (32 ASCII
/// bytes). **TEST ONLY.**
pub const APIV2_KEY: &str = "TESTONLYv2key0123456789abcdefABC";
