//! Bills (对账单) read as typed, exact, streaming rows (`../shared/reference/BILLS.md` has the
//! facts this follows).
//!
//! A bill is a header line, detail rows, a summary header and one summary row: comma-separated,
//! never quoted, a UTF-8 BOM at the start, CRLF line ends, one backquote before every value of a
//! detail or summary row (optional: older files lack some). Columns are found by their header
//! names, never by position (they differ by bill type and age); a column the reader does not
//! know is kept, as text, in the row's `extra`. Amounts are integers of the unit they are written
//! in ([`money`]): yuan with two decimals → fen, fees with five decimals → 10^-5 yuan.
//!
//! The rows are read one at a time from any [`std::io::Read`] (a file, a gunzip stream, a
//! download), in constant memory; the summary is checked against the sums of the rows when it is
//! reached, and a bill that ends without one, or that does not add up, is an error.
//!
//! ```no_run
//! # fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::File::open("bill.csv")?;
//! let mut bill = wechatpay::bill::TradeBill::new(file)?;
//! for row in bill.by_ref() {
//!     let row = row?;
//!     println!("{} {} fen", row.out_trade_no, row.settlement_total);
//! }
//! let summary = bill.summary().expect("checked when read");
//! println!("{} rows", summary.rows);
//! # Ok(()) }
//! ```

mod fund;
pub mod money;
mod trade;

pub use fund::{FundFlowBill, FundRow, FundSummary};
pub use trade::{TradeBill, TradeRow, TradeSummary};

use std::fmt;
use std::io::{BufRead as _, BufReader, Read};

/// What is wrong with a bill, and where: the line (1-based, the header is line 1) and the
/// column, when one is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillError {
    /// The line, when the error is on one.
    pub line: Option<u64>,
    /// The column's header name, when the error is in one.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl BillError {
    pub(crate) fn at(line: u64, column: Option<&str>, message: impl Into<String>) -> BillError {
        BillError {
            line: Some(line),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> BillError {
        BillError {
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for BillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for BillError {}

/// One line of a bill, its values without their backquote.
pub(crate) struct Line {
    /// 1-based.
    pub number: u64,
    pub values: Vec<String>,
}

impl Line {
    /// An error unless the line has as many values as the header has columns.
    pub fn check_width(&self, columns: usize) -> Result<(), BillError> {
        if self.values.len() == columns {
            return Ok(());
        }
        Err(BillError::at(
            self.number,
            None,
            format!("{} values where the header has {columns} columns", self.values.len()),
        ))
    }
}

/// One step of a bill's row iterator, from what reading the next line gave: a row, the end
/// (the summary was read and checked: `Ok(None)`), or an error; after the end or an error the
/// iterator is `done`.
pub(crate) fn step<T>(done: &mut bool, read: Result<Option<T>, BillError>) -> Option<Result<T, BillError>> {
    match read {
        Ok(Some(row)) => Some(Ok(row)),
        Ok(None) => {
            *done = true;
            None
        }
        Err(e) => {
            *done = true;
            Some(Err(e))
        }
    }
}

/// The error of a bill that ends before its summary.
pub(crate) fn cut_short(rows: u64) -> BillError {
    BillError::whole(format!(
        "the bill ends after {rows} rows without its summary (cut short?)"
    ))
}

/// The lines of a bill, read one at a time from a buffered reader, split on `,` (the bills never
/// quote: a `"` in a value is literal). (Not the `csv` crate: its line numbers drift on CRLF
/// files, and an error must name its line.)
pub(crate) struct Lines<R: Read> {
    reader: BufReader<R>,
    buffer: Vec<u8>,
    number: u64,
}

impl<R: Read> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader: BufReader::with_capacity(64 * 1024, reader),
            buffer: Vec::new(),
            number: 0,
        }
    }

    /// The summary's values, the line after its header `names`.
    pub fn summary_values(&mut self, names: &Line) -> Result<Line, BillError> {
        self.next()?.ok_or_else(|| {
            BillError::at(
                names.number,
                None,
                "the bill ends after the summary's header, without its values",
            )
        })
    }

    /// Nothing more after the summary.
    pub fn end(&mut self) -> Result<(), BillError> {
        match self.next()? {
            Some(after) => Err(BillError::at(after.number, None, "a line after the summary")),
            None => Ok(()),
        }
    }

    /// The next line that is not empty, or `None` at the end.
    pub fn next(&mut self) -> Result<Option<Line>, BillError> {
        loop {
            self.buffer.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| BillError::at(self.number + 1, None, format!("cannot be read: {e}")))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            let mut bytes = self.buffer.as_slice();
            bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if self.number == 1 {
                bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
            }
            let text = std::str::from_utf8(bytes).map_err(|_| BillError::at(self.number, None, "not UTF-8 text"))?;
            if text.trim().is_empty() {
                continue;
            }
            let values = text
                .split(',')
                .map(|v| v.strip_prefix('`').unwrap_or(v).to_owned())
                .collect();
            return Ok(Some(Line {
                number: self.number,
                values,
            }));
        }
    }
}
