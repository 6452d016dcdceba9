//! Keys, request signing and response verification.

use crate::error::{ConfigProblem, DecryptProblem, RequestProblem, Setting};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1,
};
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;

use super::error::{Error, VerificationError};

pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Maximum distance, in seconds, between `Wechatpay-Timestamp` and the local clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Signs request messages for the `Authorization` header.
///
/// The default implementation is [`RsaSigner`], holding the merchant private key in memory.
/// Implement this trait to sign in an HSM or a remote signing service and pass it to
/// [`ClientBuilder::signer`](crate::ClientBuilder::signer).
pub trait Signer: Send + Sync {
    /// Signs `message` with RSASSA-PKCS1-v1_5 / SHA-256 using the merchant private key and
    /// returns the signature, base64 (standard alphabet, padded).
    fn sign(&self, message: &[u8]) -> Result<String, Error>;

    /// Decrypts a sensitive field WeChat Pay encrypted to the merchant: RSAES-OAEP with SHA-1
    /// and MGF1-SHA-1, empty label, merchant private key. Returns the plaintext bytes.
    ///
    /// Used by [`Client::decrypt_sensitive`](crate::Client::decrypt_sensitive). The default
    /// implementation fails with [`Error::Config`]: a signer that only signs (a remote signing
    /// service) has no key to decrypt with. An HSM-backed signer can override it.
    fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let _ = ciphertext;
        Err(Error::config(
            ConfigProblem::Unsupported,
            Setting::Signer,
            "the configured Signer cannot decrypt: decrypting sensitive fields needs the merchant \
             private key in this process (private_key_pem / private_key_file), or a Signer that \
             implements decrypt_oaep",
        ))
    }
}

/// The default [`Signer`]: the merchant RSA private key (`apiclient_key.pem`), parsed once.
///
/// Its `Debug` output never shows key material.
pub struct RsaSigner {
    key: RsaKeyPair,
    decrypt: Option<OaepPrivateDecryptingKey>,
}

impl RsaSigner {
    /// Loads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what the merchant platform
    /// issues) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Other blocks in the text (a certificate
    /// next to the key) are skipped.
    pub fn from_pem(pem_text: &str) -> Result<Self, Error> {
        load_private_key(pem_text).map_err(|why| Error::config(ConfigProblem::Invalid, Setting::PrivateKey, why))
    }

    /// Loads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        signer_from_pkcs8(der).map_err(|e| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::PrivateKey,
                format!("invalid PKCS#8 RSA private key: {e}"),
            )
        })
    }

    /// Loads a PKCS#1 (`RSAPrivateKey`) DER private key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        signer_from_pkcs1(der).map_err(|e| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::PrivateKey,
                format!("invalid PKCS#1 RSA private key: {e}"),
            )
        })
    }

    /// Size of the key's modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        self.key.public_modulus_len() * 8
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|_| Error::sign("RSA signing failed"))?;
        Ok(sig)
    }
}

impl Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<String, Error> {
        Ok(B64.encode(self.sign_raw(message)?))
    }

    fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let key = self.decrypt.as_ref().ok_or_else(|| {
            Error::config(
                ConfigProblem::Unsupported,
                Setting::PrivateKey,
                "the merchant private key cannot be used for RSA decryption",
            )
        })?;
        let mut out = vec![0u8; key.min_output_size()];
        let len = key
            .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
            .map_err(|_| {
                Error::decrypt(
                    DecryptProblem::Rsa,
                    "RSA-OAEP decryption failed (not encrypted to this merchant key, or damaged)",
                )
            })?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

fn signer_from_pkcs8(der: &[u8]) -> Result<RsaSigner, String> {
    let key = RsaKeyPair::from_pkcs8(der).map_err(|e| e.to_string())?;
    let decrypt = PrivateDecryptingKey::from_pkcs8(der)
        .ok()
        .and_then(|k| OaepPrivateDecryptingKey::new(k).ok());
    Ok(RsaSigner { key, decrypt })
}

fn signer_from_pkcs1(der: &[u8]) -> Result<RsaSigner, String> {
    let key = RsaKeyPair::from_der(der).map_err(|e| e.to_string())?;
    let decrypt = PrivateDecryptingKey::from_pkcs8(&pkcs1_to_pkcs8(der))
        .ok()
        .and_then(|k| OaepPrivateDecryptingKey::new(k).ok());
    Ok(RsaSigner { key, decrypt })
}

/// Appends a DER length.
fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Wraps a PKCS#1 `RSAPrivateKey` into a PKCS#8 `PrivateKeyInfo` (version 0, rsaEncryption).
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    // INTEGER 0, SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
    const HEAD: &[u8] = &[
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut octets = vec![0x04];
    der_len(&mut octets, pkcs1.len());
    octets.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_len(&mut out, HEAD.len() + octets.len());
    out.extend_from_slice(HEAD);
    out.extend_from_slice(&octets);
    out
}

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigner")
            .field("modulus_bits", &self.modulus_bits())
            .finish_non_exhaustive()
    }
}

fn pem_blocks(text: &str) -> Result<Vec<pem::Pem>, String> {
    let blocks = pem::parse_many(text).map_err(|e| format!("malformed PEM: {e}"))?;
    if blocks.is_empty() {
        return Err("no PEM block found (expected text starting with -----BEGIN …-----)".into());
    }
    Ok(blocks)
}

fn tags(blocks: &[pem::Pem]) -> String {
    blocks
        .iter()
        .map(|b| format!("BEGIN {}", b.tag()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn load_private_key(text: &str) -> Result<RsaSigner, String> {
    let blocks = pem_blocks(text)?;
    let found = tags(&blocks);
    // The decoded key bytes are wiped when dropped, whichever block is used.
    let blocks: Vec<(String, zeroize::Zeroizing<Vec<u8>>)> = blocks
        .into_iter()
        .map(|b| (b.tag().to_owned(), zeroize::Zeroizing::new(b.into_contents())))
        .collect();
    for (tag, der) in &blocks {
        match tag.as_str() {
            "PRIVATE KEY" => {
                return signer_from_pkcs8(der).map_err(|e| format!("BEGIN PRIVATE KEY is not a usable RSA key: {e}"));
            }
            "RSA PRIVATE KEY" => {
                return signer_from_pkcs1(der)
                    .map_err(|e| format!("BEGIN RSA PRIVATE KEY is not a usable RSA key: {e}"));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err("the private key is encrypted; decrypt it first \
                            (openssl pkcs8 -in key.pem -out apiclient_key.pem)"
                    .into())
            }
            _ => {}
        }
    }
    Err(format!(
        "no private key found (expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY, found {found})"
    ))
}

/// An RSA public key of WeChat Pay: verifies signatures (PKCS#1 v1.5 SHA-256) and encrypts
/// sensitive fields (OAEP SHA-1).
pub(crate) struct RsaPublic {
    verify: ParsedPublicKey,
    encrypt: Option<OaepPublicEncryptingKey>,
}

fn parse_rsa_public_key(der: &[u8]) -> Result<RsaPublic, String> {
    let verify = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
        .map_err(|e| format!("not a usable RSA public key: {e}"))?;
    let encrypt = PublicEncryptingKey::from_der(der)
        .or_else(|_| PublicEncryptingKey::from_der(&pkcs1_public_to_spki(der)))
        .ok()
        .and_then(|k| OaepPublicEncryptingKey::new(k).ok());
    Ok(RsaPublic { verify, encrypt })
}

/// Wraps a PKCS#1 `RSAPublicKey` into a `SubjectPublicKeyInfo` (rsaEncryption).
fn pkcs1_public_to_spki(pkcs1: &[u8]) -> Vec<u8> {
    const ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0x03];
    der_len(&mut bits, pkcs1.len() + 1);
    bits.push(0);
    bits.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_len(&mut out, ALG.len() + bits.len());
    out.extend_from_slice(ALG);
    out.extend_from_slice(&bits);
    out
}

/// Loads a WeChat Pay public key (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo).
pub(crate) fn load_public_key(text: &str) -> Result<RsaPublic, String> {
    let blocks = pem_blocks(text)?;
    for block in &blocks {
        if matches!(block.tag(), "PUBLIC KEY" | "RSA PUBLIC KEY") {
            return parse_rsa_public_key(block.contents());
        }
    }
    Err(format!(
        "no public key found (expected BEGIN PUBLIC KEY, found {})",
        tags(&blocks)
    ))
}

/// A parsed platform certificate: its key and validity.
pub(crate) struct CertificateKey {
    key: RsaPublic,
    /// The certificate, PEM.
    pub(crate) pem: String,
    /// `notBefore`, Unix seconds.
    pub(crate) not_before: i64,
    /// `notAfter`, Unix seconds.
    pub(crate) not_after: i64,
}

/// Loads a platform certificate; returns its serial (uppercase hex) and key.
pub(crate) fn load_certificate(text: &str) -> Result<(String, CertificateKey), String> {
    let blocks = pem_blocks(text)?;
    let block = blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or_else(|| {
        format!(
            "no certificate found (expected BEGIN CERTIFICATE, found {})",
            tags(&blocks)
        )
    })?;
    let (_, cert) = x509_parser::parse_x509_certificate(block.contents())
        .map_err(|e| format!("malformed X.509 certificate: {e}"))?;
    let serial = format!("{:X}", cert.tbs_certificate.serial);
    let key = parse_rsa_public_key(cert.public_key().raw)?;
    let validity = cert.validity();
    Ok((
        serial,
        CertificateKey {
            key,
            pem: pem::encode(block),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
        },
    ))
}

/// The signer of a client built for APIv2 only (an APIv2 key without the APIv3 settings):
/// every APIv3 call fails with [`Error::Config`] before anything is sent.
pub(crate) struct NoApiV3;

impl Signer for NoApiV3 {
    fn sign(&self, _: &[u8]) -> Result<String, Error> {
        Err(Error::config(
            ConfigProblem::Missing,
            Setting::PrivateKey,
            "this client was built for APIv2 only (an APIv2 key without merchant_serial, a merchant \
             private key and a WeChat Pay key): APIv3 calls need those",
        ))
    }
}

/// Checks that the certificate (PEM) is of the private key (PEM): the merchant API certificate
/// and `apiclient_key.pem` of mutual TLS. The messages quote nothing of the key.
#[cfg(feature = "v2")]
pub(crate) fn certificate_of_key(certificate: &str, key: &str) -> Result<(), String> {
    let signer = load_private_key(key).map_err(|e| format!("the private key: {e}"))?;
    let blocks = pem_blocks(certificate)?;
    let block = blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or_else(|| {
        format!(
            "no certificate found (expected BEGIN CERTIFICATE, found {})",
            tags(&blocks)
        )
    })?;
    let (_, cert) = x509_parser::parse_x509_certificate(block.contents())
        .map_err(|e| format!("malformed X.509 certificate: {e}"))?;
    use aws_lc_rs::signature::KeyPair as _;
    if cert.public_key().subject_public_key.data.as_ref() != signer.key.public_key().as_ref() {
        return Err(
            "the certificate is not of this private key (apiclient_cert.pem and apiclient_key.pem of one download)"
                .into(),
        );
    }
    Ok(())
}

/// Normalises a certificate serial for lookup: uppercase, without leading zeros.
pub(crate) fn normalize_serial(serial: &str) -> String {
    let upper = serial.trim().to_ascii_uppercase();
    let trimmed = upper.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

/// A 32-character nonce over `[0-9A-Za-z]`, drawn from the system CSPRNG with rejection
/// sampling (no modulo bias).
pub fn nonce() -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(32);
    let mut buf = [0u8; 64];
    while out.len() < 32 {
        aws_lc_rs::rand::fill(&mut buf).expect("system random number generator failed");
        for &b in &buf {
            // 248 = 4 * 62: accept only bytes that map uniformly.
            if b < 248 {
                out.push(ALPHABET[(b % 62) as usize] as char);
                if out.len() == 32 {
                    break;
                }
            }
        }
    }
    out
}

/// One key responses and notifications are verified with.
pub(crate) struct VerifyKey {
    /// The id as configured (`PUB_KEY_ID_…`) or the certificate serial (uppercase hex).
    pub(crate) id: String,
    /// For certificates: the normalised serial, for a tolerant lookup.
    normalized: Option<String>,
    key: RsaPublic,
    /// For certificates: `notBefore` and `notAfter` (Unix seconds).
    validity: Option<(i64, i64)>,
    /// For certificates: the certificate, PEM.
    pem: Option<String>,
}

impl VerifyKey {
    /// `notBefore`, `notAfter` of a certificate.
    pub(crate) fn validity(&self) -> Option<(i64, i64)> {
        self.validity
    }

    /// Whether it can verify at `now`: a public key always, a certificate between its
    /// `notBefore` and `notAfter`.
    pub(crate) fn valid_at(&self, now: i64) -> bool {
        match self.validity {
            None => true,
            Some((not_before, not_after)) => not_before <= now && now <= not_after,
        }
    }

    /// The certificate PEM.
    pub(crate) fn pem(&self) -> Option<&str> {
        self.pem.as_deref()
    }

    /// RSAES-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption, base64.
    pub(crate) fn encrypt_oaep(&self, plaintext: &[u8]) -> Result<String, Error> {
        let key = self.key.encrypt.as_ref().ok_or_else(|| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::WechatpayPublicKey,
                format!("key {} cannot be used for RSA-OAEP encryption", self.id),
            )
        })?;
        let max = key.max_plaintext_size(&OAEP_SHA1_MGF1SHA1);
        if plaintext.len() > max {
            return Err(Error::request(
                RequestProblem::Sensitive,
                format!(
                    "a sensitive value of {} bytes is too long for RSA-OAEP with key {} (at most {max} bytes)",
                    plaintext.len(),
                    self.id
                ),
            ));
        }
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
            .map_err(|_| Error::request(RequestProblem::Sensitive, "RSA-OAEP encryption failed"))?
            .len();
        out.truncate(len);
        Ok(B64.encode(out))
    }
}

/// The RSA public key APIv2 encrypts bank details with (`risk/getpublickey`'s `pub_key`,
/// `BEGIN RSA PUBLIC KEY`): `mmpaysptrans/pay_bank`'s `enc_bank_no` and `enc_true_name`.
#[cfg(feature = "v2")]
pub(crate) fn apiv2_encrypting_key(pem_text: &str) -> Result<VerifyKey, String> {
    Ok(VerifyKey {
        id: "risk/getpublickey".into(),
        normalized: None,
        key: load_public_key(pem_text)?,
        validity: None,
        pem: None,
    })
}

/// An immutable set of verification keys. Readers take a snapshot (`Arc<KeySet>`); updates
/// build a new set and swap it in, so a refresh never blocks a request for longer than an
/// `Arc` clone.
#[derive(Default, Clone)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyKey>>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|k| &k.id)).finish()
    }
}

impl KeySet {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether some key can verify at `now` (a public key, or a certificate valid now).
    pub(crate) fn has_valid_key(&self, now: i64) -> bool {
        self.keys.iter().any(|k| k.valid_at(now))
    }

    pub(crate) fn keys(&self) -> &[Arc<VerifyKey>] {
        &self.keys
    }

    pub(crate) fn add_public_key(&mut self, id: String, key: RsaPublic) {
        self.keys.retain(|k| k.id != id);
        self.keys.push(Arc::new(VerifyKey {
            id,
            normalized: None,
            key,
            validity: None,
            pem: None,
        }));
    }

    pub(crate) fn add_certificate(&mut self, serial: String, cert: CertificateKey) {
        let normalized = normalize_serial(&serial);
        self.keys
            .retain(|k| k.normalized.as_deref() != Some(normalized.as_str()));
        self.keys.push(Arc::new(VerifyKey {
            id: serial,
            normalized: Some(normalized),
            key: cert.key,
            validity: Some((cert.not_before, cert.not_after)),
            pem: Some(cert.pem),
        }));
    }

    /// Adds (or replaces by serial) an already parsed certificate key.
    pub(crate) fn insert(&mut self, key: Arc<VerifyKey>) {
        match &key.normalized {
            Some(n) => self.keys.retain(|k| k.normalized.as_ref() != Some(n)),
            None => self.keys.retain(|k| k.id != key.id),
        }
        self.keys.push(key);
    }

    /// Drops certificates that expired before `now` (public keys never expire).
    pub(crate) fn prune_expired(&mut self, now: i64) {
        self.keys
            .retain(|k| !matches!(k.validity, Some((_, not_after)) if not_after < now));
    }

    pub(crate) fn find(&self, serial: &str) -> Option<&Arc<VerifyKey>> {
        if let Some(k) = self.keys.iter().find(|k| k.id == serial) {
            return Some(k);
        }
        let normalized = normalize_serial(serial);
        self.keys
            .iter()
            .find(|k| k.normalized.as_deref() == Some(normalized.as_str()))
    }

    /// The key sensitive fields are encrypted with: the WeChat Pay public key configured last,
    /// else the newest platform certificate valid at `now` (latest `notBefore`).
    pub(crate) fn encryption_key(&self, now: i64) -> Option<&Arc<VerifyKey>> {
        if let Some(k) = self.keys.iter().rev().find(|k| k.validity.is_none()) {
            return Some(k);
        }
        self.keys.iter().filter(|k| k.valid_at(now)).max_by_key(|k| k.validity)
    }

    /// Checks the four headers and the signature over `TIMESTAMP\nNONCE\nBODY\n`.
    pub(crate) fn verify(
        &self,
        headers: &SignatureHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerificationError> {
        if let Some(name) = headers.duplicate {
            return Err(VerificationError::DuplicateHeader(name));
        }
        let timestamp = header_str("Wechatpay-Timestamp", headers.timestamp)?;
        let nonce = header_str("Wechatpay-Nonce", headers.nonce)?;
        let signature = header_str("Wechatpay-Signature", headers.signature)?;
        let serial = header_str("Wechatpay-Serial", headers.serial)?;
        if signature.starts_with(PROBE_SIGNATURE_PREFIX) {
            return Err(VerificationError::ProbeSignature);
        }

        let ts: i64 = timestamp
            .parse()
            .ok()
            .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| VerificationError::InvalidHeader {
                name: "Wechatpay-Timestamp",
                reason: format!("not a Unix timestamp: {timestamp:?}"),
            })?;
        if (now - ts).abs() > MAX_CLOCK_SKEW_SECS {
            return Err(VerificationError::StaleTimestamp { timestamp: ts, now });
        }
        let key = self
            .find(serial)
            .ok_or_else(|| VerificationError::UnknownSerial(serial.to_owned()))?;
        // A certificate verifies only while it is valid (a configured one is not pruned).
        if let Some((not_before, not_after)) = key.validity.filter(|_| !key.valid_at(now)) {
            return Err(VerificationError::CertificateNotValid {
                serial: key.id.clone(),
                not_before,
                not_after,
                now,
            });
        }
        let sig = B64.decode(signature).map_err(|e| VerificationError::InvalidHeader {
            name: "Wechatpay-Signature",
            reason: format!("not base64: {e}"),
        })?;

        let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
        message.extend_from_slice(timestamp.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(nonce.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(body);
        message.push(b'\n');
        key.key
            .verify
            .verify_sig(&message, &sig)
            .map_err(|_| VerificationError::BadSignature { serial: key.id.clone() })
    }
}

/// The keys responses and notifications are verified with, shared by all clones of a client
/// and replaced as a whole when platform certificates are refreshed.
#[derive(Default)]
pub(crate) struct Verifier {
    current: RwLock<Arc<KeySet>>,
    /// The error of the last background certificate refresh (`None` after a success).
    refresh_error: Mutex<Option<String>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.snapshot(), f)
    }
}

/// The four signature headers, as received.
pub(crate) struct SignatureHeaders<'a> {
    pub timestamp: Option<&'a [u8]>,
    pub nonce: Option<&'a [u8]>,
    pub signature: Option<&'a [u8]>,
    pub serial: Option<&'a [u8]>,
    /// The first of the four that came more than once (which one to trust is unknowable).
    pub duplicate: Option<&'static str>,
}

impl<'a> SignatureHeaders<'a> {
    pub(crate) fn from_map(headers: &'a reqwest::header::HeaderMap) -> Self {
        use reqwest::header::HeaderName;
        const NAMES: [(&str, HeaderName); 4] = [
            ("Wechatpay-Timestamp", HeaderName::from_static("wechatpay-timestamp")),
            ("Wechatpay-Nonce", HeaderName::from_static("wechatpay-nonce")),
            ("Wechatpay-Signature", HeaderName::from_static("wechatpay-signature")),
            ("Wechatpay-Serial", HeaderName::from_static("wechatpay-serial")),
        ];
        let mut duplicate = None;
        let [timestamp, nonce, signature, serial] = NAMES.map(|(shown, name)| {
            let mut values = headers.get_all(name).iter();
            let first = values.next().map(|v| v.as_bytes());
            if duplicate.is_none() && values.next().is_some() {
                duplicate = Some(shown);
            }
            first
        });
        SignatureHeaders {
            timestamp,
            nonce,
            signature,
            serial,
            duplicate,
        }
    }
}

/// How the platform marks its own probe signatures (sent to check that a merchant verifies).
pub(crate) const PROBE_SIGNATURE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

fn header_str<'a>(name: &'static str, value: Option<&'a [u8]>) -> Result<&'a str, VerificationError> {
    let value = value.ok_or(VerificationError::MissingHeader(name))?;
    let text = std::str::from_utf8(value).map_err(|_| VerificationError::InvalidHeader {
        name,
        reason: "not valid UTF-8".into(),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(VerificationError::InvalidHeader {
            name,
            reason: "empty".into(),
        });
    }
    Ok(text)
}

impl Verifier {
    /// The current key set (cheap: an `Arc` clone under a read lock held for no longer).
    pub(crate) fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Updates the key set with `f` (readers keep using the old snapshot meanwhile).
    pub(crate) fn update(&self, f: impl FnOnce(&mut KeySet)) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut keys = KeySet::clone(&guard);
        f(&mut keys);
        *guard = Arc::new(keys);
    }

    pub(crate) fn record_refresh(&self, result: Result<(), String>) {
        let mut slot = self.refresh_error.lock().unwrap_or_else(|e| e.into_inner());
        *slot = result.err();
    }

    pub(crate) fn last_refresh_error(&self) -> Option<String> {
        self.refresh_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn get_mut(&mut self) -> &mut KeySet {
        let slot = match self.current.get_mut() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::make_mut(slot)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.snapshot().is_empty()
    }

    pub(crate) fn add_public_key(&mut self, id: String, key: RsaPublic) {
        self.get_mut().add_public_key(id, key);
    }

    pub(crate) fn add_certificate(&mut self, serial: String, cert: CertificateKey) {
        self.get_mut().add_certificate(serial, cert);
    }

    /// Checks the four headers and the signature over `TIMESTAMP\nNONCE\nBODY\n`, with the
    /// keys of the moment.
    pub(crate) fn verify(
        &self,
        headers: &SignatureHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerificationError> {
        self.snapshot().verify(headers, body, now)
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The merchant APIv3 key: 32 ASCII bytes, used as the AES-256-GCM key of notification
/// resources and platform certificates. Its `Debug` never shows it; the bytes are overwritten
/// on drop.
pub struct ApiV3Key([u8; 32]);

impl ApiV3Key {
    /// Checks the length (32 bytes) and keeps the key.
    pub fn new(key: &str) -> Result<Self, Error> {
        let bytes = key.as_bytes();
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::config(
                ConfigProblem::Invalid,
                Setting::ApiV3Key,
                format!("the APIv3 key must be 32 bytes, got {} bytes", bytes.len()),
            )
        })?;
        Ok(ApiV3Key(array))
    }

    /// Decrypts AES-256-GCM: IV = `nonce` bytes (12), AAD = `associated_data` bytes (may be
    /// empty), `ciphertext` = base64 of ciphertext ‖ 16-byte tag.
    pub fn decrypt(&self, associated_data: &str, nonce: &str, ciphertext: &str) -> Result<Vec<u8>, Error> {
        let nonce: [u8; NONCE_LEN] = nonce.as_bytes().try_into().map_err(|_| {
            Error::decrypt(
                DecryptProblem::Malformed,
                format!("the nonce must be {NONCE_LEN} bytes, got {}", nonce.len()),
            )
        })?;
        let mut data = base64::engine::general_purpose::STANDARD
            .decode(ciphertext.trim())
            .map_err(|e| Error::decrypt(DecryptProblem::Malformed, format!("ciphertext is not base64: {e}")))?;
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.0).map_err(|_| Error::decrypt(DecryptProblem::Malformed, "bad key"))?,
        );
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data.as_bytes()),
                &mut data,
            )
            .map_err(|_| {
                Error::decrypt(
                    DecryptProblem::Authentication,
                    "authentication failed (wrong APIv3 key, or tampered data)",
                )
            })?;
        let len = plain.len();
        data.truncate(len);
        Ok(data)
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

impl Drop for ApiV3Key {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// APIv2's key (feature `v2`).
#[cfg(feature = "v2")]
mod apiv2_key {
    use std::fmt;

    use zeroize::Zeroizing;

    use super::Error;

    /// The APIv2 key (32 characters, set on the merchant platform): signs APIv2 requests, checks
    /// answers and notifications, and decrypts refund notifications. Its bytes are wiped on drop;
    /// `Debug` never shows it.
    #[derive(Clone)]
    pub struct ApiV2Key(Zeroizing<String>);

    impl ApiV2Key {
        /// The key; anything but 32 printable ASCII characters is an [`Error::Config`] (which never
        /// quotes it).
        pub fn new(key: impl Into<String>) -> Result<Self, Error> {
            let key = Zeroizing::new(key.into());
            if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::config(
                    crate::ConfigProblem::Invalid,
                    crate::Setting::ApiV2Key,
                    format!(
                        "the APIv2 key must be 32 printable ASCII characters (got {} bytes)",
                        key.len()
                    ),
                ));
            }
            Ok(ApiV2Key(key))
        }

        pub(crate) fn as_str(&self) -> &str {
            &self.0
        }
    }

    impl fmt::Debug for ApiV2Key {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("ApiV2Key(<withheld>)")
        }
    }
}
#[cfg(feature = "v2")]
pub use apiv2_key::ApiV2Key;
