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
