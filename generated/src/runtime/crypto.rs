//! Keys, request signing and response verification.

use std::fmt;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;

use super::error::{Error, VerificationError};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Maximum distance, in seconds, between `Wechatpay-Timestamp` and the local clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Signs request messages for the `Authorization` header.
///
/// The default implementation is [`RsaSigner`], holding the merchant private key in memory.
/// Implement this trait to sign in an HSM or a remote signing service and pass it to
/// [`ClientBuilder::signer`](crate::runtime::ClientBuilder::signer).
pub trait Signer: Send + Sync {
    /// Signs `message` with RSASSA-PKCS1-v1_5 / SHA-256 using the merchant private key and
    /// returns the signature, base64 (standard alphabet, padded).
    fn sign(&self, message: &[u8]) -> Result<String, Error>;
}

/// The default [`Signer`]: the merchant RSA private key (`apiclient_key.pem`), parsed once.
///
/// Its `Debug` output never shows key material.
pub struct RsaSigner {
    key: RsaKeyPair,
}

impl RsaSigner {
    /// Loads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what the merchant platform
    /// issues) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Other blocks in the text (a certificate
    /// next to the key) are skipped.
    pub fn from_pem(pem_text: &str) -> Result<Self, Error> {
        load_private_key(pem_text).map_err(Error::Config)
    }

    /// Loads a PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        RsaKeyPair::from_pkcs8(der)
            .map(|key| RsaSigner { key })
            .map_err(|e| Error::Config(format!("invalid PKCS#8 RSA private key: {e}")))
    }

    /// Loads a PKCS#1 (`RSAPrivateKey`) DER private key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        RsaKeyPair::from_der(der)
            .map(|key| RsaSigner { key })
            .map_err(|e| Error::Config(format!("invalid PKCS#1 RSA private key: {e}")))
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
            .map_err(|_| Error::Sign("RSA signing failed".into()))?;
        Ok(sig)
    }
}

impl Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<String, Error> {
        Ok(B64.encode(self.sign_raw(message)?))
    }
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
    for block in &blocks {
        match block.tag() {
            "PRIVATE KEY" => {
                return RsaKeyPair::from_pkcs8(block.contents())
                    .map(|key| RsaSigner { key })
                    .map_err(|e| format!("BEGIN PRIVATE KEY is not a usable RSA key: {e}"));
            }
            "RSA PRIVATE KEY" => {
                return RsaKeyPair::from_der(block.contents())
                    .map(|key| RsaSigner { key })
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
        "no private key found (expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY, found {})",
        tags(&blocks)
    ))
}

fn parse_rsa_public_key(der: &[u8]) -> Result<ParsedPublicKey, String> {
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
        .map_err(|e| format!("not a usable RSA public key: {e}"))
}

/// Loads a WeChat Pay public key (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo).
pub(crate) fn load_public_key(text: &str) -> Result<ParsedPublicKey, String> {
    let blocks = pem_blocks(text)?;
    for block in &blocks {
        if matches!(block.tag(), "PUBLIC KEY" | "RSA PUBLIC KEY") {
            return parse_rsa_public_key(block.contents());
        }
    }
    Err(format!("no public key found (expected BEGIN PUBLIC KEY, found {})", tags(&blocks)))
}

/// Loads a platform certificate; returns its serial (uppercase hex) and public key.
pub(crate) fn load_certificate(text: &str) -> Result<(String, ParsedPublicKey), String> {
    let blocks = pem_blocks(text)?;
    let block = blocks
        .iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or_else(|| format!("no certificate found (expected BEGIN CERTIFICATE, found {})", tags(&blocks)))?;
    let (_, cert) = x509_parser::parse_x509_certificate(block.contents())
        .map_err(|e| format!("malformed X.509 certificate: {e}"))?;
    let serial = format!("{:X}", cert.tbs_certificate.serial);
    let key = parse_rsa_public_key(cert.public_key().raw)?;
    Ok((serial, key))
}

/// Normalises a certificate serial for lookup: uppercase, without leading zeros.
fn normalize_serial(serial: &str) -> String {
    let upper = serial.trim().to_ascii_uppercase();
    let trimmed = upper.trim_start_matches('0');
    if trimmed.is_empty() { "0".into() } else { trimmed.into() }
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

struct VerifyKey {
    /// The id as configured (`PUB_KEY_ID_…`) or the certificate serial (uppercase hex).
    id: String,
    /// For certificates: the normalised serial, for a tolerant lookup.
    normalized: Option<String>,
    key: ParsedPublicKey,
}

/// The set of keys responses and notifications are verified with.
#[derive(Default)]
pub(crate) struct Verifier {
    keys: Vec<VerifyKey>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|k| &k.id)).finish()
    }
}

/// The four signature headers, as received.
pub(crate) struct SignatureHeaders<'a> {
    pub timestamp: Option<&'a [u8]>,
    pub nonce: Option<&'a [u8]>,
    pub signature: Option<&'a [u8]>,
    pub serial: Option<&'a [u8]>,
}

impl<'a> SignatureHeaders<'a> {
    pub(crate) fn from_map(headers: &'a reqwest::header::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).map(|v| v.as_bytes());
        SignatureHeaders {
            timestamp: get("wechatpay-timestamp"),
            nonce: get("wechatpay-nonce"),
            signature: get("wechatpay-signature"),
            serial: get("wechatpay-serial"),
        }
    }
}

fn header_str<'a>(name: &'static str, value: Option<&'a [u8]>) -> Result<&'a str, VerificationError> {
    let value = value.ok_or(VerificationError::MissingHeader(name))?;
    let text = std::str::from_utf8(value).map_err(|_| VerificationError::InvalidHeader {
        name,
        reason: "not valid UTF-8".into(),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(VerificationError::InvalidHeader { name, reason: "empty".into() });
    }
    Ok(text)
}

impl Verifier {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn add_public_key(&mut self, id: String, key: ParsedPublicKey) {
        self.keys.retain(|k| k.id != id);
        self.keys.push(VerifyKey { id, normalized: None, key });
    }

    pub(crate) fn add_certificate(&mut self, serial: String, key: ParsedPublicKey) {
        let normalized = normalize_serial(&serial);
        self.keys.retain(|k| k.normalized.as_deref() != Some(normalized.as_str()));
        self.keys.push(VerifyKey { id: serial, normalized: Some(normalized), key });
    }

    fn find(&self, serial: &str) -> Option<&VerifyKey> {
        if let Some(k) = self.keys.iter().find(|k| k.id == serial) {
            return Some(k);
        }
        let normalized = normalize_serial(serial);
        self.keys.iter().find(|k| k.normalized.as_deref() == Some(normalized.as_str()))
    }

    /// Checks the four headers and the signature over `TIMESTAMP\nNONCE\nBODY\n`.
    pub(crate) fn verify(
        &self,
        headers: &SignatureHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerificationError> {
        let timestamp = header_str("Wechatpay-Timestamp", headers.timestamp)?;
        let nonce = header_str("Wechatpay-Nonce", headers.nonce)?;
        let signature = header_str("Wechatpay-Signature", headers.signature)?;
        let serial = header_str("Wechatpay-Serial", headers.serial)?;

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
            .verify_sig(&message, &sig)
            .map_err(|_| VerificationError::BadSignature { serial: key.id.clone() })
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
