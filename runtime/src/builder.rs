//! Configuring a client: [`ClientBuilder`] (every option of the client is one of its methods)
//! and [`Client::from_env`].

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::certificates;
use super::client::{Client, Inner};
use super::crypto::{self, ApiV3Key, Signer, Verifier};
use super::error::{ConfigProblem, ConfigProblem::*, Error, Setting};
use super::intercept::Interceptor;
use super::transport::{
    default_user_agent, HttpClientFactory, HttpClients, HttpConfig, MerchantIdentity, Transport, DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_TIMEOUT,
};

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
    /// A missing or unusable variable is an [`Error::Config`] naming it (and the file). To set
    /// more than the environment says (retries, timeouts, interceptors), start from
    /// [`ClientBuilder::from_env`] instead.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    #[cfg(test)]
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Result<String, std::env::VarError>) -> Result<Client, Error> {
        ClientBuilder::from_lookup(lookup)?.build()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder configured from the environment variables [`Client::from_env`] reads, to set
    /// more on before [`build`](Self::build):
    ///
    /// ```no_run
    /// # fn f() -> Result<(), wechatpay::Error> {
    /// let client = wechatpay::ClientBuilder::from_env()?.retries(2).build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name))
    }

    /// A builder configured from the same settings as [`from_env`](Self::from_env), given as
    /// `(name, value)` pairs instead of read from the process's environment: from a secret
    /// store, a configuration file, or a test's sandbox (`wechatpay_sandbox::Sandbox::client_vars`),
    /// without touching the process-wide environment that other threads read.
    ///
    /// ```no_run
    /// # fn f() -> Result<(), wechatpay::Error> {
    /// let vars = [
    ///     ("WECHATPAY_MCHID", "1900000001"),
    ///     ("WECHATPAY_SERIAL", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"),
    ///     ("WECHATPAY_PRIVATE_KEY", "/run/secrets/apiclient_key.pem"),
    ///     ("WECHATPAY_PUBLIC_KEY", "/run/secrets/pub_key.pem"),
    ///     ("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0114232134912410000000000000"),
    /// ];
    /// let client = wechatpay::ClientBuilder::from_vars(vars)?.build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: std::collections::HashMap<String, String> =
            vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self::from_lookup(|name| vars.get(name).cloned().ok_or(std::env::VarError::NotPresent))
    }

    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Result<String, std::env::VarError>) -> Result<Self, Error> {
        let var = |name: &str| -> Result<String, Error> {
            match lookup(name) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
                Ok(_) => Err(env_error(name, Missing, "is empty")),
                Err(std::env::VarError::NotPresent) => Err(env_error(name, Missing, "is not set")),
                Err(std::env::VarError::NotUnicode(_)) => Err(env_error(name, Invalid, "is not valid UTF-8")),
            }
        };
        // An optional setting: `None` when not set or blank.
        let optional = |name: &str| -> Result<Option<String>, Error> {
            match lookup(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_owned())),
                Err(std::env::VarError::NotUnicode(_)) => Err(env_error(name, Invalid, "is not valid UTF-8")),
                _ => Ok(None),
            }
        };
        let read = |name: &str| -> Result<(String, String), Error> {
            let path = var(name)?;
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::config(
                    Unreadable,
                    env_setting(name),
                    format!("{name}: cannot read {path}: {e}"),
                )
            })?;
            Ok((path, text))
        };

        let mut builder = ClientBuilder::<C>::default();
        if let Some(url) = optional("WECHATPAY_BASE_URL")? {
            builder = builder.base_url(url);
        }
        builder = builder.mchid(var("WECHATPAY_MCHID")?);
        if let Some(appid) = optional("WECHATPAY_APPID")? {
            builder = builder.appid(appid);
        }
        // APIv2 only: an APIv2 key and none of the APIv3 settings (see `build`).
        let set = |name: &str| !matches!(lookup(name), Err(std::env::VarError::NotPresent));
        let v2_only = cfg!(feature = "v2")
            && set("WECHATPAY_APIV2_KEY")
            && !["WECHATPAY_SERIAL", "WECHATPAY_PUBLIC_KEY_ID", "WECHATPAY_PUBLIC_KEY"]
                .iter()
                .any(|n| set(n));
        if !v2_only {
            builder = builder.merchant_serial(var("WECHATPAY_SERIAL")?);
            let (path, text) = read("WECHATPAY_PRIVATE_KEY")?;
            let signer = crypto::load_private_key(&text).map_err(|e| {
                Error::config(
                    Invalid,
                    Setting::PrivateKey,
                    format!("WECHATPAY_PRIVATE_KEY: {path}: {e}"),
                )
            })?;
            builder = builder.signer(signer);

            let id = var("WECHATPAY_PUBLIC_KEY_ID")?;
            let (path, text) = read("WECHATPAY_PUBLIC_KEY")?;
            let key = crypto::load_public_key(&text).map_err(|e| {
                Error::config(
                    Invalid,
                    Setting::WechatpayPublicKey,
                    format!("WECHATPAY_PUBLIC_KEY: {path}: {e}"),
                )
            })?;
            builder.verifier.add_public_key(id, key);
        }
        #[cfg(feature = "v2")]
        {
            if let Some(key) = optional("WECHATPAY_APIV2_KEY")? {
                builder = builder.apiv2_key(&key);
            }
            // The RSA public key of risk/getpublickey (pay_bank's bank details).
            if lookup("WECHATPAY_APIV2_RSA_PUBLIC_KEY").is_ok() {
                let (path, pem) = read("WECHATPAY_APIV2_RSA_PUBLIC_KEY")?;
                let key = crypto::apiv2_encrypting_key(&pem).map_err(|e| {
                    Error::config(
                        Invalid,
                        Setting::ApiV2RsaPublicKey,
                        format!("WECHATPAY_APIV2_RSA_PUBLIC_KEY: {path}: {e}"),
                    )
                })?;
                builder.apiv2_rsa_key = Some(key);
            }
            // The merchant API certificate; its key is the one of WECHATPAY_PRIVATE_KEY.
            if lookup("WECHATPAY_MERCHANT_CERTIFICATE").is_ok() {
                let (cert_path, cert) = read("WECHATPAY_MERCHANT_CERTIFICATE")?;
                let (_, key) = read("WECHATPAY_PRIVATE_KEY")?;
                let key = zeroize::Zeroizing::new(key);
                builder = builder.merchant_certificate_pem(&cert, &key);
                match builder.error.take() {
                    Some(Error::Config(mut why)) => {
                        why.message = format!("WECHATPAY_MERCHANT_CERTIFICATE: {cert_path}: {}", why.message);
                        return Err(Error::Config(why));
                    }
                    Some(other) => return Err(other),
                    None => {}
                }
            }
        }
        if let Some(key) = optional("WECHATPAY_APIV3_KEY")? {
            // Checked now, naming the variable, rather than at the first notification.
            let key = ApiV3Key::new(&key)
                .map_err(|e| Error::config(Invalid, Setting::ApiV3Key, format!("WECHATPAY_APIV3_KEY: {e}")))?;
            builder.apiv3_key = Some(key);
        }
        Ok(builder)
    }
}

/// Configures a [`Client`]. Key material is parsed when given (a bad key is reported by
/// [`build`](ClientBuilder::build), never a panic); `Debug` shows no key material.
///
/// `C` is what [`build`](ClientBuilder::build) returns: this [`Client`], or the client type of
/// the generated API (`wechatpay::Client`, which wraps it and adds the API's methods).
pub struct ClientBuilder<C = Client> {
    mchid: Option<String>,
    appid: Option<String>,
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
    http_client: Option<HttpClientFactory>,
    extra_roots: Vec<reqwest::Certificate>,
    identity: Option<MerchantIdentity>,
    interceptors: Vec<Arc<dyn Interceptor>>,
    #[cfg(feature = "v2")]
    apiv2_key: Option<crypto::ApiV2Key>,
    #[cfg(feature = "v2")]
    apiv2_rsa_key: Option<crypto::VerifyKey>,
    error: Option<Error>,
    /// Retries, failover, download timeout, body cap (see `transport.rs`).
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
            appid: None,
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
            http_client: None,
            extra_roots: Vec::new(),
            identity: None,
            interceptors: Vec::new(),
            #[cfg(feature = "v2")]
            apiv2_key: None,
            #[cfg(feature = "v2")]
            apiv2_rsa_key: None,
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
            .field("appid", &self.appid)
            .field("merchant_serial", &self.merchant_serial)
            .field("signer", &self.signer.as_ref().map(|_| "<configured>"))
            .field("verification_keys", &self.verifier)
            .field("apiv3_key", &self.apiv3_key.as_ref().map(|_| "<configured>"))
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("read_timeout", &self.read_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("merchant_certificate", &self.identity.as_ref().map(|_| "<configured>"))
            .finish_non_exhaustive()
    }
}

/// The error of an environment variable of [`ClientBuilder::from_env`] (`name is not set`).
fn env_error(name: &str, problem: ConfigProblem, why: &str) -> Error {
    Error::config(problem, env_setting(name), format!("environment variable {name} {why}"))
}

/// The setting an environment variable of [`ClientBuilder::from_env`] holds.
fn env_setting(name: &str) -> Setting {
    match name {
        "WECHATPAY_MCHID" => Setting::Mchid,
        "WECHATPAY_APPID" => Setting::Appid,
        "WECHATPAY_SERIAL" => Setting::MerchantSerial,
        "WECHATPAY_PRIVATE_KEY" => Setting::PrivateKey,
        "WECHATPAY_PUBLIC_KEY" | "WECHATPAY_PUBLIC_KEY_ID" => Setting::WechatpayPublicKey,
        "WECHATPAY_APIV3_KEY" => Setting::ApiV3Key,
        "WECHATPAY_APIV2_KEY" => Setting::ApiV2Key,
        "WECHATPAY_APIV2_RSA_PUBLIC_KEY" => Setting::ApiV2RsaPublicKey,
        "WECHATPAY_MERCHANT_CERTIFICATE" => Setting::MerchantCertificate,
        _ => Setting::BaseUrl,
    }
}

fn read_file(setting: Setting, what: &str, path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::config(
            Unreadable,
            setting,
            format!("{what}: cannot read {}: {e}", path.display()),
        )
    })
}

impl<C: From<Client>> ClientBuilder<C> {
    fn fail(mut self, error: Error) -> Self {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self
    }

    /// The APPID (`appid`) the client fills in where an APIv2 request leaves it out (optional;
    /// a request's own `appid` always wins).
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = Some(appid.into());
        self
    }

    /// The merchant id (`mchid`), required. Filled in where a request leaves out its own
    /// merchant id (`mchid`, `sp_mchid`, APIv2's `mch_id`); a request's own value always wins.
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
            Err(e) => self.fail(Error::config(Invalid, Setting::PrivateKey, format!("private key: {e}"))),
        }
    }

    /// The merchant private key, read from a PEM file (`apiclient_key.pem`).
    pub fn private_key_file(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        // The key file's text is wiped when dropped.
        match read_file(Setting::PrivateKey, "private key", path)
            .map(zeroize::Zeroizing::new)
            .and_then(|text| {
                crypto::load_private_key(&text).map_err(|e| {
                    Error::config(
                        Invalid,
                        Setting::PrivateKey,
                        format!("private key {}: {e}", path.display()),
                    )
                })
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
            return self.fail(Error::config(
                Invalid,
                Setting::WechatpayPublicKey,
                "WeChat Pay public key id is empty",
            ));
        }
        match crypto::load_public_key(pem) {
            Ok(key) => {
                self.verifier.add_public_key(id, key);
                self
            }
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::WechatpayPublicKey,
                format!("WeChat Pay public key {id}: {e}"),
            )),
        }
    }

    /// Like [`wechatpay_public_key`](Self::wechatpay_public_key), reading the PEM from a file.
    pub fn wechatpay_public_key_file(self, id: impl Into<String>, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let id = id.into().trim().to_owned();
        let text = match read_file(Setting::WechatpayPublicKey, "WeChat Pay public key", path) {
            Ok(text) => text,
            Err(e) => return self.fail(e),
        };
        match crypto::load_public_key(&text) {
            Ok(key) => {
                if id.is_empty() {
                    return self.fail(Error::config(
                        Invalid,
                        Setting::WechatpayPublicKey,
                        "WeChat Pay public key id is empty",
                    ));
                }
                let mut this = self;
                this.verifier.add_public_key(id, key);
                this
            }
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::WechatpayPublicKey,
                format!("WeChat Pay public key {id} ({}): {e}", path.display()),
            )),
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
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::PlatformCertificate,
                format!("platform certificate: {e}"),
            )),
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

    /// The APIv2 key (32 characters, set on the merchant platform), for APIv2 calls
    /// ([`Client::post_v2`]) and notifications (feature `v2`). Never shown by `Debug`.
    ///
    /// With an APIv2 key and none of the APIv3 settings ([`merchant_serial`](Self::merchant_serial),
    /// a WeChat Pay key, the certificate download), [`build`](Self::build) makes a client for
    /// APIv2 only: it refuses every APIv3 call with [`Error::Config`] before anything is signed
    /// or sent (from the environment: `WECHATPAY_MCHID` and `WECHATPAY_APIV2_KEY`, with
    /// `WECHATPAY_PRIVATE_KEY` only for the merchant certificate).
    #[cfg(feature = "v2")]
    pub fn apiv2_key(mut self, key: &str) -> Self {
        match crypto::ApiV2Key::new(key) {
            Ok(key) => {
                self.apiv2_key = Some(key);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// The RSA public key of APIv2's sensitive fields: `pub_key` of `risk/getpublickey`
    /// (`-----BEGIN RSA PUBLIC KEY-----`, fetch it once and keep it). `mmpaysptrans/pay_bank`'s
    /// `enc_bank_no` and `enc_true_name` are given in plain text and encrypted with it
    /// (RSAES-OAEP, SHA-1) before the request is signed; without it such a call fails with
    /// [`Error::Config`] before anything is sent.
    #[cfg(feature = "v2")]
    pub fn apiv2_rsa_public_key_pem(mut self, pem: &str) -> Self {
        match crypto::apiv2_encrypting_key(pem) {
            Ok(key) => {
                self.apiv2_rsa_key = Some(key);
                self
            }
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::ApiV2RsaPublicKey,
                format!("APIv2 RSA public key: {e}"),
            )),
        }
    }

    /// The merchant API certificate (`apiclient_cert.pem`) and its private key
    /// (`apiclient_key.pem`), PEM, for the APIv2 operations that need mutual TLS (red packets,
    /// refunds, transfers: the spec's `cert_required`). They get a connection pool of their
    /// own that presents the certificate; nothing else is sent over it. Without it such an
    /// operation fails with [`Error::Config`] before sending anything.
    ///
    /// The merchant platform gives the certificate as `apiclient_cert.p12` too (its password
    /// is the merchant id); convert it once with
    /// `openssl pkcs12 -in apiclient_cert.p12 -nodes -passin pass:<mchid> -out apiclient.pem`
    /// (add `-legacy` with OpenSSL 3) and pass the certificate and key parts.
    #[cfg(feature = "v2")]
    pub fn merchant_certificate_pem(mut self, certificate_pem: &str, private_key_pem: &str) -> Self {
        let mut pem = zeroize::Zeroizing::new(String::with_capacity(certificate_pem.len() + private_key_pem.len() + 1));
        pem.push_str(private_key_pem.trim());
        pem.push('\n');
        pem.push_str(certificate_pem.trim());
        pem.push('\n');
        if let Err(why) = crypto::certificate_of_key(certificate_pem, private_key_pem) {
            return self.fail(Error::config(
                Invalid,
                Setting::MerchantCertificate,
                format!("merchant certificate: {why}"),
            ));
        }
        match reqwest::Identity::from_pem(pem.as_bytes()) {
            Ok(id) => {
                self.identity = Some(MerchantIdentity(id));
                self
            }
            // reqwest's message names the part that is wrong, never the key's bytes.
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::MerchantCertificate,
                format!("merchant certificate: {e}"),
            )),
        }
    }

    /// [`merchant_certificate_pem`](Self::merchant_certificate_pem) from files.
    #[cfg(feature = "v2")]
    pub fn merchant_certificate_files(self, certificate: impl AsRef<Path>, private_key: impl AsRef<Path>) -> Self {
        let cert = read_file(
            Setting::MerchantCertificate,
            "merchant certificate",
            certificate.as_ref(),
        );
        let key = read_file(
            Setting::MerchantCertificate,
            "merchant private key",
            private_key.as_ref(),
        )
        .map(zeroize::Zeroizing::new);
        match (cert, key) {
            (Ok(c), Ok(k)) => self.merchant_certificate_pem(&c, &k),
            (Err(e), _) | (_, Err(e)) => self.fail(e),
        }
    }

    /// Trusts one more root certificate (PEM) for `https://` servers, beside the platform's
    /// roots: a proxy of your own, or a test server.
    pub fn root_certificate_pem(mut self, pem: &str) -> Self {
        match reqwest::Certificate::from_pem(pem.as_bytes()) {
            Ok(c) => {
                self.extra_roots.push(c);
                self
            }
            Err(e) => self.fail(Error::config(
                Invalid,
                Setting::RootCertificate,
                format!("root certificate: {e}"),
            )),
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

    /// Sends with `reqwest::Client`s of your own (a proxy, your own root certificates,
    /// connection limits, HTTP/2 settings) instead of ones the client builds. `make` is called
    /// twice at most: by [`build`](Self::build) for the async calls, and at the first
    /// `.blocking()` call for those, which run on a runtime of the client's own (a connection
    /// pool belongs to the runtime that drives its connections, so the two never share one).
    /// An error from `make` is [`Error::Config`].
    ///
    /// Build them with `.redirect(reqwest::redirect::Policy::none())`: a redirect changes the
    /// request target the signature covers (the client never follows one itself). Their
    /// connect and read timeouts and pool settings are yours:
    /// [`connect_timeout`](Self::connect_timeout), [`read_timeout`](Self::read_timeout) and
    /// [`pool_idle_timeout`](Self::pool_idle_timeout) then do nothing, while
    /// [`timeout`](Self::timeout) (and a call's own [`Call::timeout`](crate::Call::timeout))
    /// still bounds each request, and each request carries the [`user_agent`](Self::user_agent)
    /// (WeChat Pay refuses a request without a `User-Agent`; one set on your `reqwest` client
    /// is replaced by it).
    ///
    /// ```
    /// use wechatpay::runtime::reqwest;
    ///
    /// let builder = wechatpay::Client::builder().http_client(|| {
    ///     reqwest::Client::builder()
    ///         .redirect(reqwest::redirect::Policy::none())
    ///         .pool_max_idle_per_host(8)
    ///         .build()
    /// });
    /// # let _ = builder;
    /// ```
    pub fn http_client<F>(mut self, make: F) -> Self
    where
        F: Fn() -> Result<reqwest::Client, reqwest::Error> + Send + Sync + 'static,
    {
        self.http_client = Some(HttpClientFactory(Arc::new(make)));
        self
    }

    /// Adds an interceptor, run around every attempt of every call after those added before
    /// (see [`Interceptor`]): to add headers, or to observe and record calls.
    pub fn interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<C, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mchid = self.mchid.map(|m| m.trim().to_owned()).unwrap_or_default();
        if mchid.is_empty() {
            return Err(Error::config(Missing, Setting::Mchid, "mchid is not set"));
        }
        if !mchid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::config(
                Invalid,
                Setting::Mchid,
                format!("mchid {mchid:?} must be ASCII letters and digits"),
            ));
        }
        // APIv2 only: an APIv2 key and none of the APIv3 settings (merchant serial, WeChat Pay
        // key, certificate download). APIv3 calls then fail before anything is sent: no
        // request is signed without a serial, none is sent whose answer could not be verified.
        #[cfg(feature = "v2")]
        let v2_only = self.apiv2_key.is_some()
            && self.merchant_serial.is_none()
            && self.verifier.is_empty()
            && !self.certificates_download;
        #[cfg(not(feature = "v2"))]
        let v2_only = false;
        let serial = self
            .merchant_serial
            .map(|s| s.trim().to_ascii_uppercase())
            .unwrap_or_default();
        if serial.is_empty() && !v2_only {
            return Err(Error::config(
                Missing,
                Setting::MerchantSerial,
                "merchant_serial is not set",
            ));
        }
        if !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::config(
                Invalid,
                Setting::MerchantSerial,
                format!("merchant_serial {serial:?} must be the hexadecimal serial of the merchant API certificate"),
            ));
        }
        let signer: Arc<dyn Signer> = if v2_only {
            Arc::new(crypto::NoApiV3)
        } else {
            self.signer.ok_or_else(|| {
                Error::config(
                    Missing,
                    Setting::PrivateKey,
                    "no merchant private key: call private_key_pem, private_key_file or signer",
                )
            })?
        };
        if self.certificates_download && self.apiv3_key.is_none() {
            return Err(Error::config(
                Missing,
                Setting::ApiV3Key,
                "downloading platform certificates needs the APIv3 key: call apiv3_key",
            ));
        }
        if self.verifier.is_empty() && !self.certificates_download && !v2_only {
            return Err(Error::config(
                Missing,
                Setting::WechatpayPublicKey,
                "no key to verify responses: call wechatpay_public_key or platform_certificate_pem",
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
                return Err(Error::config(
                    Invalid,
                    Setting::BaseUrl,
                    format!("base_url {base_url:?} is not an http(s) URL without query or fragment"),
                ))
            }
        }
        let http_config = HttpConfig {
            user_agent: self.user_agent.unwrap_or_else(default_user_agent),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            read_timeout: self.read_timeout,
            pool_idle_timeout: self.pool_idle_timeout,
            custom: self.http_client,
            extra_roots: self.extra_roots,
            identity: self.identity,
        };
        if http_config.custom.is_some() && http_config.identity.is_some() {
            return Err(Error::config(
                Unsupported,
                Setting::MerchantCertificate,
                "merchant_certificate_pem configures the HTTP clients this library builds; with \
                 http_client, add the certificate to your own (reqwest::Identity::from_pem)",
            ));
        }
        if reqwest::header::HeaderValue::from_str(&http_config.user_agent).is_err() {
            return Err(Error::config(
                Invalid,
                Setting::UserAgent,
                "user_agent is not a valid header value",
            ));
        }
        let transport = self.transport.validated()?;
        let http = HttpClients::new(&http_config, &base_url)?;
        let certificates_refresh = self.certificates_refresh;
        let client = Client {
            inner: Arc::new(Inner {
                mchid,
                appid: self.appid.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
                merchant_serial: serial,
                base_url,
                signer,
                verifier: self.verifier,
                apiv3_key: self.apiv3_key,
                http,
                blocking: OnceLock::new(),
                transport,
                interceptors: self.interceptors,
                #[cfg(feature = "v2")]
                apiv2_key: self.apiv2_key,
                #[cfg(feature = "v2")]
                apiv2_rsa_key: self.apiv2_rsa_key,
            }),
        };
        if let Some(every) = certificates_refresh {
            certificates::spawn_auto_refresh(&client, every)?;
        }
        Ok(C::from(client))
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// Retries a call up to `n` more times when it fails with a retryable error
    /// ([`Error::is_retryable`]: timeouts, connection failures, 5xx, 429, `SYSTEM_ERROR`,
    /// `FREQUENCY_LIMITED`, `BANK_ERROR`), pausing with exponential backoff (see
    /// [`retry_backoff`](Self::retry_backoff)). Default 0: no retry.
    ///
    /// Every retry is signed anew (fresh timestamp and nonce) and sends the **same** body.
    /// For calls that create something (an order, a refund, a transfer), that is safe only
    /// because WeChat Pay deduplicates on the merchant's number (`out_trade_no`,
    /// `out_refund_no`, …): after a timeout the first attempt may have succeeded, and the retry
    /// then answers with the existing object or a "duplicate" error, which the caller must
    /// handle. Leave retries off if you cannot. Once a download has started streaming to the
    /// writer it is never retried.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = wechatpay::Client::builder()
    ///     .retries(2)
    ///     .retry_backoff(Duration::from_millis(500));
    /// ```
    pub fn retries(mut self, n: u32) -> Self {
        self.transport.retries = n;
        self
    }

    /// The first pause between retries, default 200 ms; doubled at every retry (at most
    /// 10 s), plus up to 50 % random jitter.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.transport.backoff = backoff;
        self
    }

    /// When a request cannot connect (connection refused, DNS, TLS handshake, connect
    /// timeout), sends it once more to the backup host `https://api2.mch.weixin.qq.com`
    /// (signed anew). Off by default.
    ///
    /// Applies only when the base URL is the default production host, or when a backup host
    /// was set with [`backup_base_url`](Self::backup_base_url); never to operations the API
    /// description places on another host, nor to absolute download URLs on other hosts.
    pub fn failover(mut self, enabled: bool) -> Self {
        self.transport.failover = enabled;
        self
    }

    /// The backup host [`failover`](Self::failover) uses instead of
    /// [`BACKUP_BASE_URL`](crate::BACKUP_BASE_URL) (a second proxy; a second mock server in tests). Setting it makes
    /// failover apply whatever the base URL.
    pub fn backup_base_url(mut self, url: impl Into<String>) -> Self {
        self.transport.backup_base_url = Some(url.into());
        self
    }

    /// Whole-request timeout of downloads ([`Request::send_download`](crate::Request::send_download),
    /// [`Client::download_bill`](crate::Client::download_bill)), default 10 minutes: a bill can
    /// be large. The connect timeout still applies.
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.transport.download_timeout = timeout;
        self
    }

    /// The most bytes of a 2xx JSON response body the client reads, default
    /// [`DEFAULT_MAX_RESPONSE_BODY`](crate::DEFAULT_MAX_RESPONSE_BODY) (16 MiB): a larger answer is [`Error::BodyTooLarge`](crate::Error::BodyTooLarge)
    /// and is not read further. Error bodies are read up to 64 KiB (the rest is cut);
    /// downloads stream and have no limit.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.transport.max_response_body = bytes;
        self
    }
}
