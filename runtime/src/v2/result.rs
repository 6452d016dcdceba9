//! What an APIv2 answer says of the call: `return_code` (the call was received and its
//! signature checked) and `result_code` (what came of it).

use crate::error::ResultError;

/// `Ok` when `return_code` is `SUCCESS` and `result_code`, if present, is `SUCCESS` too. An
/// answer without `return_code` is a communication failure.
pub fn check_result<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> Result<(), ResultError> {
    let get = |name: &str| super::xml::field(fields, name).map(str::to_owned);
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
