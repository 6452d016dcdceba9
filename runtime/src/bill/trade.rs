//! The trade bill (交易账单: `GET /v3/bill/tradebill`, APIv2 `pay/downloadbill`): `ALL`,
//! `SUCCESS`, `REFUND`, the `*_SPECIAL` and `RECHARGE_REFUND` kinds and the older 24-column
//! layout, direct merchants and service providers alike, read by header name.

use std::fmt;

use super::money::{parse_count, parse_decimal};
use super::{Bill, BillError, Layout, Line};

/// How a column's values are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// Yuan with two decimals → fen.
    Money,
    /// Yuan with five decimals → 10^-5 yuan.
    Fee,
}

/// A column the reader knows: the row field it fills, its header names (the current one first,
/// then older files' names), whether a trade bill must have it.
struct Column {
    field: Field,
    headers: &'static [&'static str],
    required: bool,
    kind: Kind,
}

/// The fields of [`TradeRow`] read from a column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    TradeTime,
    Appid,
    Mchid,
    SubMchid,
    DeviceInfo,
    TransactionId,
    OutTradeNo,
    Openid,
    TradeType,
    TradeState,
    BankType,
    Currency,
    SettlementTotal,
    Coupon,
    RefundApplyTime,
    RefundSuccessTime,
    RefundId,
    OutRefundNo,
    Refund,
    CouponRefund,
    RefundType,
    RefundStatus,
    Body,
    Attach,
    Fee,
    Rate,
    Total,
    RefundRequested,
    RateNote,
}

/// How many [`Field`]s there are (the sums are kept by field).
const FIELDS: usize = Field::RateNote as usize + 1;

const fn column(field: Field, headers: &'static [&'static str], required: bool, kind: Kind) -> Column {
    Column {
        field,
        headers,
        required,
        kind,
    }
}

use Kind::{Fee as F, Money as M, Text as T};

/// Every column of the trade bills (BILLS.md §2.1), with the older layouts' names.
const COLUMNS: &[Column] = &[
    column(Field::TradeTime, &["交易时间"], true, T),
    column(Field::Appid, &["公众账号ID"], true, T),
    column(Field::Mchid, &["商户号"], true, T),
    column(Field::SubMchid, &["特约商户号", "子商户号"], true, T),
    column(Field::DeviceInfo, &["设备号"], true, T),
    column(Field::TransactionId, &["微信订单号"], true, T),
    column(Field::OutTradeNo, &["商户订单号"], true, T),
    column(Field::Openid, &["用户标识"], true, T),
    column(Field::TradeType, &["交易类型"], true, T),
    column(Field::TradeState, &["交易状态"], true, T),
    column(Field::BankType, &["付款银行"], true, T),
    column(Field::Currency, &["货币种类"], true, T),
    column(Field::SettlementTotal, &["应结订单金额", "总金额"], true, M),
    column(
        Field::Coupon,
        &["代金券金额", "代金券或立减优惠金额", "企业红包金额"],
        true,
        M,
    ),
    column(Field::RefundApplyTime, &["退款申请时间"], false, T),
    column(Field::RefundSuccessTime, &["退款成功时间"], false, T),
    column(Field::RefundId, &["微信退款单号"], false, T),
    column(Field::OutRefundNo, &["商户退款单号"], false, T),
    column(Field::Refund, &["退款金额"], false, M),
    column(
        Field::CouponRefund,
        &["充值券退款金额", "代金券或立减优惠退款金额", "企业红包退款金额"],
        false,
        M,
    ),
    column(Field::RefundType, &["退款类型"], false, T),
    column(Field::RefundStatus, &["退款状态"], false, T),
    column(Field::Body, &["商品名称"], true, T),
    column(Field::Attach, &["商户数据包"], true, T),
    column(Field::Fee, &["手续费", "返还手续费"], true, F),
    column(Field::Rate, &["费率"], true, T),
    column(Field::Total, &["订单金额"], false, M),
    column(Field::RefundRequested, &["申请退款金额"], false, M),
    column(Field::RateNote, &["费率备注"], false, T),
];

/// One detail row of a trade bill: a payment (`trade_state` `SUCCESS`), or a refund (`REFUND`)
/// with its refund columns. Money in fen; `fee` in 10^-5 yuan (negative on a refund row).
/// Columns a bill's layout lacks are `None` (or empty text), columns the reader does not know
/// are in `extra`.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct TradeRow {
    /// The line of the bill it was read from (the header is line 1).
    pub line: u64,
    /// 交易时间: `yyyy-MM-dd HH:mm:ss`, Beijing time.
    pub trade_time: String,
    /// 公众账号ID.
    pub appid: String,
    /// 商户号.
    pub mchid: String,
    /// 特约商户号 (`0` for a direct merchant).
    pub sub_mchid: String,
    /// 设备号.
    pub device_info: String,
    /// 微信订单号.
    pub transaction_id: String,
    /// 商户订单号.
    pub out_trade_no: String,
    /// 用户标识 (the payer's openid).
    pub openid: String,
    /// 交易类型: `JSAPI`, `NATIVE`, `APP`, `MICROPAY`, ….
    pub trade_type: String,
    /// 交易状态: `SUCCESS`, `REFUND`, `REVOKED`.
    pub trade_state: String,
    /// 付款银行.
    pub bank_type: String,
    /// 货币种类.
    pub currency: String,
    /// 应结订单金额 (older: 总金额), fen.
    pub settlement_total: i64,
    /// 代金券金额, fen.
    pub coupon: i64,
    /// 退款申请时间 (the `REFUND` bill).
    pub refund_apply_time: Option<String>,
    /// 退款成功时间 (the `REFUND` bill).
    pub refund_success_time: Option<String>,
    /// 微信退款单号 (`0` on a payment row).
    pub refund_id: Option<String>,
    /// 商户退款单号 (`0` on a payment row).
    pub out_refund_no: Option<String>,
    /// 退款金额, fen.
    pub refund: Option<i64>,
    /// 充值券退款金额, fen.
    pub coupon_refund: Option<i64>,
    /// 退款类型.
    pub refund_type: Option<String>,
    /// 退款状态.
    pub refund_status: Option<String>,
    /// 商品名称.
    pub body: String,
    /// 商户数据包.
    pub attach: String,
    /// 手续费, 10^-5 yuan (five decimals as written).
    pub fee: i64,
    /// 费率, as written (`0.60%`).
    pub rate: String,
    /// 订单金额, fen.
    pub total: Option<i64>,
    /// 申请退款金额, fen.
    pub refund_requested: Option<i64>,
    /// 费率备注.
    pub rate_note: Option<String>,
    /// The columns the reader does not know: (header, value).
    pub extra: Vec<(String, String)>,
}

impl fmt::Debug for TradeRow {
    /// The row's line and numbers; the payer and amounts are withheld (personal data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TradeRow {{ line: {}, out_trade_no: {:?}, trade_state: {:?}, .. (withheld: personal data) }}",
            self.line, self.out_trade_no, self.trade_state
        )
    }
}

/// The summary of a trade bill, checked against its rows. Totals the bill's layout does not
/// have are `None`.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct TradeSummary {
    /// 总交易单数.
    pub rows: u64,
    /// 应结订单总金额 (older: 总交易额), fen.
    pub settlement_total: Option<i64>,
    /// 退款总金额 (older: 总退款金额), fen.
    pub refund: Option<i64>,
    /// 充值券退款总金额, fen.
    pub coupon_refund: Option<i64>,
    /// 手续费总金额, 10^-5 yuan.
    pub fee: Option<i64>,
    /// 订单总金额, fen.
    pub total: Option<i64>,
    /// 申请退款总金额, fen.
    pub refund_requested: Option<i64>,
}

/// The summary's columns: its header names, the row field each totals, its kind.
const SUMMARY: &[(&[&str], Field, Kind)] = &[
    (&["应结订单总金额", "总交易额"], Field::SettlementTotal, M),
    (&["退款总金额", "总退款金额"], Field::Refund, M),
    (
        &["充值券退款总金额", "总代金券或立减优惠退款金额", "总企业红包退款金额"],
        Field::CouponRefund,
        M,
    ),
    (&["手续费总金额"], Field::Fee, F),
    (&["订单总金额"], Field::Total, M),
    (&["申请退款总金额"], Field::RefundRequested, M),
];

/// A trade bill ([`Bill`]) read row by row: an iterator of [`TradeRow`]s, then its
/// [`TradeSummary`].
pub type TradeBill<R> = Bill<Trade, R>;

/// The layout of a trade bill, found from its header: where each known column is.
pub struct Trade {
    header: Vec<String>,
    /// The known columns, in the bill's order (an error names the leftmost bad value).
    at: Vec<(Field, usize, Kind)>,
    extra: Vec<usize>,
    sums: [i64; FIELDS],
    rows: u64,
}

impl Trade {
    /// The header's column names, as the bill writes them.
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

impl Layout for Trade {
    type Row = TradeRow;
    type Summary = TradeSummary;

    fn from_header(line: &Line) -> Result<Trade, BillError> {
        if line.value(0) != "交易时间" {
            return Err(BillError::at(
                line.number,
                None,
                "not a trade bill: its first column is not 交易时间",
            ));
        }
        let mut at = Vec::new();
        for c in COLUMNS {
            match line.find(c.headers) {
                Some(i) => at.push((c.field, i, c.kind)),
                None if c.required => {
                    return Err(BillError::at(
                        line.number,
                        Some(c.headers[0]),
                        "this column is missing from the header",
                    ))
                }
                None => {}
            }
        }
        at.sort_by_key(|(_, i, _)| *i);
        let known: Vec<usize> = at.iter().map(|(_, i, _)| *i).collect();
        let extra = (0..line.len()).filter(|i| !known.contains(i)).collect();
        Ok(Trade {
            header: line.values().map(str::to_owned).collect(),
            at,
            extra,
            sums: [0; FIELDS],
            rows: 0,
        })
    }

    fn is_summary_header(&self, line: &Line) -> bool {
        line.value(0) == "总交易单数"
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn row(&mut self, line: &Line) -> Result<TradeRow, BillError> {
        line.check_width(self.header.len())?;
        let mut row = TradeRow {
            line: line.number,
            ..TradeRow::default()
        };
        for &(field, i, kind) in &self.at {
            let text = line.value(i);
            match kind {
                Kind::Text => set_text(&mut row, field, text.to_owned()),
                Kind::Money | Kind::Fee => {
                    let decimals = if kind == Kind::Fee { 5 } else { 2 };
                    let value = parse_decimal(text, decimals)
                        .map_err(|why| BillError::at(line.number, Some(&self.header[i]), why))?;
                    self.sums[field as usize] += value;
                    set_amount(&mut row, field, value);
                }
            }
        }
        row.extra = self
            .extra
            .iter()
            .map(|&i| (self.header[i].clone(), line.value(i).to_owned()))
            .collect();
        self.rows += 1;
        Ok(row)
    }

    fn summary(&mut self, names: &Line, values: &Line) -> Result<TradeSummary, BillError> {
        let count = values.value(0);
        let rows = parse_count(count).map_err(|why| BillError::at(values.number, Some("总交易单数"), why))?;
        if rows != self.rows {
            return Err(BillError::at(
                values.number,
                Some("总交易单数"),
                format!("the summary says {rows} rows, the bill has {}", self.rows),
            ));
        }
        let mut summary = TradeSummary {
            rows,
            ..TradeSummary::default()
        };
        for (name_set, field, kind) in SUMMARY {
            let Some(i) = names.find(name_set) else {
                continue;
            };
            let (text, name) = (values.value(i), names.value(i));
            let decimals = if *kind == Kind::Fee { 5 } else { 2 };
            let total = parse_decimal(text, decimals).map_err(|why| BillError::at(values.number, Some(name), why))?;
            let sum = self.sums[*field as usize];
            if total != sum {
                return Err(BillError::at(
                    values.number,
                    Some(name),
                    format!(
                        "the summary says {text}, the rows add up to {} (off by {})",
                        unit_text(sum, decimals),
                        unit_text(total - sum, decimals)
                    ),
                ));
            }
            let slot = match field {
                Field::SettlementTotal => &mut summary.settlement_total,
                Field::Refund => &mut summary.refund,
                Field::CouponRefund => &mut summary.coupon_refund,
                Field::Fee => &mut summary.fee,
                Field::Total => &mut summary.total,
                _ => &mut summary.refund_requested,
            };
            *slot = Some(total);
        }
        Ok(summary)
    }
}

fn set_text(row: &mut TradeRow, field: Field, text: String) {
    match field {
        Field::TradeTime => row.trade_time = text,
        Field::Appid => row.appid = text,
        Field::Mchid => row.mchid = text,
        Field::SubMchid => row.sub_mchid = text,
        Field::DeviceInfo => row.device_info = text,
        Field::TransactionId => row.transaction_id = text,
        Field::OutTradeNo => row.out_trade_no = text,
        Field::Openid => row.openid = text,
        Field::TradeType => row.trade_type = text,
        Field::TradeState => row.trade_state = text,
        Field::BankType => row.bank_type = text,
        Field::Currency => row.currency = text,
        Field::RefundApplyTime => row.refund_apply_time = Some(text),
        Field::RefundSuccessTime => row.refund_success_time = Some(text),
        Field::RefundId => row.refund_id = Some(text),
        Field::OutRefundNo => row.out_refund_no = Some(text),
        Field::RefundType => row.refund_type = Some(text),
        Field::RefundStatus => row.refund_status = Some(text),
        Field::Body => row.body = text,
        Field::Attach => row.attach = text,
        Field::Rate => row.rate = text,
        Field::RateNote => row.rate_note = Some(text),
        _ => unreachable!("{field:?} is an amount"),
    }
}

fn set_amount(row: &mut TradeRow, field: Field, value: i64) {
    match field {
        Field::SettlementTotal => row.settlement_total = value,
        Field::Coupon => row.coupon = value,
        Field::Refund => row.refund = Some(value),
        Field::CouponRefund => row.coupon_refund = Some(value),
        Field::Fee => row.fee = value,
        Field::Total => row.total = Some(value),
        Field::RefundRequested => row.refund_requested = Some(value),
        _ => unreachable!("{field:?} is text"),
    }
}

/// An integer of 10^-`decimals` yuan written as the bill writes it.
fn unit_text(value: i64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        value.abs() / scale,
        value.abs() % scale,
        width = decimals as usize
    )
}
