//! The request side of an operation: its query parameters, headers, JSON body or multipart
//! upload, and the request struct that gathers them. (Path parameters belong to the URL tree:
//! `tree.rs`.)

use super::op::check_field_collisions;
use super::{Body, Builder, Field, FieldKind, Fill, Loc, Ty, TypeDef, TypeKind};
use crate::naming;
use crate::spec::{Method, Operation, Schema, Upload};

/// The request struct of an operation while it is being read: its name, its fields in order,
/// and copies of the query, header and form fields among them.
pub(super) struct Request {
    /// `PostRequest`, `GetRequest`, …
    pub(super) name: String,
    pub(super) fields: Vec<Field>,
    pub(super) query: Vec<Field>,
    pub(super) headers: Vec<Field>,
    pub(super) form: Vec<Field>,
}

impl Request {
    /// An empty request, named after the method.
    pub(super) fn new(method: Method) -> Self {
        Request {
            name: naming::request_type(method.as_str()),
            fields: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            form: Vec::new(),
        }
    }

    /// Appends a field; a query, header or form field is also listed under its kind.
    fn push(&mut self, f: Field) {
        match f.kind {
            FieldKind::Query => self.query.push(f.clone()),
            FieldKind::Header => self.headers.push(f.clone()),
            FieldKind::Form => self.form.push(f.clone()),
            FieldKind::Body => {}
        }
        self.fields.push(f);
    }
}

impl Builder {
    /// Reads the query parameters; a URL placeholder is a path parameter only, not also one of these.
    pub(super) fn query_params(&mut self, op: &Operation, loc: &Loc, req: &mut Request, types: &mut Vec<TypeDef>) {
        for (name, schema) in &op.query {
            let ploc = loc.join("query").join(name);
            if op.path.contains_key(name) {
                self.errors.push(ploc.error(format!(
                    "`{name}` is a URL placeholder: it is a `path` parameter only, not also a query parameter"
                )));
            }
            let f = self.param_field(name, schema, &ploc, &req.name, FieldKind::Query, types);
            req.push(self.filled_by_client(f));
        }
    }

    /// Reads the headers: plain strings, and never `Wechatpay-Serial` (the client sets it).
    pub(super) fn header_params(&mut self, op: &Operation, loc: &Loc, req: &mut Request, types: &mut Vec<TypeDef>) {
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
            let f = self.param_field(name, schema, &ploc, &req.name, FieldKind::Header, types);
            req.push(f);
        }
    }

    /// Reads what the request sends: nothing, an upload, or a JSON body (an inline object's
    /// properties become request fields; any other schema becomes one `body` field).
    pub(super) fn request_body(
        &mut self,
        op: &Operation,
        loc: &Loc,
        req: &mut Request,
        types: &mut Vec<TypeDef>,
    ) -> Body {
        if op.upload.is_some() && op.body.is_some() {
            self.errors.push(
                loc.join("upload")
                    .error("an operation has a JSON `body` or an `upload`, not both"),
            );
        }
        match (&op.body, &op.upload) {
            (None, Some(up)) => self.upload_body(up, loc, req, types),
            (None, None) => Body::None,
            (Some(schema), _) if schema.properties.is_some() && schema.ref_.is_none() => {
                self.fields_body(schema, loc, req, types)
            }
            (Some(schema), _) => self.whole_body(schema, loc, req, types),
        }
    }

    /// A multipart upload: the `meta` part becomes the required `meta` field, the text parts
    /// form fields; the file itself is a method argument, named by its part.
    fn upload_body(&mut self, up: &Upload, loc: &Loc, req: &mut Request, types: &mut Vec<TypeDef>) -> Body {
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
            let f = self.field("meta", &meta, &uloc.join("meta"), &req.name, FieldKind::Body, types);
            req.push(f);
        }
        for (name, schema) in &up.fields {
            let floc = uloc.join("fields").join(name);
            let f = self.param_field(name, schema, &floc, &req.name, FieldKind::Form, types);
            req.push(f);
        }
        Body::Upload {
            file_part: up.file.clone(),
        }
    }

    /// An inline object body: each property becomes a body field of the request struct.
    fn fields_body(&mut self, schema: &Schema, loc: &Loc, req: &mut Request, types: &mut Vec<TypeDef>) -> Body {
        let bloc = loc.join("body");
        self.check_object(schema, &bloc);
        let props = schema.properties.as_ref().expect("checked");
        for (name, prop) in props {
            let floc = bloc.join("properties").join(name);
            let f = self.field(name, prop, &floc, &req.name, FieldKind::Body, types);
            req.push(self.filled_by_client(f));
        }
        Body::Fields
    }

    /// Any other body (a `ref`, an array, …): one required `body` field of its type.
    fn whole_body(&mut self, schema: &Schema, loc: &Loc, req: &mut Request, types: &mut Vec<TypeDef>) -> Body {
        let ty = self.ty(schema, &naming::body_type(&req.name), &loc.join("body"), types, false);
        req.push(Field {
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
            fill: None,
        });
        Body::Whole(ty)
    }

    /// A required top-level request field the client knows is filled in by it when left out:
    /// the merchant id (`mchid`, `sp_mchid`; APIv2 `mch_id`) and APIv2's `appid`. It becomes
    /// optional in the Rust type (`spec/README.md`, "What the client fills in").
    fn filled_by_client(&self, mut f: Field) -> Field {
        let fill = match (self.in_v2, f.wire.as_str()) {
            (false, "mchid" | "sp_mchid") | (true, "mch_id") => Some(Fill::Mchid),
            (true, "appid") => Some(Fill::Appid),
            _ => None,
        };
        if f.required && f.ty == Ty::String && matches!(f.kind, FieldKind::Body | FieldKind::Query) {
            if let Some(fill) = fill {
                f.required = false;
                f.fill = Some(fill);
            }
        }
        f
    }

    /// Reports two request fields that become one Rust field, at the second one's place in the file.
    pub(super) fn check_request_collisions(&mut self, fields: &[Field], body: &Body, loc: &Loc) {
        let body_fields = matches!(body, Body::Fields);
        check_field_collisions(
            fields,
            |f| match f.kind {
                FieldKind::Query => loc.join("query").join(&f.wire),
                FieldKind::Header => loc.join("headers").join(&f.wire),
                FieldKind::Form => loc.join("upload").join("fields").join(&f.wire),
                FieldKind::Body if body_fields => loc.join("body").join("properties").join(&f.wire),
                _ => loc.clone(),
            },
            &mut self.errors,
        );
    }
}

/// Adds the request struct to `types` and returns its name; `None` when the operation takes no
/// input. `title` names the operation (`` `POST /v3/…` (summary) ``).
pub(super) fn request_struct(
    name: String,
    fields: Vec<Field>,
    title: &str,
    types: &mut Vec<TypeDef>,
) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    types.push(TypeDef {
        name: name.clone(),
        description: Some(format!("The request of {title}.")),
        kind: TypeKind::Struct(fields),
        default: false,
        xml: false,
    });
    Some(name)
}
