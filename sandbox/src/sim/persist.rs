//! The simulator's state kept across restarts (`SimulatorConfig::state_file`, `wechatpay sandbox
//! --state FILE`): read at start, written (to a temporary file, then renamed over it) within
//! 0.2 s of a change. Kept: orders, combine orders, refunds, deliveries, the clock and the
//! numbering; not kept: faults, bill download tokens, and the deliveries and hands-off timers in
//! flight when the process stopped (a notification not yet delivered is not tried again).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Simulator, State};

/// How often a changed state is written.
const EVERY: Duration = Duration::from_millis(200);

impl Simulator {
    /// Keeps the state in `path`: what it holds is read now (a missing file is an empty state;
    /// one that is not the simulator's state is an error naming it), and every change is
    /// written to it. Call on a tokio runtime.
    pub fn persist(&self, path: PathBuf) -> Result<(), String> {
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let state: State = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{}: line {}, column {}: not the simulator's state: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                )
            })?;
            *self.state() = state;
        }
        write(&path, &snapshot(&self.inner.state))?;
        let inner = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(EVERY).await;
                let Some(inner) = inner.upgrade() else { return };
                if inner.changed.swap(false, Ordering::AcqRel) {
                    if let Err(e) = write(&path, &snapshot(&inner.state)) {
                        eprintln!("wechatpay sandbox: cannot keep the simulator's state: {e}");
                    }
                }
            }
        });
        Ok(())
    }
}

/// The state as JSON, taken under the lock (written outside it).
fn snapshot(state: &std::sync::Mutex<State>) -> Vec<u8> {
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    serde_json::to_vec(&*state).expect("the state serialises")
}

/// Writes `text` to `path` through a temporary file beside it (a crash never leaves half a file).
fn write(path: &Path, text: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).map_err(|e| format!("{}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A map with tuple keys, kept as a list of `[key, value]` pairs (JSON's keys are strings).
pub(super) mod pairs {
    use super::*;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|pairs| pairs.into_iter().collect())
    }
}
