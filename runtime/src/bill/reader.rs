//! What every bill has in common: a header, detail rows, a summary header and its values. The
//! [`Parser`] takes a bill's lines one at a time, whatever delivers them; the [`Layout`] of the
//! bill's kind reads its header, its rows and its summary.

use std::io::Read;

use super::lines::Lines;
use super::{BillError, Line};

/// What a kind of bill knows: which columns its header must have, how a row is read and summed,
/// how its summary is checked against the sums. [`Trade`](super::Trade) and
/// [`FundFlow`](super::FundFlow) are the ones of this crate; a layout of one's own reads a bill
/// this crate does not know, with the same line splitting, errors and streaming.
pub trait Layout: Sized {
    /// One detail row.
    type Row;
    /// The summary, checked against the rows.
    type Summary;

    /// The layout of the bill whose header (line 1) is `header`; an error when a required
    /// column is missing, or when the header is not one of this kind's.
    fn from_header(header: &Line) -> Result<Self, BillError>;

    /// Whether `line` is the summary's header (it ends the detail rows).
    fn is_summary_header(&self, line: &Line) -> bool;

    /// The row of `line`, which also counts into the sums the summary is checked against.
    fn row(&mut self, line: &Line) -> Result<Self::Row, BillError>;

    /// How many rows were read.
    fn rows(&self) -> u64;

    /// The summary whose header is `names` and whose values are `values`, checked against the
    /// sums of the rows: an error names the total that is off, and by how much.
    fn summary(&mut self, names: &Line, values: &Line) -> Result<Self::Summary, BillError>;
}

/// Where a bill's reading is.
enum State {
    Header,
    Rows,
    /// The summary's header was read: its values come next.
    SummaryValues(Line),
    /// The summary was read and checked: nothing more may come.
    Ended,
}

/// A bill's lines taken one at a time, as rows of `L`.
pub(crate) struct Parser<L: Layout> {
    layout: Option<L>,
    state: State,
    summary: Option<L::Summary>,
}

impl<L: Layout> Parser<L> {
    pub fn new() -> Parser<L> {
        Parser {
            layout: None,
            state: State::Header,
            summary: None,
        }
    }

    pub fn layout(&self) -> Option<&L> {
        self.layout.as_ref()
    }

    pub fn summary(&self) -> Option<&L::Summary> {
        self.summary.as_ref()
    }

    /// The row `line` is, or `None` for a header line.
    pub fn line(&mut self, line: &Line) -> Result<Option<L::Row>, BillError> {
        match (&self.state, &mut self.layout) {
            (State::Header, _) => {
                self.layout = Some(L::from_header(line)?);
                self.state = State::Rows;
                Ok(None)
            }
            (State::Rows, Some(layout)) if layout.is_summary_header(line) => {
                self.state = State::SummaryValues(line.clone());
                Ok(None)
            }
            (State::Rows, Some(layout)) => layout.row(line).map(Some),
            (State::SummaryValues(names), Some(layout)) => {
                self.summary = Some(layout.summary(names, line)?);
                self.state = State::Ended;
                Ok(None)
            }
            _ => Err(BillError::at(line.number, None, "a line after the summary")),
        }
    }

    /// The bill ended: an error unless its summary was read.
    pub fn end(&self) -> Result<(), BillError> {
        match (&self.state, &self.layout) {
            (State::Ended, _) => Ok(()),
            (State::SummaryValues(names), _) => Err(BillError::at(
                names.number,
                None,
                "the bill ends after the summary's header, without its values",
            )),
            (_, Some(layout)) => Err(BillError::whole(format!(
                "the bill ends after {} rows without its summary (cut short?)",
                layout.rows()
            ))),
            (_, None) => Err(BillError::whole("the bill is empty")),
        }
    }
}

/// A bill read row by row from any [`Read`] (a file, a gunzip stream, a download), one line in
/// memory at a time: an iterator of rows, then [`summary`](Self::summary). The iterator ends
/// with an error when a row is malformed, when the bill is cut short or has a line after its
/// summary, or when the summary does not add up; after an error it ends.
pub struct Bill<L: Layout, R: Read> {
    lines: Lines<R>,
    /// The line being read (its buffers kept from one line to the next).
    line: Line,
    parser: Parser<L>,
    done: bool,
}

impl<L: Layout, R: Read> Bill<L, R> {
    /// Reads the header from `reader`: an error names a required column that is missing, or
    /// says the text is not a bill of this kind.
    pub fn new(reader: R) -> Result<Bill<L, R>, BillError> {
        let mut lines = Lines::new(reader);
        let mut parser = Parser::new();
        let mut line = Line::default();
        if !lines.next(&mut line)? {
            return Err(BillError::whole("the bill is empty"));
        }
        parser.line(&line)?;
        Ok(Bill {
            lines,
            line,
            parser,
            done: false,
        })
    }

    /// The bill's layout, read from its header.
    pub fn layout(&self) -> &L {
        self.parser.layout().expect("read by new")
    }

    /// The bill's summary, once every row was read: it was checked against the rows (a bill
    /// that does not add up ended the iteration with an error).
    pub fn summary(&self) -> Option<&L::Summary> {
        self.parser.summary()
    }
}

impl<L: Layout, R: Read> Iterator for Bill<L, R> {
    type Item = Result<L::Row, BillError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let read = match self.lines.next(&mut self.line) {
                Ok(true) => self.parser.line(&self.line),
                Ok(false) => {
                    self.done = true;
                    return self.parser.end().err().map(Err);
                }
                Err(e) => Err(e),
            };
            match read {
                Ok(Some(row)) => return Some(Ok(row)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}
