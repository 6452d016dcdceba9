//! Platform certificates (legacy mode): download from `GET /v3/certificates`, decryption with
//! the APIv3 key, verification, a key store shared by all clones of a client, and the optional
//! background refresh.
//!
//! Merchants registered since late 2024 have no platform certificates (the WeChat Pay public
//! key replaces them): nothing here runs unless asked for, and public-key mode works alone.
//! Both may be configured at once (a migration): the key store holds public keys and
//! certificates side by side, and `Wechatpay-Serial` picks one.

use crate::error::{ConfigProblem, Setting};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::client::{Client, Inner};
use super::crypto::{self, KeySet, SignatureHeaders};
use super::error::{Error, VerificationError};
use super::notify::EncryptedResource;
use super::request::ResponseSignature;
use super::send::execute;
use super::send::Verified;
use super::transport::HttpClients;
use super::Method;

/// How soon a failed background refresh is tried again (at most).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// A platform certificate held by the client.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct PlatformCertificate {
    /// The certificate serial, uppercase hex (what `Wechatpay-Serial` names).
    pub serial: String,
    /// `notBefore`, Unix seconds.
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`): keep it to configure the next
    /// start with [`ClientBuilder::platform_certificate_pem`](crate::ClientBuilder::platform_certificate_pem).
    pub pem: String,
}

impl PlatformCertificate {
    /// The certificate behind a verification key (`None` for a public key: no validity).
    fn of(key: &crypto::VerifyKey) -> Option<PlatformCertificate> {
        let (not_before, not_after) = key.validity()?;
        Some(PlatformCertificate {
            serial: key.id.clone(),
            not_before,
            not_after,
            pem: key.pem().unwrap_or_default().to_owned(),
        })
    }
}

/// `GET /v3/certificates`, decoded independently of the generated API module (so it works
/// whatever API features are compiled in).
#[derive(serde::Deserialize)]
struct CertificatesBody {
    data: Vec<CertificateItem>,
}

#[derive(serde::Deserialize)]
struct CertificateItem {
    serial_no: String,
    encrypt_certificate: EncryptedResource,
}

impl Client {
    /// The platform certificates the client holds now (configured or downloaded), newest
    /// first. Empty in public-key mode.
    pub fn platform_certificates(&self) -> Vec<PlatformCertificate> {
        let keys = self.inner.verifier.snapshot();
        let mut out: Vec<PlatformCertificate> = keys.keys().iter().filter_map(|k| PlatformCertificate::of(k)).collect();
        out.sort_by_key(|c| std::cmp::Reverse((c.not_before, c.not_after)));
        out
    }

    /// Downloads the platform certificates (`GET /v3/certificates`, a signed request),
    /// decrypts each `encrypt_certificate` with the APIv3 key, verifies the response with a
    /// key the client already has or, on first use, with the certificates it carries
    /// (bootstrap: their authenticity rests on the APIv3 key that decrypted them), and adds
    /// them to the key store shared by all clones of this client. Certificates already held
    /// stay until they expire; expired ones are dropped. Requests in flight are not blocked:
    /// they keep the key set they started with.
    ///
    /// Returns the certificates downloaded. Needs [`ClientBuilder::apiv3_key`](crate::ClientBuilder::apiv3_key).
    /// Errors: [`Error::Api`] (e.g. 404 for a merchant without platform certificates),
    /// [`Error::Verification`], [`Error::Decrypt`] (wrong APIv3 key), [`Error::Decode`], or
    /// [`Error::Config`] (a certificate that does not parse or whose serial is not the one
    /// announced). On error the key store is unchanged.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), wechatpay::Error> {
    /// let client = wechatpay::Client::builder()
    ///     .mchid("1900000001")
    ///     .merchant_serial("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    ///     .private_key_file("apiclient_key.pem")
    ///     .apiv3_key("0123456789abcdefghijklmnopqrstuv")
    ///     .platform_certificates_auto_refresh(std::time::Duration::from_secs(12 * 3600))
    ///     .build()?;
    /// // The background task downloads at once; to be sure the first download happened:
    /// let certificates = client.refresh_platform_certificates().await?;
    /// println!("{} platform certificates", certificates.len());
    /// # Ok(()) }
    /// ```
    pub async fn refresh_platform_certificates(&self) -> Result<Vec<PlatformCertificate>, Error> {
        refresh(self, &self.inner.http).await
    }

    /// [`Client::refresh_platform_certificates`] for code outside an async runtime (on the
    /// runtime of [`Call::blocking`](crate::Call::blocking); inside a tokio runtime it
    /// returns [`Error::Blocking`]).
    pub fn refresh_platform_certificates_blocking(&self) -> Result<Vec<PlatformCertificate>, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Blocking);
        }
        let blocking = self.inner.blocking_runtime()?;
        blocking.runtime().block_on(refresh(self, &blocking.http))
    }
}

async fn refresh(client: &Client, http: &HttpClients) -> Result<Vec<PlatformCertificate>, Error> {
    // The one send path of every call (signing, timeouts, retries, failover, the size cap). The
    // answer's signature is checked below rather than by it: on the first download the key that
    // signed it is one of the certificates it carries.
    let request = client
        .chain("v3/certificates")
        .request(Method::GET)
        .response_signature(ResponseSignature::None);
    let Verified { status, headers, body } = execute(client, http, request.parts, false).await?.into_verified()?;
    // The signature headers must be present before anything is decrypted.
    let signature_headers = SignatureHeaders::from_map(&headers);
    if signature_headers.serial.is_none() {
        return Err(VerificationError::MissingHeader("Wechatpay-Serial").into());
    }

    let parsed: CertificatesBody = serde_json::from_slice(&body).map_err(|source| Error::Decode {
        source,
        path: None,
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })?;
    let now = crypto::unix_now();
    let mut downloaded = KeySet::default();
    for item in &parsed.data {
        let plain = client.decrypt_resource(&item.encrypt_certificate)?;
        let text = String::from_utf8(plain).map_err(|_| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::PlatformCertificate,
                format!("platform certificate {} does not decrypt to PEM text", item.serial_no),
            )
        })?;
        let (serial, key) = crypto::load_certificate(&text).map_err(|e| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::PlatformCertificate,
                format!("platform certificate {}: {e}", item.serial_no),
            )
        })?;
        if crypto::normalize_serial(&serial) != crypto::normalize_serial(&item.serial_no) {
            return Err(Error::config(
                ConfigProblem::Invalid,
                Setting::PlatformCertificate,
                format!(
                    "platform certificate announced as {} has serial {serial}",
                    item.serial_no
                ),
            ));
        }
        if key.not_after < now {
            continue;
        }
        downloaded.add_certificate(serial, key);
    }

    // The answer must verify with a key already trusted (the request named the newest one in
    // Wechatpay-Serial). Only the first download, with no key valid now (none held, or only
    // expired ones), has nothing to check against but the certificates it carries (they are at
    // least encrypted with the APIv3 key).
    let held = client.inner.verifier.snapshot();
    if !held.has_valid_key(now) {
        let mut candidate = KeySet::clone(&held);
        for key in downloaded.keys() {
            candidate.insert(key.clone());
        }
        candidate.verify(&signature_headers, &body, now)?;
    } else {
        held.verify(&signature_headers, &body, now)?;
    }

    client.inner.verifier.update(|keys| {
        for key in downloaded.keys() {
            keys.insert(key.clone());
        }
        keys.prune_expired(now);
    });
    Ok(downloaded
        .keys()
        .iter()
        .filter_map(|k| PlatformCertificate::of(k))
        .collect())
}

/// Starts the background refresh: at once, then every `every` (after a failure, again within
/// a minute). The task holds only a weak reference and ends when the last clone of the client
/// is dropped. It runs on the current tokio runtime, or else on the client's blocking runtime.
pub(crate) fn spawn_auto_refresh(client: &Client, every: Duration) -> Result<(), Error> {
    let weak = Arc::downgrade(&client.inner);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(refresh_loop(weak, every, false));
        }
        Err(_) => {
            let blocking = client.inner.blocking_runtime()?;
            blocking.runtime().spawn(refresh_loop(weak, every, true));
        }
    }
    Ok(())
}

async fn refresh_loop(weak: Weak<Inner>, every: Duration, on_blocking_runtime: bool) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let client = Client { inner };
        let result = if on_blocking_runtime {
            match client.inner.blocking_runtime() {
                Ok(blocking) => refresh(&client, &blocking.http).await,
                Err(e) => Err(e),
            }
        } else {
            refresh(&client, &client.inner.http).await
        };
        client
            .inner
            .verifier
            .record_refresh(result.as_ref().map(|_| ()).map_err(ToString::to_string));
        if on_blocking_runtime {
            // If this was the last reference, dropping it shuts down the runtime this task runs
            // on: do that from another thread.
            std::thread::spawn(move || drop(client));
        } else {
            drop(client);
        }
        let wait = if result.is_ok() {
            every
        } else {
            every.min(RETRY_AFTER_FAILURE)
        };
        tokio::time::sleep(wait).await;
    }
}

impl Client {
    /// The error of the last background refresh of platform certificates, if it failed
    /// (`None` after a success, or when no background refresh runs).
    pub fn platform_certificates_refresh_error(&self) -> Option<String> {
        self.inner.verifier.last_refresh_error()
    }
}
