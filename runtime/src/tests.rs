//! Unit tests of the runtime. Keys are generated at test time with the `openssl` CLI, and
//! signatures are cross-checked with it (an independent implementation).

#[path = "../tests/common/keys.rs"]
mod keys;

use keys::{keys, openssl_sign, openssl_verify, MCHID, MERCHANT_SERIAL, PLATFORM_CERT_SERIAL, PUB_KEY_ID};
use reqwest::header::{HeaderMap, HeaderValue};

use super::client::Client;
use super::crypto::{self, SignatureHeaders};
use super::request::Parts;
use super::send::{check_response, sign_request};
use super::*;

fn client() -> Client {
    client_with(|b| b)
}

fn client_with(f: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
    let k = keys();
    f(Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&k.merchant_pkcs8)
        .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
        .base_url("http://127.0.0.1:9"))
    .build()
    .expect("test client builds")
}

const TS: i64 = 1_700_000_000;
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

// ---------------------------------------------------------------- signing

fn parse_authorization(value: &str) -> Vec<(String, String)> {
    let rest = value
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap_or_else(|| panic!("bad scheme: {value}"));
    rest.split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("bad field {kv:?}"));
            assert!(
                v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                "unquoted {kv:?}"
            );
            (k.to_owned(), v[1..v.len() - 1].to_owned())
        })
        .collect()
}

#[test]
fn authorization_header_format_and_field_order() {
    let c = client();
    let parts = Parts::for_test(Method::POST, "/v3/offlineface/authinfo", "", Some(br#"{"a":1}"#));
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    let auth = signed.request.headers()["authorization"].to_str().unwrap().to_owned();
    assert!(signed.request.headers()["authorization"].is_sensitive());
    assert_eq!(auth.matches(' ').count(), 1, "one space only: {auth}");
    let fields = parse_authorization(&auth);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["mchid", "serial_no", "timestamp", "nonce_str", "signature"]);
    assert_eq!(fields[0].1, MCHID);
    assert_eq!(fields[1].1, MERCHANT_SERIAL);
    assert_eq!(fields[2].1, TS.to_string());
    assert_eq!(fields[3].1, NONCE);
    let expected_prefix = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{MCHID}\",serial_no=\"{MERCHANT_SERIAL}\",timestamp=\"{TS}\",nonce_str=\"{NONCE}\",signature=\""
    );
    assert!(auth.starts_with(&expected_prefix), "{auth}");
    assert_eq!(signed.request.headers()["accept"], "application/json");
    assert_eq!(signed.request.headers()["content-type"], "application/json");
}

#[test]
fn merchant_serial_is_uppercased() {
    let c = client_with(|b| b.merchant_serial(MERCHANT_SERIAL.to_ascii_lowercase()));
    assert_eq!(c.merchant_serial(), MERCHANT_SERIAL);
}

#[test]
fn signed_message_and_openssl_cross_check() {
    let c = client();
    let body = br#"{"sp_appid":"wx1","raw_data":"a b"}"#;
    let parts = Parts::for_test(Method::POST, "/v3/x/y", "?a=1&b=c%20d", Some(body));
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    let expected = format!(
        "POST\n/v3/x/y?a=1&b=c%20d\n{TS}\n{NONCE}\n{}\n",
        std::str::from_utf8(body).unwrap()
    );
    assert_eq!(String::from_utf8(signed.message.clone()).unwrap(), expected);
    assert_eq!(signed.request.url().as_str(), "http://127.0.0.1:9/v3/x/y?a=1&b=c%20d");
    assert_eq!(signed.request.body().and_then(|b| b.as_bytes()), Some(&body[..]));

    let auth = signed.request.headers()["authorization"].to_str().unwrap().to_owned();
    let signature = parse_authorization(&auth).pop().unwrap().1;
    let k = keys();
    assert!(openssl_verify(&k.merchant_pub_path, expected.as_bytes(), &signature));
    // The check can fail: a different message or a different key is rejected by openssl.
    assert!(!openssl_verify(&k.merchant_pub_path, b"POST\n/v3/x/z\n", &signature));
    let other = keys::temp_path("other_pub.pem");
    std::fs::write(&other, &k.other_pub).unwrap();
    assert!(!openssl_verify(&other, expected.as_bytes(), &signature));
}

#[test]
fn get_without_body_signs_empty_body_and_sends_no_content_type() {
    let c = client();
    let parts = Parts::for_test(Method::GET, "/v3/certificates", "", None);
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(
        signed.message,
        format!("GET\n/v3/certificates\n{TS}\n{NONCE}\n\n").into_bytes()
    );
    assert!(signed.request.headers().get("content-type").is_none());
    assert!(signed.request.body().is_none());
}

#[test]
fn target_comes_from_the_final_url() {
    // chain() takes the path as given; the URL parser normalises it and the signature must
    // cover what is sent, not the text given.
    let c = client_with(|b| b.base_url("http://127.0.0.1:9/prefix/"));
    let parts = c.chain("v3/a b/./c").request(Method::GET).into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.url().path(), "/prefix/v3/a%20b/c");
    assert!(signed.message.starts_with(b"GET\n/prefix/v3/a%20b/c\n"));
}

#[test]
fn a_query_in_a_chain_path_is_kept_and_extended() {
    let c = client_with(|b| b.base_url("http://127.0.0.1:9"));
    let parts = c.chain("v3/x?a=1").request(Method::GET).query("b", "2 3").into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.url().as_str(), "http://127.0.0.1:9/v3/x?a=1&b=2%203");
    assert!(signed.message.starts_with(b"GET\n/v3/x?a=1&b=2%203\n"));
}

#[test]
fn pkcs1_and_pkcs8_keys_load_and_sign_identically() {
    let k = keys();
    let p8 = RsaSigner::from_pem(&k.merchant_pkcs8).unwrap();
    let p1 = RsaSigner::from_pem(&k.merchant_pkcs1).unwrap();
    assert_eq!(p8.modulus_bits(), 2048);
    // PKCS#1 v1.5 signatures are deterministic: same key → same signature.
    assert_eq!(p8.sign(b"hello").unwrap(), p1.sign(b"hello").unwrap());
    assert!(openssl_verify(
        &k.merchant_pub_path,
        b"hello",
        &p1.sign(b"hello").unwrap()
    ));
    // Both load through the builder too.
    client_with(|b| b.private_key_pem(&k.merchant_pkcs1));
}

fn config_error(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        Err(other) => panic!("expected Error::Config, got {other:?}"),
        Ok(_) => panic!("expected Error::Config, got a client"),
    }
}

#[test]
fn bad_pem_is_a_clear_error_not_a_panic() {
    let k = keys();
    let build = |pem: &str| {
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(pem)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .build()
    };
    let msg = config_error(build("not a pem"));
    assert!(msg.contains("private key") && msg.contains("PEM"), "{msg}");
    let msg = config_error(build(&k.wechatpay_pub));
    assert!(
        msg.contains("no private key found") && msg.contains("BEGIN PUBLIC KEY"),
        "{msg}"
    );
    let msg = config_error(build(""));
    assert!(msg.contains("private key"), "{msg}");
    // A PEM frame whose DER is garbage.
    let garbage = "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
    let msg = config_error(build(garbage));
    assert!(msg.contains("not a usable RSA key"), "{msg}");
    assert!(!msg.contains("TUlJRXZRSUJBREFO"), "key material in error: {msg}");
    // Truncated PEM.
    let truncated = &k.merchant_pkcs8[..k.merchant_pkcs8.len() / 2];
    let msg = config_error(build(truncated));
    assert!(msg.contains("private key"), "{msg}");
    // Bad public key / certificate.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.merchant_pkcs8)
            .build(),
    );
    assert!(msg.contains(PUB_KEY_ID) && msg.contains("no public key found"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .platform_certificate_pem(&k.wechatpay_pub)
            .build(),
    );
    assert!(msg.contains("no certificate found"), "{msg}");
    // Missing file names the file.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_file("/nonexistent/apiclient_key.pem")
            .build(),
    );
    assert!(msg.contains("/nonexistent/apiclient_key.pem"), "{msg}");
}

#[test]
fn builder_requires_each_piece() {
    let k = keys();
    let msg = config_error(Client::builder().build());
    assert!(msg.contains("mchid"), "{msg}");
    let msg = config_error(Client::builder().mchid(MCHID).build());
    assert!(msg.contains("merchant_serial"), "{msg}");
    let msg = config_error(Client::builder().mchid(MCHID).merchant_serial(MERCHANT_SERIAL).build());
    assert!(msg.contains("private key"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .build(),
    );
    assert!(msg.contains("verify"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial("not-hex\"")
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .build(),
    );
    assert!(msg.contains("merchant_serial"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .base_url("ftp://example.com")
            .build(),
    );
    assert!(msg.contains("base_url"), "{msg}");
}

#[test]
fn nonce_is_32_alphanumeric_and_random() {
    let mut seen = std::collections::HashSet::new();
    let mut chars = std::collections::HashSet::new();
    for _ in 0..2000 {
        let n = nonce();
        assert_eq!(n.len(), 32, "{n}");
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()), "{n}");
        chars.extend(n.chars());
        assert!(seen.insert(n), "duplicate nonce");
    }
    // 64 000 draws over 62 symbols: every symbol shows up.
    assert_eq!(chars.len(), 62);
}

// ---------------------------------------------------------------- verification

struct Response {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: String,
}

impl Response {
    /// A response signed by `openssl dgst -sign` with the key that `serial` names.
    fn signed(serial: &str, timestamp: i64, body: &[u8]) -> Self {
        let nonce = "NONCE123nonce456";
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        Response {
            timestamp: timestamp.to_string(),
            nonce: nonce.into(),
            signature: openssl_sign(keys::signing_key_for(serial), &message),
            serial: serial.into(),
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("Wechatpay-Timestamp", HeaderValue::from_str(&self.timestamp).unwrap());
        h.insert("Wechatpay-Nonce", HeaderValue::from_str(&self.nonce).unwrap());
        h.insert("Wechatpay-Signature", HeaderValue::from_str(&self.signature).unwrap());
        h.insert("Wechatpay-Serial", HeaderValue::from_str(&self.serial).unwrap());
        h
    }
}

fn verify(c: &Client, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), VerificationError> {
    c.inner.verifier.verify(&SignatureHeaders::from_map(headers), body, now)
}

#[test]
fn verification_accepts_a_good_response() {
    let c = client();
    let body = br#"{"authinfo":"abc"}"#;
    let r = Response::signed(PUB_KEY_ID, TS, body);
    assert_eq!(verify(&c, &r.headers(), body, TS), Ok(()));
    // Within the window either way.
    assert_eq!(verify(&c, &r.headers(), body, TS + 300), Ok(()));
    assert_eq!(verify(&c, &r.headers(), body, TS - 300), Ok(()));
    // Through the full response check too.
    check_response(&c.inner, 200, &r.headers(), body, TS).unwrap();
}

#[test]
fn verification_rejects_each_missing_header() {
    let c = client();
    let body = br#"{"a":1}"#;
    let r = Response::signed(PUB_KEY_ID, TS, body);
    for name in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let mut h = r.headers();
        h.remove(name);
        assert_eq!(verify(&c, &h, body, TS), Err(VerificationError::MissingHeader(name)));
        match check_response(&c.inner, 200, &h, body, TS) {
            Err(Error::Verification(VerificationError::MissingHeader(n))) => assert_eq!(n, name),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn verification_rejects_stale_timestamps_both_ways() {
    let c = client();
    let body = b"{}";
    let r = Response::signed(PUB_KEY_ID, TS, body);
    assert_eq!(
        verify(&c, &r.headers(), body, TS + 301),
        Err(VerificationError::StaleTimestamp {
            timestamp: TS,
            now: TS + 301
        })
    );
    assert_eq!(
        verify(&c, &r.headers(), body, TS - 301),
        Err(VerificationError::StaleTimestamp {
            timestamp: TS,
            now: TS - 301
        })
    );
    let mut h = r.headers();
    h.insert("Wechatpay-Timestamp", HeaderValue::from_static("17e8"));
    assert!(matches!(
        verify(&c, &h, body, TS),
        Err(VerificationError::InvalidHeader {
            name: "Wechatpay-Timestamp",
            ..
        })
    ));
}

#[test]
fn verification_rejects_unknown_serial() {
    let c = client();
    let body = b"{}";
    let r = Response::signed("PUB_KEY_ID_0000UNKNOWN", TS, body);
    let err = verify(&c, &r.headers(), body, TS).unwrap_err();
    assert_eq!(err, VerificationError::UnknownSerial("PUB_KEY_ID_0000UNKNOWN".into()));
    assert!(err.to_string().contains("PUB_KEY_ID_0000UNKNOWN"));
}

#[test]
fn verification_rejects_tampered_body_and_bad_signatures() {
    let c = client();
    let body = br#"{"amount":100}"#;
    let r = Response::signed(PUB_KEY_ID, TS, body);
    assert_eq!(
        verify(&c, &r.headers(), br#"{"amount":900}"#, TS),
        Err(VerificationError::BadSignature {
            serial: PUB_KEY_ID.into()
        })
    );
    // Re-serialised body (whitespace changed): also rejected.
    assert!(verify(&c, &r.headers(), br#"{"amount": 100}"#, TS).is_err());
    // Tampered nonce.
    let mut h = r.headers();
    h.insert("Wechatpay-Nonce", HeaderValue::from_static("other"));
    assert!(matches!(
        verify(&c, &h, body, TS),
        Err(VerificationError::BadSignature { .. })
    ));
    // Not base64.
    let mut h = r.headers();
    h.insert("Wechatpay-Signature", HeaderValue::from_static("***"));
    assert!(matches!(
        verify(&c, &h, body, TS),
        Err(VerificationError::InvalidHeader {
            name: "Wechatpay-Signature",
            ..
        })
    ));
    // A 2xx with a bad signature is an error even though the body is fine JSON.
    match check_response(&c.inner, 200, &r.headers(), br#"{"amount":900}"#, TS) {
        Err(Error::Verification(VerificationError::BadSignature { .. })) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn verification_with_wrong_key_fails() {
    // The public key id is configured with an unrelated key: the signature must not verify.
    let k = keys();
    let c = client_with(|b| b.wechatpay_public_key(PUB_KEY_ID, &k.other_pub));
    let body = b"{}";
    let r = Response::signed(PUB_KEY_ID, TS, body);
    assert!(matches!(
        verify(&c, &r.headers(), body, TS),
        Err(VerificationError::BadSignature { .. })
    ));
}

#[test]
fn platform_certificate_and_public_key_together() {
    let k = keys();
    let c = client_with(|b| b.platform_certificate_pem(&k.platform_cert));
    let body = br#"{"x":"y"}"#;
    // Within the test certificate's validity (it is made for this test run).
    let ts = crate::crypto::unix_now();
    let r = Response::signed(PLATFORM_CERT_SERIAL, ts, body);
    assert_eq!(verify(&c, &r.headers(), body, ts), Ok(()));
    // Serial lookup tolerates lowercase hex.
    let r = Response::signed(&PLATFORM_CERT_SERIAL.to_ascii_lowercase(), ts, body);
    assert_eq!(verify(&c, &r.headers(), body, ts), Ok(()));
    let r = Response::signed(PUB_KEY_ID, ts, body);
    assert_eq!(verify(&c, &r.headers(), body, ts), Ok(()));
    // Certificate-only client.
    let only_cert = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&k.merchant_pkcs8)
        .platform_certificate_pem(&k.platform_cert)
        .build()
        .unwrap();
    let r = Response::signed(PLATFORM_CERT_SERIAL, ts, body);
    assert_eq!(verify(&only_cert, &r.headers(), body, ts), Ok(()));
    let r = Response::signed(PUB_KEY_ID, ts, body);
    assert_eq!(
        verify(&only_cert, &r.headers(), body, ts),
        Err(VerificationError::UnknownSerial(PUB_KEY_ID.into()))
    );
}

#[test]
fn empty_body_204_is_verified_over_empty_body() {
    let c = client();
    let r = Response::signed(PUB_KEY_ID, TS, b"");
    check_response(&c.inner, 204, &r.headers(), b"", TS).unwrap();
    assert!(check_response(&c.inner, 204, &r.headers(), b"x", TS).is_err());
}

#[test]
fn non_2xx_is_an_api_error_without_signature() {
    let c = client();
    let mut h = HeaderMap::new();
    h.insert("Request-ID", HeaderValue::from_static("08F4E3C5B006100118"));
    let body = br#"{"code":"PARAM_ERROR","message":"bad out_trade_no","detail":{"field":"out_trade_no"}}"#;
    match check_response(&c.inner, 400, &h, body, TS) {
        Err(e @ Error::Api { .. }) => {
            assert_eq!(e.api_code(), Some("PARAM_ERROR"));
            assert!(!e.is_retryable());
            let text = e.to_string();
            assert!(
                text.contains("400") && text.contains("PARAM_ERROR") && text.contains("08F4E3C5B006100118"),
                "{text}"
            );
            let Error::Api {
                status,
                code,
                message,
                detail,
                request_id,
                body: raw,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(status, 400);
            assert_eq!(code, "PARAM_ERROR");
            assert_eq!(message, "bad out_trade_no");
            assert_eq!(detail.as_deref(), Some(&serde_json::json!({"field": "out_trade_no"})));
            assert_eq!(request_id.as_deref(), Some("08F4E3C5B006100118"));
            assert_eq!(raw.as_bytes(), body);
        }
        other => panic!("{other:?}"),
    }
    let html = b"<html><body>502 Bad Gateway</body></html>";
    match check_response(&c.inner, 502, &HeaderMap::new(), html, TS) {
        Err(e @ Error::Api { .. }) => {
            assert!(e.is_retryable());
            let Error::Api {
                status,
                code,
                message,
                body,
                request_id,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!((status, code.as_str(), message.as_str()), (502, "", ""));
            assert_eq!(body.as_bytes(), html);
            assert_eq!(request_id, None);
        }
        other => panic!("{other:?}"),
    }
    let sys = br#"{"code":"SYSTEM_ERROR","message":"busy"}"#;
    assert!(check_response(&c.inner, 500, &h, sys, TS).unwrap_err().is_retryable());
}

#[test]
fn notification_helpers_verify_like_responses() {
    let c = client();
    let body = br#"{"id":"EV-2018022511223320873","event_type":"TRANSACTION.SUCCESS"}"#;
    let now = crypto::unix_now();
    let r = Response::signed(PUB_KEY_ID, now, body);
    assert_eq!(c.verify_notification(&r.headers(), body), Ok(()));
    assert!(c.verify_notification(&r.headers(), b"{}").is_err());
    assert_eq!(
        c.verify_signature(
            Some(&r.timestamp),
            Some(&r.nonce),
            Some(&r.signature),
            Some(&r.serial),
            body
        ),
        Ok(())
    );
    assert_eq!(
        c.verify_signature(Some(&r.timestamp), None, Some(&r.signature), Some(&r.serial), body),
        Err(VerificationError::MissingHeader("Wechatpay-Nonce"))
    );
}

// ---------------------------------------------------------------- URL building

fn url_of(parts: Parts) -> String {
    let c = client();
    sign_request(&c.inner, parts, TS, NONCE)
        .unwrap()
        .request
        .url()
        .as_str()
        .to_owned()
}

#[test]
fn path_params_are_percent_encoded_once() {
    let c = client();
    let route = Route::new(&c)
        .push("v3")
        .push("pay")
        .push("out-trade-no")
        .push_param(&"a/b c");
    assert_eq!(route.path(), "/v3/pay/out-trade-no/a%2Fb%20c");
    let route = Route::new(&c).push("x").push_param(&"100%").push_param(&"%41");
    assert_eq!(route.path(), "/x/100%25/%2541");
    let route = Route::new(&c)
        .push("x")
        .push_param(&"AbC-._~09")
        .push_param(&"订单?#&=+")
        .push_param(&42u64);
    assert_eq!(route.path(), "/x/AbC-._~09/%E8%AE%A2%E5%8D%95%3F%23%26%3D%2B/42");
    // The wire URL keeps the encoding exactly (no double encoding, no decoding).
    let parts = Route::new(&c)
        .push("v3")
        .push_param(&"a/b c%2F")
        .request(Method::GET)
        .into_parts();
    assert_eq!(url_of(parts), "http://127.0.0.1:9/v3/a%2Fb%20c%252F");
}

#[test]
fn dot_and_empty_path_params_are_rejected() {
    let c = client();
    for bad in ["", ".", ".."] {
        let parts = Route::new(&c)
            .push("v3")
            .push_param(&bad)
            .push("x")
            .request(Method::GET)
            .into_parts();
        match sign_request(&c.inner, parts, TS, NONCE) {
            Err(Error::InvalidRequest(msg)) => assert!(msg.contains("path parameter"), "{msg}"),
            Err(other) => panic!("{bad:?}: {other:?}"),
            Ok(_) => panic!("{bad:?} accepted"),
        }
    }
    // A dot inside a value is fine.
    let parts = Route::new(&c)
        .push("v3")
        .push_param(&"a.b")
        .request(Method::GET)
        .into_parts();
    assert_eq!(url_of(parts), "http://127.0.0.1:9/v3/a.b");
}

#[test]
fn query_is_encoded_in_call_order() {
    let c = client();
    let parts = Route::new(&c)
        .push("v3")
        .request(Method::GET)
        .query("mchid", "1900000001")
        .query_opt::<String>("skipped", None)
        .query("q", "x y&z=1/2%")
        .query_opt("limit", Some(&10))
        .query("flag", &true)
        .into_parts();
    let url = url_of(parts);
    assert_eq!(
        url,
        "http://127.0.0.1:9/v3?mchid=1900000001&q=x%20y%26z%3D1%2F2%25&limit=10&flag=true"
    );
}

#[test]
fn invalid_headers_and_encode_errors_surface_when_the_call_runs() {
    let c = client();
    let parts = c
        .chain("/v3/x")
        .request(Method::POST)
        .header("Bad Header", "v")
        .into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::InvalidRequest(_))
    ));
    let parts = c
        .chain("/v3/x")
        .request(Method::POST)
        .header("X-Ok", "line\nbreak")
        .into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::InvalidRequest(_))
    ));
    // A map with non-string keys cannot be JSON.
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1u8], 1);
    let parts = c.chain("/v3/x").request(Method::POST).json(&map).into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::Encode(_))
    ));
    // Custom headers are sent (names case-insensitive).
    let parts = c
        .chain("v3/x")
        .request(Method::POST)
        .header("Wechatpay-Serial", PUB_KEY_ID)
        .header_opt("X-Skipped", None)
        .into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.headers()["wechatpay-serial"], PUB_KEY_ID);
    assert!(signed.request.headers().get("x-skipped").is_none());
}

// ---------------------------------------------------------------- secrets, blocking, env

#[test]
fn debug_shows_no_key_material() {
    let k = keys();
    let c = client_with(|b| b.platform_certificate_pem(&k.platform_cert));
    let debug = format!("{c:?}");
    assert!(
        debug.contains(MCHID) && debug.contains(PUB_KEY_ID) && debug.contains(PLATFORM_CERT_SERIAL),
        "{debug}"
    );
    let builder = Client::builder().private_key_pem(&k.merchant_pkcs8);
    let signer = RsaSigner::from_pem(&k.merchant_pkcs8).unwrap();
    for text in [
        debug,
        format!("{builder:?}"),
        format!("{builder:#?}"),
        format!("{signer:?}"),
    ] {
        for pem in [&k.merchant_pkcs8, &k.merchant_pkcs1] {
            for line in pem.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(&line[..16.min(line.len())]), "key material in {text}");
            }
        }
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
}

#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error_not_a_panic() {
    let c = client();
    let result = c
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .blocking();
    assert!(matches!(result, Err(Error::Blocking)), "{result:?}");
}

#[test]
fn blocking_runs_and_client_can_be_dropped_in_async_code() {
    // Port 9 (discard) on loopback: nothing listens, so the call fails fast with a transport
    // error, after the blocking runtime was created.
    let c = client_with(|b| b.base_url("http://127.0.0.1:1"));
    let result = c
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .blocking();
    assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // Dropping the last handle (and the blocking runtime) inside async code must not panic.
        drop(c);
    });
}

#[test]
fn from_env_names_the_missing_or_bad_variable() {
    let k = keys();
    let priv_path = keys::temp_path("apiclient_key.pem");
    std::fs::write(&priv_path, &k.merchant_pkcs8).unwrap();
    let priv_path = priv_path.to_str().unwrap().to_owned();
    let pub_path = k.wechatpay_pub_path.to_str().unwrap().to_owned();
    let full = |overrides: &[(&str, Option<&str>)]| {
        let mut vars: std::collections::HashMap<String, String> = [
            ("WECHATPAY_MCHID", MCHID),
            ("WECHATPAY_SERIAL", MERCHANT_SERIAL),
            ("WECHATPAY_PRIVATE_KEY", priv_path.as_str()),
            ("WECHATPAY_PUBLIC_KEY", pub_path.as_str()),
            ("WECHATPAY_PUBLIC_KEY_ID", PUB_KEY_ID),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        for (name, value) in overrides {
            match value {
                Some(v) => vars.insert(name.to_string(), v.to_string()),
                None => vars.remove(*name),
            };
        }
        Client::from_lookup(move |name| vars.get(name).cloned().ok_or(std::env::VarError::NotPresent))
    };
    let c = full(&[]).unwrap();
    assert_eq!(c.base_url(), DEFAULT_BASE_URL);
    assert_eq!(
        full(&[("WECHATPAY_BASE_URL", Some("http://127.0.0.1:8080/"))])
            .unwrap()
            .base_url(),
        "http://127.0.0.1:8080"
    );
    for name in [
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_PUBLIC_KEY",
        "WECHATPAY_PUBLIC_KEY_ID",
    ] {
        let msg = config_error(full(&[(name, None)]));
        assert!(msg.contains(name) && msg.contains("not set"), "{msg}");
        let msg = config_error(full(&[(name, Some("  "))]));
        assert!(msg.contains(name), "{msg}");
    }
    let msg = config_error(full(&[("WECHATPAY_PRIVATE_KEY", Some("/nonexistent/key.pem"))]));
    assert!(
        msg.contains("WECHATPAY_PRIVATE_KEY") && msg.contains("/nonexistent/key.pem"),
        "{msg}"
    );
    // The public key file given as private key: names variable and file.
    let msg = config_error(full(&[("WECHATPAY_PRIVATE_KEY", Some(pub_path.as_str()))]));
    assert!(
        msg.contains("WECHATPAY_PRIVATE_KEY") && msg.contains(&pub_path),
        "{msg}"
    );
    let msg = config_error(full(&[("WECHATPAY_PUBLIC_KEY", Some(priv_path.as_str()))]));
    assert!(
        msg.contains("WECHATPAY_PUBLIC_KEY") && msg.contains(&priv_path),
        "{msg}"
    );
    assert!(!msg.contains("MII"), "key material in {msg}");
    // The APIv3 key is optional, and never shown.
    assert!(format!("{c:?}").contains("apiv3_key: None"), "{c:?}");
    let key = "0123456789abcdef0123456789abcdef";
    let with_key = full(&[("WECHATPAY_APIV3_KEY", Some(key))]).unwrap();
    let shown = format!("{with_key:?}");
    assert!(
        shown.contains("apiv3_key: Some(\"<configured>\")") && !shown.contains(key),
        "{shown}"
    );
    assert!(full(&[("WECHATPAY_APIV3_KEY", Some("short"))]).is_err());
}

// ---------------------------------------------------------------- enums

#[derive(Debug, PartialEq)]
enum TradeState {
    Success,
    Unknown(UnknownValue),
}

impl From<&str> for TradeState {
    fn from(value: &str) -> Self {
        match value {
            "SUCCESS" => TradeState::Success,
            other => TradeState::Unknown(UnknownValue::new(other)),
        }
    }
}

#[derive(serde::Deserialize, Debug)]
struct WithEnum {
    #[serde(deserialize_with = "__private::deserialize_enum")]
    state: TradeState,
}

#[test]
fn enums_keep_unknown_values() {
    let v: WithEnum = serde_json::from_str(r#"{"state":"SUCCESS"}"#).unwrap();
    assert_eq!(v.state, TradeState::Success);
    let v: WithEnum = serde_json::from_str(r#"{"state":"NEW_STATE"}"#).unwrap();
    assert_eq!(v.state, TradeState::Unknown(UnknownValue::new("NEW_STATE")));
    if let TradeState::Unknown(u) = &v.state {
        assert_eq!(u.as_str(), "NEW_STATE");
        assert_eq!(serde_json::to_string(u).unwrap(), r#""NEW_STATE""#);
    }
    // Escaped strings (not borrowable) work too; non-strings are an error.
    let v: WithEnum = serde_json::from_str(r#"{"state":"A\u0042"}"#).unwrap();
    assert_eq!(v.state, TradeState::Unknown(UnknownValue::new("AB")));
    assert!(serde_json::from_str::<WithEnum>(r#"{"state":1}"#).is_err());
}

#[test]
fn call_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let c = client();
    let fut =
        std::future::IntoFuture::into_future(c.chain("v3/x").request(Method::GET).send_json::<serde_json::Value>());
    assert_send(&fut);
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    // Small enough for `Result<T, Error>` everywhere (clippy's result_large_err limit).
    assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
}

// ---------------------------------------------------------------- notifications

/// Known answers computed with Python `cryptography` (AESGCM), an independent implementation.
const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";
const GCM_NONCE: &str = "fdasflkja484";
const GCM_CIPHERTEXT: &str =
    "kdUy8AAEd+F97t+v/8pygRXsZH8tC3RjNMxky9nmEGoawi1zMcq0TvvltZKAAMaMxWCbzg3+F6b5JL6aqsEkITr9C6Ln9j4azPYkXVy2j7uKlg==";
const GCM_PLAIN: &str = r#"{"mchid":"1900000001","out_trade_no":"T1","trade_state":"SUCCESS"}"#;

#[test]
fn aes_gcm_resource_decrypts_known_answers() {
    let key = ApiV3Key::new(APIV3_KEY).unwrap();
    let plain = key.decrypt("transaction", GCM_NONCE, GCM_CIPHERTEXT).unwrap();
    assert_eq!(plain, GCM_PLAIN.as_bytes());
    // Empty associated data.
    assert_eq!(
        key.decrypt("", GCM_NONCE, "gpIz/wfE6qK4er7oF1Ajm2nDaIoZ").unwrap(),
        b"hello"
    );
    // Wrong AAD, wrong key, wrong nonce, tampered ciphertext: all rejected.
    assert!(matches!(
        key.decrypt("refund", GCM_NONCE, GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    let other = ApiV3Key::new("vutsrqponmlkjihgfedcba9876543210").unwrap();
    assert!(matches!(
        other.decrypt("transaction", GCM_NONCE, GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    assert!(matches!(
        key.decrypt("transaction", "fdasflkja485", GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    assert!(matches!(
        key.decrypt("transaction", "short", GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    let mut tampered = GCM_CIPHERTEXT.to_owned();
    tampered.replace_range(0..1, "A");
    assert!(matches!(
        key.decrypt("transaction", GCM_NONCE, &tampered),
        Err(Error::Decrypt(_))
    ));
    // Bad key length is a config error that does not echo the key.
    match ApiV3Key::new("secret-but-too-short") {
        Err(Error::Config(msg)) => assert!(!msg.contains("secret"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(format!("{key:?}"), "ApiV3Key(<redacted>)");
}

#[test]
fn parse_and_decrypt_a_notification() {
    let c = client_with(|b| b.apiv3_key(APIV3_KEY));
    assert!(!format!("{c:?}").contains(APIV3_KEY));
    assert!(!format!("{:?}", Client::builder().apiv3_key(APIV3_KEY)).contains(APIV3_KEY));
    let body = serde_json::json!({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": GCM_CIPHERTEXT,
            "associated_data": "transaction",
            "nonce": GCM_NONCE
        }
    })
    .to_string();
    let r = Response::signed(PUB_KEY_ID, crypto::unix_now(), body.as_bytes());
    let n = c.parse_notification(&r.headers(), body.as_bytes()).unwrap();
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(c.decrypt_resource(&n.resource).unwrap(), GCM_PLAIN.as_bytes());
    // Unverified body: rejected before parsing.
    assert!(matches!(
        c.parse_notification(&r.headers(), body.replace("SUCCESS", "REFUND").as_bytes()),
        Err(Error::Verification(VerificationError::BadSignature { .. }))
    ));
    // No APIv3 key configured.
    assert!(matches!(client().decrypt_resource(&n.resource), Err(Error::Config(_))));
    // Invalid APIv3 key length fails the build.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&keys().merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &keys().wechatpay_pub)
            .apiv3_key("short")
            .build(),
    );
    assert!(msg.contains("APIv3 key must be 32 bytes"), "{msg}");
}

/// A platform certificate verifies only while it is valid: not 30 days before its `notBefore`,
/// not 30 days after its `notAfter`, even when configured (the test certificate is made by
/// `openssl req -x509` for the test run).
#[test]
fn a_certificate_outside_its_validity_verifies_nothing() {
    let k = keys();
    let c = client_with(|b| b.platform_certificate_pem(&k.platform_cert));
    let body = br#"{"x":"y"}"#;
    let cert = c
        .platform_certificates()
        .into_iter()
        .find(|p| p.serial == PLATFORM_CERT_SERIAL)
        .expect("configured");
    #[allow(non_snake_case)]
    let (NOT_BEFORE, NOT_AFTER) = (cert.not_before, cert.not_after);
    const DAYS_30: i64 = 30 * 86_400;
    for now in [NOT_BEFORE - DAYS_30, NOT_AFTER + DAYS_30] {
        let r = Response::signed(PLATFORM_CERT_SERIAL, now, body);
        assert_eq!(
            verify(&c, &r.headers(), body, now),
            Err(VerificationError::CertificateNotValid {
                serial: PLATFORM_CERT_SERIAL.into(),
                not_before: NOT_BEFORE,
                not_after: NOT_AFTER,
                now
            })
        );
    }
    for now in [NOT_BEFORE, NOT_AFTER] {
        let r = Response::signed(PLATFORM_CERT_SERIAL, now, body);
        assert_eq!(verify(&c, &r.headers(), body, now), Ok(()), "at {now}");
    }
    // A public key has no validity of its own.
    let r = Response::signed(PUB_KEY_ID, NOT_AFTER + DAYS_30, body);
    assert_eq!(verify(&c, &r.headers(), body, NOT_AFTER + DAYS_30), Ok(()));
}
