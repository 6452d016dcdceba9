//! Typed Rust client for the WeChat Pay API v3 (微信支付 APIv3).
//!
//! The operations under [`v3`] are generated from the YAML description in `spec/`; the
//! hand-written [`runtime`] signs every request, verifies every response before decoding it,
//! and maps failures to [`Error`].
//!
//! ```no_run
//! # async fn run() -> Result<(), wechatpay::Error> {
//! use std::time::Duration;
//!
//! let client = wechatpay::Client::builder()
//!     .mchid("1900000001")
//!     .merchant_serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
//!     .private_key_file("/etc/wechatpay/apiclient_key.pem")
//!     .wechatpay_public_key_file(
//!         "PUB_KEY_ID_0119000000012025000100000000000000",
//!         "/etc/wechatpay/pub_key.pem",
//!     )
//!     .timeout(Duration::from_secs(20))
//!     .build()?;
//!
//! // Any path, untyped (the typed API is `client.v3()…`):
//! let certificates: serde_json::Value = client
//!     .chain("v3/certificates")
//!     .request(wechatpay::Method::GET)
//!     .send_json()
//!     .await?;
//! println!("{certificates}");
//!
//! // Outside async code:
//! # fn sync_part(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
//! let value: serde_json::Value = client
//!     .chain("v3/certificates")
//!     .request(wechatpay::Method::GET)
//!     .send_json()
//!     .blocking()?;
//! # Ok(()) }
//! # Ok(()) }
//! ```
//!
//! Or from the environment (`WECHATPAY_MCHID`, `WECHATPAY_SERIAL`, `WECHATPAY_PRIVATE_KEY`,
//! `WECHATPAY_PUBLIC_KEY`, `WECHATPAY_PUBLIC_KEY_ID`, optional `WECHATPAY_BASE_URL`):
//! [`Client::from_env`]. The [`guide`] goes through each topic in turn.
//!
//! # Building a request: every field by name, required means required
//!
//! The required fields of a generated struct are the fields of its `…Required` struct, a plain
//! struct literal that [`new`](v3::refund::domestic::refunds::PostRequestAmount::new) takes: each
//! is given by its name, so two values of the same type cannot be swapped unseen, and a
//! required field left out is a compile error, never an empty `""` sent to WeChat Pay. Optional
//! fields start as `None` and are set by name afterwards (`with` in an expression, or an
//! assignment). A struct whose fields are all optional derives `Default`.
//!
//! ```
//! use wechatpay::v3::refund::domestic::refunds::{PostRequestAmount, PostRequestAmountRequired};
//!
//! let amount = PostRequestAmount::new(PostRequestAmountRequired {
//!     refund: 50,
//!     total: 100,
//!     currency: "CNY".into(),
//! });
//! assert_eq!((amount.refund, amount.total), (50, 100));
//! assert_eq!(serde_json::to_string(&amount).unwrap(), r#"{"refund":50,"total":100,"currency":"CNY"}"#);
//!
//! use wechatpay::v3::pay::transactions::codepay::{PostRequestAmount as CodepayAmount, PostRequestAmountRequired as CodepayAmountRequired};
//! let amount = CodepayAmount::new(CodepayAmountRequired { total: 100 }).with(|a| a.currency = Some("CNY".into()));
//! assert_eq!(serde_json::to_string(&amount).unwrap(), r#"{"total":100,"currency":"CNY"}"#);
//! ```
//!
//! Leaving out a required field does not compile:
//!
//! ```compile_fail,E0063
//! use wechatpay::v3::refund::domestic::refunds::PostRequestAmountRequired;
//! let required = PostRequestAmountRequired { refund: 50, total: 100 };
//! ```
//!
//! nor does giving the required fields by position, where `refund` and `total` could be
//! swapped unseen:
//!
//! ```compile_fail,E0061
//! use wechatpay::v3::refund::domestic::refunds::PostRequestAmount;
//! let amount = PostRequestAmount::new(100, 50, "CNY");
//! ```
//!
//! nor a literal of the struct itself (`#[non_exhaustive]`: an optional field WeChat Pay adds
//! later does not break code that compiled before), nor a default in place of required fields:
//!
//! ```compile_fail,E0639
//! use wechatpay::v3::refund::domestic::refunds::PostRequestAmount;
//! let amount = PostRequestAmount { refund: 50, total: 100, currency: "CNY".into(), from: None };
//! ```
//!
//! ```compile_fail,E0599
//! use wechatpay::v3::refund::domestic::refunds::PostRequestAmount;
//! let amount = PostRequestAmount::default();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as wechatpay;

/// The hand-written runtime (the crate `wechatpay-runtime`): configuration, signing,
/// verification, transport, notifications, and the helpers the generated types use.
pub use wechatpay_runtime as runtime;

#[rustfmt::skip] // generated (prettyplease); `cargo xtask generate --check` keeps it exact
mod api;

/// The guide: getting started, the two key modes and how to migrate, notifications, errors and
/// retries, sensitive fields, observability, testing with the sandbox, features and build cost.
#[doc = include_str!("guide.md")]
pub mod guide {}

pub use api::*;
/// Bills read as typed, exact rows (the runtime's [`runtime::bill`]).
pub use runtime::bill;
pub use runtime::{
    ApiCode, ApiV3Key, Call, EncryptedResource, EnvelopeError, Error, Method, Notification, Request, Route, RsaSigner,
    Signer, UnknownValue, VerificationError,
};
pub use runtime::{
    ApiError, ConfigError, ConfigProblem, DecryptError, DecryptProblem, RequestError, RequestProblem, Setting,
    SignError,
};
pub use runtime::{
    AppPayParams, JsapiPayParams, NotificationAnswer, NotificationEvent, PlatformCertificate, SensitiveCiphertext,
};
pub use runtime::{Download, Response, ResponseSignature, Upload};

/// A WeChat Pay client: the runtime's [`runtime::Client`] with the generated API's methods
/// (`client.v3()…`). Everything else of the runtime client (`chain`, `download_bill`,
/// `handle_notification`, …) is reached through `Deref`. Cloning is cheap (one shared
/// connection pool and configuration).
#[derive(Clone, Debug)]
pub struct Client(runtime::Client);

/// Configures a [`Client`] (the runtime's builder, building this crate's client).
pub type ClientBuilder = runtime::ClientBuilder<Client>;

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from environment variables (see [`runtime::Client::from_env`]).
    pub fn from_env() -> Result<Client, Error> {
        runtime::Client::from_env().map(Client)
    }

    /// The runtime client this wraps.
    pub fn runtime(&self) -> &runtime::Client {
        &self.0
    }
}

impl From<runtime::Client> for Client {
    fn from(client: runtime::Client) -> Self {
        Client(client)
    }
}

impl std::ops::Deref for Client {
    type Target = runtime::Client;
    fn deref(&self) -> &runtime::Client {
        &self.0
    }
}

impl From<Client> for runtime::Client {
    fn from(client: Client) -> Self {
        client.0
    }
}

/// With feature `axum`, a `wechatpay::Client` state gives the runtime's extractors
/// ([`runtime::Notified`]) their client.
#[cfg(feature = "axum")]
impl axum_core::extract::FromRef<Client> for runtime::Client {
    fn from_ref(client: &Client) -> Self {
        client.0.clone()
    }
}

impl AsRef<runtime::Client> for Client {
    fn as_ref(&self) -> &runtime::Client {
        &self.0
    }
}
