//! Per-call options and a caller's own HTTP client.

use super::*;

#[tokio::test]
async fn a_call_timeout_replaces_the_clients() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({"authinfo": "late"})).delay(Duration::from_millis(600)),
    );
    let c = client(&server); // 30 s by default
    let started = std::time::Instant::now();
    let err = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json::<Value>()
        .timeout(Duration::from_millis(150))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
    // Without it, the same answer arrives.
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "late");
}

#[tokio::test]
async fn call_retries_replace_the_clients_both_ways() {
    let failing = || vec![Reply::error(500, "SYSTEM_ERROR", "系统错误"); 3];
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence("POST", AUTHINFO, failing());
    let c = retrying_client(&server, 2);
    let err = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json::<Value>()
        .retries(0)
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("SYSTEM_ERROR"));
    assert_eq!(server.requests().len(), 1, "retries(0) on a client that retries twice");

    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        [failing(), vec![Reply::json(200, json!({"authinfo": "ok"}))]].concat(),
    );
    let c = retrying_client(&server, 0);
    let ok: Value = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json()
        .retries(3)
        .await
        .unwrap();
    assert_eq!(ok["authinfo"], "ok");
    assert_eq!(server.requests().len(), 4, "retries(3) on a client that never retries");
}

#[tokio::test]
async fn a_call_that_must_not_be_sent_twice_is_retried_only_when_it_was_not_carried_out() {
    // A 5xx may follow a request the platform carried out: not sent again.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::error(500, "SYSTEM_ERROR", "系统错误"),
            Reply::json(200, json!({"authinfo": "ok"})),
        ],
    );
    let c = retrying_client(&server, 3);
    let once = || {
        c.chain(AUTHINFO)
            .request(Method::POST)
            .json(&json!({}))
            .send_json::<Value>()
            .idempotent(false)
    };
    assert_eq!(once().await.unwrap_err().api_code(), Some("SYSTEM_ERROR"));
    assert_eq!(server.requests().len(), 1);
    // So may a timeout.
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({})).delay(Duration::from_millis(400)),
    );
    let c = retrying_client(&server, 3);
    let err = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json::<Value>()
        .idempotent(false)
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
    // A rate refusal was not carried out: sent again.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::error(429, "FREQUENCY_LIMITED", "频率超限"),
            Reply::json(200, json!({"authinfo": "ok"})),
        ],
    );
    let c = retrying_client(&server, 3);
    let ok: Value = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json()
        .idempotent(false)
        .await
        .unwrap();
    assert_eq!((ok["authinfo"].as_str(), server.requests().len()), (Some("ok"), 2));
    // Nor was a request that found no server.
    let dead = dead_base_url();
    let counted = Counter::default();
    let c = builder()
        .base_url(dead)
        .retries(2)
        .retry_backoff(Duration::from_millis(5))
        .interceptor(counted.clone())
        .build()
        .unwrap();
    let err = c
        .chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({}))
        .send_json::<Value>()
        .idempotent(false)
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(*counted.0.lock().unwrap(), 3, "1 + 2 retries of a connection refused");
}

/// Counts attempts.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<u32>>);

impl Interceptor for Counter {
    fn after_receive(&self, _: &Attempt<'_>, _: &Outcome<'_>) {
        *self.0.lock().unwrap() += 1;
    }
}

#[tokio::test]
async fn a_callers_own_reqwest_client_sends_every_call() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "ok"})));
    let mut defaults = HeaderMap::new();
    defaults.insert("x-own-client", HeaderValue::from_static("yes"));
    let made = Arc::new(Mutex::new(0));
    let count = made.clone();
    let c = builder()
        .base_url(server.base_url())
        .user_agent("own-agent/1")
        .http_client(move || {
            *count.lock().unwrap() += 1;
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(defaults.clone())
                .build()
        })
        .build()
        .unwrap();
    assert_eq!(*made.lock().unwrap(), 1, "one for async calls");
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "ok");
    let req = server.last_request();
    assert_eq!(req.header("x-own-client"), Some("yes"));
    assert_eq!(req.header("user-agent"), Some("own-agent/1"));
    assert!(req.auth.is_ok(), "signed as ever: {:?}", req.auth);
    // `.blocking()` calls get one of their own (their own runtime, their own pool), made
    // at the first; this runtime goes on serving the mock meanwhile.
    let (done, answered) = tokio::sync::oneshot::channel();
    let blocking = c.clone();
    std::thread::spawn(move || {
        for _ in 0..2 {
            blocking
                .chain(AUTHINFO)
                .request(Method::POST)
                .json(&json!({}))
                .send_json::<Value>()
                .blocking()
                .unwrap();
        }
        let _ = done.send(());
    });
    answered.await.unwrap();
    assert_eq!(*made.lock().unwrap(), 2, "one more for the blocking calls");
    assert_eq!(server.last_request().header("x-own-client"), Some("yes"));
    // An error of the caller's is a configuration error.
    let err = builder()
        .base_url(server.base_url())
        .http_client(|| reqwest::Client::builder().tls_backend_preconfigured(()).build())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.message.contains("HTTP client")),
        "{err:?}"
    );
    // The client's whole-request timeout still bounds each request, and a `User-Agent` is
    // sent though the caller's client has none (WeChat Pay refuses a request without one).
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({})).delay(Duration::from_millis(500)),
    );
    let c = builder()
        .base_url(server.base_url())
        .http_client(|| Ok(reqwest::Client::new()))
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let late = post_authinfo(&c).await;
    assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
    let agent = server.last_request().header("user-agent").map(str::to_owned);
    assert!(agent.is_some_and(|a| a.starts_with("wechatpay-rust/")));
}
