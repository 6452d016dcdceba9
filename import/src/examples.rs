//! Examples made to fit their field, after conversion and the official models: the generator
//! refuses an example that is not of its field's type or not one of its enum's values
//! (`spec/README.md`, "Examples"), so the importer repairs what the description writes loosely,
//! one repair line per decision:
//!
//! * [`ExampleRepair::Retyped`]: the same value written as the field's type — integer text
//!   (`'550'`, most of APIv2) becomes an integer, `'true'` a boolean, a bare number on a string
//!   field (`190001351110000`) its text;
//! * [`ExampleRepair::EnumValueAdded`]: a response enum whose example is a constant it does not
//!   list (`APPLYMENT_STATE_EDITTING`, `SUCCESS` beside a misspelt `SUCEESS`) gets the value: the
//!   example is the description's witness of what the platform sends, and an answer is decoded
//!   with every value it may carry;
//! * [`ExampleRepair::Dropped`]: anything else (an example of a request enum that it does not
//!   list — we do not invent values the platform may refuse —, an openid as the example of a
//!   scene enum, `'1或者0'` for an integer) loses its example; the field is unchanged.

use std::fmt;

use indexmap::IndexMap;
use serde_yaml::Value;
use wechatpay_model::spec::{EnumValue, PathFile, Scalar, Schema};

/// The kinds of example repair, one repair line each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExampleRepair {
    Retyped,
    EnumValueAdded,
    Dropped,
}

impl ExampleRepair {
    /// The kind as the import log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExampleRepair::Retyped => "example-retyped",
            ExampleRepair::EnumValueAdded => "example-enum-value",
            ExampleRepair::Dropped => "example-dropped",
        }
    }
}

/// One decision: where (`v3/x post.response.state`, `types.Name.field`), what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFix {
    pub kind: ExampleRepair,
    pub at: String,
    pub text: String,
}

impl fmt::Display for ExampleFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.text, self.kind.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// Fits every example of the files (`(rel, file)`, `rel` as `v3/x.yaml`) and shared types.
pub fn fit_examples(
    files: &mut [(String, &mut PathFile)],
    types: &mut [(String, IndexMap<String, Schema>)],
) -> Vec<ExampleFix> {
    let mut out = Vec::new();
    for (rel, file) in files.iter_mut() {
        let file_at = rel.trim_end_matches(".yaml").to_string();
        for (method, op) in file.operations_mut() {
            let at = format!("{file_at} {}", method.as_str());
            let request = [
                ("path", &mut op.path),
                ("query", &mut op.query),
                ("header", &mut op.headers),
            ];
            for (place, params) in request {
                for (name, s) in params.iter_mut() {
                    fit(s, Side::Request, &format!("{at}.{place}.{name}"), &mut out);
                }
            }
            if let Some(body) = op.body.as_mut() {
                fit(body, Side::Request, &format!("{at}.body"), &mut out);
            }
            if let Some(upload) = op.upload.as_mut() {
                fit(&mut upload.meta, Side::Request, &format!("{at}.upload.meta"), &mut out);
                for (name, s) in upload.fields.iter_mut() {
                    fit(s, Side::Request, &format!("{at}.upload.fields.{name}"), &mut out);
                }
            }
            if let Some(body) = op.response.as_mut().and_then(|r| r.body.as_mut()) {
                fit(body, Side::Response, &format!("{at}.response"), &mut out);
            }
        }
    }
    for (_, defs) in types.iter_mut() {
        for (name, s) in defs.iter_mut() {
            // A shared type may serve requests: its enums are not widened.
            fit(s, Side::Request, &format!("types.{name}"), &mut out);
        }
    }
    out
}

fn fit(s: &mut Schema, side: Side, at: &str, out: &mut Vec<ExampleFix>) {
    if let Some(props) = s.properties.as_mut() {
        for (name, p) in props.iter_mut() {
            fit(p, side, &format!("{at}.{name}"), out);
        }
    }
    if let Some(items) = s.items.as_mut() {
        fit(items, side, &format!("{at}[]"), out);
    }
    if let Some(inner) = s.json.as_mut() {
        fit(inner, side, &format!("{at}.json"), out);
    }
    if s.ref_.is_some() || s.json.is_some() {
        return;
    }
    let Some(example) = s.example.as_ref().filter(|e| is_scalar(e)) else {
        return;
    };
    let Some(ty) = scalar_type(s) else { return };
    let mut note = |kind, text: String| {
        out.push(ExampleFix {
            kind,
            at: at.to_string(),
            text,
        })
    };
    let shown = show(example);
    let Some(fitted) = as_type(example, ty) else {
        note(
            ExampleRepair::Dropped,
            format!("example {shown} is not {}: dropped", a(ty)),
        );
        s.example = None;
        return;
    };
    if &fitted != example {
        note(
            ExampleRepair::Retyped,
            format!("example {shown} written as the {ty} {}", show(&fitted)),
        );
        s.example = Some(fitted.clone());
    }
    let Some(values) = s.enum_.as_mut() else { return };
    let Some(value) = scalar_of(&fitted) else { return };
    if values.iter().any(|v| v.value() == &value) {
        return;
    }
    let constants = |v: &Scalar| matches!(v, Scalar::Str(t) if is_constant(t));
    if side == Side::Response && constants(&value) && values.iter().all(|v| constants(v.value())) {
        note(
            ExampleRepair::EnumValueAdded,
            format!("enum value {value} added: the response's example, not among its values"),
        );
        values.push(EnumValue::Bare(value));
    } else {
        note(
            ExampleRepair::Dropped,
            format!("example {shown} is not one of the enum's values: dropped"),
        );
        s.example = None;
    }
}

fn a(ty: &str) -> String {
    match ty {
        "integer" => "an integer".into(),
        other => format!("a {other}"),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The scalar type of a schema (an enum without `type` is a string enum), or `None` for
/// objects, arrays and any JSON.
fn scalar_type(s: &Schema) -> Option<&'static str> {
    match s.ty.as_deref() {
        Some("string") => Some("string"),
        Some("integer") => Some("integer"),
        Some("number") => Some("number"),
        Some("boolean") => Some("boolean"),
        None if s.enum_.is_some() && s.properties.is_none() => Some("string"),
        _ => None,
    }
}

/// The example written as `ty`, if it is one: the same text, typed.
fn as_type(v: &Value, ty: &str) -> Option<Value> {
    match (ty, v) {
        ("string", Value::String(_)) => Some(v.clone()),
        ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
        ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Some(v.clone()),
        ("integer", Value::String(t)) => t.trim().parse::<i64>().ok().map(Value::from),
        ("number", Value::Number(_)) => Some(v.clone()),
        ("number", Value::String(t)) => match t.trim().parse::<i64>() {
            Ok(i) => Some(Value::from(i)),
            Err(_) => t.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from),
        },
        ("boolean", Value::Bool(_)) => Some(v.clone()),
        ("boolean", Value::String(t)) if t.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        ("boolean", Value::String(t)) if t.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        _ => None,
    }
}

/// The example as an enum value compares: integers as integers, text as text.
fn scalar_of(v: &Value) -> Option<Scalar> {
    match v {
        Value::String(t) => Some(Scalar::Str(t.clone())),
        Value::Number(n) => n.as_i64().map(Scalar::Int),
        _ => None,
    }
}

/// An enum constant as WeChat Pay writes them: `SUCCESS`, `APPLYMENT_STATE_EDITTING`.
fn is_constant(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn show(v: &Value) -> String {
    match v {
        Value::String(t) => format!("'{t}'"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => "(not a scalar)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(yaml: &str) -> Schema {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn run(s: &mut Schema, side: Side) -> Vec<String> {
        let mut out = Vec::new();
        fit(s, side, "x", &mut out);
        out.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn integer_text_becomes_an_integer_and_other_text_is_dropped() {
        let mut s = schema("type: integer\nexample: '550'\n");
        assert_eq!(
            run(&mut s, Side::Request),
            ["x: example '550' written as the integer 550 (example-retyped)"]
        );
        assert_eq!(s.example, Some(Value::from(550)));
        let mut s = schema("type: integer\nexample: 1或者0\n");
        assert_eq!(
            run(&mut s, Side::Response),
            ["x: example '1或者0' is not an integer: dropped (example-dropped)"]
        );
        assert_eq!(s.example, None);
    }

    #[test]
    fn a_number_on_a_string_field_becomes_its_text() {
        let mut s = schema("type: string\nexample: 190001351110000\n");
        run(&mut s, Side::Request);
        assert_eq!(s.example, Some(Value::String("190001351110000".into())));
        let mut s = schema("type: boolean\nexample: 'TRUE'\n");
        run(&mut s, Side::Request);
        assert_eq!(s.example, Some(Value::Bool(true)));
    }

    #[test]
    fn a_response_enum_takes_its_constant_example_a_request_enum_drops_it() {
        let yaml = "type: string\nenum: [PENDING, SUCEESS]\nexample: SUCCESS\n";
        let mut s = schema(yaml);
        let lines = run(&mut s, Side::Response);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with("(example-enum-value)"), "{lines:?}");
        assert_eq!(s.enum_.as_ref().unwrap().len(), 3);
        assert!(s.example.is_some());
        let mut s = schema(yaml);
        run(&mut s, Side::Request);
        assert_eq!(s.enum_.as_ref().unwrap().len(), 2);
        assert_eq!(s.example, None);
    }

    #[test]
    fn a_response_enum_keeps_its_values_when_the_example_is_not_a_constant() {
        let mut s = schema("type: string\nenum: [FROM_MINI_APP]\nexample: onqOjjmo8wmTOOtSKwXtGjg9Gb58\n");
        run(&mut s, Side::Response);
        assert_eq!(s.enum_.as_ref().unwrap().len(), 1);
        assert_eq!(s.example, None);
        let mut s = schema("type: string\nenum: ['True', 'False']\nexample: V_NM_ID_MA\n");
        run(&mut s, Side::Response);
        assert_eq!(s.enum_.as_ref().unwrap().len(), 2);
        assert_eq!(s.example, None);
    }

    #[test]
    fn fitting_examples_are_untouched() {
        let mut s = schema(
            "type: object\nproperties:\n  a: {type: integer, example: 1}\n  b: {type: string, enum: [X], example: X}\n",
        );
        assert!(run(&mut s, Side::Response).is_empty());
    }
}
