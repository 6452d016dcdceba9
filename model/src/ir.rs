//! Validation and resolution: the loaded spec becomes the intermediate representation the emitter
//! prints. This is the one place that maps spec types to Rust types ([`Builder::ty`]) and that
//! lays out the tree of chain nodes. All errors found are collected before giving up.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use crate::error::{Error, SpecError};
use crate::load::{locate, Loaded};
use crate::naming;
use crate::spec::{Method, Operation, Scalar, Schema};

/// The whole API.
#[derive(Debug, Clone)]
pub struct Api {
    /// The root of the chain tree (URL `""`); its children are `v3`, `hk`, ….
    pub root: Node,
    /// Shared types (`spec/types/`), sorted by name.
    pub shared: Vec<TypeDef>,
    /// Inbound notifications (`spec/notifications/`), sorted by name.
    pub notifications: Vec<NotificationDef>,
}

/// One kind of notification resource (`spec/notifications/<name>.yaml`).
#[derive(Debug, Clone)]
pub struct NotificationDef {
    /// The type and variant name (`PartnerTransaction`).
    pub name: String,
    pub summary: String,
    pub description: Option<String>,
    /// The URL of the API group whose feature gates it (`/v3/pay`).
    pub group: String,
    pub events: Vec<String>,
    /// Top-level keys the resource must have to be this one.
    pub match_keys: Vec<String>,
    pub resource: NotificationResource,
}

#[derive(Debug, Clone)]
pub enum NotificationResource {
    /// The response type of an operation: the module path from the API root (`v3`, `pay`, …)
    /// and the type (a local name of that module, or a shared type).
    SameAs {
        module: Vec<String>,
        ty: Ty,
        operation: String,
    },
    /// Types of its own; the first is the resource (named like the notification).
    Own(Vec<TypeDef>),
}

/// One node of the URL tree: a chain step, a module and a struct.
#[derive(Debug, Clone)]
pub struct Node {
    /// The URL template of this node (`/v3/pay/transactions/out-trade-no/{out_trade_no}`).
    pub url: String,
    pub segment: Segment,
    /// The chain method that leads here from the parent.
    pub method: String,
    /// The module holding this node's struct and types.
    pub module: String,
    /// The chain struct of this node.
    pub struct_name: String,
    /// How a user reaches this node: `client.v3().pay().transactions()`.
    pub chain: String,
    /// Children, sorted by module name.
    pub children: Vec<Node>,
    pub ops: Vec<Op>,
    /// Named types of this node's operations, in operation order.
    pub types: Vec<TypeDef>,
    /// The spec file that describes this URL, if any.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Root,
    Literal(String),
    Param { name: String, ty: Ty },
}

/// One operation of a node.
#[derive(Debug, Clone)]
pub struct Op {
    pub method: Method,
    pub summary: String,
    pub description: Option<String>,
    pub deprecated: bool,
    /// The request struct (`PostRequest`), when the operation takes any input.
    pub request: Option<String>,
    pub query: Vec<Field>,
    pub headers: Vec<Field>,
    /// Text parts of a multipart upload.
    pub form: Vec<Field>,
    pub body: Body,
    /// JSON pointers (`*` for every array element) of the body's sensitive fields.
    pub sensitive: Vec<String>,
    /// Another host for this operation.
    pub base_url: Option<String>,
    pub response: ResponseKind,
    /// How the response is authenticated.
    pub signature: Signature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// The signature covers the body (the default).
    Body,
    /// Unsigned by design (file downloads).
    None,
    /// The signature covers `{"sha1":"<Wechatpay-Statement-Sha1>"}`.
    StatementSha1,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    None,
    /// A multipart upload: the request struct's `meta` field is the `meta` part, the file is an
    /// argument of the method, the `Form` fields are text parts.
    Upload {
        file_part: String,
    },
    /// The body is the request struct itself (its body fields).
    Fields,
    /// The body is the request struct's `body` field, of this type.
    Whole(Ty),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseKind {
    /// No content (204, or a described response without body).
    Empty,
    /// A JSON body of this type.
    Json(Ty),
    /// A JSON body that the spec does not describe.
    Value,
    /// A file (bill, PDF, image), streamed to the caller.
    Binary,
}

/// A Rust type, as the generated code spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    I32,
    I64,
    U32,
    U64,
    F64,
    Bool,
    /// Any JSON value.
    Json,
    Vec(Box<Ty>),
    /// A string holding the JSON of this type (the spec's `json:`): `runtime::JsonText<T>`.
    JsonText(Box<Ty>),
    /// A type of the same node module.
    Local(String),
    /// A shared type (`types::Name`).
    Shared(String),
}

/// A named type to emit.
#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub description: Option<String>,
    pub kind: TypeKind,
    /// Whether the struct derives `Default`: it has no required field.
    pub default: bool,
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct(Vec<Field>),
    Enum(Vec<Variant>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Body,
    Query,
    Header,
    /// A text part of a multipart upload.
    Form,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The name on the wire (JSON key, query name or header name).
    pub wire: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    pub kind: FieldKind,
    pub description: Option<String>,
    pub deprecated: bool,
    pub sensitive: bool,
    pub example: Option<String>,
    /// Allowed values of an integer field, documented (Rust has no integer enum type here).
    pub int_values: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub value: String,
    pub ident: String,
    pub description: Option<String>,
}

/// Validates and resolves the loaded spec. Nothing is partially returned: any error fails the whole.
pub fn build(loaded: &Loaded) -> Result<Api, Error> {
    let mut b = Builder {
        partial: loaded.is_partial(),
        ..Builder::default()
    };
    b.errors.extend(loaded.errors.iter().cloned());
    b.collect_shared(loaded);
    b.check_recursion(loaded);
    let mut root = Node {
        url: String::new(),
        segment: Segment::Root,
        method: String::new(),
        module: String::new(),
        struct_name: String::new(),
        chain: "client".into(),
        children: Vec::new(),
        ops: Vec::new(),
        types: Vec::new(),
        file: None,
    };
    let mut raw = RawNode::default();
    for p in &loaded.paths {
        b.add_path(&mut raw, p);
    }
    b.lay_out(&raw, &mut root);
    let mut notifications = b.notifications(loaded, &root);
    let mut shared = std::mem::take(&mut b.shared_defs);
    if !b.errors.is_empty() {
        b.errors.sort_by(|a, c| (&a.file, a.line).cmp(&(&c.file, c.line)));
        b.errors.dedup();
        return Err(Error::Spec(b.errors));
    }
    shared.sort_by(|a, c| a.name.cmp(&c.name));
    compute_defaults(&mut root, &mut shared);
    for n in &mut notifications {
        if let NotificationResource::Own(types) = &mut n.resource {
            mark_defaults(types);
        }
    }
    Ok(Api {
        root,
        shared,
        notifications,
    })
}

/// Where a schema sits, for error messages.
#[derive(Clone)]
struct Loc<'a> {
    file: &'a PathBuf,
    text: &'a str,
    path: Vec<String>,
}

impl<'a> Loc<'a> {
    fn join(&self, key: &str) -> Loc<'a> {
        let mut path = self.path.clone();
        path.push(key.to_string());
        Loc { path, ..self.clone() }
    }
    fn error(&self, message: impl Into<String>) -> SpecError {
        let keys: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let at = locate(self.text, &keys);
        SpecError {
            file: self.file.clone(),
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            field: self.path.join("."),
            message: message.into(),
        }
    }
}

/// The URL tree before names are assigned.
#[derive(Default)]
struct RawNode {
    /// Literal children by segment, placeholder children by `{name}`.
    children: BTreeMap<String, RawNode>,
    param_ty: Option<Ty>,
    ops: Vec<Op>,
    types: Vec<TypeDef>,
    file: Option<PathBuf>,
}

#[derive(Default)]
struct Builder {
    errors: Vec<SpecError>,
    /// Some file could not be read: a reference to a shared type or an operation that is not
    /// found is not reported (it may be in that file).
    partial: bool,
    /// Shared type names → defining file.
    shared_names: BTreeMap<String, PathBuf>,
    shared_defs: Vec<TypeDef>,
    /// Shared type name → its schema, for walks through `ref`s.
    shared_schemas: BTreeMap<String, Schema>,
    /// The shared types (and their nested types) that are structs.
    shared_structs: BTreeSet<String>,
}

impl Builder {
    fn collect_shared(&mut self, loaded: &Loaded) {
        for f in &loaded.types {
            for name in f.types.keys() {
                let loc = Loc {
                    file: &f.file,
                    text: &f.text,
                    path: vec![name.clone()],
                };
                if naming::type_name(name) != *name {
                    self.errors.push(loc.error(format!(
                        "shared type names are PascalCase: write `{}`",
                        naming::type_name(name)
                    )));
                }
                if let Some(first) = self.shared_names.get(name) {
                    self.errors.push(loc.error(format!(
                        "shared type `{name}` is already defined in {}",
                        first.display()
                    )));
                    continue;
                }
                self.shared_names.insert(name.clone(), f.file.clone());
            }
        }
        for f in &loaded.types {
            for (name, schema) in &f.types {
                if self.shared_names.get(name) != Some(&f.file) {
                    continue; // a duplicate, reported above
                }
                self.shared_schemas.insert(name.clone(), schema.clone());
                let loc = Loc {
                    file: &f.file,
                    text: &f.text,
                    path: vec![name.clone()],
                };
                let is_enum = schema.enum_.is_some() && schema.ty.as_deref().unwrap_or("string") == "string";
                if schema.properties.is_none() && !is_enum {
                    self.errors
                        .push(loc.error("a shared type is an object (`properties`) or a string `enum`"));
                    continue;
                }
                let mut defs = Vec::new();
                let ty = self.named(schema, name, &loc, &mut defs, true);
                debug_assert!(matches!(ty, Ty::Shared(_)) || self.errors.last().is_some());
                for d in defs {
                    if d.name != *name && self.shared_names.contains_key(&d.name) {
                        self.errors.push(loc.error(format!(
                            "the nested type `{}` collides with a shared type of that name",
                            d.name
                        )));
                    }
                    self.shared_defs.push(d);
                }
            }
        }
        let mut seen = BTreeSet::new();
        for d in &self.shared_defs {
            if matches!(d.kind, TypeKind::Struct(_)) {
                self.shared_structs.insert(d.name.clone());
            }
            if !seen.insert(d.name.clone()) {
                self.errors.push(SpecError {
                    file: PathBuf::from("spec/types"),
                    line: None,
                    column: None,
                    field: d.name.clone(),
                    message: "two shared types (or nested types of them) have this name".into(),
                });
            }
        }
    }

    /// A shared type that contains itself by value (directly, through other shared types or
    /// through inline objects; not through an array, which is a `Vec`) has no finite size in
    /// Rust, and when the field is required no finite value either: each such cycle is an
    /// error, reported once, at the first property of the cycle from its smallest type name.
    fn check_recursion(&mut self, loaded: &Loaded) {
        // Type → (property path inside it, the type it contains by value).
        fn edges(schema: &Schema, at: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
            for (name, prop) in schema.properties.iter().flatten() {
                at.push(name.clone());
                if let Some(r) = &prop.ref_ {
                    out.push((at.clone(), r.clone()));
                } else {
                    edges(prop, at, out);
                }
                at.pop();
            }
        }
        let graph: BTreeMap<&str, Vec<(Vec<String>, String)>> = self
            .shared_schemas
            .iter()
            .map(|(name, schema)| {
                let mut out = Vec::new();
                edges(schema, &mut Vec::new(), &mut out);
                (name.as_str(), out)
            })
            .collect();
        for &start in graph.keys() {
            // Depth-first over types whose name sorts after `start`, looking for `start`.
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            let mut trail: Vec<&(Vec<String>, String)> = Vec::new();
            let mut visited = BTreeSet::new();
            let mut cycle = None;
            while let Some((ty, next)) = stack.pop() {
                let out = &graph[ty];
                if next == out.len() {
                    trail.pop();
                    continue;
                }
                stack.push((ty, next + 1));
                let edge = &out[next];
                let to = edge.1.as_str();
                if to == start {
                    trail.push(edge);
                    cycle = Some(trail.clone());
                    break;
                }
                if to > start && graph.contains_key(to) && visited.insert(to) {
                    trail.push(edge);
                    stack.push((to, 0));
                }
            }
            let Some(cycle) = cycle else { continue };
            let mut from = start;
            let mut steps = Vec::new();
            for (props, to) in &cycle {
                steps.push(format!("{from}.{}", props.join(".")));
                from = to;
            }
            steps.push(start.to_string());
            let Some(f) = loaded.types.iter().find(|f| f.types.contains_key(start)) else {
                continue;
            };
            let mut path = vec![start.to_string()];
            for p in &cycle[0].0 {
                path.extend(["properties".to_string(), p.clone()]);
            }
            let loc = Loc {
                file: &f.file,
                text: &f.text,
                path,
            };
            self.errors.push(loc.error(format!(
                "the shared type `{start}` contains itself ({}): a value would have no end; make one of these properties an array, or drop it",
                steps.join(" → ")
            )));
        }
    }

    /// Validates the notification files against the laid-out tree (`same_as` names an
    /// operation with a JSON response; `group` is an API group).
    fn notifications(&mut self, loaded: &Loaded, root: &Node) -> Vec<NotificationDef> {
        let mut out = Vec::new();
        for f in &loaded.notifications {
            let loc = Loc {
                file: &f.file,
                text: &f.text,
                path: Vec::new(),
            };
            let n = &f.spec;
            let name = naming::type_name(&f.name);
            if n.summary.trim().is_empty() {
                self.errors.push(loc.join("summary").error("the summary is empty"));
            }
            if n.events.is_empty() {
                self.errors
                    .push(loc.join("events").error("name the event types (`TRANSACTION.SUCCESS`)"));
            }
            let group = root
                .children
                .iter()
                .flat_map(|r| &r.children)
                .find(|g| g.url.rsplit('/').next() == Some(n.group.as_str()) && g.url.split('/').nth(1) == Some("v3"))
                .or_else(|| {
                    root.children
                        .iter()
                        .flat_map(|r| &r.children)
                        .find(|g| g.url.rsplit('/').next() == Some(n.group.as_str()))
                });
            let Some(group) = group else {
                if !self.partial {
                    self.errors
                        .push(loc.join("group").error(format!("no API group `{}`", n.group)));
                }
                continue;
            };
            let resource = match (&n.same_as, &n.resource) {
                (Some(op), None) => {
                    let (method, url) = op.split_once(' ').unwrap_or(("", op.as_str()));
                    if !url.starts_with(&format!("{}/", group.url)) {
                        self.errors.push(loc.join("same_as").error(format!(
                            "`{op}` is not in the group `{}` (its feature gates the type)",
                            group.url
                        )));
                        continue;
                    }
                    let found = find_op(root, &method.to_ascii_lowercase(), url, &mut Vec::new());
                    match found {
                        Some((module, ResponseKind::Json(ty), required)) => {
                            // Decoding can then never fail for a missing field: every field the
                            // type requires is one `match` checked before.
                            let unchecked: Vec<&String> =
                                required.iter().filter(|r| !n.match_keys.contains(r)).collect();
                            if !unchecked.is_empty() {
                                let at = if n.match_keys.is_empty() { "same_as" } else { "match" };
                                self.errors.push(loc.join(at).error(format!(
                                    "the response of `{op}` requires {unchecked:?}: list them in `match`, so that a notification without them is not taken for this one"
                                )));
                            }
                            NotificationResource::SameAs {
                                module,
                                ty,
                                operation: op.clone(),
                            }
                        }
                        Some(_) => {
                            self.errors
                                .push(loc.join("same_as").error(format!("`{op}` has no JSON response")));
                            continue;
                        }
                        None if self.partial => continue,
                        None => {
                            self.errors.push(loc.join("same_as").error(format!(
                                "no operation `{op}` (write the method and the URL: `GET /v3/pay/transactions/id/{{transaction_id}}`)"
                            )));
                            continue;
                        }
                    }
                }
                (None, Some(schema)) if schema.properties.is_some() && schema.ref_.is_none() => {
                    let mut types = Vec::new();
                    let rloc = loc.join("resource");
                    for (key, p) in schema.properties.iter().flatten() {
                        if p.required && !n.match_keys.contains(key) {
                            self.errors.push(rloc.join("properties").join(key).error(
                                "a required field of a notification resource is listed in `match` (or is optional)",
                            ));
                        }
                    }
                    self.ty(schema, &name, &rloc, &mut types, false);
                    NotificationResource::Own(types)
                }
                (None, Some(_)) => {
                    self.errors.push(
                        loc.join("resource")
                            .error("the resource is an object with `properties`"),
                    );
                    continue;
                }
                _ => {
                    self.errors.push(
                        loc.error(
                            "give either `same_as` (an operation whose response it is) or `resource` (its schema)",
                        ),
                    );
                    continue;
                }
            };
            out.push(NotificationDef {
                name,
                summary: n.summary.trim().to_string(),
                description: n.description.clone(),
                group: group.url.clone(),
                events: n.events.clone(),
                match_keys: n.match_keys.clone(),
                resource,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        for w in out.windows(2) {
            if w[0].name == w[1].name {
                self.errors.push(SpecError {
                    file: PathBuf::from("spec/notifications"),
                    line: None,
                    column: None,
                    field: w[0].name.clone(),
                    message: "two notification files have this name".into(),
                });
            }
        }
        out
    }

    fn add_path(&mut self, raw_root: &mut RawNode, p: &crate::load::LoadedPath) {
        let file_loc = Loc {
            file: &p.file,
            text: &p.text,
            path: Vec::new(),
        };
        let segments: Vec<&str> = p.url.trim_start_matches('/').split('/').collect();
        let placeholders: Vec<&str> = segments
            .iter()
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (i, s) in segments.iter().enumerate() {
            if s.is_empty() && i + 1 == segments.len() && i > 0 {
                continue; // a trailing slash: the chain step `slash()`
            }
            let bad = if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            } else {
                s.is_empty()
                    || *s == "."
                    || *s == ".."
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            };
            if bad {
                self.errors.push(file_loc.error(format!(
                    "URL segment `{s}` is not supported (letters, digits, `-`, `_`, `.`, or a `{{placeholder}}`)"
                )));
                return;
            }
        }
        let uniq: BTreeSet<&str> = placeholders.iter().copied().collect();
        if uniq.len() != placeholders.len() {
            self.errors
                .push(file_loc.error("the same placeholder appears twice in the URL"));
            return;
        }
        if p.spec.operations().next().is_none() {
            self.errors
                .push(file_loc.error("no operation: write at least one of get/post/put/patch/delete"));
            return;
        }

        // Resolve the operations first, then place them in the tree.
        let mut ops = Vec::new();
        let mut types = Vec::new();
        let mut param_tys: BTreeMap<String, Ty> = BTreeMap::new();
        for (method, op) in p.spec.operations() {
            let loc = file_loc.join(method.as_str());
            for name in &placeholders {
                match op.path.get(*name) {
                    None => self.errors.push(loc.join("path").error(format!(
                        "the URL has the placeholder {{{name}}} but `path` does not describe it"
                    ))),
                    Some(schema) => {
                        let ploc = loc.join("path").join(name);
                        if let Some(ty) = self.param_ty(schema, &ploc) {
                            match param_tys.get(*name) {
                                Some(prev) if *prev != ty => self.errors.push(
                                    ploc.error("the placeholder has another type in another operation of this file"),
                                ),
                                _ => {
                                    param_tys.insert(name.to_string(), ty);
                                }
                            }
                        }
                    }
                }
            }
            for name in op.path.keys() {
                if !placeholders.contains(&name.as_str()) {
                    self.errors.push(
                        loc.join("path")
                            .join(name)
                            .error(format!("`{name}` is not a placeholder of the URL {}", p.url)),
                    );
                }
            }
            ops.push(self.op(method, op, &p.url, &loc, &mut types));
        }
        let mut seen = BTreeSet::new();
        for t in &types {
            if !seen.insert(t.name.as_str()) {
                self.errors.push(file_loc.error(format!(
                    "two types of this file are both named `{}`; rename a property",
                    t.name
                )));
            }
        }

        let mut node = raw_root;
        for s in &segments {
            node = node.children.entry(s.to_string()).or_default();
            if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if let Some(ty) = param_tys.get(name) {
                    match &node.param_ty {
                        Some(prev) if prev != ty => self.errors.push(
                            file_loc.error(format!("the placeholder {{{name}}} has another type in another file")),
                        ),
                        _ => node.param_ty = Some(ty.clone()),
                    }
                }
            }
        }
        types.sort_by(|a, b| a.name.cmp(&b.name));
        node.ops = ops;
        node.types = types;
        node.file = Some(p.file.clone());
    }

    fn param_ty(&mut self, schema: &Schema, loc: &Loc) -> Option<Ty> {
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

    fn int_ty(&mut self, schema: &Schema, loc: &Loc) -> Option<Ty> {
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

    fn op(&mut self, method: Method, op: &Operation, url: &str, loc: &Loc, types: &mut Vec<TypeDef>) -> Op {
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
            });
            Some(request_name)
        };
        let mut signature = Signature::Body;
        let response = match &op.response {
            None => ResponseKind::Value,
            Some(r) => {
                signature = match r.signature.as_deref() {
                    None | Some("body") => Signature::Body,
                    Some("none") => Signature::None,
                    Some("statement-sha1") => Signature::StatementSha1,
                    Some(other) => {
                        self.errors.push(
                            loc.join("response")
                                .join("signature")
                                .error(format!("unknown signature `{other}` (body, none, statement-sha1)")),
                        );
                        Signature::Body
                    }
                };
                let binary = match r.content.as_deref() {
                    None | Some("json") => false,
                    Some("binary") => true,
                    Some(other) => {
                        self.errors.push(
                            loc.join("response")
                                .join("content")
                                .error(format!("unknown content `{other}` (json, binary)")),
                        );
                        false
                    }
                };
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
        }
    }

    /// JSON pointers of the `sensitive` strings below `schema` (through shared types too).
    fn sensitive_pointers(&self, schema: &Schema, at: &str, out: &mut Vec<String>, depth: usize) {
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

    fn param_field(
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

    fn shared_is_struct(&self, name: &str) -> bool {
        self.shared_structs.contains(name)
    }

    fn field(
        &mut self,
        wire: &str,
        schema: &Schema,
        loc: &Loc,
        parent: &str,
        kind: FieldKind,
        types: &mut Vec<TypeDef>,
    ) -> Field {
        let hint = naming::nested_type(parent, wire);
        let ty = self.ty(schema, &hint, loc, types, false);
        let mut f = self.field_from(wire, schema, ty);
        f.kind = kind;
        f
    }

    fn check_object(&mut self, schema: &Schema, loc: &Loc) {
        if let Some(t) = schema.ty.as_deref() {
            if t != "object" {
                self.errors.push(
                    loc.join("type")
                        .error(format!("`properties` belong to an object, not `{t}`")),
                );
            }
        }
        if schema.items.is_some() || schema.enum_.is_some() || schema.ref_.is_some() {
            self.errors
                .push(loc.error("an object has `properties` only (no `items`, `enum` or `ref`)"));
        }
    }

    /// Maps a schema to a Rust type. Inline objects and string enums become named types
    /// (`hint`), pushed to `out` (local types) — or, with `shared`, named shared types.
    fn ty(&mut self, schema: &Schema, hint: &str, loc: &Loc, out: &mut Vec<TypeDef>, shared: bool) -> Ty {
        if let Some(name) = &schema.ref_ {
            if schema.ty.is_some()
                || schema.properties.is_some()
                || schema.items.is_some()
                || schema.enum_.is_some()
                || schema.format.is_some()
            {
                self.errors
                    .push(loc.error("`ref` stands alone (only `description` and `required` may stand beside it)"));
            }
            if !self.shared_names.contains_key(name) && !self.partial {
                self.errors
                    .push(loc.join("ref").error(format!("no shared type `{name}` in spec/types/")));
            }
            return Ty::Shared(name.clone());
        }
        if let Some(inner) = &schema.json {
            if schema.ty.as_deref().unwrap_or("string") != "string"
                || schema.properties.is_some()
                || schema.items.is_some()
                || schema.enum_.is_some()
                || inner.json.is_some()
            {
                self.errors
                    .push(loc.error("JSON text (`json`) is a `string` whose JSON's shape is given under `json`"));
            }
            return Ty::JsonText(Box::new(self.ty(inner, hint, &loc.join("json"), out, shared)));
        }
        let declared = schema.ty.as_deref();
        let inferred = match declared {
            Some(t) => t,
            None if schema.properties.is_some() => "object",
            None if schema.enum_.is_some() => "string",
            None if schema.items.is_some() => "array",
            None => {
                self.errors
                    .push(loc.error("no `type` (string, integer, number, boolean, object, array, json)"));
                return Ty::Json;
            }
        };
        self.check_enum_values(schema, inferred, loc);
        match inferred {
            "string" if schema.enum_.is_some() => self.named(schema, hint, loc, out, shared),
            "string" => Ty::String,
            "integer" => self.int_ty(schema, loc).unwrap_or(Ty::I64),
            "number" => Ty::F64,
            "boolean" => Ty::Bool,
            "json" => Ty::Json,
            "object" if schema.properties.is_some() => self.named(schema, hint, loc, out, shared),
            "object" => Ty::Json,
            "array" => match &schema.items {
                Some(items) => Ty::Vec(Box::new(self.ty(items, hint, &loc.join("items"), out, shared))),
                None => {
                    self.errors.push(loc.error("an array needs `items`"));
                    Ty::Vec(Box::new(Ty::Json))
                }
            },
            other => {
                self.errors.push(loc.join("type").error(format!(
                    "unknown type `{other}` (string, integer, number, boolean, object, array, json)"
                )));
                Ty::Json
            }
        }
    }

    /// The values of an enum are of its type: integers for `integer`, strings for `string` (a
    /// bare `1` in a string enum is the string `"1"`; `true` or `1.5` must be quoted).
    fn check_enum_values(&mut self, schema: &Schema, ty: &str, loc: &Loc) {
        for v in schema.enum_.iter().flatten() {
            let wrong = match (ty, v.value()) {
                ("integer", Scalar::Int(_)) => None,
                ("integer", other) => Some(format!("the value `{other}` of an integer enum is not an integer")),
                ("string", Scalar::Float(_) | Scalar::Bool(_)) => Some(format!(
                    "the value `{}` of a string enum is not a string: quote it",
                    v.value()
                )),
                _ => None,
            };
            if let Some(message) = wrong {
                self.errors.push(loc.join("enum").error(message));
            }
        }
    }

    /// A named struct or enum (`hint` is its name).
    fn named(&mut self, schema: &Schema, hint: &str, loc: &Loc, out: &mut Vec<TypeDef>, shared: bool) -> Ty {
        let kind = if let Some(values) = &schema.enum_ {
            if values.is_empty() {
                self.errors
                    .push(loc.join("enum").error("an enum needs at least one value"));
            }
            let raw: Vec<String> = values.iter().map(|v| v.value().to_string()).collect();
            let mut seen = BTreeSet::new();
            for v in &raw {
                if !seen.insert(v.as_str()) {
                    self.errors
                        .push(loc.join("enum").error(format!("the value `{v}` is listed twice")));
                }
            }
            let idents = naming::enum_variants(&raw);
            TypeKind::Enum(
                values
                    .iter()
                    .zip(raw)
                    .zip(idents)
                    .map(|((v, value), ident)| Variant {
                        value,
                        ident,
                        description: v.description().map(str::to_string),
                    })
                    .collect(),
            )
        } else {
            self.check_object(schema, loc);
            let props = schema.properties.as_ref().expect("object with properties");
            let mut fields = Vec::new();
            for (name, prop) in props {
                let floc = loc.join("properties").join(name);
                let hint = naming::nested_type(hint, name);
                let ty = self.ty(prop, &hint, &floc, out, shared);
                let mut f = self.field_from(name, prop, ty);
                f.kind = FieldKind::Body;
                fields.push(f);
            }
            check_field_collisions(&fields, |f| loc.join("properties").join(&f.wire), &mut self.errors);
            TypeKind::Struct(fields)
        };
        out.push(TypeDef {
            name: hint.to_string(),
            description: schema.description.clone(),
            kind,
            default: false,
        });
        if shared {
            Ty::Shared(hint.to_string())
        } else {
            Ty::Local(hint.to_string())
        }
    }

    fn field_from(&self, wire: &str, schema: &Schema, ty: Ty) -> Field {
        let int_values = if matches!(ty, Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64) {
            schema
                .enum_
                .iter()
                .flatten()
                .map(|v| (v.value().to_string(), v.description().map(str::to_string)))
                .collect()
        } else {
            Vec::new()
        };
        Field {
            wire: wire.to_string(),
            ident: naming::field(wire),
            ty,
            required: schema.required,
            kind: FieldKind::Body,
            description: schema.description.clone(),
            deprecated: schema.deprecated,
            sensitive: schema.sensitive,
            example: schema.example.as_ref().and_then(example_text),
            int_values,
        }
    }

    /// Assigns chain method, module and struct names to every node, children sorted by module.
    fn lay_out(&mut self, raw: &RawNode, node: &mut Node) {
        let literal: Vec<(String, String)> = raw
            .children
            .keys()
            .filter(|k| !k.starts_with('{'))
            .map(|k| (k.clone(), naming::segment_method(k)))
            .collect();
        let resolved = naming::resolve_sibling_methods(&literal);
        let mut children = Vec::new();
        for ((seg, _), method) in literal.iter().zip(resolved) {
            let child_raw = &raw.children[seg];
            children.push(self.child(
                node,
                child_raw,
                Segment::Literal(seg.clone()),
                format!("{}/{seg}", node.url),
                method.clone(),
                method,
            ));
        }
        for (key, child_raw) in raw.children.iter().filter(|(k, _)| k.starts_with('{')) {
            let name = &key[1..key.len() - 1];
            let ty = child_raw.param_ty.clone().unwrap_or(Ty::String);
            children.push(self.child(
                node,
                child_raw,
                Segment::Param {
                    name: name.to_string(),
                    ty,
                },
                format!("{}/{key}", node.url),
                naming::field(name),
                naming::param_module(name),
            ));
        }
        let mut by_name: HashMap<&str, &Node> = HashMap::with_capacity(2 * children.len());
        for b in &children {
            for name in [b.method.as_str(), b.module.as_str()] {
                match by_name.get(name) {
                    Some(a) if !std::ptr::eq(*a, b) => {
                        let file = a.file.clone().or(b.file.clone()).unwrap_or_default();
                        self.errors.push(SpecError::at_file(
                            file,
                            format!(
                                "the URLs {} and {} give the same chain method `{}` (or module `{}`)",
                                a.url, b.url, a.method, a.module
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        by_name.insert(name, b);
                    }
                }
            }
            if matches!(node.segment, Segment::Root) {
                for name in [b.method.as_str(), b.module.as_str()] {
                    if naming::ROOT_RESERVED.contains(&name) {
                        let seg = b.url.trim_start_matches('/');
                        self.errors.push(SpecError::at_file(
                            b.file.clone().unwrap_or_else(|| first_file(raw, seg)),
                            format!(
                                "the URL segment `{seg}` at the root clashes with the crate's `{name}` (a module or a `Client` method); put the file in a folder such as `v3/`"
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        children.sort_by(|a, b| a.module.cmp(&b.module));
        node.children = children;
    }

    fn child(
        &mut self,
        parent: &Node,
        raw: &RawNode,
        segment: Segment,
        url: String,
        method: String,
        module: String,
    ) -> Node {
        let segment_for_chain = segment.clone();
        let mut child = Node {
            url,
            segment,
            struct_name: naming::type_name(&module),
            chain: match &segment_for_chain {
                Segment::Param { name, .. } => format!("{}.{method}({name})", parent.chain),
                _ => format!("{}.{method}()", parent.chain),
            },
            method,
            module,
            children: Vec::new(),
            ops: raw.ops.clone(),
            types: raw.types.clone(),
            file: raw.file.clone(),
        };
        if let Some(t) = child.types.iter().find(|t| t.name == child.struct_name) {
            self.errors.push(SpecError {
                file: child.file.clone().unwrap_or_default(),
                line: None,
                column: None,
                field: String::new(),
                message: format!(
                    "the type `{}` has the name of the chain struct of {}",
                    t.name, child.url
                ),
            });
        }
        self.lay_out(raw, &mut child);
        child
    }
}

/// A file below the child `seg` of `raw` (for an error about a folder).
fn first_file(raw: &RawNode, seg: &str) -> PathBuf {
    fn any(n: &RawNode) -> Option<PathBuf> {
        n.file.clone().or_else(|| n.children.values().find_map(any))
    }
    raw.children
        .get(seg)
        .and_then(any)
        .unwrap_or_else(|| PathBuf::from(seg))
}

/// The module path (from the API root) and the response of the operation `method url`, with
/// the required top-level fields of that response (when it is a struct of the node).
fn find_op(
    node: &Node,
    method: &str,
    url: &str,
    path: &mut Vec<String>,
) -> Option<(Vec<String>, ResponseKind, Vec<String>)> {
    if !node.module.is_empty() {
        path.push(node.module.clone());
    }
    if node.url == url {
        if let Some(op) = node.ops.iter().find(|o| o.method.as_str() == method) {
            let required = match &op.response {
                ResponseKind::Json(Ty::Local(name)) => node
                    .types
                    .iter()
                    .find(|t| t.name == *name)
                    .map(|t| match &t.kind {
                        TypeKind::Struct(fields) => {
                            fields.iter().filter(|f| f.required).map(|f| f.wire.clone()).collect()
                        }
                        TypeKind::Enum(_) => Vec::new(),
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            return Some((path.clone(), op.response.clone(), required));
        }
    }
    for c in &node.children {
        if url.starts_with(&c.url) {
            if let Some(found) = find_op(c, method, url, path) {
                return Some(found);
            }
        }
    }
    if !node.module.is_empty() {
        path.pop();
    }
    None
}

/// Two properties (or parameters) that become one Rust field: an error at the second, where
/// `at` places a field in the file.
fn check_field_collisions<'a>(fields: &[Field], at: impl Fn(&Field) -> Loc<'a>, errors: &mut Vec<SpecError>) {
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

fn example_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Null => None,
        other => serde_yaml::to_string(other).ok().map(|s| s.trim().to_string()),
    }
}

/// Marks every struct without required fields as `Default`. A struct with a required field has
/// no `Default`: `..Default::default()` would send `""` or `0` for every required field left
/// out; such a struct is built with all its required fields (a struct literal, or `new`).
fn compute_defaults(root: &mut Node, shared: &mut [TypeDef]) {
    fn per_node(node: &mut Node) {
        mark_defaults(&mut node.types);
        for c in &mut node.children {
            per_node(c);
        }
    }
    per_node(root);
    mark_defaults(shared);
}

fn mark_defaults(defs: &mut [TypeDef]) {
    for d in defs {
        d.default = match &d.kind {
            TypeKind::Struct(fields) => fields.iter().all(|f| !f.required),
            TypeKind::Enum(_) => false,
        };
    }
}
