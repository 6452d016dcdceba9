//! The `tracing` feature: the spans and events of calls and notifications, captured by a layer
//! of this test's own, and what they never hold.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use super::*;

/// A span as recorded: its name and its fields (set at creation or recorded later).
#[derive(Debug, Clone, Default)]
struct SpanRecord {
    name: String,
    fields: BTreeMap<String, String>,
    parent: Option<String>,
}

/// An event: its level, the span it happened in, its fields (`message` among them).
#[derive(Debug, Clone)]
struct EventRecord {
    level: tracing::Level,
    span: Option<String>,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Captured {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
    ids: Arc<Mutex<BTreeMap<u64, usize>>>,
    events: Arc<Mutex<Vec<EventRecord>>>,
}

impl Captured {
    fn spans(&self, name: &str) -> Vec<SpanRecord> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    fn events(&self) -> Vec<EventRecord> {
        self.events.lock().unwrap().clone()
    }

    /// Everything recorded, as text: what a log would hold.
    fn text(&self) -> String {
        let mut out = String::new();
        for s in self.spans.lock().unwrap().iter() {
            let _ = writeln!(out, "{s:?}");
        }
        for e in self.events.lock().unwrap().iter() {
            let _ = writeln!(out, "{e:?}");
        }
        out
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut record = SpanRecord {
            name: attrs.metadata().name().to_owned(),
            parent: ctx.span(id).and_then(|s| s.parent()).map(|p| p.name().to_owned()),
            ..SpanRecord::default()
        };
        attrs.record(&mut Fields(&mut record.fields));
        let mut spans = self.spans.lock().unwrap();
        self.ids.lock().unwrap().insert(id.into_u64(), spans.len());
        spans.push(record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let Some(&at) = self.ids.lock().unwrap().get(&id.into_u64()) else {
            return;
        };
        values.record(&mut Fields(&mut self.spans.lock().unwrap()[at].fields));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(EventRecord {
            level: *event.metadata().level(),
            span: ctx.event_span(event).map(|s| s.name().to_owned()),
            fields,
        });
    }
}

/// Runs `f` with a subscriber that captures everything (on this thread: the tests run on a
/// current-thread runtime).
async fn captured<F: std::future::Future>(f: F) -> (F::Output, Captured) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let out = f.await;
    (out, captured)
}

/// What must never be in a trace: the private keys, the APIv3 key, a signature or its input.
fn assert_no_secrets(text: &str, also: &[&str]) {
    let pem_lines = |pem: &str| {
        pem.lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 20)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for line in pem_lines(keys::MERCHANT_KEY_PEM)
        .into_iter()
        .chain(pem_lines(keys::WECHATPAY_KEY_PEM))
    {
        assert!(!text.contains(&line), "a private key line in the trace");
    }
    for secret in [
        keys::APIV3_KEY,
        "WECHATPAY2-SHA256-RSA2048",
        "signature=\"",
        "nonce_str",
    ]
    .iter()
    .chain(also)
    {
        assert!(!text.contains(secret), "{secret:?} in the trace:\n{text}");
    }
}

#[tokio::test]
async fn a_call_is_one_span_with_a_span_per_attempt_and_holds_no_secret() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::error(500, "SYSTEM_ERROR", "系统错误").header("Request-ID", "req-500"),
            Reply::json(200, json!({"authinfo": "AUTHINFO-SECRET-VALUE"})).header("Request-ID", "req-ok"),
        ],
    );
    let c = retrying_client(&server, 1);
    let (answer, traces) = captured(async {
        c.chain(AUTHINFO)
            .request(Method::POST)
            .json(&json!({"sub_mchid": "1900000109", "raw_data": "RAW-DATA-SECRET"}))
            .send_json::<Value>()
            .await
    })
    .await;
    assert_eq!(answer.unwrap()["authinfo"], "AUTHINFO-SECRET-VALUE");

    let calls = traces.spans("wechatpay.call");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0].fields;
    let field = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
    assert_eq!(field(call, "method"), "POST");
    assert_eq!(field(call, "operation"), AUTHINFO);
    assert_eq!(field(call, "attempts"), "2");
    assert_eq!(field(call, "status"), "200");
    assert_eq!(field(call, "request_id"), "req-ok");
    assert_eq!(field(call, "outcome"), "ok");

    let attempts = traces.spans("wechatpay.attempt");
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    for (i, (status, id, outcome)) in [("500", "req-500", "api"), ("200", "req-ok", "ok")].iter().enumerate() {
        let a = &attempts[i].fields;
        assert_eq!(attempts[i].parent.as_deref(), Some("wechatpay.call"));
        assert_eq!(field(a, "attempt"), (i + 1).to_string());
        assert_eq!(field(a, "host"), server.base_url().trim_start_matches("http://"));
        assert_eq!(
            (field(a, "status").as_str(), field(a, "request_id").as_str()),
            (*status, *id)
        );
        assert_eq!(field(a, "outcome"), *outcome);
        assert!(field(a, "latency_ms").parse::<f64>().is_ok_and(|ms| ms > 0.0), "{a:?}");
    }
    assert_eq!(field(&attempts[1].fields, "verification"), "ok");
    let retry: Vec<_> = traces
        .events()
        .into_iter()
        .filter(|e| e.fields.get("message").is_some_and(|m| m == "retrying"))
        .collect();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].level, tracing::Level::INFO);
    assert_eq!(retry[0].span.as_deref(), Some("wechatpay.call"));
    assert_eq!(
        (
            field(&retry[0].fields, "error").as_str(),
            field(&retry[0].fields, "next_attempt").as_str()
        ),
        ("api", "2")
    );
    // Neither the request's nor the answer's body, nor the signature (the mock saw it).
    let signed = server.requests()[0].header("authorization").unwrap().to_owned();
    let signature = signed.split("signature=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_no_secrets(
        &traces.text(),
        &[
            "RAW-DATA-SECRET",
            "AUTHINFO-SECRET-VALUE",
            "1900000109",
            signature,
            "系统错误",
        ],
    );
}

#[tokio::test]
async fn a_typed_call_is_named_by_its_template_never_by_its_values() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "GET",
        "/v3/pay/transactions/out-trade-no/ORDER-SECRET-7",
        Reply::json(
            200,
            json!({"mchid": "1900000001", "out_trade_no": "ORDER-SECRET-7", "payer": {"openid": "oOPENID-SECRET"}}),
        ),
    );
    let c = client(&server);
    let (tx, traces) = captured(async {
        c.v3()
            .pay()
            .transactions()
            .out_trade_no()
            .out_trade_no("ORDER-SECRET-7")
            .get(
                &wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no::GetRequest::default()
                    .with(|r| r.mchid = Some(keys::MCHID.into())),
            )
            .await
    })
    .await;
    assert_eq!(tx.unwrap().out_trade_no, "ORDER-SECRET-7");
    let call = &traces.spans("wechatpay.call")[0].fields;
    assert_eq!(
        call.get("operation").map(String::as_str),
        Some("/v3/pay/transactions/out-trade-no/{out_trade_no}")
    );
    assert_eq!(call.get("method").map(String::as_str), Some("GET"));
    assert_no_secrets(&traces.text(), &["ORDER-SECRET-7", "oOPENID-SECRET"]);
}

#[tokio::test]
async fn an_answer_that_fails_verification_is_a_warning_naming_the_check() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        AUTHINFO,
        Reply::json(200, json!({"authinfo": "FORGED-ANSWER"})).tamper(Tamper::stale_past()),
    );
    let c = client(&server);
    let (result, traces) = captured(post_authinfo(&c)).await;
    assert!(matches!(result, Err(Error::Verification(_))), "{result:?}");
    let attempt = &traces.spans("wechatpay.attempt")[0].fields;
    assert_eq!(attempt.get("outcome").map(String::as_str), Some("verification"));
    assert!(
        attempt
            .get("verification")
            .is_some_and(|v| v.contains("stale timestamp")),
        "{attempt:?}"
    );
    let call = &traces.spans("wechatpay.call")[0].fields;
    assert_eq!(call.get("outcome").map(String::as_str), Some("verification"));
    let warnings: Vec<_> = traces
        .events()
        .into_iter()
        .filter(|e| e.level == tracing::Level::WARN)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0]
        .fields
        .get("reason")
        .is_some_and(|r| r.contains("Wechatpay-Timestamp")));
    assert_no_secrets(&traces.text(), &["FORGED-ANSWER"]);
}

#[tokio::test]
async fn notifications_are_traced_by_event_type_and_id_never_by_their_content() {
    let server = MockServer::start(MockConfig::default()).await;
    let c = builder()
        .base_url(server.base_url())
        .apiv3_key(keys::APIV3_KEY)
        .build()
        .unwrap();
    let resource = json!({
        "mchid": "1900000001", "appid": "wxd678efh567hg6787", "out_trade_no": "NOTIFIED-ORDER-9",
        "transaction_id": "4200000000000000000000000009", "trade_state": "SUCCESS",
        "payer": {"openid": "oNOTIFIED-OPENID"}, "amount": {"total": 98765, "payer_total": 98765}
    });
    let note = wechatpay_sandbox::notify::make_notification(
        &server.config().response_key,
        keys::APIV3_KEY,
        "TRANSACTION.SUCCESS",
        &resource,
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in &note.headers {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let id = serde_json::from_slice::<Value>(&note.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ((ok, refused), traces) = captured(async {
        let ok = c.handle_notification(&headers, &note.body);
        let mut forged = note.body.clone();
        forged.extend_from_slice(b" ");
        (ok, c.handle_notification(&headers, &forged))
    })
    .await;
    assert_eq!(ok.unwrap().id, id);
    assert!(matches!(refused, Err(Error::Verification(_))));
    let events = traces.events();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0].level, tracing::Level::DEBUG);
    assert_eq!(
        events[0].fields.get("event_type").map(String::as_str),
        Some("TRANSACTION.SUCCESS")
    );
    assert_eq!(events[0].fields.get("id"), Some(&id));
    assert_eq!(events[1].level, tracing::Level::WARN);
    assert!(
        events[1]
            .fields
            .get("reason")
            .is_some_and(|r| r.contains("bad notification signature")),
        "{events:?}"
    );
    let ciphertext = serde_json::from_slice::<Value>(&note.body).unwrap()["resource"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_no_secrets(
        &traces.text(),
        &["NOTIFIED-ORDER-9", "oNOTIFIED-OPENID", "98765", &ciphertext[..40]],
    );
}

#[tokio::test]
async fn failover_is_an_event_and_a_sensitive_field_never_shows() {
    let backup = MockServer::start(MockConfig::default()).await;
    backup.on(
        "POST",
        "/v3/applyment4sub/applyment/",
        Reply::json(200, json!({"applyment_id": 1})),
    );
    let dead = dead_base_url();
    let c = builder()
        .base_url(&dead)
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    let (answer, traces) = captured(async {
        c.chain("v3/applyment4sub/applyment/")
            .request(Method::POST)
            .json(&json!({"contact_info": {"name": "SENSITIVE-NAME-张三"}}))
            .encrypt_sensitive(&["/contact_info/name"])
            .send_json::<Value>()
            .await
    })
    .await;
    assert_eq!(answer.unwrap()["applyment_id"], 1);
    // What the platform got is the ciphertext, never the name.
    assert!(!backup.last_request().body_str().contains("SENSITIVE-NAME"));
    let failover: Vec<_> = traces
        .events()
        .into_iter()
        .filter(|e| e.fields.get("message").is_some_and(|m| m.contains("failing over")))
        .collect();
    assert_eq!(failover.len(), 1, "{:#?}", traces.events());
    assert_eq!(failover[0].fields.get("to"), Some(&backup.base_url()));
    let attempts = traces.spans("wechatpay.attempt");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].fields.get("outcome").map(String::as_str), Some("connect"));
    assert_eq!(attempts[1].fields.get("status").map(String::as_str), Some("200"));
    assert_eq!(
        traces.spans("wechatpay.call")[0]
            .fields
            .get("operation")
            .map(String::as_str),
        Some("/v3/applyment4sub/applyment/")
    );
    assert_no_secrets(&traces.text(), &["SENSITIVE-NAME"]);
}
