//! [`JsonText`]: a string field that holds JSON (the spec's `json:`; the description's `x-json`).

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A value WeChat Pay carries as the **text** of its JSON inside a string: a body field
/// `"qualifications": "[{\"type\":\"…\"}]"` or a query parameter
/// `partner={"type":"APPID","appid":"wx…"}`. The field is typed by the JSON's shape; on the wire
/// it is a string: written as `serde_json::to_string(&value)`, read by parsing the string
/// (a string that is not JSON of this shape is a decode error naming the field).
///
/// ```
/// use wechatpay::runtime::JsonText;
/// let text = JsonText(vec![1, 2]);
/// assert_eq!(serde_json::to_string(&text).unwrap(), r#""[1,2]""#);
/// let back: JsonText<Vec<i64>> = serde_json::from_str(r#""[1,2]""#).unwrap();
/// assert_eq!(*back, [1, 2]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonText<T>(pub T);

impl<T> JsonText<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for JsonText<T> {
    fn from(value: T) -> Self {
        JsonText(value)
    }
}

impl<T> Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for JsonText<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for JsonText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value, not the text: the same as the field would print if it were not a string.
        self.0.fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for JsonText<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for JsonText<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        serde_json::from_str(&text)
            .map(JsonText)
            .map_err(|e| serde::de::Error::custom(format_args!("a string holding JSON: {e}")))
    }
}
