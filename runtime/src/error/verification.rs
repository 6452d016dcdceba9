//! What is wrong with a signed answer or a notification envelope.

/// What is wrong with a notification envelope (see [`Error::Envelope`](crate::Error::Envelope)).
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
