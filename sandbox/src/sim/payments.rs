//! Payments (APIv3) of a direct merchant and of a service provider for a sub-merchant: JSAPI,
//! APP, Native and H5 orders created, queried by `out_trade_no` and by `transaction_id`, closed,
//! and paid by the user (the control API). A service provider's orders are kept under
//! `sp_mchid/sub_mchid`.

use serde_json::{json, Value};

use super::Simulator;
use crate::mock::Reply;

/// An order the simulator remembers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    /// `JSAPI`, `APP`, `NATIVE`, `MWEB`.
    pub trade_type: String,
    /// The create request's body, as sent (the same `out_trade_no` with other fields is refused).
    pub request: Value,
    /// `NOTPAY`, `SUCCESS`, `CLOSED`.
    pub trade_state: String,
    /// The answer to the create request (`prepay_id`, `code_url` or `h5_url`).
    pub created: Value,
    /// Once paid.
    pub transaction_id: Option<String>,
    /// Once paid, Unix seconds.
    pub success_time: Option<i64>,
    /// Once paid (a service provider's: the `sp_openid`, or the `sub_openid`).
    pub openid: Option<String>,
    /// A service provider's order (`sp_mchid`, `sub_mchid`).
    pub partner: bool,
    /// What the user paid, in fen.
    pub payer_total: Option<i64>,
}

impl Order {
    /// The order's amount, in fen.
    pub fn total(&self) -> i64 {
        self.request["amount"]["total"].as_i64().unwrap_or(0)
    }

    /// The order as the query answers it.
    pub fn transaction(&self) -> Value {
        let r = &self.request;
        let total = r["amount"]["total"].as_i64().unwrap_or(0);
        let currency = r["amount"]["currency"].as_str().unwrap_or("CNY");
        let mut t = if self.partner {
            json!({"sp_appid": r["sp_appid"], "sp_mchid": r["sp_mchid"], "sub_mchid": r["sub_mchid"]})
        } else {
            json!({"appid": r["appid"], "mchid": r["mchid"]})
        };
        if let Some(sub_appid) = r.get("sub_appid") {
            t["sub_appid"] = sub_appid.clone();
        }
        let common = json!({
            "out_trade_no": r["out_trade_no"],
            "trade_type": self.trade_type,
            "trade_state": self.trade_state,
            "trade_state_desc": match self.trade_state.as_str() {
                "SUCCESS" => "支付成功",
                "CLOSED" => "已关闭",
                "REVOKED" => "已撤销",
                "USERPAYING" => "用户支付中",
                "PAYERROR" => "支付失败",
                _ => "未支付",
            },
            "amount": {"total": total, "currency": currency},
        });
        for (k, v) in common.as_object().into_iter().flatten() {
            t[k] = v.clone();
        }
        if let Some(attach) = r.get("attach") {
            t["attach"] = attach.clone();
        }
        if let Some(id) = &self.transaction_id {
            t["transaction_id"] = json!(id);
            t["bank_type"] = json!("OTHERS");
            t["success_time"] = json!(crate::notify::rfc3339_beijing(self.success_time.unwrap_or(0)));
            t["payer"] = match (self.partner, r["payer"]["sub_openid"].is_string()) {
                (false, _) => json!({"openid": self.openid}),
                (true, false) => json!({"sp_openid": self.openid}),
                (true, true) => json!({"sub_openid": self.openid}),
            };
            t["amount"]["payer_total"] = json!(self.payer_total.unwrap_or(total));
            t["amount"]["payer_currency"] = json!(currency);
        }
        t
    }
}

impl Simulator {
    /// The answer of a payment operation the simulator keeps state for, or `None`.
    /// `template` is the operation's URL template, `values` its path parameters (decoded),
    /// `query` and `body` the request's.
    pub(crate) fn payments(
        &self,
        method: &str,
        template: &str,
        values: &[(String, String)],
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Option<Reply> {
        let param = |name: &str| {
            values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let field = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| body.and_then(|b| b[name].as_str()).map(str::to_owned))
                .unwrap_or_default()
        };
        // A service provider's operations are the direct ones under `/partner`.
        let partner = template.starts_with("/v3/pay/partner/transactions");
        let template = template.replacen("/v3/pay/partner/transactions", "/v3/pay/transactions", 1);
        let template = template.as_str();
        let mchid = if partner {
            format!("{}/{}", field("sp_mchid"), field("sub_mchid"))
        } else {
            field("mchid")
        };
        let trade_type = match template {
            "/v3/pay/transactions/jsapi" => "JSAPI",
            "/v3/pay/transactions/app" => "APP",
            "/v3/pay/transactions/native" => "NATIVE",
            "/v3/pay/transactions/h5" => "MWEB",
            "/v3/pay/transactions/codepay" => "MICROPAY",
            _ => "",
        };
        Some(match (method, template) {
            ("POST", _) if trade_type == "MICROPAY" => self.code_pay(&mchid, partner, body?),
            ("POST", _) if !trade_type.is_empty() => self.create(trade_type, &mchid, partner, body?),
            ("POST", "/v3/pay/transactions/out-trade-no/{out_trade_no}/reverse") => {
                let out_trade_no = param("out_trade_no");
                let mut state = self.state();
                match state.orders.get_mut(&(mchid.clone(), out_trade_no.clone())) {
                    None => order_not_exist(),
                    Some(order) => {
                        // Unpaid, it is closed; paid, the user gets the money back.
                        order.trade_state = "REVOKED".into();
                        let mut answer = json!({"mchid": field("mchid"), "out_trade_no": out_trade_no});
                        if partner {
                            answer = json!({"sp_mchid": field("sp_mchid"), "sub_mchid": field("sub_mchid"), "out_trade_no": out_trade_no});
                        }
                        Reply::json(200, answer)
                    }
                }
            }
            ("GET", "/v3/pay/transactions/out-trade-no/{out_trade_no}") => self.query(&mchid, &param("out_trade_no")),
            ("GET", "/v3/pay/transactions/id/{transaction_id}") => {
                let key = self.state().transactions.get(&param("transaction_id")).cloned();
                match key {
                    Some((owner, out_trade_no)) if owner == mchid => self.query(&mchid, &out_trade_no),
                    _ => order_not_exist(),
                }
            }
            ("POST", "/v3/pay/transactions/out-trade-no/{out_trade_no}/close") => {
                self.close(&mchid, &param("out_trade_no"))
            }
            _ => return None,
        })
    }

    /// `POST /v3/pay/transactions/codepay` (付款码支付): the order is created `USERPAYING` and
    /// answered `202 USERPAYING` (the user enters their password: the merchant queries until
    /// the control API's pay ends it `SUCCESS`, or `PAYERROR` with `{"outcome": "PAYERROR"}`);
    /// an `auth_code` that is not 18 digits beginning 10 to 15 is refused.
    fn code_pay(&self, merchant: &str, partner: bool, body: &Value) -> Reply {
        let auth_code = body["payer"]["auth_code"].as_str().unwrap_or_default();
        if !is_auth_code(auth_code) {
            return Reply::error(400, "PARAM_ERROR", "付款码无效，请重新扫码 (auth_code)");
        }
        match self.create_order("MICROPAY", merchant, partner, body) {
            Ok(_) => {
                let key = (
                    merchant.to_owned(),
                    body["out_trade_no"].as_str().unwrap_or_default().to_owned(),
                );
                if let Some(order) = self.state().orders.get_mut(&key) {
                    order.trade_state = "USERPAYING".into();
                }
                Reply::error(202, "USERPAYING", "需要用户输入支付密码")
            }
            Err(Refused::Paid) => Reply::error(400, "ORDERPAID", "该订单已支付"),
            Err(Refused::Closed) => Reply::error(400, "ORDER_CLOSED", "该订单已关闭"),
            Err(Refused::Reused) => Reply::error(400, "OUT_TRADE_NO_USED", "商户订单号重复"),
        }
    }

    fn create(&self, trade_type: &str, merchant: &str, partner: bool, body: &Value) -> Reply {
        match self.create_order(trade_type, merchant, partner, body) {
            Ok(created) => Reply::json(200, created),
            Err(Refused::Paid) => Reply::error(400, "ORDERPAID", "该订单已支付"),
            Err(Refused::Closed) => Reply::error(400, "ORDER_CLOSED", "该订单已关闭"),
            Err(Refused::Reused) => Reply::error(
                400,
                "OUT_TRADE_NO_USED",
                "商户订单号重复: this out_trade_no was used for an order with other fields",
            ),
        }
    }

    /// Creates an order (APIv3 or APIv2): what the create answers (`prepay_id`, `code_url` or
    /// `h5_url`), the same again for the same fields, or why the platform refuses it.
    pub(crate) fn create_order(
        &self,
        trade_type: &str,
        merchant: &str,
        partner: bool,
        body: &Value,
    ) -> Result<Value, Refused> {
        let key = (
            merchant.to_owned(),
            body["out_trade_no"].as_str().unwrap_or_default().to_owned(),
        );
        let mut state = self.state();
        if let Some(order) = state.orders.get(&key) {
            return match order.trade_state.as_str() {
                "SUCCESS" => Err(Refused::Paid),
                "CLOSED" => Err(Refused::Closed),
                _ if order.request == *body && order.trade_type == trade_type => Ok(order.created.clone()),
                _ => Err(Refused::Reused),
            };
        }
        let created = created_answer(trade_type, &mut state.sequence);
        let key_out_trade_no = key.1.clone();
        state.orders.insert(
            key,
            Order {
                trade_type: trade_type.to_owned(),
                request: body.clone(),
                trade_state: "NOTPAY".into(),
                created: created.clone(),
                transaction_id: None,
                success_time: None,
                openid: ["openid", "sp_openid", "sub_openid"]
                    .iter()
                    .find_map(|k| body["payer"][k].as_str())
                    .map(str::to_owned),
                partner,
                payer_total: None,
            },
        );
        // Hands-off runs: the user pays by itself after a while.
        if let Some(after) = self.inner.config.pay_after {
            let (this, out_trade_no) = (self.clone(), key_out_trade_no);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = this.pay(&out_trade_no, &json!({}));
            });
        }
        Ok(created)
    }

    fn query(&self, mchid: &str, out_trade_no: &str) -> Reply {
        match self.state().orders.get(&(mchid.to_owned(), out_trade_no.to_owned())) {
            Some(order) => Reply::json(200, order.transaction()),
            None => order_not_exist(),
        }
    }

    fn close(&self, mchid: &str, out_trade_no: &str) -> Reply {
        let mut state = self.state();
        match state.orders.get_mut(&(mchid.to_owned(), out_trade_no.to_owned())) {
            None => order_not_exist(),
            Some(order) if order.trade_state == "SUCCESS" => Reply::error(400, "ORDERPAID", "该订单已支付，不能关闭"),
            Some(order) => {
                order.trade_state = "CLOSED".into();
                Reply::no_content()
            }
        }
    }

    /// The user pays `out_trade_no` (`POST /sandbox/transactions/{out_trade_no}/pay`, body
    /// optional: `openid`, `payer_total`; `"outcome": "PAYERROR"` for a code payment the user
    /// fails): the order is `SUCCESS` and its notification is delivered. Answers the
    /// transaction as the query would.
    pub(crate) fn pay(&self, out_trade_no: &str, body: &Value) -> Reply {
        let now = self.now();
        let paid = {
            let mut state = self.state();
            let found = state
                .orders
                .iter()
                .find(|((_, o), _)| o == out_trade_no)
                .map(|(k, _)| k.clone());
            let Some(key) = found else {
                drop(state);
                return self.pay_combine(out_trade_no).unwrap_or_else(order_not_exist);
            };
            state.sequence += 1;
            let transaction_id = format!("42000{:023}", state.sequence);
            let order = state.orders.get_mut(&key).expect("found above");
            match order.trade_state.as_str() {
                "SUCCESS" => return Reply::error(400, "ORDERPAID", "该订单已支付"),
                "CLOSED" | "REVOKED" | "PAYERROR" => {
                    return Reply::error(400, "ORDER_CLOSED", &format!("该订单已关闭 ({})", order.trade_state))
                }
                _ => {}
            }
            // A code payment the user fails (a wrong password, a card refused): PAYERROR.
            if body["outcome"] == "PAYERROR" && order.trade_state == "USERPAYING" {
                order.trade_state = "PAYERROR".into();
                return Reply::json(200, order.transaction());
            }
            order.trade_state = "SUCCESS".into();
            order.transaction_id = Some(transaction_id.clone());
            order.success_time = Some(now);
            if let Some(openid) = body["openid"].as_str() {
                order.openid = Some(openid.to_owned());
            }
            order.openid.get_or_insert_with(|| "oSANDBOXpayer".into());
            order.payer_total = body["payer_total"]
                .as_i64()
                .or(order.request["amount"]["total"].as_i64());
            let order = order.clone();
            state.transactions.insert(transaction_id, key);
            order
        };
        let transaction = paid.transaction();
        match paid.request["notify_url"].as_str() {
            Some(url) if paid.request["apiv2"] == true => {
                let body = super::apiv2::payment_xml(&paid, &self.inner.apiv2_key);
                self.deliver_v2("TRANSACTION.SUCCESS", url, body);
            }
            Some(url) => self.deliver("TRANSACTION.SUCCESS", url, &transaction),
            None => {}
        }
        Reply::json(200, transaction)
    }
}

/// Why the platform refuses to create an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// It is paid already.
    Paid,
    /// It is closed.
    Closed,
    /// The `out_trade_no` was used with other fields.
    Reused,
}

/// What a create answers for `trade_type` (a `code_url`, an `h5_url` or a `prepay_id`), made
/// unique by the next number of `sequence`. The one maker of it, for orders and combine orders.
pub(crate) fn created_answer(trade_type: &str, sequence: &mut u64) -> Value {
    *sequence += 1;
    let token = format!("{:016X}{:08}", crate::notify::unix_now(), sequence);
    match trade_type {
        "NATIVE" => json!({ "code_url": format!("weixin://wxpay/bizpayurl?pr=SANDBOX{token}") }),
        "MWEB" => {
            json!({ "h5_url": format!("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx{token}") })
        }
        _ => json!({ "prepay_id": format!("wx{token}") }),
    }
}

/// A payment code (付款码): 18 digits beginning 10 to 15.
pub(crate) fn is_auth_code(code: &str) -> bool {
    code.len() == 18 && code.bytes().all(|b| b.is_ascii_digit()) && ("10".."16").contains(&&code[..2])
}

fn order_not_exist() -> Reply {
    Reply::error(404, "ORDER_NOT_EXIST", "订单不存在")
}
