//! End-to-end tests of uploads, downloads and resilience (retries, failover, timeouts, error
//! bodies) against the loopback mock WeChat Pay server. Digests are cross-checked with the
//! `sha256sum` / `openssl` / `gzip` command-line tools, an implementation independent of the
//! client's.

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use wechatpay::runtime::{Method, ResponseSignature, Upload, VerificationError};
use wechatpay::{Client, ClientBuilder, Error};
use wechatpay_tests::keys;
use wechatpay_tests::mock::{auth, MockConfig, MockServer, RecordedRequest, Reply, Tamper};

const UPLOAD: &str = "/v3/merchant/media/upload";
const BILL: &str = "/v3/billdownload/file";
const STATEMENT: &str = "/v3/global/statements";

fn builder() -> ClientBuilder {
    Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
}

fn client(server: &MockServer) -> Client {
    builder().base_url(server.base_url()).build().expect("client builds")
}

fn assert_signed_ok(req: &RecordedRequest) {
    assert_eq!(req.auth, Ok(()), "the mock rejected {} {}", req.method, req.target);
}

/// Runs a command-line tool over `data` (written to a temporary file) and returns the first
/// word of its output: `sha256sum`, `openssl dgst -sha1 -r`.
fn tool_digest(program: &str, args: &[&str], data: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let out = Command::new(program)
        .args(args)
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let digest = text
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches('*')
        .to_owned();
    assert!(
        digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{program} printed {text:?}"
    );
    digest
}

fn sha256sum(data: &[u8]) -> String {
    tool_digest("sha256sum", &[], data)
}

fn openssl_sha1(data: &[u8]) -> String {
    tool_digest("openssl", &["dgst", "-sha1", "-r"], data)
}

fn gzip_cli(data: &[u8]) -> Vec<u8> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let out = Command::new("gzip")
        .arg("-c")
        .arg("-n")
        .arg(file.path())
        .output()
        .expect("gzip");
    assert!(out.status.success());
    out.stdout
}

/// Pseudo-random bytes (xorshift), deterministic.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A CSV-like bill, compressible.
fn bill_text(lines: usize) -> Vec<u8> {
    let mut s = String::from("交易时间,公众账号ID,商户号,微信订单号,商户订单号,总金额\n");
    for i in 0..lines {
        s.push_str(&format!(
            "`2024-01-01 12:00:{:02},`wx8888888888888888,`1900000109,`42000{i:015},`order{i},`{}.{:02}\n",
            i % 60,
            i % 1000,
            i % 100
        ));
    }
    s.into_bytes()
}

/// The parts of a multipart body: (Content-Disposition and other head lines, content).
fn multipart_parts(req: &RecordedRequest) -> Vec<(String, Vec<u8>)> {
    let ct = req.header("content-type").expect("content-type");
    let boundary = ct.split("boundary=").nth(1).expect("boundary").trim_matches('"');
    let delim = format!("--{boundary}");
    let body = &req.body;
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delim.len() <= body.len() {
        if &body[i..i + delim.len()] == delim.as_bytes() {
            starts.push(i);
            i += delim.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let part = &body[w[0] + delim.len() + 2..w[1] - 2]; // skip CRLF after delimiter, before next
        let split = part
            .windows(4)
            .position(|x| x == b"\r\n\r\n")
            .expect("head/body separator");
        parts.push((
            String::from_utf8_lossy(&part[..split]).into_owned(),
            part[split + 4..].to_vec(),
        ));
    }
    assert!(body.ends_with(format!("{delim}--\r\n").as_bytes()), "closing delimiter");
    parts
}

fn meta_of(req: &RecordedRequest) -> Value {
    let ct = req.header("content-type").unwrap();
    let meta = auth::multipart_meta(ct, &req.body).expect("a meta part");
    serde_json::from_slice(&meta).expect("meta is JSON")
}

// ---------------------------------------------------------------------------------------------
// Uploads

#[tokio::test]
async fn upload_from_bytes_signs_meta_only_and_fills_sha256_and_filename() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        UPLOAD,
        Reply::json(200, json!({"media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhmVUCrl-4"})),
    );
    let png = noise(300_000, 7);
    let answer: Value = client(&server)
        .chain("v3/merchant/media/upload")
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_bytes("logo.png", png.clone()))
        .send_json()
        .await
        .expect("upload succeeds");
    assert_eq!(answer["media_id"], "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhmVUCrl-4");

    let req = server.last_request();
    // The mock verified the signature over the meta JSON only.
    assert_signed_ok(&req);
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert_eq!(req.header("accept"), Some("application/json"));
    let meta = meta_of(&req);
    assert_eq!(meta, json!({"filename": "logo.png", "sha256": sha256sum(&png)}));

    let parts = multipart_parts(&req);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].0.contains("form-data; name=\"meta\""), "{}", parts[0].0);
    assert!(parts[0].0.contains("Content-Type: application/json"));
    assert!(
        parts[1].0.contains("name=\"file\"; filename=\"logo.png\""),
        "{}",
        parts[1].0
    );
    assert!(parts[1].0.contains("Content-Type: image/png"));
    assert_eq!(parts[1].1, png, "the file part carries the exact bytes");
}

#[tokio::test]
async fn typed_upload_through_the_generated_api() {
    use wechatpay::v3::merchant::media::upload;
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "typed"})));
    let jpg = noise(4096, 21);
    let c = client(&server);
    let answer = c
        .v3()
        .merchant()
        .media()
        .upload()
        .post(
            &upload::PostRequest::new(Default::default()),
            Upload::from_bytes("photo.JPG", jpg.clone()),
        )
        .await
        .expect("typed upload");
    assert_eq!(answer.media_id.as_deref(), Some("typed"));
    let req = server.last_request();
    assert_signed_ok(&req);
    // The generated meta struct skips its None fields; the runtime fills both.
    assert_eq!(
        meta_of(&req),
        json!({"filename": "photo.JPG", "sha256": sha256sum(&jpg)})
    );
    assert!(multipart_parts(&req)[1].0.contains("Content-Type: image/jpeg"));
}

#[tokio::test]
async fn upload_signature_covers_the_meta_json_and_not_the_multipart_body() {
    // Check the recorded request independently: the signature verifies over the meta part,
    // and does not over the whole multipart body (so the mock's acceptance means something).
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "x"})));
    let _: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_bytes("a.jpg", noise(1000, 9)))
        .send_json()
        .await
        .unwrap();
    let req = server.last_request();
    let config = server.config();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expect = auth::Expect {
        mchid: &config.mchid,
        serial_no: &config.merchant_serial,
        merchant_public_key_der: &config.merchant_public_key_der,
        now,
        max_skew: 300,
    };
    let meta = auth::multipart_meta(req.header("content-type").unwrap(), &req.body).unwrap();
    let check = |signed: &[u8]| auth::check(&expect, req.header("authorization"), "POST", UPLOAD, signed);
    assert!(check(&meta).is_ok(), "{:?}", check(&meta).err());
    assert!(
        check(&req.body).is_err(),
        "the signature must not cover the multipart body"
    );
    assert!(check(b"").is_err());
}

#[tokio::test]
async fn upload_from_path_reads_the_file_when_sent_and_names_it() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/merchant/media/video_upload",
        Reply::json(200, json!({"media_id": "v"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let video = noise(1_500_000, 11);
    std::fs::write(&path, &video).unwrap();
    let c = client(&server);
    let request = c
        .chain("v3/merchant/media/video_upload")
        .request(Method::POST)
        .multipart(
            &json!({"filename": null, "sha256": ""}),
            "file",
            Upload::from_path(&path),
        );
    let _: Value = request.send_json().await.expect("upload");
    let req = server.last_request();
    assert_signed_ok(&req);
    let expected = tool_digest("openssl", &["dgst", "-sha256", "-r"], &video);
    assert_eq!(meta_of(&req), json!({"filename": "clip.mp4", "sha256": expected}));
    let parts = multipart_parts(&req);
    assert!(parts[1].0.contains("filename=\"clip.mp4\""));
    assert!(parts[1].0.contains("Content-Type: video/mp4"));
    assert_eq!(parts[1].1, video);
}

#[tokio::test]
async fn upload_from_reader_with_extra_field_and_explicit_content_type() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/marketing/favor/media/image-upload",
        Reply::json(200, json!({"media_url": "u"})),
    );
    let data = noise(10_000, 3);
    let _: Value = client(&server)
        .chain("v3/marketing/favor/media/image-upload")
        .request(Method::POST)
        .form_field("item_id", &42)
        .multipart(
            &json!({"file_name": "", "file_digest": null, "other": 1}),
            "media",
            Upload::from_reader("scan", std::io::Cursor::new(data.clone())).content_type("image/jpeg"),
        )
        .form_field_opt("absent", None::<&String>)
        .send_json()
        .await
        .expect("upload");
    let req = server.last_request();
    assert_signed_ok(&req);
    assert_eq!(
        meta_of(&req),
        json!({"file_name": "scan", "file_digest": sha256sum(&data), "other": 1})
    );
    let parts = multipart_parts(&req);
    assert_eq!(parts.len(), 3, "meta, item_id, media");
    assert!(parts[1].0.contains("name=\"item_id\""));
    assert_eq!(parts[1].1, b"42");
    assert!(parts[2].0.contains("name=\"media\"; filename=\"scan\""));
    assert!(parts[2].0.contains("Content-Type: image/jpeg"));
    assert_eq!(parts[2].1, data);
}

#[tokio::test]
async fn upload_keeps_a_digest_the_caller_gave() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "x"})));
    let _: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({"filename": "given.jpg", "sha256": "abc"}),
            "file",
            Upload::from_bytes("a.png", b"x".to_vec()),
        )
        .send_json()
        .await
        .unwrap();
    assert_eq!(
        meta_of(&server.last_request()),
        json!({"filename": "given.jpg", "sha256": "abc"})
    );
}

#[tokio::test]
async fn upload_failures_send_nothing() {
    let server = MockServer::start(MockConfig::default()).await;
    let c = client(&server);
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_path("/nonexistent/wechatpay/x.png"))
        .send_json::<Value>()
        .await
        .unwrap_err();
    match &err {
        Error::Io { context, .. } => assert!(context.contains("/nonexistent/wechatpay/x.png"), "{err}"),
        other => panic!("{other:?}"),
    }
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!(["not", "an", "object"]),
            "file",
            Upload::from_bytes("a.png", vec![1]),
        )
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .form_field("item_id", &1)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn upload_from_a_reader_is_retried_with_the_same_body() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        UPLOAD,
        vec![
            Reply::error(500, "SYSTEM_ERROR", "系统繁忙"),
            Reply::json(200, json!({"media_id": "m"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    let data = noise(5000, 5);
    let answer: Value = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({}),
            "file",
            Upload::from_reader("a.bmp", std::io::Cursor::new(data.clone())),
        )
        .send_json()
        .await
        .expect("second attempt succeeds");
    assert_eq!(answer["media_id"], "m");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_signed_ok(req);
        assert_eq!(multipart_parts(req)[1].1, data);
    }
    assert_ne!(
        reqs[0].authorization().unwrap().get("nonce_str"),
        reqs[1].authorization().unwrap().get("nonce_str")
    );
}

#[test]
fn upload_blocking() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "b"})));
    let answer: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({}),
            "file",
            Upload::from_reader("a.png", std::io::Cursor::new(vec![1, 2, 3])),
        )
        .send_json()
        .blocking()
        .unwrap();
    assert_eq!(answer["media_id"], "b");
    assert_signed_ok(&server.last_request());
}

// ---------------------------------------------------------------------------------------------
// Downloads

fn file_reply(body: Vec<u8>) -> Reply {
    // Bill files are not signed by WeChat Pay.
    Reply::raw(200, "application/octet-stream", body).tamper(Tamper::Unsigned)
}

#[tokio::test]
async fn bill_download_streams_5_mb_and_checks_sha1() {
    let server = MockServer::start(MockConfig::default()).await;
    let file = noise(5 * 1024 * 1024 + 17, 99);
    server.on("GET", BILL, file_reply(file.clone()));
    let url = format!(
        "{}{BILL}?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO",
        server.base_url()
    );
    let sha1 = openssl_sha1(&file);
    let mut out: Vec<u8> = Vec::new();
    let written = client(&server)
        .download_bill(&url, &sha1.to_uppercase(), false, &mut out)
        .await
        .expect("download");
    assert_eq!(written, file.len() as u64);
    assert_eq!(out, file);
    let req = server.last_request();
    assert_signed_ok(&req);
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.target,
        format!("{BILL}?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO")
    );
}

#[tokio::test]
async fn bill_download_sha1_mismatch_is_an_error_naming_both_digests() {
    let server = MockServer::start(MockConfig::default()).await;
    let file = bill_text(1000);
    server.on("GET", BILL, file_reply(file.clone()));
    let url = format!("{}{BILL}?token=t", server.base_url());
    let wrong = openssl_sha1(b"another file");
    let mut out: Vec<u8> = Vec::new();
    let err = client(&server)
        .download_bill(&url, &wrong, false, &mut out)
        .await
        .unwrap_err();
    match &err {
        Error::DigestMismatch {
            algorithm,
            expected,
            actual,
        } => {
            assert_eq!(*algorithm, "SHA-1");
            assert_eq!(*expected, wrong);
            assert_eq!(*actual, openssl_sha1(&file));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("discarded"), "{err}");
    assert!(!err.is_retryable());
    // A malformed expected digest fails before anything is sent.
    let before = server.requests().len();
    let err = client(&server)
        .download_bill(&url, "sha1:abc", false, &mut out)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert_eq!(server.requests().len(), before);
}

/// `hash_value` is the digest of the original bill (原始账单（gzip需要解压缩）的摘要值): with
/// `tar_type=GZIP` the SHA-1 is over the decompressed bytes, whether the client writes them
/// decompressed or as sent (the SHA-1s here come from the `openssl` command line).
#[tokio::test]
async fn bill_download_checks_the_sha1_of_the_original_bill() {
    let server = MockServer::start(MockConfig::default()).await;
    let plain = bill_text(60_000);
    let gz = gzip_cli(&plain);
    assert!(gz.len() < plain.len() / 2);
    server.on("GET", BILL, file_reply(gz.clone()));
    let url = format!("{}{BILL}?token=g&tartype=GZIP", server.base_url());
    let c = client(&server);

    let mut out: Vec<u8> = Vec::new();
    let written = c
        .download_bill(&url, &openssl_sha1(&plain), true, &mut out)
        .await
        .expect("download");
    assert_eq!(out, plain);
    assert_eq!(written, plain.len() as u64);

    // Without gunzip: the gzip bytes as sent, checked against the original's digest all the same.
    let mut raw: Vec<u8> = Vec::new();
    c.download_bill(&url, &openssl_sha1(&plain), false, &mut raw)
        .await
        .unwrap();
    assert_eq!(raw, gz);

    // The SHA-1 of the gzip stream is not the one that counts.
    for gunzip in [true, false] {
        let err = c
            .download_bill(&url, &openssl_sha1(&gz), gunzip, &mut Vec::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn bill_download_of_a_broken_gzip_fails() {
    let server = MockServer::start(MockConfig::default()).await;
    let gz = gzip_cli(&bill_text(100));
    let truncated = gz[..gz.len() - 10].to_vec();
    server.on("GET", BILL, file_reply(truncated.clone()));
    let url = format!("{}{BILL}?token=g", server.base_url());
    let err = client(&server)
        .download_bill(&url, &openssl_sha1(&truncated), true, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[tokio::test]
async fn bill_download_non_2xx_is_an_api_error() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", BILL, Reply::error(400, "INVALID_REQUEST", "token 已过期"));
    let url = format!("{}{BILL}?token=old", server.base_url());
    let err = client(&server)
        .download_bill(&url, &"0".repeat(40), false, &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.api_code(), Some("INVALID_REQUEST"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn download_url_on_the_production_host_follows_the_configured_base_url() {
    let server = MockServer::start(MockConfig::default()).await;
    let file = b"a,b\n1,2\n".to_vec();
    server.on("GET", BILL, file_reply(file.clone()));
    let mut out: Vec<u8> = Vec::new();
    client(&server)
        .download_bill(
            "https://api.mch.weixin.qq.com/v3/billdownload/file?token=p%2Bq",
            &openssl_sha1(&file),
            false,
            &mut out,
        )
        .await
        .expect("sent to the mock, not the internet");
    assert_eq!(out, file);
    assert_eq!(server.last_request().target, "/v3/billdownload/file?token=p%2Bq");
    assert_signed_ok(&server.last_request());
}

#[tokio::test]
async fn unsigned_file_is_accepted_only_when_marked_unsigned() {
    let server = MockServer::start(MockConfig::default()).await;
    let image = noise(20_000, 1);
    server.on("GET", "/v3/merchant-service/images/abc", file_reply(image.clone()));
    let c = client(&server);
    // Default: the response must be signed.
    let err = c
        .chain("v3/merchant-service/images/abc")
        .request(Method::GET)
        .send_download()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::MissingHeader(_))),
        "{err:?}"
    );
    // Marked unsigned by design.
    let got = c
        .chain("v3/merchant-service/images/abc")
        .request(Method::GET)
        .response_signature(ResponseSignature::None)
        .send_download()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/octet-stream");
    assert_eq!(got.bytes().await.unwrap(), image);
    // send_bytes / send_json obey the marking too.
    let err = c
        .chain("v3/merchant-service/images/abc")
        .request(Method::GET)
        .send_bytes()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Verification(_)), "{err:?}");
}

#[tokio::test]
async fn signed_download_is_verified_before_it_is_returned() {
    let server = MockServer::start(MockConfig::default()).await;
    let pdf = noise(50_000, 2);
    server.on(
        "GET",
        "/v3/signed/file",
        Reply::raw(200, "application/pdf", pdf.clone()),
    );
    server.on(
        "GET",
        "/v3/tampered/file",
        Reply::raw(200, "application/pdf", pdf.clone()).tamper(Tamper::BodyAfterSigning(noise(50_000, 3))),
    );
    let c = client(&server);
    let got = c
        .chain("v3/signed/file")
        .request(Method::GET)
        .send_download()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap(), pdf);
    let err = c
        .chain("v3/tampered/file")
        .request(Method::GET)
        .send_download()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::BadSignature { .. })),
        "{err:?}"
    );
}

fn statement_reply(body: &[u8], announced_sha1: &str) -> Reply {
    Reply::raw(200, "text/csv", body.to_vec())
        .header("Wechatpay-Statement-Sha1", announced_sha1)
        .sign_over(format!("{{\"sha1\":\"{announced_sha1}\"}}").as_bytes())
}

#[tokio::test]
async fn statement_download_checks_the_signed_sha1_header() {
    let server = MockServer::start(MockConfig::default()).await;
    let csv = bill_text(2000);
    let sha1 = openssl_sha1(&csv);
    server.on("GET", STATEMENT, statement_reply(&csv, &sha1));
    let c = client(&server);
    fn statement(c: &Client) -> wechatpay::Request<'_> {
        c.chain("v3/global/statements")
            .request(Method::GET)
            .query("date", "2024-01-01")
            .response_signature(ResponseSignature::StatementSha1)
    }
    let mut out: Vec<u8> = Vec::new();
    let n = statement(&c)
        .send_download()
        .await
        .unwrap()
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!((n, out), (csv.len() as u64, csv.clone()));
    // In memory too.
    assert_eq!(statement(&c).send_bytes().await.unwrap(), csv);

    // Announced SHA-1 (correctly signed) of another file: mismatch at the end.
    server.on("GET", STATEMENT, statement_reply(&csv, &openssl_sha1(b"other")));
    let err = statement(&c).send_download().await.unwrap().bytes().await.unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    let err = statement(&c).send_bytes().await.unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");

    // Signature over the file instead of {"sha1":…}: not trusted.
    server.on(
        "GET",
        STATEMENT,
        Reply::raw(200, "text/csv", csv.clone()).header("Wechatpay-Statement-Sha1", &sha1),
    );
    let err = statement(&c).send_download().await.unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::BadSignature { .. })),
        "{err:?}"
    );

    // No Wechatpay-Statement-Sha1 header.
    server.on("GET", STATEMENT, Reply::raw(200, "text/csv", csv.clone()));
    let err = statement(&c).send_download().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification(VerificationError::MissingHeader("Wechatpay-Statement-Sha1"))
        ),
        "{err:?}"
    );
}

#[test]
fn bill_download_blocking_into_a_file() {
    let server = MockServer::start_blocking(MockConfig::default());
    let plain = bill_text(20_000);
    let gz = gzip_cli(&plain);
    server.on("GET", BILL, file_reply(gz.clone()));
    let url = format!("{}{BILL}?token=b", server.base_url());
    let c = client(&server);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let n = c
        .download_bill_blocking(&url, &openssl_sha1(&plain), true, file.as_file_mut())
        .unwrap();
    assert_eq!(n, plain.len() as u64);
    assert_eq!(std::fs::read(file.path()).unwrap(), plain);
    let err = c
        .download_bill_blocking(&url, &openssl_sha1(&gz), true, std::io::sink())
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    // A streaming download fetched with blocking() is written with write_to_blocking.
    let d = c
        .request_url(Method::GET, &url)
        .response_signature(ResponseSignature::None)
        .send_download()
        .blocking()
        .unwrap();
    let mut out = Vec::new();
    d.gunzip().write_to_blocking(&mut out).unwrap();
    assert_eq!(out, plain);
}

#[tokio::test]
async fn write_to_blocking_inside_async_code_is_refused() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", BILL, file_reply(vec![1, 2, 3]));
    let c = client(&server);
    let d = c
        .request_url(Method::GET, &format!("{}{BILL}", server.base_url()))
        .response_signature(ResponseSignature::None)
        .send_download()
        .await
        .unwrap();
    assert!(matches!(d.write_to_blocking(std::io::sink()), Err(Error::Blocking)));
    let err = c
        .request_url(Method::GET, "not a url")
        .send_download()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Resilience

const AUTHINFO: &str = "/v3/offlineface/authinfo";

async fn post_authinfo(c: &Client) -> Result<Value, Error> {
    c.chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({"sub_mchid": "1900000109"}))
        .send_json()
        .await
}

#[tokio::test]
async fn a_500_then_200_succeeds_with_retries_1() {
    let server = MockServer::start(MockConfig::default()).await;
    let replies = vec![
        Reply::error(500, "SYSTEM_ERROR", "系统错误"),
        Reply::json(200, json!({"authinfo": "ok"})),
    ];
    server.on_sequence("POST", AUTHINFO, replies.clone());
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(20))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "ok");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.auth.is_ok()), "every attempt signed anew");
    assert_eq!(reqs[0].body, reqs[1].body, "the same body");

    // Default: no retry.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence("POST", AUTHINFO, replies);
    let err = post_authinfo(&client(&server)).await.unwrap_err();
    assert_eq!(err.api_code(), Some("SYSTEM_ERROR"));
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_give_up_after_n_and_skip_parameter_errors() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::error(503, "", "unavailable"));
    let c = builder()
        .base_url(server.base_url())
        .retries(2)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 3, "1 + 2 retries");

    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::error(400, "PARAM_ERROR", "参数错误"));
    let c = builder()
        .base_url(server.base_url())
        .retries(3)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert_eq!(err.api_code(), Some("PARAM_ERROR"));
    assert!(!err.is_retryable());
    assert_eq!(server.requests().len(), 1, "a parameter error is never retried");

    // FREQUENCY_LIMITED (429) is retried with backoff.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::error(429, "FREQUENCY_LIMITED", "频率超限"),
            Reply::json(200, json!({"authinfo": "ok"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "ok");
}

#[tokio::test]
async fn retryable_classification() {
    let server = MockServer::start(MockConfig::default()).await;
    let c = client(&server);
    for (status, code, retryable) in [
        (500, "SYSTEM_ERROR", true),
        (502, "", true),
        (429, "FREQUENCY_LIMITED", true),
        (403, "FREQUENCY_LIMITED", true),
        (500, "BANK_ERROR", true),
        (400, "PARAM_ERROR", false),
        (401, "SIGN_ERROR", false),
        (404, "ORDER_NOT_EXIST", false),
        (403, "NOT_ENOUGH", false),
        (400, "INVALID_REQUEST", false),
    ] {
        server.on("POST", AUTHINFO, Reply::error(status, code, "m"));
        let err = post_authinfo(&c).await.unwrap_err();
        assert_eq!(err.is_retryable(), retryable, "{status} {code}");
    }
    server.on("POST", AUTHINFO, Reply::json(200, json!({})).tamper(Tamper::WrongKey));
    assert!(
        !post_authinfo(&c).await.unwrap_err().is_retryable(),
        "a bad signature is not retried"
    );
}

/// A loopback port with nothing listening.
fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn connection_failure_fails_over_to_the_backup_host() {
    let backup = MockServer::start(MockConfig::default()).await;
    backup.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "from backup"})));
    let dead = dead_base_url();

    let c = builder()
        .base_url(&dead)
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "from backup");
    let req = backup.last_request();
    assert_signed_ok(&req); // signed for the backup host
    assert_eq!(req.target, AUTHINFO);

    // Off by default: a connection error, retryable.
    let c = builder()
        .base_url(&dead)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_connect() && err.is_retryable(), "{err:?}");
    assert_eq!(backup.requests().len(), 1, "no failover when it is off");

    // Failover is for connection failures only: an API error from the primary is final.
    let primary = MockServer::start(MockConfig::default()).await;
    primary.on("POST", AUTHINFO, Reply::error(500, "SYSTEM_ERROR", "x"));
    let c = builder()
        .base_url(primary.base_url())
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap_err().api_code(), Some("SYSTEM_ERROR"));
    assert_eq!(backup.requests().len(), 1);

    // A configured base URL without a configured backup never fails over (to the internet).
    let c = builder().base_url(&dead).failover(true).build().unwrap();
    assert!(post_authinfo(&c).await.unwrap_err().is_connect());
}

#[tokio::test]
async fn bill_download_fails_over_too() {
    let backup = MockServer::start(MockConfig::default()).await;
    let file = bill_text(10);
    backup.on("GET", BILL, file_reply(file.clone()));
    let dead = dead_base_url();
    let c = builder()
        .base_url(&dead)
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    let mut out: Vec<u8> = Vec::new();
    c.download_bill(&format!("{dead}{BILL}?token=f"), &openssl_sha1(&file), false, &mut out)
        .await
        .unwrap();
    assert_eq!(out, file);
    assert_eq!(backup.last_request().target, format!("{BILL}?token=f"));
}

#[tokio::test]
async fn timeouts_are_retryable_transport_errors() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::json(200, json!({"authinfo": "late"})).delay(Duration::from_secs(3)),
            Reply::json(200, json!({"authinfo": "fast"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = post_authinfo(&c).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "the total timeout applies");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    // The second reply is fast.
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "fast");

    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::json(200, json!({"authinfo": "late"})).delay(Duration::from_secs(3)),
            Reply::json(200, json!({"authinfo": "fast"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .retries(1)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "fast");
}

#[tokio::test]
async fn html_error_page_from_a_proxy_is_a_useful_api_error() {
    let server = MockServer::start(MockConfig::default()).await;
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    server.on(
        "POST",
        AUTHINFO,
        Reply::raw(502, "text/html", html.as_bytes().to_vec())
            .tamper(Tamper::Unsigned)
            .header("Request-ID", "08F1-PROXY"),
    );
    let err = post_authinfo(&client(&server)).await.unwrap_err();
    match &err {
        Error::Api {
            status,
            code,
            message,
            body,
            request_id,
            detail,
        } => {
            assert_eq!(*status, 502);
            assert_eq!(code, "");
            assert_eq!(message, "");
            assert_eq!(body, html);
            assert_eq!(request_id.as_deref(), Some("08F1-PROXY"));
            assert!(detail.is_none());
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("HTTP 502") && text.contains("08F1-PROXY"), "{text}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn spec_host_is_used_only_with_the_default_base_url() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", "/v3/global/x", Reply::json(200, json!({"ok": true})));
    let spec_host: &'static str = Box::leak(server.base_url().into_boxed_str());

    // Default base URL: the operation's own host (here the mock stands for it).
    let c = builder().build().unwrap();
    let v: Value = c
        .chain("v3/global/x")
        .request(Method::GET)
        .host(spec_host)
        .send_json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
    assert_signed_ok(&server.last_request());

    // A configured base URL wins (a dead port here: proves the spec host was not used).
    let c = builder().base_url(dead_base_url()).build().unwrap();
    let err = c
        .chain("v3/global/x")
        .request(Method::GET)
        .host(spec_host)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn query_lists_are_comma_joined_and_signed_as_sent() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", "/v3/x", Reply::json(200, json!({})));
    let c = client(&server);
    let _: Value = c
        .chain("v3/x")
        .request(Method::GET)
        .query_list("ids", &["a b", "c,d", "中"])
        .query_list::<&str>("empty", &[])
        .query_list_opt("n", Some(&vec![1, 2]))
        .query_list_opt::<u8>("none", None)
        .send_json()
        .await
        .unwrap();
    let req = server.last_request();
    assert_signed_ok(&req);
    assert_eq!(req.target, "/v3/x?ids=a%20b,c%2Cd,%E4%B8%AD&n=1,2");
}

/// Size limits: a 2xx JSON body over `max_response_body` is refused unread; an error body is
/// kept to 64 KiB (a 5 MB error page neither fills memory nor the logs); downloads still stream.
#[tokio::test]
async fn response_bodies_are_capped() {
    let server = MockServer::start(MockConfig::default()).await;
    let big = format!("{{\"authinfo\":\"{}\"}}", "x".repeat(2 << 20));
    server.on("POST", "/v3/offlineface/authinfo", Reply::json_text(200, &big));
    let limited = builder()
        .base_url(server.base_url())
        .max_response_body(1 << 20)
        .build()
        .unwrap();
    let request = wechatpay::v3::offlineface::authinfo::PostRequest::new("wx", "1900000109", "d", "r", "o");
    let e = limited.v3().offlineface().authinfo().post(&request).await.unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit } if limit == 1 << 20), "{e:?}");
    // The default (16 MiB) takes it.
    let answer = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&request)
        .await
        .unwrap();
    assert_eq!(answer.authinfo.map(|a| a.len()), Some(2 << 20));

    let page = "<html>".to_string() + &"proxy error ".repeat(400_000) + "</html>";
    server.on(
        "POST",
        "/v3/offlineface/authinfo",
        Reply::raw(502, "text/html", page.into_bytes()),
    );
    let e = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&request)
        .await
        .unwrap_err();
    let Error::Api { status, body, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, 502);
    assert!(body.len() < (64 << 10) + 100, "{} bytes kept", body.len());
    assert!(
        body.ends_with("[... cut: the error body is longer than 64 KiB]"),
        "{}",
        &body[body.len() - 80..]
    );
    assert!(e.to_string().len() < 200, "{e}");
}

/// A keep-alive HTTP/1.1 server that answers every request with `404` (not signature-checked)
/// and closes a connection once it has been idle for `idle_close`; counts the connections.
async fn idle_closing_server(idle_close: Duration) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                loop {
                    let n = match tokio::time::timeout(idle_close, stream.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => n,
                        _ => return, // idle too long, or closed: drop the connection
                    };
                    seen.extend_from_slice(&buf[..n]);
                    // One request per read is enough here (GET, no body).
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        seen.clear();
                        let body = r#"{"code":"RESOURCE_NOT_EXISTS","message":"x"}"#;
                        let reply = format!(
                            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nKeep-Alive: timeout=8\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, connections)
}

/// Idle connections: the client does not reuse a pooled connection idle longer than its
/// `pool_idle_timeout` (default 5 s, below WeChat Pay's ~8 s), and a connection the server
/// closed while idle is never the cause of a failed call.
#[tokio::test]
async fn idle_connections_are_not_reused_past_the_pool_timeout() {
    use std::sync::atomic::Ordering;
    let call = |c: &Client| {
        let c = c.clone();
        async move {
            let e = c
                .chain("v3/x")
                .request(Method::GET)
                .send_json::<serde_json::Value>()
                .await
                .unwrap_err();
            assert!(matches!(e, Error::Api { status: 404, .. }), "{e:?}");
        }
    };
    // Reused within the idle timeout: one connection.
    let (url, connections) = idle_closing_server(Duration::from_secs(30)).await;
    let c = builder()
        .base_url(url)
        .pool_idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    call(&c).await;
    call(&c).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    // Idle longer than the pool timeout: a new connection.
    tokio::time::sleep(Duration::from_millis(600)).await;
    call(&c).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "a connection idle past the pool timeout is not reused"
    );

    // The server closes idle connections (as WeChat Pay does after ~8 s) before the client's
    // pool timeout: the next call still succeeds, on a new connection.
    let (url, connections) = idle_closing_server(Duration::from_millis(200)).await;
    let c = builder().base_url(url).build().unwrap();
    call(&c).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    call(&c).await;
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

/// A server that reads the request and answers with `reply` (raw bytes), then waits.
async fn raw_server(reply: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&reply).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    url
}

/// Transport errors say what happened: a refused connection, a silence, a garbage status line
/// and a 1 MB header each print their own cause (reqwest says `error sending request` for all).
#[tokio::test]
async fn transport_errors_name_their_cause() {
    let call = |url: String| async move {
        let c = builder()
            .base_url(url)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        c.chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err()
            .to_string()
    };
    let refused = call(dead_base_url()).await;
    assert!(refused.starts_with("transport error, connection refused:"), "{refused}");
    let silent = call(raw_server(Vec::new()).await).await;
    assert!(
        silent.starts_with("transport error, no answer within 500 ms (timeout):"),
        "{silent}"
    );
    let garbage = call(raw_server(b"HTTX/9 banana\r\n\r\n".to_vec()).await).await;
    assert!(
        garbage.starts_with("transport error, malformed HTTP answer:"),
        "{garbage}"
    );
    let huge = [
        b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec(),
        vec![b'a'; 1 << 20],
        b"\r\n\r\n".to_vec(),
    ]
    .concat();
    let huge = call(raw_server(huge).await).await;
    assert!(huge.starts_with("transport error, malformed HTTP answer:"), "{huge}");
    let cut = call(raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":".to_vec()).await).await;
    assert!(
        cut.starts_with("transport error, the body stalled: not complete within 500 ms (timeout):"),
        "{cut}"
    );
}

/// Three timeouts, each named with its length (issue 9, item 6): connect, the server silent
/// (read timeout, default 10 s) and the whole exchange (timeout, default 30 s).
#[tokio::test]
async fn the_read_timeout_ends_a_silence_before_the_total_timeout() {
    let call = |url: String| async move {
        let c = builder()
            .base_url(url)
            .timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let e = c
            .chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err();
        (e, started.elapsed())
    };
    let (silent, took) = call(raw_server(Vec::new()).await).await;
    assert!(
        took < Duration::from_secs(5),
        "the read timeout ends it, not the 20 s timeout: {took:?}"
    );
    assert!(
        matches!(
            silent,
            Error::Timeout {
                which: wechatpay::runtime::Timeout::ReadIdle,
                while_reading_body: false,
                ..
            }
        ),
        "{silent:?}"
    );
    assert!(
        silent
            .to_string()
            .starts_with("transport error, no answer: the server was silent for 300 ms (read timeout):"),
        "{silent}"
    );
    assert!(silent.is_retryable() && !silent.is_connect());

    let (stalled, took) =
        call(raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":".to_vec()).await).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        stalled
            .to_string()
            .starts_with("transport error, the body stalled: nothing for 300 ms (read timeout):"),
        "{stalled}"
    );
}

/// A server that closes every connection right after its answer, without saying so
/// (`Connection: close` absent): the client may pick the pooled connection before it sees the
/// close. Such a request was never written, and is sent again on a new connection (hyper-util's
/// `retry_canceled_requests`, on in reqwest); no call fails for it (issue 9, item 5).
#[tokio::test]
async fn a_connection_closed_right_after_its_answer_never_fails_a_call() {
    use std::sync::atomic::Ordering;
    let (url, connections) = idle_closing_server(Duration::from_millis(1)).await;
    let c = builder()
        .base_url(url)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for i in 0..40 {
        let e = c
            .chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Api { status: 404, .. }), "call {i}: {e:?}");
        if i % 4 == 0 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    assert!(
        connections.load(Ordering::SeqCst) >= 10,
        "the server closed its connections"
    );
}

/// A signed `204 No Content` in raw bytes, followed by `trailing` (bytes a broken server sends
/// as if they were a body), `sign_over` the body the signature covers.
fn no_content(sign_over: &[u8], trailing: &[u8]) -> Vec<u8> {
    let key = wechatpay_tests::mock::ResponseKey::wechatpay_public_key();
    let nonce = "n204";
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(sign_over);
    message.push(b'\n');
    let signature = key.sign_base64(&message);
    let mut raw = format!(
        "HTTP/1.1 204 No Content\r\nWechatpay-Timestamp: {timestamp}\r\nWechatpay-Nonce: {nonce}\r\nWechatpay-Signature: {signature}\r\nWechatpay-Serial: {}\r\nRequest-ID: 08F1-204\r\nContent-Length: {}\r\n\r\n",
        key.serial(),
        trailing.len()
    )
    .into_bytes();
    raw.extend_from_slice(trailing);
    raw
}

/// A 204 has no content (RFC 9110 §15.3.5): bytes after its headers are not its body. They
/// are not read as one, the signature is checked over the empty body WeChat Pay signs, and
/// they are never taken for the next answer on the connection (issue 9, item 8).
#[tokio::test]
async fn a_204_that_carries_a_body_is_an_empty_answer() {
    let call = |url: String| async move {
        let c = builder().base_url(url).timeout(Duration::from_secs(3)).build().unwrap();
        let first = c
            .chain("v3/x")
            .request(Method::POST)
            .json(&json!({}))
            .send_empty()
            .await;
        (c, first)
    };
    // Signed over the empty body, with 5 stray bytes: success.
    let (c, first) = call(raw_server(no_content(b"", b"hello")).await).await;
    first.unwrap();
    // The stray bytes are not the answer to a second call (which gets its own connection).
    c.chain("v3/x")
        .request(Method::POST)
        .json(&json!({}))
        .send_empty()
        .await
        .unwrap();
    // Signed over the stray bytes, as if they were the body: the signature does not cover what
    // the client received (nothing), so it is refused.
    let (_, first) = call(raw_server(no_content(b"hello", b"hello")).await).await;
    assert!(
        matches!(first, Err(Error::Verification(VerificationError::BadSignature { .. }))),
        "{first:?}"
    );
}

/// A server that reads each request and closes without answering: the call is sent twice
/// (the one re-send of a connection closed unanswered), never more, and fails naming the cause.
#[tokio::test]
async fn a_connection_closed_unanswered_is_resent_once_only() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            if stream.read(&mut buf).await.unwrap_or(0) > 0 {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            drop(stream);
        }
    });
    let c = builder().base_url(url).build().unwrap();
    let e = c
        .chain("v3/x")
        .request(Method::POST)
        .json(&json!({"out_trade_no": "1217752501201407033233368018"}))
        .send_empty()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("transport error, the connection was closed before an answer:"),
        "{e}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2, "sent once, re-sent once");
}
