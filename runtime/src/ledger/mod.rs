//! Each notification handled once, across every instance of the merchant's service.
//!
//! WeChat Pay delivers a notification again until it is answered with success (15 s, 15 s,
//! 30 s, 3 min, … over 24 h), may deliver one it got a success for once more, and may deliver
//! the same `id` to two instances at the same moment. A [`NotificationLedger`] makes the handler
//! run once per id: [`Client::handle_notification_once`] **claims** the id before running it
//! (only one delivery at a time holds a claim), **completes** it after the handler succeeded and
//! **releases** it when the handler failed (so that the next delivery runs it again); a claim
//! whose holder died (a crash, a deploy) expires after the ledger's lease.
//!
//! [`MemoryLedger`] serves one process (and tests); `RedisLedger` (feature `redis`) a fleet
//! that shares a Redis; a ledger of your own (a table with a unique key on the id) implements
//! the three calls.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::client::Client;
use crate::notify::{NotificationAnswer, NotificationEvent};
use crate::Error;

mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use self::redis::RedisLedger;
pub use memory::MemoryLedger;

/// How long a claim holds by default: longer than a handler takes, short enough that WeChat
/// Pay's next delivery after a crash runs the handler again.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// How long a handled id is remembered by default: WeChat Pay stops delivering after 24 h; a
/// late duplicate within three days is still recognised.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);

/// What [`NotificationLedger::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The id is this delivery's to handle until the lease ends: run the handler, then
    /// [`complete`](NotificationLedger::complete) or [`release`](NotificationLedger::release)
    /// with this token.
    Claimed(ClaimToken),
    /// The id was handled before: answer success, do not run the handler.
    Handled,
    /// Another delivery (another instance, or this one) is handling the id now: answer a
    /// failure, so that WeChat Pay delivers it again later (by then handled, or released).
    InProgress,
}

/// Which claim of an id is whose: a random value, so that a delivery releases only its own
/// claim, never one taken after its lease ended.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// A new random token.
    pub fn new() -> Self {
        ClaimToken(crate::crypto::nonce())
    }

    /// The token as text (to store beside the claim).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A token read back from a store.
    pub fn from_stored(text: impl Into<String>) -> Self {
        ClaimToken(text.into())
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        ClaimToken::new()
    }
}

impl fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClaimToken({})", self.0)
    }
}

/// Where the merchant's service remembers which notifications are handled, shared by all its
/// instances (see the module docs). Every call is atomic in the store: two deliveries of one id
/// claiming together get one [`Claim::Claimed`] and one [`Claim::InProgress`].
pub trait NotificationLedger: Send + Sync {
    /// Claims `id`: [`Claim::Claimed`] when it is neither handled nor claimed (or its claim
    /// expired), else [`Claim::Handled`] or [`Claim::InProgress`].
    fn claim(&self, id: &str) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Records `id` as handled (the handler succeeded), for the ledger's retention.
    fn complete(&self, id: &str, token: &ClaimToken) -> impl Future<Output = Result<(), Error>> + Send;

    /// Gives up the claim `token` holds on `id` (the handler failed): the next delivery claims
    /// it again. A claim that is no longer this token's is left alone.
    fn release(&self, id: &str, token: &ClaimToken) -> impl Future<Output = Result<(), Error>> + Send;
}

impl Client {
    /// Verifies and decrypts a notification ([`Client::handle_notification`]) and runs
    /// `handler` on it once across every instance that shares `ledger`; returns the answer to
    /// send.
    ///
    /// - not verifiable or not decryptable: the failure of [`NotificationAnswer::for_error`],
    ///   the handler is not run;
    /// - handled before: success, the handler is not run again;
    /// - being handled by another delivery: `503` with `FAIL` (WeChat Pay delivers again later);
    /// - the handler fails: the claim is released, `500` with `FAIL` and the handler's message;
    /// - the handler succeeds: the id is completed, then success.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client, headers: &wechatpay::runtime::HeaderMap, body: &[u8]) {
    /// use wechatpay::runtime::MemoryLedger;
    /// let ledger = MemoryLedger::new(10_000);
    /// let answer = client
    ///     .handle_notification_once(headers, body, &ledger, |event| async move {
    ///         // update the order in the database …
    ///         let _ = event;
    ///         Ok::<(), String>(())
    ///     })
    ///     .await;
    /// // reply with answer.status(), answer.content_type(), answer.body()
    /// # let _ = answer; }
    /// ```
    pub async fn handle_notification_once<L, F, Fut, E>(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
        ledger: &L,
        handler: F,
    ) -> NotificationAnswer
    where
        L: NotificationLedger + ?Sized,
        F: FnOnce(NotificationEvent) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: fmt::Display,
    {
        let event = match self.handle_notification(headers, body) {
            Ok(event) => event,
            Err(e) => return NotificationAnswer::for_error(&e),
        };
        let id = event.id.clone();
        let token = match ledger.claim(&id).await {
            Ok(Claim::Claimed(token)) => token,
            Ok(Claim::Handled) => return NotificationAnswer::success(),
            Ok(Claim::InProgress) => {
                return NotificationAnswer::failure(503, "this notification is being handled by another delivery")
            }
            Err(e) => return NotificationAnswer::failure(500, format!("cannot claim the notification: {e}")),
        };
        // The handler's error as text at once: nothing of it is held across the awaits below.
        let outcome = handler(event).await.map_err(|e| e.to_string());
        if let Err(message) = outcome {
            // Released or not (the lease ends it anyway), the answer is the handler's failure.
            let _ = ledger.release(&id, &token).await;
            return NotificationAnswer::failure(500, message);
        }
        match ledger.complete(&id, &token).await {
            Ok(()) => NotificationAnswer::success(),
            Err(e) => NotificationAnswer::failure(500, format!("cannot record the notification: {e}")),
        }
    }
}
