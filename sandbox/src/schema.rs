//! Checking JSON (request bodies, query parameters, responses) against the spec's types, and
//! making example values of a type (the spec's `example` where present, otherwise generated).
//!
//! Both the CLI (`wechatpay call` checks before sending) and the sandbox (answers `400
//! PARAM_ERROR` to a request that does not match, and answers every operation with an example)
//! use this module, so they agree on what the spec allows.

use serde_json::{Map, Number, Value};
use wechatpay_model::ir::{Body, Field, FieldKind, ResponseKind, Ty, TypeDef, TypeKind};

use crate::spec::{Operation, Spec};

/// What a check found: errors (the platform would refuse it) and warnings (sent anyway).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Problems that make the request invalid, each naming the field.
    pub errors: Vec<String>,
    /// Remarks that do not stop the request (an enum value the spec does not list).
    pub warnings: Vec<String>,
}

impl Report {
    /// No errors (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Whether unknown object keys are errors (requests) or allowed (responses: the platform adds
/// fields, the client ignores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A request: unknown fields are errors.
    Request,
    /// A response: unknown fields are allowed.
    Response,
    /// Like a request (for testing that generated responses are exactly the schema).
    Exact,
}

/// Looks up named types for one operation: its node's local types, then the shared types.
#[derive(Clone, Copy)]
pub struct Types<'a> {
    local: &'a [TypeDef],
    shared: &'a [TypeDef],
}

impl<'a> Types<'a> {
    /// The types visible from `op`.
    pub fn of(spec: &'a Spec, op: &'a Operation) -> Self {
        Types {
            local: &op.types,
            shared: &spec.api.shared,
        }
    }

    /// The types of a notification's own resource.
    pub fn notification(spec: &'a Spec, types: &'a [TypeDef]) -> Self {
        Types {
            local: types,
            shared: &spec.api.shared,
        }
    }

    /// Only the shared types (for a shared type's own fields).
    pub fn shared(spec: &'a Spec) -> Self {
        Types {
            local: &[],
            shared: &spec.api.shared,
        }
    }

    fn resolve(&self, ty: &Ty) -> Option<&'a TypeDef> {
        match ty {
            Ty::Local(name) => self.local.iter().find(|t| &t.name == name),
            Ty::Shared(name) => self.shared.iter().find(|t| &t.name == name),
            _ => None,
        }
    }
}

/// Describes a type for messages: `string`, `integer (int32)`, `object`, `enum`, ….
fn describe(types: Types<'_>, ty: &Ty) -> String {
    match ty {
        Ty::String => "a string".into(),
        Ty::I32 => "an integer (int32)".into(),
        Ty::I64 => "an integer (int64)".into(),
        Ty::U32 => "an integer (uint32)".into(),
        Ty::U64 => "an integer (uint64)".into(),
        Ty::F64 => "a number".into(),
        Ty::Bool => "a boolean".into(),
        Ty::Json => "any JSON".into(),
        Ty::Vec(_) => "an array".into(),
        Ty::JsonText(inner) => format!("a string holding JSON ({})", describe(types, inner)),
        Ty::Local(_) | Ty::Shared(_) => match types.resolve(ty).map(|t| &t.kind) {
            Some(TypeKind::Enum(_)) => "a string (enum)".into(),
            _ => "an object".into(),
        },
    }
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn int_range(ty: &Ty) -> Option<(i128, i128)> {
    Some(match ty {
        Ty::I32 => (i32::MIN as i128, i32::MAX as i128),
        Ty::I64 => (i64::MIN as i128, i64::MAX as i128),
        Ty::U32 => (0, u32::MAX as i128),
        Ty::U64 => (0, u64::MAX as i128),
        _ => return None,
    })
}

/// Checks `value` against `ty`; `path` names the field in messages (`amount.total`).
pub fn check_value(types: Types<'_>, ty: &Ty, value: &Value, path: &str, mode: Mode, report: &mut Report) {
    let wrong = |report: &mut Report| {
        report.errors.push(format!(
            "field `{path}`: expected {}, got {}",
            describe(types, ty),
            kind_of(value)
        ))
    };
    match ty {
        Ty::String => {
            if !value.is_string() {
                wrong(report)
            }
        }
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => {
            let (min, max) = int_range(ty).expect("integer type");
            match value {
                Value::Number(n) => {
                    let int = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
                    match int {
                        Some(i) if i < min || i > max => report.errors.push(format!(
                            "field `{path}`: {i} is out of range for {}",
                            describe(types, ty)
                        )),
                        Some(_) => {}
                        None => report.errors.push(format!(
                            "field `{path}`: expected an integer, got {n} (amounts are integers, in fen)"
                        )),
                    }
                }
                _ => wrong(report),
            }
        }
        Ty::F64 => {
            if !value.is_number() {
                wrong(report)
            }
        }
        Ty::Bool => {
            if !value.is_boolean() {
                wrong(report)
            }
        }
        Ty::Json => {}
        Ty::JsonText(inner) => match value.as_str().map(serde_json::from_str::<Value>) {
            Some(Ok(v)) => check_value(types, inner, &v, path, mode, report),
            Some(Err(e)) => report.errors.push(format!(
                "field `{path}`: a string holding JSON, but it is not JSON ({e})"
            )),
            None => wrong(report),
        },
        Ty::Vec(item) => match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    check_value(types, item, v, &format!("{path}[{i}]"), mode, report);
                }
            }
            _ => wrong(report),
        },
        Ty::Local(name) | Ty::Shared(name) => match types.resolve(ty) {
            None => report
                .errors
                .push(format!("field `{path}`: the spec has no type `{name}`")),
            Some(def) => match &def.kind {
                TypeKind::Enum(variants) => match value {
                    Value::String(s) => {
                        if !variants.iter().any(|v| &v.value == s) {
                            report.warnings.push(format!(
                                "field `{path}`: {s:?} is not one of the values the spec lists ({}); sent anyway, the platform adds values",
                                variants.iter().map(|v| v.value.as_str()).collect::<Vec<_>>().join(", ")
                            ));
                        }
                    }
                    _ => wrong(report),
                },
                TypeKind::Struct(fields) => match value {
                    Value::Object(map) => {
                        let sub = if matches!(ty, Ty::Shared(_)) {
                            Types { local: &[], ..types }
                        } else {
                            types
                        };
                        check_fields(sub, fields.iter(), map, path, mode, report)
                    }
                    _ => wrong(report),
                },
            },
        },
    }
}

/// Checks an object's fields: unknown keys (per `mode`), missing required fields, each value.
fn check_fields<'f>(
    types: Types<'_>,
    fields: impl Iterator<Item = &'f Field> + Clone,
    map: &Map<String, Value>,
    path: &str,
    mode: Mode,
    report: &mut Report,
) {
    for key in map.keys() {
        if !fields.clone().any(|f| &f.wire == key) {
            let known: Vec<&str> = fields.clone().map(|f| f.wire.as_str()).collect();
            let message = format!(
                "unknown field `{}` (the spec lists: {})",
                join(path, key),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
            // A response may carry fields the spec does not list yet: worth a warning only.
            if mode == Mode::Response {
                report.warnings.push(message);
            } else {
                report.errors.push(message);
            }
        }
    }
    for f in fields {
        let fpath = join(path, &f.wire);
        match map.get(&f.wire) {
            None | Some(Value::Null) if f.required_on_the_wire() => {
                report
                    .errors
                    .push(format!("missing required field `{fpath}` ({})", describe(types, &f.ty)));
            }
            None | Some(Value::Null) => {}
            Some(v) => {
                check_value(types, &f.ty, v, &fpath, mode, report);
                check_int_values(f, v, &fpath, report);
            }
        }
    }
}

/// Integer fields with listed values: an unlisted value is a warning (like enums).
fn check_int_values(f: &Field, v: &Value, path: &str, report: &mut Report) {
    if f.int_values.is_empty() {
        return;
    }
    let text = v.to_string();
    if !f.int_values.iter().any(|(value, _)| *value == text) {
        report.warnings.push(format!(
            "field `{path}`: {text} is not one of the values the spec lists ({}); sent anyway",
            f.int_values
                .iter()
                .map(|(v, _)| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// Parses a query/path/header text as the scalar type `ty` and checks it.
fn check_text(types: Types<'_>, ty: &Ty, text: &str, what: &str, report: &mut Report) {
    if let Ty::JsonText(_) = ty {
        // The text is the JSON: checked as the string value it is.
        check_value(types, ty, &Value::String(text.to_owned()), what, Mode::Request, report);
        return;
    }
    if let Ty::Vec(item) = ty {
        // Query arrays are sent comma-separated (`?types=A,B`).
        for part in text.split(',') {
            check_text(types, item, part, what, report);
        }
        return;
    }
    let value = match ty {
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => match text.parse::<i128>() {
            Ok(i) => Value::Number(Number::from_i128(i).unwrap_or_else(|| Number::from(0))),
            Err(_) => {
                report
                    .errors
                    .push(format!("{what}: expected {}, got {text:?}", describe(types, ty)));
                return;
            }
        },
        Ty::F64 => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Value::from(f),
            _ => {
                report.errors.push(format!("{what}: expected a number, got {text:?}"));
                return;
            }
        },
        Ty::Bool => match text {
            "true" | "false" => Value::Bool(text == "true"),
            _ => {
                report
                    .errors
                    .push(format!("{what}: expected true or false, got {text:?}"));
                return;
            }
        },
        _ => Value::String(text.to_string()),
    };
    let mut sub = Report::default();
    check_value(types, ty, &value, "", Mode::Request, &mut sub);
    let fix = |m: String| m.replacen("field ``", what, 1);
    report.errors.extend(sub.errors.into_iter().map(fix));
    report.warnings.extend(sub.warnings.into_iter().map(fix));
}

/// A request as the CLI or the sandbox sees it, for [`check_request`].
#[derive(Debug, Default, Clone)]
pub struct RequestParts<'a> {
    /// Placeholder values of the path (percent-decoded).
    pub path: Vec<(String, String)>,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Request headers (any case), or `None` to skip the header check (the CLI adds some).
    pub headers: Option<Vec<(String, String)>>,
    /// The JSON body, if any.
    pub body: Option<&'a Value>,
}

/// Checks a request against its operation: path placeholders, query parameters, headers the
/// operation requires, and the JSON body.
pub fn check_request(spec: &Spec, op: &Operation, request: &RequestParts<'_>) -> Report {
    let types = Types::of(spec, op);
    let mut report = Report::default();
    for (name, ty) in &op.params {
        if let Some((_, value)) = request.path.iter().find(|(n, _)| n == name) {
            check_text(types, ty, value, &format!("path parameter `{name}`"), &mut report);
        }
    }
    for (name, value) in &request.query {
        match op.op.query.iter().find(|f| &f.wire == name) {
            None => {
                let known: Vec<&str> = op.op.query.iter().map(|f| f.wire.as_str()).collect();
                report.errors.push(format!(
                    "unknown query parameter `{name}` (the spec lists: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
            Some(f) => check_text(types, &f.ty, value, &format!("query parameter `{name}`"), &mut report),
        }
    }
    for f in op.op.query.iter().filter(|f| f.required_on_the_wire()) {
        if !request.query.iter().any(|(n, _)| *n == f.wire) {
            report
                .errors
                .push(format!("missing required query parameter `{}`", f.wire));
        }
    }
    if let Some(headers) = &request.headers {
        for f in op.op.headers.iter().filter(|f| f.required) {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&f.wire)) {
                report.errors.push(format!("missing required header `{}`", f.wire));
            }
        }
    }
    let empty = Value::Object(Map::new());
    match &op.op.body {
        Body::None => {
            if request.body.is_some_and(|b| !b.is_null()) {
                report.errors.push(format!("{} takes no request body", op.name()));
            }
        }
        Body::Fields => {
            let fields = request_fields(op);
            match request.body.unwrap_or(&empty) {
                Value::Object(map) => check_fields(types, fields.into_iter(), map, "", Mode::Request, &mut report),
                other => report.errors.push(format!(
                    "the request body must be a JSON object, got {}",
                    kind_of(other)
                )),
            }
        }
        Body::Whole(ty) => match request.body {
            None => report.errors.push("missing the request body".to_string()),
            Some(v) => check_value(types, ty, v, "body", Mode::Request, &mut report),
        },
        Body::Upload { .. } => {
            // The JSON is the `meta` part (what the signature covers). Clients fill the file's
            // name and digest in themselves: those keys are not "unknown" even when the spec's
            // meta does not list them.
            if let (Some(meta), Some(body)) = (request_fields(op).first(), request.body) {
                let mut body = body.clone();
                if let (Some(map), Some(TypeKind::Struct(fields))) =
                    (body.as_object_mut(), types.resolve(&meta.ty).map(|d| &d.kind))
                {
                    for computed in ["filename", "file_name", "sha256", "file_digest"] {
                        if !fields.iter().any(|f| f.wire == computed) {
                            map.remove(computed);
                        }
                    }
                }
                check_value(types, &meta.ty, &body, "meta", Mode::Request, &mut report);
            }
        }
    }
    report
}

/// The body fields of an operation whose body is its request struct.
fn request_fields(op: &Operation) -> Vec<&Field> {
    let Some(name) = &op.op.request else {
        return Vec::new();
    };
    match op.types.iter().find(|t| &t.name == name).map(|t| &t.kind) {
        Some(TypeKind::Struct(fields)) => fields.iter().filter(|f| f.kind == FieldKind::Body).collect(),
        _ => Vec::new(),
    }
}

/// Checks a response body against the operation's response schema.
pub fn check_response(spec: &Spec, op: &Operation, body: &Value, mode: Mode) -> Report {
    let mut report = Report::default();
    match &op.op.response {
        ResponseKind::Json(ty) => check_value(Types::of(spec, op), ty, body, "", mode, &mut report),
        ResponseKind::Value | ResponseKind::Binary => {}
        ResponseKind::Empty => {
            if !body.is_null() {
                report
                    .errors
                    .push(format!("{} answers no content, got {}", op.name(), kind_of(body)))
            }
        }
    }
    report
}

/// Deepest nesting an example goes to (shared types may refer to each other).
const MAX_DEPTH: usize = 8;

/// An example value of `ty`: the field's `example` when it fits the type, otherwise a generated
/// value (strings `"string"`, integers `1`, an enum's first value, objects with every field,
/// arrays of one element).
pub fn example(types: Types<'_>, ty: &Ty, field: Option<&Field>) -> Value {
    example_at(types, ty, field, 0)
}

fn example_at(types: Types<'_>, ty: &Ty, field: Option<&Field>, depth: usize) -> Value {
    if let Some(text) = field.and_then(|f| f.example.as_deref()) {
        let candidates = [
            Value::String(text.to_string()),
            serde_yaml::from_str::<Value>(text).unwrap_or(Value::Null),
        ];
        for c in candidates {
            let mut r = Report::default();
            check_value(types, ty, &c, "", Mode::Exact, &mut r);
            if r.errors.is_empty() && r.warnings.is_empty() && !c.is_null() {
                return c;
            }
        }
    }
    if let Some((first, _)) = field.and_then(|f| f.int_values.first()) {
        if let Ok(v) = serde_json::from_str::<Value>(first) {
            return v;
        }
    }
    match ty {
        Ty::String => Value::String("string".into()),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => Value::from(1),
        Ty::F64 => Value::from(1.5),
        Ty::Bool => Value::Bool(true),
        Ty::Json => Value::Object(Map::new()),
        Ty::Vec(item) => Value::Array(vec![example_at(types, item, None, depth + 1)]),
        Ty::JsonText(inner) => Value::String(example_at(types, inner, None, depth + 1).to_string()),
        Ty::Local(_) | Ty::Shared(_) => match types.resolve(ty).map(|d| &d.kind) {
            Some(TypeKind::Enum(variants)) => {
                Value::String(variants.first().map(|v| v.value.clone()).unwrap_or_default())
            }
            Some(TypeKind::Struct(fields)) => {
                let sub = if matches!(ty, Ty::Shared(_)) {
                    Types { local: &[], ..types }
                } else {
                    types
                };
                object_example(sub, fields.iter(), depth)
            }
            None => Value::Null,
        },
    }
}

fn object_example<'f>(types: Types<'_>, fields: impl Iterator<Item = &'f Field>, depth: usize) -> Value {
    let mut map = Map::new();
    for f in fields {
        if depth >= MAX_DEPTH && !f.required {
            continue;
        }
        map.insert(f.wire.clone(), example_at(types, &f.ty, Some(f), depth + 1));
    }
    Value::Object(map)
}

/// An example of a shared type (`TransactionAmount`), or `None` if there is no such type.
pub fn example_shared(spec: &Spec, name: &str) -> Option<Value> {
    spec.shared(name)?;
    Some(example(Types::shared(spec), &Ty::Shared(name.to_string()), None))
}

/// The example response body of an operation (`None`: no content).
pub fn example_response(spec: &Spec, op: &Operation) -> Option<Value> {
    if !op.has_response_body() {
        return None;
    }
    Some(match &op.op.response {
        ResponseKind::Json(ty) => example(Types::of(spec, op), ty, None),
        ResponseKind::Binary => return None,
        _ => Value::Object(Map::new()),
    })
}

/// An example request of an operation, valid against its spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The concrete path, placeholders filled and percent-encoded (no query).
    pub path: String,
    /// Every query parameter of the spec with an example value (not encoded).
    pub query: Vec<(String, String)>,
    /// Every header of the spec with an example value.
    pub headers: Vec<(String, String)>,
    /// The JSON body (`None`: the operation takes none); for an upload, the `meta` part.
    pub body: Option<Value>,
    /// For an upload: the file part's name.
    pub file_part: Option<String>,
    /// For an upload: the other text parts with example values.
    pub form: Vec<(String, String)>,
}

impl ExampleRequest {
    /// Path and `?query`, the query percent-encoded.
    pub fn target(&self) -> String {
        let mut target = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(&crate::encode(k));
            target.push('=');
            target.push_str(&crate::encode(v));
        }
        target
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Builds an example request: placeholders get `example-<name>` (integers `1`), every query
/// parameter and header its example, the body every field.
pub fn example_request(spec: &Spec, op: &Operation) -> ExampleRequest {
    let types = Types::of(spec, op);
    let mut path = String::new();
    for segment in op.url.split('/').skip(1) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let ty = op
                    .params
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t.clone())
                    .unwrap_or(Ty::String);
                let value = match ty {
                    Ty::String => format!("example-{name}"),
                    _ => "1".to_string(),
                };
                path.push_str(&crate::encode(&value));
            }
            None => path.push_str(segment),
        }
    }
    let query = op
        .op
        .query
        .iter()
        .map(|f| (f.wire.clone(), scalar_text(&example(types, &f.ty, Some(f)))))
        .collect();
    let headers = op
        .op
        .headers
        .iter()
        .map(|f| (f.wire.clone(), scalar_text(&example(types, &f.ty, Some(f)))))
        .collect();
    let body = match &op.op.body {
        Body::None => None,
        Body::Fields => Some(object_example(types, request_fields(op).into_iter(), 0)),
        Body::Whole(ty) => Some(example(types, ty, None)),
        Body::Upload { .. } => request_fields(op)
            .first()
            .map(|meta| example(types, &meta.ty, Some(meta))),
    };
    let (file_part, form) = match &op.op.body {
        Body::Upload { file_part } => (
            Some(file_part.clone()),
            op.op
                .form
                .iter()
                .map(|f| (f.wire.clone(), scalar_text(&example(types, &f.ty, Some(f)))))
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    ExampleRequest {
        method: op.method.clone(),
        path,
        query,
        headers,
        body,
        file_part,
        form,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> &'static Spec {
        Spec::embedded().unwrap()
    }

    #[test]
    fn every_example_request_and_response_matches_its_own_spec() {
        let spec = spec();
        for op in &spec.operations {
            let ex = example_request(spec, op);
            let parts = RequestParts {
                path: Vec::new(),
                query: ex.query.clone(),
                headers: Some(ex.headers.clone()),
                body: ex.body.as_ref(),
            };
            let r = check_request(spec, op, &parts);
            assert!(r.errors.is_empty() && r.warnings.is_empty(), "{}: {r:?}", op.name());
            if let Some(body) = example_response(spec, op) {
                let r = check_response(spec, op, &body, Mode::Exact);
                assert!(r.errors.is_empty() && r.warnings.is_empty(), "{}: {r:?}", op.name());
            }
        }
    }

    #[test]
    fn authinfo_checks_name_the_field() {
        let spec = spec();
        let op = spec.operation("POST", "/v3/offlineface/authinfo").unwrap();
        let check = |body: Value| {
            check_request(
                spec,
                op,
                &RequestParts {
                    body: Some(&body),
                    ..Default::default()
                },
            )
        };
        let ok = json!({"sp_appid":"a","sub_mchid":"b","device_id":"c","raw_data":"d","organization_id":"e"});
        assert!(check(ok.clone()).is_ok());
        let mut unknown = ok.clone();
        unknown["sp_appidd"] = json!("x");
        let r = check(unknown);
        assert!(r.errors[0].contains("unknown field `sp_appidd`"), "{r:?}");
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("device_id");
        let r = check(missing);
        assert!(r.errors[0].contains("missing required field `device_id`"), "{r:?}");
        let mut wrong = ok;
        wrong["raw_data"] = json!(5);
        let r = check(wrong);
        assert!(
            r.errors[0].contains("field `raw_data`: expected a string, got the number 5"),
            "{r:?}"
        );
    }

    #[test]
    fn integers_enums_and_nesting() {
        let spec = spec();
        let op = spec.operation("POST", "/v3/pay/transactions/native").unwrap();
        let mut body = example_request(spec, op).body.unwrap();
        body["amount"]["total"] = json!(1.5);
        let r = check_request(
            spec,
            op,
            &RequestParts {
                body: Some(&body),
                ..Default::default()
            },
        );
        assert!(
            r.errors
                .iter()
                .any(|e| e.contains("field `amount.total`: expected an integer, got 1.5")),
            "{r:?}"
        );
        body["amount"]["total"] = json!(100.0);
        let r = check_request(
            spec,
            op,
            &RequestParts {
                body: Some(&body),
                ..Default::default()
            },
        );
        assert!(r.errors.iter().any(|e| e.contains("`amount.total`")), "{r:?}");

        let op = spec.operation("GET", "/v3/certificates").unwrap();
        let r = check_request(
            spec,
            op,
            &RequestParts {
                query: vec![("algorithm_type".into(), "NEW".into())],
                ..Default::default()
            },
        );
        assert!(r.errors.is_empty() && r.warnings[0].contains("\"NEW\""), "{r:?}");
        let r = check_request(
            spec,
            op,
            &RequestParts {
                query: vec![("algo".into(), "RSA".into())],
                ..Default::default()
            },
        );
        assert!(r.errors[0].contains("unknown query parameter `algo`"), "{r:?}");
    }
}
