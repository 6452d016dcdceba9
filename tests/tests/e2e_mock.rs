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

#[tokio::test]
async fn good_request_gets_the_route_answer_signed_by_the_platform_key() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let headers = good_headers("POST", AUTHINFO, &body);
    let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;

    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.body, br#"{"authinfo":"AUTH-INFO-123"}"#);
    assert_eq!(resp.header("Content-Type"), Some("application/json"));
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    let ts: i64 = resp.header("Wechatpay-Timestamp").unwrap().parse().unwrap();
    assert!((now() - ts).abs() <= 5);
    let n = resp.header("Wechatpay-Nonce").unwrap();
    assert_eq!(n.len(), 32);
    assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(!resp.header("Request-ID").unwrap().is_empty());

    // The independent cross-check: openssl verifies the response signature ...
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    // ... and rejects it over a changed body, and with another key (so the check can fail).
    let mut changed = response_message(&resp);
    let i = changed.len() - 3;
    changed[i] ^= 1;
    assert!(!openssl_verify(
        &keys::wechatpay_pub_path(),
        &changed,
        resp.header("Wechatpay-Signature").unwrap()
    ));
    assert!(!response_verifies_with(&resp, &keys::merchant_pub_path()));

    // The request was recorded as sent.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let rec = &reqs[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.target, AUTHINFO);
    assert_eq!(rec.body, body);
    assert_eq!(rec.body_json()["device_id"], "11001");
    assert_eq!(rec.header("user-agent"), Some("mock-test/1.0"));
    assert_eq!(rec.auth, Ok(()));
    let a = rec.authorization().unwrap();
    assert_eq!(a.order(), auth::FIELDS.to_vec());
    assert_eq!(a.get("mchid"), Some(keys::MCHID));
    assert_eq!(server.hits("POST", AUTHINFO), 1);
}

#[tokio::test]
async fn request_signed_by_the_openssl_cli_is_accepted() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let ts = now();
    let n = nonce();
    let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
    for key in [keys::merchant_key_path(), keys::merchant_key_pkcs1_path()] {
        let n = nonce();
        let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
        let sig = openssl_sign(&key, &msg);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
        );
        let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;
        assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    }
    // The hand signer (aws-lc-rs) and openssl agree: PKCS#1 v1.5 is deterministic.
    assert_eq!(
        sign_by_hand("POST", AUTHINFO, ts, &n, &body),
        openssl_sign(&keys::merchant_key_path(), &msg)
    );
}

#[tokio::test]
async fn get_with_encoded_path_and_query_is_verified_over_the_wire_target() {
    let server = MockServer::start(MockConfig::default()).await;
    let path = "/v3/pay/transactions/out-trade-no/a%20b%2Fc";
    server.on("GET", path, Reply::json(200, json!({"trade_state": "SUCCESS"})));
    server.on(
        "GET",
        &format!("{path}?mchid=1230000109"),
        Reply::json(200, json!({"trade_state": "EXACT"})),
    );
    let target = format!("{path}?mchid=1230000109");
    let resp = send_raw(&server, "GET", &target, &good_headers("GET", &target, b""), b"").await;
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json()["trade_state"], "EXACT", "exact target wins");
    let other = format!("{path}?mchid=1");
    let resp = send_raw(&server, "GET", &other, &good_headers("GET", &other, b""), b"").await;
    assert_eq!(resp.json()["trade_state"], "SUCCESS", "bare path matches any query");

    let rec = server.requests();
    assert_eq!(rec[0].target, target);
    assert_eq!(rec[0].path(), path);
    assert_eq!(rec[0].query(), Some("mchid=1230000109"));

    // Signing the decoded path instead of the wire target fails.
    let decoded = "/v3/pay/transactions/out-trade-no/a b/c?mchid=1230000109";
    let resp = send_raw(&server, "GET", &target, &good_headers("GET", decoded, b""), b"").await;
    assert_sign_error(&resp, "does not verify");
}

#[tokio::test]
async fn bad_signatures_get_401_sign_error() {
    let server = authinfo_server().await;
    let body = authinfo_body();

    // Body changed after signing.
    let headers = good_headers("POST", AUTHINFO, &body);
    let mut other = body.clone();
    other[10] ^= 1;
    let resp = send_raw(&server, "POST", AUTHINFO, &headers, &other).await;
    assert_sign_error(&resp, "does not verify");
    // A 401 is signed like any answer.
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // Signed with the wrong key (the platform's, not the merchant's).
    let ts = now();
    let n = nonce();
    let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
    let sig = openssl_sign(&keys::wechatpay_key_path(), &msg);
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
    );
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "does not verify",
    );

    // Wrong method signed.
    let headers = good_headers("PUT", AUTHINFO, &body);
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "does not verify",
    );

    // Not base64 / truncated.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &authorization(keys::MCHID, keys::MERCHANT_SERIAL, now(), &nonce(), "@@@"),
    );
    assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, "base64");
    assert_eq!(server.hits("POST", AUTHINFO), 0, "no bad request reached the route");
    assert_eq!(server.requests().len(), 4);
    assert!(server.requests().iter().all(|r| r.auth.is_err()));
}

#[tokio::test]
async fn timestamp_window_is_300_seconds() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (offset, ok) in [(-301, false), (301, false), (-400, false), (-290, true), (290, true)] {
        let ts = now() + offset;
        let n = nonce();
        let sig = sign_by_hand("POST", AUTHINFO, ts, &n, &body);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
        );
        let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;
        if ok {
            assert_eq!(resp.status, 200, "offset {offset}");
        } else {
            assert_sign_error(&resp, "timestamp");
        }
    }
}

#[tokio::test]
async fn wrong_mchid_or_serial_gets_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (mchid, serial, reason) in [
        ("1900000002", keys::MERCHANT_SERIAL, "mchid"),
        (keys::MCHID, "5157F09EFDC096DE15EBE81A47057A7232F1B8E2", "serial_no"),
        (keys::MCHID, &keys::MERCHANT_SERIAL.to_ascii_lowercase(), "serial_no"),
    ] {
        let ts = now();
        let n = nonce();
        let sig = sign_by_hand("POST", AUTHINFO, ts, &n, &body);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(mchid, serial, ts, &n, &sig),
        );
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
}

#[tokio::test]
async fn missing_headers_get_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (header, reason) in [
        ("Authorization", "missing Authorization"),
        ("User-Agent", "User-Agent"),
        ("Accept", "Accept"),
        ("Content-Type", "Content-Type"),
    ] {
        let mut headers = good_headers("POST", AUTHINFO, &body);
        remove_header(&mut headers, header);
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(&mut headers, "Accept", "text/html");
    assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, "Accept");
    // A list naming application/json is fine.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(&mut headers, "Accept", "text/html, application/json;q=0.9");
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
}

#[tokio::test]
async fn malformed_authorization_headers_get_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let ts = now();
    let good_nonce = nonce();
    let sig = sign_by_hand("POST", AUTHINFO, ts, &good_nonce, &body);
    let (m, s) = (keys::MCHID, keys::MERCHANT_SERIAL);
    let cases: Vec<(String, &str)> = vec![
        (
            format!("WECHATPAY2-SHA256-RSA4096 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "scheme",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048  mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "field name",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid={m},serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "not quoted",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\", serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "field name",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "timestamp is missing",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "duplicate",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\",extra=\"1\""),
            "unknown",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{}\",signature=\"{sig}\"", &good_nonce[..31]),
            "nonce_str",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{}-\",signature=\"{sig}\"", &good_nonce[..31]),
            "nonce_str",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}.0\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "Unix seconds",
        ),
    ];
    for (header, reason) in cases {
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(&mut headers, "Authorization", &header);
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
    // Field order is free; the well-formed header in another order is accepted.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &format!("WECHATPAY2-SHA256-RSA2048 signature=\"{sig}\",nonce_str=\"{good_nonce}\",timestamp=\"{ts}\",serial_no=\"{s}\",mchid=\"{m}\""),
    );
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
}

#[tokio::test]
async fn reused_nonce_gets_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let headers = good_headers("POST", AUTHINFO, &body);
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "already used",
    );
}

#[tokio::test]
async fn unregistered_route_is_404_resource_not_exists() {
    let server = authinfo_server().await;
    let target = "/v3/nothing/here";
    let resp = send_raw(&server, "GET", target, &good_headers("GET", target, b""), b"").await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json()["code"], "RESOURCE_NOT_EXISTS");
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    // Same path, other method.
    let resp = send_raw(&server, "GET", AUTHINFO, &good_headers("GET", AUTHINFO, b""), b"").await;
    assert_eq!(resp.status, 404);
}

#[tokio::test]
async fn no_content_is_signed_over_the_empty_body() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/pay/transactions/out-trade-no/X/close";
    server.on("POST", target, Reply::no_content());
    let body = br#"{"mchid":"1230000109"}"#;
    let resp = send_raw(&server, "POST", target, &good_headers("POST", target, body), body).await;
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
}

#[tokio::test]
async fn error_reply_keeps_code_message_and_request_id() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/pay/transactions/jsapi";
    server.on(
        "POST",
        target,
        Reply::json(
            400,
            json!({"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"amount.total"}}),
        )
        .header("Request-ID", "08F1C4A2B3D4E5F6-TEST"),
    );
    let body = br#"{"amount":{"total":0}}"#;
    let resp = send_raw(&server, "POST", target, &good_headers("POST", target, body), body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["code"], "PARAM_ERROR");
    assert_eq!(resp.json()["message"], "参数错误");
    assert_eq!(resp.header("Request-ID"), Some("08F1C4A2B3D4E5F6-TEST"));
    assert_eq!(
        resp.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("request-id"))
            .count(),
        1
    );
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
}

#[tokio::test]
async fn tampering_knobs_break_exactly_what_they_say() {
    let server = MockServer::start(MockConfig::default()).await;
    let ok = || Reply::json(200, json!({"authinfo": "x"}));
    let cases: Vec<(&str, Reply)> = vec![
        (
            "/t/body",
            ok().tamper(Tamper::BodyAfterSigning(br#"{"authinfo":"y"}"#.to_vec())),
        ),
        ("/t/past", ok().tamper(Tamper::stale_past())),
        ("/t/future", ok().tamper(Tamper::stale_future())),
        ("/t/serial", ok().tamper(Tamper::UnknownSerial)),
        ("/t/omit-sig", ok().tamper(Tamper::omit("Wechatpay-Signature"))),
        ("/t/omit-ts", ok().tamper(Tamper::omit("Wechatpay-Timestamp"))),
        ("/t/omit-nonce", ok().tamper(Tamper::omit("Wechatpay-Nonce"))),
        ("/t/omit-serial", ok().tamper(Tamper::omit("Wechatpay-Serial"))),
        ("/t/omit-rid", ok().tamper(Tamper::omit("Request-ID"))),
        ("/t/unsigned", ok().tamper(Tamper::Unsigned)),
        ("/t/wrong-key", ok().tamper(Tamper::WrongKey)),
        ("/t/garbage", ok().tamper(Tamper::GarbageSignature)),
    ];
    for (path, reply) in &cases {
        server.on("GET", path, reply.clone());
    }
    let pubkey = keys::wechatpay_pub_path();
    let mut get = Vec::new();
    for (path, _) in &cases {
        get.push(send_raw(&server, "GET", path, &good_headers("GET", path, b""), b"").await);
    }
    let [body, past, future, serial, omit_sig, omit_ts, omit_nonce, omit_serial, omit_rid, unsigned, wrong_key, garbage] =
        get.try_into().unwrap();

    assert_eq!(body.body, br#"{"authinfo":"y"}"#);
    assert!(!response_verifies_with(&body, &pubkey));
    // The signature is over the original body.
    let mut original = response_message(&body);
    let n = original.len();
    original[n - 4] = b'x';
    assert!(openssl_verify(
        &pubkey,
        &original,
        body.header("Wechatpay-Signature").unwrap()
    ));

    for (resp, offset) in [(&past, -301), (&future, 400)] {
        let ts: i64 = resp.header("Wechatpay-Timestamp").unwrap().parse().unwrap();
        assert!((ts - (now() + offset)).abs() <= 5, "{ts} vs now{offset:+}");
        // Only the window is wrong: the signature covers the stale timestamp.
        assert!(response_verifies_with(resp, &pubkey));
    }
    assert_eq!(serial.header("Wechatpay-Serial"), Some(UNKNOWN_SERIAL));
    assert!(response_verifies_with(&serial, &pubkey));

    for (resp, missing) in [
        (&omit_sig, "Wechatpay-Signature"),
        (&omit_ts, "Wechatpay-Timestamp"),
        (&omit_nonce, "Wechatpay-Nonce"),
        (&omit_serial, "Wechatpay-Serial"),
        (&omit_rid, "Request-ID"),
    ] {
        assert!(resp.header(missing).is_none(), "{missing} should be missing");
        for other in [
            "Wechatpay-Signature",
            "Wechatpay-Timestamp",
            "Wechatpay-Nonce",
            "Wechatpay-Serial",
            "Request-ID",
        ] {
            if other != missing {
                assert!(resp.header(other).is_some(), "{other} should be there");
            }
        }
    }
    for h in [
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
    ] {
        assert!(unsigned.header(h).is_none());
    }
    assert!(unsigned.header("Request-ID").is_some());
    assert_eq!(unsigned.status, 200);

    assert!(!response_verifies_with(&wrong_key, &pubkey));
    assert!(response_verifies_with(&wrong_key, &keys::merchant_pub_path()));
    assert!(B64.decode(garbage.header("Wechatpay-Signature").unwrap()).is_err());
}

#[tokio::test]
async fn certificate_mode_signs_with_the_platform_certificate_key() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("GET", "/v3/x", Reply::json(200, json!({"ok": true})));
    server.on(
        "GET",
        "/v3/y",
        Reply::json(200, json!({"ok": true})).signed_by(ResponseKey::wechatpay_public_key()),
    );
    let dir = tempfile::tempdir().unwrap();
    let cert_pub = platform_cert_pubkey(dir.path());

    let resp = send_raw(&server, "GET", "/v3/x", &good_headers("GET", "/v3/x", b""), b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::PLATFORM_CERT_SERIAL));
    assert!(response_verifies_with(&resp, &cert_pub));
    assert!(!response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // A route can be signed by the other key (a merchant migrating between the two).
    let resp = send_raw(&server, "GET", "/v3/y", &good_headers("GET", "/v3/y", b""), b"").await;
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // The certificate's serial is the one in keys.rs.
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(keys::platform_cert_path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("serial={}", keys::PLATFORM_CERT_SERIAL)
    );
}

#[tokio::test]
async fn sequence_routes_and_sign_over_override() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "GET",
        "/v3/seq",
        vec![
            Reply::error(500, "SYSTEM_ERROR", "busy"),
            Reply::json(200, json!({"n": 2})),
        ],
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            send_raw(&server, "GET", "/v3/seq", &good_headers("GET", "/v3/seq", b""), b"")
                .await
                .status,
        );
    }
    assert_eq!(statuses, [500, 200, 200]);
    assert_eq!(server.hits("GET", "/v3/seq"), 3);

    // Statements: the signed body is {"sha1":"…"}, not the file.
    let signed = br#"{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}"#;
    server.on(
        "GET",
        "/v3/statements",
        Reply::raw(200, "application/octet-stream", b"FILE".to_vec()).sign_over(signed),
    );
    let resp = send_raw(
        &server,
        "GET",
        "/v3/statements",
        &good_headers("GET", "/v3/statements", b""),
        b"",
    )
    .await;
    assert_eq!(resp.body, b"FILE");
    let msg = format!(
        "{}\n{}\n{}\n",
        resp.header("Wechatpay-Timestamp").unwrap(),
        resp.header("Wechatpay-Nonce").unwrap(),
        std::str::from_utf8(signed).unwrap()
    );
    assert!(openssl_verify(
        &keys::wechatpay_pub_path(),
        msg.as_bytes(),
        resp.header("Wechatpay-Signature").unwrap()
    ));
}

#[tokio::test]
async fn multipart_upload_is_verified_over_the_meta_part() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/merchant/media/upload";
    server.on("POST", target, Reply::json(200, json!({"media_id": "M1"})));
    let meta = br#"{"filename":"a.png","sha256":"abc"}"#;
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(meta);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend_from_slice(b"\x89PNG\r\n\x1a\nDATA");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");

    let mut headers = good_headers("POST", target, meta);
    set_header(&mut headers, "Content-Type", &ct);
    let resp = send_raw(&server, "POST", target, &headers, &body).await;
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));

    // Signing the whole multipart body is wrong.
    let mut headers = good_headers("POST", target, &body);
    set_header(&mut headers, "Content-Type", &ct);
    assert_sign_error(
        &send_raw(&server, "POST", target, &headers, &body).await,
        "does not verify",
    );
}

#[tokio::test]
async fn server_stops_when_dropped() {
    let server = authinfo_server().await;
    let addr = server.addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    drop(server);
    let mut refused = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the listener should be closed after drop");
}

#[test]
fn blocking_server_runs_on_its_own_runtime() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("GET", "/v3/ping", Reply::json(200, json!({"pong": true})));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let resp = rt.block_on(send_raw(
        &server,
        "GET",
        "/v3/ping",
        &good_headers("GET", "/v3/ping", b""),
        b"",
    ));
    assert_eq!(resp.status, 200);
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    drop(server);
}
