//! APIv2 calls (issue 13) against a loopback server that plays WeChat Pay: it checks each
//! request's `sign` and signs its answers with the `openssl` command line (an implementation
//! independent of the client's), answers as the platform does, and, for mutual TLS, requires a
//! client certificate issued by a test CA that `openssl` makes.

use std::io::Write as _;
use std::process::Command;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use wechatpay::runtime::v2::{self, ResultError, SignType};
use wechatpay::{Error, VerificationError};
use wechatpay_tests::{keys, merchant};

mod mtls;
mod protocol;
mod typed;

const KEY: &str = keys::APIV2_KEY;

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

/// Runs `openssl` with `args` in `dir` (it must succeed): its standard output.
fn openssl(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn xml_of(fields: &[(String, String)]) -> String {
    let mut out = String::from("<xml>");
    for (n, v) in fields {
        out.push_str(&format!("<{n}><![CDATA[{v}]]></{n}>"));
    }
    out.push_str("</xml>");
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// What the server answers on `path`, having checked the request's `sign`.
fn answer(path: &str, request: &[(String, String)]) -> String {
    let sign_type = match v2::xml::field(request, "sign_type") {
        Some("HMAC-SHA256") => SignType::HmacSha256,
        _ => SignType::Md5,
    };
    let given = v2::xml::field(request, "sign").unwrap_or_default();
    if given != openssl_sign(request, sign_type) {
        return xml_of(&pairs(&[("return_code", "FAIL"), ("return_msg", "签名错误")]));
    }
    let mut fields = pairs(&[
        ("return_code", "SUCCESS"),
        ("return_msg", "OK"),
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "1900000001"),
        ("nonce_str", "7Kl5ppMd1Kxrs9Zu"),
    ]);
    match path {
        "/pay/busy" => fields.extend(pairs(&[
            ("result_code", "FAIL"),
            ("err_code", "SYSTEMERROR"),
            ("err_code_des", "系统错误"),
        ])),
        // A bill: the file itself, unsigned; XML only when there is none.
        "/pay/downloadbill" if v2::xml::field(request, "bill_date") == Some("20990101") => {
            return xml_of(&pairs(&[("return_code", "FAIL"), ("return_msg", "No Bill Exist")]));
        }
        "/pay/downloadbill" => return BILL.into(),
        // Red packets answer unsigned.
        "/mmpaymkttransfers/sendredpack" => {
            fields.retain(|(n, _)| n != "nonce_str");
            fields.extend(pairs(&[
                ("result_code", "SUCCESS"),
                ("mch_billno", v2::xml::field(request, "mch_billno").unwrap_or_default()),
                (
                    "total_amount",
                    v2::xml::field(request, "total_amount").unwrap_or_default(),
                ),
                ("send_listid", "100000000020150520314766074200"),
            ]));
            return xml_of(&fields);
        }
        _ => fields.extend(pairs(&[
            ("result_code", "SUCCESS"),
            ("trade_state", "SUCCESS"),
            ("total_fee", "101"),
            (
                "out_trade_no",
                v2::xml::field(request, "out_trade_no").unwrap_or_default(),
            ),
            ("coupon_count", "2"),
            ("coupon_fee_1", "41"),
            ("coupon_fee_0", "60"),
            ("coupon_id_0", "10000"),
            ("coupon_id_1", "10001"),
        ])),
    }
    let mut sign = openssl_sign(&fields, sign_type);
    if path == "/pay/badsign" {
        sign.replace_range(0..1, if sign.starts_with('A') { "B" } else { "A" });
    }
    fields.push(("sign".into(), sign));
    xml_of(&fields)
}

/// The bill `/pay/downloadbill` serves.
const BILL: &str = "交易时间,公众账号ID,商户号,总金额\n`2026-11-30 10:00:00,`wx2421b1c4370ec43b,`1900000001,`1.01\n";

/// The requests a server received: path and fields (none for a body that is not APIv2 XML).
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// Serves one connection (plain or TLS) with the APIv2 answers.
async fn serve<S>(stream: S, seen: Seen)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let seen = seen.clone();
        async move {
            let path = request.uri().path().to_owned();
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let text = match v2::xml::read(&body, "xml") {
                Ok(fields) => {
                    let text = answer(&path, &fields);
                    seen.lock().unwrap().push((path, fields));
                    text
                }
                Err(_) => {
                    // Recorded too (with no fields): a test counts every request that arrived.
                    seen.lock().unwrap().push((path, Vec::new()));
                    "<xml><return_code>FAIL</return_code><return_msg>XML</return_msg></xml>".into()
                }
            };
            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(text))))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

/// The plain-HTTP loopback server: its base URL and what it received.
async fn server() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let recorded = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(stream, recorded.clone()));
        }
    });
    (url, seen)
}

fn builder(base_url: &str) -> wechatpay::ClientBuilder {
    merchant()
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(base_url)
        .apiv2_key(KEY)
}

fn client(base_url: &str) -> wechatpay::Client {
    builder(base_url).build().unwrap()
}
