//! The impls of the generated types. `json_object!` writes a struct's `Serialize` and
//! `Deserialize` from one line per field, over [`Fields`] (an object written field by field) and
//! [`read_object`] and [`Slot`] (an object read in one pass, each value straight into its
//! field); `json_enum!` writes an enum's from one line per variant.
//!
//! Compared with `#[derive(Serialize, Deserialize)]`, each impl is a few lines (one per field)
//! and every field type is instantiated once for the whole crate, which is what keeps the ~6,000
//! generated types quick to compile. Unknown fields are ignored; a missing required field is an
//! error naming it; `null` for an optional field is `None`; optional fields that are `None` are
//! left out when writing.

use std::fmt;

use serde::de::{self, Deserializer};

/// The next key of a generated struct's JSON object, as the index of its wire name in `names`
/// (`names.len()` for a key the struct does not have), read without allocating; `None` at the
/// end of the object, or once an error is kept in `error`.
fn next_key<'de, A: de::MapAccess<'de>>(
    map: &mut A,
    names: &'static [&'static str],
    error: &mut Option<A::Error>,
) -> Option<usize> {
    if error.is_some() {
        return None;
    }
    match map.next_key_seed(KeyIndex(names)) {
        Ok(at) => at,
        Err(e) => {
            *error = Some(e);
            None
        }
    }
}

/// Reads the value of the current key into `slot` (a repeated key's last value is kept, as a
/// JSON map would; `null` is `None`, which a required field's check then finds missing); an
/// error is kept in `error`, which ends the object.
fn read_value<'de, A: de::MapAccess<'de>, T: de::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    error: &mut Option<A::Error>,
) {
    match map.next_value() {
        Ok(value) => *slot = value,
        Err(e) => *error = Some(e),
    }
}

thread_local! {
    /// The keys to the field a decode failed at, innermost first: each level of a failed
    /// decode adds its key as the error goes out. Read and cleared by [`from_json`]; bounded,
    /// so a decode outside it (a user's own `serde_json::from_slice`) never grows it.
    static FAILED_PATH: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn note_failed(key: &'static str) {
    FAILED_PATH.with(|path| {
        let mut path = path.borrow_mut();
        if path.len() < 64 {
            path.push(key);
        }
    });
}

/// Decodes `T` from JSON `bytes` in one pass; on failure, serde_json's error (its line and
/// column where the text goes wrong) and the keys to the field that failed, outermost first
/// (`amount.total`), when a generated struct's field failed. The path costs nothing unless
/// the decode fails (no second pass, no path kept along the way).
pub(crate) fn from_json<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, (serde_json::Error, Option<String>)> {
    FAILED_PATH.with(|path| path.borrow_mut().clear());
    serde_json::from_slice(bytes).map_err(|e| {
        let path = FAILED_PATH.with(|path| {
            let mut path = path.borrow_mut();
            let keys: Vec<&str> = path.drain(..).rev().collect();
            (!keys.is_empty()).then(|| keys.join("."))
        });
        (e, path)
    })
}

/// Skips the value of a key the struct does not have.
fn skip_value<'de, A: de::MapAccess<'de>>(map: &mut A, error: &mut Option<A::Error>) {
    if let Err(e) = map.next_value::<de::IgnoredAny>() {
        *error = Some(e);
    }
}

/// A field's slot, as [`read_object`] fills it: `Option<T>` for a required field of type `T`,
/// the field itself for an optional one (`null` is `None`).
#[doc(hidden)]
pub trait Slot<'de, A: de::MapAccess<'de>> {
    /// Reads the current key's value into the slot (a repeated key's last value is kept); an
    /// error is kept in `error`.
    fn read(&mut self, map: &mut A, error: &mut Option<A::Error>);

    /// Whether a value was read into the slot.
    fn filled(&self) -> bool;
}

impl<'de, A: de::MapAccess<'de>, T: de::Deserialize<'de>> Slot<'de, A> for Option<T> {
    fn read(&mut self, map: &mut A, error: &mut Option<A::Error>) {
        read_value(map, self, error);
    }

    fn filled(&self) -> bool {
        self.is_some()
    }
}

/// Reads a generated struct's object: each key (as the index of its name in `names`) and its
/// value read into the slot of the same index, or skipped; then every field marked in
/// `required` checked present. The first error, if any: without one, every required slot is
/// filled.
#[doc(hidden)]
pub fn read_object<'de, A: de::MapAccess<'de>>(
    map: &mut A,
    names: &'static [&'static str],
    required: &'static [bool],
    slots: &mut [&mut dyn Slot<'de, A>],
) -> Option<A::Error> {
    let mut error = None;
    while let Some(at) = next_key(map, names, &mut error) {
        match (slots.get_mut(at), names.get(at)) {
            (Some(slot), Some(key)) => {
                slot.read(map, &mut error);
                // The key's value failed: it is on the failed path (see `from_json`).
                if error.is_some() {
                    note_failed(key);
                }
            }
            _ => skip_value(map, &mut error),
        }
    }
    if error.is_some() {
        return error;
    }
    let missing = slots
        .iter()
        .zip(required)
        .position(|(slot, required)| *required && !slot.filled());
    let key = names.get(missing?)?;
    note_failed(key);
    Some(de::Error::missing_field(key))
}

/// An object read for a struct without fields: every member skipped.
#[doc(hidden)]
pub fn empty_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    struct Members;
    impl<'de> de::Visitor<'de> for Members {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
            Ok(())
        }
    }
    deserializer.deserialize_map(Members)
}

/// Which fields [`read_object`] checks present, one `bool` per row, named by the rows' words.
#[doc(hidden)]
#[allow(non_upper_case_globals)]
pub mod presence {
    /// A required field.
    pub const required: bool = true;
    /// An optional field.
    pub const optional: bool = false;
}

/// How a field's slot ends once [`read_object`] succeeded: a required field's value, which
/// it checked present (an optional field's slot is its value as it is).
#[doc(hidden)]
pub mod finish {
    /// A required field's value.
    #[inline]
    pub fn required<T>(slot: Option<T>) -> T {
        slot.expect("read_object checks every required field present")
    }
}

/// A field's value from its slot in `json_object!`: `required` through [`finish::required`],
/// `optional` the slot itself (no call, so the thousands of generated readers stay small).
#[doc(hidden)]
#[macro_export]
macro_rules! __field_value {
    (required $slot:ident) => {
        $crate::__private::finish::required($slot)
    };
    (optional $slot:ident) => {
        $slot
    };
}

/// A generated struct read from a JSON object's members (`json_object!` implements it).
#[doc(hidden)]
pub trait FromObject: Sized {
    /// Reads the struct from the members of its object.
    fn from_object<'de, A: de::MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// The one visitor of every generated struct: an object, handed to its [`FromObject`].
struct ObjectVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: FromObject> de::Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_object(map)
    }
}

/// `Deserialize` of a generated struct: an object read by its [`FromObject`].
#[doc(hidden)]
pub fn deserialize_object<'de, D: Deserializer<'de>, T: FromObject>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
}

/// A key read as the index of its name in a struct's wire names.
struct KeyIndex(&'static [&'static str]);

impl<'de> de::DeserializeSeed<'de> for KeyIndex {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        // Bytes, not a string: serde_json hands a key over without checking it is UTF-8 (a
        // key is compared with the wire names, all ASCII, and an unknown one is skipped);
        // formats without bytes give it as a string.
        deserializer.deserialize_bytes(self)
    }
}

impl de::Visitor<'_> for KeyIndex {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        Ok(self.0.iter().position(|name| *name == key).unwrap_or(self.0.len()))
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<usize, E> {
        Ok(self
            .0
            .iter()
            .position(|name| name.as_bytes() == key)
            .unwrap_or(self.0.len()))
    }
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
                $crate::__private::empty_object(deserializer)?;
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
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::deserialize_object(deserializer)
            }
        }
        impl $crate::__private::FromObject for $name {
            // One pass over the object: each value read straight into its field's slot by the
            // runtime's loop (`read_object`, over the slots as trait objects); then every slot
            // matched at once: cheap to check and compile for the crate's thousands of structs.
            fn from_object<'de, A: ::serde::de::MapAccess<'de>>(mut map: A) -> ::core::result::Result<Self, A::Error> {
                const NAMES: &[&str] = &[$($wire),+];
                const REQUIRED: &[bool] = &[$($crate::__private::presence::$presence),+];
                $(let mut $field = ::core::option::Option::None;)+
                match $crate::__private::read_object(&mut map, NAMES, REQUIRED, &mut [$(&mut $field),+]) {
                    ::core::option::Option::Some(error) => ::core::result::Result::Err(error),
                    ::core::option::Option::None => ::core::result::Result::Ok(Self { $($field: $crate::__private::field_value!($presence $field)),+ }),
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

    /// A decode's error and path, as `from_json` gives them.
    fn failure(json: &str) -> (String, Option<String>, usize) {
        let (e, path) = super::from_json::<S>(json.as_bytes()).map(|_| ()).unwrap_err();
        (e.to_string(), path, e.column())
    }

    #[derive(Debug)]
    struct Outer {
        #[allow(dead_code)]
        inner: Option<Vec<S>>,
    }

    crate::__private::json_object!(Outer {
        inner: "inner" optional,
    });

    #[test]
    fn errors_name_the_field_its_path_and_where_the_text_goes_wrong() {
        let (e, path, column) = failure(r#"{"b":1}"#);
        assert!(e.contains("missing field `a`"), "{e}");
        assert_eq!((path.as_deref(), column), (Some("a"), 7), "at the end of its object");
        // The first bad value in the document is the one reported, where it is.
        let (e, path, column) = failure(r#"{"b":"x","c":"y"}"#);
        assert!(e.contains("invalid type: string \"x\", expected i64"), "{e}");
        assert_eq!((path.as_deref(), column), (Some("b"), 8));
        let (e, _, _) = failure(r#"[1]"#);
        assert!(e.contains("invalid type: sequence, expected an object"), "{e}");
        // An integer field never accepts a fraction.
        let (_, path, _) = failure(r#"{"a":"x","b":1.5}"#);
        assert_eq!(path.as_deref(), Some("b"));
        // Nested: the path through the fields (array positions are not counted), the column
        // of the bad value itself.
        let json = r#"{"inner":[{"a":"x"},{"a":"y","c":[1,"two"]}]}"#;
        let (e, path) = super::from_json::<Outer>(json.as_bytes()).map(|_| ()).unwrap_err();
        assert_eq!(path.as_deref(), Some("inner.c"));
        assert_eq!(e.column(), json.find("\"two\"").unwrap() + 5, "{e}");
        let (e, path) = super::from_json::<Outer>(br#"{"inner":[{"c":[]}]}"#)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            (path.as_deref(), e.to_string().contains("missing field `a`")),
            (Some("inner.a"), true)
        );
        // A success leaves no path behind for the next failure.
        assert!(super::from_json::<S>(br#"{"a":"x"}"#).is_ok());
        assert_eq!(failure(r#"{"a":1}"#).1.as_deref(), Some("a"));
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
        // A repeated key's every value must be of its type.
        let e = serde_json::from_str::<S>(r#"{"a":"x","a":1}"#).unwrap_err().to_string();
        assert!(e.contains("invalid type: integer `1`"), "{e}");
        let empty = serde_json::from_str::<S>(r#"{}"#).unwrap_err().to_string();
        assert!(empty.contains("missing field `a`"), "{empty}");
    }
}
