//! A ledger in this process's memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Claim, ClaimToken, NotificationLedger, DEFAULT_LEASE};
use crate::Error;

/// A [`NotificationLedger`] in memory, for one process and for tests: the last `capacity`
/// handled ids (oldest forgotten first), and the claims being handled. Instances of a service
/// do not share it: use `RedisLedger` (feature `redis`) or your database
/// for a fleet.
#[derive(Debug)]
pub struct MemoryLedger {
    capacity: usize,
    lease: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Handled ids, and their order of completion (to forget the oldest).
    handled: HashMap<String, ()>,
    order: VecDeque<String>,
    /// Claimed ids: whose, until when.
    claims: HashMap<String, (ClaimToken, Instant)>,
}

impl MemoryLedger {
    /// A ledger that remembers up to `capacity` handled ids (at least 1), with claims of
    /// [`DEFAULT_LEASE`](super::DEFAULT_LEASE).
    pub fn new(capacity: usize) -> Self {
        MemoryLedger {
            capacity: capacity.max(1),
            lease: DEFAULT_LEASE,
            state: Mutex::default(),
        }
    }

    /// How long a claim holds before another delivery may take it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl NotificationLedger for MemoryLedger {
    async fn claim(&self, id: &str) -> Result<Claim, Error> {
        let mut state = self.state();
        if state.handled.contains_key(id) {
            return Ok(Claim::Handled);
        }
        let now = Instant::now();
        if state.claims.get(id).is_some_and(|(_, until)| *until > now) {
            return Ok(Claim::InProgress);
        }
        let token = ClaimToken::new();
        state.claims.insert(id.to_owned(), (token.clone(), now + self.lease));
        Ok(Claim::Claimed(token))
    }

    async fn complete(&self, id: &str, _token: &ClaimToken) -> Result<(), Error> {
        let mut state = self.state();
        state.claims.remove(id);
        if state.handled.insert(id.to_owned(), ()).is_none() {
            state.order.push_back(id.to_owned());
            while state.order.len() > self.capacity {
                if let Some(old) = state.order.pop_front() {
                    state.handled.remove(&old);
                }
            }
        }
        Ok(())
    }

    async fn release(&self, id: &str, token: &ClaimToken) -> Result<(), Error> {
        let mut state = self.state();
        if state.claims.get(id).is_some_and(|(held, _)| held == token) {
            state.claims.remove(id);
        }
        Ok(())
    }
}
