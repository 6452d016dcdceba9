//! Verification.

use super::*;

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
        Err(e @ Error::Api(_)) => {
            assert_eq!(e.api_code(), Some("PARAM_ERROR"));
            assert_eq!(e.code(), Some(&crate::ApiCode::ParamError));
            assert!(!e.is_retryable());
            let text = e.to_string();
            assert!(
                text.contains("400") && text.contains("PARAM_ERROR") && text.contains("08F4E3C5B006100118"),
                "{text}"
            );
            let Error::Api(api) = e else { unreachable!() };
            let crate::ApiError {
                status,
                code,
                message,
                detail,
                request_id,
                body: raw,
                ..
            } = *api;
            assert_eq!(status, 400);
            assert_eq!(code, Some(crate::ApiCode::ParamError));
            assert_eq!(message, "bad out_trade_no");
            assert_eq!(detail, Some(serde_json::json!({"field": "out_trade_no"})));
            assert_eq!(request_id.as_deref(), Some("08F4E3C5B006100118"));
            assert_eq!(raw.as_bytes(), body);
        }
        other => panic!("{other:?}"),
    }
    let html = b"<html><body>502 Bad Gateway</body></html>";
    match check_response(&c.inner, 502, &HeaderMap::new(), html, TS) {
        Err(e @ Error::Api(_)) => {
            assert!(e.is_retryable());
            let Error::Api(api) = e else { unreachable!() };
            let crate::ApiError {
                status,
                code,
                message,
                body,
                request_id,
                ..
            } = *api;
            assert_eq!((status, code, message.as_str()), (502, None, ""));
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
