//! What the official models taught the spec, end to end: a profit-sharing receiver's name is
//! sent encrypted (the description marks it only by `format: base64`), and a profit-sharing
//! order answered as the platform answers it (`state: FINISHED`) decodes to a known variant.

use super::*;
use wechatpay::v3::profitsharing::orders::by_out_order_no;
use wechatpay::v3::profitsharing::receivers::add;

#[tokio::test]
async fn a_receivers_name_is_sent_encrypted() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/profitsharing/receivers/add";
    server.on(
        "POST",
        target,
        Reply::json(
            200,
            json!({"type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "relation_type": "STORE"}),
        ),
    );
    let client = public_key_client(&server);
    let request = add::PostRequest::new(add::PostRequestRequired {
        appid: "wx8888888888888888".into(),
        type_: add::PostRequestType::PersonalOpenid,
        account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        relation_type: add::PostRequestRelationType::Store,
    })
    .with(|r| r.name = Some("张三".into()));
    client
        .v3()
        .profitsharing()
        .receivers()
        .add()
        .post(&request)
        .await
        .expect("the platform accepts the receiver");

    let req = server.last_request();
    assert_eq!(req.auth, Ok(()), "the signature covers the encrypted body");
    assert_eq!(req.header("wechatpay-serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    let sent = req.body_json();
    let name = sent["name"].as_str().expect("a name was sent");
    assert!(
        !req.body_str().contains("张三"),
        "the name left in plain text: {}",
        req.body_str()
    );
    assert_eq!(oaep_decrypt(keys::WECHATPAY_KEY_PEM, name), "张三");
    assert_eq!(
        openssl_oaep_decrypt(&keys::wechatpay_key_path(), name),
        "张三".as_bytes(),
        "openssl agrees"
    );
    assert_eq!(sent["account"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "other fields as given");
}

#[tokio::test]
async fn a_finished_profit_sharing_order_decodes_to_known_values() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/profitsharing/orders/P20150806125346";
    // Shaped as the platform answers (its documentation's example): states the public
    // description did not list (FINISHED, and the receiver's SUCCESS).
    server.on(
        "GET",
        &format!("{target}?transaction_id=4208450740201411110007820472"),
        Reply::json(
            200,
            json!({
                "transaction_id": "4208450740201411110007820472",
                "out_order_no": "P20150806125346",
                "order_id": "3008450740201411110007820472",
                "state": "FINISHED",
                "receivers": [{
                    "amount": 100,
                    "description": "分给商户1900000109",
                    "type": "MERCHANT_ID",
                    "account": "1900000109",
                    "result": "SUCCESS",
                    "fail_reason": "ACCOUNT_ABNORMAL",
                    "detail_id": "36011111111111111111111",
                    "create_time": "2015-05-20T13:29:35.120+08:00",
                    "finish_time": "2015-05-20T13:29:35.120+08:00"
                }]
            }),
        ),
    );
    let client = public_key_client(&server);
    let order = client
        .v3()
        .profitsharing()
        .orders()
        .out_order_no("P20150806125346")
        .get(&by_out_order_no::GetRequest::new(by_out_order_no::GetRequestRequired {
            transaction_id: "4208450740201411110007820472".into(),
        }))
        .await
        .expect("a real answer decodes");
    assert_eq!(order.state, Some(by_out_order_no::GetResponseState::Finished));
    let receiver = &order.receivers.as_deref().expect("receivers")[0];
    assert_eq!(
        receiver.result,
        Some(by_out_order_no::GetResponseReceiversResult::Success)
    );
    assert_eq!(receiver.amount, Some(100));
}

#[tokio::test]
async fn an_order_answer_without_its_prepay_id_is_an_error_not_a_none() {
    use wechatpay::v3::pay::transactions::jsapi;
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/pay/transactions/jsapi";
    let client = public_key_client(&server);
    let order = jsapi::PostRequest::new(jsapi::PostRequestRequired {
        appid: "wx8888888888888888".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        amount: jsapi::PostRequestAmount::new(jsapi::PostRequestAmountRequired { total: 100 }),
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
        payer: jsapi::PostRequestPayer::new(jsapi::PostRequestPayerRequired {
            openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        }),
    })
    .with(|r| r.mchid = Some("1230000109".into()));
    // The answer's one value is required (official-response-required, spec/README.md): a
    // String, not an Option the caller must unwrap.
    server.on(
        "POST",
        target,
        Reply::json(200, json!({"prepay_id": "wx201410272009395522657a690389285100"})),
    );
    let answer = client
        .v3()
        .pay()
        .transactions()
        .jsapi()
        .post(&order)
        .await
        .expect("decodes");
    let prepay_id: String = answer.prepay_id;
    assert_eq!(prepay_id, "wx201410272009395522657a690389285100");
    // Without it the call failed: a decode error that names the field.
    server.on("POST", target, Reply::json(200, json!({})));
    let err = client.v3().pay().transactions().jsapi().post(&order).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("prepay_id"), "{err}");
}
