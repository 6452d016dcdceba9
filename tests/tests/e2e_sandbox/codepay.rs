//! Code payments (付款码支付) in the simulator's APIv3 (issue 23): `202 USERPAYING` while the
//! user enters their password, the order queried `USERPAYING` until the user pays (the control
//! API), reversed when the user fails.

use super::*;

use wechatpay::v3::pay::models::{
    Amount, AmountRequired, RequestPayer, RequestPayerRequired, RequestSceneInfo, RequestSceneInfoRequired,
    RequestStoreInfo,
};
use wechatpay::v3::pay::transactions::codepay;
use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
use wechatpay_sandbox::sim::SimulatorConfig;

#[tokio::test]
async fn a_v3_code_payment_is_202_userpaying_until_the_user_pays() {
    let sandbox = simulator_sandbox_with(SimulatorConfig::default()).await;
    let simulator = sandbox.simulator().unwrap();
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    let pay = |out_trade_no: &str, auth_code: &str| {
        codepay::PostRequest::new(codepay::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "付款码".into(),
            out_trade_no: out_trade_no.into(),
            payer: RequestPayer::new(RequestPayerRequired {
                auth_code: auth_code.into(),
            }),
            amount: Amount::new(AmountRequired { total: 800 }),
            scene_info: RequestSceneInfo::new(RequestSceneInfoRequired {
                store_info: RequestStoreInfo::default().with(|s| s.out_id = Some("STORE-1".into())),
            }),
        })
    };
    let codepay = || client.v3().pay().transactions().codepay();
    let e = codepay().post(&pay("T-CP-0", "990000000000000000")).await.unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(400), Some("PARAM_ERROR")), "{e:?}");
    let e = codepay().post(&pay("T-CP-1", "134567890123456789")).await.unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(202), Some("USERPAYING")), "{e:?}");
    let state = |no: &'static str| {
        let client = client.clone();
        async move {
            let t = client
                .v3()
                .pay()
                .transactions()
                .out_trade_no()
                .out_trade_no(no)
                .get(&by_out_trade_no::GetRequest::default())
                .await
                .unwrap();
            format!("{:?}/{:?}", t.trade_state, t.trade_type)
        }
    };
    assert_eq!(state("T-CP-1").await, "Some(Userpaying)/Some(Micropay)");
    simulator.pay_order("T-CP-1").unwrap();
    assert_eq!(state("T-CP-1").await, "Some(Success)/Some(Micropay)");

    // The user fails; the merchant reverses the order.
    codepay().post(&pay("T-CP-2", "104567890123456789")).await.unwrap_err();
    let failed = reqwest::Client::new()
        .post(format!("{}/sandbox/transactions/T-CP-2/pay", sandbox.base_url()))
        .body(r#"{"outcome":"PAYERROR"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 200);
    assert_eq!(state("T-CP-2").await, "Some(Payerror)/Some(Micropay)");
    client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T-CP-2")
        .reverse()
        .post(&by_out_trade_no::reverse::PostRequest::new(
            by_out_trade_no::reverse::PostRequestRequired {
                appid: "wxd678efh567hg6787".into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(state("T-CP-2").await, "Some(Revoked)/Some(Micropay)");
}
