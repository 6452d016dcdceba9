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
//!     println!("{} {} fen", row.out_trade_no(), row.settlement_total());
//! }
//! let summary = bill.summary().expect("checked when read");
//! println!("{} rows", summary.rows);
//! # Ok(()) }
//! ```

mod cells;
mod encrypted;
mod fund;
mod lines;
pub mod money;
mod plain;
mod reader;
pub mod reconcile;
mod stream;
mod trade;

pub use encrypted::EncryptedBillFile;
pub use fund::{FundFlow, FundFlowBill, FundRow, FundSummary};
pub use plain::{Plain, PlainBill, PlainRow, PlainSummary};
pub use reader::{Bill, Layout};
pub use stream::BillStream;
pub use trade::{Trade, TradeBill, TradeRow, TradeSummary};

use std::ops::Range;

pub use crate::error::BillError;

/// One line of a bill: its number (1-based, blank lines counted) and its values, split on `,`,
/// each without its leading backquote. The text is kept once; values are slices of it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Line {
    /// 1-based; the header is line 1.
    pub number: u64,
    text: String,
    values: Vec<Range<usize>>,
}

impl Line {
    /// `text` split on `,`, one backquote dropped from the start of each value.
    pub fn new(number: u64, text: &str) -> Line {
        let mut line = Line {
            number: 0,
            text: String::new(),
            values: Vec::with_capacity(32),
        };
        line.set(number, text);
        line
    }

    /// Makes this line `text`, keeping its buffers (one line read after another allocates
    /// nothing once they are large enough).
    pub(crate) fn set(&mut self, number: u64, text: &str) {
        self.number = number;
        self.text.clear();
        self.text.push_str(text);
        self.values.clear();
        let bytes = text.as_bytes();
        let mut start = 0;
        for end in memchr::memchr_iter(b',', bytes).chain([bytes.len()]) {
            let skip = usize::from(bytes.get(start) == Some(&b'`') && start < end);
            self.values.push(start + skip..end);
            start = end + 1;
        }
    }

    /// The whole line as read (values with their backquotes).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where value `index` is in [`text`](Self::text) (`None` past the end).
    pub fn span(&self, index: usize) -> Option<Range<usize>> {
        self.values.get(index).cloned()
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the line has no value (never: a blank line is skipped).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value at `index` (`""` past the end).
    pub fn value(&self, index: usize) -> &str {
        self.values.get(index).map_or("", |r| &self.text[r.clone()])
    }

    /// The values, in order.
    pub fn values(&self) -> impl Iterator<Item = &str> + '_ {
        self.values.iter().map(|r| &self.text[r.clone()])
    }

    /// Where the first value that is one of `names` is, if any.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        self.values().position(|v| names.contains(&v))
    }

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
