//! The simulator: the sandbox remembers what a merchant did and plays WeChat Pay's side of it
//! (issue 23). Orders created through the API are kept (per merchant), queried as they are
//! now, closed; the user's side is the control API under `/sandbox/` (plain JSON, unsigned,
//! from this machine only): `POST /sandbox/transactions/{out_trade_no}/pay` pays an order (or a
//! combine order, by its `combine_out_trade_no`: [`combine`]) and
//! delivers its `TRANSACTION.SUCCESS` notification to the order's `notify_url` (retried on the
//! platform's schedule, compressed by [`SimulatorConfig::schedule_factor`]),
//! `POST /sandbox/refunds/{out_refund_no}/complete` ends a refund (`SUCCESS`, `ABNORMAL`,
//! `CLOSED`) and delivers its `REFUND.*` notification, `POST
//! /sandbox/transfer-bills/{out_bill_no}/confirm` is the payee confirming a transfer bill
//! ([`transfers`]), `GET /sandbox/notifications` lists every
//! delivery and its attempts, `POST /sandbox/reset`
//! forgets everything, `POST /sandbox/clock` moves the simulator's clock, `POST`/`GET`/`DELETE
//! /sandbox/faults` asks for, lists and clears faults on purpose ([`faults`]).
//!
//! The day's bills are built from the orders and refunds ([`bills`]). Operations the simulator
//! does not keep state for keep the spec-driven example answer.

mod apiv2;
mod apiv2_refunds;
pub mod bills;
pub mod combine;
mod deliver;
mod encrypted_bills;
pub mod faults;
mod payments;
mod persist;
pub mod profitsharing;
mod refunds;
pub mod synthetic;
pub mod transfers;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::mock::{RecordedRequest, Reply, ResponseKey};

pub use combine::CombineOrder;
pub use deliver::{Attempt, Delivery, ATTEMPT_TIMEOUT, SCHEDULE};
pub use faults::{Fault, FaultKind};
pub use payments::Order;
pub use refunds::Refund;
pub use transfers::TransferBill;

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// The retry schedule's delays are multiplied by this (1.0: the platform's 15 s, 15 s,
    /// 30 s, 3 min, …; 0.001 in tests: 15 ms, 15 ms, 30 ms, …).
    pub schedule_factor: f64,
    /// Hands-off runs: every new order is paid by the user after this long (`None`: only
    /// when the control API says so).
    pub pay_after: Option<std::time::Duration>,
    /// Hands-off runs: every refund ends `SUCCESS` by itself after this long (`None`: only
    /// when the control API says so).
    pub complete_refunds_after: Option<std::time::Duration>,
    /// Every notification is delivered twice (the same id), as the platform may: the
    /// merchant's de-duplication is tested too.
    pub duplicates: bool,
    /// Out-of-order delivery: every other notification (the 1st, 3rd, …) is held back this
    /// long before its first attempt, so a later event can reach the merchant before an
    /// earlier one (a refund's before its payment's), as the platform does not promise order.
    /// Deterministic, so a test can rely on it.
    pub hold_back: Option<std::time::Duration>,
    /// Kept across restarts in this file ([`Simulator::persist`]); `None`: in memory only.
    pub state_file: Option<std::path::PathBuf>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            schedule_factor: 1.0,
            pay_after: None,
            complete_refunds_after: None,
            duplicates: false,
            hold_back: None,
            state_file: None,
        }
    }
}

/// The simulator's memory, shared by the server's handlers and the delivery tasks.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    apiv3_key: String,
    apiv2_key: String,
    response_key: ResponseKey,
    /// The merchant's public key (SubjectPublicKeyInfo DER): the encrypted bills' keys are
    /// encrypted to it.
    merchant_public_key_der: Vec<u8>,
    config: SimulatorConfig,
    http: reqwest::Client,
    /// Set by every access to the state: written again when kept in a file ([`persist`]).
    changed: std::sync::atomic::AtomicBool,
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct State {
    /// (merchant id, out_trade_no) → the order.
    #[serde(with = "persist::pairs")]
    orders: BTreeMap<(String, String), Order>,
    /// (combine_mchid, combine_out_trade_no) → the combine order.
    #[serde(with = "persist::pairs")]
    combine_orders: BTreeMap<(String, String), CombineOrder>,
    /// transaction_id → (merchant id, out_trade_no).
    transactions: HashMap<String, (String, String)>,
    /// (merchant id, out_refund_no) → the refund.
    #[serde(with = "persist::pairs")]
    refunds: BTreeMap<(String, String), Refund>,
    /// (merchant, `TYPE/account`) → a profit-sharing receiver, as added.
    #[serde(with = "persist::pairs")]
    receivers: BTreeMap<(String, String), Value>,
    /// (merchant, out_order_no) → a profit-sharing order (or unfreeze).
    #[serde(with = "persist::pairs")]
    sharing: BTreeMap<(String, String), profitsharing::SharingOrder>,
    /// (merchant, out_return_no) → a profit-sharing return.
    #[serde(with = "persist::pairs")]
    returns: BTreeMap<(String, String), profitsharing::ReturnOrder>,
    /// The transactions whose unshared rest went back to the merchant.
    unfrozen: std::collections::BTreeSet<String>,
    /// (merchant id, out_bill_no) → the transfer bill.
    #[serde(with = "persist::pairs")]
    transfers: BTreeMap<(String, String), TransferBill>,
    deliveries: Vec<Delivery>,
    /// download token → a bill built for it.
    #[serde(skip)]
    bills: HashMap<String, bills::BillFile>,
    /// Faults asked for (`POST /sandbox/faults`).
    #[serde(skip)]
    faults: faults::Faults,
    /// Seconds added to the real clock (`POST /sandbox/clock`).
    clock_offset: i64,
    /// For transaction ids.
    sequence: u64,
    /// Notifications made so far (every other one is held back, `SimulatorConfig::hold_back`).
    notifications_made: u64,
}

impl Simulator {
    /// A simulator that encrypts APIv3 notifications with `apiv3_key` and signs them with
    /// `response_key`, signs APIv2 ones with `apiv2_key`, and encrypts the encrypted bills'
    /// keys to the merchant's public key (`merchant_public_key_der`, SubjectPublicKeyInfo DER).
    pub fn new(
        apiv3_key: &str,
        apiv2_key: &str,
        response_key: ResponseKey,
        merchant_public_key_der: &[u8],
        config: SimulatorConfig,
    ) -> Simulator {
        Simulator {
            inner: Arc::new(Inner {
                state: Mutex::default(),
                apiv3_key: apiv3_key.to_owned(),
                apiv2_key: apiv2_key.to_owned(),
                response_key,
                merchant_public_key_der: merchant_public_key_der.to_vec(),
                config,
                http: reqwest::Client::new(),
                changed: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.changed.store(true, std::sync::atomic::Ordering::Release);
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulator's clock (Unix seconds): the real one, moved by `POST /sandbox/clock`.
    pub fn now(&self) -> i64 {
        crate::notify::unix_now() + self.state().clock_offset
    }

    /// Every notification delivery so far.
    pub fn notifications(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    /// Asks for a fault (what `POST /sandbox/faults` does); refused when it is not one.
    pub fn add_fault(&self, fault: Fault) -> Result<(), String> {
        fault.check()?;
        self.state().faults.add(fault);
        Ok(())
    }

    /// The faults asked for and not used up.
    pub fn faults(&self) -> Vec<Fault> {
        self.state().faults.list()
    }

    /// No more faults.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// Whether any fault is asked for (a request's names are worked out only then).
    pub fn has_faults(&self) -> bool {
        !self.state().faults.list_is_empty()
    }

    /// The fault for a request whose operation is named `names` (or for a notification, named
    /// [`faults::NOTIFICATIONS`]), counted as used.
    pub fn take_fault(&self, names: &[&str]) -> Option<faults::Taken> {
        self.state().faults.take(names)
    }

    /// Forgets every order, refund, delivery and fault.
    pub fn reset(&self) {
        *self.state() = State::default();
    }

    /// The user pays `out_trade_no` (what `POST /sandbox/transactions/{out_trade_no}/pay` does):
    /// the transaction as the query answers it now, or the platform's error
    /// (`ORDER_NOT_EXIST`, `ORDERPAID`, `ORDER_CLOSED`) as `(status, JSON body)`.
    pub fn pay_order(&self, out_trade_no: &str) -> Result<Value, (u16, Value)> {
        reply_json(self.pay(out_trade_no, &json!({})))
    }

    /// A refund ends with `outcome` (`SUCCESS`, `ABNORMAL`, `CLOSED`; what
    /// `POST /sandbox/refunds/{out_refund_no}/complete` does).
    pub fn complete(&self, out_refund_no: &str, outcome: &str) -> Result<Value, (u16, Value)> {
        reply_json(self.complete_refund(out_refund_no, &json!({ "outcome": outcome })))
    }

    /// The user confirms the transfer bill `out_bill_no`: it ends `outcome` (`SUCCESS`, or
    /// `FAIL`; what `POST /sandbox/transfer-bills/{out_bill_no}/confirm` does).
    pub fn confirm_transfer_bill(&self, out_bill_no: &str, outcome: &str) -> Result<Value, (u16, Value)> {
        reply_json(self.confirm_transfer(out_bill_no, &json!({ "outcome": outcome })))
    }

    /// The order `out_trade_no` of merchant `mchid`, as the simulator remembers it.
    pub fn order(&self, mchid: &str, out_trade_no: &str) -> Option<Order> {
        self.state()
            .orders
            .get(&(mchid.to_owned(), out_trade_no.to_owned()))
            .cloned()
    }

    /// The control API (`/sandbox/…`), or `None` for another path.
    pub fn control(&self, req: &RecordedRequest) -> Option<Reply> {
        let path = req.path().strip_prefix("/sandbox/")?;
        let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => return Some(Reply::error(400, "PARAM_ERROR", &format!("the body is not JSON: {e}"))),
            }
        };
        let segments: Vec<&str> = path.split('/').collect();
        Some(match (req.method.as_str(), segments.as_slice()) {
            ("POST", ["transactions", out_trade_no, "pay"]) => self.pay(&crate::decode(out_trade_no), &body),
            ("POST", ["refunds", out_refund_no, "complete"]) => {
                self.complete_refund(&crate::decode(out_refund_no), &body)
            }
            ("POST", ["transfer-bills", out_bill_no, "confirm"]) => {
                self.confirm_transfer(&crate::decode(out_bill_no), &body)
            }
            ("GET", ["notifications"]) => Reply::json(200, json!({ "data": self.notifications() })),
            ("POST", ["reset"]) => {
                self.reset();
                Reply::no_content()
            }
            ("POST", ["faults"]) => match serde_json::from_value::<Fault>(body) {
                Ok(fault) => match self.add_fault(fault) {
                    Ok(()) => Reply::json(200, json!({ "data": self.faults() })),
                    Err(why) => Reply::error(400, "PARAM_ERROR", &why),
                },
                Err(e) => Reply::error(400, "PARAM_ERROR", &format!("not a fault: {e}")),
            },
            ("GET", ["faults"]) => Reply::json(200, json!({ "data": self.faults() })),
            ("DELETE", ["faults"]) => {
                self.clear_faults();
                Reply::no_content()
            }
            ("POST", ["clock"]) => match body["advance_seconds"].as_i64() {
                Some(seconds) => {
                    self.state().clock_offset += seconds;
                    Reply::json(200, json!({ "now": crate::notify::rfc3339_beijing(self.now()) }))
                }
                None => Reply::error(400, "PARAM_ERROR", "give {\"advance_seconds\": N}"),
            },
            _ => Reply::error(
                404,
                "RESOURCE_NOT_EXISTS",
                &format!("no control API {} /sandbox/{path}", req.method),
            ),
        })
    }
}

/// A control answer as JSON: `Ok` for a 2xx.
fn reply_json(reply: Reply) -> Result<Value, (u16, Value)> {
    let body = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    if (200..300).contains(&reply.status) {
        Ok(body)
    } else {
        Err((reply.status, body))
    }
}
