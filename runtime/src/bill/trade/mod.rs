//! The trade bill (交易账单: `GET /v3/bill/tradebill`, APIv2 `pay/downloadbill`): `ALL`,
//! `SUCCESS`, `REFUND`, the `*_SPECIAL` and `RECHARGE_REFUND` kinds and the older 24-column
//! layout, direct merchants and service providers alike, read by header name.

mod row;

pub use row::TradeRow;

use super::cells::Cells;
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

/// The fields of [`TradeRow`] read from a column: the amounts first (they index a row's
/// amounts and the sums), then the texts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Field {
    SettlementTotal,
    Coupon,
    Refund,
    CouponRefund,
    Fee,
    Total,
    RefundRequested,
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
    RefundApplyTime,
    RefundSuccessTime,
    RefundId,
    OutRefundNo,
    RefundType,
    RefundStatus,
    Body,
    Attach,
    Rate,
    RateNote,
}

/// How many [`Field`]s there are.
pub(crate) const FIELDS: usize = Field::RateNote as usize + 1;

/// How many of them are amounts (the first ones).
pub(crate) const AMOUNTS: usize = Field::RefundRequested as usize + 1;

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
    sums: [i64; AMOUNTS],
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
            sums: [0; AMOUNTS],
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
        let mut cells = Cells::new(line.text());
        let mut amounts = [0; AMOUNTS];
        for &(field, i, kind) in &self.at {
            cells.set(field as usize, line.span(i).expect("the width was checked"));
            if kind != Kind::Text {
                let decimals = if kind == Kind::Fee { 5 } else { 2 };
                let value = parse_decimal(line.value(i), decimals)
                    .map_err(|why| BillError::at(line.number, Some(&self.header[i]), why))?;
                self.sums[field as usize] += value;
                amounts[field as usize] = value;
            }
        }
        let extra = self
            .extra
            .iter()
            .map(|&i| (self.header[i].clone(), line.value(i).to_owned()))
            .collect();
        self.rows += 1;
        Ok(TradeRow::new(line.number, cells, amounts, extra))
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
