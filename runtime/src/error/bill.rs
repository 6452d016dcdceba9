//! What is wrong with a bill ([`crate::bill`]), here so that [`Error::Bill`](crate::Error::Bill)
//! does not make the error module depend on the bill readers.

use std::fmt;

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
    /// An error on line `line`, in the column named `column` if one is to blame.
    pub fn at(line: u64, column: Option<&str>, message: impl Into<String>) -> BillError {
        BillError {
            line: Some(line),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An error of the whole bill (no line to blame).
    pub fn whole(message: impl Into<String>) -> BillError {
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
