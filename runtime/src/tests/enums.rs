//! Enums.

use super::*;

#[derive(Debug, PartialEq)]
enum TradeState {
    Success,
    Unknown(UnknownValue),
}

impl From<&str> for TradeState {
    fn from(value: &str) -> Self {
        match value {
            "SUCCESS" => TradeState::Success,
            other => TradeState::Unknown(UnknownValue::new(other)),
        }
    }
}

#[derive(serde::Deserialize, Debug)]
struct WithEnum {
    #[serde(deserialize_with = "__private::deserialize_enum")]
    state: TradeState,
}

#[test]
fn enums_keep_unknown_values() {
    let v: WithEnum = serde_json::from_str(r#"{"state":"SUCCESS"}"#).unwrap();
    assert_eq!(v.state, TradeState::Success);
    let v: WithEnum = serde_json::from_str(r#"{"state":"NEW_STATE"}"#).unwrap();
    assert_eq!(v.state, TradeState::Unknown(UnknownValue::new("NEW_STATE")));
    if let TradeState::Unknown(u) = &v.state {
        assert_eq!(u.as_str(), "NEW_STATE");
        assert_eq!(serde_json::to_string(u).unwrap(), r#""NEW_STATE""#);
    }
    // Escaped strings (not borrowable) work too; non-strings are an error.
    let v: WithEnum = serde_json::from_str(r#"{"state":"A\u0042"}"#).unwrap();
    assert_eq!(v.state, TradeState::Unknown(UnknownValue::new("AB")));
    assert!(serde_json::from_str::<WithEnum>(r#"{"state":1}"#).is_err());
}

#[test]
fn call_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let c = client();
    let call = c.chain("v3/x").request(Method::GET).send_json::<serde_json::Value>();
    assert_send(&call);
    // A call is a future that owns what it needs: it can be spawned.
    fn assert_spawnable<F: std::future::Future + Send + 'static>(_: &F) {}
    assert_spawnable(&call);
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Error>();
    // Small enough for `Result<T, Error>` everywhere (clippy's result_large_err limit).
    assert!(std::mem::size_of::<Error>() <= 128, "{}", std::mem::size_of::<Error>());
}
