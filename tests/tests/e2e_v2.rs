//! APIv2 calls (issue 13, the protocol layer) against a loopback server that plays WeChat Pay:
//! it checks each request's `sign` and signs its answers with the `openssl` command line (an
//! implementation independent of the client's), and answers as the platform does.

use std::io::Write as _;
use std::process::Command;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use wechatpay::runtime::v2::{self, ResultError, SignType};
use wechatpay::{Error, VerificationError};
use wechatpay_tests::merchant;

const KEY: &str = "TESTONLYv2key0123456789abcdefABC";

/// `sign` as openssl computes it: the sorted non-empty fields but `sign`, `&key=`, MD5 or
/// HMAC-SHA256, upper-case hex.
fn openssl_sign(fields: &[(String, String)], sign_type: SignType) -> String {
    let mut kept: Vec<&(String, String)> = fields.iter().filter(|(n, v)| n != "sign" && !v.is_empty()).collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text: String = kept.iter().map(|(n, v)| format!("{n}={v}&")).collect();
    text.push_str("key=");
    text.push_str(KEY);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut args = vec!["dgst", "-r"];
    match sign_type {
        SignType::Md5 => args.push("-md5"),
        SignType::HmacSha256 => args.extend(["-sha256", "-hmac", KEY]),
    }
    let out = Command::new("openssl")
        .args(&args)
        .arg(file.path())
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_ascii_uppercase()
}

fn xml_of(fields: &[(String, String)]) -> String {
    let mut out = String::from("<xml>");
    for (n, v) in fields {
        out.push_str(&format!("<{n}><![CDATA[{v}]]></{n}>"));
    }
    out.push_str("</xml>");
    out
}

/// What the server answers on `path`, having checked the request's `sign`.
fn answer(path: &str, request: &[(String, String)]) -> String {
    let sign_type = match v2::xml::field(request, "sign_type") {
        Some("HMAC-SHA256") => SignType::HmacSha256,
        _ => SignType::Md5,
    };
    let given = v2::xml::field(request, "sign").unwrap_or_default();
    if given != openssl_sign(request, sign_type) {
        return xml_of(&[
            ("return_code".into(), "FAIL".into()),
            ("return_msg".into(), "签名错误".into()),
        ]);
    }
    let mut fields: Vec<(String, String)> = vec![
        ("return_code".into(), "SUCCESS".into()),
        ("return_msg".into(), "OK".into()),
        ("appid".into(), "wx2421b1c4370ec43b".into()),
        ("mch_id".into(), "1900000001".into()),
        ("nonce_str".into(), "7Kl5ppMd1Kxrs9Zu".into()),
    ];
    match path {
        "/pay/busy" => fields.extend([
            ("result_code".into(), "FAIL".into()),
            ("err_code".into(), "SYSTEMERROR".into()),
            ("err_code_des".into(), "系统错误".into()),
        ]),
        _ => fields.extend([
            ("result_code".into(), "SUCCESS".into()),
            ("trade_state".into(), "SUCCESS".into()),
            ("total_fee".into(), "101".into()),
        ]),
    }
    let mut sign = openssl_sign(&fields, sign_type);
    if path == "/pay/badsign" {
        sign.replace_range(0..1, if sign.starts_with('A') { "B" } else { "A" });
    }
    fields.push(("sign".into(), sign));
    xml_of(&fields)
}

/// The loopback server; its base URL.
async fn server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: hyper::Request<Incoming>| async move {
                    let path = request.uri().path().to_owned();
                    let body = request.into_body().collect().await.unwrap().to_bytes();
                    let text = match v2::xml::read(&body, "xml") {
                        Ok(fields) => answer(&path, &fields),
                        Err(_) => "<xml><return_code>FAIL</return_code><return_msg>XML</return_msg></xml>".into(),
                    };
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(text))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

fn client(base_url: &str) -> wechatpay::Client {
    merchant()
        .wechatpay_public_key(
            wechatpay_tests::keys::WECHATPAY_PUBLIC_KEY_ID,
            wechatpay_tests::keys::WECHATPAY_PUB_PEM,
        )
        .base_url(base_url)
        .apiv2_key(KEY)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_signed_call_gets_a_verified_answer_with_either_sign_type() {
    let url = server().await;
    let c = client(&url);
    let request = [
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "1900000001"),
        ("out_trade_no", "T-1"),
    ];
    for sign_type in [SignType::Md5, SignType::HmacSha256] {
        let answer = c.post_v2("/pay/orderquery", &request, sign_type).await.unwrap();
        assert_eq!(v2::xml::field(&answer, "trade_state"), Some("SUCCESS"), "{sign_type:?}");
        assert_eq!(v2::xml::field(&answer, "total_fee"), Some("101"));
    }
}

#[tokio::test]
async fn failures_are_typed_and_a_bad_answer_is_never_used() {
    let url = server().await;
    let c = client(&url);
    let request = [("appid", "wx2421b1c4370ec43b"), ("mch_id", "1900000001")];
    let e = c.post_v2("/pay/badsign", &request, SignType::Md5).await.unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::BadSignature { .. })),
        "{e:?}"
    );
    let e = c.post_v2("/pay/busy", &request, SignType::Md5).await.unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "SYSTEMERROR"),
        "{e:?}"
    );
    assert!(e.is_retryable());
    // A request the platform cannot verify (another key): its unsigned FAIL, as it is.
    let wrong = merchant()
        .wechatpay_public_key(
            wechatpay_tests::keys::WECHATPAY_PUBLIC_KEY_ID,
            wechatpay_tests::keys::WECHATPAY_PUB_PEM,
        )
        .base_url(&url)
        .apiv2_key("00000000000000000000000000000000")
        .build()
        .unwrap();
    let e = wrong
        .post_v2("/pay/orderquery", &request, SignType::Md5)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Communication { return_msg, .. }) if return_msg == "签名错误"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    // No key, a sign given by hand: refused before anything is sent.
    let unkeyed = merchant()
        .wechatpay_public_key(
            wechatpay_tests::keys::WECHATPAY_PUBLIC_KEY_ID,
            wechatpay_tests::keys::WECHATPAY_PUB_PEM,
        )
        .base_url(&url)
        .build()
        .unwrap();
    assert!(matches!(
        unkeyed.post_v2("/pay/orderquery", &request, SignType::Md5).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        c.post_v2("/pay/orderquery", &[("sign", "X")], SignType::Md5).await,
        Err(Error::InvalidRequest(_))
    ));
    // The key never shows in the client's Debug.
    assert!(!format!("{c:?}").contains(KEY));
}
