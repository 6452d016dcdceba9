//! Merchant transfer bills in the simulator (issue 23): created `WAIT_USER_CONFIRM` with a
//! `package_info`, confirmed by the payee through the control API, `MCHTRANSFER.BILL.FINISHED`
//! decoded by the merchant's endpoint; cancelled until done; the platform's errors.

use super::*;

use wechatpay::notifications::Resource;
use wechatpay::runtime::{NotificationEvent, NotificationService};
use wechatpay::v3::fund_app::mch_transfer::transfer_bills;
use wechatpay::v3::fund_app::models::{TransferSceneId, TransferSceneReportInfos, TransferSceneReportInfosRequired};

#[tokio::test]
async fn a_transfer_bill_waits_for_its_payee_and_is_notified_when_done() {
    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = client(&sandbox.base_url());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = NotificationService::new(client.clone(), move |event: NotificationEvent| {
        let tx = tx.clone();
        async move {
            match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::TransferBill(bill) => tx.send(*bill).unwrap(),
                other => return Err(format!("not a transfer bill: {other:?}")),
            }
            Ok::<(), String>(())
        }
    });
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;
    let bill = |out_bill_no: &str, transfer_amount: i64| {
        transfer_bills::PostRequest::new(transfer_bills::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            out_bill_no: out_bill_no.into(),
            openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            transfer_amount,
            transfer_remark: "佣金".into(),
            transfer_scene_id: TransferSceneId::V1000,
            transfer_scene_report_infos: vec![TransferSceneReportInfos::new(TransferSceneReportInfosRequired {
                info_type: "活动名称".into(),
                info_content: "新会员有礼".into(),
            })],
        })
        .with(|r| r.notify_url = Some(notify_url.clone()))
    };
    let bills = || client.v3().fund_app().mch_transfer().transfer_bills();
    let created = bills().post(&bill("B-1", 300)).await.unwrap();
    assert_eq!(format!("{:?}", created.state), "Some(WaitUserConfirm)");
    assert!(created.package_info.as_deref().is_some_and(|p| !p.is_empty()));
    // The same again: the same bill; other fields: refused; 2,000 yuan without the name: refused.
    let again = bills().post(&bill("B-1", 300)).await.unwrap();
    assert_eq!(again.transfer_bill_no, created.transfer_bill_no);
    let e = bills().post(&bill("B-1", 301)).await.unwrap_err();
    assert_eq!(e.api_code(), Some("INVALID_REQUEST"), "{e:?}");
    let e = bills().post(&bill("B-BIG", 200_000)).await.unwrap_err();
    assert_eq!(e.api_code(), Some("PARAM_ERROR"), "{e:?}");

    let query = |no: &'static str| {
        let client = client.clone();
        async move {
            client
                .v3()
                .fund_app()
                .mch_transfer()
                .transfer_bills()
                .out_bill_no()
                .out_bill_no(no)
                .get()
                .await
        }
    };
    assert_eq!(
        format!("{:?}", query("B-1").await.unwrap().state),
        "Some(WaitUserConfirm)"
    );

    // The payee confirms: SUCCESS, notified.
    let confirmed = simulator.confirm_transfer_bill("B-1", "SUCCESS").unwrap();
    assert_eq!(confirmed["state"], "SUCCESS");
    let notified = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notified.out_bill_no.as_deref(), Some("B-1"));
    assert_eq!(notified.transfer_amount, Some(300));
    assert_eq!(format!("{:?}", query("B-1").await.unwrap().state), "Some(Success)");
    assert!(
        simulator.confirm_transfer_bill("B-1", "SUCCESS").is_err(),
        "done already"
    );

    // Another is cancelled by the merchant before its payee confirms: CANCELLED, notified.
    bills().post(&bill("B-2", 100)).await.unwrap();
    let cancelled = client
        .v3()
        .fund_app()
        .mch_transfer()
        .transfer_bills()
        .out_bill_no()
        .out_bill_no("B-2")
        .cancel()
        .post()
        .await
        .unwrap();
    assert_eq!(format!("{:?}", cancelled.state), "Some(Cancelled)");
    let notified = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notified.out_bill_no.as_deref(), Some("B-2"));
    assert_eq!(format!("{:?}", notified.state), "Some(Cancelled)");
    assert_eq!(format!("{:?}", notified.fail_reason), "Some(MchCancel)");
    assert_eq!(simulator.confirm_transfer_bill("B-2", "SUCCESS").unwrap_err().0, 400);
    let e = query("B-NONE").await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e:?}");
}
