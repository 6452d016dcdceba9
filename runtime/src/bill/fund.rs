//! The fund-flow bill (资金账单: `GET /v3/bill/fundflowbill`, `BASIC`, `OPERATION`, `FEES`;
//! after decryption, the sub-merchant and e-commerce fund-flow bills too): one row per movement
//! of the account, read by header name (the money headers with ASCII or full-width
//! parentheses), the summary's counts and sums per direction checked against the rows.

use std::fmt;

use super::money::{parse_count, parse_decimal};
use super::{Bill, BillError, Layout, Line};

/// The columns (header names, the current one first) a fund-flow bill must have, in the order
/// of [`FundRow`]'s text fields; the amounts are found apart.
const TEXT: [&[&str]; 9] = [
    &["记账时间"],
    &["微信支付业务单号"],
    &["资金流水单号"],
    &["业务名称"],
    &["业务类型"],
    &["收支类型"],
    &["资金变更提交申请人"],
    &["备注"],
    &["业务凭证号"],
];
const AMOUNT: &[&str] = &["收支金额(元)", "收支金额（元）"];
const BALANCE: &[&str] = &["账户结余(元)", "账户结余（元）"];

/// One movement of the account. Money in fen, unsigned (the direction is `income`).
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct FundRow {
    /// The line of the bill it was read from (the header is line 1).
    pub line: u64,
    /// 记账时间.
    pub time: String,
    /// 微信支付业务单号 (a transaction id, a refund id, …).
    pub business_id: String,
    /// 资金流水单号.
    pub flow_id: String,
    /// 业务名称: 交易, 退款, 分账, ….
    pub business_name: String,
    /// 业务类型: 交易, 扣除交易手续费, 退款, ….
    pub business_type: String,
    /// 收支类型 is 收入 (`true`) or 支出 (`false`).
    pub income: bool,
    /// 收支金额, fen.
    pub amount: i64,
    /// 账户结余 after the movement, fen.
    pub balance: i64,
    /// 资金变更提交申请人.
    pub applicant: String,
    /// 备注.
    pub note: String,
    /// 业务凭证号 (usually the merchant's number: out_trade_no, out_refund_no).
    pub voucher: String,
    /// The columns the reader does not know: (header, value).
    pub extra: Vec<(String, String)>,
}

impl fmt::Debug for FundRow {
    /// The row's line and numbers; the amounts are withheld.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FundRow {{ line: {}, business_id: {:?}, business_type: {:?}, .. (withheld) }}",
            self.line, self.business_id, self.business_type
        )
    }
}

/// The summary of a fund-flow bill, checked against its rows.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct FundSummary {
    /// 资金流水总笔数.
    pub rows: u64,
    /// 收入笔数.
    pub incomes: u64,
    /// 收入金额, fen.
    pub income: i64,
    /// 支出笔数.
    pub expenses: u64,
    /// 支出金额, fen.
    pub expense: i64,
}

/// A fund-flow bill ([`Bill`]) read row by row: an iterator of [`FundRow`]s, then its
/// [`FundSummary`].
pub type FundFlowBill<R> = Bill<FundFlow, R>;

/// The layout of a fund-flow bill, found from its header: where each column is.
pub struct FundFlow {
    header: Vec<String>,
    text: [usize; 9],
    amount: usize,
    balance: usize,
    extra: Vec<usize>,
    seen: FundSummary,
}

impl FundFlow {
    /// The header's column names, as the bill writes them.
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

impl Layout for FundFlow {
    type Row = FundRow;
    type Summary = FundSummary;

    fn from_header(line: &Line) -> Result<FundFlow, BillError> {
        if line.value(0) != "记账时间" {
            return Err(BillError::at(
                line.number,
                None,
                "not a fund-flow bill: its first column is not 记账时间",
            ));
        }
        let find = |names: &[&str]| {
            line.find(names)
                .ok_or_else(|| BillError::at(line.number, Some(names[0]), "this column is missing from the header"))
        };
        let mut text = [0; 9];
        for (slot, names) in text.iter_mut().zip(TEXT) {
            *slot = find(names)?;
        }
        let (amount, balance) = (find(AMOUNT)?, find(BALANCE)?);
        let known: Vec<usize> = text.iter().copied().chain([amount, balance]).collect();
        let extra = (0..line.len()).filter(|i| !known.contains(i)).collect();
        Ok(FundFlow {
            header: line.values().map(str::to_owned).collect(),
            text,
            amount,
            balance,
            extra,
            seen: FundSummary::default(),
        })
    }

    fn is_summary_header(&self, line: &Line) -> bool {
        line.value(0) == "资金流水总笔数"
    }

    fn rows(&self) -> u64 {
        self.seen.rows
    }

    fn row(&mut self, line: &Line) -> Result<FundRow, BillError> {
        line.check_width(self.header.len())?;
        let value = |i: usize| line.value(i).to_owned();
        let money = |i: usize| {
            parse_decimal(line.value(i), 2).map_err(|why| BillError::at(line.number, Some(&self.header[i]), why))
        };
        let income = match line.value(self.text[5]) {
            "收入" => true,
            "支出" => false,
            other => {
                return Err(BillError::at(
                    line.number,
                    Some("收支类型"),
                    format!("{other:?} is neither 收入 nor 支出"),
                ))
            }
        };
        let row = FundRow {
            line: line.number,
            time: value(self.text[0]),
            business_id: value(self.text[1]),
            flow_id: value(self.text[2]),
            business_name: value(self.text[3]),
            business_type: value(self.text[4]),
            income,
            amount: money(self.amount)?,
            balance: money(self.balance)?,
            applicant: value(self.text[6]),
            note: value(self.text[7]),
            voucher: value(self.text[8]),
            extra: self.extra.iter().map(|&i| (self.header[i].clone(), value(i))).collect(),
        };
        self.seen.rows += 1;
        if income {
            self.seen.incomes += 1;
            self.seen.income += row.amount;
        } else {
            self.seen.expenses += 1;
            self.seen.expense += row.amount;
        }
        Ok(row)
    }

    fn summary(&mut self, names: &Line, values: &Line) -> Result<FundSummary, BillError> {
        let get = |name: &str| -> Result<&str, BillError> {
            let i = names
                .find(&[name])
                .ok_or_else(|| BillError::at(names.number, Some(name), "this total is missing from the summary"))?;
            Ok(values.value(i))
        };
        let count = |name: &str, seen: u64| -> Result<u64, BillError> {
            let n = parse_count(get(name)?).map_err(|why| BillError::at(values.number, Some(name), why))?;
            if n != seen {
                return Err(BillError::at(
                    values.number,
                    Some(name),
                    format!("the summary says {n}, the rows count {seen}"),
                ));
            }
            Ok(n)
        };
        let sum = |name: &str, seen: i64| -> Result<i64, BillError> {
            let text = get(name)?;
            let total = parse_decimal(text, 2).map_err(|why| BillError::at(values.number, Some(name), why))?;
            if total != seen {
                return Err(BillError::at(
                    values.number,
                    Some(name),
                    format!(
                        "the summary says {text}, the rows add up to {} fen (off by {} fen)",
                        seen,
                        total - seen
                    ),
                ));
            }
            Ok(total)
        };
        let seen = &self.seen;
        Ok(FundSummary {
            rows: count("资金流水总笔数", seen.rows)?,
            incomes: count("收入笔数", seen.incomes)?,
            income: sum("收入金额", seen.income)?,
            expenses: count("支出笔数", seen.expenses)?,
            expense: sum("支出金额", seen.expense)?,
        })
    }
}
