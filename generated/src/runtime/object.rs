//! Support for the generated `Deserialize` impls: an object read into a JSON map once, then taken
//! field by field. Compared with `#[derive(Deserialize)]`, each generated impl is a few lines (one
//! per field) and every field type is instantiated once for the whole crate, which is what keeps
//! the ~6,000 generated types quick to compile. Unknown fields are ignored; a missing required
//! field is an error naming it; `null` for an optional field is `None`.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::{Map, Value};

/// A JSON object being taken apart into a generated struct.
///
/// Each field is taken with [`req`](Self::req) or [`opt`](Self::opt), which give `None` when the
/// field cannot be had and keep the first such error for [`error`](Self::error). The generated
/// impl matches all fields at once instead of returning early after each one: one branch per
/// struct rather than one early return (dropping every field taken so far) per field, which
/// keeps the crate's ~6,000 impls quick to type-check and borrow-check.
#[doc(hidden)]
pub struct Object<E> {
    map: Map<String, Value>,
    error: Option<E>,
}

impl<E> fmt::Debug for Object<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object").field("keys", &self.map.len()).finish()
    }
}

impl<E: de::Error> Object<E> {
    /// Reads a JSON object (anything else is an error).
    pub fn new<'de, D: Deserializer<'de, Error = E>>(deserializer: D) -> Result<Self, E> {
        Ok(Object {
            map: Map::deserialize(deserializer)?,
            error: None,
        })
    }

    /// A required field; `None` when it is missing or malformed (the error is kept).
    pub fn req<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        match self.map.remove(key) {
            Some(value) => self.keep(take(key, value)),
            None => self.keep(Err(E::missing_field(key))),
        }
    }

    /// An optional field: absent or `null` is `Some(None)`; `None` when it is malformed (the
    /// error is kept).
    pub fn opt<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<Option<T>> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.keep(take(key, value)).map(Some),
        }
    }

    /// The first error met by [`req`](Self::req) or [`opt`](Self::opt).
    pub fn error(self) -> E {
        self.error.unwrap_or_else(|| E::custom("a field could not be read"))
    }

    fn keep<T>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }
}

fn take<T: DeserializeOwned, E: de::Error>(key: &'static str, value: Value) -> Result<T, E> {
    T::deserialize(value).map_err(|e| E::custom(format_args!("field `{key}`: {e}")))
}

use serde::Deserialize as _;

/// Support for the generated `Serialize` impls: a JSON object written field by field, leaving out
/// optional fields that are `None` (the counterpart of [`Object`]).
#[doc(hidden)]
pub struct Fields<S: serde::Serializer> {
    map: S::SerializeMap,
}

impl<S: serde::Serializer> Fields<S> {
    /// Starts the object.
    pub fn new(serializer: S) -> Result<Self, S::Error> {
        Ok(Fields {
            map: serializer.serialize_map(None)?,
        })
    }

    /// A required field.
    pub fn req<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), S::Error> {
        serde::ser::SerializeMap::serialize_entry(&mut self.map, key, value)
    }

    /// An optional field, left out when `None`.
    pub fn opt<T: serde::Serialize>(&mut self, key: &'static str, value: &Option<T>) -> Result<(), S::Error> {
        match value {
            Some(value) => self.req(key, value),
            None => Ok(()),
        }
    }

    /// Ends the object.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        serde::ser::SerializeMap::end(self.map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct S {
        a: String,
        b: Option<i64>,
        c: Option<Vec<u32>>,
    }

    impl serde::Serialize for S {
        fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
            let mut m = Fields::new(s)?;
            m.req("a", &self.a)?;
            m.opt("b", &self.b)?;
            m.opt("c", &self.c)?;
            m.end()
        }
    }

    #[test]
    fn none_is_left_out_and_order_is_kept() {
        let s = S { a: "x".into(), b: None, c: Some(vec![3]) };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"a":"x","c":[3]}"#);
        let s = S { a: "x".into(), b: Some(100), c: None };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"a":"x","b":100}"#);
    }

    impl<'de> serde::Deserialize<'de> for S {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let mut o = Object::new(d)?;
            match (o.req("a"), o.opt("b"), o.opt("c")) {
                (Some(a), Some(b), Some(c)) => Ok(S { a, b, c }),
                _ => Err(o.error()),
            }
        }
    }

    #[test]
    fn fields_are_taken_by_wire_name() {
        let s: S = serde_json::from_str(r#"{"a":"x","b":null,"c":[1,2],"unknown":{"y":1}}"#).unwrap();
        assert_eq!(s, S { a: "x".into(), b: None, c: Some(vec![1, 2]) });
    }

    #[test]
    fn errors_name_the_field() {
        let e = serde_json::from_str::<S>(r#"{"b":1}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `a`"), "{e}");
        // The first bad field in declaration order is the one reported.
        let e = serde_json::from_str::<S>(r#"{"b":"x","c":"y"}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `a`"), "{e}");
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":"x","c":"y"}"#).unwrap_err().to_string();
        assert!(e.contains("field `b`"), "{e}");
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":"1"}"#).unwrap_err().to_string();
        assert!(e.contains("field `b`: invalid type: string \"1\", expected i64"), "{e}");
        let e = serde_json::from_str::<S>(r#"[1]"#).unwrap_err().to_string();
        assert!(e.contains("invalid type: sequence, expected a map"), "{e}");
        // An integer field never accepts a fraction.
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":1.5}"#).unwrap_err().to_string();
        assert!(e.contains("field `b`"), "{e}");
    }
}
