//! The client: what it holds (configuration, keys, connection pools, the runtime of
//! `blocking()`) and its core methods. Every other part of the runtime builds on it; it
//! builds only on the keys (`crypto`) and the transport settings (`transport`). The methods of
//! each concern are in that concern's module (`builder`, `route`, `notify`, `certificates`,
//! `download`, `paysign`, `sensitive`).

use crate::error::RequestProblem;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::crypto::{self, ApiV3Key, Signer, Verifier};
use super::error::{Error, VerificationError};
use super::intercept::Interceptor;
use super::transport::{HttpClients, Transport};

/// A WeChat Pay API v3 client.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`; clones share one connection pool and the
/// keys, which are parsed once by [`ClientBuilder::build`](crate::ClientBuilder::build). Create one per merchant and reuse it.
///
/// Typed operations hang off `v3()` of the client crate (`wechatpay::Client`); [`Client::chain`] reaches any other path.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) mchid: String,
    /// Filled in where an APIv2 request leaves out `appid` ([`Fill::Appid`](crate::Fill)).
    pub(crate) appid: Option<String>,
    pub(crate) merchant_serial: String,
    pub(crate) base_url: String,
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) verifier: Verifier,
    pub(crate) apiv3_key: Option<ApiV3Key>,
    /// The HTTP clients and the settings they are built with (timeouts, `User-Agent`).
    pub(crate) http: HttpClients,
    pub(crate) blocking: OnceLock<BlockingRuntime>,
    /// Retries, failover, download timeout, body cap (see `transport.rs`).
    pub(crate) transport: Transport,
    /// Run around every attempt, in order (see `intercept.rs`).
    pub(crate) interceptors: Vec<Arc<dyn Interceptor>>,
    /// Signs APIv2 requests and checks their answers.
    #[cfg(feature = "v2")]
    pub(crate) apiv2_key: Option<crate::crypto::ApiV2Key>,
    /// Encrypts APIv2's sensitive fields (`risk/getpublickey`'s key).
    #[cfg(feature = "v2")]
    pub(crate) apiv2_rsa_key: Option<crate::crypto::VerifyKey>,
}

impl Inner {
    /// A failed exchange as an [`Error`]: a timeout says which timeout fired, after how long,
    /// and whether the body had started (`started`: when the attempt began; `total`: its
    /// whole-request timeout); anything else is [`Error::Transport`].
    pub(crate) fn transport_error(
        &self,
        e: reqwest::Error,
        started: std::time::Instant,
        total: Duration,
        body: bool,
    ) -> Error {
        use super::error::Timeout;
        if !e.is_timeout() {
            return Error::Transport(e);
        }
        let c = self.http.config();
        let (which, after) = if e.is_connect() {
            (Timeout::Connect, c.connect_timeout)
        } else if started.elapsed() + Duration::from_millis(20) >= total || c.read_timeout >= total {
            (Timeout::Total, total)
        } else {
            (Timeout::ReadIdle, c.read_timeout)
        };
        Error::Timeout {
            which,
            after,
            while_reading_body: body,
            source: e,
        }
    }

    /// The whole-request timeout of a JSON call.
    pub(crate) fn http_config_timeout(&self) -> Duration {
        self.http.config().timeout
    }

    /// The whole-request timeout of one attempt: the call's own, else the download timeout for
    /// a file, else the client's.
    pub(crate) fn attempt_timeout(&self, call: Option<Duration>, file: bool) -> Duration {
        call.unwrap_or(if file {
            self.transport.download_timeout
        } else {
            self.http_config_timeout()
        })
    }
}

/// The runtime of [`Call::blocking`](crate::Call::blocking): one worker thread and its
/// own connection pool (connections belong to the runtime that drives them).
pub(crate) struct BlockingRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) http: HttpClients,
}

impl BlockingRuntime {
    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("runtime present until drop")
    }
}

impl Drop for BlockingRuntime {
    fn drop(&mut self) {
        // Dropping a runtime normally blocks, which panics inside async code; this does not.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Inner {
    pub(crate) fn blocking_runtime(&self) -> Result<&BlockingRuntime, Error> {
        if let Some(rt) = self.blocking.get() {
            return Ok(rt);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wechatpay-blocking")
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let candidate = BlockingRuntime {
            runtime: Some(runtime),
            http: HttpClients::new(self.http.config(), &self.base_url)?,
        };
        // If another thread won the race, `candidate` is dropped (shut down in the background).
        let _ = self.blocking.set(candidate);
        Ok(self.blocking.get().expect("set above"))
    }
}

impl Client {
    /// The merchant id (`mchid`).
    pub fn mchid(&self) -> &str {
        &self.inner.mchid
    }

    /// The APPID the client was given ([`ClientBuilder::appid`](crate::ClientBuilder::appid)), if any.
    pub fn appid(&self) -> Option<&str> {
        self.inner.appid.as_deref()
    }

    /// What a request field left out is filled in with, or why it cannot be.
    pub(crate) fn filled(&self, fill: Fill, name: &str) -> Result<&str, Error> {
        match fill {
            Fill::Mchid => Ok(&self.inner.mchid),
            Fill::Appid => self.inner.appid.as_deref().ok_or_else(|| {
                Error::request(
                    RequestProblem::NotFilled,
                    format!(
                        "`{name}` is left out and the client has no APPID to fill it in with: set it on the request, or ClientBuilder::appid (WECHATPAY_APPID)"
                    ),
                )
            }),
        }
    }

    /// The merchant API certificate serial (`serial_no` of the `Authorization` header).
    pub fn merchant_serial(&self) -> &str {
        &self.inner.merchant_serial
    }

    /// The base URL requests are sent to (without trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Signs `message` with the merchant key (RSA-SHA256, base64): the primitive behind the
    /// JSAPI / APP pay-sign the front end needs.
    pub fn sign(&self, message: &[u8]) -> Result<String, Error> {
        self.inner.signer.sign(message)
    }

    /// Verifies a notification (callback) from WeChat Pay exactly like a response: the four
    /// `Wechatpay-*` headers, the 300 s window, the key selected by `Wechatpay-Serial`, the
    /// signature over the **raw** body bytes (do not re-serialise the body first).
    pub fn verify_notification(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<(), VerificationError> {
        self.inner
            .verifier
            .verify(&crypto::SignatureHeaders::from_map(headers), body, crypto::unix_now())
            .map_err(VerificationError::of_notification)
    }

    /// Like [`Client::verify_notification`], with the four header values passed one by one
    /// (`None` when absent), for web frameworks that do not use `http::HeaderMap`.
    pub fn verify_signature(
        &self,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&str>,
        serial: Option<&str>,
        body: &[u8],
    ) -> Result<(), VerificationError> {
        let headers = crypto::SignatureHeaders {
            timestamp: timestamp.map(str::as_bytes),
            nonce: nonce.map(str::as_bytes),
            signature: signature.map(str::as_bytes),
            serial: serial.map(str::as_bytes),
            duplicate: None,
        };
        self.inner
            .verifier
            .verify(&headers, body, crypto::unix_now())
            .map_err(VerificationError::of_notification)
    }
}

impl AsRef<Client> for Client {
    fn as_ref(&self) -> &Client {
        self
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("mchid", &inner.mchid)
            .field("appid", &inner.appid)
            .field("merchant_serial", &inner.merchant_serial)
            .field("base_url", &inner.base_url)
            .field("verification_keys", &inner.verifier)
            .field("apiv3_key", &inner.apiv3_key.as_ref().map(|_| "<configured>"))
            .field("user_agent", &inner.http.config().user_agent)
            .field("interceptors", &inner.interceptors.len())
            .finish_non_exhaustive()
    }
}

/// What the client fills a request field in with when the caller leaves it out: a generated
/// request's merchant id (`mchid`, `sp_mchid`, APIv2's `mch_id`) and APIv2's `appid` are
/// `Option`s, `None` meaning "the client's".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// [`Client::mchid`].
    Mchid,
    /// [`Client::appid`]; a call that needs it fails before sending when the client has none.
    Appid,
}
