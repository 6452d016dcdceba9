//! The one error type of the client.

use std::fmt;

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
    ///
    /// `code` and `message` are empty when the body is not the usual
    /// `{"code":"…","message":"…"}` JSON (for example an HTML page from a proxy); `body` always
    /// holds the raw body (converted lossily to UTF-8).
    #[error("{}", DisplayApi { status: *status, code, message, request_id: request_id.as_deref() })]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The platform error code (`PARAM_ERROR`, `SYSTEM_ERROR`, …); empty when absent.
        code: String,
        /// The human readable message; empty when absent.
        message: String,
        /// The `detail` object of the error body, when present (boxed to keep `Error` small).
        detail: Option<Box<serde_json::Value>>,
        /// The `Request-ID` response header: quote it when asking WeChat Pay support.
        request_id: Option<String>,
        /// The raw response body (lossy UTF-8).
        body: String,
    },

    /// A 2xx response failed verification: it must not be trusted.
    #[error("response verification failed: {0}")]
    Verification(#[from] VerificationError),

    /// A verified 2xx response body is not the JSON expected.
    #[error("cannot decode the response body (HTTP {status}): {source}")]
    Decode {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
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
    /// header name or value, a URL that does not parse, …). Nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// The client configuration is incomplete or invalid (missing value, unreadable key file,
    /// malformed PEM, missing environment variable, …).
    #[error("configuration error: {0}")]
    Config(String),

    /// The [`Signer`](crate::Signer) failed to sign the request.
    #[error("signing failed: {0}")]
    Sign(String),

    /// An encrypted resource (notification, certificate) could not be decrypted.
    #[error("decryption failed: {0}")]
    Decrypt(String),

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

/// Which timeout of the client fired (see [`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout): no connection.
    Connect,
    /// [`ClientBuilder::read_timeout`](crate::ClientBuilder::read_timeout): the server was
    /// silent that long.
    ReadIdle,
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) (or the download timeout): the
    /// whole exchange took that long.
    Total,
}

struct TimeoutText {
    which: Timeout,
    after: std::time::Duration,
    body: bool,
}

impl fmt::Display for TimeoutText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = Seconds(self.after);
        match (self.which, self.body) {
            (Timeout::Connect, _) => write!(f, "connect timeout: no connection within {n}"),
            (Timeout::ReadIdle, false) => write!(f, "no answer: the server was silent for {n} (read timeout)"),
            (Timeout::Total, false) => write!(f, "no answer within {n} (timeout)"),
            (Timeout::ReadIdle, true) => write!(f, "the body stalled: nothing for {n} (read timeout)"),
            (Timeout::Total, true) => write!(f, "the body stalled: not complete within {n} (timeout)"),
        }
    }
}

/// `300 ms`, `10 s`, `1.5 s`.
struct Seconds(std::time::Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{} s", self.0.as_secs_f64())
        }
    }
}

/// The errors below `e`, outermost first (what reqwest wraps: hyper's, then the I/O error).
fn causes(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |s| s.source())
}

/// What happened to a request that got no usable answer, in words: the first thing the
/// `Display` of [`Error::Transport`] says (reqwest's own message, `error sending request for
/// url (…)`, says the same for all of them).
pub(crate) fn transport_cause(e: &reqwest::Error) -> &'static str {
    let mut io_kind = None;
    let mut texts = String::new();
    for s in causes(e) {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        texts.push_str(&s.to_string().to_ascii_lowercase());
        texts.push('\n');
    }
    let tls = ["certificate", "tls", "handshake", "alert"]
        .iter()
        .any(|w| texts.contains(w));
    if e.is_connect() {
        return match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => "connection refused",
            _ if e.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) => "connect timeout",
            _ if tls => "TLS handshake failed",
            _ => "cannot connect (DNS or network)",
        };
    }
    if e.is_timeout() {
        return if e.is_body() || e.is_decode() {
            "the body stalled (timeout while reading it)"
        } else {
            "no answer within the timeout"
        };
    }
    if e.is_body() || e.is_decode() {
        return "the answer broke off while its body was read";
    }
    if tls {
        return "TLS failed";
    }
    if ["invalid http", "parse", "too large", "header"]
        .iter()
        .any(|w| texts.contains(w))
    {
        return "malformed HTTP answer";
    }
    if matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
        )
    ) || texts.contains("connection closed")
    {
        return "the connection was closed before an answer";
    }
    "the request failed"
}

struct DisplayApi<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
}

impl fmt::Display for DisplayApi<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeChat Pay API error: HTTP {}", self.status)?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = self.request_id {
            write!(f, " (Request-ID {id})")?;
        }
        Ok(())
    }
}

impl Error {
    /// The HTTP status of an [`Error::Api`] or [`Error::Decode`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The platform error code of an [`Error::Api`] as a value to match
    /// ([`ApiCode::Unknown`](crate::ApiCode::Unknown) keeps a code this client does not list);
    /// `None` when absent or another variant.
    pub fn code(&self) -> Option<crate::ApiCode> {
        self.api_code().map(crate::ApiCode::from)
    }

    /// The platform error code of an [`Error::Api`] as text (`None` when absent or another variant).
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }

    /// Whether sending the **same** request again later may succeed.
    ///
    /// Retryable:
    /// * [`Error::Timeout`], and [`Error::Transport`] that is a connection failure (refused,
    ///   reset while connecting, DNS, TLS handshake);
    /// * [`Error::Api`] with a 5xx status, or 429 Too Many Requests;
    /// * [`Error::Api`] with code `SYSTEM_ERROR` (系统异常), `FREQUENCY_LIMITED` (频率超限: retry
    ///   with backoff) or `BANK_ERROR` (银行系统异常: the documented advice is to call again
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
            Error::Api { status, code, .. } => {
                *status >= 500 || *status == 429 || crate::ApiCode::from(code.as_str()).is_retryable()
            }
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
    /// refused it for the rate (`429`, `FREQUENCY_LIMITED`).
    pub fn is_retryable_unprocessed(&self) -> bool {
        self.is_connect()
            || matches!(self, Error::Api { status, code, .. }
                if *status == 429 || crate::ApiCode::from(code.as_str()) == crate::ApiCode::FrequencyLimited)
    }
}

/// What is wrong with a notification envelope (see [`Error::Envelope`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// A field the protocol requires is absent or empty (`id`, `create_time`, `event_type`,
    /// `resource_type`, `resource.algorithm`, `resource.ciphertext`, `resource.nonce`).
    #[error("`{0}` is missing or empty")]
    Missing(&'static str),
    /// `resource_type` is not `encrypt-resource`.
    #[error("resource_type is {0:?}, not \"encrypt-resource\"")]
    ResourceType(String),
    /// `resource.algorithm` is not `AEAD_AES_256_GCM`.
    #[error("resource.algorithm is {0:?}, not \"AEAD_AES_256_GCM\"")]
    Algorithm(String),
    /// `resource.original_type` contradicts `event_type` (a `TRANSACTION.*` event carries a
    /// `transaction`, a `REFUND.*` event a `refund`).
    #[error("resource.original_type {original_type:?} does not go with event_type {event_type:?}")]
    OriginalType {
        /// The event type.
        event_type: String,
        /// The resource's original type.
        original_type: String,
    },
}

/// Which check of a response (or notification) signature failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerificationError {
    /// A required `Wechatpay-*` header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A required field of a signed APIv2 body (`sign`) is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A `Wechatpay-*` header is present but malformed.
    #[error("invalid header {name}: {reason}")]
    InvalidHeader {
        /// The header name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `Wechatpay-Timestamp` is more than 300 seconds away from the local clock (either way).
    #[error("stale timestamp: Wechatpay-Timestamp {timestamp} is {} s away from local time {now} (limit 300 s)", (now - timestamp).abs())]
    StaleTimestamp {
        /// The `Wechatpay-Timestamp` value (Unix seconds).
        timestamp: i64,
        /// The local time (Unix seconds).
        now: i64,
    },
    /// The answer carries none of the `Wechatpay-*` signature headers: whatever answered at
    /// the base URL does not look like WeChat Pay (a wrong `base_url`, a proxy or gateway
    /// answering in its place).
    #[error("the answer from {base_url} has none of the Wechatpay-* signature headers: is WeChat Pay at that base URL? (check ClientBuilder::base_url / WECHATPAY_BASE_URL, or a proxy in between)")]
    NotWechatPay {
        /// The base URL the request was sent to.
        base_url: String,
    },
    /// `Wechatpay-Serial` names no configured WeChat Pay public key or platform certificate.
    #[error("unknown Wechatpay-Serial {0:?}: no WeChat Pay public key or platform certificate with this id/serial is configured")]
    UnknownSerial(String),
    /// One of the four `Wechatpay-*` headers came more than once: which one is meant cannot
    /// be known, so the answer is not trusted.
    #[error("duplicate header {0}: a signed answer carries each Wechatpay-* header once")]
    DuplicateHeader(&'static str),
    /// `Wechatpay-Signature` starts with `WECHATPAY/SIGNTEST/`: the platform's own probe, sent
    /// to check that the merchant verifies signatures. It must be refused (a notification is
    /// answered with a 4xx and `FAIL`, as [`NotificationAnswer::for_error`](crate::NotificationAnswer::for_error) does).
    #[error("probe signature (Wechatpay-Signature starts with WECHATPAY/SIGNTEST/): refused, as the platform expects")]
    ProbeSignature,
    /// `Wechatpay-Serial` names a platform certificate that is not valid now (expired, or not
    /// valid yet): it verifies nothing.
    #[error(
        "platform certificate {serial} is not valid now ({now}): valid from {not_before} to {not_after} (Unix seconds)"
    )]
    CertificateNotValid {
        /// The certificate serial.
        serial: String,
        /// `notBefore`, Unix seconds.
        not_before: i64,
        /// `notAfter`, Unix seconds.
        not_after: i64,
        /// The local time, Unix seconds.
        now: i64,
    },
    /// The RSA signature does not match the timestamp, nonce and body.
    #[error("bad signature (key {serial})")]
    BadSignature {
        /// The key id / certificate serial the signature was checked with.
        serial: String,
    },
    /// A notification's RSA signature does not match its timestamp, nonce and body. The
    /// signature covers the body's bytes as sent: a body parsed and written again (a web
    /// framework's JSON extractor) never verifies; verify the raw bytes.
    #[error("bad notification signature (key {serial}): verify the raw body bytes as received, not a body parsed and serialised again")]
    NotificationBadSignature {
        /// The key id / certificate serial the signature was checked with.
        serial: String,
    },
}

impl VerificationError {
    /// The same failure, said of a notification.
    pub(crate) fn of_notification(self) -> Self {
        match self {
            VerificationError::BadSignature { serial } => VerificationError::NotificationBadSignature { serial },
            other => other,
        }
    }
}

/// The failure an APIv2 answer reports (feature `v2`): here, with the other errors, so that
/// [`Error`] can hold it; used through `v2`.
#[cfg(feature = "v2")]
mod apiv2 {
    use std::fmt;

    /// An answer that reports a failure.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum ResultError {
        /// `return_code` is not `SUCCESS`: the platform did not take the call (a bad signature, a
        /// malformed body, …); `return_msg` says why.
        Communication {
            /// `return_code` (`FAIL`).
            return_code: String,
            /// `return_msg`.
            return_msg: String,
        },
        /// `result_code` is not `SUCCESS`: the call was taken and failed (`err_code`, e.g.
        /// `ORDERPAID`, `NOTENOUGH`, `SYSTEMERROR`).
        Business {
            /// `err_code`.
            err_code: String,
            /// `err_code_des`.
            err_code_des: String,
        },
    }

    impl ResultError {
        /// Whether the same request may succeed later: the platform's transient failures
        /// (`SYSTEMERROR`, `BANKERROR`, the rate limits), as [`Error::is_retryable`](crate::Error::is_retryable)
        /// classifies APIv3's. Like there, only for a request that is idempotent on the merchant's
        /// number and sent again with the same fields.
        pub fn is_retryable(&self) -> bool {
            matches!(self, ResultError::Business { err_code, .. }
                if matches!(err_code.as_str(), "SYSTEMERROR" | "BANKERROR" | "FREQ_LIMIT" | "FREQUENCY_LIMITED"))
        }
    }

    impl fmt::Display for ResultError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                ResultError::Communication {
                    return_code,
                    return_msg,
                } => {
                    write!(f, "APIv2 call not taken: return_code {return_code}: {return_msg}")
                }
                ResultError::Business { err_code, err_code_des } => {
                    write!(f, "APIv2 call failed: {err_code}: {err_code_des}")
                }
            }
        }
    }

    impl std::error::Error for ResultError {}
}
#[cfg(feature = "v2")]
pub use apiv2::ResultError;
