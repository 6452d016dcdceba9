//! Validation and resolution: the loaded spec becomes the intermediate representation the emitter
//! prints. This is the one place that maps spec types to Rust types (`Builder::ty`, in
//! `types.rs`) and that lays out the tree of chain nodes (`tree.rs`). All errors found are
//! collected before giving up.
//!
//! The IR types and [`build`] are here; one file per part of the spec the builder reads:
//! `shared.rs` (shared types, recursion), `tree.rs` (paths → chain nodes), `op.rs`
//! (operations), `request.rs` (an operation's parameters, body and request struct), `types.rs`
//! (schemas → Rust types), `v2.rs` (APIv2 operations), `notifications.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::error::{Error, SpecError};
use crate::load::{locate, Loaded, LoadedPath};
use crate::spec::{Method, Schema};

mod notifications;
mod op;
mod request;
mod shared;
mod tree;
mod types;
mod v2;

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
    /// Types of its own: the resource (named like the notification) after the types it nests.
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
    /// The request fields the client fills in when left out ([`Field::fill`]), query or body.
    pub fills: Vec<Field>,
    /// JSON pointers (`*` for every array element) of the body's sensitive fields.
    pub sensitive: Vec<String>,
    /// Another host for this operation.
    pub base_url: Option<String>,
    pub response: ResponseKind,
    /// How the response is authenticated.
    pub signature: Signature,
    /// An APIv2 operation (`spec/v2/`): XML bodies signed with the APIv2 key.
    pub v2: Option<V2Op>,
}

/// What an APIv2 operation adds: how it is signed and whether it needs mutual TLS. Its request
/// and response structs are XML ([`TypeDef::xml`]), its URL the node's without `/v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Op {
    pub sign_type: V2SignType,
    pub cert_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V2SignType {
    Md5,
    HmacSha256,
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// A named type to emit. `Eq` and `Hash` compare everything it says (the shared shapes of
/// `codegen::share` are found with them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeDef {
    pub name: String,
    pub description: Option<String>,
    pub kind: TypeKind,
    /// Whether the struct derives `Default`: it has no required field.
    pub default: bool,
    /// An APIv2 body (a struct of XML fields) or an enum used in one: written as XML.
    pub xml: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeKind {
    Struct(Vec<Field>),
    Enum(Vec<Variant>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    Body,
    Query,
    Header,
    /// A text part of a multipart upload.
    Form,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// An APIv2 field written as CDATA.
    pub cdata: bool,
    /// A top-level request field the client fills in with what it was configured with when the
    /// caller leaves it out (`None`): the merchant id, the APPID. Such a field is optional in
    /// the Rust type although WeChat Pay requires it.
    pub fill: Option<Fill>,
}

impl Field {
    /// Whether WeChat Pay requires the field on the wire: a required field, or one the client
    /// fills in when the caller leaves it out ([`Field::fill`]). (The sandbox checks this.)
    pub fn required_on_the_wire(&self) -> bool {
        self.required || self.fill.is_some()
    }
}

/// What the client fills a request field in with (see [`Field::fill`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// `ClientBuilder::mchid`: `mchid`, `sp_mchid` (APIv3), `mch_id` (APIv2).
    Mchid,
    /// `ClientBuilder::appid`, when the client was given one: `appid` (APIv2).
    Appid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    // Each path file is resolved on its own, on all cores, then placed in the tree in order.
    let paths: Vec<&LoadedPath> = loaded.paths.iter().collect();
    let resolved = crate::par::map_in_order(
        &paths,
        "validation",
        || Ok(b.worker()),
        |w, p| Ok((w.resolve_path(p), std::mem::take(&mut w.errors))),
    )?;
    let mut raw = RawNode::default();
    for (r, errors) in resolved {
        b.errors.extend(errors);
        if let Some(r) = r {
            b.place(&mut raw, r);
        }
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
    /// An APIv2 operation is being read (`cdata` is allowed).
    in_v2: bool,
}

impl Builder {
    /// A builder that resolves path files beside this one: the shared types as this one has
    /// collected them, no errors yet.
    fn worker(&self) -> Builder {
        Builder {
            errors: Vec::new(),
            partial: self.partial,
            shared_names: self.shared_names.clone(),
            shared_defs: Vec::new(),
            shared_schemas: self.shared_schemas.clone(),
            shared_structs: self.shared_structs.clone(),
            in_v2: false,
        }
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
