//! TEST ONLY: the project's test keys (`sandbox/keys/`, made with the `openssl` CLI, an
//! implementation independent of the crate under test; see `sandbox/keys/README.md`), for the
//! runtime's own tests, which cannot depend on the sandbox crate that publishes the same keys
//! as `wechatpay_sandbox::keys` (`runtime/tests/security/mod.rs` checks that the two agree).
//! Signatures are cross-checked with `openssl dgst`. Nothing here is a real merchant key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The merchant number the tests use.
pub const MCHID: &str = "1900000001";
/// The merchant API certificate serial the tests use (only sent in `Authorization`).
pub const MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
/// Id of the WeChat Pay public key (`wechatpay_pub.pem`), public-key mode.
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// Serial of the platform certificate (`platform_cert.pem`), legacy mode.
pub const PLATFORM_CERT_SERIAL: &str = "3C8F2A6D1B4E5F70819A2B3C4D5E6F7081920A1B";

/// The key files of `sandbox/keys/`, read once.
pub struct TestKeys {
    /// A scratch folder for the files the tests write (messages, signatures, key copies).
    pub dir: PathBuf,
    /// Merchant private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub merchant_pkcs8: String,
    /// The same key, PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`).
    pub merchant_pkcs1: String,
    /// Merchant public key, SPKI PEM, at this path.
    pub merchant_pub_path: PathBuf,
    /// WeChat Pay private key (public-key mode), PKCS#8 PEM, and its path.
    pub wechatpay_key: String,
    pub wechatpay_key_path: PathBuf,
    /// WeChat Pay public key, SPKI PEM (`BEGIN PUBLIC KEY`), id [`PUB_KEY_ID`], and its path.
    pub wechatpay_pub: String,
    pub wechatpay_pub_path: PathBuf,
    /// The platform certificate, serial [`PLATFORM_CERT_SERIAL`], and the path of its private key.
    pub platform_cert: String,
    pub platform_cert_key_path: PathBuf,
    /// A key pair nothing is configured with (for "wrong key" tests), public SPKI PEM.
    pub other_pub: String,
}

/// The path of a file in `sandbox/keys/`.
pub fn key_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sandbox/keys")
        .join(file)
}

pub fn openssl(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is required by the tests");
    out
}

fn openssl_ok(args: &[&str]) {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

pub fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("wechatpay-test-keys-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keys = TestKeys {
            merchant_pkcs8: read(&key_path("merchant_key.pem")),
            merchant_pkcs1: read(&key_path("merchant_key_pkcs1.pem")),
            merchant_pub_path: key_path("merchant_pub.pem"),
            wechatpay_key: read(&key_path("wechatpay_key.pem")),
            wechatpay_key_path: key_path("wechatpay_key.pem"),
            wechatpay_pub: read(&key_path("wechatpay_pub.pem")),
            wechatpay_pub_path: key_path("wechatpay_pub.pem"),
            platform_cert: read(&key_path("platform_cert.pem")),
            platform_cert_key_path: key_path("platform_cert_key.pem"),
            other_pub: read(&key_path("other_pub.pem")),
            dir,
        };
        assert!(keys.merchant_pkcs8.contains("BEGIN PRIVATE KEY"));
        assert!(keys.merchant_pkcs1.contains("BEGIN RSA PRIVATE KEY"));
        keys
    })
}

/// The private key that signs for `serial`, as WeChat Pay would: the platform certificate's
/// key for its serial, the WeChat Pay key for anything else (the public key id).
pub fn signing_key_for(serial: &str) -> &'static Path {
    let k = keys();
    if serial.eq_ignore_ascii_case(PLATFORM_CERT_SERIAL) {
        &k.platform_cert_key_path
    } else {
        &k.wechatpay_key_path
    }
}

/// A fresh file path in the key directory.
pub fn temp_path(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    keys().dir.join(format!("{}-{name}", N.fetch_add(1, Ordering::SeqCst)))
}

/// Signs `message` with `key_path` using `openssl dgst -sha256 -sign`; returns base64.
pub fn openssl_sign(key_path: &Path, message: &[u8]) -> String {
    use base64::Engine as _;
    let msg = temp_path("msg.bin");
    let sig = temp_path("sig.bin");
    std::fs::write(&msg, message).unwrap();
    openssl_ok(&["dgst", "-sha256", "-sign", p(key_path), "-out", p(&sig), p(&msg)]);
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig).unwrap())
}

/// Verifies a base64 signature with `openssl dgst -sha256 -verify`.
pub fn openssl_verify(pub_path: &Path, message: &[u8], signature_b64: &str) -> bool {
    use base64::Engine as _;
    let Ok(sig_bytes) = base64::engine::general_purpose::STANDARD.decode(signature_b64) else {
        return false;
    };
    let msg = temp_path("msg.bin");
    let sig = temp_path("sig.bin");
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, sig_bytes).unwrap();
    let out = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        p(pub_path),
        "-signature",
        p(&sig),
        p(&msg),
    ]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}
