//! A ledger in Redis (feature `redis`): the store a merchant's fleet already shares.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;

use super::{Claim, ClaimToken, NotificationLedger, DEFAULT_LEASE, DEFAULT_RETENTION};
use crate::Error;

/// A [`NotificationLedger`] in Redis, shared by every instance connected to it.
///
/// One key per notification id (`<prefix><id>`): `claimed:<token>` while a delivery handles it
/// (expiring after the lease, so that a crashed holder does not block it), then `done`
/// (expiring after the retention). Each call is one atomic step on the server (a Lua script), so
/// two instances claiming one id together get one claim.
#[derive(Clone)]
pub struct RedisLedger {
    connection: ConnectionManager,
    prefix: String,
    lease: Duration,
    retention: Duration,
}

impl std::fmt::Debug for RedisLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLedger")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

/// The claim, atomically: a free (or expired) key becomes `claimed:<token>` for the lease.
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'claimed:' .. ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == 'done' then return 'done' end
return 'busy'
";

/// The release, atomically: only the claim of this token is deleted.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == 'claimed:' .. ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

impl RedisLedger {
    /// A ledger over `client` (`redis::Client::open("redis://127.0.0.1/")`), with keys under
    /// `wechatpay:notification:`, claims of [`DEFAULT_LEASE`](super::DEFAULT_LEASE) and handled
    /// ids kept for [`DEFAULT_RETENTION`](super::DEFAULT_RETENTION). The connection reconnects by
    /// itself; the ledger is cheap to clone.
    pub async fn new(client: redis::Client) -> Result<Self, Error> {
        let connection = ConnectionManager::new(client).await.map_err(store_error)?;
        Ok(RedisLedger {
            connection,
            prefix: "wechatpay:notification:".into(),
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
        })
    }

    /// The prefix of the ledger's keys (one ledger per prefix).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a claim holds before another delivery may take it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a handled id is remembered.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn store_error(e: redis::RedisError) -> Error {
    Error::Ledger(Box::new(e))
}

impl NotificationLedger for RedisLedger {
    async fn claim(&self, id: &str) -> Result<Claim, Error> {
        let token = ClaimToken::new();
        let mut connection = self.connection.clone();
        let found: String = Script::new(CLAIM)
            .key(self.key(id))
            .arg(token.as_str())
            .arg(millis(self.lease))
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(match found.as_str() {
            "claimed" => Claim::Claimed(token),
            "done" => Claim::Handled,
            _ => Claim::InProgress,
        })
    }

    async fn complete(&self, id: &str, _token: &ClaimToken) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(self.key(id))
            .arg("done")
            .arg("PX")
            .arg(millis(self.retention))
            .query_async::<()>(&mut connection)
            .await
            .map_err(store_error)
    }

    async fn release(&self, id: &str, token: &ClaimToken) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        Script::new(RELEASE)
            .key(self.key(id))
            .arg(token.as_str())
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(store_error)
    }
}
