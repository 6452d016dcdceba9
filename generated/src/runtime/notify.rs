//! Notifications (callbacks) and the APIv3 key that decrypts their `resource`.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::Engine as _;

use super::error::Error;

/// The merchant APIv3 key: 32 ASCII bytes, used as the AES-256-GCM key of notification
/// resources and platform certificates. Its `Debug` never shows it; the bytes are overwritten
/// on drop.
pub struct ApiV3Key([u8; 32]);

impl ApiV3Key {
    /// Checks the length (32 bytes) and keeps the key.
    pub fn new(key: &str) -> Result<Self, Error> {
        let bytes = key.as_bytes();
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::Config(format!("the APIv3 key must be 32 bytes, got {} bytes", bytes.len()))
        })?;
        Ok(ApiV3Key(array))
    }

    /// Decrypts AES-256-GCM: IV = `nonce` bytes (12), AAD = `associated_data` bytes (may be
    /// empty), `ciphertext` = base64 of ciphertext ‖ 16-byte tag.
    pub fn decrypt(&self, associated_data: &str, nonce: &str, ciphertext: &str) -> Result<Vec<u8>, Error> {
        let nonce: [u8; NONCE_LEN] = nonce.as_bytes().try_into().map_err(|_| {
            Error::Decrypt(format!("the nonce must be {NONCE_LEN} bytes, got {}", nonce.len()))
        })?;
        let mut data = base64::engine::general_purpose::STANDARD
            .decode(ciphertext.trim())
            .map_err(|e| Error::Decrypt(format!("ciphertext is not base64: {e}")))?;
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.0).map_err(|_| Error::Decrypt("bad key".into()))?,
        );
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(associated_data.as_bytes()), &mut data)
            .map_err(|_| {
                Error::Decrypt("authentication failed (wrong APIv3 key, or tampered data)".into())
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
        for b in self.0.iter_mut() {
            // SAFETY: `b` is a valid, aligned, exclusive reference.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

/// A notification body (`POST` from WeChat Pay to the merchant's `notify_url`).
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Notification {
    /// Notification id.
    #[serde(default)]
    pub id: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub create_time: String,
    /// Event, e.g. `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`.
    #[serde(default)]
    pub event_type: String,
    /// Resource type, e.g. `encrypt-resource`.
    #[serde(default)]
    pub resource_type: String,
    /// Summary, e.g. `支付成功`.
    #[serde(default)]
    pub summary: String,
    /// The encrypted payload.
    pub resource: EncryptedResource,
}

/// An AES-256-GCM encrypted payload (notification `resource`, certificate
/// `encrypt_certificate`).
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EncryptedResource {
    /// `AEAD_AES_256_GCM`.
    #[serde(default)]
    pub algorithm: String,
    /// base64 of ciphertext ‖ tag.
    pub ciphertext: String,
    /// The 12-character IV.
    pub nonce: String,
    /// Additional authenticated data (may be empty).
    #[serde(default)]
    pub associated_data: String,
    /// The type of the plaintext, e.g. `transaction`.
    #[serde(default)]
    pub original_type: String,
}

impl EncryptedResource {
    /// A resource from its parts.
    pub fn new(ciphertext: impl Into<String>, nonce: impl Into<String>, associated_data: impl Into<String>) -> Self {
        EncryptedResource {
            algorithm: "AEAD_AES_256_GCM".into(),
            ciphertext: ciphertext.into(),
            nonce: nonce.into(),
            associated_data: associated_data.into(),
            original_type: String::new(),
        }
    }

    /// Decrypts with `key`.
    pub fn decrypt(&self, key: &ApiV3Key) -> Result<Vec<u8>, Error> {
        if !self.algorithm.is_empty() && self.algorithm != "AEAD_AES_256_GCM" {
            return Err(Error::Decrypt(format!("unsupported algorithm {:?}", self.algorithm)));
        }
        key.decrypt(&self.associated_data, &self.nonce, &self.ciphertext)
    }
}
