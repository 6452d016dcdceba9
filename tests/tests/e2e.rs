//! End-to-end tests of the client against the loopback mock WeChat Pay server
//! (`wechatpay_tests::mock`), which checks every request as WeChat Pay does and signs every
//! response with the test platform keys.

use serde_json::json;
use wechatpay::runtime::{Method, VerificationError};
use wechatpay::types::{TransactionTradeState, TransactionTradeType};
use wechatpay::v3::offlineface::authinfo;
use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
use wechatpay::{Client, Error};
use wechatpay_tests::keys;
use wechatpay_tests::mock::{
    auth, MockConfig, MockServer, RecordedRequest, Reply, ResponseKey, Tamper, UNKNOWN_SERIAL,
};

const AUTHINFO: &str = "/v3/offlineface/authinfo";

/// A public-key-mode client pointed at the mock server.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(server.base_url())
        .build()
        .expect("client builds")
}

/// A legacy client: the platform certificate configured, no WeChat Pay public key.
fn certificate_client(server: &MockServer) -> Client {
    Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .base_url(server.base_url())
        .build()
        .unwrap()
}

fn authinfo_request() -> authinfo::PostRequest {
    authinfo::PostRequest {
        sp_appid: "wxd678efh567hg6787".into(),
        sub_appid: None,
        sub_mchid: "1900000109".into(),
        device_id: "11001".into(),
        raw_data: "E7n3m9vT4sS+Y6kZ/1uR==".into(),
        organization_id: "12345678".into(),
    }
}

fn transaction_json(trade_state: &str, trade_type: &str) -> serde_json::Value {
    json!({
        "appid": "wxd678efh567hg6787",
        "mchid": "1230000109",
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018",
        "trade_type": trade_type,
        "trade_state": trade_state,
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "success_time": "2018-06-08T10:34:56+08:00",
        "description": "Image形象店-深圳腾大-QQ公仔",
        "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "a_field_the_spec_does_not_list": {"x": 1}
    })
}

/// Every request the client sends must have passed the mock's WeChat Pay checks, with the
/// documented header shape.
fn assert_well_signed(req: &RecordedRequest) {
    assert_eq!(req.auth, Ok(()), "the mock rejected {} {}", req.method, req.target);
    let a = req.authorization().expect("Authorization parses");
    assert_eq!(a.order(), auth::FIELDS.to_vec(), "field order");
    assert_eq!(a.get("mchid"), Some(keys::MCHID));
    assert_eq!(a.get("serial_no"), Some(keys::MERCHANT_SERIAL));
    assert_eq!(req.header("accept"), Some("application/json"));
    let ua = req.header("user-agent").expect("User-Agent");
    assert!(ua.starts_with("wechatpay-rust/"), "User-Agent {ua:?}");
}

#[tokio::test]
async fn authinfo_post_sends_the_exact_json_and_decodes_the_answer() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({"authinfo": "AUTHINFO-ABC=="})),
    );
    let client = client(&server);

    let resp = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .expect("authinfo");
    assert_eq!(resp.authinfo.as_deref(), Some("AUTHINFO-ABC=="));

    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, AUTHINFO);
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.body_json(),
        json!({
            "sp_appid": "wxd678efh567hg6787",
            "sub_mchid": "1900000109",
            "device_id": "11001",
            "raw_data": "E7n3m9vT4sS+Y6kZ/1uR==",
            "organization_id": "12345678"
        })
    );
    let text = req.body_str();
    assert!(!text.contains("sub_appid"), "None must not be sent: {text}");
    assert!(!text.contains("null"), "{text}");
    assert!(!text.contains(' ') && !text.contains('\n'), "compact JSON: {text}");

    // Some(sub_appid) is sent.
    let mut with_sub = authinfo_request();
    with_sub.sub_appid = Some("wx_sub_appid".into());
    client.v3().offlineface().authinfo().post(&with_sub).await.unwrap();
    assert_eq!(server.last_request().body_json()["sub_appid"], "wx_sub_appid");
}

#[tokio::test]
async fn pkcs1_private_key_signs_accepted_requests() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "x"})));
    let client = Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL.to_ascii_lowercase()) // uppercased by the client
        .private_key_pem(keys::MERCHANT_KEY_PKCS1_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(format!("{}/", server.base_url())) // trailing slash ignored
        .build()
        .unwrap();
    client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.target, AUTHINFO);
}

#[tokio::test]
async fn every_request_has_a_fresh_nonce_and_current_timestamp() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "x"})));
    let client = client(&server);
    for _ in 0..5 {
        client
            .v3()
            .offlineface()
            .authinfo()
            .post(&authinfo_request())
            .await
            .unwrap();
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 5);
    let mut nonces: Vec<String> = reqs
        .iter()
        .map(|r| r.authorization().unwrap().get("nonce_str").unwrap().to_string())
        .collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 5, "nonces repeat");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for r in &reqs {
        assert_well_signed(r);
        let ts: i64 = r.authorization().unwrap().get("timestamp").unwrap().parse().unwrap();
        assert!((now - ts).abs() <= 10);
    }
}

#[tokio::test]
async fn get_encodes_the_path_parameter_once_and_sends_the_query() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = client(&server);

    // A plain id.
    let plain = "/v3/pay/transactions/out-trade-no/1217752501201407033233368018";
    server.on("GET", plain, Reply::json(200, transaction_json("SUCCESS", "JSAPI")));
    let tx = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("1217752501201407033233368018")
        .get(&by_out_trade_no::GetRequest {
            mchid: "1230000109".into(),
        })
        .await
        .expect("query by out_trade_no");
    assert_eq!(tx.out_trade_no, "1217752501201407033233368018");
    assert_eq!(tx.amount.as_ref().and_then(|a| a.total), Some(100));
    assert_eq!(tx.trade_state, Some(TransactionTradeState::Success));
    assert_eq!(tx.trade_type, Some(TransactionTradeType::Jsapi));
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.method, "GET");
    assert_eq!(req.target, format!("{plain}?mchid=1230000109"));
    assert!(req.body.is_empty(), "GET has no body");
    assert_eq!(req.header("content-type"), None);

    // An id needing encoding: space, slash, percent, plus, non-ASCII — each encoded exactly once.
    let encoded = "/v3/pay/transactions/out-trade-no/a%20b%2Fc%25d%2Be%C3%A9";
    server.on("GET", encoded, Reply::json(200, transaction_json("SUCCESS", "JSAPI")));
    client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("a b/c%d+eé")
        .get(&by_out_trade_no::GetRequest {
            mchid: "12 3&x=y".into(),
        })
        .await
        .expect("encoded id");
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.target, format!("{encoded}?mchid=12%203%26x%3Dy"));
}

#[tokio::test]
async fn close_answers_204_and_returns_unit() {
    let server = MockServer::start(MockConfig::default()).await;
    let path = "/v3/pay/transactions/out-trade-no/1217752501201407033233368018/close";
    server.on("POST", path, Reply::no_content());
    let client = client(&server);
    let () = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("1217752501201407033233368018")
        .close()
        .post(&by_out_trade_no::close::PostRequest {
            mchid: "1230000109".into(),
        })
        .await
        .expect("close");
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.target, path);
    assert_eq!(req.body_json(), json!({"mchid": "1230000109"}));

    // The 204 is verified too: a stale one is rejected.
    server.on("POST", path, Reply::no_content().tamper(Tamper::stale_past()));
    let err = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("1217752501201407033233368018")
        .close()
        .post(&by_out_trade_no::close::PostRequest {
            mchid: "1230000109".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::StaleTimestamp { .. })),
        "{err:?}"
    );
}

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
        Error::Api {
            status,
            code,
            message,
            detail,
            request_id,
            body,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code, "PARAM_ERROR");
            assert_eq!(message, "参数错误: device_id");
            assert_eq!(detail.as_ref().unwrap()["field"], "device_id");
            assert_eq!(request_id.as_deref(), Some("08F8C5A2B30610D70218E8B7B1A406-TEST"));
            assert!(body.contains("PARAM_ERROR"));
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.api_code(), Some("PARAM_ERROR"));
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
        Error::Api {
            status: 502,
            code,
            body,
            request_id,
            ..
        } => {
            assert!(code.is_empty());
            assert!(body.contains("Bad Gateway"));
            assert!(request_id.is_some());
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
        Error::Api {
            status: 401,
            code,
            message,
            ..
        } => {
            assert_eq!(code, "SIGN_ERROR");
            assert!(message.contains("serial_no"), "{message}");
        }
        other => panic!("expected 401 SIGN_ERROR, got {other:?}"),
    }
}

async fn authinfo_with(server: &MockServer, reply: Reply) -> Result<authinfo::PostResponse, Error> {
    server.on("POST", AUTHINFO, reply);
    client(server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
}

fn ok_reply() -> Reply {
    Reply::json(200, json!({"authinfo": "AUTHINFO"}))
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

    // No signature at all.
    let v = verification_error(authinfo_with(&server, ok_reply().tamper(Tamper::Unsigned)).await);
    assert!(matches!(v, VerificationError::MissingHeader(_)), "{v:?}");

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
        .get(&by_out_trade_no::GetRequest {
            mchid: "1230000109".into(),
        })
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
        .get(&tradebill::GetRequest {
            bill_date: "2019-06-11".into(),
            sub_mchid: None,
            bill_type: Some(tradebill::GetRequestBillType::RechargeRefund),
            tar_type: Some(tradebill::GetRequestTarType::Gzip),
        })
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
        Err(Error::Decode { status: 200, body, .. }) => assert_eq!(body, r#"{"authinfo":5}"#),
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

#[tokio::test]
async fn blocking_inside_an_async_runtime_is_an_error_not_a_panic() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, ok_reply());
    let err = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .blocking()
        .unwrap_err();
    assert!(matches!(err, Error::Blocking), "{err:?}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn blocking_calls_work_from_plain_code() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "BLOCKING"})));
    let close = "/v3/pay/transactions/out-trade-no/B1/close";
    server.on("POST", close, Reply::no_content());
    let client = client(&server);

    let resp = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .blocking()
        .expect("blocking authinfo");
    assert_eq!(resp.authinfo.as_deref(), Some("BLOCKING"));
    client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("B1")
        .close()
        .post(&by_out_trade_no::close::PostRequest {
            mchid: "1230000109".into(),
        })
        .blocking()
        .expect("blocking close");

    // Verification applies to blocking calls as well.
    server.on("POST", AUTHINFO, ok_reply().tamper(Tamper::omit("Wechatpay-Signature")));
    let err = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .blocking()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification(VerificationError::MissingHeader("Wechatpay-Signature"))
        ),
        "{err:?}"
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_well_signed(r);
    }
    assert_eq!(reqs[1].target, close);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", "/v3/elsewhere", ok_reply());
    let err = authinfo_with(
        &server,
        Reply::empty(302).header("Location", &format!("{}/v3/elsewhere", server.base_url())),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Api { status: 302, .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1, "the redirect was followed");
    assert_eq!(server.hits("POST", "/v3/elsewhere"), 0);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_a_retryable_transport_error() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, ok_reply().delay(std::time::Duration::from_secs(5)));
    let client = Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(server.base_url())
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    match &err {
        Error::Timeout {
            which: wechatpay::runtime::Timeout::Total,
            after,
            while_reading_body: false,
            ..
        } => {
            assert_eq!(*after, std::time::Duration::from_millis(300));
        }
        other => panic!("expected a total timeout, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("transport error, no answer within 300 ms (timeout): "),
        "{err}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_dot_segment_path_parameter_is_refused_before_sending() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = client(&server);
    for bad in ["", ".", ".."] {
        let err = client
            .v3()
            .pay()
            .transactions()
            .out_trade_no()
            .out_trade_no(bad)
            .get(&by_out_trade_no::GetRequest {
                mchid: "1230000109".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad:?}: {err:?}");
    }
    assert!(server.requests().is_empty(), "nothing may be sent");
}

/// `Wechatpay-Serial` is on every request, naming the key the client expects the answer signed
/// with; request types carry no such field, and one call can override it.
#[tokio::test]
async fn every_request_names_the_wechatpay_key_and_a_call_can_override_it() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, ok_reply());
    client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    assert_eq!(
        server.last_request().header("wechatpay-serial"),
        Some(keys::WECHATPAY_PUBLIC_KEY_ID)
    );

    // The newest platform certificate when no public key is configured.
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("POST", AUTHINFO, ok_reply());
    let legacy = certificate_client(&server);
    legacy
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    assert_eq!(
        server.last_request().header("wechatpay-serial"),
        Some(keys::PLATFORM_CERT_SERIAL)
    );

    // One call names another key; the next one is back to the default.
    legacy
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .header("Wechatpay-Serial", "PUB_KEY_ID_OVERRIDE")
        .await
        .unwrap();
    let req = server.last_request();
    assert_eq!(req.header("wechatpay-serial"), Some("PUB_KEY_ID_OVERRIDE"));
    assert_eq!(
        req.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("wechatpay-serial"))
            .count(),
        1
    );
    assert_well_signed(&req);
    legacy
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
        .unwrap();
    assert_eq!(
        server.last_request().header("wechatpay-serial"),
        Some(keys::PLATFORM_CERT_SERIAL)
    );
}

/// `Request-ID` on success: `.with_meta()` answers with the typed body, status, headers and
/// the Request-ID the merchant must log (async and blocking).
#[tokio::test]
async fn a_successful_call_can_answer_with_its_request_id() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, ok_reply().header("Request-ID", "08F4A1B2C3-REQ"));
    let client = client(&server);
    let answer = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .with_meta()
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.request_id.as_deref(), Some("08F4A1B2C3-REQ"));
    assert_eq!(answer.body.authinfo.as_deref(), Some("AUTHINFO"));
    assert_eq!(answer.headers.get("content-type").unwrap(), "application/json");
    // A failed verification is still an error: the meta never comes with an untrusted body.
    server.on("POST", AUTHINFO, ok_reply().tamper(Tamper::WrongKey));
    let e = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .with_meta()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::BadSignature { .. })),
        "{e:?}"
    );
}

#[test]
fn a_blocking_call_can_answer_with_its_request_id() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("POST", AUTHINFO, ok_reply().header("Request-ID", "BLOCKING-REQ"));
    let answer = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .with_meta()
        .blocking()
        .unwrap();
    assert_eq!(
        (answer.status, answer.request_id.as_deref()),
        (200, Some("BLOCKING-REQ"))
    );
}

/// `202 Accepted` with `USERPAYING` (codepay: the user is entering the password) is the
/// platform's typed "in progress" answer, never a decoded result with every field `None`.
#[tokio::test]
async fn a_202_in_progress_is_its_own_answer() {
    use wechatpay::v3::pay::transactions::codepay;
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/pay/transactions/codepay",
        Reply::json(202, json!({"code": "USERPAYING", "message": "需要用户输入支付密码"})),
    );
    let request = codepay::PostRequest::new(
        "wxd678efh567hg6787",
        "1230000109",
        "Image形象店-深圳腾大-QQ公仔",
        "1217752501201407033233368018",
        codepay::PostRequestPayer::new("134567890123456789"),
        codepay::PostRequestAmount::new(1),
        codepay::PostRequestSceneInfo::new(Default::default()),
    );
    let e = client(&server)
        .v3()
        .pay()
        .transactions()
        .codepay()
        .post(&request)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(202), Some("USERPAYING")), "{e:?}");
    assert!(!e.is_retryable(), "query the order instead of paying twice");
    // Verified first, like any 2xx: a forged 202 is a verification error.
    server.on(
        "POST",
        "/v3/pay/transactions/codepay",
        Reply::json(202, json!({"code": "USERPAYING", "message": "x"})).tamper(Tamper::WrongKey),
    );
    let e = client(&server)
        .v3()
        .pay()
        .transactions()
        .codepay()
        .post(&request)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Verification(_)), "{e:?}");
}

/// A query parameter that carries JSON (`partner={"type":"APPID",…}`, the spec's `json:`) is
/// typed, sent as its JSON text, and checked by the platform's signature like any query
/// (issue 9, item 18).
#[tokio::test]
async fn a_json_text_query_parameter_is_sent_as_its_json() {
    use wechatpay::runtime::JsonText;
    use wechatpay::v3::marketing::partnerships::{GetRequest, GetRequestPartner};
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "GET",
        "/v3/marketing/partnerships",
        Reply::json(200, json!({"limit": 10, "offset": 0})),
    );
    let partner = GetRequestPartner {
        type_: wechatpay::v3::marketing::models::RequestType::Appid,
        appid: Some("wx4e1916a585d1f4e9".into()),
        merchant_id: None,
    };
    let request = GetRequest {
        partner: Some(JsonText(partner)),
        limit: Some(10),
        ..Default::default()
    };
    let answer = client(&server)
        .v3()
        .marketing()
        .partnerships()
        .get(&request)
        .await
        .unwrap();
    assert_eq!((answer.limit, answer.offset), (10, 0));
    let sent = server.last_request();
    assert_eq!(sent.auth, Ok(()));
    let query = sent.query().unwrap();
    let partner = query.split('&').find_map(|p| p.strip_prefix("partner=")).unwrap();
    let text = percent_encoding::percent_decode_str(partner).decode_utf8().unwrap();
    assert_eq!(text, r#"{"type":"APPID","appid":"wx4e1916a585d1f4e9"}"#);
    assert!(query.ends_with("&limit=10"), "{query}");
}
