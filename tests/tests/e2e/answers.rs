//! Answers and their verification.

use super::*;

#[tokio::test]
async fn platform_errors_keep_status_code_message_detail_and_request_id() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(
            400,
            json!({"code": "PARAM_ERROR", "message": "参数错误: device_id", "detail": {"field": "device_id", "location": "body"}}),
        )
        .header("Request-ID", "08F8C5A2B30610D70218E8B7B1A406-TEST"),
    );
    let client = client(&server);
    let err = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    match &err {
        Error::Api(e) => {
            assert_eq!(e.status, 400);
            assert_eq!(e.code, Some(wechatpay::ApiCode::ParamError));
            assert_eq!(e.message, "参数错误: device_id");
            assert_eq!(e.detail.as_ref().unwrap()["field"], "device_id");
            assert_eq!(e.request_id.as_deref(), Some("08F8C5A2B30610D70218E8B7B1A406-TEST"));
            assert!(e.body.contains("PARAM_ERROR"));
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.api_code(), Some("PARAM_ERROR"));
    // The code as a value a program matches on.
    assert_eq!(err.code(), Some(&wechatpay::ApiCode::ParamError));
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("PARAM_ERROR") && shown.contains("08F8C5A2B30610D70218E8B7B1A406-TEST"),
        "{shown}"
    );

    // A 500 SYSTEM_ERROR is retryable.
    server.on("POST", AUTHINFO, Reply::error(500, "SYSTEM_ERROR", "系统错误"));
    let err = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("SYSTEM_ERROR"));
    assert!(err.is_retryable());

    // A proxy's HTML page: no code, raw body kept.
    server.on(
        "POST",
        AUTHINFO,
        Reply::raw(502, "text/html", b"<html><body>Bad Gateway</body></html>".to_vec()),
    );
    match client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err()
    {
        Error::Api(e) if e.status == 502 => {
            assert_eq!(e.code, None);
            assert!(e.body.contains("Bad Gateway"));
            assert!(e.request_id.is_some());
        }
        other => panic!("expected Error::Api 502, got {other:?}"),
    }

    // Unregistered path: the platform's 404.
    let err: Error = client
        .chain("v3/does/not/exist")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("RESOURCE_NOT_EXISTS"), "{err:?}");
}

#[tokio::test]
async fn a_request_the_platform_rejects_is_a_sign_error() {
    // The mock expects another merchant serial: the client's request is refused with 401.
    let server =
        MockServer::start(MockConfig::default().merchant_serial("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "x"})));
    let err = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    match err {
        Error::Api(e) if e.status == 401 => {
            assert_eq!(e.code, Some(wechatpay::ApiCode::SignError));
            assert!(e.message.contains("serial_no"), "{}", e.message);
        }
        other => panic!("expected 401 SIGN_ERROR, got {other:?}"),
    }
}

fn verification_error(result: Result<authinfo::PostResponse, Error>) -> VerificationError {
    match result {
        Err(Error::Verification(v)) => v,
        other => panic!("expected a verification error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_response_verification_failure_is_rejected_with_its_own_error() {
    let server = MockServer::start(MockConfig::default()).await;

    // Sanity: the untampered answer passes.
    assert_eq!(
        authinfo_with(&server, ok_reply()).await.unwrap().authinfo.as_deref(),
        Some("AUTHINFO")
    );

    // Body changed after signing (a valid-looking body must not be trusted).
    let v = verification_error(
        authinfo_with(
            &server,
            ok_reply().tamper(Tamper::BodyAfterSigning(br#"{"authinfo":"FORGED"}"#.to_vec())),
        )
        .await,
    );
    assert_eq!(
        v,
        VerificationError::BadSignature {
            serial: keys::WECHATPAY_PUBLIC_KEY_ID.into()
        }
    );

    // Signed with another key under the right serial.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::WrongKey)).await);
    assert!(matches!(v, VerificationError::BadSignature { .. }), "{v:?}");

    // Stale timestamps, both ways.
    for (tamper, offset) in [(Tamper::stale_past(), -301), (Tamper::stale_future(), 400)] {
        match verification_error(authinfo_with(&server, ok_reply().tamper(tamper)).await) {
            VerificationError::StaleTimestamp { timestamp, now } => {
                assert!((timestamp - now - offset).abs() <= 5, "{timestamp} {now} {offset}")
            }
            other => panic!("expected StaleTimestamp, got {other:?}"),
        }
    }

    // Unknown serial.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::UnknownSerial)).await);
    assert_eq!(v, VerificationError::UnknownSerial(UNKNOWN_SERIAL.into()));

    // Each missing header.
    for header in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::omit(header))).await);
        assert_eq!(v, VerificationError::MissingHeader(header), "omitting {header}");
    }

    // No signature at all: not WeChat Pay at that base URL, which the error names.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::Unsigned)).await);
    assert!(matches!(v, VerificationError::NotWechatPay { .. }), "{v:?}");

    // A signature that is not base64.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::GarbageSignature)).await);
    assert!(
        matches!(
            v,
            VerificationError::InvalidHeader {
                name: "Wechatpay-Signature",
                ..
            }
        ),
        "{v:?}"
    );

    // A second copy of any of the four headers: which one is meant cannot be known.
    for header in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let v = verification_error(authinfo_with(&server, ok_reply().header(header, "second")).await);
        assert_eq!(v, VerificationError::DuplicateHeader(header), "a second {header}");
    }

    // The platform's probe signature (WECHATPAY/SIGNTEST/…) is refused with its own error.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::ProbeSignature)).await);
    assert_eq!(v, VerificationError::ProbeSignature);

    // Request-ID is not part of the signature: its absence is fine.
    assert!(authinfo_with(&server, ok_reply().tamper(Tamper::omit("Request-ID")))
        .await
        .is_ok());
}

#[tokio::test]
async fn legacy_platform_certificate_mode_is_accepted() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("POST", AUTHINFO, ok_reply());
    let legacy = certificate_client(&server);
    let resp = legacy
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    assert_eq!(resp.authinfo.as_deref(), Some("AUTHINFO"));

    // A public-key-only client does not know the certificate serial.
    let v = verification_error(
        client(&server)
            .v3()
            .offlineface()
            .authinfo()
            .post(&authinfo_request())
            .await,
    );
    assert_eq!(v, VerificationError::UnknownSerial(keys::PLATFORM_CERT_SERIAL.into()));

    // Migrating merchants configure both: responses signed by either key pass.
    let both = Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(server.base_url())
        .build()
        .unwrap();
    both.v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    server.on(
        "POST",
        AUTHINFO,
        ok_reply().signed_by(ResponseKey::wechatpay_public_key()),
    );
    both.v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();

    // The certificate's key under the public key id does not verify.
    server.on(
        "POST",
        AUTHINFO,
        ok_reply().tamper(Tamper::Serial(keys::WECHATPAY_PUBLIC_KEY_ID.into())),
    );
    let v = verification_error(both.v3().offlineface().authinfo().post(&authinfo_request()).await);
    assert!(matches!(v, VerificationError::BadSignature { .. }), "{v:?}");
}

#[tokio::test]
async fn untyped_chain_reaches_any_path() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/some/unknown",
        Reply::json(200, json!({"result": "ok", "n": 42})),
    );
    server.on("GET", "/v3/some/unknown/x", Reply::json(200, json!({"got": true})));
    let client = client(&server);

    let value: serde_json::Value = client
        .chain("v3/some/unknown")
        .request(Method::POST)
        .json(&json!({"amount": {"total": 100}, "note": "中文"}))
        .send_json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(value, json!({"result": "ok", "n": 42}));
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.target, "/v3/some/unknown");
    assert_eq!(req.body_json(), json!({"amount": {"total": 100}, "note": "中文"}));

    let value: serde_json::Value = client
        .chain("/v3/some/unknown/x")
        .request(Method::GET)
        .query("a", "x y")
        .query("b", "1")
        .send_json()
        .await
        .unwrap();
    assert_eq!(value["got"], true);
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.target, "/v3/some/unknown/x?a=x%20y&b=1");

    // The untyped path verifies responses too.
    server.on(
        "GET",
        "/v3/some/unknown/x",
        Reply::json(200, json!({"got": true})).tamper(Tamper::UnknownSerial),
    );
    let err = client
        .chain("v3/some/unknown/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::UnknownSerial(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_enum_values_decode_to_unknown() {
    let server = MockServer::start(MockConfig::default()).await;
    let path = "/v3/pay/transactions/out-trade-no/T1";
    server.on(
        "GET",
        path,
        Reply::json(200, transaction_json("A_NEW_STATE", "FUTURE_PAY")),
    );
    let tx = client(&server)
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T1")
        .get(&by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some("1230000109".into())))
        .await
        .expect("an unknown enum value is not a decode error");
    match tx.trade_state {
        Some(TransactionTradeState::Unknown(v)) => assert_eq!(v.as_str(), "A_NEW_STATE"),
        other => panic!("expected Unknown, got {other:?}"),
    }
    let trade_type = tx.trade_type.expect("trade_type");
    assert!(matches!(trade_type, TransactionTradeType::Unknown(_)));
    assert_eq!(trade_type.as_str(), "FUTURE_PAY");
}

#[tokio::test]
async fn query_enums_are_sent_as_their_wire_values() {
    use wechatpay::v3::bill::tradebill;
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "GET",
        "/v3/bill/tradebill",
        Reply::json(
            200,
            json!({"hash_type": "SHA1", "hash_value": "79bb0f45fc4c42234a918000b2668d689e2bde04", "download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=xxx"}),
        ),
    );
    client(&server)
        .v3()
        .bill()
        .tradebill()
        .get(
            &tradebill::GetRequest::new(tradebill::GetRequestRequired {
                bill_date: "2019-06-11".into(),
            })
            .with(|r| {
                r.bill_type = Some(tradebill::GetRequestBillType::RechargeRefund);
                r.tar_type = Some(tradebill::GetRequestTarType::Gzip);
            }),
        )
        .await
        .expect("tradebill");
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(
        req.target,
        "/v3/bill/tradebill?bill_date=2019-06-11&bill_type=RECHARGE_REFUND&tar_type=GZIP"
    );
}

#[tokio::test]
async fn a_verified_body_of_the_wrong_shape_is_a_decode_error() {
    let server = MockServer::start(MockConfig::default()).await;
    match authinfo_with(&server, Reply::json(200, json!({"authinfo": 5}))).await {
        Err(Error::Decode {
            status: 200,
            body,
            path,
            source,
        }) => {
            assert_eq!(body, r#"{"authinfo":5}"#);
            // The field, and where in the text: the bad value's column.
            assert_eq!(
                (path.as_deref(), source.line(), source.column()),
                (Some("authinfo"), 1, 13)
            );
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn no_server_is_a_transport_error() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = client(&server);
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let err = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

/// Something other than WeChat Pay answering at the base URL (a wrong base URL, a gateway):
/// an answer with none of the signature headers says so and names the base URL.
#[tokio::test]
async fn an_answer_with_no_signature_headers_names_the_base_url() {
    let server = MockServer::start(MockConfig::default()).await;
    let mut reply = Reply::json(200, json!({"authinfo": "X"}));
    for header in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        reply = reply.tamper(Tamper::omit(header));
    }
    server.on("POST", AUTHINFO, reply);
    let err = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Verification(VerificationError::NotWechatPay { base_url }) if *base_url == server.base_url()),
        "{err:?}"
    );
    assert!(err.to_string().contains(&server.base_url()), "{err}");
    // One header missing is still that header.
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({})).tamper(Tamper::omit("Wechatpay-Nonce")),
    );
    let err = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::MissingHeader(_))),
        "{err:?}"
    );
}
