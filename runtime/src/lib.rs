//! The hand-written runtime the generated API calls: client configuration, request signing,
//! response verification, blocking calls, and the helpers generated types use.
//!
//! # Protocol
//!
//! * Every request carries
//!   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",serial_no="…",timestamp="…",nonce_str="…",signature="…"`,
//!   the signature being RSASSA-PKCS1-v1_5 / SHA-256 (by the [`Signer`]) over
//!   `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`, where `TARGET` is the path and query of the
//!   final URL exactly as sent.
//! * Every 2xx response is verified **before** its body is decoded: the four headers
//!   `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial` must be
//!   present, the timestamp within 300 s of the local clock, the serial must name a configured
//!   WeChat Pay public key (`PUB_KEY_ID_…`) or platform certificate, and the signature over
//!   `TIMESTAMP\nNONCE\nBODY\n` (raw body bytes) must verify. Any failure is an
//!   [`Error::Verification`] saying which check failed.
//! * Non-2xx responses become [`Error::Api`] **without** a signature check, as in the official
//!   Go and Java SDKs: error bodies are not always signed (a proxy's HTML page), and trusting an
//!   unsigned error can only make a call fail, never succeed.
//! * Redirects are never followed (they would change the signed target).
//!
//! # Layout
//!
//! One module per concern, in layers; a module names only modules below it (checked by
//! `tests/layout.rs`):
//!
//! 1. `error`, `encoding` (percent-encoding, hex), `json_text`, `object` (the
//!    `json_object!`/`json_enum!` serialisation of generated types), `crypto` (signers,
//!    verification keys, the APIv3 key), `transport` (hosts, timeouts, retries, failover),
//!    `upload`, `intercept` ([`Interceptor`]s), `observe` (the `tracing` feature's spans);
//! 2. `client`: what a [`Client`] holds, and its core methods;
//! 3. building a call: `route` (the path; [`Client::chain`]), `request` (query, headers, body),
//!    `sensitive` (encrypted fields);
//! 4. `send` (prepare, sign, send with retries and failover, read, verify) and `download`;
//! 5. `call` (`.await` / `.blocking()`, decoding), `response` (status and headers too);
//! 6. what builds on calls: `certificates` (the platform certificate download), `notify`
//!    (notifications), `paysign`, `builder` ([`ClientBuilder`], [`Client::from_env`]);
//! 7. `ledger`: each notification handled once across instances ([`NotificationLedger`],
//!    [`MemoryLedger`], `RedisLedger` with feature `redis`); `web`: the endpoint as a tower
//!    service (feature `tower`), with axum's response and extractor (feature `axum`).
//!
//! The methods a concern adds to [`Client`] are in that concern's module.
//!
//! This crate is used through the client crate `wechatpay`, which re-exports it as
//! `wechatpay::runtime` (and its main types at its root); depend on `wechatpay`, not on this.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bill;
mod builder;
mod call;
mod certificates;
mod client;
mod crypto;
mod download;
mod encoding;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod intercept;
mod json_text;
mod ledger;
mod notify;
mod object;
mod observe;
mod paysign;
mod request;
mod response;
mod route;
mod send;
mod sensitive;
mod transport;
mod upload;
#[cfg(feature = "v2")]
pub mod v2;
#[cfg(feature = "tower")]
mod web;

#[cfg(test)]
mod tests;

/// The HTTP client crate the client sends with, of the version it was built against: for
/// [`ClientBuilder::http_client`] without a version of your own to keep in step.
pub use reqwest;
pub use reqwest::Method;

pub use builder::ClientBuilder;
pub use call::Call;
pub use certificates::PlatformCertificate;
pub use client::{Client, Fill};
pub use crypto::{nonce, ApiV3Key, RsaSigner, Signer, MAX_CLOCK_SKEW_SECS};
pub use download::Download;
pub use encoding::encode_component;
pub use error::{
    ApiCode, ApiError, ConfigError, ConfigProblem, DecryptError, DecryptProblem, EnvelopeError, Error, RequestError,
    RequestProblem, Setting, SignError, Timeout, VerificationError,
};
pub use intercept::{Attempt, Interceptor, Outcome};
pub use json_text::JsonText;
#[cfg(feature = "redis")]
pub use ledger::RedisLedger;
pub use ledger::{Claim, ClaimToken, MemoryLedger, NotificationLedger, DEFAULT_LEASE, DEFAULT_RETENTION};
pub use notify::{EncryptedResource, Notification, NotificationAnswer, NotificationEvent};
pub use object::UnknownValue;
pub use paysign::{AppPayParams, JsapiPayParams};
pub use request::{Request, ResponseSignature};
pub use reqwest::header::{HeaderMap, HeaderValue};
pub use response::{CallWithMeta, Response};
pub use route::Route;
pub use sensitive::SensitiveCiphertext;
pub use transport::{default_user_agent, BACKUP_BASE_URL, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BODY};
pub use upload::{guess_content_type, Upload};
#[cfg(feature = "axum")]
pub use web::Notified;
#[cfg(all(feature = "tower", feature = "v2"))]
pub use web::V2NotificationService;
#[cfg(feature = "tower")]
pub use web::{NoLedger, NotificationService, MAX_NOTIFICATION_BODY};

/// What only generated code uses: the serialisation macros and their helpers, the start of a
/// chain, the matching of notification resources. Not part of the API: it changes with the
/// generator, in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::notify::{notification_matches, notification_resource, NotificationShapes};
    pub use crate::object::{
        deserialize_enum, deserialize_object, empty_object, finish, presence, read_object, row, unknown_value, Fields,
        FromObject, Slot,
    };
    pub use crate::{
        __field_value as field_value, __json_enum as json_enum, __json_object as json_object, __with as with,
        __withheld_debug as withheld_debug,
    };
    #[cfg(feature = "v2")]
    pub use crate::{__xml_enum as xml_enum, __xml_object as xml_object};

    /// The root of every chain (`client.v3()`): an empty path.
    #[inline]
    pub fn route(client: &crate::Client) -> crate::Route {
        crate::Route::new(client)
    }
}
