//! Notifications, sensitive-field encryption, pay-sign helpers and the platform-certificate
//! key selection, without a server. Keys are the real test keys in `sandbox/keys/`;
//! notifications are produced here the way WeChat Pay does (AES-256-GCM with the APIv3 key,
//! RSA-SHA256 with the platform key) and cross-checked with independent implementations:
//! the `openssl` CLI (signatures, RSA-OAEP both ways) and a known answer computed with
//! Python's `cryptography` package (AES-GCM, which the `openssl` CLI cannot do).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1};
use aws_lc_rs::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;
use wechatpay::notifications::Resource;
use wechatpay::runtime::{AppPayParams, HeaderMap, JsapiPayParams, NotificationAnswer, RsaSigner, Signer};
use wechatpay::{Client, ClientBuilder, Error, VerificationError};

use crate::keys;
use keys::{key_path, MCHID, MERCHANT_SERIAL, PLATFORM_CERT_SERIAL, PUB_KEY_ID};

mod notifications;
mod paysign;
mod sensitive;

/// The APIv3 key of the known answers below (not a key file).
const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";

/// One set of test keys: the runtime's tests use the identifiers and files the sandbox
/// publishes as `wechatpay_sandbox::keys`.
#[test]
fn the_runtime_test_keys_are_the_sandbox_keys() {
    use wechatpay_sandbox::keys as sandbox;
    assert_eq!(MCHID, sandbox::MCHID);
    assert_eq!(MERCHANT_SERIAL, sandbox::MERCHANT_SERIAL);
    assert_eq!(PUB_KEY_ID, sandbox::WECHATPAY_PUBLIC_KEY_ID);
    assert_eq!(PLATFORM_CERT_SERIAL, sandbox::PLATFORM_CERT_SERIAL);
    let k = keys::keys();
    assert_eq!(k.merchant_pkcs8, sandbox::MERCHANT_KEY_PEM);
    assert_eq!(k.wechatpay_pub, sandbox::WECHATPAY_PUB_PEM);
    assert_eq!(k.platform_cert, sandbox::PLATFORM_CERT_PEM);
    // The certificate's serial is the one the constant says (read by openssl, not by us).
    let out = keys::openssl(&[
        "x509",
        "-in",
        key_path("platform_cert.pem").to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("serial={PLATFORM_CERT_SERIAL}")
    );
}

fn key_text(file: &str) -> String {
    std::fs::read_to_string(key_path(file)).unwrap_or_else(|e| panic!("sandbox/keys/{file}: {e}"))
}

fn pem_der(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).unwrap()
}

/// A public-key-mode client with the APIv3 key.
fn client() -> Client {
    builder().build().unwrap()
}

fn builder() -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .apiv3_key(APIV3_KEY)
        .base_url("http://127.0.0.1:9")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ------------------------------------------------------------------ helpers playing WeChat Pay

fn rsa_sign(private_pem: &str, message: &[u8]) -> String {
    let key = RsaKeyPair::from_pkcs8(&pem_der(private_pem)).unwrap();
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut sig,
    )
    .unwrap();
    B64.encode(sig)
}

fn gcm_encrypt(key: &str, nonce: &str, aad: &str, plain: &[u8]) -> String {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).unwrap());
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce.as_bytes().try_into().unwrap()),
        Aad::from(aad.as_bytes()),
        &mut data,
    )
    .unwrap();
    B64.encode(data)
}

fn envelope(event_type: &str, original_type: &str, nonce: &str, ciphertext: &str) -> Vec<u8> {
    json!({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": original_type,
            "nonce": nonce
        }
    })
    .to_string()
    .into_bytes()
}

#[derive(Clone)]
struct Signed {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: String,
}

impl Signed {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("Wechatpay-Timestamp", self.timestamp.parse().unwrap());
        h.insert("Wechatpay-Nonce", self.nonce.parse().unwrap());
        h.insert("Wechatpay-Signature", self.signature.parse().unwrap());
        h.insert("Wechatpay-Serial", self.serial.parse().unwrap());
        h
    }
}

/// Signs `body` as WeChat Pay signs a notification.
fn sign_body(private_pem: &str, serial: &str, timestamp: i64, body: &[u8]) -> Signed {
    let nonce = wechatpay::runtime::nonce();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    Signed {
        timestamp: timestamp.to_string(),
        nonce,
        signature: rsa_sign(private_pem, &message),
        serial: serial.into(),
    }
}

/// A notification as WeChat Pay sends it (public-key mode): encrypted with `apiv3_key`,
/// signed with the WeChat Pay private key.
fn notification(event_type: &str, original_type: &str, plain: &[u8], apiv3_key: &str) -> (HeaderMap, Vec<u8>) {
    let nonce = "A1b2C3d4E5f6";
    let body = envelope(
        event_type,
        original_type,
        nonce,
        &gcm_encrypt(apiv3_key, nonce, original_type, plain),
    );
    let signed = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, now(), &body);
    (signed.headers(), body)
}

static TMP: AtomicUsize = AtomicUsize::new(0);

fn tmp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wechatpay-security-{}-{}",
        std::process::id(),
        TMP.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is required by the tests")
}

fn openssl_verify(public_pem_path: &str, message: &[u8], signature_b64: &str) -> bool {
    let msg = tmp_file("msg.bin", message);
    let sig = tmp_file("sig.bin", &B64.decode(signature_b64).unwrap());
    let out = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        public_pem_path,
        "-signature",
        sig.to_str().unwrap(),
        msg.to_str().unwrap(),
    ]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

const OAEP_SHA1: [&str; 6] = [
    "-pkeyopt",
    "rsa_padding_mode:oaep",
    "-pkeyopt",
    "rsa_oaep_md:sha1",
    "-pkeyopt",
    "rsa_mgf1_md:sha1",
];

fn openssl_oaep_decrypt(private_key_file: &str, ciphertext_b64: &str) -> Result<Vec<u8>, String> {
    let input = tmp_file("ct.bin", &B64.decode(ciphertext_b64).unwrap());
    let key = key_path(private_key_file);
    let mut args = vec![
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ];
    args.extend(OAEP_SHA1);
    let out = openssl(&args);
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn openssl_encrypt(public_key_file: &str, plain: &[u8], padding: &[&str]) -> String {
    let input = tmp_file("pt.bin", plain);
    let key = key_path(public_key_file);
    let mut args = vec![
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ];
    args.extend(padding);
    let out = openssl(&args);
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    B64.encode(out.stdout)
}

/// AES-256-GCM known answer computed with Python `cryptography` (`AESGCM(APIV3_KEY)
/// .encrypt(b"n0nce4Notify", TX_PLAIN, b"transaction")`), an implementation independent of the
/// crate's.
const TX_NONCE: &str = "n0nce4Notify";

const TX_PLAIN: &str = r#"{"mchid":"1900000001","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000000201407033233368018","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC","attach":"","success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"},"promotion_detail":[]}"#;

const TX_CIPHERTEXT: &str = "/C4JmVczYscHgB2G3qwurR8SNAX/BrsiFnzd521SF9ETqBnxec6H+87dyNRsnUW30aZG0PxIKmT94UyKowzOWndlIi1WQh8D41YHRqDdTd7Nu35bb+W689rov7W61v7HCT745bSRzEXOT3GRX1Gq1Xf79GH0OUnNUJn86uOJ+maSDOSXbW2VmJKXeCbW3kve88uSoDwxN8ItOuekE6Yeclx1hnvO4IO1/Ag1c34Es2BZD2jV6w/RQg+KFbga/kvauhQEIBeyB6IEu3QX4gaOg2YKQacggUGEJv9BvpY0yVtNJx9GfUPAcXnxVXlOo5YSGhzJmqgv4Z45photKmXkUTvbxzRa6LStW9uu+pSqNuhCwDlkGeGkI2np/beCXOJ1bKU+lYG0XKexUamCVjFbZrpGUs7uDxKUvUqoq5vpPPV+ROV4gHmD+w4zwJSE+LRw0577hpQss1v8jjL6aPpd/sWbbsFKNMGmAl6aK69NTl/BaYGHOCv1PdsEwOvSP9GRUg9ibfuUSUZuYWtpLpq6ejVf2m09wtBi9zAKWs2ONtoNHnnB2rwg5RzjuLV7ZzXQkreGuPU7zcXpu0MJ3NnlpJtISctjrDFopMmcB7gaurLPGQ==";

/// `value` without the field at `path`.
fn without(value: &serde_json::Value, path: &[&str]) -> serde_json::Value {
    let mut v = value.clone();
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut v;
    for p in parents {
        at = at.get_mut(*p).unwrap();
    }
    at.as_object_mut().unwrap().remove(*last);
    v
}

/// `value` with the string at `path` replaced.
fn with(value: &serde_json::Value, path: &[&str], text: &str) -> serde_json::Value {
    let mut v = value.clone();
    let mut at = &mut v;
    for p in path {
        at = at.get_mut(*p).unwrap();
    }
    *at = serde_json::Value::String(text.into());
    v
}
