//! Interceptors.

use super::*;

/// What an interceptor saw of one attempt.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    operation: String,
    url: String,
    number: u32,
    authorization_visible: bool,
    status: Option<u16>,
    request_id: Option<String>,
    error: Option<String>,
    latency: Duration,
}

/// Records every attempt, adds a header, and tries to replace `Authorization`.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Interceptor for Recorder {
    fn before_send(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
        let authorization_visible = headers.contains_key("authorization");
        headers.insert("x-trace-id", HeaderValue::from_static("abc-123"));
        headers.insert("authorization", HeaderValue::from_static("forged"));
        self.seen.lock().unwrap().push(Seen {
            method: attempt.method.to_string(),
            operation: attempt.operation.to_owned(),
            url: attempt.url.to_string(),
            number: attempt.number,
            authorization_visible,
            status: None,
            request_id: None,
            error: None,
            latency: Duration::ZERO,
        });
    }

    fn after_receive(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>) {
        let mut seen = self.seen.lock().unwrap();
        let last = seen.last_mut().expect("before_send ran first");
        assert_eq!(last.number, attempt.number);
        last.status = outcome.status;
        last.request_id = outcome.request_id.map(str::to_owned);
        last.error = outcome.error.map(|e| format!("{e}"));
        last.latency = outcome.latency;
    }
}

/// A second interceptor: runs after the first, sees its header.
#[derive(Clone, Default)]
struct Second(Arc<Mutex<Vec<Option<String>>>>);

impl Interceptor for Second {
    fn before_send(&self, _: &Attempt<'_>, headers: &mut HeaderMap) {
        let first = headers
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.0.lock().unwrap().push(first);
    }
}

#[tokio::test]
async fn interceptors_add_headers_and_see_each_attempt_but_never_the_signature() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "GET",
        "/v3/pay/transactions/out-trade-no/T%201",
        vec![
            Reply::error(503, "SYSTEM_ERROR", "busy").header("Request-ID", "req-1"),
            Reply::json(200, json!({"out_trade_no": "T 1", "mchid": "1900000001"})).header("Request-ID", "req-2"),
        ],
    );
    let recorder = Recorder::default();
    let second = Second::default();
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(5))
        .interceptor(recorder.clone())
        .interceptor(second.clone())
        .build()
        .unwrap();
    let tx = c
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T 1")
        .get(
            &wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no::GetRequest::default()
                .with(|r| r.mchid = Some(keys::MCHID.into())),
        )
        .await
        .unwrap();
    assert_eq!(tx.out_trade_no, "T 1");

    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(s.method, "GET");
        assert_eq!(s.operation, "/v3/pay/transactions/out-trade-no/{out_trade_no}");
        assert_eq!(
            s.url,
            format!(
                "{}/v3/pay/transactions/out-trade-no/T%201?mchid=1900000001",
                server.base_url()
            )
        );
        assert_eq!(s.number, i as u32 + 1);
        assert!(!s.authorization_visible, "an interceptor never sees the signature");
        assert!(s.latency > Duration::ZERO);
    }
    assert_eq!(
        (seen[0].status, seen[0].request_id.as_deref()),
        (Some(503), Some("req-1"))
    );
    assert!(seen[0].error.as_deref().is_some_and(|e| e.contains("SYSTEM_ERROR")));
    assert_eq!(
        (seen[1].status, seen[1].request_id.as_deref(), seen[1].error.as_deref()),
        (Some(200), Some("req-2"), None)
    );
    // In order: the second saw the first's header.
    assert_eq!(*second.0.lock().unwrap(), vec![Some("abc-123".to_owned()); 2]);
    // The platform got the header, and the client's own signature, not the forged one.
    for req in server.requests() {
        assert_eq!(req.header("x-trace-id"), Some("abc-123"));
        assert_eq!(
            req.auth,
            Ok(()),
            "signed by the client: {:?}",
            req.header("authorization")
        );
        assert_eq!(req.header_all("authorization").len(), 1);
    }
}

#[tokio::test]
async fn an_answer_that_fails_verification_reaches_interceptors_as_an_error() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({"authinfo": "x"})).tamper(Tamper::WrongKey),
    );
    let recorder = Recorder::default();
    let c = builder()
        .base_url(server.base_url())
        .interceptor(recorder.clone())
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert!(matches!(err, Error::Verification(_)), "{err:?}");
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].status, Some(200));
    assert!(
        seen[0].error.as_deref().is_some_and(|e| e.contains("signature")),
        "{seen:?}"
    );
}
