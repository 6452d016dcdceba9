//! Calls: blocking, redirects, timeouts, request ids.

use super::*;

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
        .post(&by_out_trade_no::close::PostRequest::default().with(|r| r.mchid = Some("1230000109".into())))
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
    assert_eq!(err.status(), Some(302), "{err:?}");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
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
            .get(&by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some("1230000109".into())))
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
    let request = codepay::PostRequest::new(codepay::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        payer: codepay::PostRequestPayer::new(codepay::PostRequestPayerRequired {
            auth_code: "134567890123456789".into(),
        }),
        amount: codepay::PostRequestAmount::new(codepay::PostRequestAmountRequired { total: 1 }),
        scene_info: codepay::PostRequestSceneInfo::new(codepay::PostRequestSceneInfoRequired {
            store_info: Default::default(),
        }),
    })
    .with(|r| r.mchid = Some("1230000109".into()));
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
    use wechatpay::v3::marketing::partnerships::{GetRequest, GetRequestPartner, GetRequestPartnerRequired};
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "GET",
        "/v3/marketing/partnerships",
        Reply::json(200, json!({"limit": 10, "offset": 0})),
    );
    let partner = GetRequestPartner::new(GetRequestPartnerRequired {
        type_: wechatpay::v3::marketing::partnerships::GetRequestPartnerType::Appid,
    })
    .with(|p| p.appid = Some("wx4e1916a585d1f4e9".into()));
    let request = GetRequest::default().with(|r| {
        r.partner = Some(JsonText(partner));
        r.limit = Some(10);
    });
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

/// A call owns what it needs (a clone of the client, the request as built): it can be handed
/// to `tokio::spawn` while the client and the request go out of scope.
#[tokio::test]
async fn a_call_can_be_spawned() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "SPAWNED=="})));
    let handle = {
        let client = client(&server);
        let request = authinfo_request();
        tokio::spawn(client.v3().offlineface().authinfo().post(&request))
    };
    let answer = handle.await.expect("the task ran").expect("the call succeeded");
    assert_eq!(answer.authinfo.as_deref(), Some("SPAWNED=="));
    assert_well_signed(&server.last_request());
}
