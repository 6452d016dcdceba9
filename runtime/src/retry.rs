//! Resilience: automatic retries with backoff, failover to the backup host, the download
//! timeout. Configured on [`ClientBuilder`]; all off by default.

use std::time::Duration;

use super::client::{Client, ClientBuilder, DEFAULT_BASE_URL};
use super::error::Error;

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
    /// The most bytes of a JSON response body read (see [`ClientBuilder::max_response_body`]).
    pub(crate) max_response_body: usize,
}

/// The default of [`ClientBuilder::max_response_body`]: 16 MiB (the largest JSON answers, long
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
                    return Err(Error::Config(format!(
                        "backup_base_url {url:?} is not an http(s) URL without query"
                    )))
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
    /// [`BACKUP_BASE_URL`] (a second proxy; a second mock server in tests). Setting it makes
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
    /// [`DEFAULT_MAX_RESPONSE_BODY`] (16 MiB): a larger answer is [`Error::BodyTooLarge`](crate::Error::BodyTooLarge)
    /// and is not read further. Error bodies are read up to 64 KiB (the rest is cut);
    /// downloads stream and have no limit.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.transport.max_response_body = bytes;
        self
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
