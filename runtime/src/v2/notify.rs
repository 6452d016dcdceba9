//! APIv2 notifications: payment results (signed XML) and refund results (`req_info`
//! encrypted), and the XML answers WeChat Pay expects back.

use std::fmt;

use super::result::check_result;
use super::sign::decrypt_req_info;
use super::xml::{self, field, Field, XmlError};
use crate::crypto::ApiV2Key;
use crate::error::ResultError;
use crate::{Error, VerificationError};

/// Why a notification was refused. Answer it with [`answer_failure`] (WeChat Pay sends it
/// again); the text never quotes a decrypted value.
#[derive(Debug)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not an APIv2 body.
    Xml(XmlError),
    /// `sign` is missing or does not match (a payment notification).
    Verification(VerificationError),
    /// `sign_type` names no known type.
    SignType(String),
    /// `return_code` is not `SUCCESS`: the notification carries no result (a payment that
    /// failed is a result, with `result_code` `FAIL`: see [`PaymentResult::is_paid`]).
    Result(ResultError),
    /// `req_info` does not decrypt (a refund notification).
    Decrypt(Error),
    /// A field is not of its type ([`PaymentResult`], [`RefundResult`]); the value is not quoted.
    Decode(super::object::XmlDecodeError),
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationError::Xml(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::Verification(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::SignType(t) => write!(f, "APIv2 notification: unknown sign_type {t:?}"),
            NotificationError::Result(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::Decrypt(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::Decode(e) => write!(f, "APIv2 notification: {e}"),
        }
    }
}

impl std::error::Error for NotificationError {}

/// A payment result notification (`notify_url` of `pay/unifiedorder` and the like): the XML
/// read, `sign` checked (with the body's `sign_type`, MD5 when absent) before anything else is
/// looked at, then `return_code`. The fields, of a payment that succeeded (`result_code`
/// `SUCCESS`) or failed (`FAIL`, with `err_code`): both are authentic results, to record and
/// acknowledge ([`answer_success`]); refusing a failure would only make WeChat Pay send it again.
pub fn payment_notification(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let fields = super::notices::signed_notification(body, key)?;
    // `return_code` only: `result_code` FAIL is the payment's outcome, not the notification's;
    // a payment result without `return_code` carries no result.
    if field(&fields, "return_code").is_none() {
        check_result(&fields).map_err(NotificationError::Result)?;
    }
    Ok(fields)
}

/// A refund result notification: `return_code` checked (the envelope is not signed; its
/// content is authenticated by decrypting with the APIv2 key), `req_info` decrypted and read.
/// The refund's fields (`out_refund_no`, `refund_status`, `settlement_refund_fee`, …), on
/// success.
pub fn refund_notification(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let fields = xml::read(body, "xml").map_err(NotificationError::Xml)?;
    check_result(&fields).map_err(NotificationError::Result)?;
    let req_info = field(&fields, "req_info")
        .filter(|v| !v.is_empty())
        .ok_or(NotificationError::Verification(VerificationError::MissingField(
            "req_info",
        )))?;
    let plain = decrypt_req_info(req_info, key).map_err(NotificationError::Decrypt)?;
    xml::read(&plain, "root").map_err(|_| {
        // The plaintext is not quoted: it is the refund.
        NotificationError::Xml(XmlError::withheld("the decrypted req_info is not the XML of a refund"))
    })
}

/// A payment result notification, verified ([`payment_notification`]) and typed. Its fields as
/// WeChat Pay documents them (支付结果通知, `pay/unifiedorder`'s `notify_url`; the public
/// description has no schema of it); every one is `Option`, amounts are integers in 分. `Debug`
/// shows none of them (they are the payer's).
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PaymentResult {
    /// `SUCCESS` (paid) or `FAIL` (the payment failed: `err_code` says why): see
    /// [`is_paid`](Self::is_paid).
    pub result_code: Option<String>,
    /// Why the payment failed (with `result_code` `FAIL`).
    pub err_code: Option<String>,
    /// `err_code` in words.
    pub err_code_des: Option<String>,
    /// 公众账号ID.
    pub appid: Option<String>,
    /// 商户号.
    pub mch_id: Option<String>,
    /// 子商户公众账号ID (service providers).
    pub sub_appid: Option<String>,
    /// 子商户号 (service providers).
    pub sub_mch_id: Option<String>,
    /// 设备号.
    pub device_info: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// `Y` or `N`: whether the user follows the official account.
    pub is_subscribe: Option<String>,
    /// 用户子标识 (the user under `sub_appid`).
    pub sub_openid: Option<String>,
    /// `Y` or `N`: whether the user follows the sub-merchant's account.
    pub sub_is_subscribe: Option<String>,
    /// `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, `MWEB`.
    pub trade_type: Option<String>,
    /// 付款银行 (`CMC` for change, a bank's code).
    pub bank_type: Option<String>,
    /// 订单金额, 分.
    pub total_fee: Option<i64>,
    /// 应结订单金额 (the amount less non-cash coupons), 分.
    pub settlement_total_fee: Option<i64>,
    /// 货币种类, `CNY` by default.
    pub fee_type: Option<String>,
    /// 现金支付金额, 分.
    pub cash_fee: Option<i64>,
    /// 现金支付货币类型.
    pub cash_fee_type: Option<String>,
    /// 总代金券金额, 分.
    pub coupon_fee: Option<i64>,
    /// 代金券使用数量.
    pub coupon_count: Option<i64>,
    /// `coupon_type_$n`: `CASH`, `NO_CASH`.
    pub coupon_type_list: Option<Vec<String>>,
    /// `coupon_id_$n`.
    pub coupon_id_list: Option<Vec<String>>,
    /// `coupon_fee_$n`, 分.
    pub coupon_fee_list: Option<Vec<i64>>,
    /// 微信支付订单号.
    pub transaction_id: Option<String>,
    /// 商户订单号.
    pub out_trade_no: Option<String>,
    /// 商家数据包, as sent with the order.
    pub attach: Option<String>,
    /// 支付完成时间, `yyyyMMddHHmmss`.
    pub time_end: Option<String>,
    /// 交易状态 (the payment pages of papay and parking).
    pub trade_state: Option<String>,
    /// 委托代扣协议ID (a payment under a papay contract).
    pub contract_id: Option<String>,
    /// Whether the user repaid an advance (`Y`/`N`; parking).
    pub user_repaid: Option<String>,
}

crate::__xml_object!(PaymentResult {
    result_code: "result_code" optional text,
    err_code: "err_code" optional text,
    err_code_des: "err_code_des" optional text,
    appid: "appid" optional text,
    mch_id: "mch_id" optional text,
    sub_appid: "sub_appid" optional text,
    sub_mch_id: "sub_mch_id" optional text,
    device_info: "device_info" optional text,
    openid: "openid" optional text,
    is_subscribe: "is_subscribe" optional text,
    sub_openid: "sub_openid" optional text,
    sub_is_subscribe: "sub_is_subscribe" optional text,
    trade_type: "trade_type" optional text,
    bank_type: "bank_type" optional text,
    total_fee: "total_fee" optional text,
    settlement_total_fee: "settlement_total_fee" optional text,
    fee_type: "fee_type" optional text,
    cash_fee: "cash_fee" optional text,
    cash_fee_type: "cash_fee_type" optional text,
    coupon_fee: "coupon_fee" optional text,
    coupon_count: "coupon_count" optional text,
    coupon_type_list: "coupon_type_$n" list text,
    coupon_id_list: "coupon_id_$n" list text,
    coupon_fee_list: "coupon_fee_$n" list text,
    transaction_id: "transaction_id" optional text,
    out_trade_no: "out_trade_no" optional text,
    attach: "attach" optional text,
    time_end: "time_end" optional text,
    trade_state: "trade_state" optional text,
    contract_id: "contract_id" optional text,
    user_repaid: "user_repaid" optional text,
});

impl PaymentResult {
    /// Whether the payment succeeded (`result_code` `SUCCESS`). A notification of a failed
    /// payment is authentic too: record the failure, then answer [`answer_success`].
    pub fn is_paid(&self) -> bool {
        self.result_code.as_deref() == Some("SUCCESS")
    }
}

crate::__withheld_debug!(PaymentResult);

/// A refund result notification, its `req_info` decrypted ([`refund_notification`]) and typed:
/// the refund's fields as WeChat Pay documents them (退款结果通知), each `Option`, amounts in 分.
/// `Debug` shows none of them.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RefundResult {
    /// 微信支付订单号.
    pub transaction_id: Option<String>,
    /// 商户订单号.
    pub out_trade_no: Option<String>,
    /// 微信退款单号.
    pub refund_id: Option<String>,
    /// 商户退款单号.
    pub out_refund_no: Option<String>,
    /// 订单金额, 分.
    pub total_fee: Option<i64>,
    /// 应结订单金额, 分.
    pub settlement_total_fee: Option<i64>,
    /// 申请退款金额, 分.
    pub refund_fee: Option<i64>,
    /// 退款金额 (the amount refunded, less non-cash coupons), 分.
    pub settlement_refund_fee: Option<i64>,
    /// 现金退款金额, 分.
    pub cash_refund_fee: Option<i64>,
    /// `SUCCESS`, `CHANGE` (退款异常) or `REFUNDCLOSE`.
    pub refund_status: Option<String>,
    /// 退款成功时间, `yyyy-MM-dd HH:mm:ss`.
    pub success_time: Option<String>,
    /// 退款入账账户.
    pub refund_recv_accout: Option<String>,
    /// `REFUND_SOURCE_RECHARGE_FUNDS` or `REFUND_SOURCE_UNSETTLED_FUNDS`.
    pub refund_account: Option<String>,
    /// `API` or `VENDOR_PLATFORM`.
    pub refund_request_source: Option<String>,
}

crate::__xml_object!(RefundResult {
    transaction_id: "transaction_id" optional text,
    out_trade_no: "out_trade_no" optional text,
    refund_id: "refund_id" optional text,
    out_refund_no: "out_refund_no" optional text,
    total_fee: "total_fee" optional text,
    settlement_total_fee: "settlement_total_fee" optional text,
    refund_fee: "refund_fee" optional text,
    settlement_refund_fee: "settlement_refund_fee" optional text,
    cash_refund_fee: "cash_refund_fee" optional text,
    refund_status: "refund_status" optional text,
    success_time: "success_time" optional text,
    refund_recv_accout: "refund_recv_accout" optional text,
    refund_account: "refund_account" optional text,
    refund_request_source: "refund_request_source" optional text,
});

crate::__withheld_debug!(RefundResult);

/// [`payment_notification`], typed.
pub fn payment_result(body: &[u8], key: &ApiV2Key) -> Result<PaymentResult, NotificationError> {
    use super::object::XmlObject as _;
    let fields = payment_notification(body, key)?;
    PaymentResult::read_fields(&fields).map_err(NotificationError::Decode)
}

/// [`refund_notification`], typed.
pub fn refund_result(body: &[u8], key: &ApiV2Key) -> Result<RefundResult, NotificationError> {
    use super::object::XmlObject as _;
    let fields = refund_notification(body, key)?;
    RefundResult::read_fields(&fields).map_err(NotificationError::Decode)
}

/// The answer to a notification that was handled: `SUCCESS`.
pub fn answer_success() -> String {
    answer("SUCCESS", "OK")
}

/// The answer to a notification that was not handled (`FAIL`, with `message`): WeChat Pay
/// sends it again later.
pub fn answer_failure(message: &str) -> String {
    answer("FAIL", message)
}

fn answer(code: &str, message: &str) -> String {
    let fields = [
        Field {
            name: "return_code",
            value: code,
            cdata: true,
        },
        Field {
            name: "return_msg",
            value: message,
            cdata: true,
        },
    ];
    // Both names are valid and the values are CDATA: writing cannot fail, but a control
    // character in `message` would; it is then left out.
    xml::write("xml", &fields).unwrap_or_else(|_| {
        format!("<xml><return_code><![CDATA[{code}]]></return_code><return_msg><![CDATA[]]></return_msg></xml>")
    })
}
