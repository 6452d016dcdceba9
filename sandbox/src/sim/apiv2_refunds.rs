//! APIv2 refunds on the simulator's state: `secapi/pay/refund` refunds an order (APIv2's or
//! APIv3's: one set of orders) with the same checks as APIv3's, `pay/refundquery` answers the
//! order's refunds (`refund_count`, `out_refund_no_$n`, …), and an APIv2 refund's result is
//! delivered as APIv2 does: unsigned XML whose `req_info` is AES-256-ECB under the MD5 of the
//! APIv2 key.

use aws_lc_rs::cipher::{PaddedBlockEncryptingKey, UnboundCipherKey, AES_256};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use serde_json::json;

use super::apiv2::failed_with;
use super::refunds::{Refund, RefundRefused};
use super::Simulator;

impl Simulator {
    /// `secapi/pay/refund`: the refund's answer fields, or the platform's failure.
    pub(super) fn apiv2_refund(&self, get: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
        let number = |name: &str| get(name).parse::<i64>().unwrap_or(0);
        let mut body = json!({
            "out_refund_no": get("out_refund_no"),
            "amount": {"refund": number("refund_fee"), "total": number("total_fee"), "currency": "CNY"},
            "appid": get("appid"),
            "apiv2": true,
        });
        for name in ["out_trade_no", "transaction_id", "notify_url"] {
            if !get(name).is_empty() {
                body[name] = get(name).into();
            }
        }
        match self.refund_order(&get("mch_id"), &body) {
            Ok(refund) => vec![
                ("transaction_id".into(), refund.transaction_id.clone()),
                ("out_trade_no".into(), refund.out_trade_no.clone()),
                ("out_refund_no".into(), refund.out_refund_no.clone()),
                ("refund_id".into(), refund.refund_id.clone()),
                ("refund_fee".into(), refund.refund.to_string()),
                ("total_fee".into(), refund.total.to_string()),
                ("cash_fee".into(), refund.total.to_string()),
            ],
            Err(why) => match why {
                RefundRefused::Reused => failed_with("INVALID_REQUEST", "商户退款单号重复"),
                RefundRefused::NoOrder => failed_with("ORDERNOTEXIST", "订单号不存在"),
                RefundRefused::NotPaid => failed_with("TRADE_STATE_ERROR", "订单状态错误"),
                RefundRefused::OtherTotal => failed_with("PARAM_ERROR", "订单金额与原订单金额不一致"),
                RefundRefused::OtherCurrency => failed_with("PARAM_ERROR", "退款币种与原订单币种不一致"),
                RefundRefused::TooMuch { .. } => failed_with("ERROR", "累计退款金额大于支付金额"),
            },
        }
    }

    /// `pay/refundquery`: the refunds of the order (found by any of its numbers or a refund's),
    /// or `REFUNDNOTEXIST`.
    pub(super) fn apiv2_refundquery(&self, get: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
        let state = self.state();
        let merchant = get("mch_id");
        let asked = |r: &&Refund| {
            r.merchant == merchant
                && [
                    ("out_refund_no", &r.out_refund_no),
                    ("refund_id", &r.refund_id),
                    ("out_trade_no", &r.out_trade_no),
                    ("transaction_id", &r.transaction_id),
                ]
                .iter()
                .any(|(name, value)| !get(name).is_empty() && get(name) == **value)
        };
        let refunds: Vec<&Refund> = state.refunds.values().filter(asked).collect();
        let Some(first) = refunds.first() else {
            return failed_with("REFUNDNOTEXIST", "退款订单查询失败");
        };
        let mut fields = vec![
            ("transaction_id".into(), first.transaction_id.clone()),
            ("out_trade_no".into(), first.out_trade_no.clone()),
            ("total_fee".into(), first.total.to_string()),
            ("cash_fee".into(), first.total.to_string()),
            ("refund_count".into(), refunds.len().to_string()),
        ];
        for (n, refund) in refunds.iter().enumerate() {
            fields.extend([
                (format!("out_refund_no_{n}"), refund.out_refund_no.clone()),
                (format!("refund_id_{n}"), refund.refund_id.clone()),
                (format!("refund_fee_{n}"), refund.refund.to_string()),
                (format!("refund_status_{n}"), apiv2_status(&refund.status).to_owned()),
            ]);
            if let Some(at) = refund.success_time {
                fields.push((format!("refund_success_time_{n}"), crate::notify::beijing_time(at)));
            }
        }
        fields
    }
}

/// APIv2's word for a refund's status.
fn apiv2_status(status: &str) -> &str {
    match status {
        "ABNORMAL" => "CHANGE",
        "CLOSED" => "REFUNDCLOSE",
        other => other,
    }
}

/// An APIv2 refund's result notification: `return_code`, the merchant's ids and the encrypted
/// `req_info` (not signed, as the platform sends it).
pub(super) fn refund_xml(refund: &Refund, apiv2_key: &str) -> Vec<u8> {
    let mut plain: Vec<(String, String)> = vec![
        ("transaction_id".into(), refund.transaction_id.clone()),
        ("out_trade_no".into(), refund.out_trade_no.clone()),
        ("refund_id".into(), refund.refund_id.clone()),
        ("out_refund_no".into(), refund.out_refund_no.clone()),
        ("total_fee".into(), refund.total.to_string()),
        ("refund_fee".into(), refund.refund.to_string()),
        ("settlement_refund_fee".into(), refund.refund.to_string()),
        ("refund_status".into(), apiv2_status(&refund.status).to_owned()),
        ("refund_recv_accout".into(), "支付用户零钱".into()),
        ("refund_account".into(), "REFUND_SOURCE_RECHARGE_FUNDS".into()),
        ("refund_request_source".into(), "API".into()),
    ];
    if let Some(at) = refund.success_time {
        plain.push(("success_time".into(), crate::notify::beijing_time(at)));
    }
    let root: String = plain
        .iter()
        .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
        .collect();
    let fields = vec![
        ("return_code".to_owned(), "SUCCESS".to_owned()),
        (
            "appid".into(),
            refund.request["appid"].as_str().unwrap_or_default().to_owned(),
        ),
        ("mch_id".into(), refund.merchant.clone()),
        ("nonce_str".into(), crate::mock::random_nonce()),
        (
            "req_info".into(),
            encrypt_req_info(&format!("<root>{root}</root>"), apiv2_key),
        ),
    ];
    crate::v2::xml(&fields).into_bytes()
}

/// AES-256-ECB (PKCS#7) under the lower-case hex MD5 of the APIv2 key, base64.
fn encrypt_req_info(plain: &str, apiv2_key: &str) -> String {
    let key: String = Md5::digest(apiv2_key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = UnboundCipherKey::new(&AES_256, key.as_bytes()).expect("a 32-byte key");
    let key = PaddedBlockEncryptingKey::ecb_pkcs7(key).expect("AES-256-ECB");
    let mut data = plain.as_bytes().to_vec();
    key.encrypt(&mut data).expect("encrypting in memory");
    base64::engine::general_purpose::STANDARD.encode(data)
}
