//! Faults on purpose: a merchant tests how their integration bears the platform's bad days.
//! A fault is asked for through `POST /sandbox/faults` (or [`Simulator::add_fault`](super::Simulator::add_fault)) for one
//! operation or for every request, for a number of requests or until cleared:
//!
//! - `latency`: the answer comes `latency_ms` late (the operation still takes effect: an order
//!   created by a call the client gave up on exists, as on the platform, and must be queried);
//! - `system_error`: `500 SYSTEM_ERROR`, nothing done (APIv2: `result_code` `FAIL`, `err_code`
//!   `SYSTEMERROR`);
//! - `frequency_limited`: `429 FREQUENCY_LIMITED`, nothing done (APIv2: `err_code` `FREQ_LIMIT`);
//! - `drop_connection`: the connection is closed with no answer, nothing done;
//! - `wrong_signature`: the answer is signed with a key that is not the platform's (APIv2: a
//!   wrong `sign`); for `"operation": "notifications"`, every notification delivered is;
//! - `other_key_mode`: the answer (or, for `notifications`, each notification) is signed in the
//!   other key mode than the sandbox's (WeChat Pay public key ↔ platform certificate), as during
//!   a merchant's migration from one to the other.
//!
//! The certificate download (`GET /v3/certificates`) and the control API are never faulted.

use serde::{Deserialize, Serialize};

use crate::mock::{RecordedRequest, Reply, ResponseKey, Tamper};

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Latency,
    SystemError,
    FrequencyLimited,
    DropConnection,
    WrongSignature,
    OtherKeyMode,
}

/// The target of a fault that is the notifications the simulator delivers, not an operation.
pub const NOTIFICATIONS: &str = "notifications";

/// One fault asked for (the body of `POST /sandbox/faults`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub fault: FaultKind,
    /// `"POST /v3/pay/transactions/jsapi"`: the method and the path, as requested or as the
    /// spec writes it (`GET /v3/pay/transactions/id/{transaction_id}`); APIv2 as requested
    /// (`POST /pay/orderquery`); [`NOTIFICATIONS`] for the deliveries; absent: every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// For `latency`: how late the answer comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// How many requests (or notifications) it affects before it is gone; absent: until
    /// cleared (`DELETE /sandbox/faults`, or a reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl Fault {
    /// What is wrong with this fault, when something is.
    pub fn check(&self) -> Result<(), String> {
        match (self.fault, self.latency_ms) {
            (FaultKind::Latency, None | Some(0)) => return Err("a latency fault gives latency_ms".into()),
            (FaultKind::Latency, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err("latency_ms is for a latency fault".into()),
        }
        if self.times == Some(0) {
            return Err("times is at least 1 (leave it out for a fault that stays)".into());
        }
        match self.operation.as_deref() {
            None => Ok(()),
            Some(NOTIFICATIONS) => match self.fault {
                FaultKind::WrongSignature | FaultKind::OtherKeyMode => Ok(()),
                _ => Err("a notification can be faulted with wrong_signature or other_key_mode".into()),
            },
            Some(operation) => match operation.split_once(' ') {
                Some((method, path))
                    if matches!(method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") && path.starts_with('/') =>
                {
                    Ok(())
                }
                _ => Err(format!(
                    "operation {operation:?} is a method and a path (\"POST /v3/pay/transactions/jsapi\") or \"notifications\""
                )),
            },
        }
    }

    /// Whether it applies to a request whose operation is written `names` (as requested, as
    /// the spec writes it), or to a notification (`names` = [`NOTIFICATIONS`]).
    fn applies_to(&self, names: &[&str]) -> bool {
        match self.operation.as_deref() {
            None => names != [NOTIFICATIONS],
            Some(operation) => names.contains(&operation),
        }
    }
}

/// The faults asked for, first asked first applied.
#[derive(Clone, Debug, Default)]
pub(super) struct Faults(Vec<Fault>);

impl Faults {
    pub(super) fn add(&mut self, fault: Fault) {
        self.0.push(fault);
    }

    pub(super) fn list_is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn list(&self) -> Vec<Fault> {
        self.0.clone()
    }

    /// The first fault for `names`, counted as used (gone after its last time).
    pub(super) fn take(&mut self, names: &[&str]) -> Option<Taken> {
        let at = self.0.iter().position(|f| f.applies_to(names))?;
        let fault = &mut self.0[at];
        let taken = Taken {
            kind: fault.fault,
            latency_ms: fault.latency_ms.unwrap_or_default(),
        };
        match &mut fault.times {
            Some(1) => {
                self.0.remove(at);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(taken)
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }
}

/// A fault taken for one request, with what it needs to be applied.
#[derive(Clone, Debug)]
pub struct Taken {
    pub kind: FaultKind,
    pub latency_ms: u64,
}

impl Taken {
    /// The answer given instead of doing the operation `req`, for the faults that do nothing
    /// (an APIv2 one signed with `apiv2_key`).
    pub fn instead(&self, req: &RecordedRequest, apiv2_key: &str) -> Option<Reply> {
        const ASKED: &str = "(a fault the sandbox was asked for)";
        let apiv2 = crate::mock::is_apiv2(req);
        Some(match (self.kind, apiv2) {
            (FaultKind::SystemError, false) => Reply::error(500, "SYSTEM_ERROR", &format!("系统错误 {ASKED}")),
            (FaultKind::FrequencyLimited, false) => {
                Reply::error(429, "FREQUENCY_LIMITED", &format!("频率超限 {ASKED}"))
            }
            (FaultKind::SystemError, true) => {
                crate::v2::business_failure(&req.body, apiv2_key, "SYSTEMERROR", &format!("系统错误 {ASKED}"))
            }
            (FaultKind::FrequencyLimited, true) => {
                crate::v2::business_failure(&req.body, apiv2_key, "FREQ_LIMIT", &format!("频率限制 {ASKED}"))
            }
            (FaultKind::DropConnection, _) => Reply::dropped(),
            _ => return None,
        })
    }

    /// The operation's answer, faulted as asked.
    pub fn after(&self, reply: Reply, apiv2: bool, key: &ResponseKey) -> Reply {
        match (self.kind, apiv2) {
            (FaultKind::Latency, _) => reply.delay(std::time::Duration::from_millis(self.latency_ms)),
            (FaultKind::WrongSignature, false) => reply.tamper(Tamper::WrongKey),
            (FaultKind::WrongSignature, true) => crate::v2::missign(reply),
            (FaultKind::OtherKeyMode, false) => reply.signed_by(other_key_mode(key)),
            _ => reply,
        }
    }
}

/// The sandbox's key of the other mode than `key`'s: the platform certificate's for the WeChat
/// Pay public key, and the other way round.
pub fn other_key_mode(key: &ResponseKey) -> ResponseKey {
    if key.serial() == crate::keys::WECHATPAY_PUBLIC_KEY_ID {
        ResponseKey::platform_certificate()
    } else {
        ResponseKey::wechatpay_public_key()
    }
}

/// How a request's operation can be named in a fault: as requested, and as the spec writes it.
pub fn names_of(req: &RecordedRequest, template: Option<&str>) -> Vec<String> {
    let mut names = vec![format!("{} {}", req.method, req.path())];
    if let Some(template) = template {
        names.push(format!("{} {template}", req.method));
    }
    names
}
