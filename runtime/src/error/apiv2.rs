//! The failure an APIv2 answer reports (feature `v2`): here, with the other errors, so that
//! [`Error`](crate::Error) can hold it; used through `v2`.

use std::fmt;

/// An answer that reports a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultError {
    /// `return_code` is not `SUCCESS`: the platform did not take the call (a bad signature, a
    /// malformed body, …); `return_msg` says why.
    Communication {
        /// `return_code` (`FAIL`).
        return_code: String,
        /// `return_msg`.
        return_msg: String,
    },
    /// `result_code` is not `SUCCESS`: the call was taken and failed (`err_code`, e.g.
    /// `ORDERPAID`, `NOTENOUGH`, `SYSTEMERROR`).
    Business {
        /// `err_code`.
        err_code: String,
        /// `err_code_des`.
        err_code_des: String,
    },
}

impl ResultError {
    /// Whether the same request may succeed later: the platform's transient failures
    /// (`SYSTEMERROR`, `BANKERROR`, the rate limits), as [`Error::is_retryable`](crate::Error::is_retryable)
    /// classifies APIv3's. Like there, only for a request that is idempotent on the merchant's
    /// number and sent again with the same fields.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ResultError::Business { err_code, .. }
            if matches!(err_code.as_str(), "SYSTEMERROR" | "BANKERROR" | "FREQ_LIMIT" | "FREQUENCY_LIMITED"))
    }
}

impl fmt::Display for ResultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultError::Communication {
                return_code,
                return_msg,
            } => {
                write!(f, "APIv2 call not taken: return_code {return_code}: {return_msg}")
            }
            ResultError::Business { err_code, err_code_des } => {
                write!(f, "APIv2 call failed: {err_code}: {err_code_des}")
            }
        }
    }
}

impl std::error::Error for ResultError {}
