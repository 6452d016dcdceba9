//! Operations: parameters, the body, uploads, the response, the signature mode and the sensitive fields.

use std::collections::HashMap;

use super::{Body, Builder, Field, FieldKind, Loc, Op, ResponseKind, Signature, Ty, TypeDef, TypeKind};
use crate::error::SpecError;
use crate::naming;
use crate::spec::{self, Method, Operation, Schema};

impl Builder {
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

    fn op_inner(&mut self, method: Method, op: &Operation, url: &str, loc: &Loc, types: &mut Vec<TypeDef>) -> Op {
        let request_name = naming::request_type(method.as_str());
        let mut fields = Vec::new();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        let mut form = Vec::new();
        for (name, schema) in &op.query {
            let ploc = loc.join("query").join(name);
            if op.path.contains_key(name) {
                self.errors.push(ploc.error(format!(
                    "`{name}` is a URL placeholder: it is a `path` parameter only, not also a query parameter"
                )));
            }
            let f = self.param_field(name, schema, &ploc, &request_name, FieldKind::Query, types);
            query.push(f.clone());
            fields.push(f);
        }
        for (name, schema) in &op.headers {
            let ploc = loc.join("headers").join(name);
            if schema.ty.as_deref().unwrap_or("string") != "string" || schema.enum_.is_some() {
                self.errors.push(ploc.error("a header is a plain `string`"));
            }
            if name.eq_ignore_ascii_case("Wechatpay-Serial") {
                self.errors.push(ploc.error(
                    "`Wechatpay-Serial` is set by the client (the key it encrypted with, or the configured WeChat Pay public key), not a request field; a caller overrides it with `Call::header`",
                ));
            }
            let f = self.param_field(name, schema, &ploc, &request_name, FieldKind::Header, types);
            headers.push(f.clone());
            fields.push(f);
        }
        if op.upload.is_some() && op.body.is_some() {
            self.errors.push(
                loc.join("upload")
                    .error("an operation has a JSON `body` or an `upload`, not both"),
            );
        }
        let body = match (&op.body, &op.upload) {
            (None, Some(up)) => {
                let uloc = loc.join("upload");
                if up.file.is_empty() {
                    self.errors.push(uloc.join("file").error("the file part needs a name"));
                }
                let mut meta = up.meta.clone();
                if meta.description.is_none() {
                    meta.description = Some("The `meta` part: JSON describing the file (the request signature covers it). Leave `sha256`/`filename` style fields `None`: they are computed from the file.".into());
                }
                meta.required = true;
                if meta.properties.is_none() {
                    self.errors
                        .push(uloc.join("meta").error("`meta` is an object with `properties`"));
                } else {
                    fields.push(self.field("meta", &meta, &uloc.join("meta"), &request_name, FieldKind::Body, types));
                }
                for (name, schema) in &up.fields {
                    let floc = uloc.join("fields").join(name);
                    let f = self.param_field(name, schema, &floc, &request_name, FieldKind::Form, types);
                    form.push(f.clone());
                    fields.push(f);
                }
                Body::Upload {
                    file_part: up.file.clone(),
                }
            }
            (None, None) => Body::None,
            (Some(schema), _) if schema.properties.is_some() && schema.ref_.is_none() => {
                let bloc = loc.join("body");
                self.check_object(schema, &bloc);
                let props = schema.properties.as_ref().expect("checked");
                for (name, prop) in props {
                    let floc = bloc.join("properties").join(name);
                    fields.push(self.field(name, prop, &floc, &request_name, FieldKind::Body, types));
                }
                Body::Fields
            }
            (Some(schema), _) => {
                let ty = self.ty(
                    schema,
                    &naming::body_type(&request_name),
                    &loc.join("body"),
                    types,
                    false,
                );
                fields.push(Field {
                    wire: "body".into(),
                    ident: "body".into(),
                    ty: ty.clone(),
                    required: true,
                    kind: FieldKind::Body,
                    description: Some(schema.description.clone().unwrap_or_else(|| "The request body.".into())),
                    deprecated: false,
                    sensitive: false,
                    example: None,
                    int_values: Vec::new(),
                    cdata: false,
                });
                Body::Whole(ty)
            }
        };
        let body_fields = matches!(body, Body::Fields);
        check_field_collisions(
            &fields,
            |f| match f.kind {
                FieldKind::Query => loc.join("query").join(&f.wire),
                FieldKind::Header => loc.join("headers").join(&f.wire),
                FieldKind::Form => loc.join("upload").join("fields").join(&f.wire),
                FieldKind::Body if body_fields => loc.join("body").join("properties").join(&f.wire),
                _ => loc.clone(),
            },
            &mut self.errors,
        );
        let request = if fields.is_empty() {
            None
        } else {
            types.push(TypeDef {
                name: request_name.clone(),
                description: Some(format!(
                    "The request of `{} {url}` ({}).",
                    method.as_str().to_uppercase(),
                    op.summary.trim()
                )),
                kind: TypeKind::Struct(fields),
                default: false,
                xml: false,
            });
            Some(request_name)
        };
        let mut signature = Signature::Body;
        let response = match &op.response {
            None => ResponseKind::Value,
            Some(r) => {
                signature = match r.signature {
                    None | Some(spec::ResponseSignature::Body) => Signature::Body,
                    Some(spec::ResponseSignature::None) => Signature::None,
                    Some(spec::ResponseSignature::StatementSha1) => Signature::StatementSha1,
                };
                let binary = r.content == Some(spec::Content::Binary);
                if binary && r.body.is_some() {
                    self.errors.push(
                        loc.join("response")
                            .join("body")
                            .error("a binary response has no JSON `body`"),
                    );
                }
                let rloc = loc.join("response");
                if r.status == 204 && r.body.is_some() {
                    self.errors.push(rloc.join("body").error("a 204 response has no body"));
                }
                if !(200..300).contains(&r.status) {
                    self.errors.push(rloc.join("status").error("the success status is 2xx"));
                }
                match &r.body {
                    None if binary => ResponseKind::Binary,
                    None => ResponseKind::Empty,
                    Some(schema) => {
                        let mut schema = schema.clone();
                        if schema.description.is_none() {
                            schema.description = Some(format!(
                                "The response of `{} {url}` ({}).",
                                method.as_str().to_uppercase(),
                                op.summary.trim()
                            ));
                        }
                        ResponseKind::Json(self.ty(
                            &schema,
                            &naming::response_type(method.as_str()),
                            &rloc.join("body"),
                            types,
                            false,
                        ))
                    }
                }
            }
        };
        if op.summary.trim().is_empty() {
            self.errors.push(loc.join("summary").error("the summary is empty"));
        }
        if let Some(u) = &op.base_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) || u.ends_with('/') {
                self.errors.push(
                    loc.join("base_url")
                        .error("an absolute URL without a trailing `/` (https://apihk.mch.weixin.qq.com)"),
                );
            }
        }
        let sensitive = match (&op.body, &body) {
            (Some(schema), Body::Fields | Body::Whole(_)) => {
                let mut out = Vec::new();
                self.sensitive_pointers(schema, "", &mut out, 0);
                out
            }
            _ => Vec::new(),
        };
        Op {
            method,
            summary: op.summary.trim().to_string(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            request,
            query,
            headers,
            form,
            body,
            sensitive,
            base_url: op.base_url.clone(),
            response,
            signature,
            v2: None,
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
