//! The impls of the generated types. `json_object!` writes a struct's `Serialize` and
//! `Deserialize` from one line per field, over [`Fields`] (an object written field by field) and
//! [`Object`] (an object read once into a list of its members, then taken field by field); `json_enum!`
//! writes an enum's from one line per variant.
//!
//! Compared with `#[derive(Serialize, Deserialize)]`, each impl is a few lines (one per field)
//! and every field type is instantiated once for the whole crate, which is what keeps the ~6,000
//! generated types quick to compile. Unknown fields are ignored; a missing required field is an
//! error naming it; `null` for an optional field is `None`; optional fields that are `None` are
//! left out when writing.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::Value;

/// A JSON object being taken apart into a generated struct.
///
/// Each field is taken with [`required`](Self::required) or [`optional`](Self::optional), which give `None` when the
/// field cannot be had and keep the first such error for [`error`](Self::error). The generated
/// impl matches all fields at once instead of returning early after each one: one branch per
/// struct rather than one early return (dropping every field taken so far) per field, which
/// keeps the crate's ~6,000 impls quick to type-check and borrow-check.
#[doc(hidden)]
pub struct Object<E> {
    /// The members in document order; a member is `None` once taken. A list, not a map: a
    /// generated struct takes each of its few fields once, and a search of a short list costs
    /// less than building and tearing down a tree of them.
    members: Vec<(String, Option<Value>)>,
    error: Option<E>,
}

impl<E> fmt::Debug for Object<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object").field("keys", &self.members.len()).finish()
    }
}

impl<E: de::Error> Object<E> {
    /// Reads a JSON object (anything else is an error).
    pub fn new<'de, D: Deserializer<'de, Error = E>>(deserializer: D) -> Result<Self, E> {
        struct Members;
        impl<'de> de::Visitor<'de> for Members {
            type Value = Vec<(String, Option<Value>)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    members.push((key, Some(value)));
                }
                Ok(members)
            }
        }
        Ok(Object {
            members: deserializer.deserialize_map(Members)?,
            error: None,
        })
    }

    /// The value of member `key` (of the last one, if the object repeats it, as a JSON map
    /// would keep), taken out.
    fn take_member(&mut self, key: &str) -> Option<Value> {
        let at = self.members.iter().rposition(|(k, _)| k == key)?;
        self.members[at].1.take()
    }

    /// A required field; `None` when it is missing or malformed (the error is kept).
    pub fn required<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        match self.take_member(key) {
            Some(value) => self.keep(take(key, value)),
            None => self.keep(Err(E::missing_field(key))),
        }
    }

    /// An optional field: absent or `null` is `Some(None)`; `None` when it is malformed (the
    /// error is kept).
    pub fn optional<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<Option<T>> {
        match self.take_member(key) {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.keep(take(key, value)).map(Some),
        }
    }

    /// The first error met by [`required`](Self::required) or [`optional`](Self::optional).
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

/// Writes the `Serialize` and `Deserialize` impls of a generated struct from its fields, one row
/// each: `field: "wire name" required` or `field: "wire name" optional` for a field of the JSON
/// body (`required`: always written, missing is an error; `optional`: an `Option`, written unless
/// `None`, missing or `null` is `None`), and `field: query "wire name" required` (or `header`,
/// `form`) for a field that travels elsewhere: read back by its wire name, never written into
/// the JSON body.
///
/// ```ignore
/// wechatpay::runtime::json_object!(GetRequest {
///     mchid: query "mchid" required,
///     total: "total" required,
///     currency: "currency" optional,
/// });
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __json_object {
    ($name:ident {}) => {
        $crate::__private::with!($name);
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::__private::Fields::new(serializer).end()
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::Object::new(deserializer)?;
                ::core::result::Result::Ok(Self {})
            }
        }
    };
    ($name:ident { $($field:ident: $($place:ident)? $wire:literal $presence:ident),+ $(,)? }) => {
        $crate::__private::with!($name);
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                let mut m = $crate::__private::Fields::new(serializer);
                // A field with a place (`query`, `header`, `form`) is wrapped so that it is not written.
                $(m.$presence($wire, $($crate::__private::row::$place)?(&self.$field));)+
                m.end()
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            // All fields are taken, then matched at once: one branch per struct rather than an
            // early return (dropping every field taken so far) per field.
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                let mut o = $crate::__private::Object::new(deserializer)?;
                match ($(o.$presence($wire),)+) {
                    ($(::core::option::Option::Some($field),)+) => ::core::result::Result::Ok(Self { $($field),+ }),
                    _ => ::core::result::Result::Err(o.error()),
                }
            }
        }
    };
}

/// `with` of a generated struct: the value with `set` applied, so that a field is set by name in
/// an expression (`Amount::new(AmountRequired { total: 100 }).with(|a| a.currency = Some("CNY".into()))`);
/// generated structs are `#[non_exhaustive]`, which rules out struct literals and `..` updates.
#[doc(hidden)]
#[macro_export]
macro_rules! __with {
    ($name:ident) => {
        impl $name {
            /// This value with `set` applied: sets fields by name in an expression,
            /// `value.with(|v| v.field = Some(…))`.
            #[inline]
            #[must_use]
            // Generated types are public; a private one (a test's) may leave it unused.
            #[allow(dead_code)]
            pub fn with(mut self, set: impl ::core::ops::FnOnce(&mut Self)) -> Self {
                set(&mut self);
                self
            }
        }
    };
}

/// Support for the generated `Serialize` impls: a JSON object written field by field, leaving out
/// optional fields that are `None` (the counterpart of [`Object`]). The first error is kept and
/// returned by [`end`](Self::end), so the generated impl is a straight line of calls rather than an
/// early return per field.
#[doc(hidden)]
pub struct Fields<S: serde::Serializer> {
    map: Result<S::SerializeMap, S::Error>,
}

impl<S: serde::Serializer> Fields<S> {
    /// Starts the object.
    pub fn new(serializer: S) -> Self {
        Fields {
            map: serializer.serialize_map(None),
        }
    }

    /// A required field (written), or a field of another place (not written).
    pub fn required<V: row::Required>(&mut self, key: &'static str, value: V) {
        if let Some(value) = value.body() {
            self.entry(key, value);
        }
    }

    /// An optional field, left out when `None`, or a field of another place (not written).
    pub fn optional<V: row::Optional>(&mut self, key: &'static str, value: V) {
        if let Some(value) = value.body() {
            self.entry(key, value);
        }
    }

    fn entry<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        if let Ok(map) = &mut self.map {
            if let Err(e) = serde::ser::SerializeMap::serialize_entry(map, key, value) {
                self.map = Err(e);
            }
        }
    }

    /// Ends the object, or returns the first error.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        serde::ser::SerializeMap::end(self.map?)
    }
}

/// The places a `json_object!` row can name besides the JSON body: `query`, `header`, `form`
/// wrap the field so that [`Fields`] does not write it.
#[doc(hidden)]
pub mod row {
    /// A field that travels outside the JSON body (a query parameter, a header, a form part).
    pub struct Placed<T>(T);

    /// A query parameter.
    #[inline]
    pub fn query<T>(value: T) -> Placed<T> {
        Placed(value)
    }

    /// A request header.
    #[inline]
    pub fn header<T>(value: T) -> Placed<T> {
        Placed(value)
    }

    /// A text part of a multipart upload.
    #[inline]
    pub fn form<T>(value: T) -> Placed<T> {
        Placed(value)
    }

    /// The value of a required row: what to write into the body, if anything.
    pub trait Required {
        /// The value to write.
        type Value: serde::Serialize + ?Sized;
        /// `None` for a field of another place.
        fn body(&self) -> Option<&Self::Value>;
    }

    impl<T: serde::Serialize + ?Sized> Required for &T {
        type Value = T;
        #[inline]
        fn body(&self) -> Option<&T> {
            Some(*self)
        }
    }

    impl<T> Required for Placed<&T> {
        type Value = ();
        #[inline]
        fn body(&self) -> Option<&()> {
            None
        }
    }

    /// The value of an optional row: what to write into the body, if anything.
    pub trait Optional {
        /// The value to write.
        type Value: serde::Serialize;
        /// `None` for `None` and for a field of another place.
        fn body(&self) -> Option<&Self::Value>;
    }

    impl<T: serde::Serialize> Optional for &Option<T> {
        type Value = T;
        #[inline]
        fn body(&self) -> Option<&T> {
            self.as_ref()
        }
    }

    impl<T> Optional for Placed<&Option<T>> {
        type Value = ();
        #[inline]
        fn body(&self) -> Option<&()> {
            None
        }
    }
}

/// Writes the impls of a generated enum of string values from its variants (each
/// `Variant = "wire value"`): `as_str`, `From<&str>` (an unlisted value becomes `Unknown`),
/// `Display`, `Serialize` and `Deserialize`. The enum itself, with an `Unknown(UnknownValue)`
/// variant, is declared beside it.
///
/// ```ignore
/// wechatpay::runtime::json_enum!(TradeState {
///     Success = "SUCCESS",
///     Refund = "REFUND",
/// });
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __json_enum {
    ($name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(v) => v.as_str(),
                }
            }
        }
        impl ::core::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)*
                    other => Self::Unknown($crate::__private::unknown_value(other)),
                }
            }
        }
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::deserialize_enum(deserializer)
            }
        }
    };
}

/// An enum value the API description does not list (kept, never a decode error).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    pub(crate) fn new(value: &str) -> Self {
        UnknownValue(value.into())
    }

    /// The value as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for UnknownValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for UnknownValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserialises a string and converts it with `T::from(&str)` (generated enums map unknown
/// values to their `Unknown` variant, so any string is accepted).
pub fn deserialize_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: for<'s> From<&'s str>,
{
    deserializer.deserialize_str(EnumVisitor(std::marker::PhantomData))
}

struct EnumVisitor<T>(std::marker::PhantomData<T>);

impl<T: for<'s> From<&'s str>> serde::de::Visitor<'_> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }
}

/// An [`UnknownValue`] of `value` (what `json_enum!` makes of a value it does not list).
pub fn unknown_value(value: &str) -> UnknownValue {
    UnknownValue::new(value)
}

/// `Debug` for a type of decrypted personal data (a notification resource): its name, never its
/// values (`Violation { .. (withheld: personal data) }`). Also the runtime's own such types
/// (APIv2's notification results).
#[doc(hidden)]
#[macro_export]
macro_rules! __withheld_debug {
    ($name:ident) => {
        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(::core::concat!(
                    ::core::stringify!($name),
                    " { .. (withheld: personal data) }"
                ))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq)]
    struct S {
        a: String,
        b: Option<i64>,
        c: Option<Vec<u32>>,
    }

    crate::__private::json_object!(S {
        a: "a" required,
        b: "b" optional,
        c: "c" optional,
    });

    /// Only `a` is part of the body; `q` (a query parameter, say) is read but never written.
    #[derive(Debug, PartialEq)]
    struct Q {
        a: String,
        q: Option<String>,
    }

    crate::__private::json_object!(Q {
        a: "a" required,
        q: query "q" optional,
    });

    #[derive(Debug, PartialEq)]
    struct Empty {}

    crate::__private::json_object!(Empty {});

    #[derive(Debug, PartialEq)]
    enum E {
        A,
        B,
        Unknown(crate::UnknownValue),
    }

    crate::__private::json_enum!(E {
        A = "A_VALUE",
        B = "B",
    });

    #[test]
    fn with_sets_fields_by_name() {
        let s = S {
            a: "x".into(),
            b: None,
            c: None,
        }
        .with(|s| s.b = Some(7));
        assert_eq!(s.b, Some(7));
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"a":"x","b":7}"#);
    }

    #[test]
    fn enums_keep_unknown_values() {
        assert_eq!(E::A.as_str(), "A_VALUE");
        assert_eq!(E::from("B"), E::B);
        assert_eq!(E::from("A"), E::Unknown(crate::UnknownValue::new("A")));
        assert_eq!(serde_json::to_string(&E::A).unwrap(), r#""A_VALUE""#);
        let e: E = serde_json::from_str(r#""NEW""#).unwrap();
        assert_eq!(e.to_string(), "NEW");
        assert_eq!(serde_json::to_string(&e).unwrap(), r#""NEW""#);
        assert!(serde_json::from_str::<E>("1").is_err());
    }

    /// A field serde_json cannot write (a map with non-string keys) between two good ones.
    struct Bad {
        a: String,
        b: std::collections::BTreeMap<(i32, i32), i32>,
        c: String,
    }

    impl serde::Serialize for Bad {
        fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
            let mut m = super::Fields::new(s);
            m.required("a", &self.a);
            m.required("b", &self.b);
            m.required("c", &self.c);
            m.end()
        }
    }

    #[test]
    fn a_field_that_cannot_be_written_is_the_error() {
        let bad = Bad {
            a: "x".into(),
            b: [((1, 2), 3)].into(),
            c: "y".into(),
        };
        let e = serde_json::to_string(&bad).unwrap_err().to_string();
        assert!(e.contains("key must be a string"), "{e}");
        let fine = Bad {
            a: "x".into(),
            b: Default::default(),
            c: "y".into(),
        };
        assert_eq!(serde_json::to_string(&fine).unwrap(), r#"{"a":"x","b":{},"c":"y"}"#);
    }

    #[test]
    fn skipped_fields_are_not_written_and_empty_structs_work() {
        let q = Q {
            a: "x".into(),
            q: Some("y".into()),
        };
        assert_eq!(serde_json::to_string(&q).unwrap(), r#"{"a":"x"}"#);
        let q: Q = serde_json::from_str(r#"{"a":"x","q":"y"}"#).unwrap();
        assert_eq!(q.q.as_deref(), Some("y"));
        assert_eq!(serde_json::to_string(&Empty {}).unwrap(), "{}");
        assert_eq!(serde_json::from_str::<Empty>(r#"{"z":1}"#).unwrap(), Empty {});
        assert!(serde_json::from_str::<Empty>("[]").is_err());
    }

    #[test]
    fn none_is_left_out_and_order_is_kept() {
        let s = S {
            a: "x".into(),
            b: None,
            c: Some(vec![3]),
        };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"a":"x","c":[3]}"#);
        let s = S {
            a: "x".into(),
            b: Some(100),
            c: None,
        };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"a":"x","b":100}"#);
    }

    #[test]
    fn fields_are_taken_by_wire_name() {
        let s: S = serde_json::from_str(r#"{"a":"x","b":null,"c":[1,2],"unknown":{"y":1}}"#).unwrap();
        assert_eq!(
            s,
            S {
                a: "x".into(),
                b: None,
                c: Some(vec![1, 2])
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = serde_json::from_str::<S>(r#"{"b":1}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `a`"), "{e}");
        // The first bad field in declaration order is the one reported.
        let e = serde_json::from_str::<S>(r#"{"b":"x","c":"y"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `a`"), "{e}");
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":"x","c":"y"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `b`"), "{e}");
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":"1"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `b`: invalid type: string \"1\", expected i64"), "{e}");
        let e = serde_json::from_str::<S>(r#"[1]"#).unwrap_err().to_string();
        assert!(e.contains("invalid type: sequence, expected a map"), "{e}");
        // An integer field never accepts a fraction.
        let e = serde_json::from_str::<S>(r#"{"a":"x","b":1.5}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `b`"), "{e}");
    }

    #[test]
    fn members_are_read_in_one_pass_and_the_last_of_a_repeated_key_wins() {
        // As a JSON map would keep it (serde_json's `Map`), and the same from bytes and from a tree.
        let json = r#"{"b":1,"a":"first","z":{"deep":[1,2]},"a":"last","b":null}"#;
        for s in [
            serde_json::from_str::<S>(json).unwrap(),
            serde_json::from_value::<S>(serde_json::from_str(json).unwrap()).unwrap(),
        ] {
            assert_eq!((s.a.as_str(), s.b, s.c), ("last", None, None));
        }
        // A repeated key is one member: its first value is not read into another field.
        let e = serde_json::from_str::<S>(r#"{"a":"x","a":1}"#).unwrap_err().to_string();
        assert!(e.contains("field `a`: invalid type: integer `1`"), "{e}");
        let empty = serde_json::from_str::<S>(r#"{}"#).unwrap_err().to_string();
        assert!(empty.contains("missing field `a`"), "{empty}");
    }
}
