//! APIv2, the XML protocol (feature `v2`): what the generated operations of `spec/v2/`
//! (`client.v2()…`, each a [`V2Request`] sent as a [`V2Call`], its structs [`XmlObject`]s) and
//! [`Client::post_v2`](crate::Client::post_v2) stand on. Its rules, as WeChat Pay documents them:
//!
//! * A body is one `<xml>` element whose children are the fields (`<name>value</name>`), text
//!   or CDATA, no attributes ([`xml`]). A body that declares a DTD is refused, no entity but the
//!   five XML ones and character references is expanded, and a body over 1 MiB is refused.
//! * A request carries `nonce_str`, optionally `sign_type` (`MD5`, the default, or
//!   `HMAC-SHA256`) and `sign`: over the fields that are not empty, but `sign`, sorted by name,
//!   as `k=v&…`, then `&key=` and the APIv2 key; MD5 or HMAC-SHA256 (keyed with the APIv2 key),
//!   upper-case hex ([`sign`]). An answer's `sign` is checked the same way before anything else
//!   is read of it.
//! * An answer says whether the call was received (`return_code`, `return_msg`) and what came
//!   of it (`result_code`, `err_code`, `err_code_des`): [`check_result`].
//! * A refund notification's `req_info` is AES-256-ECB (PKCS#7) under the lower-case hex MD5 of
//!   the APIv2 key, base64 ([`decrypt_req_info`]).
//! * Fields are text ([`XmlText`]); a field named `coupon_fee_$n` is a list
//!   (`coupon_fee_0`, `coupon_fee_1`, …), `$n_$m` a list of lists ([`row`]).
//! * The operations the spec marks `cert_required` are sent over mutual TLS, from a connection
//!   pool of their own that presents the merchant certificate
//!   ([`ClientBuilder::merchant_certificate_pem`](crate::ClientBuilder::merchant_certificate_pem)).
//! * Notifications: a payment result is signed like an answer ([`payment_notification`]); a
//!   refund result is not signed, its `req_info` is encrypted ([`refund_notification`]); the
//!   other signed pages are typed too ([`contract_change`], [`combine_payment_result`],
//!   [`vehicle_state_change`], [`risk_transactions`]). All are answered with `<xml><return_code>SUCCESS|FAIL</return_code>…` ([`answer_success`],
//!   [`answer_failure`]).

mod call;
mod notices;
mod notify;
mod object;
mod paysign;
mod result;
mod sign;
pub mod xml;

pub use crate::crypto::ApiV2Key;
pub use crate::error::ResultError;
pub use call::{V2Call, V2Request};
pub use notices::{
    combine_payment_result, contract_change, notification_fields, risk_transactions, signed_notification,
    vehicle_state_change, CombinePaymentResult, ContractChange, RiskTransactions, VehicleStateChange,
};
pub use notify::{
    answer_failure, answer_success, payment_notification, payment_result, refund_notification, refund_result,
    NotificationError, PaymentResult, RefundResult,
};
pub use object::{row, XmlDecodeError, XmlField, XmlObject, XmlText};
pub use result::check_result;
pub use sign::{decrypt_req_info, sign, verify, SignType};

#[cfg(test)]
mod tests;
