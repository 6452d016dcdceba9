//! Requests as sent.

use super::*;

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
        .get(&by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some("1230000109".into())))
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
        .get(&by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some("12 3&x=y".into())))
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
        .post(&by_out_trade_no::close::PostRequest::default().with(|r| r.mchid = Some("1230000109".into())))
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
        .post(&by_out_trade_no::close::PostRequest::default().with(|r| r.mchid = Some("1230000109".into())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::StaleTimestamp { .. })),
        "{err:?}"
    );
}

/// The merchant id the client was configured with is filled in where a request leaves it out
/// (a query parameter, a body field); a request's own value wins.
#[tokio::test]
async fn the_clients_merchant_id_is_filled_in_unless_the_request_has_one() {
    let server = MockServer::start(MockConfig::default()).await;
    let path = "/v3/pay/transactions/out-trade-no/T1";
    server.on(
        "GET",
        &format!("{path}?mchid={}", keys::MCHID),
        Reply::json(
            200,
            json!({"out_trade_no": "T1", "mchid": keys::MCHID, "appid": "wx8888888888888888"}),
        ),
    );
    server.on(
        "GET",
        &format!("{path}?mchid=1230000109"),
        Reply::json(
            200,
            json!({"out_trade_no": "T1", "mchid": keys::MCHID, "appid": "wx8888888888888888"}),
        ),
    );
    server.on("POST", &format!("{path}/close"), Reply::no_content());
    let client = client(&server);
    let order = || client.v3().pay().transactions().out_trade_no().out_trade_no("T1");

    order()
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .expect("query");
    assert_eq!(server.last_request().target, format!("{path}?mchid={}", keys::MCHID));
    let explicit = by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some("1230000109".into()));
    order().get(&explicit).await.expect("query");
    assert_eq!(server.last_request().target, format!("{path}?mchid=1230000109"));

    order()
        .close()
        .post(&by_out_trade_no::close::PostRequest::default())
        .await
        .expect("close");
    let req = server.last_request();
    assert_well_signed(&req);
    assert_eq!(req.body_json(), json!({"mchid": keys::MCHID}));
    let explicit = by_out_trade_no::close::PostRequest::default().with(|r| r.mchid = Some("1230000109".into()));
    order().close().post(&explicit).await.expect("close");
    assert_eq!(server.last_request().body_json(), json!({"mchid": "1230000109"}));
}
