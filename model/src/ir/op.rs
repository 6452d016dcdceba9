//! Operations: the steps that resolve one (the request side is `request.rs`), the response, the
//! signature mode, the remaining checks, the sensitive fields; parameter types.

use std::collections::HashMap;

use super::request::{request_struct, Request};
use super::{Body, Builder, Field, FieldKind, Loc, Op, ResponseKind, Signature, Ty, TypeDef, TypeKind};
use crate::error::SpecError;
use crate::naming;
use crate::spec::{self, Method, Operation, Schema};

impl Builder {
    /// Resolves one operation, then its APIv2 part (or checks that it has none).
    pub(super) fn op(&mut self, method: Method, op: &Operation, url: &str, loc: &Loc, types: &mut Vec<TypeDef>) -> Op {
        let v2 = url.starts_with("/v2/");
        self.in_v2 = v2;
        let first_type = types.len();
        let mut built = self.op_inner(method, op, url, loc, types);
        if v2 {
            built.v2 = Some(self.v2_op(op, &mut built, loc, &mut types[first_type..]));
        } else {
            self.no_v2_keys(op, loc);
        }
        self.in_v2 = false;
        built
    }

    /// Resolves one operation (the APIv2 part aside), in steps: the request (query, headers,
    /// body or upload, its struct), the response, the remaining checks, the sensitive fields.
    /// The steps run in this order: types and errors are collected in it.
    fn op_inner(&mut self, method: Method, op: &Operation, url: &str, loc: &Loc, types: &mut Vec<TypeDef>) -> Op {
        let title = op_title(method, url, op);
        let mut req = Request::new(method);
        self.query_params(op, loc, &mut req, types);
        self.header_params(op, loc, &mut req, types);
        let body = self.request_body(op, loc, &mut req, types);
        self.check_request_collisions(&req.fields, &body, loc);
        let fills = req.fields.iter().filter(|f| f.fill.is_some()).cloned().collect();
        let request = request_struct(req.name, req.fields, &title, types);
        let (response, signature) = self.response(method, op, &title, loc, types);
        self.check_summary(op, loc);
        self.check_base_url(op, loc);
        let sensitive = self.body_sensitive(op, &body);
        Op {
            method,
            summary: op.summary.trim().to_string(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            request,
            query: req.query,
            headers: req.headers,
            form: req.form,
            body,
            fills,
            sensitive,
            base_url: op.base_url.clone(),
            response,
            signature,
            v2: None,
        }
    }

    /// The response and how it is signed. Without a `response:`, an undescribed JSON body
    /// whose signature covers the body.
    fn response(
        &mut self,
        method: Method,
        op: &Operation,
        title: &str,
        loc: &Loc,
        types: &mut Vec<TypeDef>,
    ) -> (ResponseKind, Signature) {
        let Some(r) = &op.response else {
            return (ResponseKind::Value, Signature::Body);
        };
        let signature = response_signature(r.signature);
        self.check_response(r, loc);
        (self.response_kind(r, method, title, loc, types), signature)
    }

    /// Checks the response: a binary or 204 response has no body, the status is 2xx.
    fn check_response(&mut self, r: &spec::Response, loc: &Loc) {
        let rloc = loc.join("response");
        if r.content == Some(spec::Content::Binary) && r.body.is_some() {
            self.errors
                .push(rloc.join("body").error("a binary response has no JSON `body`"));
        }
        if r.status == 204 && r.body.is_some() {
            self.errors.push(rloc.join("body").error("a 204 response has no body"));
        }
        if !(200..300).contains(&r.status) {
            self.errors.push(rloc.join("status").error("the success status is 2xx"));
        }
    }

    /// What the response carries: a file, nothing, or JSON of the `<Method>Response` type
    /// (described from `title` when the spec does not describe it).
    fn response_kind(
        &mut self,
        r: &spec::Response,
        method: Method,
        title: &str,
        loc: &Loc,
        types: &mut Vec<TypeDef>,
    ) -> ResponseKind {
        match &r.body {
            None if r.content == Some(spec::Content::Binary) => ResponseKind::Binary,
            None => ResponseKind::Empty,
            Some(schema) => {
                let mut schema = schema.clone();
                if schema.description.is_none() {
                    schema.description = Some(format!("The response of {title}."));
                }
                let name = naming::response_type(method.as_str());
                ResponseKind::Json(self.ty(&schema, &name, &loc.join("response").join("body"), types, false))
            }
        }
    }

    /// Checks that the summary is not empty.
    fn check_summary(&mut self, op: &Operation, loc: &Loc) {
        if op.summary.trim().is_empty() {
            self.errors.push(loc.join("summary").error("the summary is empty"));
        }
    }

    /// Checks that a `base_url` is an absolute http(s) URL without a trailing `/`.
    fn check_base_url(&mut self, op: &Operation, loc: &Loc) {
        if let Some(u) = &op.base_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) || u.ends_with('/') {
                self.errors.push(
                    loc.join("base_url")
                        .error("an absolute URL without a trailing `/` (https://apihk.mch.weixin.qq.com)"),
                );
            }
        }
    }

    /// The JSON pointers of the sensitive fields of a JSON body; none without one (or for an upload).
    fn body_sensitive(&self, op: &Operation, body: &Body) -> Vec<String> {
        match (&op.body, body) {
            (Some(schema), Body::Fields | Body::Whole(_)) => {
                let mut out = Vec::new();
                self.sensitive_pointers(schema, "", &mut out, 0);
                out
            }
            _ => Vec::new(),
        }
    }

    /// JSON pointers of the `sensitive` strings below `schema` (through shared types too).
    pub(super) fn sensitive_pointers(&self, schema: &Schema, at: &str, out: &mut Vec<String>, depth: usize) {
        if depth > 16 {
            return;
        }
        if schema.sensitive {
            out.push(if at.is_empty() { "/".into() } else { at.to_string() });
            return;
        }
        if let Some(name) = &schema.ref_ {
            if let Some(s) = self.shared_schemas.get(name) {
                let s = s.clone();
                self.sensitive_pointers(&s, at, out, depth + 1);
            }
            return;
        }
        if let Some(items) = &schema.items {
            self.sensitive_pointers(items, &format!("{at}/*"), out, depth + 1);
        }
        for (name, prop) in schema.properties.iter().flatten() {
            let escaped = name.replace('~', "~0").replace('/', "~1");
            self.sensitive_pointers(prop, &format!("{at}/{escaped}"), out, depth + 1);
        }
    }

    pub(super) fn param_field(
        &mut self,
        name: &str,
        schema: &Schema,
        loc: &Loc,
        parent: &str,
        kind: FieldKind,
        types: &mut Vec<TypeDef>,
    ) -> Field {
        let f = self.field(name, schema, loc, parent, kind, types);
        if matches!(f.ty, Ty::JsonText(_)) {
            if kind != FieldKind::Query {
                self.errors.push(
                    loc.join("json")
                        .error("JSON text (`json`) is a body field or a query parameter, not a header or a form part"),
                );
            }
            return f;
        }
        let is_scalar = |t: &Ty| match t {
            Ty::Vec(_) | Ty::Json => false,
            Ty::Local(n) => types
                .iter()
                .any(|t| t.name == *n && matches!(t.kind, TypeKind::Enum(_))),
            Ty::Shared(n) => !self.shared_is_struct(n),
            _ => true,
        };
        // A query parameter may also be an array of scalars (sent comma-joined).
        let scalar = match &f.ty {
            Ty::Vec(inner) if kind == FieldKind::Query => is_scalar(inner),
            other => is_scalar(other),
        };
        if !scalar {
            self.errors
                .push(loc.error("a query parameter or header is a scalar (string, integer, number, boolean, enum)"));
        }
        f
    }

    pub(super) fn param_ty(&mut self, schema: &Schema, loc: &Loc) -> Option<Ty> {
        match schema.ty.as_deref().unwrap_or("string") {
            "string" if schema.enum_.is_none() => Some(Ty::String),
            "integer" => self.int_ty(schema, loc),
            _ => {
                self.errors
                    .push(loc.error("a path parameter is a `string` or an `integer`"));
                None
            }
        }
    }

    pub(super) fn int_ty(&mut self, schema: &Schema, loc: &Loc) -> Option<Ty> {
        Some(match schema.format.as_deref() {
            None | Some("int64") => Ty::I64,
            Some("int32") => Ty::I32,
            Some("uint32") => Ty::U32,
            Some("uint64") => Ty::U64,
            Some(other) => {
                self.errors.push(loc.join("format").error(format!(
                    "unknown integer format `{other}` (int32, int64, uint32, uint64)"
                )));
                return None;
            }
        })
    }
}

/// The signature mode a response's `signature:` names (the body's when unset).
fn response_signature(signature: Option<spec::ResponseSignature>) -> Signature {
    match signature {
        None | Some(spec::ResponseSignature::Body) => Signature::Body,
        Some(spec::ResponseSignature::None) => Signature::None,
        Some(spec::ResponseSignature::StatementSha1) => Signature::StatementSha1,
    }
}

/// How the request and response doc comments name an operation: `` `POST /v3/…` (summary) ``.
fn op_title(method: Method, url: &str, op: &Operation) -> String {
    format!("`{} {url}` ({})", method.as_str().to_uppercase(), op.summary.trim())
}

/// Two properties (or parameters) that become one Rust field: an error at the second, where
/// `at` places a field in the file.
pub(super) fn check_field_collisions<'a>(
    fields: &[Field],
    at: impl Fn(&Field) -> Loc<'a>,
    errors: &mut Vec<SpecError>,
) {
    let mut first: HashMap<&str, &Field> = HashMap::with_capacity(fields.len());
    for b in fields {
        match first.get(b.ident.as_str()) {
            Some(a) => errors.push(at(b).error(format!(
                "the properties `{}` and `{}` both become the field `{}`",
                a.wire, b.wire, a.ident
            ))),
            None => {
                first.insert(&b.ident, b);
            }
        }
    }
}
