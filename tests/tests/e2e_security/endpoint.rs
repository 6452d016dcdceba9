//! The notification endpoint in axum, over HTTP on 127.0.0.1: `NotificationService` mounted as
//! a route (with a ledger), and a handler of one's own with the `Notified` extractor. Good,
//! tampered, replayed, unknown event type, a handler that fails, not a POST.

use std::sync::{Arc, Mutex};

use wechatpay::notifications::Resource;
use wechatpay::runtime::{MemoryLedger, NotificationAnswer, NotificationService, Notified};

use super::*;

/// A notification as WeChat Pay posts it: headers and body.
fn posted(event_type: &str, resource: serde_json::Value) -> (Vec<(String, String)>, Vec<u8>) {
    let n = wechatpay_sandbox::notify::make_notification(
        &ResponseKey::wechatpay_public_key(),
        APIV3_KEY,
        event_type,
        &resource,
    )
    .unwrap();
    (n.headers, n.body)
}

async fn post(url: &str, (headers, body): &(Vec<(String, String)>, Vec<u8>)) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body.clone());
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

fn payment(out_trade_no: &str) -> serde_json::Value {
    json!({"mchid": keys::MCHID, "out_trade_no": out_trade_no, "trade_state": "SUCCESS", "amount": {"total": 100}})
}

/// The extractor route: the handler sees only verified notifications, and answers itself.
async fn extracted(Notified(event): Notified) -> NotificationAnswer {
    match Resource::decode(&event) {
        Ok(_) => NotificationAnswer::success(),
        Err(e) => NotificationAnswer::for_error(&e),
    }
}

#[tokio::test]
async fn an_axum_endpoint_verifies_handles_once_and_answers_as_wechat_pay_expects() {
    let client = wechatpay_tests::builder().apiv3_key(APIV3_KEY).build().unwrap();
    let paid = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = paid.clone();
    let service = NotificationService::new(client.clone(), move |event: wechatpay::NotificationEvent| {
        let seen = seen.clone();
        async move {
            match Resource::decode(&event)? {
                Resource::Transaction(tx) if tx.out_trade_no == "T-FAILS" => {
                    return Err(wechatpay::Error::Ledger("the database is down".into()));
                }
                Resource::Transaction(tx) => seen.lock().unwrap().push(tx.out_trade_no.clone()),
                _ => {}
            }
            Ok::<(), wechatpay::Error>(())
        }
    })
    .ledger(Arc::new(MemoryLedger::new(100)));
    let app = axum::Router::new()
        .route_service("/notify", service)
        .route("/extract", axum::routing::post(extracted))
        .with_state(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let notify = format!("{base}/notify");

    // Good: 204, handled.
    let good = posted("TRANSACTION.SUCCESS", payment("T-1"));
    assert_eq!(post(&notify, &good).await.0, 204);
    assert_eq!(*paid.lock().unwrap(), ["T-1"]);
    // Replayed: success again, not handled twice.
    assert_eq!(post(&notify, &good).await.0, 204);
    assert_eq!(paid.lock().unwrap().len(), 1);
    // Tampered (one byte of the body changed after signing): 401 FAIL, not handled.
    let mut tampered = posted("TRANSACTION.SUCCESS", payment("T-2"));
    let at = tampered.1.iter().position(|b| *b == b'"').unwrap();
    tampered.1.insert(at, b' ');
    let (status, body) = post(&notify, &tampered).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("FAIL"), "{body}");
    assert_eq!(paid.lock().unwrap().len(), 1);
    // An event type this client does not type: handled as `Other`, acknowledged.
    let unknown = posted("SOMETHING.NEW", json!({"anything": 1}));
    assert_eq!(post(&notify, &unknown).await.0, 204);
    // A payment without the keys of its shapes: never acknowledged.
    let keyless = posted("TRANSACTION.SUCCESS", json!({"out_trade_no": "T-3"}));
    let (status, body) = post(&notify, &keyless).await;
    assert!(status >= 400 && body.contains("FAIL"), "{status} {body}");
    // The handler fails: 500 FAIL with its message; the redelivery is handled again.
    let failing = posted("TRANSACTION.SUCCESS", payment("T-FAILS"));
    let (status, body) = post(&notify, &failing).await;
    assert_eq!(status, 500);
    assert!(body.contains("the database is down"), "{body}");
    assert_eq!(post(&notify, &failing).await.0, 500);
    // Not a POST.
    assert_eq!(reqwest::get(&notify).await.unwrap().status().as_u16(), 405);

    // The extractor, with the wechatpay::Client state.
    let extract = format!("{base}/extract");
    assert_eq!(
        post(
            &extract,
            &posted(
                "REFUND.SUCCESS",
                json!({"mchid": keys::MCHID, "out_refund_no": "R-1", "amount": {"total": 1, "refund": 1}})
            )
        )
        .await
        .0,
        204
    );
    let (status, body) = post(&extract, &tampered).await;
    assert_eq!(status, 401, "{body}");
}

/// An APIv2 notification body, signed (MD5) by the sandbox's own APIv2 signer.
fn v2_body(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let sign = wechatpay_sandbox::v2::sign(&fields, keys::APIV2_KEY, false);
    fields.push(("sign".into(), sign));
    let xml: String = fields
        .iter()
        .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
        .collect();
    format!("<xml>{xml}</xml>").into_bytes()
}

#[tokio::test]
async fn an_apiv2_endpoint_checks_the_sign_and_answers_in_xml() {
    use wechatpay::runtime::v2::{PaymentResult, XmlObject as _};
    use wechatpay::runtime::V2NotificationService;
    let client = wechatpay_tests::builder().apiv2_key(keys::APIV2_KEY).build().unwrap();
    let paid = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let seen = paid.clone();
    let service = V2NotificationService::new(client, move |fields: Vec<(String, String)>| {
        let seen = seen.clone();
        async move {
            let payment = PaymentResult::read_fields(&fields).map_err(|e| e.to_string())?;
            let order = payment.out_trade_no.clone().unwrap_or_default();
            if order == "T-FAILS" {
                return Err("the database is down".to_owned());
            }
            seen.lock().unwrap().push((order, payment.is_paid()));
            Ok(())
        }
    });
    let app = axum::Router::new().route_service("/notify-v2", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify-v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let post = |body: Vec<u8>| {
        let url = url.clone();
        async move {
            let answer = reqwest::Client::new().post(url).body(body).send().await.unwrap();
            assert_eq!(answer.headers()["content-type"], "text/xml; charset=utf-8");
            answer.text().await.unwrap()
        }
    };
    let payment = |order: &'static str, result: &'static str| {
        v2_body(&[
            ("return_code", "SUCCESS"),
            ("mch_id", "10000100"),
            ("out_trade_no", order),
            ("result_code", result),
            ("total_fee", "101"),
        ])
    };
    // Paid, and a failed payment (authentic too): both SUCCESS, both handled.
    assert!(post(payment("T-1", "SUCCESS"))
        .await
        .contains("<return_code><![CDATA[SUCCESS]]>"));
    assert!(post(payment("T-2", "FAIL"))
        .await
        .contains("<return_code><![CDATA[SUCCESS]]>"));
    assert_eq!(
        *paid.lock().unwrap(),
        [("T-1".to_owned(), true), ("T-2".to_owned(), false)]
    );
    // Tampered after signing: FAIL, not handled.
    let mut tampered = payment("T-3", "SUCCESS");
    let at = tampered.windows(3).position(|w| w == b"101").unwrap();
    tampered[at..at + 3].copy_from_slice(b"999");
    assert!(post(tampered).await.contains("<return_code><![CDATA[FAIL]]>"));
    // The handler fails: FAIL with its reason (WeChat Pay delivers it again).
    let answer = post(payment("T-FAILS", "SUCCESS")).await;
    assert!(
        answer.contains("FAIL") && answer.contains("the database is down"),
        "{answer}"
    );
    assert_eq!(paid.lock().unwrap().len(), 2);
}
