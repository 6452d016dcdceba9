//! Interceptors: code of the caller's that runs around every attempt of every call, to add
//! headers or to observe and record calls (metrics, audit logs), in the manner of progenitor's
//! client hooks and smithy's interceptors. Set with
//! [`ClientBuilder::interceptor`](crate::ClientBuilder::interceptor). Below the client: it names
//! no other module of the runtime but the errors.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;

use super::error::Error;

/// Runs around each attempt of a call (a retried call has several attempts).
///
/// Both methods have empty defaults; implement the ones needed. They run on the task of the
/// call and should be quick (record, do not wait). An interceptor sees no secret: not the
/// `Authorization` header (the signature), not the body, not a decrypted field.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use wechatpay::runtime::{Attempt, HeaderValue, Interceptor, Outcome};
///
/// /// Counts the calls that failed, and tags every request.
/// #[derive(Default)]
/// struct Metrics {
///     failures: AtomicU64,
/// }
///
/// impl Interceptor for Metrics {
///     fn before_send(&self, _attempt: &Attempt<'_>, headers: &mut wechatpay::runtime::HeaderMap) {
///         headers.insert("x-team", HeaderValue::from_static("payments"));
///     }
///     fn after_receive(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>) {
///         if outcome.error.is_some() {
///             self.failures.fetch_add(1, Ordering::Relaxed);
///         }
///         let _ = (attempt.operation, outcome.status, outcome.latency);
///     }
/// }
///
/// let builder = wechatpay::Client::builder().interceptor(Metrics::default());
/// # let _ = builder;
/// ```
pub trait Interceptor: Send + Sync + 'static {
    /// Before the attempt is sent, after it is signed: `headers` are the request's headers
    /// without `Authorization` (which the client sets after this, whatever was done here).
    /// Headers are not covered by the signature, so adding or changing one is allowed; the
    /// method, URL and body cannot be changed here (they are signed).
    fn before_send(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
        let _ = (attempt, headers);
    }

    /// After the attempt ended: answered and verified, answered with an error, or not answered.
    fn after_receive(&self, attempt: &Attempt<'_>, outcome: &Outcome<'_>) {
        let _ = (attempt, outcome);
    }
}

/// The attempt an interceptor is called for.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// `GET`, `POST`, …
    pub method: &'a Method,
    /// The operation: the path template (`/v3/pay/transactions/out-trade-no/{out_trade_no}`;
    /// an untyped [`chain`](crate::Client::chain) path is its own template). A good metrics
    /// label: it does not grow with the values.
    pub operation: &'a str,
    /// The URL the attempt goes to (base URL, path with its values, query).
    pub url: &'a reqwest::Url,
    /// 1 for the first attempt, 2 for the first retry (or failover, or re-send), …
    pub number: u32,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Outcome<'a> {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The answer's `Request-ID` header (what WeChat Pay support asks for), when there was one.
    pub request_id: Option<&'a str>,
    /// From sending to the end of the answer (read and verified).
    pub latency: Duration,
    /// `None`: a 2xx answer that passed verification. Otherwise what the attempt failed with
    /// (the call may still be retried).
    pub error: Option<&'a Error>,
}
