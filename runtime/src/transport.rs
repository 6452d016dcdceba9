//! The transport settings and their policy: the hosts (production, backup), the HTTP client's
//! timeouts and `User-Agent`, retries with backoff, failover, the download timeout and the body
//! cap. Set on [`ClientBuilder`](crate::ClientBuilder); retries and failover are off by default.
//! Below the client: it names no other module of the runtime but the errors.

use crate::error::{ConfigProblem, Setting};
use std::sync::OnceLock;
use std::time::Duration;

use super::error::Error;

/// The production API host.
pub const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default of [`ClientBuilder::read_timeout`](crate::ClientBuilder::read_timeout): the longest silence between two reads.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of [`ClientBuilder::pool_idle_timeout`](crate::ClientBuilder::pool_idle_timeout): below WeChat Pay's ~8 s keep-alive.
pub(crate) const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default `User-Agent`: `wechatpay-rust/<version> (<os>/<arch>)`.
pub fn default_user_agent() -> String {
    format!(
        "wechatpay-rust/{} ({}/{}; reqwest)",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The settings of the `reqwest` client: one built for async calls, one for the blocking runtime.
#[derive(Clone, Debug)]
pub(crate) struct HttpConfig {
    pub(crate) user_agent: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    /// The caller's own clients ([`ClientBuilder::http_client`](crate::ClientBuilder::http_client)),
    /// used as they are for every request.
    pub(crate) custom: Option<HttpClientFactory>,
    /// More root certificates to trust ([`ClientBuilder::root_certificate_pem`](crate::ClientBuilder::root_certificate_pem)).
    pub(crate) extra_roots: Vec<reqwest::Certificate>,
    /// The merchant API certificate and its key, for the APIv2 operations that need mutual TLS
    /// ([`ClientBuilder::merchant_certificate_pem`](crate::ClientBuilder::merchant_certificate_pem)).
    pub(crate) identity: Option<MerchantIdentity>,
}

/// The merchant API certificate and key as a TLS client identity (`Debug` shows nothing of it).
#[derive(Clone)]
pub(crate) struct MerchantIdentity(pub(crate) reqwest::Identity);

impl std::fmt::Debug for MerchantIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerchantIdentity(withheld)")
    }
}

/// Makes the caller's own `reqwest::Client`: once for async calls, once for `.blocking()`.
#[derive(Clone)]
pub(crate) struct HttpClientFactory(
    pub(crate) std::sync::Arc<dyn Fn() -> Result<reqwest::Client, reqwest::Error> + Send + Sync>,
);

impl std::fmt::Debug for HttpClientFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClientFactory")
    }
}

impl HttpConfig {
    /// A `reqwest` client with these settings; `roots`: with the platform's root certificates
    /// (without them it cannot verify any `https://` server, so it is used for `http://` only).
    pub(crate) fn build(&self, roots: bool) -> Result<reqwest::Client, Error> {
        self.build_with(roots, None)
    }

    /// As [`build`](Self::build), presenting `identity` to servers that ask for a client
    /// certificate.
    fn build_with(&self, roots: bool, identity: Option<&MerchantIdentity>) -> Result<reqwest::Client, Error> {
        if let Some(custom) = &self.custom {
            return (custom.0)().map_err(|e| build_error(&e));
        }
        let builder = reqwest::Client::builder();
        let builder = if roots {
            builder.tls_certs_merge(self.extra_roots.iter().cloned())
        } else {
            builder.tls_certs_only(Vec::<reqwest::Certificate>::new())
        };
        let builder = match identity {
            Some(id) => builder.identity(id.0.clone()),
            None => builder,
        };
        builder
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
            .map_err(|e| build_error(&e))
    }
}

/// A client that cannot be built, with the causes (reqwest's own message is "builder error").
fn build_error(e: &reqwest::Error) -> Error {
    let mut text = format!("cannot build the HTTP client: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    Error::config(ConfigProblem::Invalid, Setting::HttpClient, text)
}

/// The HTTP clients of one runtime (the async one, or the one behind `blocking()`): the client
/// for the base URL, built with the client, and, when the base URL is `http://` (a mock, the
/// sandbox, a local proxy), a client with the platform's root certificates built only if an
/// `https://` URL is requested after all (an absolute download URL on another host). Loading the
/// roots reads every file of the system's certificate folder: about two thirds of the CPU of a
/// process that makes one request, for nothing when every request is plain HTTP.
pub(crate) struct HttpClients {
    config: HttpConfig,
    main: reqwest::Client,
    main_has_roots: bool,
    tls: OnceLock<reqwest::Client>,
    /// The client that presents the merchant certificate (mutual TLS), built on first use.
    #[cfg(feature = "v2")]
    mutual: OnceLock<reqwest::Client>,
}

impl HttpClients {
    pub(crate) fn new(config: &HttpConfig, base_url: &str) -> Result<HttpClients, Error> {
        // The caller's own client is taken to reach any URL.
        let main_has_roots = config.custom.is_some() || !base_url.starts_with("http://");
        Ok(HttpClients {
            config: config.clone(),
            main: config.build(main_has_roots)?,
            main_has_roots,
            tls: OnceLock::new(),
            #[cfg(feature = "v2")]
            mutual: OnceLock::new(),
        })
    }

    /// The settings the clients are built with.
    pub(crate) fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// What every request gets whichever client sends it: its whole-request `timeout`, and,
    /// with the caller's own client, the `User-Agent` unless the request has one (WeChat Pay
    /// refuses a request without one).
    pub(crate) fn settle(&self, request: &mut reqwest::Request, timeout: Duration) {
        *request.timeout_mut() = Some(timeout);
        let agent = reqwest::header::USER_AGENT;
        if self.config.custom.is_some() && !request.headers().contains_key(&agent) {
            if let Ok(value) = reqwest::header::HeaderValue::from_str(&self.config.user_agent) {
                request.headers_mut().insert(agent, value);
            }
        }
    }

    /// The client for a request to `base` (a base URL or an origin): the main one, unless
    /// `base` is `https://` and the main one has no roots.
    pub(crate) fn for_base(&self, base: &str) -> Result<&reqwest::Client, Error> {
        if self.main_has_roots || !base.starts_with("https://") {
            return Ok(&self.main);
        }
        if let Some(tls) = self.tls.get() {
            return Ok(tls);
        }
        let tls = self.config.build(true)?;
        // Another thread may have won the race: its client is used, this one dropped.
        Ok(self.tls.get_or_init(|| tls))
    }

    /// The client for an operation that needs the merchant certificate (mutual TLS): its own
    /// connection pool, so that no other request is sent over a connection made with it. With
    /// the caller's own client, that client (which must then carry the identity).
    #[cfg(feature = "v2")]
    pub(crate) fn mutual_tls(&self) -> Result<&reqwest::Client, Error> {
        if self.config.custom.is_some() {
            return Ok(&self.main);
        }
        if let Some(c) = self.mutual.get() {
            return Ok(c);
        }
        let identity = self.config.identity.as_ref().ok_or_else(|| {
            Error::config(
                ConfigProblem::Missing,
                Setting::MerchantCertificate,
                "this operation needs the merchant API certificate (mutual TLS): call \
                 ClientBuilder::merchant_certificate_pem (apiclient_cert.pem and apiclient_key.pem) \
                 or set WECHATPAY_MERCHANT_CERTIFICATE",
            )
        })?;
        let client = self.config.build_with(true, Some(identity))?;
        Ok(self.mutual.get_or_init(|| client))
    }
}

/// The backup API host WeChat Pay documents for when the main one cannot be reached
/// (the official Java SDK retries there once on a connection failure).
pub const BACKUP_BASE_URL: &str = "https://api2.mch.weixin.qq.com";

const DEFAULT_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// Retry, failover and download settings (part of the client configuration).
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub(crate) retries: u32,
    pub(crate) backoff: Duration,
    pub(crate) failover: bool,
    /// `Some` when the user configured the backup host explicitly.
    pub(crate) backup_base_url: Option<String>,
    pub(crate) download_timeout: Duration,
    /// The most bytes of a JSON response body read (see [`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body)).
    pub(crate) max_response_body: usize,
}

/// The default of [`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body): 16 MiB (the largest JSON answers, long
/// lists, are well below 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 << 20;

impl Default for Transport {
    fn default() -> Self {
        Transport {
            retries: 0,
            backoff: DEFAULT_BACKOFF,
            failover: false,
            backup_base_url: None,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }
}

impl Transport {
    /// Normalises and checks the backup URL (called by `ClientBuilder::build`).
    pub(crate) fn validated(mut self) -> Result<Self, Error> {
        if let Some(url) = &self.backup_base_url {
            let url = url.trim().trim_end_matches('/').to_owned();
            match reqwest::Url::parse(&url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none() => {}
                _ => {
                    return Err(Error::config(
                        ConfigProblem::Invalid,
                        Setting::BackupBaseUrl,
                        format!("backup_base_url {url:?} is not an http(s) URL without query"),
                    ))
                }
            }
            self.backup_base_url = Some(url);
        }
        Ok(self)
    }

    /// The host to fail over to from `base_url`, if failover applies to it: failover is on, and
    /// either the base URL is the default production host or a backup host was configured.
    pub(crate) fn failover_target<'s>(&'s self, base_url: &str) -> Option<&'s str> {
        if !self.failover {
            return None;
        }
        match &self.backup_base_url {
            Some(backup) if backup != base_url => Some(backup),
            Some(_) => None,
            None if base_url == DEFAULT_BASE_URL => Some(BACKUP_BASE_URL),
            None => None,
        }
    }

    /// The pause before retry number `attempt` (0-based): `backoff × 2^attempt`, at most 10 s,
    /// plus up to 50 % random jitter (so many clients do not retry in lockstep).
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let base = self.backoff.saturating_mul(1u32 << attempt.min(16)).min(MAX_BACKOFF);
        let mut r = [0u8; 2];
        let _ = aws_lc_rs::rand::fill(&mut r);
        let jitter = base.mul_f64(f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX) / 2.0);
        base + jitter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failover_applies_to_the_default_host_or_a_configured_backup() {
        let mut t = Transport::default();
        assert_eq!(t.failover_target(DEFAULT_BASE_URL), None, "off by default");
        t.failover = true;
        assert_eq!(t.failover_target(DEFAULT_BASE_URL), Some(BACKUP_BASE_URL));
        assert_eq!(t.failover_target("http://127.0.0.1:1"), None, "a configured base URL");
        t.backup_base_url = Some("http://127.0.0.1:2".into());
        assert_eq!(t.failover_target("http://127.0.0.1:1"), Some("http://127.0.0.1:2"));
        assert_eq!(t.failover_target("http://127.0.0.1:2"), None, "already the backup");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let t = Transport {
            backoff: Duration::from_millis(100),
            ..Transport::default()
        };
        for (attempt, base) in [(0, 100), (1, 200), (2, 400), (10, 10_000), (40, 10_000)] {
            let d = t.delay(attempt).as_millis();
            assert!(d >= base && d <= base * 3 / 2 + 1, "attempt {attempt}: {d} ms");
        }
    }

    #[test]
    fn backup_url_is_checked() {
        let t = Transport {
            backup_base_url: Some("ftp://x".into()),
            ..Transport::default()
        };
        assert!(matches!(t.validated(), Err(Error::Config(_))));
        let t = Transport {
            backup_base_url: Some("http://h:1/".into()),
            ..Transport::default()
        };
        assert_eq!(t.validated().unwrap().backup_base_url.as_deref(), Some("http://h:1"));
    }
}
