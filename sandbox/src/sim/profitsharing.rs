//! Profit sharing (分账) on the simulator's orders: receivers added and deleted
//! (`/v3/profitsharing/receivers/{add,delete}`), a paid order whose create asked for it
//! (`settle_info.profit_sharing`) shared among them (`POST /v3/profitsharing/orders`, queried by
//! `out_order_no`), what is left of it (`GET /v3/profitsharing/transactions/{transaction_id}/amounts`)
//! unfrozen back to the merchant (`…/orders/unfreeze`), a share taken back from a merchant
//! receiver (`/v3/profitsharing/return-orders`, queried by `out_return_no`).
//!
//! The platform's codes (its Go SDK's tables): `RESOURCE_NOT_EXISTS` for an unknown order or
//! record, `INVALID_REQUEST` for an order that did not ask for profit sharing or an
//! `out_order_no` used with other fields, `NOT_ENOUGH` (403) for more than is left (or nothing
//! left to unfreeze). Simplified: a sharing order is `FINISHED` at once, each receiver
//! `SUCCESS` (or `CLOSED`, `NO_RELATION`, when it was never added); what can be shared is the
//! whole amount paid (the platform takes its fee and a ratio limit off first); no
//! `PROFITSHARING.*` notification is delivered (those go to a URL configured on the platform).

use serde_json::{json, Value};

use super::Simulator;
use crate::mock::Reply;

/// A sharing order (or an unfreeze), as the query answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SharingOrder {
    pub transaction_id: String,
    /// The create request's body, as sent.
    pub request: Value,
    pub answer: Value,
}

/// A return order, as the query answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ReturnOrder {
    pub request: Value,
    pub answer: Value,
}

impl Simulator {
    /// The profit-sharing operations, or `None` for another.
    pub(crate) fn profit_sharing(
        &self,
        method: &str,
        template: &str,
        values: &[(String, String)],
        query: &[(String, String)],
        caller: &str,
        body: Option<&Value>,
    ) -> Option<Reply> {
        let rest = template.strip_prefix("/v3/profitsharing/")?;
        let param = |name: &str| {
            values
                .iter()
                .chain(query)
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        // A service provider acts for a sub-merchant (`sub_mchid`): its records are `sp/sub`.
        let merchant = |sub: Option<&str>| match sub.filter(|s| !s.is_empty()) {
            Some(sub) => format!("{caller}/{sub}"),
            None => caller.to_owned(),
        };
        let sub_of_body = || body.and_then(|b| b["sub_mchid"].as_str());
        Some(match (method, rest) {
            ("POST", "receivers/add") => {
                let body = body?;
                let key = (merchant(sub_of_body()), receiver_key(body));
                self.state().receivers.insert(key, body.clone());
                Reply::json(
                    200,
                    receiver_answer(body, &["name", "relation_type", "custom_relation"]),
                )
            }
            ("POST", "receivers/delete") => {
                let body = body?;
                let key = (merchant(sub_of_body()), receiver_key(body));
                self.state().receivers.remove(&key);
                Reply::json(200, receiver_answer(body, &[]))
            }
            ("POST", "orders") => self.share(&merchant(sub_of_body()), body?),
            ("POST", "orders/unfreeze") => self.unfreeze(&merchant(sub_of_body()), body?),
            ("GET", "orders/{out_order_no}") => {
                let key = (merchant(Some(&param("sub_mchid"))), param("out_order_no"));
                match self.state().sharing.get(&key) {
                    Some(order) if order.transaction_id == param("transaction_id") => {
                        Reply::json(200, order.answer.clone())
                    }
                    _ => not_exists(),
                }
            }
            ("GET", "transactions/{transaction_id}/amounts") => {
                let transaction_id = param("transaction_id");
                match self.unsplit(caller, &transaction_id) {
                    Ok(left) => Reply::json(200, json!({"transaction_id": transaction_id, "unsplit_amount": left})),
                    Err(reply) => *reply,
                }
            }
            ("POST", "return-orders") => self.take_back(&merchant(sub_of_body()), body?),
            ("GET", "return-orders/{out_return_no}") => {
                let key = (merchant(Some(&param("sub_mchid"))), param("out_return_no"));
                match self.state().returns.get(&key) {
                    Some(order) if order.answer["out_order_no"] == param("out_order_no").as_str() => {
                        Reply::json(200, order.answer.clone())
                    }
                    _ => not_exists(),
                }
            }
            _ => return None,
        })
    }

    /// What is left to share of a paid order of `merchant` (or of its sub-merchants) that
    /// asked for profit sharing.
    fn unsplit(&self, merchant: &str, transaction_id: &str) -> Result<i64, Box<Reply>> {
        let state = self.state();
        let order = state
            .transactions
            .get(transaction_id)
            .filter(|(owner, _)| owner == merchant || owner.starts_with(&format!("{merchant}/")))
            .and_then(|key| state.orders.get(key))
            .ok_or_else(|| Box::new(Reply::error(404, "RESOURCE_NOT_EXISTS", "订单不存在")))?;
        if order.request["settle_info"]["profit_sharing"] != true {
            return Err(Box::new(Reply::error(400, "INVALID_REQUEST", "非分账订单不支持分账")));
        }
        if state.unfrozen.contains(transaction_id) {
            return Ok(0);
        }
        let shared: i64 = state
            .sharing
            .values()
            .filter(|o| o.transaction_id == transaction_id)
            .flat_map(|o| o.answer["receivers"].as_array().cloned().unwrap_or_default())
            .filter(|r| r["result"] == "SUCCESS")
            .map(|r| r["amount"].as_i64().unwrap_or(0))
            .sum();
        Ok(order.payer_total.unwrap_or_else(|| order.total()) - shared)
    }

    fn share(&self, merchant: &str, body: &Value) -> Reply {
        let (transaction_id, out_order_no) = (text(&body["transaction_id"]), text(&body["out_order_no"]));
        if let Some(existing) = self.state().sharing.get(&(merchant.to_owned(), out_order_no.clone())) {
            return same_again(&existing.request, body, &existing.answer);
        }
        let left = match self.unsplit(merchant, &transaction_id) {
            Ok(left) => left,
            Err(reply) => return *reply,
        };
        let asked: i64 = body["receivers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["amount"].as_i64().unwrap_or(0))
            .sum();
        if asked > left || asked <= 0 {
            return Reply::error(403, "NOT_ENOUGH", &format!("分账金额不足: {asked} asked, {left} left"));
        }
        let now = crate::notify::rfc3339_beijing(self.now());
        let mut state = self.state();
        let receivers: Vec<Value> = body["receivers"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| {
                let known = state.receivers.contains_key(&(merchant.to_owned(), receiver_key(r)));
                let mut result = json!({
                    "amount": r["amount"], "description": r["description"], "type": r["type"],
                    "account": r["account"], "result": if known { "SUCCESS" } else { "CLOSED" },
                    "detail_id": format!("36011111111111111111111111{i:04}"),
                    "create_time": now, "finish_time": now,
                });
                if !known {
                    result["fail_reason"] = "NO_RELATION".into();
                }
                result
            })
            .collect();
        let answer = self.sharing_answer(&mut state.sequence, merchant, &transaction_id, &out_order_no, receivers);
        if body["unfreeze_unsplit"] == true {
            state.unfrozen.insert(transaction_id.clone());
        }
        keep_sharing(&mut state, merchant, out_order_no, transaction_id, body, answer)
    }

    /// What is left goes back to the merchant: a sharing order whose one receiver is the
    /// merchant itself.
    fn unfreeze(&self, merchant: &str, body: &Value) -> Reply {
        let (transaction_id, out_order_no) = (text(&body["transaction_id"]), text(&body["out_order_no"]));
        if let Some(existing) = self.state().sharing.get(&(merchant.to_owned(), out_order_no.clone())) {
            return same_again(&existing.request, body, &existing.answer);
        }
        let left = match self.unsplit(merchant, &transaction_id) {
            Ok(0) => return Reply::error(403, "NOT_ENOUGH", "分账金额为0: nothing is left to unfreeze"),
            Ok(left) => left,
            Err(reply) => return *reply,
        };
        let now = crate::notify::rfc3339_beijing(self.now());
        let own = merchant.rsplit('/').next().unwrap_or(merchant);
        let mut state = self.state();
        let receivers = vec![json!({
            "amount": left, "description": "解冻给分账方", "type": "MERCHANT_ID", "account": own,
            "result": "SUCCESS", "detail_id": "36011111111111111111111111UNFZ",
            "create_time": now, "finish_time": now,
        })];
        let answer = self.sharing_answer(&mut state.sequence, merchant, &transaction_id, &out_order_no, receivers);
        state.unfrozen.insert(transaction_id.clone());
        keep_sharing(&mut state, merchant, out_order_no, transaction_id, body, answer)
    }

    fn sharing_answer(
        &self,
        sequence: &mut u64,
        merchant: &str,
        transaction_id: &str,
        out_order_no: &str,
        receivers: Vec<Value>,
    ) -> Value {
        *sequence += 1;
        let mut answer = json!({
            "transaction_id": transaction_id,
            "out_order_no": out_order_no,
            "order_id": format!("30000{:023}", sequence),
            "state": "FINISHED",
            "receivers": receivers,
        });
        if let Some((_, sub)) = merchant.split_once('/') {
            answer["sub_mchid"] = sub.into();
        }
        answer
    }

    /// A share taken back from a merchant receiver (at most what it was given, less what was
    /// taken back before).
    fn take_back(&self, merchant: &str, body: &Value) -> Reply {
        let out_return_no = text(&body["out_return_no"]);
        let now = crate::notify::rfc3339_beijing(self.now());
        let mut state = self.state();
        if let Some(existing) = state.returns.get(&(merchant.to_owned(), out_return_no.clone())) {
            return same_again(&existing.request, body, &existing.answer);
        }
        let out_order_no = text(&body["out_order_no"]);
        let Some(order) = state.sharing.get(&(merchant.to_owned(), out_order_no.clone())) else {
            return not_exists();
        };
        let return_mchid = text(&body["return_mchid"]);
        let given: i64 = order.answer["receivers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["type"] == "MERCHANT_ID" && r["account"] == return_mchid.as_str() && r["result"] == "SUCCESS")
            .map(|r| r["amount"].as_i64().unwrap_or(0))
            .sum();
        let order_id = order.answer["order_id"].clone();
        let taken: i64 = state
            .returns
            .values()
            .filter(|r| {
                r.answer["out_order_no"] == out_order_no.as_str() && r.answer["return_mchid"] == return_mchid.as_str()
            })
            .map(|r| r.answer["amount"].as_i64().unwrap_or(0))
            .sum();
        let amount = body["amount"].as_i64().unwrap_or(0);
        if amount <= 0 || amount > given - taken {
            return Reply::error(
                403,
                "NOT_ENOUGH",
                &format!("回退金额超过可回退金额: {amount} asked, {} left", given - taken),
            );
        }
        state.sequence += 1;
        let mut answer = json!({
            "order_id": order_id, "out_order_no": out_order_no, "out_return_no": out_return_no,
            "return_id": format!("30000{:023}", state.sequence), "return_mchid": return_mchid,
            "amount": amount, "description": body["description"], "result": "SUCCESS",
            "create_time": now, "finish_time": now,
        });
        if let Some((_, sub)) = merchant.split_once('/') {
            answer["sub_mchid"] = sub.into();
        }
        state.returns.insert(
            (merchant.to_owned(), out_return_no),
            ReturnOrder {
                request: body.clone(),
                answer: answer.clone(),
            },
        );
        Reply::json(200, answer)
    }
}

/// A receiver's key: its type and account.
/// Remembers a sharing order (its request, so that the same one again gets the same answer)
/// and answers it.
fn keep_sharing(
    state: &mut super::State,
    merchant: &str,
    out_order_no: String,
    transaction_id: String,
    body: &Value,
    answer: Value,
) -> Reply {
    let order = SharingOrder {
        transaction_id,
        request: body.clone(),
        answer: answer.clone(),
    };
    state.sharing.insert((merchant.to_owned(), out_order_no), order);
    Reply::json(200, answer)
}

fn receiver_key(receiver: &Value) -> String {
    format!("{}/{}", text(&receiver["type"]), text(&receiver["account"]))
}

/// The add and delete answers: the receiver's `sub_mchid`, `type`, `account` and `extra` fields.
fn receiver_answer(body: &Value, extra: &[&str]) -> Value {
    let mut answer = json!({"type": body["type"], "account": body["account"]});
    for name in ["sub_mchid"].iter().chain(extra) {
        if let Some(v) = body.get(*name) {
            answer[*name] = v.clone();
        }
    }
    answer
}

/// The same number again: the same answer for the same body, else `INVALID_REQUEST`.
fn same_again(request: &Value, body: &Value, answer: &Value) -> Reply {
    if request == body {
        Reply::json(200, answer.clone())
    } else {
        Reply::error(
            400,
            "INVALID_REQUEST",
            "单号重复: this number was used with other fields",
        )
    }
}

fn not_exists() -> Reply {
    Reply::error(404, "RESOURCE_NOT_EXISTS", "记录不存在")
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}
