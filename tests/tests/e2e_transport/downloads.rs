//! Downloads.

use super::*;

pub(super) fn file_reply(body: Vec<u8>) -> Reply {
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
        matches!(err, Error::Verification(VerificationError::NotWechatPay { .. })),
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
    fn statement(c: &Client) -> wechatpay::Request {
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
