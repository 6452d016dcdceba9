//! Combine payments in the simulator (issue 23): one payment for several sub-orders, created,
//! queried as it is, paid by the user, its `TRANSACTION.SUCCESS` decoded by the merchant's
//! endpoint as the combine transaction it is.

use super::*;

use wechatpay::notifications::Resource;
use wechatpay::runtime::{NotificationEvent, NotificationService};
use wechatpay::v3::combine_transactions::jsapi;
use wechatpay::v3::combine_transactions::models::{Amount, AmountRequired, CombinePayerInfo};

fn sub_order(out_trade_no: &str, sub_mchid: &str, total_amount: i64) -> jsapi::PostRequestSubOrders {
    jsapi::PostRequestSubOrders::new(jsapi::PostRequestSubOrdersRequired {
        mchid: keys::MCHID.into(),
        attach: "深圳分店".into(),
        amount: Amount::new(AmountRequired {
            total_amount,
            currency: "CNY".into(),
        }),
        out_trade_no: out_trade_no.into(),
        sub_mchid: sub_mchid.into(),
        description: "腾讯充值中心-QQ会员充值".into(),
    })
}

#[tokio::test]
async fn a_combine_payment_is_created_queried_paid_and_notified_as_one() {
    let sandbox = simulator_sandbox().await;
    let client = client(&sandbox.base_url());
    let (paid_tx, mut paid_rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = NotificationService::new(client.clone(), move |event: NotificationEvent| {
        let paid_tx = paid_tx.clone();
        async move {
            match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::CombineTransaction(combine) => {
                    paid_tx.send(combine).unwrap();
                    Ok(())
                }
                other => Err(format!("not a combine transaction: {other:?}")),
            }
        }
    });
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;

    let order = |subs: Vec<jsapi::PostRequestSubOrders>| {
        jsapi::PostRequest::new(jsapi::PostRequestRequired {
            combine_appid: "wxd678efh567hg6787".into(),
            combine_mchid: keys::MCHID.into(),
            combine_out_trade_no: "C-1".into(),
            sub_orders: subs,
            combine_payer_info: CombinePayerInfo::default()
                .with(|p| p.openid = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into())),
            notify_url: notify_url.clone(),
        })
    };
    let subs = || {
        vec![
            sub_order("C-1-A", "1900000201", 100),
            sub_order("C-1-B", "1900000202", 250),
        ]
    };
    let combine = || client.v3().combine_transactions();
    let created = combine().jsapi().post(&order(subs())).await.unwrap();
    assert!(
        created.prepay_id.as_deref().is_some_and(|p| p.starts_with("wx")),
        "{created:?}"
    );
    // The same again: the same prepay_id; other fields: refused.
    assert_eq!(
        combine().jsapi().post(&order(subs())).await.unwrap().prepay_id,
        created.prepay_id
    );
    let other = order(vec![
        sub_order("C-1-A", "1900000201", 100),
        sub_order("C-1-B", "1900000202", 999),
    ]);
    let e = combine().jsapi().post(&other).await.unwrap_err();
    assert_eq!(e.api_code(), Some("OUT_TRADE_NO_USED"), "{e:?}");
    let single = order(vec![sub_order("C-1-A", "1900000201", 100)]).with(|r| r.combine_out_trade_no = "C-2".into());
    let e = combine().jsapi().post(&single).await.unwrap_err();
    assert_eq!(
        e.api_code(),
        Some("PARAM_ERROR"),
        "one sub-order is not a combine payment: {e:?}"
    );

    let query = |no: &'static str| {
        let client = client.clone();
        async move {
            client
                .v3()
                .combine_transactions()
                .out_trade_no()
                .combine_out_trade_no(no)
                .get()
                .await
        }
    };
    let before = query("C-1").await.unwrap();
    let states: Vec<String> = before
        .sub_orders
        .iter()
        .flatten()
        .map(|s| format!("{:?}", s.trade_state))
        .collect();
    assert_eq!(states, ["Some(Notpay)", "Some(Notpay)"]);
    let e = query("C-NONE").await.unwrap_err();
    assert_eq!(e.api_code(), Some("ORDER_NOT_EXIST"), "{e:?}");

    // The user pays the whole (the control API takes the combine_out_trade_no).
    let paid = sandbox.simulator().unwrap().pay_order("C-1").unwrap();
    assert_eq!(paid["sub_orders"][1]["amount"]["payer_amount"], 250);
    let notified = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notified.combine_out_trade_no, "C-1");
    let after = query("C-1").await.unwrap();
    let subs_after = after.sub_orders.unwrap_or_default();
    assert_eq!(subs_after.len(), 2);
    assert!(subs_after
        .iter()
        .all(|s| s.transaction_id.is_some() && s.success_time.is_some()));
    assert!(after.combine_transaction_id.is_some());
    let close = wechatpay::v3::combine_transactions::out_trade_no::by_combine_out_trade_no::close::PostRequest::new(
        wechatpay::v3::combine_transactions::out_trade_no::by_combine_out_trade_no::close::PostRequestRequired {
            combine_appid: "wxd678efh567hg6787".into(),
            sub_orders: Vec::new(),
        },
    );
    let e = combine()
        .out_trade_no()
        .combine_out_trade_no("C-1")
        .close()
        .post(&close)
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("ORDERPAID"), "{e:?}");
}
