//! What the platform answered instead of a result: a non-2xx status, or a `202` with a code.

use std::fmt;

use super::ApiCode;

/// An answer that reports a failure ([`Error::Api`](crate::Error::Api), boxed there so that a
/// `Result` stays small).
///
/// `code` is `None` and `message` empty when the body is not the usual
/// `{"code":"…","message":"…"}` JSON (an HTML page from a proxy); `body` always holds the raw
/// body (converted lossily to UTF-8).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The platform's error code, to match ([`ApiCode::Unknown`] keeps one this client does
    /// not list).
    pub code: Option<ApiCode>,
    /// The human readable message; empty when absent.
    pub message: String,
    /// The `detail` object of the error body, when present.
    pub detail: Option<serde_json::Value>,
    /// The `Request-ID` response header: quote it when asking WeChat Pay support.
    pub request_id: Option<String>,
    /// The raw response body (lossy UTF-8).
    pub body: String,
}

impl ApiError {
    /// The error an answer of `status` with `body` reports.
    pub(crate) fn from_answer(status: u16, request_id: Option<String>, body: &[u8]) -> Self {
        let (mut code, mut message, mut detail) = (None, String::new(), None);
        if let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(body) {
            if let Some(serde_json::Value::String(c)) = object.remove("code") {
                code = (!c.is_empty()).then(|| ApiCode::from(c.as_str()));
            }
            if let Some(serde_json::Value::String(m)) = object.remove("message") {
                message = m;
            }
            detail = object.remove("detail");
        }
        ApiError {
            status,
            code,
            message,
            detail,
            request_id,
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// Whether the same request may succeed later: a 5xx, a 429, or a code the platform
    /// documents as transient (see [`Error::is_retryable`](crate::Error::is_retryable)).
    pub fn is_retryable(&self) -> bool {
        self.status >= 500 || self.status == 429 || self.code.as_ref().is_some_and(ApiCode::is_retryable)
    }

    /// Whether the platform refused it for the rate (`429`, `FREQUENCY_LIMITED`,
    /// `RATELIMIT_EXCEED`): it was not carried out.
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429 || matches!(self.code, Some(ApiCode::FrequencyLimited | ApiCode::RatelimitExceed))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay API error: HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (Request-ID {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
