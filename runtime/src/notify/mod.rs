//! Notifications (callbacks): the envelope, its verification and decryption with the APIv3 key
//! (`crypto::ApiV3Key`), the answer, de-duplication of redeliveries.
//!
//! WeChat Pay `POST`s a JSON envelope to the merchant's `notify_url`, signed like a response
//! (four `Wechatpay-*` headers over the raw body) and carrying the payload encrypted with the
//! merchant's APIv3 key (AES-256-GCM). [`Client::handle_notification`] checks and opens it in
//! one call and returns a [`NotificationEvent`]; [`NotificationAnswer`] is what to reply.
//!
//! The decrypted resources are typed by the generated `wechatpay::notifications` module
//! (from `spec/notifications/`); this runtime keeps only the decrypted bytes, which no `Debug`
//! or error shows.

use crate::error::{ConfigProblem, DecryptProblem, Setting};
use std::fmt;

use super::client::Client;
use super::crypto::ApiV3Key;
use super::error::{EnvelopeError, Error};
use super::observe;
use keys::Key;

pub(crate) mod keys;

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

impl Notification {
    /// What the protocol requires of an envelope: `id`, `create_time`, `event_type`,
    /// `resource_type` `encrypt-resource`, a resource with `algorithm` `AEAD_AES_256_GCM`,
    /// `ciphertext` and `nonce`, and an `original_type` that goes with the event.
    pub fn check(&self) -> Result<(), EnvelopeError> {
        let required = [
            ("id", &self.id),
            ("create_time", &self.create_time),
            ("event_type", &self.event_type),
            ("resource_type", &self.resource_type),
            ("resource.algorithm", &self.resource.algorithm),
            ("resource.ciphertext", &self.resource.ciphertext),
            ("resource.nonce", &self.resource.nonce),
        ];
        if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(EnvelopeError::Missing(name));
        }
        if self.resource_type != "encrypt-resource" {
            return Err(EnvelopeError::ResourceType(self.resource_type.clone()));
        }
        if self.resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(EnvelopeError::Algorithm(self.resource.algorithm.clone()));
        }
        // A payment's notification carries a transaction, or (a profit sharing's, under
        // TRANSACTION.SUCCESS) a profitsharing; a refund's a refund.
        let expected: &[&str] = match self.event_type.split('.').next() {
            Some("TRANSACTION") => &["transaction", "profitsharing"],
            Some("REFUND") => &["refund"],
            _ => &[],
        };
        let original = self.resource.original_type.as_str();
        if !expected.is_empty() && !original.is_empty() && !expected.contains(&original) {
            return Err(EnvelopeError::OriginalType {
                event_type: self.event_type.clone(),
                original_type: original.to_string(),
            });
        }
        Ok(())
    }
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
            return Err(Error::decrypt(
                DecryptProblem::Algorithm,
                format!("unsupported algorithm {:?}", self.algorithm),
            ));
        }
        key.decrypt(&self.associated_data, &self.nonce, &self.ciphertext)
    }
}

// ---------------------------------------------------------------------------------------------
// Verified, decrypted events

/// A notification that passed verification and whose resource was decrypted. The resource is
/// typed by the generated `wechatpay::notifications::Resource::decode(&event)`, or decoded
/// into a type of your choice with [`decode_resource`](Self::decode_resource).
///
/// Its `Debug` shows the envelope's facts but never the decrypted resource (personal data:
/// openids, amounts).
#[derive(Clone, PartialEq)]
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
    pub(crate) plaintext: Vec<u8>,
    /// The resource's top-level keys (`keys.rs`), which tell its shapes apart.
    pub(crate) keys: Vec<Key>,
}

impl fmt::Debug for NotificationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationEvent")
            .field("id", &self.id)
            .field("create_time", &self.create_time)
            .field("event_type", &self.event_type)
            .field("resource_type", &self.resource_type)
            .field("summary", &self.summary)
            .field("original_type", &self.original_type)
            .field(
                "resource",
                &format_args!("<decrypted, {} bytes, withheld>", self.plaintext.len()),
            )
            .finish()
    }
}

impl NotificationEvent {
    /// The decrypted resource, as received (JSON bytes).
    pub fn decrypted(&self) -> &[u8] {
        &self.plaintext
    }

    /// The decrypted resource as JSON. Bytes that are not JSON are an [`Error::NotificationDecode`] that
    /// withholds them.
    pub fn resource_json(&self) -> Result<serde_json::Value, Error> {
        self.decode_resource()
    }

    /// Decodes the decrypted resource into `T` (a type of `wechatpay::notifications`, or your
    /// own). A mismatch is an [`Error::NotificationDecode`] naming the field but never the value.
    pub fn decode_resource<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        crate::object::from_json(&self.plaintext).map_err(withheld)
    }
}

/// For the generated `notifications::Resource::decode`: the shapes known for the event's type,
/// so that a resource of a known event type that fits none of them is an error
/// ([`Error::NotificationUnmatched`]), never quietly untyped.
pub struct NotificationShapes<'a> {
    event: &'a NotificationEvent,
    expected: Vec<String>,
}

impl<'a> NotificationShapes<'a> {
    /// No shape known yet.
    pub fn new(event: &'a NotificationEvent) -> Self {
        NotificationShapes {
            event,
            expected: Vec::new(),
        }
    }

    /// A shape of `events`, told apart by `keys`.
    pub fn add(&mut self, events: &[&str], keys: &[&str]) {
        if events.contains(&self.event.event_type.as_str()) {
            self.expected.push(if keys.is_empty() {
                "(none)".to_owned()
            } else {
                keys.join("+")
            });
        }
    }

    /// An error when a shape is known for the event's type (and none matched): a resource
    /// that is not JSON is an [`Error::NotificationDecode`]. `Ok` for an event type no shape
    /// names.
    pub fn unmatched(self) -> Result<(), Error> {
        if self.expected.is_empty() {
            return Ok(());
        }
        // Bytes that are not JSON fit no shape; they are told as such (the keys were found
        // without checking the JSON).
        self.event.decode_resource::<serde::de::IgnoredAny>()?;
        Err(Error::NotificationUnmatched {
            event_type: self.event.event_type.clone(),
            expected: self.expected.join(", "),
        })
    }
}

/// For the generated `notifications::Resource::decode`: whether the event is one of `events`
/// and the resource is an object with every key of `keys`. The keys were found when the
/// resource was decrypted, so a match parses nothing.
pub fn notification_matches(event: &NotificationEvent, events: &[&str], keys: &[&str]) -> bool {
    events.contains(&event.event_type.as_str()) && keys.iter().all(|k| event.has_key(k))
}

impl NotificationEvent {
    /// Whether `key` is a top-level key of the resource.
    fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.is(&self.plaintext, key))
    }
}

/// For the generated `notifications::Resource::decode`: the resource as `T`, decoded from the
/// decrypted bytes, errors withheld.
pub fn notification_resource<T: serde::de::DeserializeOwned>(event: &NotificationEvent) -> Result<T, Error> {
    event.decode_resource()
}

/// A decode error of decrypted data: the field names are kept (`field `amount`: field `total`:`,
/// `missing field `x``), the values are not (serde's messages quote them: an openid, an amount).
fn withheld((e, path): (serde_json::Error, Option<String>)) -> Error {
    let mut keys: Vec<&str> = path.as_deref().map(|p| p.split('.').collect()).unwrap_or_default();
    let what = if e.to_string().starts_with("missing field `") {
        let name = keys.pop().unwrap_or_default();
        format!("missing field `{name}`")
    } else {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "could not be read",
            serde_json::error::Category::Syntax => "is not JSON",
            serde_json::error::Category::Data => "has a value of the wrong type or form",
            serde_json::error::Category::Eof => "is cut short",
        };
        format!("the decrypted resource {kind} (the value is withheld)")
    };
    let kept: String = keys.iter().map(|k| format!("field `{k}`: ")).collect();
    Error::NotificationDecode {
        source: <serde_json::Error as serde::de::Error>::custom(format!("{kept}{what}")),
        body: String::new(),
    }
}

impl Client {
    /// Verifies a notification (see [`Client::verify_notification`]) and parses its body.
    /// A body that is not notification JSON is an [`Error::NotificationDecode`].
    pub fn parse_notification(&self, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<Notification, Error> {
        self.verify_notification(headers, body)?;
        let notification: Notification = serde_json::from_slice(body).map_err(|source| Error::NotificationDecode {
            source,
            body: String::from_utf8_lossy(body).into_owned(),
        })?;
        notification.check()?;
        Ok(notification)
    }

    /// Decrypts a notification resource (AES-256-GCM with the APIv3 key); the plaintext is
    /// JSON (a transaction, a refund, …). Needs [`ClientBuilder::apiv3_key`](crate::ClientBuilder::apiv3_key).
    pub fn decrypt_resource(&self, resource: &EncryptedResource) -> Result<Vec<u8>, Error> {
        let key = self.inner.apiv3_key.as_ref().ok_or_else(|| {
            Error::config(
                ConfigProblem::Missing,
                Setting::ApiV3Key,
                "no APIv3 key: call ClientBuilder::apiv3_key (or set WECHATPAY_APIV3_KEY)",
            )
        })?;
        resource.decrypt(key)
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
    /// 2. the envelope JSON → [`Error::NotificationDecode`];
    /// 3. the AES-256-GCM resource with the APIv3 key ([`ClientBuilder::apiv3_key`](crate::ClientBuilder::apiv3_key);
    ///    none → [`Error::Config`]): a wrong key or tampered ciphertext → [`Error::Decrypt`].
    ///
    /// The decrypted resource is typed by the generated `wechatpay::notifications::Resource::decode`
    /// (by event type; an unknown one is the raw JSON), or decoded into a type of your choice
    /// with [`NotificationEvent::decode_resource`]. Either is where a resource that is not JSON,
    /// or not of its event's shape, is an [`Error::NotificationDecode`] (the data withheld):
    /// type the resource before answering success.
    ///
    /// ```no_run
    /// # fn handler(client: &wechatpay::Client, headers: &wechatpay::runtime::HeaderMap, body: &[u8]) {
    /// use wechatpay::notifications::Resource;
    /// use wechatpay::runtime::NotificationAnswer;
    ///
    /// let answer = match client.handle_notification(headers, body).and_then(|e| Ok((Resource::decode(&e)?, e))) {
    ///     Ok((Resource::Transaction(tx), event)) => {
    ///         println!("{} paid: {:?} {:?}", event.id, tx.out_trade_no, tx.trade_state);
    ///         NotificationAnswer::success()
    ///     }
    ///     Ok(_) => NotificationAnswer::success(),
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
        let result = self
            .parse_notification(headers, body)
            .and_then(|notification| self.open_notification(notification));
        let event = result.as_ref().ok();
        observe::notification(
            event.map(|e| e.event_type.as_str()),
            event.map(|e| e.id.as_str()),
            result.as_ref().map(drop),
        );
        result
    }

    /// Decrypts a notification already verified and parsed (by [`Client::parse_notification`],
    /// or by [`Client::verify_signature`] followed by `serde_json::from_slice::<Notification>`).
    pub fn decrypt_notification(&self, notification: &Notification) -> Result<NotificationEvent, Error> {
        self.open_notification(notification.clone())
    }

    /// The event of `notification`, its resource decrypted (its strings moved into the event).
    fn open_notification(&self, notification: Notification) -> Result<NotificationEvent, Error> {
        let plaintext = self.decrypt_resource(&notification.resource)?;
        Ok(NotificationEvent::new(notification, plaintext))
    }
}

impl NotificationEvent {
    /// The event of `envelope` with its decrypted resource. Whether the resource is JSON, and
    /// of which shape, is checked when it is typed (`Resource::decode`, [`Self::decode_resource`]).
    pub(crate) fn new(envelope: Notification, plaintext: Vec<u8>) -> Self {
        let keys = keys::top_level_keys(&plaintext);
        let Notification {
            id,
            create_time,
            event_type,
            resource_type,
            summary,
            resource,
        } = envelope;
        NotificationEvent {
            id,
            create_time,
            event_type,
            resource_type,
            summary,
            original_type: resource.original_type,
            plaintext,
            keys,
        }
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
        NotificationAnswer {
            status: 204,
            body: String::new(),
        }
    }

    /// Accepted: `200 OK`, empty body (for frameworks that prefer 200).
    pub fn success_200() -> Self {
        NotificationAnswer {
            status: 200,
            body: String::new(),
        }
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
            Error::Decrypt(_) | Error::Decode { .. } | Error::NotificationDecode { .. } | Error::Envelope(_) => 400,
            _ => 500,
        };
        let message = match error {
            // The body of a Decode error is the decrypted payload: do not echo it.
            Error::Decode { source, .. } | Error::NotificationDecode { source, .. } => {
                format!("cannot decode the notification: {source}")
            }
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
