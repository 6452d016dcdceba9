//! TEST ONLY: RSA keys generated at test time with the `openssl` CLI (an implementation
//! independent of the crate under test). Nothing here is a real merchant key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Serial of the generated platform certificate.
pub const CERT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
/// Id of the generated WeChat Pay public key.
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
pub const MCHID: &str = "1900000001";
pub const MERCHANT_SERIAL: &str = "3775B6A45ACD588826D15E583A95F5DD22C7F2C0";

pub struct TestKeys {
    pub dir: PathBuf,
    /// Merchant private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub merchant_pkcs8: String,
    /// The same key, PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`).
    pub merchant_pkcs1: String,
    /// Merchant public key, SPKI PEM, at this path.
    pub merchant_pub_path: PathBuf,
    /// WeChat Pay (platform) private key, PKCS#8 PEM, at this path.
    pub platform_key_path: PathBuf,
    pub platform_key: String,
    /// WeChat Pay public key, SPKI PEM (`BEGIN PUBLIC KEY`).
    pub platform_pub: String,
    pub platform_pub_path: PathBuf,
    /// Self-signed certificate of the platform key, serial [`CERT_SERIAL`].
    pub platform_cert: String,
    /// A second, unrelated key pair (for "wrong key" tests), public SPKI PEM.
    pub other_pub: String,
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
        let f = |name: &str| dir.join(name);
        for name in ["merchant", "platform", "other"] {
            openssl_ok(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                p(&f(&format!("{name}.pem"))),
            ]);
            openssl_ok(&[
                "pkey",
                "-in",
                p(&f(&format!("{name}.pem"))),
                "-pubout",
                "-out",
                p(&f(&format!("{name}_pub.pem"))),
            ]);
        }
        openssl_ok(&[
            "rsa",
            "-in",
            p(&f("merchant.pem")),
            "-traditional",
            "-out",
            p(&f("merchant_pkcs1.pem")),
        ]);
        openssl_ok(&[
            "req",
            "-x509",
            "-new",
            "-key",
            p(&f("platform.pem")),
            "-subj",
            "/CN=wechatpay test platform",
            "-days",
            "2",
            "-set_serial",
            &format!("0x{CERT_SERIAL}"),
            "-out",
            p(&f("platform_cert.pem")),
        ]);
        let keys = TestKeys {
            merchant_pkcs8: read(&f("merchant.pem")),
            merchant_pkcs1: read(&f("merchant_pkcs1.pem")),
            merchant_pub_path: f("merchant_pub.pem"),
            platform_key: read(&f("platform.pem")),
            platform_key_path: f("platform.pem"),
            platform_pub: read(&f("platform_pub.pem")),
            platform_pub_path: f("platform_pub.pem"),
            platform_cert: read(&f("platform_cert.pem")),
            other_pub: read(&f("other_pub.pem")),
            dir,
        };
        assert!(keys.merchant_pkcs8.contains("BEGIN PRIVATE KEY"));
        assert!(keys.merchant_pkcs1.contains("BEGIN RSA PRIVATE KEY"));
        keys
    })
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
