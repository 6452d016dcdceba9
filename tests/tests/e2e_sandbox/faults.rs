//! Faults on purpose (issue 23, item 5): asked for through the control API, answered as the
//! platform answers on a bad day, and seen by the real client as the errors a merchant handles.

use super::*;

use wechatpay::Error;
use wechatpay_sandbox::sim::{Fault, FaultKind};

/// `POST /sandbox/faults` with `fault`: the status and the JSON answer.
async fn ask(base_url: &str, fault: Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{base_url}/sandbox/faults"))
        .body(fault.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap())
}

#[tokio::test]
async fn faults_asked_for_are_the_errors_a_merchant_handles() {
    let sandbox = simulator_sandbox().await;
    let base = sandbox.base_url();
    let simulator = sandbox.simulator().unwrap();
    let client = builder().base_url(&base).build().unwrap();
    let create = |no: &'static str| {
        let client = client.clone();
        async move { client.v3().pay().transactions().native().post(&native_order(no)).await }
    };
    let query = |no: &'static str| {
        let client = client.clone();
        async move {
            client
                .v3()
                .pay()
                .transactions()
                .out_trade_no()
                .out_trade_no(no)
                .get(&Default::default())
                .await
        }
    };

    // 500 SYSTEM_ERROR, once, for one operation: nothing is created; the next call goes through.
    let (status, listed) = ask(
        &base,
        json!({"fault": "system_error", "operation": "POST /v3/pay/transactions/native", "times": 1}),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"][0]["fault"], "system_error");
    let err = create("T-FAULT-1").await.unwrap_err();
    assert_eq!(
        (err.status(), err.api_code()),
        (Some(500), Some("SYSTEM_ERROR")),
        "{err:?}"
    );
    assert!(err.is_retryable(), "{err:?}");
    assert!(simulator.order(keys::MCHID, "T-FAULT-1").is_none());
    assert!(simulator.faults().is_empty(), "used up: {:?}", simulator.faults());
    create("T-FAULT-1").await.unwrap();

    // 429, named as the spec writes the path; the other operations are untouched.
    let (status, _) = ask(
        &base,
        json!({"fault": "frequency_limited", "operation": "GET /v3/pay/transactions/out-trade-no/{out_trade_no}"}),
    )
    .await;
    assert_eq!(status, 200);
    let err = query("T-FAULT-1").await.unwrap_err();
    match &err {
        Error::Api(api) => assert!(api.status == 429 && api.is_rate_limited(), "{api:?}"),
        other => panic!("{other:?}"),
    }
    create("T-FAULT-2").await.unwrap();
    assert!(query("T-FAULT-1").await.is_err(), "stays until cleared");
    simulator.clear_faults();
    query("T-FAULT-1").await.unwrap();

    // A dropped connection: sent once more at once (the client's resend of a request closed
    // unanswered), dropped again: a transport error, nothing created.
    simulator
        .add_fault(Fault {
            fault: FaultKind::DropConnection,
            operation: None,
            latency_ms: None,
            times: Some(2),
        })
        .unwrap();
    let err = create("T-FAULT-3").await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(simulator.order(keys::MCHID, "T-FAULT-3").is_none());
    assert!(simulator.faults().is_empty());

    // Latency past the client's timeout: the client gives up, the order exists all the same
    // (as on the platform), and a query finds it.
    let (status, _) = ask(&base, json!({"fault": "latency", "latency_ms": 600, "times": 1})).await;
    assert_eq!(status, 200);
    let impatient = builder()
        .base_url(&base)
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = impatient
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native_order("T-FAULT-4"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(simulator.order(keys::MCHID, "T-FAULT-4").is_some());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        query("T-FAULT-4").await.unwrap().trade_state,
        Some(wechatpay::types::TransactionTradeState::Notpay)
    );

    // An answer signed with a key that is not the platform's is refused by the client.
    let (status, _) = ask(&base, json!({"fault": "wrong_signature", "times": 1})).await;
    assert_eq!(status, 200);
    let err = query("T-FAULT-4").await.unwrap_err();
    assert!(matches!(err, Error::Verification(_)), "{err:?}");

    // Signed in the other key mode (the platform certificate's): refused by a client that knows
    // only the public key, verified by one that knows both (a merchant migrating).
    let (status, _) = ask(&base, json!({"fault": "other_key_mode", "times": 2})).await;
    assert_eq!(status, 200);
    let err = query("T-FAULT-4").await.unwrap_err();
    assert!(matches!(err, Error::Verification(_)), "{err:?}");
    let migrating = builder()
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .base_url(&base)
        .build()
        .unwrap();
    migrating
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T-FAULT-4")
        .get(&Default::default())
        .await
        .unwrap();
    assert!(simulator.faults().is_empty());
}

#[tokio::test]
async fn a_fault_that_is_not_one_is_refused_with_its_reason() {
    let sandbox = simulator_sandbox().await;
    let base = sandbox.base_url();
    for (fault, reason) in [
        (json!({"fault": "latency"}), "latency_ms"),
        (
            json!({"fault": "system_error", "latency_ms": 5}),
            "latency_ms is for a latency fault",
        ),
        (json!({"fault": "meteor_strike"}), "unknown variant"),
        (
            json!({"fault": "system_error", "operation": "notifications"}),
            "wrong_signature or other_key_mode",
        ),
        (
            json!({"fault": "system_error", "operation": "/v3/pay/transactions/native"}),
            "a method and a path",
        ),
        (json!({"fault": "system_error", "times": 0}), "at least 1"),
        (json!({"fault": "system_error", "when": "now"}), "unknown field"),
    ] {
        let (status, answer) = ask(&base, fault.clone()).await;
        assert_eq!(status, 400, "{fault}: {answer}");
        assert_eq!(answer["code"], "PARAM_ERROR", "{fault}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(reason), "{fault}: {message}");
    }
    assert!(sandbox.simulator().unwrap().faults().is_empty());
    // Listed, then cleared.
    ask(&base, json!({"fault": "system_error"})).await;
    let http = reqwest::Client::new();
    let listed = http.get(format!("{base}/sandbox/faults")).send().await.unwrap();
    let listed: Value = serde_json::from_slice(&listed.bytes().await.unwrap()).unwrap();
    assert_eq!(listed["data"], json!([{"fault": "system_error"}]));
    let cleared = http.delete(format!("{base}/sandbox/faults")).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(sandbox.simulator().unwrap().faults().is_empty());
}

/// A notification signed with the wrong key is refused by the merchant's endpoint at every
/// attempt and never handled; one signed in the other key mode is accepted by an endpoint whose
/// client knows both keys.
#[tokio::test]
async fn faulted_notifications_are_refused_or_accepted_as_the_merchants_keys_say() {
    use wechatpay::runtime::{NotificationEvent, NotificationService};

    let sandbox = simulator_sandbox().await;
    let base = sandbox.base_url();
    let simulator = sandbox.simulator().unwrap();
    let client = builder()
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .apiv3_key(keys::APIV3_KEY)
        .base_url(&base)
        .build()
        .unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let counted = handled.clone();
    let handler = move |_event: NotificationEvent| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    };
    let endpoint = NotificationService::new(client.clone(), handler);
    let notify_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;
    let order = |no: &str| native_order(no).with(|r| r.notify_url = notify_url.clone());
    let transactions = || client.v3().pay().transactions();

    let (status, _) = ask(
        &base,
        json!({"fault": "wrong_signature", "operation": "notifications", "times": 1}),
    )
    .await;
    assert_eq!(status, 200);
    transactions().native().post(&order("T-NOTE-1")).await.unwrap();
    simulator.pay_order("T-NOTE-1").unwrap();
    // Every attempt carries the same forged signature: every one refused, none handled.
    let refused = wait_attempts(simulator, 0, 3).await;
    assert!(!refused.delivered, "{refused:?}");
    assert!(
        refused
            .attempts
            .iter()
            .all(|a| a.status.is_some_and(|s| !(200..300).contains(&s))),
        "{refused:?}"
    );
    assert_eq!(
        handled.load(Ordering::SeqCst),
        0,
        "a forged notification is never handled"
    );

    let (status, _) = ask(
        &base,
        json!({"fault": "other_key_mode", "operation": "notifications", "times": 1}),
    )
    .await;
    assert_eq!(status, 200);
    transactions().native().post(&order("T-NOTE-2")).await.unwrap();
    simulator.pay_order("T-NOTE-2").unwrap();
    let delivered = wait_attempts(simulator, 1, 1).await;
    assert!(delivered.delivered, "{delivered:?}");
    assert_eq!(handled.load(Ordering::SeqCst), 1);

    // The same fault at an endpoint whose client knows only the public key: refused.
    let public_key_only = builder().apiv3_key(keys::APIV3_KEY).base_url(&base).build().unwrap();
    let endpoint = NotificationService::new(public_key_only, |_event: NotificationEvent| async {
        Ok::<(), String>(())
    });
    let other_url = serve_notify(axum::Router::new().route_service("/notify", endpoint)).await;
    ask(
        &base,
        json!({"fault": "other_key_mode", "operation": "notifications", "times": 1}),
    )
    .await;
    let order = native_order("T-NOTE-3").with(|r| r.notify_url = other_url);
    transactions().native().post(&order).await.unwrap();
    simulator.pay_order("T-NOTE-3").unwrap();
    let refused = wait_attempts(simulator, 2, 2).await;
    assert!(!refused.delivered, "{refused:?}");
}

/// The `at`-th delivery, once it has had `attempts` attempts (or been delivered).
async fn wait_attempts(
    simulator: &wechatpay_sandbox::sim::Simulator,
    at: usize,
    attempts: usize,
) -> wechatpay_sandbox::sim::Delivery {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(d) = simulator
            .notifications()
            .get(at)
            .filter(|d| d.delivered || d.attempts.len() >= attempts)
        {
            return d.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// APIv2 faults: a system error and a rate limit are the signed business failures the client
/// classifies as retryable, nothing done; a wrong `sign` on the answer is refused.
#[tokio::test]
async fn apiv2_faults_are_failures_the_v2_client_classifies() {
    use wechatpay::runtime::v2::ResultError;
    use wechatpay::v2::pay::orderquery;

    let sandbox = simulator_sandbox().await;
    let base = sandbox.base_url();
    let client = v2_client(&base);
    let query = orderquery::PostRequest::default().with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.out_trade_no = Some("T-V2-NONE".into());
    });
    let orderquery = || async { client.v2().pay().orderquery().post(&query).await };
    for (fault, code) in [("system_error", "SYSTEMERROR"), ("frequency_limited", "FREQ_LIMIT")] {
        let (status, _) = ask(
            &base,
            json!({"fault": fault, "operation": "POST /pay/orderquery", "times": 1}),
        )
        .await;
        assert_eq!(status, 200);
        let e = orderquery().await.unwrap_err();
        match &e {
            Error::ApiV2(failure @ ResultError::Business { err_code, .. }) => {
                assert_eq!(err_code, code);
                assert!(failure.is_retryable(), "{e:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Without a fault: the simulator's own answer (the order is unknown).
    let e = orderquery().await.unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "ORDERNOTEXIST"),
        "{e:?}"
    );
    let (status, _) = ask(
        &base,
        json!({"fault": "wrong_signature", "operation": "POST /pay/orderquery", "times": 1}),
    )
    .await;
    assert_eq!(status, 200);
    let e = orderquery().await.unwrap_err();
    assert!(matches!(&e, Error::Verification(_)), "{e:?}");
}
