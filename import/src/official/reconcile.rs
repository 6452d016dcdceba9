//! The official models applied to the converted description, one decision per line.
//!
//! For every operation both describe (the same method and URL, placeholders compared by
//! position), the request's query parameters and body and the response's body are walked side
//! by side with the official structs, field by field (matched by their JSON names), through
//! nested objects, arrays and shared types. The rules (`spec/README.md`, "The official models"):
//!
//! * a field the official model has and the description lacks is added ([`Repair::FieldAdded`]);
//!   a field only the description has stays (it is newer than the SDK);
//! * enum values the official model lists are added to the field's enum
//!   ([`Repair::EnumValueAdded`]); a response string the official model types as an enum
//!   becomes that enum ([`Repair::EnumAdded`]; a request string stays free text, so that a caller
//!   can still send a value newer than the model);
//! * a scalar type the official model contradicts takes the official type
//!   ([`Repair::TypeChanged`]: a string that is an integer, an integer that is a string, a string
//!   that is an object);
//! * a request field the official model encrypts is made sensitive ([`Repair::MadeSensitive`]);
//! * a request field's required-ness follows the official model in both directions
//!   ([`Repair::RequiredChanged`]): its SDK refuses to send a request without a required field
//!   and lets a merchant leave out the others, and the platform's own client is the better
//!   witness of what the platform accepts than the description's flags. One exception
//!   ([`Repair::RequiredKept`]): where the official struct leaves *every* field optional and
//!   ours requires every one of them, the struct is a loose shape, not a statement about the
//!   fields (the JSAPI payer's only field `openid`, a coupon rule's two amounts): ours stays.
//!   (The partner payer, `sp_openid` required and `sub_openid` not in ours, is one of two: both
//!   become optional.)
//! * what no rule settles (an official float where the description has an integer, an array
//!   against a single value, …) is changed in neither direction and listed
//!   ([`Repair::Unsettled`]) for a hand decision.

use std::collections::BTreeSet;
use std::fmt;

use indexmap::IndexMap;
use wechatpay_model::spec::{EnumValue, Operation, PathFile, Scalar, Schema};

use super::go::{GoField, GoOperation, GoType, Sdk, TypeRef};

/// The kinds of decision the reconciliation makes, one repair line each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Repair {
    FieldAdded,
    EnumValueAdded,
    EnumAdded,
    TypeChanged,
    MadeSensitive,
    RequiredChanged,
    RequiredKept,
    ResponseRequired,
    Unsettled,
}

impl Repair {
    /// The kind as the import log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::FieldAdded => "official-field-added",
            Repair::EnumValueAdded => "official-enum-value",
            Repair::EnumAdded => "official-enum",
            Repair::TypeChanged => "official-type",
            Repair::MadeSensitive => "official-sensitive",
            Repair::RequiredChanged => "official-required",
            Repair::RequiredKept => "official-required-kept",
            Repair::ResponseRequired => "official-response-required",
            Repair::Unsettled => "official-unsettled",
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decision: where (`v3/pay/x.yaml post.body.amount.total`, or `types.Name.field`), what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub kind: Repair,
    pub at: String,
    pub text: String,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.text, self.kind)
    }
}

/// What the reconciliation did and what it matched.
#[derive(Debug, Default)]
pub struct Outcome {
    pub decisions: Vec<Decision>,
    /// `METHOD /url` of every operation of ours that an official one describes.
    pub matched: Vec<String>,
}

/// The description's URL with every placeholder written `{}`: placeholders are compared by
/// position (the two sources do not always name them alike).
pub fn url_key(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut depth = 0;
    for c in url.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The official operation for `method` (lower case) at `url`, if the SDK has one.
pub fn official_for<'a>(sdk: &'a Sdk, method: &str, url: &str) -> Option<&'a GoOperation> {
    let key = url_key(url);
    sdk.operations
        .iter()
        .find(|o| o.method.eq_ignore_ascii_case(method) && url_key(&o.path) == key)
}

/// Applies the official models to the files (`(url, file)`, `url` as `/v3/…`) and the shared
/// types (`(stem, types)`), in place.
pub fn reconcile(
    sdk: &Sdk,
    files: &mut [(String, &mut PathFile)],
    types: &mut [(String, IndexMap<String, Schema>)],
) -> Outcome {
    let mut walk = Walk {
        sdk,
        types,
        out: Vec::new(),
        side: Side::Request,
        visited: BTreeSet::new(),
    };
    let mut matched = Vec::new();
    for (url, file) in files.iter_mut() {
        for (method, op) in file.operations_mut() {
            let method = method.as_str();
            let Some(official) = official_for(sdk, method, url) else {
                continue;
            };
            matched.push(format!("{} {url}", method.to_ascii_uppercase()));
            walk.operation(op, official, &format!("{} {method}", url.trim_start_matches('/')));
        }
    }
    Outcome {
        decisions: walk.out,
        matched,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Request,
    Response,
}

struct Walk<'a, 't> {
    sdk: &'a Sdk,
    types: &'t mut [(String, IndexMap<String, Schema>)],
    out: Vec<Decision>,
    side: Side,
    /// Shared types already walked on a side: each is reconciled once.
    visited: BTreeSet<(Side, String)>,
}

impl Walk<'_, '_> {
    fn note(&mut self, kind: Repair, at: &str, text: String) {
        self.out.push(Decision {
            kind,
            at: at.to_owned(),
            text,
        });
    }

    fn operation(&mut self, op: &mut Operation, official: &GoOperation, at: &str) {
        self.side = Side::Request;
        if let Some(req) = official.request.as_ref().and_then(|r| self.sdk.find_struct(r)) {
            for p in &official.query {
                let Some(f) = req.fields.iter().find(|f| f.go_name == p.go_field) else {
                    continue;
                };
                if let Some(s) = op.query.get_mut(&p.wire) {
                    self.field(s, f, false, &format!("{at}.query.{}", p.wire));
                }
            }
        }
        let body: Vec<GoField> = self.sdk.body_fields(official).into_iter().cloned().collect();
        if !body.is_empty() {
            let schema = op.body.get_or_insert_with(Schema::default);
            self.object(schema, &body, &format!("{at}.body"));
        }
        self.side = Side::Response;
        let Some(resp) = official
            .response
            .as_ref()
            .and_then(|r| self.sdk.find_struct(r))
            .cloned()
        else {
            return;
        };
        let Some(schema) = op.response.as_mut().and_then(|r| r.body.as_mut()) else {
            return;
        };
        self.object(schema, &resp.fields, &format!("{at}.response"));
        self.sole_result(schema, &resp.fields, &format!("{at}.response"));
    }

    /// The response rule's one exception from the official models: an answer that is a single
    /// value (`prepay_id`, `code_url`, `h5_url`) which the official struct, its only field,
    /// requires, is required: without it the call has no result (`spec/README.md`).
    fn sole_result(&mut self, schema: &mut Schema, fields: &[GoField], at: &str) {
        let [f] = fields else { return };
        let Some(props) = schema.properties.as_mut().filter(|p| p.len() == 1) else {
            return;
        };
        let Some(s) = props.get_mut(&f.json) else { return };
        if f.required && !s.required && s.ty.as_deref() == Some("string") {
            s.required = true;
            let text = "required: the answer's only value, which the official model requires".into();
            self.note(Repair::ResponseRequired, &format!("{at}.{}", f.json), text);
        }
    }

    /// An object of ours against an official struct's fields.
    fn object(&mut self, schema: &mut Schema, fields: &[GoField], at: &str) {
        if let Some(name) = schema.ref_.clone() {
            self.shared(&name, fields);
            return;
        }
        let props = schema.properties.get_or_insert_with(IndexMap::new);
        let loose = fields.iter().all(|f| !f.required)
            && fields.iter().any(|f| props.contains_key(&f.json))
            && fields.iter().all(|f| props.get(&f.json).is_none_or(|p| p.required));
        for f in fields {
            let fat = format!("{at}.{}", f.json);
            match props.get_mut(&f.json) {
                Some(s) => self.field(s, f, loose, &fat),
                None => {
                    let mut s = self.field_schema(f, 0);
                    s.description = Some(ADDED.into());
                    self.note(
                        Repair::FieldAdded,
                        &fat,
                        format!("added ({}), as the official model has it", f.ty),
                    );
                    props.insert(f.json.clone(), s);
                }
            }
        }
    }

    /// A shared type walked (once per side) through its definition.
    fn shared(&mut self, name: &str, fields: &[GoField]) {
        if !self.visited.insert((self.side, name.to_owned())) {
            return;
        }
        let Some(mut def) = self.take_type(name) else { return };
        self.object(&mut def, fields, &format!("types.{name}"));
        self.put_type(name, def);
    }

    fn take_type(&mut self, name: &str) -> Option<Schema> {
        self.types
            .iter_mut()
            .find_map(|(_, t)| t.get_mut(name).map(std::mem::take))
    }

    fn put_type(&mut self, name: &str, def: Schema) {
        if let Some(slot) = self.types.iter_mut().find_map(|(_, t)| t.get_mut(name)) {
            *slot = def;
        }
    }

    /// One field present on both sides. `loose`: the official struct leaves every field
    /// optional (see the module docs).
    fn field(&mut self, s: &mut Schema, f: &GoField, loose: bool, at: &str) {
        if self.side == Side::Request {
            if f.encrypted && !s.sensitive {
                s.sensitive = true;
                let text = "sensitive: the official model encrypts it".into();
                self.note(Repair::MadeSensitive, at, text);
            }
            if loose && s.required && !f.required {
                let text = "kept required: the official struct leaves every field optional".into();
                self.note(Repair::RequiredKept, at, text);
            } else if f.required != s.required {
                s.required = f.required;
                let what = if f.required { "required" } else { "optional" };
                self.note(
                    Repair::RequiredChanged,
                    at,
                    format!("{what}, as the official model has it"),
                );
            }
        }
        self.value(s, &f.ty, at);
    }

    /// A value's type: scalars, enums, objects and arrays.
    fn value(&mut self, s: &mut Schema, ty: &GoType, at: &str) {
        match ty {
            GoType::Array(e) => {
                if let Some(items) = s.items.as_deref_mut() {
                    self.value(items, e, &format!("{at}[]"));
                } else if !is_json(s) {
                    self.unsettled(s, ty, at);
                }
            }
            GoType::Named(r) => self.named(s, r, at),
            GoType::Map(_) | GoType::Any => {}
            scalar => self.scalar(s, scalar, at),
        }
    }

    fn named(&mut self, s: &mut Schema, r: &TypeRef, at: &str) {
        if let Some(st) = self.sdk.find_struct(r) {
            let fields = st.fields.clone();
            if s.ref_.is_some() || s.properties.is_some() || s.ty.as_deref() == Some("object") {
                self.object(s, &fields, at);
            } else if s.ty.as_deref() == Some("string") && s.enum_.is_none() && !s.sensitive {
                let mut object = self.schema_of(&GoType::Named(r.clone()), 0);
                object.description = s.description.take();
                object.required = s.required;
                *s = object;
                self.note(Repair::TypeChanged, at, format!("an object ({r}), not a string"));
            } else if !is_json(s) {
                self.unsettled(s, &GoType::Named(r.clone()), at);
            }
        } else if let Some(e) = self.sdk.find_enum(r) {
            let values = e.values.clone();
            self.enumeration(s, &values, r, at);
        } else if let Some(a) = self.sdk.find_alias(r) {
            let ty = a.ty.clone();
            self.scalar(s, &ty, at);
        }
    }

    fn enumeration(&mut self, s: &mut Schema, values: &[String], r: &TypeRef, at: &str) {
        if values.is_empty() || s.ty.as_deref().is_some_and(|t| t != "string") {
            return;
        }
        if let Some(name) = s.ref_.clone() {
            if !self.visited.insert((Side::Response, format!("enum {name}"))) {
                return;
            }
            if let Some(mut def) = self.take_type(&name) {
                self.enumeration(&mut def, values, r, &format!("types.{name}"));
                self.put_type(&name, def);
            }
            return;
        }
        match s.enum_.as_mut() {
            Some(have) => {
                let missing: Vec<&String> = values
                    .iter()
                    .filter(|v| !have.iter().any(|h| h.value() == &Scalar::Str((*v).clone())))
                    .collect();
                if missing.is_empty() {
                    return;
                }
                let list = missing.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ");
                have.extend(missing.into_iter().map(|v| EnumValue::Bare(Scalar::Str(v.clone()))));
                self.note(
                    Repair::EnumValueAdded,
                    at,
                    format!("enum values {list} added, as {r} lists them"),
                );
            }
            None if self.side == Side::Response && !s.sensitive => {
                s.ty = Some("string".into());
                s.enum_ = Some(values.iter().map(|v| EnumValue::Bare(Scalar::Str(v.clone()))).collect());
                self.note(Repair::EnumAdded, at, format!("an enum ({r}: {})", values.join(", ")));
            }
            None => {}
        }
    }

    fn scalar(&mut self, s: &mut Schema, ty: &GoType, at: &str) {
        let ours = s.ty.clone().unwrap_or_default();
        if s.ref_.is_some() || s.enum_.is_some() && matches!(ty, GoType::String) {
            return;
        }
        let (want, format) = match ty {
            GoType::String | GoType::Time => ("string", None),
            GoType::Int { bits: 32 } => ("integer", Some("int32")),
            GoType::Int { .. } => ("integer", None),
            GoType::Bool => ("boolean", None),
            GoType::Float { .. } => ("number", None),
            _ => return,
        };
        if ours == want || is_json(s) {
            return;
        }
        // A number the description calls a string (or the reverse) is a fact of the wire; a
        // float against an integer is not settled here (money is an integer).
        let settled = matches!(
            (ours.as_str(), want),
            ("string", "integer" | "boolean") | ("integer" | "boolean", "string") | ("number", "integer")
        );
        if !settled || s.sensitive {
            self.unsettled(s, ty, at);
            return;
        }
        s.ty = Some(want.into());
        s.format = format
            .map(str::to_owned)
            .or_else(|| s.format.take().filter(|_| want == "string"));
        s.example = None;
        self.note(
            Repair::TypeChanged,
            at,
            format!("{want}, not {ours}, as the official model has it ({ty})"),
        );
    }

    fn unsettled(&mut self, s: &Schema, ty: &GoType, at: &str) {
        let ours = s
            .ref_
            .clone()
            .or_else(|| s.ty.clone())
            .unwrap_or_else(|| "object".into());
        self.note(
            Repair::Unsettled,
            at,
            format!("ours is {ours}, the official model's {ty}: left as it is"),
        );
    }

    /// A field of ours for an official one: required and sensitive as the model says, on the
    /// request side (a response field is optional, the response rule).
    fn field_schema(&self, f: &GoField, depth: usize) -> Schema {
        let mut s = self.schema_of(&f.ty, depth);
        s.required = f.required && self.side == Side::Request;
        s.sensitive = f.encrypted && self.side == Side::Request;
        s
    }

    /// A schema of ours for an official type (a field the description lacks).
    fn schema_of(&self, ty: &GoType, depth: usize) -> Schema {
        let scalar = |t: &str, f: Option<&str>| Schema {
            ty: Some(t.into()),
            format: f.map(str::to_owned),
            ..Schema::default()
        };
        match ty {
            GoType::String => scalar("string", None),
            GoType::Time => scalar("string", Some("rfc3339")),
            GoType::Int { bits: 32 } => scalar("integer", Some("int32")),
            GoType::Int { .. } => scalar("integer", None),
            GoType::Float { .. } => scalar("number", None),
            GoType::Bool => scalar("boolean", None),
            GoType::Array(e) => Schema {
                ty: Some("array".into()),
                items: Some(Box::new(self.schema_of(e, depth + 1))),
                ..Schema::default()
            },
            GoType::Map(_) | GoType::Any => scalar("json", None),
            GoType::Named(r) => self.named_schema(r, depth),
        }
    }

    fn named_schema(&self, r: &TypeRef, depth: usize) -> Schema {
        if let Some(e) = self.sdk.find_enum(r) {
            return Schema {
                ty: Some("string".into()),
                enum_: (!e.values.is_empty()).then(|| {
                    e.values
                        .iter()
                        .map(|v| EnumValue::Bare(Scalar::Str(v.clone())))
                        .collect()
                }),
                ..Schema::default()
            };
        }
        if let Some(a) = self.sdk.find_alias(r) {
            return self.schema_of(&a.ty, depth + 1);
        }
        let Some(st) = self.sdk.find_struct(r).filter(|_| depth < 8) else {
            return Schema {
                ty: Some("json".into()),
                ..Schema::default()
            };
        };
        let mut props = IndexMap::new();
        for f in &st.fields {
            props.insert(f.json.clone(), self.field_schema(f, depth + 1));
        }
        Schema {
            ty: Some("object".into()),
            properties: Some(props),
            ..Schema::default()
        }
    }
}

/// The description of a field the reconciliation adds: our words, not the model's.
pub const ADDED: &str = "WeChat Pay's official models have this field; the public description does not list it.";

fn is_json(s: &Schema) -> bool {
    s.ty.as_deref() == Some("json")
}
