//! APIv2 payments on the simulator's state: `pay/unifiedorder` creates the order (kept like an
//! APIv3 one, so that the control API pays it), `pay/micropay` creates it `USERPAYING`,
//! `pay/orderquery`, `pay/closeorder` and `secapi/pay/reverse` answer from it, and a paid APIv2
//! order's notification is APIv2's signed XML. Refunds: `apiv2_refunds.rs`.

use serde_json::{json, Value};

use super::payments::{Order, Refused};
use super::Simulator;

/// An APIv2 order's notification: the signed XML of a payment result.
pub(crate) fn payment_xml(order: &Order, key: &str) -> Vec<u8> {
    let r = &order.request;
    let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let mut fields: Vec<(String, String)> = vec![
        ("return_code".into(), "SUCCESS".into()),
        ("result_code".into(), "SUCCESS".into()),
        ("appid".into(), text(&r["appid"])),
        ("mch_id".into(), text(&r["mchid"])),
        ("nonce_str".into(), crate::mock::random_nonce()),
        ("openid".into(), order.openid.clone().unwrap_or_default()),
        ("trade_type".into(), order.trade_type.clone()),
        ("bank_type".into(), "OTHERS".into()),
        ("total_fee".into(), r["amount"]["total"].to_string()),
        ("cash_fee".into(), order.payer_total.unwrap_or(0).to_string()),
        (
            "transaction_id".into(),
            order.transaction_id.clone().unwrap_or_default(),
        ),
        ("out_trade_no".into(), text(&r["out_trade_no"])),
        ("time_end".into(), time_end(order.success_time.unwrap_or(0))),
    ];
    let sign = crate::v2::sign(&fields, key, false);
    fields.push(("sign".into(), sign));
    crate::v2::xml(&fields).into_bytes()
}

/// `yyyyMMddHHmmss`, Beijing time.
fn time_end(unix: i64) -> String {
    crate::notify::rfc3339_beijing(unix)
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect()
}

impl Simulator {
    /// `pay/micropay` (付款码支付): the order is created `USERPAYING` and answered so (the
    /// user enters their password: the merchant queries until the control API's pay ends it
    /// `SUCCESS`, or `PAYERROR` with `{"outcome": "PAYERROR"}`); an `auth_code` that is not 18
    /// digits beginning 10 to 15 is `AUTH_CODE_INVALID`.
    fn micropay(&self, get: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
        if !super::payments::is_auth_code(&get("auth_code")) {
            return failed("AUTH_CODE_INVALID");
        }
        let mchid = get("mch_id");
        let body = json!({
            "appid": get("appid"),
            "mchid": mchid,
            "description": get("body"),
            "out_trade_no": get("out_trade_no"),
            "attach": get("attach"),
            "amount": {"total": get("total_fee").parse::<i64>().unwrap_or(0), "currency": "CNY"},
            "apiv2": true,
        });
        match self.create_order("MICROPAY", &mchid, false, &body) {
            Ok(_) => {
                let key = (mchid, get("out_trade_no"));
                if let Some(order) = self.state().orders.get_mut(&key) {
                    order.trade_state = "USERPAYING".into();
                }
                failed("USERPAYING")
            }
            Err(Refused::Paid) => failed("ORDERPAID"),
            Err(Refused::Closed) => failed("ORDERCLOSED"),
            Err(Refused::Reused) => failed("OUT_TRADE_NO_USED"),
        }
    }

    /// The answer fields of an APIv2 payment operation the simulator keeps state for (before
    /// `return_code`, `result_code` and `sign` are added), or `None`. A failure is
    /// `result_code` `FAIL` with the platform's `err_code`.
    pub(crate) fn apiv2(&self, url: &str, request: &[(String, String)]) -> Option<Vec<(String, String)>> {
        let get = |name: &str| {
            request
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let mchid = get("mch_id");
        let key = |out_trade_no: &str| (mchid.to_owned(), out_trade_no.to_owned());
        Some(match url {
            "/v2/pay/unifiedorder" => {
                let trade_type = match get("trade_type") {
                    "MWEB" => "MWEB",
                    "NATIVE" => "NATIVE",
                    "APP" => "APP",
                    _ => "JSAPI",
                };
                let body = json!({
                    "appid": get("appid"),
                    "mchid": mchid,
                    "description": get("body"),
                    "out_trade_no": get("out_trade_no"),
                    "notify_url": get("notify_url"),
                    "amount": {"total": get("total_fee").parse::<i64>().unwrap_or(0), "currency": "CNY"},
                    "payer": {"openid": get("openid")},
                    "apiv2": true,
                });
                let created = self.create_order(trade_type, mchid, false, &body);
                match created {
                    Ok(created) => {
                        let mut fields = vec![("trade_type".to_owned(), trade_type.to_owned())];
                        if let Some(id) = created["prepay_id"].as_str() {
                            fields.push(("prepay_id".into(), id.to_owned()));
                        }
                        if let Some(url) = created["code_url"].as_str() {
                            fields.push((
                                "prepay_id".into(),
                                format!("wx{}", &url[url.len().saturating_sub(24)..]),
                            ));
                            fields.push(("code_url".into(), url.to_owned()));
                        }
                        if let Some(url) = created["h5_url"].as_str() {
                            fields.push(("prepay_id".into(), "wxSANDBOXmweb".into()));
                            fields.push(("mweb_url".into(), url.to_owned()));
                        }
                        fields
                    }
                    Err(Refused::Paid) => failed("ORDERPAID"),
                    Err(Refused::Closed) => failed("ORDERCLOSED"),
                    Err(Refused::Reused) => failed("OUT_TRADE_NO_USED"),
                }
            }
            "/v2/pay/orderquery" => {
                let order = {
                    let state = self.state();
                    let by_id = state.transactions.get(get("transaction_id")).cloned();
                    let k = by_id.unwrap_or_else(|| key(get("out_trade_no")));
                    state.orders.get(&k).cloned()
                };
                match order {
                    None => failed("ORDERNOTEXIST"),
                    Some(order) => {
                        let r = &order.request;
                        let mut fields = vec![
                            (
                                "out_trade_no".to_owned(),
                                r["out_trade_no"].as_str().unwrap_or("").to_owned(),
                            ),
                            ("trade_state".into(), order.trade_state.clone()),
                            ("trade_type".into(), order.trade_type.clone()),
                            ("total_fee".into(), r["amount"]["total"].to_string()),
                        ];
                        if let Some(id) = &order.transaction_id {
                            fields.push(("transaction_id".into(), id.clone()));
                            fields.push(("openid".into(), order.openid.clone().unwrap_or_default()));
                            fields.push(("cash_fee".into(), order.payer_total.unwrap_or(0).to_string()));
                            fields.push(("time_end".into(), time_end(order.success_time.unwrap_or(0))));
                            fields.push(("bank_type".into(), "OTHERS".into()));
                        }
                        fields
                    }
                }
            }
            "/v2/secapi/pay/refund" => self.apiv2_refund(&|name| get(name).to_owned()),
            "/v2/pay/refundquery" => self.apiv2_refundquery(&|name| get(name).to_owned()),
            "/v2/pay/micropay" => self.micropay(&|name| get(name).to_owned()),
            "/v2/secapi/pay/reverse" => {
                let mut state = self.state();
                let by_id = state.transactions.get(get("transaction_id")).cloned();
                let k = by_id.unwrap_or_else(|| key(get("out_trade_no")));
                match state.orders.get_mut(&k) {
                    None => failed("ORDERNOTEXIST"),
                    Some(order) => {
                        // Unpaid, it is closed; paid, the user gets the money back.
                        order.trade_state = "REVOKED".into();
                        vec![("recall".to_owned(), "N".to_owned())]
                    }
                }
            }
            "/v2/pay/closeorder" => {
                let mut state = self.state();
                match state.orders.get_mut(&key(get("out_trade_no"))) {
                    None => failed("ORDERNOTEXIST"),
                    Some(order) if order.trade_state == "SUCCESS" => failed("ORDERPAID"),
                    Some(order) => {
                        order.trade_state = "CLOSED".into();
                        Vec::new()
                    }
                }
            }
            _ => return None,
        })
    }
}

/// `result_code` `FAIL` with `err_code` (and its words).
fn failed(code: &str) -> Vec<(String, String)> {
    let words = match code {
        "ORDERNOTEXIST" => "此交易订单号不存在",
        "ORDERPAID" => "该订单已支付",
        "ORDERCLOSED" => "订单已关闭",
        "OUT_TRADE_NO_USED" => "商户订单号重复",
        "USERPAYING" => "需要用户输入支付密码",
        "AUTH_CODE_INVALID" => "付款码无效，请重新扫码",
        _ => "系统错误",
    };
    failed_with(code, words)
}

/// `result_code` `FAIL` with `err_code` and `err_code_des`.
pub(super) fn failed_with(code: &str, words: &str) -> Vec<(String, String)> {
    vec![
        ("result_code".into(), "FAIL".into()),
        ("err_code".into(), code.into()),
        ("err_code_des".into(), words.into()),
    ]
}
