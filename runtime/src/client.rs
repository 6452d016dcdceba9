//! The client, its builder and the runtime used by `blocking()`.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::crypto::{self, Signer, Verifier};
use super::error::{Error, VerificationError};
use super::notify::{ApiV3Key, EncryptedResource, Notification};
use super::retry::Transport;
use super::route::Route;

/// The production API host.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default of [`ClientBuilder::read_timeout`]: the longest silence between two reads.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of [`ClientBuilder::pool_idle_timeout`]: below WeChat Pay's ~8 s keep-alive.
const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default `User-Agent`: `wechatpay-rust/<version> (<os>/<arch>)`.
pub fn default_user_agent() -> String {
    format!(
        "wechatpay-rust/{} ({}/{}; reqwest)",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// A WeChat Pay API v3 client.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`; clones share one connection pool and the
/// keys, which are parsed once by [`ClientBuilder::build`]. Create one per merchant and reuse it.
///
/// Typed operations hang off [`Client::v3`]; [`Client::chain`] reaches any other path.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) mchid: String,
    pub(crate) merchant_serial: String,
    pub(crate) base_url: String,
    pub(crate) signer: Arc<dyn Signer>,
    pub(crate) verifier: Verifier,
    apiv3_key: Option<ApiV3Key>,
    pub(crate) http: reqwest::Client,
    http_config: HttpConfig,
    blocking: OnceLock<BlockingRuntime>,
    /// Retries, failover, download timeout (see `retry.rs`).
    pub(crate) transport: Transport,
}

#[derive(Clone, Debug)]
struct HttpConfig {
    user_agent: String,
    connect_timeout: Duration,
    timeout: Duration,
    read_timeout: Duration,
    pool_idle_timeout: Duration,
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
        let c = &self.http_config;
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
        self.http_config.timeout
    }
}

impl HttpConfig {
    fn build(&self) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .read_timeout(self.read_timeout)
            // WeChat Pay closes keep-alive connections idle for about 8 s: never reuse one idle
            // that long (a request written into a connection the server is closing is lost).
            .pool_idle_timeout(self.pool_idle_timeout)
            // A redirect would change the signed request target: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
    }
}

/// The runtime of [`Call::blocking`](crate::Call::blocking): one worker thread and its
/// own connection pool (connections belong to the runtime that drives them).
pub(crate) struct BlockingRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) http: reqwest::Client,
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
            http: self.http_config.build()?,
        };
        // If another thread won the race, `candidate` is dropped (shut down in the background).
        let _ = self.blocking.set(candidate);
        Ok(self.blocking.get().expect("set above"))
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from environment variables:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `WECHATPAY_BASE_URL` | optional, default `https://api.mch.weixin.qq.com` |
    /// | `WECHATPAY_MCHID` | merchant id |
    /// | `WECHATPAY_SERIAL` | merchant API certificate serial |
    /// | `WECHATPAY_PRIVATE_KEY` | path of the merchant private key PEM (`apiclient_key.pem`) |
    /// | `WECHATPAY_PUBLIC_KEY` | path of the WeChat Pay public key PEM |
    /// | `WECHATPAY_PUBLIC_KEY_ID` | its id, `PUB_KEY_ID_…` |
    /// | `WECHATPAY_APIV3_KEY` | optional: the APIv3 key (notifications, platform certificates) |
    ///
    /// A missing or unusable variable is an [`Error::Config`] naming it (and the file).
    pub fn from_env() -> Result<Client, Error> {
        Self::from_lookup(|name| std::env::var(name))
    }

    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Result<String, std::env::VarError>) -> Result<Client, Error> {
        let var = |name: &str| -> Result<String, Error> {
            match lookup(name) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
                Ok(_) => Err(Error::Config(format!("environment variable {name} is empty"))),
                Err(std::env::VarError::NotPresent) => {
                    Err(Error::Config(format!("environment variable {name} is not set")))
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(Error::Config(format!("environment variable {name} is not valid UTF-8")))
                }
            }
        };
        let read = |name: &str| -> Result<(String, String), Error> {
            let path = var(name)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("{name}: cannot read {path}: {e}")))?;
            Ok((path, text))
        };

        let mut builder = Client::builder();
        match lookup("WECHATPAY_BASE_URL") {
            Ok(url) if !url.trim().is_empty() => builder = builder.base_url(url.trim()),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::Config(
                    "environment variable WECHATPAY_BASE_URL is not valid UTF-8".into(),
                ))
            }
            _ => {}
        }
        builder = builder
            .mchid(var("WECHATPAY_MCHID")?)
            .merchant_serial(var("WECHATPAY_SERIAL")?);

        let (path, text) = read("WECHATPAY_PRIVATE_KEY")?;
        let signer = crypto::load_private_key(&text)
            .map_err(|e| Error::Config(format!("WECHATPAY_PRIVATE_KEY: {path}: {e}")))?;
        builder = builder.signer(signer);

        let id = var("WECHATPAY_PUBLIC_KEY_ID")?;
        let (path, text) = read("WECHATPAY_PUBLIC_KEY")?;
        let key =
            crypto::load_public_key(&text).map_err(|e| Error::Config(format!("WECHATPAY_PUBLIC_KEY: {path}: {e}")))?;
        builder.verifier.add_public_key(id, key);
        match lookup("WECHATPAY_APIV3_KEY") {
            Ok(key) if !key.trim().is_empty() => builder = builder.apiv3_key(key.trim()),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::Config(
                    "environment variable WECHATPAY_APIV3_KEY is not valid UTF-8".into(),
                ))
            }
            _ => {}
        }
        builder.build()
    }

    /// An untyped request to any path, for operations the typed API does not cover (like the
    /// PHP SDK's `chain('v3/…')`). The leading slash is optional; the path is used as given
    /// (already percent-encoded), relative to the base URL.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::runtime::Method;
    /// let value: serde_json::Value = client
    ///     .chain("v3/pay/transactions/id/4200000000000000")
    ///     .request(Method::GET)
    ///     .query("mchid", "1900000001")
    ///     .send_json()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn chain(&self, path: &str) -> Route<'_> {
        Route::with_path(self, path)
    }

    /// The merchant id (`mchid`).
    pub fn mchid(&self) -> &str {
        &self.inner.mchid
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
        self.inner.verifier.verify(&headers, body, crypto::unix_now())
    }
}

impl Client {
    /// Verifies a notification (see [`Client::verify_notification`]) and parses its body.
    /// A body that is not notification JSON is an [`Error::Decode`] with status 0.
    pub fn parse_notification(&self, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<Notification, Error> {
        self.verify_notification(headers, body)?;
        let notification: Notification = serde_json::from_slice(body).map_err(|source| Error::Decode {
            source,
            status: 0,
            body: String::from_utf8_lossy(body).into_owned(),
        })?;
        notification.check()?;
        Ok(notification)
    }

    /// Decrypts a notification resource (AES-256-GCM with the APIv3 key); the plaintext is
    /// JSON (a transaction, a refund, …). Needs [`ClientBuilder::apiv3_key`].
    pub fn decrypt_resource(&self, resource: &EncryptedResource) -> Result<Vec<u8>, Error> {
        let key = self
            .inner
            .apiv3_key
            .as_ref()
            .ok_or_else(|| Error::Config("no APIv3 key: call ClientBuilder::apiv3_key".into()))?;
        resource.decrypt(key)
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
            .field("merchant_serial", &inner.merchant_serial)
            .field("base_url", &inner.base_url)
            .field("verification_keys", &inner.verifier)
            .field("apiv3_key", &inner.apiv3_key.as_ref().map(|_| "<configured>"))
            .field("user_agent", &inner.http_config.user_agent)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Key material is parsed when given (a bad key is reported by
/// [`build`](ClientBuilder::build), never a panic); `Debug` shows no key material.
///
/// `C` is what [`build`](ClientBuilder::build) returns: this [`Client`], or the client type of
/// the generated API (`wechatpay::Client`, which wraps it and adds the API's methods).
pub struct ClientBuilder<C = Client> {
    mchid: Option<String>,
    merchant_serial: Option<String>,
    signer: Option<Arc<dyn Signer>>,
    verifier: Verifier,
    apiv3_key: Option<ApiV3Key>,
    base_url: String,
    user_agent: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    read_timeout: Duration,
    pool_idle_timeout: Duration,
    error: Option<Error>,
    /// Retries, failover, download timeout (options in `retry.rs`).
    pub(crate) transport: Transport,
    /// Platform certificates come from `GET /v3/certificates` (legacy mode).
    certificates_download: bool,
    /// Refresh them in the background this often.
    certificates_refresh: Option<Duration>,
    client: std::marker::PhantomData<fn() -> C>,
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            mchid: None,
            merchant_serial: None,
            signer: None,
            verifier: Verifier::default(),
            apiv3_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            error: None,
            transport: Transport::default(),
            certificates_download: false,
            certificates_refresh: None,
            client: std::marker::PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("mchid", &self.mchid)
            .field("merchant_serial", &self.merchant_serial)
            .field("signer", &self.signer.as_ref().map(|_| "<configured>"))
            .field("verification_keys", &self.verifier)
            .field("apiv3_key", &self.apiv3_key.as_ref().map(|_| "<configured>"))
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .finish_non_exhaustive()
    }
}

fn read_file(what: &str, path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Config(format!("{what}: cannot read {}: {e}", path.display())))
}

impl<C: From<Client>> ClientBuilder<C> {
    fn fail(mut self, error: Error) -> Self {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self
    }

    /// The merchant id (`mchid`), required.
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// The merchant API certificate serial (hex; uppercased), required.
    pub fn merchant_serial(mut self, serial: impl Into<String>) -> Self {
        self.merchant_serial = Some(serial.into());
        self
    }

    /// The merchant private key, PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`).
    pub fn private_key_pem(self, pem: &str) -> Self {
        match crypto::load_private_key(pem) {
            Ok(signer) => self.signer(signer),
            Err(e) => self.fail(Error::Config(format!("private key: {e}"))),
        }
    }

    /// The merchant private key, read from a PEM file (`apiclient_key.pem`).
    pub fn private_key_file(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        // The key file's text is wiped when dropped.
        match read_file("private key", path)
            .map(zeroize::Zeroizing::new)
            .and_then(|text| {
                crypto::load_private_key(&text)
                    .map_err(|e| Error::Config(format!("private key {}: {e}", path.display())))
            }) {
            Ok(signer) => self.signer(signer),
            Err(e) => self.fail(e),
        }
    }

    /// A custom [`Signer`] (HSM, remote signing service) instead of a private key.
    pub fn signer(mut self, signer: impl Signer + 'static) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// A WeChat Pay public key (`BEGIN PUBLIC KEY`) and its id (`PUB_KEY_ID_…`), used for
    /// responses whose `Wechatpay-Serial` is that id.
    pub fn wechatpay_public_key(mut self, id: impl Into<String>, pem: &str) -> Self {
        let id = id.into().trim().to_owned();
        if id.is_empty() {
            return self.fail(Error::Config("WeChat Pay public key id is empty".into()));
        }
        match crypto::load_public_key(pem) {
            Ok(key) => {
                self.verifier.add_public_key(id, key);
                self
            }
            Err(e) => self.fail(Error::Config(format!("WeChat Pay public key {id}: {e}"))),
        }
    }

    /// Like [`wechatpay_public_key`](Self::wechatpay_public_key), reading the PEM from a file.
    pub fn wechatpay_public_key_file(self, id: impl Into<String>, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let id = id.into().trim().to_owned();
        let text = match read_file("WeChat Pay public key", path) {
            Ok(text) => text,
            Err(e) => return self.fail(e),
        };
        match crypto::load_public_key(&text) {
            Ok(key) => {
                if id.is_empty() {
                    return self.fail(Error::Config("WeChat Pay public key id is empty".into()));
                }
                let mut this = self;
                this.verifier.add_public_key(id, key);
                this
            }
            Err(e) => self.fail(Error::Config(format!(
                "WeChat Pay public key {id} ({}): {e}",
                path.display()
            ))),
        }
    }

    /// A platform certificate (`BEGIN CERTIFICATE`, legacy mode); responses whose
    /// `Wechatpay-Serial` equals its serial (uppercase hex) are verified with it. May be
    /// combined with a WeChat Pay public key and called several times.
    pub fn platform_certificate_pem(mut self, pem: &str) -> Self {
        match crypto::load_certificate(pem) {
            Ok((serial, key)) => {
                self.verifier.add_certificate(serial, key);
                self
            }
            Err(e) => self.fail(Error::Config(format!("platform certificate: {e}"))),
        }
    }

    /// The APIv3 key (32 characters), needed only to decrypt notification resources
    /// ([`Client::decrypt_resource`]).
    pub fn apiv3_key(mut self, key: &str) -> Self {
        match ApiV3Key::new(key) {
            Ok(key) => {
                self.apiv3_key = Some(key);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Legacy mode without a configured key: platform certificates are downloaded with
    /// [`Client::refresh_platform_certificates`] (which the application calls, at start and
    /// then periodically), so [`build`](Self::build) accepts a configuration with no WeChat
    /// Pay public key and no platform certificate. Needs [`apiv3_key`](Self::apiv3_key).
    /// Responses are verified only once the first download succeeded.
    pub fn platform_certificates_download(mut self) -> Self {
        self.certificates_download = true;
        self
    }

    /// Like [`platform_certificates_download`](Self::platform_certificates_download), and
    /// [`build`](Self::build) starts a background task that downloads the platform
    /// certificates at once and then every `every` (WeChat Pay SDKs use 1 to 24 hours; after
    /// a failure it tries again within a minute, see
    /// [`Client::platform_certificates_refresh_error`]). Old certificates are kept until they
    /// expire; requests are never blocked by a refresh. The task runs on the tokio runtime
    /// `build` is called in (or, outside one, on the client's blocking runtime) and stops
    /// when the last clone of the client is dropped.
    pub fn platform_certificates_auto_refresh(mut self, every: Duration) -> Self {
        self.certificates_download = true;
        self.certificates_refresh = Some(every.max(Duration::from_secs(1)));
        self
    }

    /// The base URL, default `https://api.mch.weixin.qq.com` (e.g. `http://127.0.0.1:8080`
    /// for a mock server). A path prefix is kept; a trailing slash is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Replaces the default `User-Agent` ([`default_user_agent`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// TCP/TLS connect timeout, default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout (connect, send, read the body), default 30 s. A file download
    /// has its own ([`ClientBuilder::download_timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest silence of the server while the client waits for the answer or reads its
    /// body, default 10 s: a server that stops sending fails the call then (an
    /// [`Error::Timeout`] naming this timeout) rather than at the whole-request timeout.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept for reuse, default 5 s: below the ~8 s after
    /// which WeChat Pay closes idle keep-alive connections (`Keep-Alive: timeout=8`). A request on
    /// a pooled connection the server closed before it was written is sent again on a new one.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<C, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mchid = self.mchid.map(|m| m.trim().to_owned()).unwrap_or_default();
        if mchid.is_empty() {
            return Err(Error::Config("mchid is not set".into()));
        }
        if !mchid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::Config(format!(
                "mchid {mchid:?} must be ASCII letters and digits"
            )));
        }
        let serial = self
            .merchant_serial
            .map(|s| s.trim().to_ascii_uppercase())
            .unwrap_or_default();
        if serial.is_empty() {
            return Err(Error::Config("merchant_serial is not set".into()));
        }
        if !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Config(format!(
                "merchant_serial {serial:?} must be the hexadecimal serial of the merchant API certificate"
            )));
        }
        let signer = self.signer.ok_or_else(|| {
            Error::Config("no merchant private key: call private_key_pem, private_key_file or signer".into())
        })?;
        if self.certificates_download && self.apiv3_key.is_none() {
            return Err(Error::Config(
                "downloading platform certificates needs the APIv3 key: call apiv3_key".into(),
            ));
        }
        if self.verifier.is_empty() && !self.certificates_download {
            return Err(Error::Config(
                "no key to verify responses: call wechatpay_public_key or platform_certificate_pem".into(),
            ));
        }
        let base_url = self.base_url.trim().trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base_url) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.host().is_some() => {}
            _ => {
                return Err(Error::Config(format!(
                    "base_url {base_url:?} is not an http(s) URL without query or fragment"
                )))
            }
        }
        let http_config = HttpConfig {
            user_agent: self.user_agent.unwrap_or_else(default_user_agent),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            read_timeout: self.read_timeout,
            pool_idle_timeout: self.pool_idle_timeout,
        };
        if reqwest::header::HeaderValue::from_str(&http_config.user_agent).is_err() {
            return Err(Error::Config("user_agent is not a valid header value".into()));
        }
        let transport = self.transport.validated()?;
        let http = http_config.build()?;
        let certificates_refresh = self.certificates_refresh;
        let client = Client {
            inner: Arc::new(Inner {
                mchid,
                merchant_serial: serial,
                base_url,
                signer,
                verifier: self.verifier,
                apiv3_key: self.apiv3_key,
                http,
                http_config,
                blocking: OnceLock::new(),
                transport,
            }),
        };
        if let Some(every) = certificates_refresh {
            super::certificates::spawn_auto_refresh(&client, every)?;
        }
        Ok(C::from(client))
    }
}
