//! Combine payments (合单支付): one payment by the user for up to 50 sub-orders of several
//! (sub-)merchants. `POST /v3/combine-transactions/{jsapi,app,h5,native,miniprogram}` creates it
//! (`NOTPAY`, a `prepay_id`, `code_url` or `h5_url` the simulator knows; the same
//! `combine_out_trade_no` with the same body answers the same again, with another body
//! `OUT_TRADE_NO_USED`), `GET /v3/combine-transactions/out-trade-no/{combine_out_trade_no}` answers
//! it as it is now, `…/close` closes it (`ORDERPAID` once paid); the control API's
//! `POST /sandbox/transactions/{combine_out_trade_no}/pay` pays every sub-order at once and
//! delivers one `TRANSACTION.SUCCESS` carrying the combine answer. Refunds of sub-orders and
//! their bill rows are not simulated.

use serde_json::{json, Value};

use super::Simulator;
use crate::mock::Reply;

/// A combine order, as the simulator remembers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CombineOrder {
    /// `JSAPI`, `APP`, `NATIVE`, `MWEB`.
    pub trade_type: String,
    /// The create request's body, as sent.
    pub request: Value,
    /// `NOTPAY`, `SUCCESS`, `CLOSED` (every sub-order's).
    pub trade_state: String,
    /// The answer to the create request.
    pub created: Value,
    /// Once paid: the combine transaction id and one transaction id per sub-order.
    pub combine_transaction_id: Option<String>,
    pub transaction_ids: Vec<String>,
    /// Once paid, Unix seconds.
    pub success_time: Option<i64>,
}

impl CombineOrder {
    /// The combine order as the query answers it.
    pub fn answer(&self) -> Value {
        let r = &self.request;
        let paid = self.trade_state == "SUCCESS";
        let sub_orders: Vec<Value> = r["sub_orders"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, sub)| {
                let mut answer = json!({
                    "mchid": sub["mchid"],
                    "trade_type": self.trade_type,
                    "trade_state": self.trade_state,
                    "attach": sub["attach"],
                    "out_trade_no": sub["out_trade_no"],
                    "amount": {
                        "total_amount": sub["amount"]["total_amount"],
                        "currency": sub["amount"]["currency"],
                    },
                });
                for name in ["sub_mchid", "sub_appid"] {
                    if let Some(v) = sub.get(name) {
                        answer[name] = v.clone();
                    }
                }
                if paid {
                    answer["bank_type"] = "OTHERS".into();
                    answer["success_time"] = self.success_time.map(crate::notify::rfc3339_beijing).into();
                    answer["transaction_id"] = self.transaction_ids.get(i).cloned().into();
                    answer["amount"]["payer_amount"] = sub["amount"]["total_amount"].clone();
                    answer["amount"]["payer_currency"] = sub["amount"]["currency"].clone();
                }
                answer
            })
            .collect();
        let mut answer = json!({
            "combine_appid": r["combine_appid"],
            "combine_mchid": r["combine_mchid"],
            "combine_out_trade_no": r["combine_out_trade_no"],
            "sub_orders": sub_orders,
            "combine_payer_info": r["combine_payer_info"],
        });
        if let Some(id) = &self.combine_transaction_id {
            answer["combine_transaction_id"] = id.clone().into();
        }
        if let Some(scene) = r.get("scene_info") {
            answer["scene_info"] = scene.clone();
        }
        answer
    }
}

impl Simulator {
    /// The combine-payment operations, or `None` for another. `caller`: the merchant of the
    /// request's `Authorization`.
    pub(crate) fn combine(
        &self,
        method: &str,
        template: &str,
        values: &[(String, String)],
        caller: &str,
        body: Option<&Value>,
    ) -> Option<Reply> {
        let param = |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let trade_type = match template {
            "/v3/combine-transactions/jsapi" | "/v3/combine-transactions/miniprogram" => "JSAPI",
            "/v3/combine-transactions/app" => "APP",
            "/v3/combine-transactions/h5" => "MWEB",
            "/v3/combine-transactions/native" => "NATIVE",
            _ => "",
        };
        Some(match (method, template) {
            ("POST", _) if !trade_type.is_empty() => self.create_combine(trade_type, body?),
            ("GET", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}") => {
                let key = (caller.to_owned(), param("combine_out_trade_no")?);
                match self.state().combine_orders.get(&key) {
                    Some(order) => Reply::json(200, order.answer()),
                    None => Reply::error(404, "ORDER_NOT_EXIST", "订单不存在"),
                }
            }
            ("POST", "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close") => {
                let key = (caller.to_owned(), param("combine_out_trade_no")?);
                let mut state = self.state();
                match state.combine_orders.get_mut(&key) {
                    None => Reply::error(404, "ORDER_NOT_EXIST", "订单不存在"),
                    Some(order) if order.trade_state == "SUCCESS" => {
                        Reply::error(400, "ORDERPAID", "该订单已支付，不能关闭")
                    }
                    Some(order) => {
                        order.trade_state = "CLOSED".into();
                        Reply::no_content()
                    }
                }
            }
            _ => return None,
        })
    }

    fn create_combine(&self, trade_type: &str, body: &Value) -> Reply {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let key = (text(&body["combine_mchid"]), text(&body["combine_out_trade_no"]));
        let mut state = self.state();
        if let Some(order) = state.combine_orders.get(&key) {
            return match order.trade_state.as_str() {
                "SUCCESS" => Reply::error(400, "ORDERPAID", "该订单已支付"),
                "CLOSED" => Reply::error(400, "ORDER_CLOSED", "该订单已关闭"),
                _ if order.request == *body && order.trade_type == trade_type => {
                    Reply::json(200, order.created.clone())
                }
                _ => Reply::error(
                    400,
                    "OUT_TRADE_NO_USED",
                    "商户订单号重复: this combine_out_trade_no was used with other fields",
                ),
            };
        }
        let subs = body["sub_orders"].as_array().map_or(0, Vec::len);
        let mut numbers: Vec<&str> = body["sub_orders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["out_trade_no"].as_str())
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        if !(2..=50).contains(&subs) || numbers.len() != subs {
            return Reply::error(
                400,
                "PARAM_ERROR",
                "a combine payment has 2 to 50 sub-orders, each with its own out_trade_no",
            );
        }
        let created = super::payments::created_answer(trade_type, &mut state.sequence);
        state.combine_orders.insert(
            key,
            CombineOrder {
                trade_type: trade_type.to_owned(),
                request: body.clone(),
                trade_state: "NOTPAY".into(),
                created: created.clone(),
                combine_transaction_id: None,
                transaction_ids: Vec::new(),
                success_time: None,
            },
        );
        Reply::json(200, created)
    }

    /// The user pays the combine order `combine_out_trade_no` (the control API's pay): `None`
    /// when there is no such combine order.
    pub(crate) fn pay_combine(&self, combine_out_trade_no: &str) -> Option<Reply> {
        let now = self.now();
        let paid = {
            let mut state = self.state();
            let key = state
                .combine_orders
                .keys()
                .find(|(_, no)| no == combine_out_trade_no)
                .cloned()?;
            state.sequence += 1;
            let sequence = state.sequence;
            let order = state.combine_orders.get_mut(&key).expect("found above");
            match order.trade_state.as_str() {
                "SUCCESS" => return Some(Reply::error(400, "ORDERPAID", "该订单已支付")),
                "CLOSED" => return Some(Reply::error(400, "ORDER_CLOSED", "该订单已关闭")),
                _ => {}
            }
            let subs = order.request["sub_orders"].as_array().map_or(0, Vec::len);
            order.trade_state = "SUCCESS".into();
            order.success_time = Some(now);
            order.combine_transaction_id = Some(format!("43000{sequence:023}"));
            order.transaction_ids = (0..subs).map(|i| format!("42000{sequence:019}{i:04}")).collect();
            order.clone()
        };
        let answer = paid.answer();
        if let Some(url) = paid.request["notify_url"].as_str() {
            self.deliver("TRANSACTION.SUCCESS", url, &answer);
        }
        Some(Reply::json(200, answer))
    }
}
