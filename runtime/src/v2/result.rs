//! What an APIv2 answer says of the call: `return_code` (the call was received and its
//! signature checked) and `result_code` (what came of it).

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

/// `Ok` when `return_code` is `SUCCESS` and `result_code`, if present, is `SUCCESS` too. An
/// answer without `return_code` is a communication failure.
pub fn check_result<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> Result<(), ResultError> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v.as_ref().to_owned())
    };
    let return_code = get("return_code").unwrap_or_default();
    if return_code != "SUCCESS" {
        return Err(ResultError::Communication {
            return_msg: get("return_msg").unwrap_or_else(|| "(no return_msg)".into()),
            return_code: if return_code.is_empty() {
                "(missing)".into()
            } else {
                return_code
            },
        });
    }
    match get("result_code") {
        Some(result) if result != "SUCCESS" => Err(ResultError::Business {
            err_code: get("err_code").unwrap_or(result),
            err_code_des: get("err_code_des").unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}
