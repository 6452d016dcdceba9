//! Notifications (callbacks) and the APIv3 key that decrypts their `resource`.
//!
//! WeChat Pay `POST`s a JSON envelope to the merchant's `notify_url`, signed like a response
//! (four `Wechatpay-*` headers over the raw body) and carrying the payload encrypted with the
//! merchant's APIv3 key (AES-256-GCM). [`Client::handle_notification`] checks and opens it in
//! one call and returns a [`NotificationEvent`]; [`NotificationAnswer`] is what to reply.
//!
//! The typed payloads ([`TransactionPayload`], [`RefundPayload`]) are hand-written here rather
//! than taken from the generated API modules: they work whatever API features are compiled
//! in, accept both the direct-merchant and the service-provider (`sp_*`/`sub_*`) shapes (every
//! field is optional), and keep fields they do not name in `extra`.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::Engine as _;

use super::client::Client;
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

// ---------------------------------------------------------------------------------------------
// Typed events

/// A notification that passed verification and whose resource was decrypted.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NotificationEvent {
    /// Notification id (`EV-…`): the same id may be delivered more than once; deduplicate on it.
    pub id: String,
    /// Creation time (RFC 3339).
    pub create_time: String,
    /// Event, e.g. `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`.
    pub event_type: String,
    /// Resource type, normally `encrypt-resource`.
    pub resource_type: String,
    /// Summary, e.g. `支付成功`.
    pub summary: String,
    /// `resource.original_type`, e.g. `transaction`, `refund`.
    pub original_type: String,
    /// The decrypted payload.
    pub payload: NotificationPayload,
}

/// The decrypted resource of a notification, by `event_type`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NotificationPayload {
    /// `TRANSACTION.*` (`TRANSACTION.SUCCESS`, …): a payment.
    Transaction(Box<TransactionPayload>),
    /// `REFUND.*` (`REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`): a refund.
    Refund(Box<RefundPayload>),
    /// Any other event: the decrypted JSON as is.
    Other(serde_json::Value),
}

/// The payment of a `TRANSACTION.*` notification (direct merchant or service provider).
///
/// Enumerations (`trade_type`, `trade_state`) are kept as the strings received.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TransactionPayload {
    /// App id (direct merchant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Merchant id (direct merchant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// Service provider app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_appid: Option<String>,
    /// Service provider merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_mchid: Option<String>,
    /// Sub-merchant app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// The merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// WeChat Pay's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, `MWEB`, `FACEPAY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    /// `SUCCESS`, `REFUND`, `NOTPAY`, `CLOSED`, `REVOKED`, `USERPAYING`, `PAYERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state: Option<String>,
    /// Description of the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// Paying bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// The merchant's `attach` data, returned as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// Payment time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<NotificationPayer>,
    /// Amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<TransactionAmount>,
    /// Fields not named above (`scene_info`, `promotion_detail`, …), as received.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The payer of a transaction.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct NotificationPayer {
    /// The payer's openid under `appid` (direct merchant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// The payer's openid under `sp_appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_openid: Option<String>,
    /// The payer's openid under `sub_appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
}

/// The amounts of a transaction, in the smallest currency unit (fen).
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TransactionAmount {
    /// Order total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// What the payer paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// Currency, e.g. `CNY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The payer's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

/// The refund of a `REFUND.*` notification (direct merchant or service provider).
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RefundPayload {
    /// Merchant id (direct merchant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// Service provider merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_mchid: Option<String>,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_mchid: Option<String>,
    /// The merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// WeChat Pay's transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The merchant's refund number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_refund_no: Option<String>,
    /// WeChat Pay's refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// `SUCCESS`, `CLOSED`, `ABNORMAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    /// Refund time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Where the money went, e.g. `招商银行信用卡0403`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    /// Amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<RefundAmount>,
    /// Fields not named above, as received.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The amounts of a refund, in the smallest currency unit (fen).
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RefundAmount {
    /// Order total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Refunded amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<i64>,
    /// What the payer paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// What the payer gets back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund: Option<i64>,
}

fn decode_error(source: serde_json::Error, body: &[u8]) -> Error {
    Error::Decode { source, status: 0, body: String::from_utf8_lossy(body).into_owned() }
}

impl NotificationPayload {
    /// Types a decrypted resource by `event_type`: `TRANSACTION.*` → transaction, `REFUND.*` →
    /// refund, anything else → raw JSON. Plaintext that is not the expected JSON is an
    /// [`Error::Decode`] with status 0.
    pub fn from_plaintext(event_type: &str, plaintext: &[u8]) -> Result<Self, Error> {
        let payload = if event_type.starts_with("TRANSACTION.") {
            NotificationPayload::Transaction(Box::new(
                serde_json::from_slice(plaintext).map_err(|e| decode_error(e, plaintext))?,
            ))
        } else if event_type.starts_with("REFUND.") {
            NotificationPayload::Refund(Box::new(
                serde_json::from_slice(plaintext).map_err(|e| decode_error(e, plaintext))?,
            ))
        } else {
            NotificationPayload::Other(
                serde_json::from_slice(plaintext).map_err(|e| decode_error(e, plaintext))?,
            )
        };
        Ok(payload)
    }
}

impl Client {
    /// Verifies, parses and decrypts a notification (callback) from WeChat Pay in one step.
    ///
    /// Pass the **raw** body bytes as received (a framework that parses and re-serialises the
    /// JSON breaks the signature) and the request headers. Checks, in order:
    ///
    /// 1. the signature exactly like a response ([`Client::verify_notification`]): missing
    ///    header, stale timestamp (> 300 s), unknown `Wechatpay-Serial`, bad signature are each
    ///    their own [`Error::Verification`] ([`VerificationError`](crate::VerificationError));
    /// 2. the envelope JSON → [`Error::Decode`] (status 0);
    /// 3. the AES-256-GCM resource with the APIv3 key ([`ClientBuilder::apiv3_key`](crate::ClientBuilder::apiv3_key);
    ///    none → [`Error::Config`]): a wrong key or tampered ciphertext → [`Error::Decrypt`];
    /// 4. the decrypted JSON, typed by `event_type` → [`Error::Decode`] (status 0).
    ///
    /// ```no_run
    /// # fn handler(client: &wechatpay::Client, headers: &wechatpay::runtime::HeaderMap, body: &[u8]) {
    /// use wechatpay::runtime::{NotificationAnswer, NotificationPayload};
    ///
    /// let answer = match client.handle_notification(headers, body) {
    ///     Ok(event) => {
    ///         if let NotificationPayload::Transaction(tx) = &event.payload {
    ///             println!("{} paid: {:?}", event.id, tx.out_trade_no);
    ///         }
    ///         NotificationAnswer::success()
    ///     }
    ///     Err(e) => NotificationAnswer::for_error(&e),
    /// };
    /// // reply with answer.status(), answer.content_type(), answer.body()
    /// # let _ = answer; }
    /// ```
    pub fn handle_notification(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<NotificationEvent, Error> {
        let notification = self.parse_notification(headers, body)?;
        self.decrypt_notification(&notification)
    }

    /// Decrypts and types a notification already verified and parsed (by
    /// [`Client::parse_notification`], or by [`Client::verify_signature`] followed by
    /// `serde_json::from_slice::<Notification>`).
    pub fn decrypt_notification(&self, notification: &Notification) -> Result<NotificationEvent, Error> {
        let plaintext = self.decrypt_resource(&notification.resource)?;
        let payload = NotificationPayload::from_plaintext(&notification.event_type, &plaintext)?;
        Ok(NotificationEvent {
            id: notification.id.clone(),
            create_time: notification.create_time.clone(),
            event_type: notification.event_type.clone(),
            resource_type: notification.resource_type.clone(),
            summary: notification.summary.clone(),
            original_type: notification.resource.original_type.clone(),
            payload,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The merchant's answer

/// The HTTP answer the merchant sends back to WeChat Pay for a notification.
///
/// Success is `204 No Content` (or `200`) with an empty body; failure is a 4xx/5xx with
/// `{"code":"FAIL","message":"…"}`, after which WeChat Pay retries the notification later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationAnswer {
    status: u16,
    body: String,
}

impl NotificationAnswer {
    /// Accepted: `204 No Content`, empty body.
    pub fn success() -> Self {
        NotificationAnswer { status: 204, body: String::new() }
    }

    /// Accepted: `200 OK`, empty body (for frameworks that prefer 200).
    pub fn success_200() -> Self {
        NotificationAnswer { status: 200, body: String::new() }
    }

    /// Rejected: `status` (a 4xx or 5xx; anything else becomes 500) with
    /// `{"code":"FAIL","message":message}`. WeChat Pay will deliver the notification again.
    pub fn failure(status: u16, message: impl Into<String>) -> Self {
        let status = if (400..=599).contains(&status) { status } else { 500 };
        let body = serde_json::json!({"code": "FAIL", "message": message.into()}).to_string();
        NotificationAnswer { status, body }
    }

    /// The failure answer for an error of [`Client::handle_notification`]: 401 for a
    /// verification failure, 400 for an undecryptable or undecodable notification, 500
    /// otherwise (a configuration problem on the merchant side). The message names the check
    /// that failed and never contains key material.
    pub fn for_error(error: &Error) -> Self {
        let status = match error {
            Error::Verification(_) => 401,
            Error::Decrypt(_) | Error::Decode { .. } => 400,
            _ => 500,
        };
        let message = match error {
            // The body of a Decode error is the decrypted payload: do not echo it.
            Error::Decode { source, .. } => format!("cannot decode the notification: {source}"),
            other => other.to_string(),
        };
        Self::failure(status, message)
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body: empty on success, `{"code":"FAIL","message":"…"}` on failure.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// `Some("application/json")` when there is a body.
    pub fn content_type(&self) -> Option<&'static str> {
        (!self.body.is_empty()).then_some("application/json")
    }

    /// Whether this answer accepts the notification.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}
