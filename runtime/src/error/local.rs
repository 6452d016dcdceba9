//! The errors that arise in this process rather than at the platform: the configuration, a
//! request that cannot be built, signing, decrypting. Each carries what kind of problem it is (a
//! value a program can match) and, in words, which value, file or call; never a secret.

use std::fmt;

/// Which setting of the client a [`ConfigError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The merchant id ([`ClientBuilder::mchid`](crate::ClientBuilder::mchid), `WECHATPAY_MCHID`).
    Mchid,
    /// The serial of the merchant API certificate (`merchant_serial`, `WECHATPAY_SERIAL`).
    MerchantSerial,
    /// The merchant private key (`private_key_pem` / `private_key_file`, `WECHATPAY_PRIVATE_KEY`).
    PrivateKey,
    /// The WeChat Pay public key and its id (`wechatpay_public_key`, `WECHATPAY_PUBLIC_KEY` and
    /// `WECHATPAY_PUBLIC_KEY_ID`).
    WechatpayPublicKey,
    /// A platform certificate, configured or downloaded (`platform_certificate_pem`).
    PlatformCertificate,
    /// The APIv3 key (`apiv3_key`, `WECHATPAY_APIV3_KEY`).
    ApiV3Key,
    /// The APIv2 key (`apiv2_key`, `WECHATPAY_APIV2_KEY`).
    ApiV2Key,
    /// The RSA public key of APIv2's `risk/getpublickey` (`apiv2_rsa_public_key_pem`,
    /// `WECHATPAY_APIV2_RSA_PUBLIC_KEY`).
    ApiV2RsaPublicKey,
    /// The merchant API certificate for mutual TLS (`merchant_certificate_pem`,
    /// `WECHATPAY_MERCHANT_CERTIFICATE`).
    MerchantCertificate,
    /// An extra root certificate to trust (`root_certificate_pem`).
    RootCertificate,
    /// The base URL (`base_url`, `WECHATPAY_BASE_URL`).
    BaseUrl,
    /// The backup base URL of failover (`failover`, `backup_base_url`).
    BackupBaseUrl,
    /// The `User-Agent` (`user_agent`).
    UserAgent,
    /// The APPID filled into requests (`appid`, `WECHATPAY_APPID`).
    Appid,
    /// The HTTP client: the one given to `http_client`, or the one this library builds.
    HttpClient,
    /// The [`Signer`](crate::Signer) given to `signer`.
    Signer,
}

impl Setting {
    /// The environment variable [`Client::from_env`](crate::Client::from_env) reads this setting
    /// from, when it reads one.
    pub fn env_var(self) -> Option<&'static str> {
        Some(match self {
            Setting::Mchid => "WECHATPAY_MCHID",
            Setting::MerchantSerial => "WECHATPAY_SERIAL",
            Setting::PrivateKey => "WECHATPAY_PRIVATE_KEY",
            Setting::WechatpayPublicKey => "WECHATPAY_PUBLIC_KEY",
            Setting::ApiV3Key => "WECHATPAY_APIV3_KEY",
            Setting::ApiV2Key => "WECHATPAY_APIV2_KEY",
            Setting::ApiV2RsaPublicKey => "WECHATPAY_APIV2_RSA_PUBLIC_KEY",
            Setting::MerchantCertificate => "WECHATPAY_MERCHANT_CERTIFICATE",
            Setting::BaseUrl => "WECHATPAY_BASE_URL",
            Setting::Appid => "WECHATPAY_APPID",
            _ => return None,
        })
    }
}

/// What is wrong with a setting (see [`ConfigError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// Not given, but needed (by the client, or by the operation called).
    Missing,
    /// Given, but not a usable value (a PEM that does not parse, a key of the wrong length, a
    /// URL that is not http(s), a certificate whose serial is not the one announced).
    Invalid,
    /// A file it names cannot be read.
    Unreadable,
    /// Given, but it cannot do what is asked of it (a remote [`Signer`](crate::Signer) asked to
    /// decrypt, an APIv2-only client asked for an APIv3 call, a certificate with `http_client`).
    Unsupported,
}

/// The client configuration is incomplete or invalid ([`Error::Config`](crate::Error::Config)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// What is wrong.
    pub problem: ConfigProblem,
    /// With which setting.
    pub setting: Setting,
    /// In words: which value, file or variable, and what to do.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a request could not be built or sent as given (see [`RequestError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestProblem {
    /// A value cannot be written where it goes: an empty or dot-segment path parameter, an
    /// invalid header name or value, a URL that does not parse, a body that cannot be written.
    Malformed,
    /// A field the client fills in is left out, and the client has nothing to fill it with.
    NotFilled,
    /// A sensitive field cannot be encrypted (not a string, too long for RSA-OAEP).
    Sensitive,
    /// The request contradicts itself or the operation (a JSON body and an upload, a form field
    /// without an upload, an APIv2 `sign` given by the caller, a SHA-1 that is not one).
    Conflicting,
    /// This library handed itself something it did not expect: a bug, please report it.
    Internal,
}

/// The request could not be built ([`Error::InvalidRequest`](crate::Error::InvalidRequest)).
/// Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestError {
    /// What kind of problem.
    pub problem: RequestProblem,
    /// In words, naming the parameter, header or field.
    pub message: String,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The [`Signer`](crate::Signer) failed ([`Error::Sign`](crate::Error::Sign)).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct SignError {
    /// In words.
    pub message: String,
    /// The cause a signer reported (a remote signing service's own error, to downcast).
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl SignError {
    /// A signing failure of a [`Signer`](crate::Signer) of your own, keeping its cause (a remote
    /// signing service's error) for the caller to downcast.
    pub fn new(message: impl Into<String>, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        SignError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// Why a ciphertext did not decrypt (see [`DecryptError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecryptProblem {
    /// AES-256-GCM authentication failed: the APIv3 (or APIv2) key is not the one the platform
    /// encrypted with, or the data was changed on the way. Check the key before anything else.
    Authentication,
    /// RSA-OAEP failed: not encrypted to this merchant's key, or damaged.
    Rsa,
    /// Not a ciphertext of the expected form (not base64, a nonce of the wrong length, a
    /// plaintext that is not UTF-8).
    Malformed,
    /// An algorithm this client does not implement.
    Algorithm,
}

/// An encrypted resource (notification, certificate, sensitive field) could not be decrypted
/// ([`Error::Decrypt`](crate::Error::Decrypt)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecryptError {
    /// What kind of failure.
    pub problem: DecryptProblem,
    /// In words (never the key, never the plaintext).
    pub message: String,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The constructors the runtime uses: `Error::config(Problem, Setting, "…")` reads as what it says.
impl crate::Error {
    pub(crate) fn config(problem: ConfigProblem, setting: Setting, message: impl Into<String>) -> Self {
        crate::Error::Config(ConfigError {
            problem,
            setting,
            message: message.into(),
        })
    }

    pub(crate) fn request(problem: RequestProblem, message: impl Into<String>) -> Self {
        crate::Error::InvalidRequest(RequestError {
            problem,
            message: message.into(),
        })
    }

    pub(crate) fn decrypt(problem: DecryptProblem, message: impl Into<String>) -> Self {
        crate::Error::Decrypt(DecryptError {
            problem,
            message: message.into(),
        })
    }

    pub(crate) fn sign(message: impl Into<String>) -> Self {
        crate::Error::Sign(SignError {
            message: message.into(),
            source: None,
        })
    }
}
