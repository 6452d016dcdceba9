//! The one error type of the client.

/// ` at `a.b`` for a decode error's path.
fn at_path(path: &Option<String>) -> String {
    path.as_ref().map_or(String::new(), |p| format!(" at `{p}`"))
}

/// Everything that can go wrong when calling WeChat Pay.
///
/// No variant ever carries key material (private key, APIv3 key); `Display` and `Debug` are
/// safe to log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not reach the platform or the response could not be read
    /// (connection refused, DNS, TLS, timeout, connection reset, …).
    #[error("transport error, {cause}: {0}", cause = transport_cause(.0))]
    Transport(#[source] reqwest::Error),

    /// No (complete) answer in time: which timeout fired, after how long, and whether the
    /// body had begun (`connect timeout: no connection within 10 s`, `no answer within 30 s
    /// (timeout)`, `the body stalled: nothing for 10 s (read timeout)`). Retryable, like a
    /// [`Error::Transport`] timeout: see [`Error::is_retryable`] for what a retry may mean.
    #[error("transport error, {}: {source}", TimeoutText { which: *which, after: *after, body: *while_reading_body })]
    Timeout {
        /// The timeout that fired.
        which: Timeout,
        /// Its length.
        after: std::time::Duration,
        /// The answer's status and headers had come; its body stalled.
        while_reading_body: bool,
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
    },

    /// The platform answered with a non-2xx status, or with `202 Accepted` and its
    /// `{"code": …}` where a result was expected (no result yet: codepay's `USERPAYING`, the user
    /// is entering the password; query the order later). A 202 is verified like any 2xx first.
    ///
    /// Error responses are **not** signature-checked (like the official Go and Java SDKs): the
    /// platform does not always sign them (proxies answer with HTML pages), and a forged error
    /// can at worst make a call fail, never make a failed call look successful.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// A 2xx response failed verification: it must not be trusted.
    #[error("response verification failed: {0}")]
    Verification(#[from] VerificationError),

    /// A verified 2xx response body is not the JSON expected.
    #[error("cannot decode the response body (HTTP {status}){}: {source}", at_path(.path))]
    Decode {
        /// The JSON error (its line and column are where the body goes wrong).
        #[source]
        source: serde_json::Error,
        /// The fields to the one that failed, outermost first (`amount.total`; array
        /// positions are not counted), when a field failed.
        path: Option<String>,
        /// The HTTP status code.
        status: u16,
        /// The raw response body (lossy UTF-8).
        body: String,
    },

    /// A verified notification's body, or its decrypted resource, is not the JSON expected:
    /// answer WeChat Pay with a failure ([`NotificationAnswer::for_error`](crate::NotificationAnswer::for_error))
    /// so that it delivers the notification again.
    #[error("cannot decode the notification: {source}")]
    NotificationDecode {
        /// The JSON error: for a resource, it names the field, never the value.
        #[source]
        source: serde_json::Error,
        /// The notification body as received (lossy UTF-8); empty for a decrypted resource,
        /// which is personal data.
        body: String,
    },

    /// A verified notification of an event type this client types, whose resource has none of
    /// the shapes known for that event type (a key they are told apart by is missing). It is
    /// never taken for another shape, nor passed on as untyped JSON a catch-all arm would
    /// acknowledge: answer with a failure ([`NotificationAnswer::for_error`](crate::NotificationAnswer::for_error))
    /// so that WeChat Pay delivers it again, and look at it: the decrypted JSON stays on the event
    /// ([`NotificationEvent::resource_json`](crate::NotificationEvent::resource_json)).
    #[error("the resource of a {event_type} notification has none of the shapes this client knows for that event type (it looked for the keys {expected}): not acknowledged, so that WeChat Pay delivers it again")]
    NotificationUnmatched {
        /// The event type.
        event_type: String,
        /// The keys of each shape known for it (`mchid+out_trade_no, sp_mchid+sub_mchid+out_trade_no`).
        expected: String,
    },

    /// The [`NotificationLedger`](crate::NotificationLedger) could not be read or written (its
    /// store's error, to downcast: a `redis::RedisError` for `RedisLedger`, feature `redis`).
    #[error("notification ledger: {0}")]
    Ledger(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A verified notification's envelope is not what the protocol requires (a field missing,
    /// a resource that is not `encrypt-resource` with `AEAD_AES_256_GCM`, an `original_type`
    /// that contradicts the event): refused before anything is decrypted.
    #[error("invalid notification envelope: {0}")]
    Envelope(#[from] EnvelopeError),

    /// A 2xx response body is larger than [`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body):
    /// it was not read further (nor verified, nor decoded).
    #[error("the response body is larger than {limit} bytes (ClientBuilder::max_response_body): not read")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// The request body could not be serialised to JSON.
    #[error("cannot encode the request body as JSON: {0}")]
    Encode(#[source] serde_json::Error),

    /// The request could not be built (an empty or dot-segment path parameter, an invalid
    /// header name or value, a URL that does not parse, a field the client cannot fill, …).
    /// Nothing was sent. [`RequestError::problem`] says which kind.
    #[error("invalid request: {0}")]
    InvalidRequest(RequestError),

    /// The client configuration is incomplete or invalid (a missing value, an unreadable key
    /// file, a malformed PEM, a missing environment variable, …). [`ConfigError::setting`] says
    /// which setting, [`ConfigError::problem`] what is wrong with it.
    #[error("configuration error: {0}")]
    Config(ConfigError),

    /// The [`Signer`](crate::Signer) failed to sign the request; a signer of your own keeps its
    /// cause in [`SignError::source`].
    #[error("signing failed: {0}")]
    Sign(SignError),

    /// An encrypted resource (notification, certificate, sensitive field) could not be
    /// decrypted; [`DecryptError::problem`] says why (a wrong key is
    /// [`DecryptProblem::Authentication`]).
    #[error("decryption failed: {0}")]
    Decrypt(DecryptError),

    /// [`Call::blocking`](crate::Call::blocking) was called from inside an async
    /// (tokio) runtime, where blocking would stall or deadlock the executor. Use `.await`.
    #[error("blocking() called from inside an async runtime; use `.await` instead")]
    Blocking,

    /// The runtime used by [`Call::blocking`](crate::Call::blocking) could not start.
    #[error("cannot start the blocking runtime: {0}")]
    Runtime(#[source] std::io::Error),

    /// A downloaded file does not have the digest the platform announced (the bill's
    /// `hash_value`, a statement's `Wechatpay-Statement-Sha1`, or one given to
    /// [`Download::expect_sha1`](crate::Download::expect_sha1)).
    ///
    /// The data was streamed to the writer as it arrived: **discard everything written**
    /// (delete the file, roll back). It was corrupted or tampered with on the way.
    #[error("{algorithm} mismatch: expected {expected}, got {actual}; the data written must be discarded")]
    DigestMismatch {
        /// `"SHA-1"`.
        algorithm: &'static str,
        /// The digest announced (lower-case hex).
        expected: String,
        /// The digest of the bytes received, as sent (before gunzip; lower-case hex).
        actual: String,
    },

    /// A bill read as it downloads ([`BillStream`](crate::bill::BillStream)) is malformed,
    /// cut short, has a line after its summary, or does not add up: the error names the line
    /// and column. Rows already read came from a bill that failed: discard what was done
    /// with them.
    #[error("the bill is not valid: {0}")]
    Bill(#[source] BillError),

    /// Local I/O failed: reading a file to upload, writing a download to its writer,
    /// decompressing a gzip download. `context` says which.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (names the file or step).
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// An APIv2 answer that reports a failure (`return_code` or `result_code`); see
    /// [`v2::ResultError`](crate::v2::ResultError).
    #[cfg(feature = "v2")]
    #[error(transparent)]
    ApiV2(#[from] ResultError),
}

mod api;
mod api_code;
#[cfg(feature = "v2")]
mod apiv2;
mod bill;
mod local;
mod transport;
mod verification;

pub use api::ApiError;
pub use api_code::ApiCode;
#[cfg(feature = "v2")]
pub use apiv2::ResultError;
pub use bill::BillError;
pub use local::{
    ConfigError, ConfigProblem, DecryptError, DecryptProblem, RequestError, RequestProblem, Setting, SignError,
};
pub(crate) use transport::transport_cause;
pub use transport::Timeout;
use transport::{causes, TimeoutText};
pub use verification::{EnvelopeError, VerificationError};

impl Error {
    /// The HTTP status of an [`Error::Api`] or [`Error::Decode`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The platform error code of an [`Error::Api`] as a value to match
    /// ([`ApiCode::Unknown`](crate::ApiCode::Unknown) keeps a code this client does not list);
    /// `None` when absent or another variant.
    pub fn code(&self) -> Option<&ApiCode> {
        match self {
            Error::Api(e) => e.code.as_ref(),
            _ => None,
        }
    }

    /// The platform error code of an [`Error::Api`] as text (`None` when absent or another variant).
    pub fn api_code(&self) -> Option<&str> {
        self.code().map(ApiCode::as_str)
    }

    /// Whether sending the **same** request again later may succeed.
    ///
    /// Retryable:
    /// * [`Error::Timeout`], and [`Error::Transport`] that is a connection failure (refused,
    ///   reset while connecting, DNS, TLS handshake);
    /// * [`Error::Api`] with a 5xx status, or 429 Too Many Requests;
    /// * [`Error::Api`] with code `SYSTEM_ERROR` (系统异常), `FREQUENCY_LIMITED` or
    ///   `RATELIMIT_EXCEED` (频率超限: retry with backoff) or `BANK_ERROR` (银行系统异常: the documented advice is to call again
    ///   with the same parameters), whatever the status.
    ///
    /// Never retryable: any other 4xx (`PARAM_ERROR`, `SIGN_ERROR`, `INVALID_REQUEST`,
    /// `ORDER_NOT_EXIST`, `NOT_ENOUGH`, …), verification failures (a forged or broken response
    /// is not fixed by asking again), decode/encode/config errors, digest mismatches and local
    /// I/O errors.
    ///
    /// A timeout does not say whether the platform processed the request. Creating orders,
    /// refunds and transfers is idempotent on the merchant's number (`out_trade_no`,
    /// `out_refund_no`, `out_batch_no`, …) as long as the **same body** is sent again, which is
    /// what [`ClientBuilder::retries`](crate::ClientBuilder::retries) does.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_timeout() || e.is_connect(),
            Error::Timeout { .. } => true,
            #[cfg(feature = "v2")]
            Error::ApiV2(e) => e.is_retryable(),
            Error::Api(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// The connection was closed (or reset) before a single byte of the answer came: what a
    /// request meets when it is written into a pooled connection the server is closing for
    /// being idle (WeChat Pay closes them after about 8 s). The server closed without reading
    /// it; the client cannot tell this from a server that read it and then dropped the
    /// connection, so it is sent again once (not more), with the same body: the operations that
    /// create something are idempotent on the merchant's number (`out_trade_no`, …), which is
    /// also what makes [`Error::is_retryable`] timeouts safe to retry. (A request that had not
    /// been written at all is re-sent by the HTTP client itself.)
    pub(crate) fn is_closed_unanswered(&self) -> bool {
        let Error::Transport(e) = self else { return false };
        if e.is_timeout() || e.is_connect() || e.is_body() || e.is_decode() || e.status().is_some() {
            return false;
        }
        causes(e).any(|s| {
            s.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_incomplete_message)
                || s.downcast_ref::<std::io::Error>().is_some_and(|io| {
                    matches!(
                        io.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                    )
                })
        })
    }

    /// Whether the request never reached a server (connection refused, DNS, TLS handshake,
    /// connect timeout): the case where [`ClientBuilder::failover`](crate::ClientBuilder::failover)
    /// tries the backup host.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_connect())
            || matches!(
                self,
                Error::Timeout {
                    which: Timeout::Connect,
                    ..
                }
            )
    }

    /// Whether the request is known not to have been carried out, so that sending it again is
    /// safe even where sending it twice is not ([`Call::idempotent`](crate::Call::idempotent)
    /// `(false)`): it never reached a server ([`is_connect`](Self::is_connect)), or the platform
    /// refused it for the rate (`429`, `FREQUENCY_LIMITED`, `RATELIMIT_EXCEED`).
    pub fn is_retryable_unprocessed(&self) -> bool {
        self.is_connect() || matches!(self, Error::Api(e) if e.is_rate_limited())
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    /// The large API error is boxed: a `Result<T, Error>` stays a few words.
    #[test]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 72,
            "{} bytes",
            std::mem::size_of::<Error>()
        );
    }
}
