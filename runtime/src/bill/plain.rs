//! A bill of a kind whose columns are not documented (the profit-sharing bill, the `*_SPECIAL`
//! trade bills, the 支付分 bill, a format newer than this crate): rows as (header, value)
//! pairs, with the same line splitting, backquotes, errors and streaming as the typed bills.
//!
//! Its summary is found by its header's first name (`总…`, or `…笔数`/`…单数`, as every
//! documented summary begins), since the kind's own names are unknown; a count among its
//! totals whose name says so (`…笔数`, `…单数`) is checked against the rows, the other totals
//! are kept as written. The choice is a guess where the documentation is silent: a bill whose
//! summary does not follow it reads its summary as rows and ends "cut short".

use super::money::parse_count;
use super::{Bill, BillError, Layout, Line};

/// A bill of undocumented columns ([`Bill`]) read row by row: an iterator of [`PlainRow`]s,
/// then its [`PlainSummary`].
pub type PlainBill<R> = Bill<Plain, R>;

/// The layout of a bill read by its header alone.
pub struct Plain {
    header: Vec<String>,
    rows: u64,
}

impl Plain {
    /// The header's column names, as the bill writes them.
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

/// One detail row: each column's header and value, in the bill's order. Its `Debug` shows the
/// line and the headers, never the values (a bill's columns may hold openids, names, amounts).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlainRow {
    /// The line of the bill it was read from (the header is line 1).
    pub line: u64,
    /// (header, value), every column.
    pub values: Vec<(String, String)>,
}

impl std::fmt::Debug for PlainRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.values.iter().map(|(h, _)| h.as_str()).collect();
        write!(
            f,
            "PlainRow {{ line: {}, columns: {headers:?}, .. (values withheld) }}",
            self.line
        )
    }
}

impl PlainRow {
    /// The value of the column named `header`.
    pub fn get(&self, header: &str) -> Option<&str> {
        self.values.iter().find(|(h, _)| h == header).map(|(_, v)| v.as_str())
    }
}

/// The summary: its (name, value) pairs as written; the row count among them was checked.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct PlainSummary {
    /// How many detail rows the bill has.
    pub rows: u64,
    /// (name, value), every total.
    pub totals: Vec<(String, String)>,
}

impl Layout for Plain {
    type Row = PlainRow;
    type Summary = PlainSummary;

    fn from_header(line: &Line) -> Result<Plain, BillError> {
        Ok(Plain {
            header: line.values().map(str::to_owned).collect(),
            rows: 0,
        })
    }

    fn is_summary_header(&self, line: &Line) -> bool {
        let first = line.value(0);
        !line.text().starts_with('`') && (first.starts_with('总') || is_count(first))
    }

    fn row(&mut self, line: &Line) -> Result<PlainRow, BillError> {
        line.check_width(self.header.len())?;
        self.rows += 1;
        Ok(PlainRow {
            line: line.number,
            values: self
                .header
                .iter()
                .cloned()
                .zip(line.values().map(str::to_owned))
                .collect(),
        })
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn summary(&mut self, names: &Line, values: &Line) -> Result<PlainSummary, BillError> {
        let totals: Vec<(String, String)> = names
            .values()
            .enumerate()
            .map(|(i, name)| (name.to_owned(), values.value(i).to_owned()))
            .collect();
        if let Some((name, count)) = totals.iter().find(|(name, _)| is_count(name)) {
            let n = parse_count(count).map_err(|why| BillError::at(values.number, Some(name), why))?;
            if n != self.rows {
                return Err(BillError::at(
                    values.number,
                    Some(name),
                    format!("the summary says {n} rows, the bill has {}", self.rows),
                ));
            }
        }
        Ok(PlainSummary {
            rows: self.rows,
            totals,
        })
    }
}

/// Whether a summary's name is a count of rows (`资金流水总笔数`, `总交易单数`, `分账总笔数`, …).
fn is_count(name: &str) -> bool {
    name.ends_with("总笔数") || name.ends_with("总单数") || name == "总交易单数"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bill_of_unknown_columns_reads_by_header_and_checks_its_count() {
        let text = "\u{feff}分账时间,分账方,接收方,分账金额(元)\r\n`2026-01-05 10:00:00,`1900000001,`1900000109,`1.00\r\n2026-01-05 10:00:01,1900000001,1900000110,2.00\r\n分账总笔数,分账总金额(元)\r\n`2,`3.00\r\n";
        let mut bill = PlainBill::new(text.as_bytes()).unwrap();
        let rows: Vec<PlainRow> = bill.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 2, "a row without backquotes is still a row");
        assert_eq!(rows[1].get("接收方"), Some("1900000110"));
        assert!(
            !format!("{:?}", rows[1]).contains("1900000110"),
            "values are withheld from Debug"
        );
        let summary = bill.summary().unwrap();
        assert_eq!((summary.rows, summary.totals[1].1.as_str()), (2, "3.00"));

        let wrong = text.replace("`2,`3.00", "`3,`3.00");
        let e = PlainBill::new(wrong.as_bytes()).unwrap().find_map(Result::err).unwrap();
        assert_eq!((e.line, e.column.as_deref()), (Some(5), Some("分账总笔数")));
    }
}
