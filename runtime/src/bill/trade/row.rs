//! One detail row of a trade bill.

use std::fmt;

use serde::ser::SerializeStruct as _;

use super::{Field, AMOUNTS, FIELDS};
use crate::bill::cells::Cells;

/// One detail row of a trade bill: a payment (`trade_state` `SUCCESS`), or a refund (`REFUND`)
/// with its refund columns. Money in fen; the fee in 10^-5 yuan (negative on a refund row).
/// A column the bill's layout lacks is `None` (an optional one) or `""`; the columns the reader
/// does not know are in [`extra`](Self::extra).
///
/// Its `Debug` withholds the payer and the amounts (personal data); `Serialize` writes every
/// column (amounts as integers).
#[derive(Clone, PartialEq, Eq)]
pub struct TradeRow {
    line: u64,
    cells: Cells<FIELDS>,
    amounts: [i64; AMOUNTS],
    extra: Vec<(String, String)>,
}

impl TradeRow {
    pub(crate) fn new(
        line: u64,
        cells: Cells<FIELDS>,
        amounts: [i64; AMOUNTS],
        extra: Vec<(String, String)>,
    ) -> TradeRow {
        TradeRow {
            line,
            cells,
            amounts,
            extra,
        }
    }

    /// The line of the bill it was read from (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The columns the reader does not know: (header, value).
    pub fn extra(&self) -> &[(String, String)] {
        &self.extra
    }

    fn optional(&self, field: Field) -> Option<&str> {
        self.cells.get(field as usize)
    }

    fn text(&self, field: Field) -> &str {
        self.optional(field).unwrap_or_default()
    }

    fn amount(&self, field: Field) -> Option<i64> {
        let amount = self.amounts.get(field as usize).copied();
        amount.filter(|_| self.cells.get(field as usize).is_some())
    }
}

/// The text columns every layout has: `pub fn name(&self) -> &str`.
macro_rules! text_columns {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        impl TradeRow {$(
            $(#[$doc])*
            pub fn $name(&self) -> &str {
                self.text(Field::$field)
            }
        )*}
    };
}

/// The text columns some layouts lack: `pub fn name(&self) -> Option<&str>`.
macro_rules! optional_text_columns {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        impl TradeRow {$(
            $(#[$doc])*
            pub fn $name(&self) -> Option<&str> {
                self.optional(Field::$field)
            }
        )*}
    };
}

/// The amount columns every layout has: `pub fn name(&self) -> i64`.
macro_rules! amount_columns {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        impl TradeRow {$(
            $(#[$doc])*
            pub fn $name(&self) -> i64 {
                self.amount(Field::$field).unwrap_or_default()
            }
        )*}
    };
}

/// The amount columns some layouts lack: `pub fn name(&self) -> Option<i64>`.
macro_rules! optional_amount_columns {
    ($($(#[$doc:meta])* $name:ident => $field:ident;)*) => {
        impl TradeRow {$(
            $(#[$doc])*
            pub fn $name(&self) -> Option<i64> {
                self.amount(Field::$field)
            }
        )*}
    };
}

text_columns! {
    /// 交易时间: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    trade_time => TradeTime;
    /// 公众账号ID.
    appid => Appid;
    /// 商户号.
    mchid => Mchid;
    /// 特约商户号 (older: 子商户号; `0` for a direct merchant).
    sub_mchid => SubMchid;
    /// 设备号.
    device_info => DeviceInfo;
    /// 微信订单号.
    transaction_id => TransactionId;
    /// 商户订单号.
    out_trade_no => OutTradeNo;
    /// 用户标识 (the payer's openid).
    openid => Openid;
    /// 交易类型: `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, ….
    trade_type => TradeType;
    /// 交易状态: `SUCCESS`, `REFUND`, `REVOKED`.
    trade_state => TradeState;
    /// 付款银行.
    bank_type => BankType;
    /// 货币种类.
    currency => Currency;
    /// 商品名称.
    body => Body;
    /// 商户数据包.
    attach => Attach;
    /// 费率, as written (`0.60%`).
    rate => Rate;
}

optional_text_columns! {
    /// 退款申请时间 (the `REFUND` bill).
    refund_apply_time => RefundApplyTime;
    /// 退款成功时间 (the `REFUND` bill).
    refund_success_time => RefundSuccessTime;
    /// 微信退款单号 (`0` on a payment row).
    refund_id => RefundId;
    /// 商户退款单号 (`0` on a payment row).
    out_refund_no => OutRefundNo;
    /// 退款类型.
    refund_type => RefundType;
    /// 退款状态.
    refund_status => RefundStatus;
    /// 费率备注.
    rate_note => RateNote;
}

amount_columns! {
    /// 应结订单金额 (older: 总金额), fen.
    settlement_total => SettlementTotal;
    /// 代金券金额 (older: 代金券或立减优惠金额, 企业红包金额), fen.
    coupon => Coupon;
    /// 手续费 (充值退款: 返还手续费), 10^-5 yuan (five decimals as written).
    fee => Fee;
}

optional_amount_columns! {
    /// 退款金额, fen.
    refund => Refund;
    /// 充值券退款金额, fen.
    coupon_refund => CouponRefund;
    /// 订单金额, fen.
    total => Total;
    /// 申请退款金额, fen.
    refund_requested => RefundRequested;
}

impl fmt::Debug for TradeRow {
    /// The row's line and numbers; the payer and amounts are withheld (personal data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TradeRow {{ line: {}, out_trade_no: {:?}, trade_state: {:?}, .. (withheld: personal data) }}",
            self.line,
            self.out_trade_no(),
            self.trade_state()
        )
    }
}

impl serde::Serialize for TradeRow {
    /// Every column, by its field name (`None` where the layout lacks it), then `extra` as
    /// (header, value) pairs.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TradeRow", 31)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("trade_time", self.trade_time())?;
        s.serialize_field("appid", self.appid())?;
        s.serialize_field("mchid", self.mchid())?;
        s.serialize_field("sub_mchid", self.sub_mchid())?;
        s.serialize_field("device_info", self.device_info())?;
        s.serialize_field("transaction_id", self.transaction_id())?;
        s.serialize_field("out_trade_no", self.out_trade_no())?;
        s.serialize_field("openid", self.openid())?;
        s.serialize_field("trade_type", self.trade_type())?;
        s.serialize_field("trade_state", self.trade_state())?;
        s.serialize_field("bank_type", self.bank_type())?;
        s.serialize_field("currency", self.currency())?;
        s.serialize_field("settlement_total", &self.settlement_total())?;
        s.serialize_field("coupon", &self.coupon())?;
        s.serialize_field("refund_apply_time", &self.refund_apply_time())?;
        s.serialize_field("refund_success_time", &self.refund_success_time())?;
        s.serialize_field("refund_id", &self.refund_id())?;
        s.serialize_field("out_refund_no", &self.out_refund_no())?;
        s.serialize_field("refund", &self.refund())?;
        s.serialize_field("coupon_refund", &self.coupon_refund())?;
        s.serialize_field("refund_type", &self.refund_type())?;
        s.serialize_field("refund_status", &self.refund_status())?;
        s.serialize_field("body", self.body())?;
        s.serialize_field("attach", self.attach())?;
        s.serialize_field("fee", &self.fee())?;
        s.serialize_field("rate", self.rate())?;
        s.serialize_field("total", &self.total())?;
        s.serialize_field("refund_requested", &self.refund_requested())?;
        s.serialize_field("rate_note", &self.rate_note())?;
        s.serialize_field("extra", &self.extra)?;
        s.end()
    }
}
