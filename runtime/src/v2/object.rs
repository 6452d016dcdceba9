//! Typed APIv2 bodies: what the generated structs of `spec/v2/` are written with. A struct is
//! its list of fields ([`XmlObject`], written by `xml_object!` from one line per field); a
//! field's value is text ([`XmlText`]: strings, integers, booleans, enums, JSON carried in a
//! string). A field whose name has `$n` (`coupon_id_$n`) is a list: `coupon_id_0`,
//! `coupon_id_1`, …; `$n_$m` a list of lists (`coupon_refund_id_0_1`).

use std::fmt;

use crate::json_text::JsonText;

/// A field's value as the text of an XML element.
pub trait XmlText: Sized {
    /// The text sent.
    fn to_text(&self) -> String;
    /// The value of a received text; `Err` says why it is not one (without quoting it).
    fn from_text(text: &str) -> Result<Self, String>;
}

impl XmlText for String {
    fn to_text(&self) -> String {
        self.clone()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

macro_rules! number_text {
    ($($t:ty),*) => {$(
        impl XmlText for $t {
            fn to_text(&self) -> String {
                self.to_string()
            }
            fn from_text(text: &str) -> Result<Self, String> {
                text.trim()
                    .parse()
                    .map_err(|_| format!("not {} {}", if stringify!($t) == "f64" { "a" } else { "an" }, stringify!($t)))
            }
        }
    )*};
}
number_text!(i32, i64, u32, u64, f64);

impl XmlText for bool {
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("not `true` or `false`".into()),
        }
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> XmlText for JsonText<T> {
    fn to_text(&self) -> String {
        // A generated type always serialises (its fields are plain data).
        serde_json::to_string(&self.0).unwrap_or_default()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        serde_json::from_str(text)
            .map(JsonText)
            .map_err(|e| format!("not JSON of the field's shape ({})", e.classify_name()))
    }
}

/// The kind of a `serde_json` error, without its text (which may quote the value).
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "a field of the wrong type or missing",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

/// A struct sent or received as an APIv2 body.
pub trait XmlObject: Sized {
    /// Appends the fields that have a value, in the struct's order.
    fn write_fields(&self, out: &mut Vec<XmlField>);
    /// Reads the struct from a body's fields (unknown ones ignored).
    fn read_fields(fields: &[(String, String)]) -> Result<Self, XmlDecodeError>;
}

/// A field to send: its name (indexes filled in), text, and whether it is written as CDATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlField {
    /// The element name (`coupon_fee_0`).
    pub name: String,
    /// The text.
    pub value: String,
    /// Written as CDATA (the spec's `cdata`).
    pub cdata: bool,
}

/// Why a body's fields are not the struct expected: the field and the reason, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlDecodeError {
    /// The field (as received: `coupon_fee_1`).
    pub field: String,
    /// Why the value is not one of the field's type (the value itself is not quoted).
    pub reason: String,
}

impl fmt::Display for XmlDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

impl std::error::Error for XmlDecodeError {}

/// The first `$x` placeholder of a field pattern (`$n` of `coupon_id_$n`): its position and length.
fn placeholder(pattern: &str) -> Option<(usize, usize)> {
    let at = pattern.find('$')?;
    let len = 1 + pattern[at + 1..].bytes().take_while(u8::is_ascii_alphabetic).count();
    Some((at, len))
}

fn with_index(pattern: &str, index: usize) -> String {
    match placeholder(pattern) {
        Some((at, len)) => format!("{}{index}{}", &pattern[..at], &pattern[at + len..]),
        None => pattern.to_owned(),
    }
}

/// Whether `name` is `pattern` with every placeholder a decimal index.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let Some((at, len)) = placeholder(pattern) else {
        return pattern == name;
    };
    let (head, tail) = (&pattern[..at], &pattern[at + len..]);
    let Some(rest) = name.strip_prefix(head) else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches_pattern(tail, &rest[digits..])
}

/// How many entries a list field has: one more than the largest index present (for the first
/// placeholder of `pattern`), 0 when none is.
fn list_len(pattern: &str, fields: &[(String, String)]) -> usize {
    let Some((at, _)) = placeholder(pattern) else {
        return 0;
    };
    let head = &pattern[..at];
    fields
        .iter()
        .filter(|(name, _)| matches_pattern(pattern, name))
        .filter_map(|(name, _)| {
            let rest = &name[head.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            rest[..digits].parse::<usize>().ok()
        })
        // An index past any real list length is refused rather than allocated for.
        .filter(|i| *i < 10_000)
        .max()
        .map_or(0, |i| i + 1)
}

/// The functions `xml_object!` writes a struct's impls with: a module per kind of field
/// (`required`: `T`, `optional`: `Option<T>`, `list`: `Option<Vec<T>>`, `list2`:
/// `Option<Vec<Vec<T>>>`), each with `put` and `take`; `cdata`/`text` say how it is written.
#[doc(hidden)]
pub mod row {
    use super::{list_len, with_index, XmlDecodeError, XmlField, XmlText};

    /// How a field is written: `cdata` (a CDATA section) or `text` (escaped).
    #[allow(non_upper_case_globals)]
    pub mod how {
        /// Written in a CDATA section.
        pub const cdata: bool = true;
        /// Written as escaped text.
        pub const text: bool = false;
    }

    fn find<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn parse<T: XmlText>(name: &str, text: &str) -> Result<T, XmlDecodeError> {
        T::from_text(text).map_err(|reason| XmlDecodeError {
            field: name.to_owned(),
            reason,
        })
    }

    pub mod required {
        use super::*;

        pub fn put<T: XmlText>(out: &mut Vec<XmlField>, name: &str, value: &T, cdata: bool) {
            out.push(XmlField {
                name: name.to_owned(),
                value: value.to_text(),
                cdata,
            });
        }

        /// Missing is an error. An empty element is a value (`""`) only for text.
        pub fn take<T: XmlText>(fields: &[(String, String)], name: &str) -> Result<T, XmlDecodeError> {
            match find(fields, name) {
                Some(text) => parse(name, text),
                None => Err(XmlDecodeError {
                    field: name.to_owned(),
                    reason: "missing".into(),
                }),
            }
        }
    }

    pub mod optional {
        use super::*;

        pub fn put<T: XmlText>(out: &mut Vec<XmlField>, name: &str, value: &Option<T>, cdata: bool) {
            if let Some(v) = value {
                required::put(out, name, v, cdata);
            }
        }

        /// Missing, or an empty element of a type that is not text, is `None`.
        pub fn take<T: XmlText>(fields: &[(String, String)], name: &str) -> Result<Option<T>, XmlDecodeError> {
            match find(fields, name) {
                None => Ok(None),
                Some(text) => match parse(name, text) {
                    Ok(v) => Ok(Some(v)),
                    Err(_) if text.trim().is_empty() => Ok(None),
                    Err(e) => Err(e),
                },
            }
        }
    }

    pub mod list {
        use super::*;

        pub fn put<T: XmlText>(out: &mut Vec<XmlField>, pattern: &str, values: &Option<Vec<T>>, cdata: bool) {
            for (i, v) in values.iter().flatten().enumerate() {
                required::put(out, &with_index(pattern, i), v, cdata);
            }
        }

        /// `None` when no entry is present; an index left out is an error.
        pub fn take<T: XmlText>(fields: &[(String, String)], pattern: &str) -> Result<Option<Vec<T>>, XmlDecodeError> {
            let len = list_len(pattern, fields);
            if len == 0 {
                return Ok(None);
            }
            (0..len)
                .map(|i| required::take(fields, &with_index(pattern, i)))
                .collect::<Result<Vec<T>, _>>()
                .map(Some)
        }
    }

    pub mod list2 {
        use super::*;

        pub fn put<T: XmlText>(out: &mut Vec<XmlField>, pattern: &str, values: &Option<Vec<Vec<T>>>, cdata: bool) {
            for (i, inner) in values.iter().flatten().enumerate() {
                for (j, v) in inner.iter().enumerate() {
                    required::put(out, &with_index(&with_index(pattern, i), j), v, cdata);
                }
            }
        }

        /// An outer entry without inner ones is empty.
        pub fn take<T: XmlText>(
            fields: &[(String, String)],
            pattern: &str,
        ) -> Result<Option<Vec<Vec<T>>>, XmlDecodeError> {
            let len = list_len(pattern, fields);
            if len == 0 {
                return Ok(None);
            }
            (0..len)
                .map(|i| list::take(fields, &with_index(pattern, i)).map(Option::unwrap_or_default))
                .collect::<Result<Vec<Vec<T>>, _>>()
                .map(Some)
        }
    }
}

/// Writes [`XmlObject`] for a generated APIv2 struct from one line per field: the Rust field,
/// the XML name (with `$n` for a list), the kind (`required`, `optional`, `list`: `Option<Vec<T>>`,
/// `list2`: `Option<Vec<Vec<T>>>`) and whether it is sent as CDATA (`cdata`/`text`).
///
/// (`tests` below has a struct written with it.)
#[doc(hidden)]
#[macro_export]
macro_rules! __xml_object {
    ($name:ident { $($field:ident: $wire:literal $kind:ident $text:ident),* $(,)? }) => {
        $crate::__private::with!($name);
        // A field the spec deprecates is still sent and read.
        #[allow(deprecated)]
        impl $crate::v2::XmlObject for $name {
            fn write_fields(&self, out: &mut ::std::vec::Vec<$crate::v2::XmlField>) {
                let _ = &out;
                $($crate::v2::row::$kind::put(out, $wire, &self.$field, $crate::v2::row::how::$text);)*
            }
            fn read_fields(
                fields: &[(::std::string::String, ::std::string::String)],
            ) -> ::core::result::Result<Self, $crate::v2::XmlDecodeError> {
                let _ = fields;
                ::core::result::Result::Ok(Self {
                    $($field: $crate::v2::row::$kind::take(fields, $wire)?,)*
                })
            }
        }
    };
}

/// Writes [`XmlText`] for a generated enum (which has `as_str` and `From<&str>`, from
/// `json_enum!`): its wire value is its text.
#[doc(hidden)]
#[macro_export]
macro_rules! __xml_enum {
    ($name:ident) => {
        impl $crate::v2::XmlText for $name {
            fn to_text(&self) -> ::std::string::String {
                ::std::string::ToString::to_string(self.as_str())
            }
            fn from_text(text: &str) -> ::core::result::Result<Self, ::std::string::String> {
                ::core::result::Result::Ok(<Self as ::core::convert::From<&str>>::from(text))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[derive(Debug, PartialEq)]
    struct Answer {
        prepay_id: String,
        detail: Option<String>,
        coupon_fee: Option<Vec<i64>>,
        refund_coupon: Option<Vec<Vec<String>>>,
    }
    crate::__xml_object!(Answer {
        prepay_id: "prepay_id" required text,
        detail: "detail" optional cdata,
        coupon_fee: "coupon_fee_$n" list text,
        refund_coupon: "coupon_refund_id_$n_$m" list2 text,
    });

    #[test]
    fn a_struct_round_trips_through_its_fields() {
        let answer = Answer {
            prepay_id: "wx1".into(),
            detail: Some("<b>".into()),
            coupon_fee: Some(vec![10, 20]),
            refund_coupon: Some(vec![vec!["a".into()], vec!["b".into(), "c".into()]]),
        };
        let mut out = Vec::new();
        answer.write_fields(&mut out);
        let names: Vec<&str> = out.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "prepay_id",
                "detail",
                "coupon_fee_0",
                "coupon_fee_1",
                "coupon_refund_id_0_0",
                "coupon_refund_id_1_0",
                "coupon_refund_id_1_1"
            ]
        );
        assert!(out[1].cdata && !out[0].cdata);
        let back: Vec<(String, String)> = out.into_iter().map(|f| (f.name, f.value)).collect();
        assert_eq!(Answer::read_fields(&back).unwrap(), answer);
        let missing = Answer::read_fields(&[]).unwrap_err();
        assert_eq!(missing.field, "prepay_id");
    }

    #[test]
    fn patterns_match_indexes_only() {
        assert!(matches_pattern("coupon_id_$n", "coupon_id_0"));
        assert!(matches_pattern("coupon_id_$n", "coupon_id_12"));
        assert!(!matches_pattern("coupon_id_$n", "coupon_id_"));
        assert!(!matches_pattern("coupon_id_$n", "coupon_id_1x"));
        assert!(matches_pattern("coupon_refund_id_$n_$m", "coupon_refund_id_2_0"));
        assert!(!matches_pattern("coupon_refund_id_$n_$m", "coupon_refund_id_2"));
        assert_eq!(with_index("coupon_refund_id_$n_$m", 3), "coupon_refund_id_3_$m");
    }

    #[test]
    fn lists_read_in_index_order_and_refuse_gaps() {
        let f = fields(&[("fee_1", "20"), ("fee_0", "10"), ("other", "x")]);
        assert_eq!(row::list::take::<i64>(&f, "fee_$n").unwrap(), Some(vec![10, 20]));
        assert_eq!(row::list::take::<i64>(&f, "none_$n").unwrap(), None);
        let gap = fields(&[("fee_0", "1"), ("fee_2", "3")]);
        let e = row::list::take::<i64>(&gap, "fee_$n").unwrap_err();
        assert_eq!(e.field, "fee_1");
        let huge = fields(&[("fee_99999999", "1")]);
        assert_eq!(row::list::take::<i64>(&huge, "fee_$n").unwrap(), None);
    }

    #[test]
    fn nested_lists_allow_empty_outer_entries() {
        let f = fields(&[("id_0_0", "a"), ("id_0_1", "b"), ("id_2_0", "c")]);
        let got = row::list2::take::<String>(&f, "id_$n_$m").unwrap().unwrap();
        assert_eq!(
            got,
            vec![vec!["a".to_owned(), "b".to_owned()], vec![], vec!["c".to_owned()]]
        );
        let mut out = Vec::new();
        row::list2::put(&mut out, "id_$n_$m", &Some(got), false);
        let names: Vec<&str> = out.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id_0_0", "id_0_1", "id_2_0"]);
    }

    #[test]
    fn values_are_parsed_without_quoting_them() {
        let f = fields(&[("total_fee", "12x"), ("empty", "")]);
        let e = row::required::take::<i64>(&f, "total_fee").unwrap_err();
        assert_eq!(e.to_string(), "field `total_fee`: not an i64");
        assert_eq!(row::optional::take::<i64>(&f, "empty").unwrap(), None);
        assert_eq!(row::optional::take::<String>(&f, "empty").unwrap(), Some(String::new()));
        assert_eq!(row::required::take::<i64>(&f, "missing").unwrap_err().reason, "missing");
        let json = row::required::take::<JsonText<Vec<i64>>>(&fields(&[("d", "[1,2]")]), "d").unwrap();
        assert_eq!(*json, [1, 2]);
        let bad = row::required::take::<JsonText<Vec<i64>>>(&fields(&[("d", "{\"secret\":1}")]), "d").unwrap_err();
        assert!(!bad.to_string().contains("secret"), "{bad}");
    }
}
