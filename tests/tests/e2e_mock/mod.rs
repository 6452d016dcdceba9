//! Tests of the mock WeChat Pay server itself, independent of the client: requests are signed by
//! hand (aws-lc-rs, or the openssl CLI) and sent as raw HTTP/1.1 over a `TcpStream`; response
//! signatures are cross-checked with `openssl dgst -sha256 -verify`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wechatpay_tests::keys;
use wechatpay_tests::mock::{auth, MockConfig, MockServer, Reply, ResponseKey, Tamper, UNKNOWN_SERIAL};

mod answers;
mod authentication;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn nonce() -> String {
    wechatpay_tests::mock::random_nonce()
}

/// Signs `METHOD\nTARGET\nTS\nNONCE\nBODY\n` with the merchant key, by hand.
fn sign_by_hand(method: &str, target: &str, ts: i64, nonce: &str, body: &[u8]) -> String {
    let der = keys::pem_to_der(keys::MERCHANT_KEY_PEM, "PRIVATE KEY").unwrap();
    let key = RsaKeyPair::from_pkcs8(&der).unwrap();
    let mut msg = format!("{method}\n{target}\n{ts}\n{nonce}\n").into_bytes();
    msg.extend_from_slice(body);
    msg.push(b'\n');
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &msg, &mut sig)
        .unwrap();
    B64.encode(sig)
}

fn authorization(mchid: &str, serial: &str, ts: i64, nonce: &str, signature: &str) -> String {
    format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",serial_no=\"{serial}\",timestamp=\"{ts}\",nonce_str=\"{nonce}\",signature=\"{signature}\""
    )
}

/// A correctly signed request's headers (Authorization, User-Agent, Accept, Content-Type).
fn good_headers(method: &str, target: &str, body: &[u8]) -> Vec<(String, String)> {
    let ts = now();
    let n = nonce();
    let sig = sign_by_hand(method, target, ts, &n, body);
    let mut h = vec![
        (
            "Authorization".to_string(),
            authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
        ),
        ("User-Agent".to_string(), "mock-test/1.0".to_string()),
        ("Accept".to_string(), "application/json".to_string()),
    ];
    if !body.is_empty() {
        h.push(("Content-Type".to_string(), "application/json".to_string()));
    }
    h
}

fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

fn remove_header(headers: &mut Vec<(String, String)>, name: &str) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
}

#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close`) and reads the whole answer.
async fn send_raw(
    server: &MockServer,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", server.addr());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("response within 20 s")
        .unwrap();
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> RawResponse {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"));
    let status: u16 = parts.next().unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some((_, len)) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        let len: usize = len.parse().unwrap();
        assert!(body.len() >= len, "body shorter than Content-Length");
        body.truncate(len);
    }
    RawResponse { status, headers, body }
}

/// `openssl dgst -sha256 -verify PUB -signature SIG MSG` — the independent cross-check.
fn openssl_verify(public_key_pem: &Path, message: &[u8], signature_b64: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("message.bin");
    let sig = dir.path().join("signature.bin");
    std::fs::write(&msg, message).unwrap();
    let Ok(sig_bytes) = B64.decode(signature_b64) else {
        return false;
    };
    std::fs::write(&sig, sig_bytes).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_key_pem)
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .output()
        .expect("run openssl");
    let verified = String::from_utf8_lossy(&out.stdout).contains("Verified OK");
    assert_eq!(
        out.status.success(),
        verified,
        "openssl exit status and output disagree: {out:?}"
    );
    verified
}

/// `openssl dgst -sha256 -sign merchant_key.pem` — an independent signer.
fn openssl_sign(private_key_pem: &Path, message: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("message.bin");
    std::fs::write(&msg, message).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(private_key_pem)
        .arg(&msg)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl sign failed: {out:?}");
    B64.encode(out.stdout)
}

/// The public key of `platform_cert.pem`, extracted with `openssl x509 -pubkey`.
fn platform_cert_pubkey(dir: &Path) -> std::path::PathBuf {
    let out = Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(keys::platform_cert_path())
        .output()
        .expect("run openssl");
    assert!(out.status.success());
    let path = dir.join("platform_cert_pub.pem");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

fn response_message(resp: &RawResponse) -> Vec<u8> {
    let mut m = format!(
        "{}\n{}\n",
        resp.header("Wechatpay-Timestamp").expect("Wechatpay-Timestamp"),
        resp.header("Wechatpay-Nonce").expect("Wechatpay-Nonce")
    )
    .into_bytes();
    m.extend_from_slice(&resp.body);
    m.push(b'\n');
    m
}

fn response_verifies_with(resp: &RawResponse, public_key_pem: &Path) -> bool {
    openssl_verify(
        public_key_pem,
        &response_message(resp),
        resp.header("Wechatpay-Signature").expect("Wechatpay-Signature"),
    )
}

const AUTHINFO: &str = "/v3/offlineface/authinfo";

fn authinfo_body() -> Vec<u8> {
    br#"{"sp_appid":"wxd678efh567hg6787","sub_mchid":"1900000109","device_id":"11001","raw_data":"raw","organization_id":"12345"}"#.to_vec()
}

async fn authinfo_server() -> MockServer {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "AUTH-INFO-123"})));
    server
}

fn assert_sign_error(resp: &RawResponse, reason_part: &str) {
    assert_eq!(resp.status, 401, "{:?}", String::from_utf8_lossy(&resp.body));
    let body = resp.json();
    assert_eq!(body["code"], "SIGN_ERROR");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(reason_part),
        "message {message:?} should mention {reason_part:?}"
    );
}
