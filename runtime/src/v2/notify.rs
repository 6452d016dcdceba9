//! APIv2 notifications: payment results (signed XML) and refund results (`req_info`
//! encrypted), and the XML answers WeChat Pay expects back.

use std::fmt;

use super::result::check_result;
use super::sign::{decrypt_req_info, verify, SignType};
use super::xml::{self, field, Field, XmlError};
use crate::crypto::ApiV2Key;
use crate::error::ResultError;
use crate::{Error, VerificationError};

/// Why a notification was refused. Answer it with [`answer_failure`] (WeChat Pay sends it
/// again); the text never quotes a decrypted value.
#[derive(Debug)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not an APIv2 body.
    Xml(XmlError),
    /// `sign` is missing or does not match (a payment notification).
    Verification(VerificationError),
    /// `sign_type` names no known type.
    SignType(String),
    /// `return_code` or `result_code` says the notification reports a failure.
    Result(ResultError),
    /// `req_info` does not decrypt (a refund notification).
    Decrypt(Error),
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationError::Xml(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::Verification(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::SignType(t) => write!(f, "APIv2 notification: unknown sign_type {t:?}"),
            NotificationError::Result(e) => write!(f, "APIv2 notification: {e}"),
            NotificationError::Decrypt(e) => write!(f, "APIv2 notification: {e}"),
        }
    }
}

impl std::error::Error for NotificationError {}

/// A payment result notification (`notify_url` of `pay/unifiedorder` and the like): the XML
/// read, `sign` checked (with the body's `sign_type`, MD5 when absent) before anything else is
/// looked at, then `return_code` and `result_code`. The fields, on success.
pub fn payment_notification(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let fields = xml::read(body, "xml").map_err(NotificationError::Xml)?;
    let sign_type = match field(&fields, "sign_type") {
        None | Some("") => SignType::Md5,
        Some(t) => SignType::parse(t).ok_or_else(|| NotificationError::SignType(t.to_owned()))?,
    };
    verify(&fields, key, sign_type).map_err(NotificationError::Verification)?;
    check_result(&fields).map_err(NotificationError::Result)?;
    Ok(fields)
}

/// A refund result notification: `return_code` checked (the envelope is not signed; its
/// content is authenticated by decrypting with the APIv2 key), `req_info` decrypted and read.
/// The refund's fields (`out_refund_no`, `refund_status`, `settlement_refund_fee`, …), on
/// success.
pub fn refund_notification(body: &[u8], key: &ApiV2Key) -> Result<Vec<(String, String)>, NotificationError> {
    let fields = xml::read(body, "xml").map_err(NotificationError::Xml)?;
    check_result(&fields).map_err(NotificationError::Result)?;
    let req_info = field(&fields, "req_info")
        .filter(|v| !v.is_empty())
        .ok_or(NotificationError::Verification(VerificationError::MissingField(
            "req_info",
        )))?;
    let plain = decrypt_req_info(req_info, key).map_err(NotificationError::Decrypt)?;
    xml::read(&plain, "root").map_err(|_| {
        // The plaintext is not quoted: it is the refund.
        NotificationError::Xml(XmlError::withheld("the decrypted req_info is not the XML of a refund"))
    })
}

/// The answer to a notification that was handled: `SUCCESS`.
pub fn answer_success() -> String {
    answer("SUCCESS", "OK")
}

/// The answer to a notification that was not handled (`FAIL`, with `message`): WeChat Pay
/// sends it again later.
pub fn answer_failure(message: &str) -> String {
    answer("FAIL", message)
}

fn answer(code: &str, message: &str) -> String {
    let fields = [
        Field {
            name: "return_code",
            value: code,
            cdata: true,
        },
        Field {
            name: "return_msg",
            value: message,
            cdata: true,
        },
    ];
    // Both names are valid and the values are CDATA: writing cannot fail, but a control
    // character in `message` would; it is then left out.
    xml::write("xml", &fields).unwrap_or_else(|_| {
        format!("<xml><return_code><![CDATA[{code}]]></return_code><return_msg><![CDATA[]]></return_msg></xml>")
    })
}
