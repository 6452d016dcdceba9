//! The simulator (issue 23): orders remembered, paid, refunded and notified, for a direct
//! merchant, a service provider and APIv2, by hand or hands-off.

use super::*;

/// The simulator (issue 23): a JSAPI order is remembered, queried as it is now, paid by the user
/// (the control API), its notification delivered to the merchant's endpoint (an axum server
/// here, failing twice: the platform's schedule, compressed, tries again), queried `SUCCESS`;
/// the flows' mistakes are the platform's errors.
#[tokio::test]
async fn the_simulator_remembers_pays_notifies_and_answers_as_the_order_is() {
    use wechatpay::notifications::Resource;
    use wechatpay::runtime::{MemoryLedger, NotificationEvent, NotificationService};
    use wechatpay::types::TransactionTradeState;
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::{jsapi, out_trade_no::by_out_trade_no};

    let sandbox = simulator_sandbox().await;
    let client = client(&sandbox.base_url());

    // The merchant's notify_url: fails twice, then handles the payment.
    let (paid_tx, mut paid_rx) = tokio::sync::mpsc::unbounded_channel();
    let failures = Arc::new(AtomicUsize::new(2));
    let handler = move |event: NotificationEvent| {
        let (paid_tx, failures) = (paid_tx.clone(), failures.clone());
        async move {
            if failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err("the database is not up yet".to_owned());
            }
            match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::Transaction(tx) => paid_tx
                    .send((tx.out_trade_no.clone(), format!("{:?}", tx.trade_state)))
                    .unwrap(),
                Resource::Refund(r) => paid_tx
                    .send((
                        r.out_refund_no.clone().unwrap_or_default(),
                        format!("{:?}", r.refund_status),
                    ))
                    .unwrap(),
                _ => {}
            }
            Ok(())
        }
    };
    let endpoint = NotificationService::new(client.clone(), handler).ledger(Arc::new(MemoryLedger::new(100)));
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;

    let order = |out_trade_no: &str, total: i64| {
        jsapi::PostRequest::new(jsapi::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "Image形象店-深圳腾大-QQ公仔".into(),
            out_trade_no: out_trade_no.into(),
            amount: Amount::new(AmountRequired { total }),
            notify_url: notify_url.clone(),
            payer: jsapi::PostRequestPayer::new(jsapi::PostRequestPayerRequired {
                openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            }),
        })
    };
    let jsapi = || client.v3().pay().transactions().jsapi();
    let created = jsapi().post(&order("T-SIM-1", 100)).await.unwrap();
    assert!(created.prepay_id.starts_with("wx"), "{}", created.prepay_id);
    // The same order again: the same prepay_id; other fields: the platform's error.
    assert_eq!(
        jsapi().post(&order("T-SIM-1", 100)).await.unwrap().prepay_id,
        created.prepay_id
    );
    let reused = jsapi().post(&order("T-SIM-1", 200)).await.unwrap_err();
    assert_eq!(reused.api_code(), Some("OUT_TRADE_NO_USED"), "{reused}");

    let by_no = |no: &str| client.v3().pay().transactions().out_trade_no().out_trade_no(no);
    let query = || async { by_no("T-SIM-1").get(&by_out_trade_no::GetRequest::default()).await };
    let before = query().await.unwrap();
    assert_eq!(before.trade_state, Some(TransactionTradeState::Notpay));
    assert_eq!(before.amount.as_ref().and_then(|a| a.total), Some(100));
    let unknown = by_no("T-NONE")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.status(), unknown.api_code()),
        (Some(404), Some("ORDER_NOT_EXIST"))
    );

    // The user pays.
    let paid = reqwest::Client::new()
        .post(format!("{}/sandbox/transactions/T-SIM-1/pay", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let paid: Value = serde_json::from_str(&paid.text().await.unwrap()).unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS", "{paid}");
    let (out_trade_no, state) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((out_trade_no.as_str(), state.as_str()), ("T-SIM-1", "Some(Success)"));

    let after = query().await.unwrap();
    assert_eq!(after.trade_state, Some(TransactionTradeState::Success));
    let transaction_id = after.transaction_id.clone().unwrap();
    let by_id = client
        .v3()
        .pay()
        .transactions()
        .id()
        .transaction_id(&transaction_id)
        .get(&wechatpay::v3::pay::transactions::id::by_transaction_id::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(by_id.out_trade_no.as_deref(), Some("T-SIM-1"));
    // A paid order cannot be closed; an unpaid one can, and is then CLOSED.
    let close = |no: &'static str| async move {
        by_no(no)
            .close()
            .post(&by_out_trade_no::close::PostRequest::default())
            .await
    };
    assert_eq!(close("T-SIM-1").await.unwrap_err().api_code(), Some("ORDERPAID"));
    jsapi().post(&order("T-SIM-2", 1)).await.unwrap();
    close("T-SIM-2").await.unwrap();
    let closed = by_no("T-SIM-2")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(closed.trade_state, Some(TransactionTradeState::Closed));

    // A partial refund: PROCESSING, then completed by the control API, its notification
    // delivered; more than is left, or of an unpaid order: the platform's errors.
    use wechatpay::v3::refund::domestic::refunds::{self as refunds, PostRequestAmount, PostRequestAmountRequired};
    let refund = |out_trade_no: &str, out_refund_no: &str, amount: i64| {
        refunds::PostRequest::new(refunds::PostRequestRequired {
            out_refund_no: out_refund_no.into(),
            amount: PostRequestAmount::new(PostRequestAmountRequired {
                refund: amount,
                total: 100,
                currency: "CNY".into(),
            }),
        })
        .with(|r| {
            r.out_trade_no = Some(out_trade_no.into());
            r.notify_url = Some(notify_url.clone());
        })
    };
    let refunds_api = || client.v3().refund().domestic().refunds();
    let created = refunds_api().post(&refund("T-SIM-1", "R-SIM-1", 30)).await.unwrap();
    assert_eq!(format!("{:?}", created.status), "Some(Processing)");
    let too_much = refunds_api().post(&refund("T-SIM-1", "R-SIM-2", 71)).await.unwrap_err();
    assert_eq!(too_much.api_code(), Some("INVALID_REQUEST"), "{too_much}");
    let unpaid = refunds_api().post(&refund("T-SIM-2", "R-SIM-3", 1)).await.unwrap_err();
    assert_eq!(unpaid.api_code(), Some("RESOURCE_NOT_EXISTS"), "{unpaid}");
    let completed = reqwest::Client::new()
        .post(format!("{}/sandbox/refunds/R-SIM-1/complete", sandbox.base_url()))
        .body(r#"{"outcome":"SUCCESS"}"#)
        .send()
        .await
        .unwrap();
    assert!(completed.status().is_success());
    let (out_refund_no, status) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((out_refund_no.as_str(), status.as_str()), ("R-SIM-1", "Some(Success)"));
    let queried = refunds_api()
        .out_refund_no("R-SIM-1")
        .get(&refunds::by_out_refund_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(format!("{:?}", queried.status), "Some(Success)");
    // What is left (70) can still be refunded.
    refunds_api().post(&refund("T-SIM-1", "R-SIM-4", 70)).await.unwrap();

    // Every delivery and its attempts: two failures, then delivered.
    let deliveries = reqwest::get(format!("{}/sandbox/notifications", sandbox.base_url()))
        .await
        .unwrap();
    let deliveries: Value = serde_json::from_str(&deliveries.text().await.unwrap()).unwrap();
    let delivery = &deliveries["data"][0];
    assert_eq!(delivery["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(delivery["delivered"], true);
    assert_eq!(deliveries["data"][1]["event_type"], "REFUND.SUCCESS");
    let statuses: Vec<u64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 204], "{deliveries}");

    // The day's bill lists the payment and the two refunds, its SHA-1 checked on download.
    use wechatpay::v3::bill::tradebill;
    let today = wechatpay_sandbox::sim::bills::day(sandbox.simulator().unwrap().now());
    let request = tradebill::GetRequest::new(tradebill::GetRequestRequired { bill_date: today });
    let bill = client.v3().bill().tradebill().get(&request).await.unwrap();
    let mut bytes = Vec::new();
    client
        .download_bill(
            &bill.download_url.unwrap(),
            &bill.hash_value.unwrap(),
            false,
            &mut bytes,
        )
        .await
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("`T-SIM-1,")).collect();
    assert_eq!(rows.len(), 3, "one payment, two refunds: {text}");
    assert!(
        rows[0].contains("`SUCCESS,") && rows[1].contains("`R-SIM-1,") && rows[2].contains("`R-SIM-4,"),
        "{text}"
    );
    assert!(
        text.ends_with("`3,`1.00,`1.00,`0.00,`0.01000,`1.00,`1.00\r\n"),
        "{text}"
    );
}

/// A merchant answering `500` forever sees every attempt of the platform's schedule (16, the
/// delays compressed), and the delivery is never marked delivered; the simulator's Rust API pays
/// the order as the control API does.
#[tokio::test]
async fn a_notification_answered_500_forever_is_tried_on_the_whole_schedule() {
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    use wechatpay_sandbox::sim::{SimulatorConfig, SCHEDULE};

    let sandbox = simulator_sandbox_with(SimulatorConfig {
        schedule_factor: 0.00002,
        ..SimulatorConfig::default()
    })
    .await;
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    // The merchant's endpoint, down: every attempt is answered 500.
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down") }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let created = client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native::PostRequest::new(native::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "QR".into(),
            out_trade_no: "T-DOWN".into(),
            amount: Amount::new(AmountRequired { total: 1 }),
            notify_url,
        }))
        .await
        .unwrap();
    assert!(created.code_url.starts_with("weixin://"), "{}", created.code_url);
    let simulator = sandbox.simulator().unwrap();
    let paid = simulator.pay_order("T-DOWN").unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS");
    assert_eq!(simulator.pay_order("T-DOWN").unwrap_err().1["code"], "ORDERPAID");

    let every = SCHEDULE.len() + 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while simulator.notifications()[0].attempts.len() < every {
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = &simulator.notifications()[0];
    assert_eq!(delivery.attempts.len(), 16);
    assert!(delivery.attempts.iter().all(|a| a.status == Some(500)), "{delivery:?}");
    assert!(!delivery.delivered);
    assert_eq!(hits.load(Ordering::SeqCst), 16);
}

/// The simulator for a service provider and its sub-merchant: a partner JSAPI order, queried
/// by `sp_mchid` and `sub_mchid`, paid, its notification typed as the partner payment it is,
/// refunded for the sub-merchant and its refund notification typed as the partner refund.
#[tokio::test]
async fn the_simulator_serves_a_service_provider_and_its_sub_merchant() {
    use wechatpay::notifications::Resource;
    use wechatpay::runtime::{NotificationEvent, NotificationService};
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::partner::transactions::{jsapi, out_trade_no::by_out_trade_no};
    use wechatpay::v3::refund::domestic::refunds::{self as refunds, PostRequestAmount, PostRequestAmountRequired};

    let sandbox = simulator_sandbox().await;
    let client = client(&sandbox.base_url());
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let handler = move |event: NotificationEvent| {
        let seen_tx = seen_tx.clone();
        async move {
            let kind = match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::PartnerTransaction(tx) => format!("partner payment {} of {}", tx.out_trade_no, tx.sub_mchid),
                Resource::PartnerRefund(r) => format!("partner refund {}", r.out_refund_no.unwrap_or_default()),
                other => format!("{other:?}"),
            };
            seen_tx.send(kind).unwrap();
            Ok::<(), String>(())
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    let endpoint = NotificationService::new(client.clone(), handler);
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route_service("/notify", endpoint))
            .await
            .unwrap()
    });
    async fn next(seen: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
        tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .unwrap()
            .unwrap()
    }

    let order = jsapi::PostRequest::new(jsapi::PostRequestRequired {
        sp_appid: "wx8888888888888888".into(),
        sub_mchid: "1900000109".into(),
        description: "Image形象店".into(),
        out_trade_no: "T-SP-1".into(),
        amount: Amount::new(AmountRequired { total: 100 }),
        notify_url: notify_url.clone(),
        payer: jsapi::PostRequestPayer::default().with(|p| p.sp_openid = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into())),
    });
    let partner = || client.v3().pay().partner().transactions();
    assert!(partner()
        .jsapi()
        .post(&order)
        .await
        .unwrap()
        .prepay_id
        .starts_with("wx"));
    let query = by_out_trade_no::GetRequest::new(by_out_trade_no::GetRequestRequired {
        sub_mchid: "1900000109".into(),
    });
    let before = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&query)
        .await
        .unwrap();
    assert_eq!(format!("{:?}", before.trade_state), "Some(Notpay)");
    // Another sub-merchant has no such order.
    let other = by_out_trade_no::GetRequest::new(by_out_trade_no::GetRequestRequired {
        sub_mchid: "1900000110".into(),
    });
    let e = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&other)
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("ORDER_NOT_EXIST"));

    sandbox.simulator().unwrap().pay_order("T-SP-1").unwrap();
    assert_eq!(next(&mut seen).await, "partner payment T-SP-1 of 1900000109");
    let after = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&query)
        .await
        .unwrap();
    assert_eq!(format!("{:?}", after.trade_state), "Some(Success)");
    assert_eq!(
        after.payer.and_then(|p| p.sp_openid).as_deref(),
        Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    );

    let refund = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: "R-SP-1".into(),
        amount: PostRequestAmount::new(PostRequestAmountRequired {
            refund: 100,
            total: 100,
            currency: "CNY".into(),
        }),
    })
    .with(|r| {
        r.sub_mchid = Some("1900000109".into());
        r.out_trade_no = Some("T-SP-1".into());
        r.notify_url = Some(notify_url.clone());
    });
    client.v3().refund().domestic().refunds().post(&refund).await.unwrap();
    sandbox.simulator().unwrap().complete("R-SP-1", "SUCCESS").unwrap();
    assert_eq!(next(&mut seen).await, "partner refund R-SP-1");
}

/// The simulator's APIv2 side on the same state: `unifiedorder` creates, `orderquery` answers
/// as the order is, the user pays, the merchant's APIv2 endpoint receives the signed XML result,
/// `closeorder` of a paid order and a query of an unknown one are the platform's `FAIL`s.
#[tokio::test]
async fn the_simulator_serves_apiv2_payments_on_the_same_state() {
    use wechatpay::runtime::v2::{PaymentResult, ResultError, XmlObject as _};
    use wechatpay::runtime::V2NotificationService;
    use wechatpay::v2::pay::{closeorder, orderquery, unifiedorder};

    let sandbox = simulator_sandbox().await;
    let client = v2_client(&sandbox.base_url());
    let (paid_tx, mut paid_rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = V2NotificationService::new(client.clone(), move |fields: Vec<(String, String)>| {
        let paid_tx = paid_tx.clone();
        async move {
            let result = PaymentResult::read_fields(&fields).map_err(|e| e.to_string())?;
            paid_tx
                .send((
                    result.out_trade_no.clone().unwrap_or_default(),
                    result.is_paid(),
                    result.total_fee,
                ))
                .unwrap();
            Ok::<(), String>(())
        }
    });
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;

    let order = unifiedorder::PostRequest::new(unifiedorder::PostRequestRequired {
        body: "Image形象店".into(),
        out_trade_no: "T-V2-1".into(),
        total_fee: 101,
        spbill_create_ip: "127.0.0.1".into(),
        notify_url,
        trade_type: "JSAPI".into(),
    })
    .with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.openid = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into());
    });
    let created = client.v2().pay().unifiedorder().post(&order).await.unwrap();
    assert!(
        created.prepay_id.as_deref().is_some_and(|p| p.starts_with("wx")),
        "{created:?}"
    );
    let query = |no: &str| {
        orderquery::PostRequest::default().with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.out_trade_no = Some(no.into());
        })
    };
    let before = client.v2().pay().orderquery().post(&query("T-V2-1")).await.unwrap();
    assert_eq!(format!("{:?}", before.trade_state), "Some(Notpay)");

    sandbox.simulator().unwrap().pay_order("T-V2-1").unwrap();
    let (no, paid, total) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((no.as_str(), paid, total), ("T-V2-1", true, Some(101)));
    let after = client.v2().pay().orderquery().post(&query("T-V2-1")).await.unwrap();
    assert_eq!(format!("{:?}", after.trade_state), "Some(Success)");
    assert!(after.transaction_id.is_some());

    let close = closeorder::PostRequest::new(closeorder::PostRequestRequired {
        out_trade_no: "T-V2-1".into(),
    })
    .with(|r| r.appid = Some("wx8888888888888888".into()));
    let e = client.v2().pay().closeorder().post(&close).await.unwrap_err();
    assert!(
        matches!(&e, wechatpay::Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "ORDERPAID"),
        "{e:?}"
    );
    let e = client
        .v2()
        .pay()
        .orderquery()
        .post(&query("T-V2-NONE"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, wechatpay::Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "ORDERNOTEXIST"),
        "{e:?}"
    );
}

/// Hands-off runs: an order is paid by itself after a while, and each notification is
/// delivered twice (the same id): the merchant's ledger runs the handler once.
#[tokio::test]
async fn hands_off_orders_pay_themselves_and_duplicates_are_handled_once() {
    use wechatpay::runtime::{MemoryLedger, NotificationEvent, NotificationService};
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    use wechatpay_sandbox::sim::SimulatorConfig;

    let sandbox = simulator_sandbox_with(SimulatorConfig {
        pay_after: Some(Duration::from_millis(50)),
        duplicates: true,
        ..fast_simulator()
    })
    .await;
    let client = client(&sandbox.base_url());
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let endpoint = NotificationService::new(client.clone(), move |_: NotificationEvent| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    })
    .ledger(Arc::new(MemoryLedger::new(100)));
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;

    client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native::PostRequest::new(native::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "QR".into(),
            out_trade_no: "T-AUTO".into(),
            amount: Amount::new(AmountRequired { total: 1 }),
            notify_url,
        }))
        .await
        .unwrap();
    let simulator = sandbox.simulator().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(simulator.notifications().len() == 2 && simulator.notifications().iter().all(|d| d.delivered)) {
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = simulator.notifications();
    assert_eq!(deliveries[0].id, deliveries[1].id);
    assert_eq!(deliveries.iter().filter(|d| d.duplicate).count(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the duplicate ran the handler again");
    assert_eq!(simulator.order(keys::MCHID, "T-AUTO").unwrap().trade_state, "SUCCESS");
}

/// Hands-off refunds end by themselves; with `hold_back`, every other notification waits before
/// its first attempt: the refund's `REFUND.SUCCESS` reaches the merchant before the payment's
/// `TRANSACTION.SUCCESS` it follows.
#[tokio::test]
async fn hands_off_refunds_end_by_themselves_and_notifications_can_arrive_out_of_order() {
    use wechatpay::runtime::{NotificationEvent, NotificationService};
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    use wechatpay::v3::refund::domestic::refunds;
    use wechatpay_sandbox::sim::SimulatorConfig;

    let sandbox = simulator_sandbox_with(SimulatorConfig {
        pay_after: Some(Duration::from_millis(20)),
        complete_refunds_after: Some(Duration::from_millis(20)),
        hold_back: Some(Duration::from_millis(1500)),
        ..fast_simulator()
    })
    .await;
    let client = client(&sandbox.base_url());
    let arrived = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = arrived.clone();
    let endpoint = NotificationService::new(client.clone(), move |event: NotificationEvent| {
        seen.lock().unwrap().push(event.event_type.clone());
        async { Ok::<(), String>(()) }
    });
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;
    let order = native::PostRequest::new(native::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "QR".into(),
        out_trade_no: "T-ORDER".into(),
        amount: Amount::new(AmountRequired { total: 300 }),
        notify_url: notify_url.clone(),
    });
    client.v3().pay().transactions().native().post(&order).await.unwrap();
    let simulator = sandbox.simulator().unwrap();
    wait_until("paid by itself", simulator, || {
        simulator
            .order(keys::MCHID, "T-ORDER")
            .is_some_and(|o| o.trade_state == "SUCCESS")
    })
    .await;
    let refund = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: "R-ORDER".into(),
        amount: refunds::PostRequestAmount::new(refunds::PostRequestAmountRequired {
            refund: 100,
            total: 300,
            currency: "CNY".into(),
        }),
    })
    .with(|r| {
        r.out_trade_no = Some("T-ORDER".into());
        r.notify_url = Some(notify_url.clone());
    });
    let created = client.v3().refund().domestic().refunds().post(&refund).await.unwrap();
    assert_eq!(format!("{:?}", created.status), "Some(Processing)");
    wait_until("both delivered", simulator, || arrived.lock().unwrap().len() == 2).await;
    assert_eq!(*arrived.lock().unwrap(), ["REFUND.SUCCESS", "TRANSACTION.SUCCESS"]);
}

/// Waits (10 s at most) until `done`; fails with `what` and the deliveries.
async fn wait_until(what: &str, simulator: &wechatpay_sandbox::sim::Simulator, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {:?}",
            simulator.notifications()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
