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
    /// 请求不合法: the request is well formed but breaks a rule of the operation (a state, a
    /// limit); the message says which.
    InvalidRequest = "INVALID_REQUEST",
    /// 无权限: the merchant has no permission for this operation (or this order).
    NoAuth = "NO_AUTH",
    /// The merchant id in the request does not exist.
    MchNotExists = "MCH_NOT_EXISTS",
    /// The APPID does not belong to the merchant id.
    AppidMchidNotMatch = "APPID_MCHID_NOT_MATCH",
    /// 资源不存在: what the request names (an order, a refund, a bill) does not exist.
    ResourceNotExists = "RESOURCE_NOT_EXISTS",
    /// 订单不存在.
    OrderNotExist = "ORDER_NOT_EXIST",
    /// The order is paid already: do not pay or close it again.
    OrderPaid = "ORDERPAID",
    /// The order is closed: create a new one (with a new `out_trade_no`).
    OrderClosed = "ORDER_CLOSED",
    /// The `out_trade_no` was used for an order with other fields.
    OutTradeNoUsed = "OUT_TRADE_NO_USED",
    /// What the request would create exists already.
    AlreadyExists = "ALREADY_EXISTS",
    /// 余额不足: the balance (of the merchant, for a refund or transfer) is not enough.
    NotEnough = "NOT_ENOUGH",
    /// The user's account is closed or restricted: the refund or transfer cannot reach it.
    UserAccountAbnormal = "USER_ACCOUNT_ABNORMAL",
    /// No statement (bill) exists for the day asked.
    NoStatementExist = "NO_STATEMENT_EXIST",
    /// 频率超限: retry later, with backoff.
    FrequencyLimited = "FREQUENCY_LIMITED",
    /// The operation's rate limit is exceeded: retry later, with backoff.
    RatelimitExceed = "RATELIMIT_EXCEED",
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
    /// `FREQUENCY_LIMITED`, `RATELIMIT_EXCEED`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiCode::SystemError | ApiCode::BankError | ApiCode::FrequencyLimited | ApiCode::RatelimitExceed
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
        assert_eq!(LISTED.len(), 20);
    }

    /// Every code the documentation gives is a variant: the common codes of
    /// `../shared/reference/PROTOCOL.md` (its "Common codes" line) and the error tables of the
    /// official Go SDK's operations (`// |CODE|…|` comments). Skipped, saying so, when
    /// `../shared` is absent beside the repository.
    #[test]
    fn every_documented_code_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference");
        let Ok(protocol) = std::fs::read_to_string(root.join("PROTOCOL.md")) else {
            println!("SKIPPED: ../shared/reference is absent beside the repository");
            return;
        };
        let mut documented = std::collections::BTreeSet::new();
        let common = protocol
            .split("Common codes:")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .expect("PROTOCOL.md has a 'Common codes:' paragraph");
        documented.extend(common.split('`').skip(1).step_by(2).map(str::to_owned));
        let mut files = vec![root.join("wechatpay-go/services")];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "go") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    let Some(row) = line.strip_prefix("// |") else { continue };
                    let code = row.split('|').next().unwrap_or("");
                    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                        documented.insert(code.to_owned());
                    }
                }
            }
        }
        assert!(documented.len() >= 12, "too few codes read: {documented:?}");
        let missing: Vec<_> = documented
            .iter()
            .filter(|code| matches!(ApiCode::from(code.as_str()), ApiCode::Unknown(_)))
            .collect();
        assert!(missing.is_empty(), "documented codes without a variant: {missing:?}");
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
