//! The fund-flow bill (资金账单: `GET /v3/bill/fundflowbill`, `BASIC`, `OPERATION`, `FEES`;
//! after decryption, the sub-merchant and e-commerce fund-flow bills too): one row per movement
//! of the account, read by header name (the money headers with ASCII or full-width
//! parentheses), the summary's counts and sums per direction checked against the rows.

use std::fmt;
use std::io::Read;

use super::money::{parse_count, parse_decimal};
use super::{BillError, Line, Lines};

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

/// A fund-flow bill read row by row: an iterator of [`FundRow`]s, then
/// [`summary`](Self::summary).
pub struct FundFlowBill<R: Read> {
    lines: Lines<R>,
    header: Vec<String>,
    text: [usize; 9],
    amount: usize,
    balance: usize,
    extra: Vec<usize>,
    seen: FundSummary,
    summary: Option<FundSummary>,
    done: bool,
}

impl<R: Read> FundFlowBill<R> {
    /// Reads the header from `reader`: an error names a missing column, or says the text is not
    /// a fund-flow bill.
    pub fn new(reader: R) -> Result<FundFlowBill<R>, BillError> {
        let mut lines = Lines::new(reader);
        let header = lines
            .next()?
            .ok_or_else(|| BillError::whole("the bill is empty"))?
            .values;
        if header.first().map(String::as_str) != Some("记账时间") {
            return Err(BillError::at(
                1,
                None,
                "not a fund-flow bill: its first column is not 记账时间",
            ));
        }
        let find = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.contains(&h.as_str()))
                .ok_or_else(|| BillError::at(1, Some(names[0]), "this column is missing from the header"))
        };
        let mut text = [0; 9];
        for (slot, names) in text.iter_mut().zip(TEXT) {
            *slot = find(names)?;
        }
        let (amount, balance) = (find(AMOUNT)?, find(BALANCE)?);
        let known: Vec<usize> = text.iter().copied().chain([amount, balance]).collect();
        let extra = (0..header.len()).filter(|i| !known.contains(i)).collect();
        Ok(FundFlowBill {
            lines,
            header,
            text,
            amount,
            balance,
            extra,
            seen: FundSummary::default(),
            summary: None,
            done: false,
        })
    }

    /// The bill's summary, once every row was read (checked against the rows).
    pub fn summary(&self) -> Option<&FundSummary> {
        self.summary.as_ref()
    }

    fn row(&mut self, line: Line) -> Result<FundRow, BillError> {
        line.check_width(self.header.len())?;
        let value = |i: usize| line.values[i].clone();
        let money = |i: usize| {
            parse_decimal(&line.values[i], 2).map_err(|why| BillError::at(line.number, Some(&self.header[i]), why))
        };
        let income = match line.values[self.text[5]].as_str() {
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

    fn check_summary(&mut self, names: Line) -> Result<(), BillError> {
        let values = self.lines.summary_values(&names)?;
        let get = |name: &str| -> Result<String, BillError> {
            let i = names
                .values
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| BillError::at(names.number, Some(name), "this total is missing from the summary"))?;
            Ok(values.values.get(i).cloned().unwrap_or_default())
        };
        let count = |name: &str, seen: u64| -> Result<u64, BillError> {
            let text = get(name)?;
            let n = parse_count(&text).map_err(|why| BillError::at(values.number, Some(name), why))?;
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
            let total = parse_decimal(&text, 2).map_err(|why| BillError::at(values.number, Some(name), why))?;
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
        let seen = self.seen.clone();
        let summary = FundSummary {
            rows: count("资金流水总笔数", seen.rows)?,
            incomes: count("收入笔数", seen.incomes)?,
            income: sum("收入金额", seen.income)?,
            expenses: count("支出笔数", seen.expenses)?,
            expense: sum("支出金额", seen.expense)?,
        };
        self.lines.end()?;
        self.summary = Some(summary);
        Ok(())
    }
}

impl<R: Read> Iterator for FundFlowBill<R> {
    type Item = Result<FundRow, BillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.lines.next() {
            Ok(Some(line)) if line.values.first().map(String::as_str) == Some("资金流水总笔数") => {
                self.check_summary(line).map(|()| None)
            }
            Ok(Some(line)) => self.row(line).map(Some),
            Ok(None) => Err(super::cut_short(self.seen.rows)),
            Err(e) => Err(e),
        };
        super::step(&mut self.done, result)
    }
}
