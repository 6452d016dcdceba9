//! Profit sharing in the simulator (issue 23): receivers added, a paid order that asked for it
//! shared, what is left unfrozen, a share taken back; the platform's errors.

use super::*;

use wechatpay::v3::pay::models::{Amount, AmountRequired};
use wechatpay::v3::pay::transactions::native;
use wechatpay::v3::profitsharing::models::{OrdersReceiversType, RelationType};
use wechatpay::v3::profitsharing::{orders, receivers, return_orders};
use wechatpay_sandbox::sim::SimulatorConfig;

#[tokio::test]
async fn a_paid_order_is_shared_unfrozen_and_a_share_taken_back() {
    let sandbox = simulator_sandbox_with(SimulatorConfig::default()).await;
    let simulator = sandbox.simulator().unwrap();
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    let pay = |no: &'static str, sharing: bool| {
        let client = client.clone();
        async move {
            let order = native::PostRequest::new(native::PostRequestRequired {
                appid: "wxd678efh567hg6787".into(),
                description: "分账".into(),
                out_trade_no: no.into(),
                amount: Amount::new(AmountRequired { total: 1000 }),
                notify_url: "http://127.0.0.1:9/notify".into(),
            })
            .with(|r| {
                r.settle_info =
                    Some(native::PostRequestSettleInfo::default().with(|s| s.profit_sharing = Some(sharing)))
            });
            client.v3().pay().transactions().native().post(&order).await.unwrap();
            simulator.pay_order(no).unwrap()["transaction_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let shared_order = pay("T-PS-1", true).await;
    let plain_order = pay("T-PS-2", false).await;
    let ps = || client.v3().profitsharing();
    let add = receivers::add::PostRequest::new(receivers::add::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        type_: OrdersReceiversType::MerchantId,
        account: "1900000109".into(),
        relation_type: RelationType::Store,
    })
    .with(|r| r.name = Some("TEST-ONLY-ciphertext".into()));
    ps().receivers().add().post(&add).await.unwrap();

    let share = |no: &str, transaction_id: &str, amounts: &[(&str, i64)], unfreeze: bool| {
        orders::PostRequest::new(orders::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            transaction_id: transaction_id.into(),
            out_order_no: no.into(),
            unfreeze_unsplit: unfreeze,
        })
        .with(|r| {
            r.receivers = Some(
                amounts
                    .iter()
                    .map(|(account, amount)| {
                        orders::PostRequestReceivers::new(orders::PostRequestReceiversRequired {
                            type_: OrdersReceiversType::MerchantId,
                            account: (*account).into(),
                            amount: *amount,
                            description: "分给门店".into(),
                        })
                    })
                    .collect(),
            )
        })
    };
    // An order that did not ask for profit sharing; more than was paid.
    let e = ps()
        .orders()
        .post(&share("P-0", &plain_order, &[("1900000109", 100)], false))
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("INVALID_REQUEST"), "{e:?}");
    let e = ps()
        .orders()
        .post(&share("P-0", &shared_order, &[("1900000109", 1001)], false))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(403), Some("NOT_ENOUGH")), "{e:?}");

    // 300 to the store (added), 50 to a receiver never added (closed: no relation).
    let done = ps()
        .orders()
        .post(&share(
            "P-1",
            &shared_order,
            &[("1900000109", 300), ("1900000999", 50)],
            false,
        ))
        .await
        .unwrap();
    let results: Vec<String> = done
        .receivers
        .iter()
        .flatten()
        .map(|r| format!("{:?}/{:?}", r.result, r.fail_reason))
        .collect();
    assert_eq!(results, ["Some(Success)/None", "Some(Closed)/Some(NoRelation)"]);
    let amounts = || async {
        ps().transactions()
            .transaction_id(&shared_order)
            .amounts()
            .get()
            .await
            .unwrap()
            .unsplit_amount
    };
    assert_eq!(amounts().await, Some(700));
    let queried = ps()
        .orders()
        .out_order_no("P-1")
        .get(&orders::by_out_order_no::GetRequest::new(
            orders::by_out_order_no::GetRequestRequired {
                transaction_id: shared_order.clone(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(queried.order_id, done.order_id);

    // A share taken back from the store: at most what it was given.
    let take = |no: &str, amount: i64| {
        return_orders::PostRequest::new(return_orders::PostRequestRequired {
            out_return_no: no.into(),
            return_mchid: "1900000109".into(),
            amount,
            description: "退货".into(),
        })
        .with(|r| r.out_order_no = Some("P-1".into()))
    };
    let e = ps().return_orders().post(&take("RT-0", 301)).await.unwrap_err();
    assert_eq!(e.api_code(), Some("NOT_ENOUGH"), "{e:?}");
    let back = ps().return_orders().post(&take("RT-1", 100)).await.unwrap();
    assert_eq!(format!("{:?}", back.result), "Some(Success)");
    let e = ps().return_orders().post(&take("RT-2", 201)).await.unwrap_err();
    assert_eq!(e.api_code(), Some("NOT_ENOUGH"), "200 left to take back: {e:?}");

    // The rest back to the merchant; then nothing is left.
    let unfreeze = orders::unfreeze::PostRequest::new(orders::unfreeze::PostRequestRequired {
        transaction_id: shared_order.clone(),
        out_order_no: "P-2".into(),
        description: "解冻".into(),
    });
    let unfrozen = ps().orders().unfreeze().post(&unfreeze).await.unwrap();
    assert_eq!(
        unfrozen
            .receivers
            .iter()
            .flatten()
            .map(|r| r.amount)
            .collect::<Vec<_>>(),
        [Some(700)]
    );
    assert_eq!(amounts().await, Some(0));
    let again = orders::unfreeze::PostRequest::new(orders::unfreeze::PostRequestRequired {
        transaction_id: shared_order.clone(),
        out_order_no: "P-3".into(),
        description: "解冻".into(),
    });
    let e = ps().orders().unfreeze().post(&again).await.unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(403), Some("NOT_ENOUGH")), "{e:?}");
}
