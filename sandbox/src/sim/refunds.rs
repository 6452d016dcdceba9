//! Refunds of a direct merchant (APIv3): validated as the platform validates them (the order
//! paid, the amount within what is left, the currency, `out_refund_no` idempotent), then
//! `PROCESSING` until the control API completes them (`SUCCESS`, `ABNORMAL`, `CLOSED`), which
//! delivers the `REFUND.*` notification.

use serde_json::{json, Value};

use super::Simulator;
use crate::mock::Reply;

/// Why the platform refuses a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefundRefused {
    /// The `out_refund_no` was used with other fields.
    Reused,
    /// No such order of this merchant.
    NoOrder,
    /// The order is not paid.
    NotPaid,
    /// The `total` is not the order's.
    OtherTotal,
    /// The currency is not the order's.
    OtherCurrency,
    /// More than is left to refund.
    TooMuch { asked: i64, left: i64 },
}

/// A refund the simulator remembers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Refund {
    /// Whose: a merchant id, or a service provider's `sp_mchid/sub_mchid`.
    pub merchant: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// The order's numbers.
    pub out_trade_no: String,
    pub transaction_id: String,
    /// WeChat Pay's refund number.
    pub refund_id: String,
    /// Refunded, and the order's total, in fen.
    pub refund: i64,
    pub total: i64,
    pub currency: String,
    /// `PROCESSING`, `SUCCESS`, `ABNORMAL`, `CLOSED`.
    pub status: String,
    /// Unix seconds.
    pub create_time: i64,
    pub success_time: Option<i64>,
    /// Where `REFUND.*` is delivered.
    pub notify_url: Option<String>,
    /// The create request's body (the same `out_refund_no` with other fields is refused).
    pub request: Value,
}

impl Refund {
    /// The refund as the create and query answers give it.
    pub fn answer(&self) -> Value {
        let mut r = json!({
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": crate::notify::rfc3339_beijing(self.create_time),
            "status": self.status,
            "amount": {
                "total": self.total,
                "refund": self.refund,
                "payer_total": self.total,
                "payer_refund": self.refund,
                "settlement_total": self.total,
                "settlement_refund": self.refund,
                "discount_refund": 0,
                "currency": self.currency,
            },
        });
        if let Some(t) = self.success_time {
            r["success_time"] = json!(crate::notify::rfc3339_beijing(t));
        }
        // The notification's resource also names the merchant.
        match self.merchant.split_once('/') {
            Some((sp, sub)) => {
                r["sp_mchid"] = json!(sp);
                r["sub_mchid"] = json!(sub);
            }
            None => r["mchid"] = json!(self.merchant),
        }
        r
    }
}

impl Simulator {
    /// The answer of a refund operation the simulator keeps state for, or `None`. `mchid` is
    /// the caller's (its signature's).
    pub(crate) fn refunds(
        &self,
        method: &str,
        template: &str,
        values: &[(String, String)],
        mchid: &str,
        body: Option<&Value>,
    ) -> Option<Reply> {
        match (method, template) {
            ("POST", "/v3/refund/domestic/refunds") => Some(self.create_refund(mchid, body?)),
            ("GET", "/v3/refund/domestic/refunds/{out_refund_no}") => {
                let out_refund_no = values
                    .iter()
                    .find(|(k, _)| k == "out_refund_no")
                    .map(|(_, v)| v.as_str())?;
                Some(
                    match self.state().refunds.get(&(mchid.to_owned(), out_refund_no.to_owned())) {
                        Some(refund) => Reply::json(200, refund.answer()),
                        None => Reply::error(404, "RESOURCE_NOT_EXISTS", "退款单不存在"),
                    },
                )
            }
            _ => None,
        }
    }

    fn create_refund(&self, mchid: &str, body: &Value) -> Reply {
        match self.refund_order(mchid, body) {
            Ok(refund) => Reply::json(200, refund.answer()),
            Err(RefundRefused::Reused) => Reply::error(
                400,
                "INVALID_REQUEST",
                "商户退款单号重复: this out_refund_no was used with other fields",
            ),
            Err(RefundRefused::NoOrder) => Reply::error(404, "RESOURCE_NOT_EXISTS", "订单不存在"),
            Err(RefundRefused::NotPaid) => Reply::error(404, "RESOURCE_NOT_EXISTS", "订单未支付，不能发起退款"),
            Err(RefundRefused::OtherTotal) => Reply::error(400, "PARAM_ERROR", "订单金额与原订单金额不一致"),
            Err(RefundRefused::OtherCurrency) => Reply::error(400, "PARAM_ERROR", "退款币种与原订单币种不一致"),
            Err(RefundRefused::TooMuch { asked, left }) => Reply::error(
                400,
                "INVALID_REQUEST",
                &format!("申请退款金额超过订单可退金额: {asked} asked, {left} left"),
            ),
        }
    }

    /// Refunds an order (APIv3 or APIv2; `body` in APIv3's shape): the refund, `PROCESSING`
    /// (the same again for the same `out_refund_no` and fields), or why the platform refuses.
    pub(crate) fn refund_order(&self, mchid: &str, body: &Value) -> Result<Refund, RefundRefused> {
        let out_refund_no = body["out_refund_no"].as_str().unwrap_or_default().to_owned();
        let refund = body["amount"]["refund"].as_i64().unwrap_or(0);
        let total = body["amount"]["total"].as_i64().unwrap_or(0);
        let currency = body["amount"]["currency"].as_str().unwrap_or("CNY").to_owned();
        let now = self.now();
        let mut state = self.state();
        if let Some(existing) = state.refunds.get(&(mchid.to_owned(), out_refund_no.clone())) {
            return if existing.request == *body {
                Ok(existing.clone())
            } else {
                Err(RefundRefused::Reused)
            };
        }
        // The order: by out_trade_no or transaction_id, of this merchant, paid.
        // A service provider refunds for a sub-merchant: its orders are kept as `sp/sub`.
        let owner = match body["sub_mchid"].as_str() {
            Some(sub) => format!("{mchid}/{sub}"),
            None => mchid.to_owned(),
        };
        let key = match (body["out_trade_no"].as_str(), body["transaction_id"].as_str()) {
            (Some(o), _) => Some((owner, o.to_owned())),
            (None, Some(t)) => state.transactions.get(t).cloned(),
            (None, None) => None,
        };
        let Some(order) = key.as_ref().and_then(|k| state.orders.get(k)) else {
            return Err(RefundRefused::NoOrder);
        };
        if order.trade_state != "SUCCESS" {
            return Err(RefundRefused::NotPaid);
        }
        let paid = order.payer_total.unwrap_or(0);
        let order_total = order.request["amount"]["total"].as_i64().unwrap_or(0);
        let order_currency = order.request["amount"]["currency"].as_str().unwrap_or("CNY");
        if total != order_total {
            return Err(RefundRefused::OtherTotal);
        }
        if currency != order_currency {
            return Err(RefundRefused::OtherCurrency);
        }
        let (out_trade_no, transaction_id) = (
            order.request["out_trade_no"].as_str().unwrap_or_default().to_owned(),
            order.transaction_id.clone().unwrap_or_default(),
        );
        let refunded: i64 = state
            .refunds
            .values()
            .filter(|r| r.transaction_id == transaction_id && r.status != "CLOSED" && r.status != "ABNORMAL")
            .map(|r| r.refund)
            .sum();
        if refund <= 0 || refund > paid - refunded {
            return Err(RefundRefused::TooMuch {
                asked: refund,
                left: paid - refunded,
            });
        }
        state.sequence += 1;
        let created = Refund {
            merchant: key.map(|(owner, _)| owner).unwrap_or_default(),
            out_refund_no: out_refund_no.clone(),
            out_trade_no,
            transaction_id,
            refund_id: format!("50000{:024}", state.sequence),
            refund,
            total,
            currency,
            status: "PROCESSING".into(),
            create_time: now,
            success_time: None,
            notify_url: body["notify_url"].as_str().map(str::to_owned),
            request: body.clone(),
        };
        state
            .refunds
            .insert((mchid.to_owned(), out_refund_no.clone()), created.clone());
        drop(state);
        // Hands-off runs: the refund succeeds by itself after a while.
        if let Some(after) = self.inner.config.complete_refunds_after {
            let this = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = this.complete_refund(&out_refund_no, &json!({}));
            });
        }
        Ok(created)
    }

    /// The refund ends (`POST /sandbox/refunds/{out_refund_no}/complete`, body optional:
    /// `{"outcome": "SUCCESS" | "ABNORMAL" | "CLOSED"}`): its `REFUND.*` notification is
    /// delivered. Answers the refund as the query would.
    pub(crate) fn complete_refund(&self, out_refund_no: &str, body: &Value) -> Reply {
        let outcome = body["outcome"].as_str().unwrap_or("SUCCESS");
        if !["SUCCESS", "ABNORMAL", "CLOSED"].contains(&outcome) {
            return Reply::error(400, "PARAM_ERROR", "outcome is SUCCESS, ABNORMAL or CLOSED");
        }
        let now = self.now();
        let refund = {
            let mut state = self.state();
            let Some((_, refund)) = state.refunds.iter_mut().find(|((_, no), _)| no == out_refund_no) else {
                return Reply::error(404, "RESOURCE_NOT_EXISTS", "退款单不存在");
            };
            if refund.status != "PROCESSING" {
                return Reply::error(
                    400,
                    "INVALID_REQUEST",
                    &format!("the refund is {} already", refund.status),
                );
            }
            refund.status = outcome.to_owned();
            if outcome == "SUCCESS" {
                refund.success_time = Some(now);
            }
            refund.clone()
        };
        let answer = refund.answer();
        if let (Some(url), true) = (&refund.notify_url, refund.request["apiv2"] == true) {
            let body = super::apiv2_refunds::refund_xml(&refund, &self.inner.apiv2_key);
            self.deliver_v2(&format!("REFUND.{outcome}"), url, body);
        } else if let Some(url) = &refund.notify_url {
            let mut resource = answer.clone();
            resource["refund_status"] = resource["status"].clone();
            self.deliver(&format!("REFUND.{outcome}"), url, &resource);
        }
        Reply::json(200, answer)
    }
}
