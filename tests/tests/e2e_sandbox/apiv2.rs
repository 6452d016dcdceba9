//! The simulator's APIv2 refunds and code payments (issue 23): `secapi/pay/refund` on the same
//! orders as APIv3 (with the platform's failures), `pay/refundquery`, the refund result delivered
//! as APIv2's encrypted `req_info`; `pay/micropay` answered `USERPAYING`, queried until the user
//! pays or fails, `secapi/pay/reverse`.

use super::*;

use wechatpay::runtime::v2::ResultError;
use wechatpay::runtime::V2NotificationService;
use wechatpay::v2::pay::{micropay, orderquery, refundquery, unifiedorder};
use wechatpay::v2::secapi::pay::{refund, reverse};

fn err_code(e: &wechatpay::Error) -> &str {
    match e {
        wechatpay::Error::ApiV2(ResultError::Business { err_code, .. }) => err_code,
        other => panic!("not a business failure: {other:?}"),
    }
}

#[tokio::test]
async fn apiv2_refunds_are_validated_queried_and_notified_with_their_req_info() {
    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = v2_client(&sandbox.base_url());
    // The merchant's APIv2 endpoint: a refund result's req_info decrypted with the APIv2 key.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = V2NotificationService::new(client.clone(), move |fields: Vec<(String, String)>| {
        let tx = tx.clone();
        async move {
            tx.send(fields).unwrap();
            Ok::<(), String>(())
        }
    });
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;

    let order = unifiedorder::PostRequest::new(unifiedorder::PostRequestRequired {
        body: "V2".into(),
        out_trade_no: "T-V2-R".into(),
        total_fee: 300,
        spbill_create_ip: "127.0.0.1".into(),
        notify_url: "http://127.0.0.1:9/notify".into(),
        trade_type: "NATIVE".into(),
    })
    .with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.product_id = Some("P1".into());
    });
    client.v2().pay().unifiedorder().post(&order).await.unwrap();
    let ask = |out_refund_no: &str, refund_fee: i32| {
        refund::PostRequest::new(refund::PostRequestRequired {
            out_refund_no: out_refund_no.into(),
            total_fee: 300,
            refund_fee,
        })
        .with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.out_trade_no = Some("T-V2-R".into());
            r.notify_url = Some(notify_url.clone());
        })
    };
    let refunds = || client.v2().secapi().pay().refund();
    let e = refunds().post(&ask("R-V2-1", 100)).await.unwrap_err();
    assert_eq!(err_code(&e), "TRADE_STATE_ERROR", "not paid yet");
    simulator.pay_order("T-V2-R").unwrap();
    let created = refunds().post(&ask("R-V2-1", 100)).await.unwrap();
    assert_eq!(created.refund_fee, Some(100));
    let e = refunds().post(&ask("R-V2-2", 201)).await.unwrap_err();
    assert_eq!(err_code(&e), "ERROR", "more than is left: {e:?}");

    let query = refundquery::PostRequest::default().with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.out_trade_no = Some("T-V2-R".into());
    });
    let before = client.v2().pay().refundquery().post(&query).await.unwrap();
    assert_eq!(before.refund_count, Some(1));
    assert_eq!(before.out_refund_no_list, Some(vec!["R-V2-1".to_owned()]));
    assert_eq!(before.refund_status_list, Some(vec!["PROCESSING".to_owned()]));

    simulator.complete("R-V2-1", "SUCCESS").unwrap();
    let fields = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(field("out_refund_no"), Some("R-V2-1"), "{fields:?}");
    assert_eq!(field("refund_status"), Some("SUCCESS"));
    assert_eq!(field("refund_fee"), Some("100"));
    let after = client.v2().pay().refundquery().post(&query).await.unwrap();
    assert_eq!(after.refund_status_list, Some(vec!["SUCCESS".to_owned()]));
    let none = refundquery::PostRequest::default().with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.out_refund_no = Some("R-NONE".into());
    });
    let e = client.v2().pay().refundquery().post(&none).await.unwrap_err();
    assert_eq!(err_code(&e), "REFUNDNOTEXIST");
}

#[tokio::test]
async fn a_code_payment_is_userpaying_until_the_user_pays_or_fails() {
    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = v2_client(&sandbox.base_url());
    let pay = |out_trade_no: &str, auth_code: &str| {
        micropay::PostRequest::new(micropay::PostRequestRequired {
            body: "付款码".into(),
            out_trade_no: out_trade_no.into(),
            total_fee: 800,
            spbill_create_ip: "127.0.0.1".into(),
            auth_code: auth_code.into(),
        })
        .with(|r| r.appid = Some("wx8888888888888888".into()))
    };
    let micropay = || client.v2().pay().micropay();
    let e = micropay()
        .post(&pay("T-CODE-0", "990000000000000000"))
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), "AUTH_CODE_INVALID");
    let e = micropay()
        .post(&pay("T-CODE-1", "134567890123456789"))
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), "USERPAYING", "the user enters a password");
    let query = |no: &str| {
        orderquery::PostRequest::default().with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.out_trade_no = Some(no.into());
        })
    };
    let state = |no: &'static str| {
        let (client, request) = (client.clone(), query(no));
        async move {
            let answer = client.v2().pay().orderquery().post(&request).await.unwrap();
            format!("{:?}", answer.trade_state)
        }
    };
    assert_eq!(state("T-CODE-1").await, "Some(Userpaying)");
    simulator.pay_order("T-CODE-1").unwrap();
    assert_eq!(state("T-CODE-1").await, "Some(Success)");

    // The user fails: PAYERROR; the merchant reverses it.
    let e = micropay()
        .post(&pay("T-CODE-2", "104567890123456789"))
        .await
        .unwrap_err();
    assert_eq!(err_code(&e), "USERPAYING");
    let failed = reqwest::Client::new()
        .post(format!("{}/sandbox/transactions/T-CODE-2/pay", sandbox.base_url()))
        .body(r#"{"outcome":"PAYERROR"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 200);
    assert_eq!(state("T-CODE-2").await, "Some(Payerror)");
    let reversed = client
        .v2()
        .secapi()
        .pay()
        .reverse()
        .post(
            &reverse::PostRequest::new(reverse::PostRequestRequired {
                out_trade_no: "T-CODE-2".into(),
            })
            .with(|r| r.appid = Some("wx8888888888888888".into())),
        )
        .await
        .unwrap();
    assert_eq!(format!("{:?}", reversed.recall), "Some(N)");
    assert_eq!(state("T-CODE-2").await, "Some(Revoked)");
    assert_eq!(simulator.pay_order("T-CODE-2").unwrap_err().1["code"], "ORDER_CLOSED");
}
