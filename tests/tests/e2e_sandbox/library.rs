//! The sandbox as a library for a merchant's own tests (issue 23, item 6): started in-process on
//! a free port, its client configured from `Sandbox::client_vars` with
//! `ClientBuilder::from_vars` (no process-wide environment touched), the user's side called as
//! methods.

use super::*;

use wechatpay::v3::pay::models::{Amount, AmountRequired};
use wechatpay::v3::pay::transactions::native;
use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
use wechatpay::ClientBuilder;

#[tokio::test]
async fn a_merchants_test_starts_a_sandbox_and_builds_its_client_from_it() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client: Client = ClientBuilder::from_vars(sandbox.client_vars(dir.path()).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let order = native::PostRequest::new(native::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "QR".into(),
        out_trade_no: "T-LIB".into(),
        amount: Amount::new(AmountRequired { total: 1 }),
        notify_url: "http://127.0.0.1:9/notify".into(),
    });
    client.v3().pay().transactions().native().post(&order).await.unwrap();
    sandbox.simulator().unwrap().pay_order("T-LIB").unwrap();
    let paid = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T-LIB")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(format!("{:?}", paid.trade_state), "Some(Success)");
    assert_eq!(sandbox.simulator().unwrap().notifications().len(), 1);

    // A setting left out is named, as from_env names it.
    let e = ClientBuilder::from_vars([("WECHATPAY_MCHID", "1900000001")])
        .err()
        .unwrap();
    assert!(e.to_string().contains("WECHATPAY_SERIAL"), "{e}");
}
