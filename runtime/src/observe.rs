//! Tracing, with the `tracing` feature (without it, every function here does nothing and
//! compiles away): a span `wechatpay.call` per call (method, operation = the path template,
//! attempts, status, `Request-ID`, outcome), a span `wechatpay.attempt` per attempt (number,
//! host, status, `Request-ID`, latency, verification), and events for the decisions between
//! attempts (retry, failover, re-send) and for a notification's checks.
//!
//! What is recorded is chosen field by field, never an error's or a request's `Debug`: never a
//! key, the `Authorization` header or a signature's input, a body, a sensitive field's
//! plaintext or a decrypted resource. An error is recorded as its kind (and, for the platform's
//! errors, its `code`; for a failed verification, which header and why).
//!
//! Levels: the spans are INFO, a retry, failover or re-send is INFO, a failed verification is
//! WARN (an answer that does not verify may be an attack), the rest DEBUG.

use std::future::Future;
use std::time::Duration;

use reqwest::Method;

use super::error::Error;

/// A call's or an attempt's span (nothing without the feature).
pub(crate) struct Span {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Span {
    /// The span of a call.
    pub(crate) fn call(method: &Method, operation: &str) -> Span {
        #[cfg(feature = "tracing")]
        {
            use tracing::field::Empty;
            Span {
                span: tracing::info_span!(
                    "wechatpay.call",
                    method = %method,
                    operation = %operation,
                    attempts = Empty,
                    status = Empty,
                    request_id = Empty,
                    outcome = Empty,
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (method, operation);
            Span {}
        }
    }

    /// The span of attempt `number` (1-based) to `base`.
    pub(crate) fn attempt(number: u32, base: &str) -> Span {
        #[cfg(feature = "tracing")]
        {
            use tracing::field::Empty;
            let host = base.split("://").nth(1).unwrap_or(base);
            Span {
                span: tracing::info_span!(
                    "wechatpay.attempt",
                    attempt = number,
                    host = %host,
                    status = Empty,
                    request_id = Empty,
                    latency_ms = Empty,
                    verification = Empty,
                    outcome = Empty,
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (number, base);
            Span {}
        }
    }

    /// `f`, run inside the span (without the feature, `f` itself: no wrapper, so no copy of a
    /// large future into another).
    pub(crate) fn run<F: Future>(self, f: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        {
            tracing::Instrument::instrument(f, self.span)
        }
        #[cfg(not(feature = "tracing"))]
        {
            f
        }
    }
}

/// Records on the current attempt span how it ended (and on the call span, the latest).
pub(crate) fn attempt_ended(
    status: Option<u16>,
    request_id: Option<&str>,
    latency: Duration,
    result: Result<(), &Error>,
) {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::Span::current();
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(id) = request_id {
            span.record("request_id", id);
        }
        span.record("latency_ms", latency.as_secs_f64() * 1000.0);
        match result {
            Ok(()) => {
                if status.is_some() {
                    span.record("verification", "ok");
                }
                span.record("outcome", "ok");
                tracing::debug!("answered and verified");
            }
            Err(error) => {
                span.record("outcome", kind(error));
                if let Error::Verification(v) = error {
                    let reason = v.to_string();
                    span.record("verification", reason.as_str());
                    tracing::warn!(reason = %reason, "the answer failed verification: not used");
                } else if let Error::Api(_) = error {
                    let code = error.api_code().unwrap_or_default();
                    tracing::debug!(code = %code, "the platform answered with an error");
                } else {
                    tracing::debug!(error = kind(error), "the attempt failed");
                }
            }
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (status, request_id, latency, result);
}

/// Records on the current call span how the call ended.
pub(crate) fn call_ended(attempts: u32, status: Option<u16>, request_id: Option<&str>, result: Result<(), &Error>) {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::Span::current();
        span.record("attempts", attempts);
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(id) = request_id {
            span.record("request_id", id);
        }
        span.record("outcome", result.map_or_else(kind, |()| "ok"));
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (attempts, status, request_id, result);
}

/// A retry is decided: after `delay`, attempt `next` (1-based) follows `error`.
pub(crate) fn retrying(error: &Error, delay: Duration, next: u32) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        error = kind(error),
        delay_ms = delay.as_millis() as u64,
        next_attempt = next,
        "retrying"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (error, delay, next);
}

/// Failing over to the backup host after a connection failure.
pub(crate) fn failing_over(to: &str) {
    #[cfg(feature = "tracing")]
    tracing::info!(to = %to, "the host could not be reached: failing over to the backup host");
    #[cfg(not(feature = "tracing"))]
    let _ = to;
}

/// Sending again a request whose connection closed unanswered.
pub(crate) fn resending() {
    #[cfg(feature = "tracing")]
    tracing::info!("the connection closed before any answer (idle keep-alive): sent again once");
}

/// A notification was handled: its event type and id, and how its checks ended.
pub(crate) fn notification(event_type: Option<&str>, id: Option<&str>, result: Result<(), &Error>) {
    #[cfg(feature = "tracing")]
    match result {
        Ok(()) => tracing::debug!(
            event_type = event_type.unwrap_or_default(),
            id = id.unwrap_or_default(),
            "notification verified and decrypted"
        ),
        Err(Error::Verification(v)) => tracing::warn!(
            reason = %v,
            "a notification failed verification: refused"
        ),
        Err(error) => tracing::warn!(
            event_type = event_type.unwrap_or_default(),
            id = id.unwrap_or_default(),
            error = kind(error),
            "a notification was refused"
        ),
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (event_type, id, result);
}

/// What kind of error, in a word (an error's text may quote a body).
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn kind(error: &Error) -> &'static str {
    match error {
        Error::Transport(e) if e.is_connect() => "connect",
        Error::Transport(_) => "transport",
        Error::Timeout { .. } => "timeout",
        Error::Api(_) => "api",
        Error::Verification(_) => "verification",
        Error::Decode { .. } => "decode",
        Error::NotificationDecode { .. } => "notification_decode",
        Error::NotificationUnmatched { .. } => "notification_unmatched",
        Error::Ledger(_) => "ledger",
        Error::Envelope(_) => "envelope",
        Error::BodyTooLarge { .. } => "body_too_large",
        Error::Encode(_) => "encode",
        Error::InvalidRequest(_) => "invalid_request",
        Error::Config(_) => "config",
        Error::Sign(_) => "sign",
        Error::Decrypt(_) => "decrypt",
        Error::Blocking => "blocking",
        Error::Runtime(_) => "runtime",
        Error::DigestMismatch { .. } => "digest_mismatch",
        Error::Bill(_) => "bill",
        Error::Io { .. } => "io",
        #[cfg(feature = "v2")]
        Error::ApiV2(_) => "api_v2",
    }
}
