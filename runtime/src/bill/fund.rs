//! The fund-flow bill (资金账单: `GET /v3/bill/fundflowbill`, `BASIC`, `OPERATION`, `FEES`;
//! after decryption, the sub-merchant and e-commerce fund-flow bills too): one row per movement
//! of the account, read by header name (the money headers with ASCII or full-width
//! parentheses), the summary's counts and sums per direction checked against the rows.

use std::fmt;

use serde::ser::SerializeStruct as _;

use super::cells::Cells;
use super::money::{parse_count, parse_decimal};
use super::{Bill, BillError, Layout, Line};

/// The columns (header names, the current one first) a fund-flow bill must have, in the order
/// of [`FundRow`]'s text values; the amounts are found apart.
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

/// One movement of the account. Money in fen, unsigned (the direction is
/// [`income`](Self::income)). Its `Debug` withholds the amounts; `Serialize` writes every column.
#[derive(Clone, PartialEq, Eq)]
pub struct FundRow {
    line: u64,
    /// The text columns, in the order of [`TEXT`].
    cells: Cells<9>,
    income: bool,
    amount: i64,
    balance: i64,
    extra: Vec<(String, String)>,
}

impl FundRow {
    /// The line of the bill it was read from (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// 收支类型 is 收入 (`true`) or 支出 (`false`).
    pub fn income(&self) -> bool {
        self.income
    }

    /// 收支金额, fen.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// 账户结余 after the movement, fen.
    pub fn balance(&self) -> i64 {
        self.balance
    }

    /// The columns the reader does not know: (header, value).
    pub fn extra(&self) -> &[(String, String)] {
        &self.extra
    }

    fn text(&self, index: usize) -> &str {
        self.cells.get(index).unwrap_or_default()
    }

    /// 记账时间.
    pub fn time(&self) -> &str {
        self.text(0)
    }

    /// 微信支付业务单号 (a transaction id, a refund id, …).
    pub fn business_id(&self) -> &str {
        self.text(1)
    }

    /// 资金流水单号.
    pub fn flow_id(&self) -> &str {
        self.text(2)
    }

    /// 业务名称: 交易, 退款, 分账, ….
    pub fn business_name(&self) -> &str {
        self.text(3)
    }

    /// 业务类型: 交易, 扣除交易手续费, 退款, ….
    pub fn business_type(&self) -> &str {
        self.text(4)
    }

    /// 资金变更提交申请人.
    pub fn applicant(&self) -> &str {
        self.text(6)
    }

    /// 备注.
    pub fn note(&self) -> &str {
        self.text(7)
    }

    /// 业务凭证号 (usually the merchant's number: out_trade_no, out_refund_no).
    pub fn voucher(&self) -> &str {
        self.text(8)
    }
}

impl fmt::Debug for FundRow {
    /// The row's line and numbers; the amounts are withheld.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FundRow {{ line: {}, business_id: {:?}, business_type: {:?}, .. (withheld) }}",
            self.line,
            self.business_id(),
            self.business_type()
        )
    }
}

impl serde::Serialize for FundRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("FundRow", 13)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("time", self.time())?;
        s.serialize_field("business_id", self.business_id())?;
        s.serialize_field("flow_id", self.flow_id())?;
        s.serialize_field("business_name", self.business_name())?;
        s.serialize_field("business_type", self.business_type())?;
        s.serialize_field("income", &self.income)?;
        s.serialize_field("amount", &self.amount)?;
        s.serialize_field("balance", &self.balance)?;
        s.serialize_field("applicant", self.applicant())?;
        s.serialize_field("note", self.note())?;
        s.serialize_field("voucher", self.voucher())?;
        s.serialize_field("extra", &self.extra)?;
        s.end()
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
        let mut cells = Cells::new(line.text());
        for (slot, &i) in self.text.iter().enumerate() {
            cells.set(slot, line.span(i).expect("the width was checked"));
        }
        let row = FundRow {
            line: line.number,
            cells,
            income,
            amount: money(self.amount)?,
            balance: money(self.balance)?,
            extra: self
                .extra
                .iter()
                .map(|&i| (self.header[i].clone(), line.value(i).to_owned()))
                .collect(),
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
