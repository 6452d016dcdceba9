//! The other signed APIv2 notification pages, typed: contract signed or ended (papay),
//! combined payment result, a vehicle's state for parking, transactions at risk. Each is read
//! like a payment result: the XML read, `sign` checked before anything else (with the body's
//! `sign_type`, MD5 when absent), `return_code` where the page has one; an authentic failure
//! (`result_code` `FAIL`) is a typed value, not an error. Every field is `Option`; the `Debug`
//! of each type shows none of them (openids, plate numbers, amounts are the user's).

use super::notify::NotificationError;
use super::result::check_result;
use super::sign::{verify, SignType};
use super::xml::{self, field};
use crate::crypto::ApiV2Key;

/// The fields of a signed notification: its signature checked first (with `sign_type`, or
/// `algorithm` where the page names it so, MD5 when neither), then `return_code` when the page
/// has one (a notification without a result is refused; an authentic `result_code`
/// `FAIL` is kept, for the typed value to report).
pub fn signed_notification(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let fields = xml::read(body, "xml").map_err(NotificationError::Xml)?;
    // `sign_type`, or `algorithm` on the pages whose event is encrypted (`HMAC-SHA256`).
    let named = field(&fields, "sign_type")
        .filter(|t| !t.is_empty())
        .or_else(|| field(&fields, "algorithm"));
    let sign_type = match named {
        None | Some("") => SignType::Md5,
        Some(t) => SignType::parse(t).ok_or_else(|| NotificationError::SignType(t.to_owned()))?,
    };
    verify(&fields, key, sign_type).map_err(NotificationError::Verification)?;
    if field(&fields, "return_code").is_some() {
        let return_only: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(n, _)| n.starts_with("return_"))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        check_result(&return_only).map_err(NotificationError::Result)?;
    }
    Ok(fields)
}

/// Any APIv2 notification's fields: a refund result's (not signed; its `req_info` decrypted
/// and read, [`refund_notification`](super::refund_notification)) or a signed page's
/// ([`signed_notification`]). What an endpoint that takes every page (the CLI's `notify`, a
/// `V2NotificationService`) reads.
pub fn notification_fields(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let refund = std::str::from_utf8(body).is_ok_and(|text| text.contains("<req_info>"));
    if refund {
        super::notify::refund_notification(body, key)
    } else {
        signed_notification(body, key)
    }
}

fn typed<T: super::XmlObject>(body: &[u8], key: &ApiV2Key) -> Result<T, NotificationError> {
    T::read_fields(&signed_notification(body, key)?).map_err(NotificationError::Decode)
}

/// A papay contract signed or ended (扣款服务签约/解约结果通知, the `notify_url` of the contract).
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ContractChange {
    /// `ADD` (signed) or `DELETE` (ended).
    pub change_type: Option<String>,
    /// 商户号.
    pub mch_id: Option<String>,
    /// 子商户号 (service providers).
    pub sub_mch_id: Option<String>,
    /// 公众账号ID.
    pub appid: Option<String>,
    /// 子商户公众账号ID.
    pub sub_appid: Option<String>,
    /// 签约协议号 (the merchant's).
    pub contract_code: Option<String>,
    /// 委托代扣协议ID (WeChat Pay's).
    pub contract_id: Option<String>,
    /// 模板ID.
    pub plan_id: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 用户子标识.
    pub sub_openid: Option<String>,
    /// 操作时间.
    pub operate_time: Option<String>,
    /// 协议到期时间.
    pub contract_expired_time: Option<String>,
    /// 协议解约方式.
    pub contract_termination_mode: Option<String>,
    /// 请求序列号.
    pub request_serial: Option<String>,
    /// 用户账户展示名称.
    pub contract_display_account: Option<String>,
    /// 协议状态.
    pub contract_state: Option<i64>,
    /// 协议签署时间.
    pub contract_signed_time: Option<String>,
    /// 协议解约时间.
    pub contract_terminated_time: Option<String>,
    /// 解约备注.
    pub contract_termination_remark: Option<String>,
}

crate::__xml_object!(ContractChange {
    change_type: "change_type" optional text,
    mch_id: "mch_id" optional text,
    sub_mch_id: "sub_mch_id" optional text,
    appid: "appid" optional text,
    sub_appid: "sub_appid" optional text,
    contract_code: "contract_code" optional text,
    contract_id: "contract_id" optional text,
    plan_id: "plan_id" optional text,
    openid: "openid" optional text,
    sub_openid: "sub_openid" optional text,
    operate_time: "operate_time" optional text,
    contract_expired_time: "contract_expired_time" optional text,
    contract_termination_mode: "contract_termination_mode" optional text,
    request_serial: "request_serial" optional text,
    contract_display_account: "contract_display_account" optional text,
    contract_state: "contract_state" optional text,
    contract_signed_time: "contract_signed_time" optional text,
    contract_terminated_time: "contract_terminated_time" optional text,
    contract_termination_remark: "contract_termination_remark" optional text,
});
crate::__withheld_debug!(ContractChange);

/// [`signed_notification`] of a papay contract change, typed.
pub fn contract_change(body: &[u8], key: &ApiV2Key) -> Result<ContractChange, NotificationError> {
    typed(body, key)
}

/// A combined payment's result (合单支付通知). Its sub-orders are JSON inside the XML
/// (`sub_order_list`: `order_num` and `order_list`), kept as that text.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CombinePaymentResult {
    /// `SUCCESS` (paid) or `FAIL` (`err_code` says why): see [`is_paid`](Self::is_paid).
    pub result_code: Option<String>,
    /// 业务结果描述.
    pub result_msg: Option<String>,
    /// Why the payment failed.
    pub err_code: Option<String>,
    /// `err_code` in words.
    pub err_code_des: Option<String>,
    /// 合单APPID.
    pub combine_appid: Option<String>,
    /// 合单商户号.
    pub combine_mch_id: Option<String>,
    /// 设备号.
    pub device_info: Option<String>,
    /// 合单用户标识.
    pub combine_openid: Option<String>,
    /// 合单商户订单号.
    pub combine_out_trade_no: Option<String>,
    /// `JSAPI`, `NATIVE`, `APP`, `MWEB`.
    pub trade_type: Option<String>,
    /// 付款银行.
    pub bank_type: Option<String>,
    /// The sub-orders, JSON text (`{"order_num":…,"order_list":[…]}`).
    pub sub_order_list: Option<String>,
}

crate::__xml_object!(CombinePaymentResult {
    result_code: "result_code" optional text,
    result_msg: "result_msg" optional text,
    err_code: "err_code" optional text,
    err_code_des: "err_code_des" optional text,
    combine_appid: "combine_appid" optional text,
    combine_mch_id: "combine_mch_id" optional text,
    device_info: "device_info" optional text,
    combine_openid: "combine_openid" optional text,
    combine_out_trade_no: "combine_out_trade_no" optional text,
    trade_type: "trade_type" optional text,
    bank_type: "bank_type" optional text,
    sub_order_list: "sub_order_list" optional text,
});
crate::__withheld_debug!(CombinePaymentResult);

impl CombinePaymentResult {
    /// Whether the combined payment succeeded (`result_code` `SUCCESS`); a failure is authentic
    /// too: record it, then answer success.
    pub fn is_paid(&self) -> bool {
        self.result_code.as_deref() == Some("SUCCESS")
    }

    /// The sub-orders, parsed (`None` when absent).
    pub fn sub_orders(&self) -> Option<Result<serde_json::Value, serde_json::Error>> {
        self.sub_order_list.as_deref().map(serde_json::from_str)
    }
}

/// [`signed_notification`] of a combined payment's result, typed.
pub fn combine_payment_result(body: &[u8], key: &ApiV2Key) -> Result<CombinePaymentResult, NotificationError> {
    typed(body, key)
}

/// A vehicle's state changed, for parking (车牌状态变更通知).
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct VehicleStateChange {
    /// 商户号.
    pub mch_id: Option<String>,
    /// 子商户号.
    pub sub_mch_id: Option<String>,
    /// 公众账号ID.
    pub appid: Option<String>,
    /// 车牌号.
    pub plate_number: Option<String>,
    /// 车牌状态变更类型.
    pub vehicle_event_type: Option<String>,
    /// 车牌状态变更描述.
    pub vehicle_event_des: Option<String>,
    /// 扣费模式.
    pub deduct_mode: Option<String>,
    /// 状态变更时间.
    pub vehicle_event_createtime: Option<String>,
}

crate::__xml_object!(VehicleStateChange {
    mch_id: "mch_id" optional text,
    sub_mch_id: "sub_mch_id" optional text,
    appid: "appid" optional text,
    plate_number: "plate_number" optional text,
    vehicle_event_type: "vehicle_event_type" optional text,
    vehicle_event_des: "vehicle_event_des" optional text,
    deduct_mode: "deduct_mode" optional text,
    vehicle_event_createtime: "vehicle_event_createtime" optional text,
});
crate::__withheld_debug!(VehicleStateChange);

/// [`signed_notification`] of a vehicle's state change, typed.
pub fn vehicle_state_change(body: &[u8], key: &ApiV2Key) -> Result<VehicleStateChange, NotificationError> {
    typed(body, key)
}

/// Transactions found at risk (事中风险交易通知, to bank service providers). The transaction
/// ids are JSON inside the XML (`transaction_id_list`), kept as that text.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RiskTransactions {
    /// 商户号.
    pub mch_id: Option<String>,
    /// 子商户号.
    pub sub_mch_id: Option<String>,
    /// 事件代码.
    pub event_code: Option<String>,
    /// 风险等级.
    pub risk_level: Option<String>,
    /// 风险等级描述.
    pub risk_level_desc: Option<String>,
    /// The transactions, JSON text.
    pub transaction_id_list: Option<String>,
}

crate::__xml_object!(RiskTransactions {
    mch_id: "mch_id" optional text,
    sub_mch_id: "sub_mch_id" optional text,
    event_code: "event_code" optional text,
    risk_level: "risk_level" optional text,
    risk_level_desc: "risk_level_desc" optional text,
    transaction_id_list: "transaction_id_list" optional text,
});
crate::__withheld_debug!(RiskTransactions);

/// [`signed_notification`] of transactions at risk, typed.
pub fn risk_transactions(body: &[u8], key: &ApiV2Key) -> Result<RiskTransactions, NotificationError> {
    typed(body, key)
}
