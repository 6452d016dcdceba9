//! The platform's error codes (`{"code": "PARAM_ERROR", …}` of a 4xx/5xx answer) as an enum a
//! program can match, with the text kept for codes this client does not list.

use std::fmt;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// An APIv3 error code ([`Error::code`](crate::Error::code)). The codes WeChat Pay documents
        /// for every operation (the protocol's common codes, and those the API description names)
        /// are variants; any other is [`ApiCode::Unknown`] with its text, never lost.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ApiCode {
            $($(#[$doc])* $variant,)*
            /// A code not listed here, as received.
            Unknown(String),
        }

        impl ApiCode {
            /// The code as the platform writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ApiCode::$variant => $text,)*
                    ApiCode::Unknown(text) => text,
                }
            }
        }

        impl From<&str> for ApiCode {
            fn from(text: &str) -> Self {
                match text {
                    $($text => ApiCode::$variant,)*
                    other => ApiCode::Unknown(other.to_owned()),
                }
            }
        }

        #[cfg(test)]
        const LISTED: &[(&str, ApiCode)] = &[$(($text, ApiCode::$variant),)*];
    };
}

codes! {
    /// 参数错误: a field is missing or invalid (see the message and `detail`).
    ParamError = "PARAM_ERROR",
    /// 签名错误: the request's signature does not verify.
    SignError = "SIGN_ERROR",
    /// 请求不合法: the request is not allowed as it is (a state, a rule).
    InvalidRequest = "INVALID_REQUEST",
    /// 无权限: the merchant has no permission for this operation.
    NoAuth = "NO_AUTH",
    /// 资源不存在.
    ResourceNotExists = "RESOURCE_NOT_EXISTS",
    /// 订单不存在.
    OrderNotExist = "ORDER_NOT_EXIST",
    /// 余额不足.
    NotEnough = "NOT_ENOUGH",
    /// 频率超限: retry later, with backoff.
    FrequencyLimited = "FREQUENCY_LIMITED",
    /// 系统异常: retry with the same request.
    SystemError = "SYSTEM_ERROR",
    /// 银行系统异常: retry with the same request.
    BankError = "BANK_ERROR",
    /// 用户支付中 (a codepay `202`): query the order later, do not pay again.
    UserPaying = "USERPAYING",
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiCode {
    /// Whether the same request may succeed later: `SYSTEM_ERROR`, `BANK_ERROR`,
    /// `FREQUENCY_LIMITED`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiCode::SystemError | ApiCode::BankError | ApiCode::FrequencyLimited
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiCode, LISTED};

    #[test]
    fn each_documented_code_maps_to_its_variant_and_back() {
        for (text, code) in LISTED {
            assert_eq!(&ApiCode::from(*text), code, "{text}");
            assert_eq!(code.as_str(), *text);
            assert!(!matches!(code, ApiCode::Unknown(_)));
        }
        assert_eq!(LISTED.len(), 11);
    }

    #[test]
    fn an_unknown_code_keeps_its_text() {
        let code = ApiCode::from("A_NEW_CODE");
        assert_eq!(code, ApiCode::Unknown("A_NEW_CODE".into()));
        assert_eq!(code.to_string(), "A_NEW_CODE");
        assert!(!code.is_retryable());
        assert!(ApiCode::from("SYSTEM_ERROR").is_retryable());
    }
}
