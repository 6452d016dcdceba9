//! The simulator's state kept across restarts (`SimulatorConfig::state_file`): a sandbox started
//! again on the same file answers the orders and refunds of the one before.

use super::*;

use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
use wechatpay::v3::refund::domestic::refunds;
use wechatpay_sandbox::sim::SimulatorConfig;

fn config(file: &std::path::Path) -> SandboxConfig {
    SandboxConfig {
        simulator: Some(SimulatorConfig {
            state_file: Some(file.to_owned()),
            ..fast_simulator()
        }),
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn a_restarted_sandbox_remembers_the_orders_and_refunds_of_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("simulator.json");
    let first = Sandbox::start(config(&file)).await.unwrap();
    let client = builder().base_url(first.base_url()).build().unwrap();
    client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native_order("T-KEEP"))
        .await
        .unwrap();
    let paid = first.simulator().unwrap().pay_order("T-KEEP").unwrap();
    let refund = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: "R-KEEP".into(),
        amount: refunds::PostRequestAmount::new(refunds::PostRequestAmountRequired {
            refund: 40,
            total: 100,
            currency: "CNY".into(),
        }),
    })
    .with(|r| r.out_trade_no = Some("T-KEEP".into()));
    client.v3().refund().domestic().refunds().post(&refund).await.unwrap();
    // Written within 0.2 s of the change.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&file).is_ok_and(|t| t.contains("R-KEEP")) {
        assert!(std::time::Instant::now() < deadline, "never written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first);

    let second = Sandbox::start(config(&file)).await.unwrap();
    let client = builder().base_url(second.base_url()).build().unwrap();
    let queried = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T-KEEP")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(queried.transaction_id.as_deref(), paid["transaction_id"].as_str());
    assert_eq!(format!("{:?}", queried.trade_state), "Some(Success)");
    let kept = client
        .v3()
        .refund()
        .domestic()
        .refunds()
        .out_refund_no("R-KEEP")
        .get(&Default::default())
        .await
        .unwrap();
    assert_eq!(kept.amount.and_then(|a| a.refund), Some(40));
    // The numbering goes on: a new order's transaction id is not the old one's.
    client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native_order("T-NEW"))
        .await
        .unwrap();
    let new = second.simulator().unwrap().pay_order("T-NEW").unwrap();
    assert_ne!(new["transaction_id"], paid["transaction_id"]);
    drop(second);

    // A file that is not the simulator's state: the sandbox does not start, and says why.
    std::fs::write(&file, "{\"orders\": 7}").unwrap();
    let e = Sandbox::start(config(&file)).await.err().expect("refused");
    assert!(e.contains("simulator.json") && e.contains("line 1"), "{e}");
}
