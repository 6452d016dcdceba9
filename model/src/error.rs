//! Errors of the generator. A spec error always names the file, the line and the field.

use std::fmt;
use std::path::PathBuf;

/// A problem in one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file, as given to the loader (relative to the current directory when possible).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the key or value the error is about, when known.
    pub column: Option<usize>,
    /// Dotted path of the field inside the file (`post.body.properties.amount`), when known.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.field, self.message)
        }
    }
}

/// Everything that can stop generation. Nothing is written when any error occurs.
#[derive(Debug)]
pub enum Error {
    /// One or more spec files are invalid (all problems found are listed).
    Spec(Vec<SpecError>),
    /// Reading the spec folder or writing output failed.
    Io { path: PathBuf, source: std::io::Error },
    /// The generated tokens did not parse as Rust (a generator bug).
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec(errors) => {
                writeln!(f, "{} error(s) in the spec:", errors.len())?;
                for e in errors {
                    writeln!(f, "  {e}")?;
                }
                Ok(())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Internal(msg) => write!(f, "internal generator error: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl SpecError {
    /// An error about a whole file or folder (no line).
    pub fn at_file(file: impl Into<PathBuf>, message: impl Into<String>) -> SpecError {
        SpecError {
            file: file.into(),
            line: None,
            column: None,
            field: String::new(),
            message: message.into(),
        }
    }
}

impl From<SpecError> for Error {
    fn from(e: SpecError) -> Self {
        Error::Spec(vec![e])
    }
}
