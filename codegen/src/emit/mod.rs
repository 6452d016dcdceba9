//! IR → Rust source. Tokens are built with `quote!`, parsed with `syn` and printed with
//! `prettyplease`, so the output never depends on a rustfmt installation and is deterministic.
//!
//! Layout of the output folder (`generated/src/api/`):
//! - `mod.rs`: the shared `types` module, the roots (`v3`, …) and the `Client` methods that start a chain;
//! - `<root>/mod.rs`: the root node (`V3`) and its group modules;
//! - `<root>/<group>.rs`: one file per API group (`v3/pay.rs`), the deeper nodes as inline modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::error::Error;
use crate::ir::{self, Api, Body, Node, Op, ResponseKind, Segment, Ty, TypeDef};
use crate::print::{docs, print};
use crate::share::Aliases;
use crate::{Options, Output, HEADER};

mod features;
mod notifications;
mod table;
mod types;

pub use features::group_features;
use features::{cfg_any, shared_type_features};
use table::operations_table;
use types::Scope;

/// Prints the IR into files.
pub fn emit(api: &Api, opts: &Options) -> Result<Output, Error> {
    let mut files = BTreeMap::new();
    let groups = if opts.features {
        group_features(api)
    } else {
        BTreeMap::new()
    };
    let shared_gates = if opts.features {
        shared_type_features(api, &groups)
    } else {
        BTreeMap::new()
    };
    let aliases = Arc::new(Aliases::find(api));
    let e = Emitter::new(opts, groups.clone(), aliases.clone())?;

    // mod.rs: roots + shared types + Client methods.
    let client = e.client.clone();
    let (rt, private) = (&e.rt, &e.private);
    let mut mods = Vec::new();
    let mut starts = Vec::new();
    if !api.shared.is_empty() {
        mods.push(quote! {
            /// Types shared by several operations (`spec/types/`).
            pub mod types;
        });
        let mut items = TokenStream::new();
        let scope = Scope::of(true, api.shared.iter().map(|t| t.name.as_str()));
        for t in &api.shared {
            let gate = if opts.features {
                cfg_any(shared_gates.get(&t.name).unwrap_or(&BTreeSet::new()))
            } else {
                TokenStream::new()
            };
            items.extend(e.type_def(t, scope, &gate));
        }
        files.insert(PathBuf::from("types.rs"), file(items)?);
    }
    // The group files are most of the work: they are printed in parallel below.
    let mut group_jobs: Vec<(PathBuf, &Node, bool)> = Vec::new();
    for r in &api.root.children {
        let module = ident(&r.module);
        let st = ident(&r.struct_name);
        let method = ident(&r.method);
        let seg = literal(r);
        let gate = e.gate(r);
        let doc = docs(&format!("The `{}` API root.", r.url));
        mods.push(quote! { #doc #gate pub mod #module; });
        let doc = docs(&format!("Starts a call under `{}`.", r.url));
        starts.push(quote! {
            #doc
            #gate
            pub fn #method(&self) -> #module::#st {
                #module::#st(#private::route(::core::convert::AsRef::<#rt::Client>::as_ref(self)).push(#seg))
            }
        });
        // <root>/mod.rs
        let mut items = e.node_head(r, true);
        for g in &r.children {
            let gm = ident(&g.module);
            let doc = docs(&format!("`{}`", g.url));
            let gate = e.gate(g);
            items.extend(quote! { #doc #gate pub mod #gm; });
            // A group file holds the group node and declares its children, each in a file of its
            // own below the group's folder: many files of moderate size print well in parallel.
            group_jobs.push((Path::new(&r.module).join(format!("{}.rs", g.module)), g, true));
            for c in &g.children {
                group_jobs.push((
                    Path::new(&r.module).join(&g.module).join(format!("{}.rs", c.module)),
                    c,
                    false,
                ));
            }
        }
        files.insert(Path::new(&r.module).join("mod.rs"), file(items)?);
    }
    if opts.features {
        mods.push(quote! {
            /// The `__for_each_operation!` table (tests over the whole API).
            mod operations;
        });
        files.insert(PathBuf::from("operations.rs"), operations_table(api));
    }
    if !api.notifications.is_empty() {
        mods.push(quote! {
            /// Inbound notifications (`spec/notifications/`): the decrypted resources, typed.
            pub mod notifications;
        });
        files.insert(PathBuf::from("notifications.rs"), file(e.notifications(api))?);
    }
    let mut root_items = quote! { #(#mods)* };
    if !starts.is_empty() {
        root_items.extend(quote! {
            impl #client {
                #(#starts)*
            }
        });
    }
    files.insert(PathBuf::from("mod.rs"), file(root_items)?);
    files.extend(emit_groups(&group_jobs, opts, &groups, &aliases)?);
    // APIv2's feature (`v2`, the `/v2` root) is written by hand in the client's manifest: it
    // turns on the runtime's APIv2 layer, and `full` (every APIv3 group) leaves it out.
    let features: BTreeSet<String> = groups.into_values().filter(|f| f != "v2").collect();
    Ok(Output {
        files,
        features: features.into_iter().collect(),
    })
}

/// Prints group files on all cores. Tokens are not `Send`, so each thread has its own emitter;
/// the result is the same whatever the number of threads.
fn emit_groups(
    jobs: &[(PathBuf, &Node, bool)],
    opts: &Options,
    groups: &BTreeMap<String, String>,
    aliases: &Arc<Aliases>,
) -> Result<BTreeMap<PathBuf, String>, Error> {
    // Largest first, so the threads finish together.
    let mut order: Vec<&(PathBuf, &Node, bool)> = jobs.iter().collect();
    order.sort_by_key(|(_, node, is_group)| std::cmp::Reverse(if *is_group { 1 } else { node_size(node) }));
    let printed = crate::par::map_in_order(
        &order,
        "emitter",
        || Emitter::new(opts, groups.clone(), aliases.clone()),
        |e, (path, node, is_group)| {
            let body = if *is_group {
                e.group_head(node)
            } else {
                e.node_body(node)
            };
            Ok((path.clone(), file(body)?))
        },
    )?;
    Ok(printed.into_iter().collect())
}

/// For `cargo xtask bench`: the time of each emitting step over the group files, on one thread:
/// building tokens, parsing them with syn, printing them with prettyplease.
#[doc(hidden)]
pub fn profile_groups(api: &Api, opts: &Options) -> Result<[std::time::Duration; 3], Error> {
    use std::time::Instant;
    let groups = if opts.features {
        group_features(api)
    } else {
        BTreeMap::new()
    };
    let e = Emitter::new(opts, groups, Arc::new(Aliases::find(api)))?;
    let mut t = [std::time::Duration::ZERO; 3];
    for r in &api.root.children {
        for g in &r.children {
            let s = Instant::now();
            let mut tokens = e.node_body(g); // the group and all its children, as one file
            tokens.extend(e.models(g));
            t[0] += s.elapsed();
            let s = Instant::now();
            let parsed: syn::File = syn::parse2(tokens).map_err(|e| Error::Internal(e.to_string()))?;
            t[1] += s.elapsed();
            let s = Instant::now();
            std::hint::black_box(prettyplease::unparse(&parsed));
            t[2] += s.elapsed();
        }
    }
    Ok(t)
}

fn node_size(n: &Node) -> usize {
    n.types.len() + n.ops.len() + n.children.iter().map(node_size).sum::<usize>()
}

struct Emitter {
    rt: TokenStream,
    /// `<runtime>::__private`: what only generated code uses.
    private: TokenStream,
    root: TokenStream,
    client: TokenStream,
    /// Group node URL → cargo feature.
    groups: BTreeMap<String, String>,
    /// The types emitted as aliases of an identical one (see [`crate::share`]).
    aliases: Arc<Aliases>,
}

fn parse_path(s: &str, what: &str) -> Result<TokenStream, Error> {
    syn::parse_str::<syn::Path>(s)
        .map(|p| quote!(#p))
        .map_err(|e| Error::Internal(format!("{what} `{s}` is not a path: {e}")))
}

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

fn literal(n: &Node) -> String {
    match &n.segment {
        Segment::Literal(s) => s.clone(),
        _ => String::new(),
    }
}

impl Emitter {
    fn new(opts: &Options, groups: BTreeMap<String, String>, aliases: Arc<Aliases>) -> Result<Self, Error> {
        let rt = parse_path(&opts.runtime, "runtime")?;
        Ok(Emitter {
            rt: rt.clone(),
            private: quote!(#rt::__private),
            root: parse_path(&opts.root, "root")?,
            client: parse_path(&opts.client, "client")?,
            groups,
            aliases,
        })
    }

    /// `#[cfg(feature = "…")]` when `node` is a group behind a feature.
    fn gate(&self, node: &Node) -> TokenStream {
        match self.groups.get(&node.url) {
            Some(f) => quote!(#[cfg(feature = #f)]),
            None => TokenStream::new(),
        }
    }

    /// A group file: the group node, its shared shapes (`models`), and its children declared as
    /// modules in their own files.
    fn group_head(&self, node: &Node) -> TokenStream {
        let mut items = self.node_head(node, false);
        items.extend(self.models(node));
        for c in &node.children {
            let m = ident(&c.module);
            let doc = docs(&format!("`{}`", c.url));
            items.extend(quote! { #doc pub mod #m; });
        }
        items
    }

    /// The group's `models` module: the shapes that several of its types share, each once under
    /// a neutral name (see [`crate::share`]).
    fn models(&self, group: &Node) -> TokenStream {
        let Some((module, models)) = self.aliases.models(group) else {
            return TokenStream::new();
        };
        let scope = Scope::of(false, models.iter().map(|t| t.name.as_str()));
        let mut body = TokenStream::new();
        for t in models {
            body.extend(self.type_def(t, scope, &TokenStream::new()));
        }
        let m = ident(module);
        let doc = docs(&format!(
            "Shapes that several operations of `{}` share, each emitted once under a name of its own; the operations' type names are aliases of these.",
            group.url
        ));
        quote! {
            #doc
            pub mod #m {
                #body
            }
        }
    }

    /// Everything of a node and its descendants (as inline modules): the content of a child file.
    fn node_body(&self, node: &Node) -> TokenStream {
        let mut items = self.node_head(node, false);
        for c in &node.children {
            let m = ident(&c.module);
            let body = self.node_body(c);
            let doc = docs(&format!("`{}`", c.url));
            items.extend(quote! {
                #doc
                pub mod #m {
                    #body
                }
            });
        }
        items
    }

    /// The node's struct, its methods and its types (not its child modules).
    fn node_head(&self, node: &Node, is_root: bool) -> TokenStream {
        // A root whose groups are all behind features is empty when none is enabled.
        let allow = (is_root && !self.groups.is_empty()).then(|| quote!(#[allow(dead_code)]));
        let scope = Scope::of(
            false,
            std::iter::once(node.struct_name.as_str()).chain(node.types.iter().map(|t| t.name.as_str())),
        );
        let rt = &self.rt;
        let st = ident(&node.struct_name);
        let mut methods = TokenStream::new();
        for c in &node.children {
            let m = ident(&c.module);
            let cst = ident(&c.struct_name);
            let method = ident(&c.method);
            methods.extend(self.gate(c));
            match &c.segment {
                Segment::Param { name, ty } => {
                    let arg = ident(&crate::naming::field(name));
                    let arg_ty = match ty {
                        Ty::String => quote!(&str),
                        other => self.ty(other, scope),
                    };
                    let doc = docs(&format!(
                        "`{}`: `{name}` is percent-encoded, never case-converted.",
                        c.url
                    ));
                    let placeholder = name.as_str();
                    methods.extend(quote! {
                        #doc
                        #[inline]
                        pub fn #method(self, #arg: #arg_ty) -> #m::#cst {
                            #m::#cst(self.0.push_param(#placeholder, &#arg))
                        }
                    });
                }
                _ => {
                    let seg = literal(c);
                    let doc = docs(&format!("`{}`", c.url));
                    methods.extend(quote! {
                        #doc
                        #[inline]
                        pub fn #method(self) -> #m::#cst {
                            #m::#cst(self.0.push(#seg))
                        }
                    });
                }
            }
        }
        for op in &node.ops {
            methods.extend(self.op(node, op, scope));
        }
        let doc = docs(&format!(
            "The chain step for `{}`, reached with `{}`.",
            node.url, node.chain
        ));
        let mut items = quote! {
            #doc
            pub struct #st(#allow pub(super) #rt::Route);

            impl #st {
                #methods
            }
        };
        for t in &node.types {
            match self.aliases.target(node, &t.name) {
                Some(target) => items.extend(self.alias(t, target)),
                None => items.extend(self.type_def(t, scope, &TokenStream::new())),
            }
        }
        items
    }

    /// A type of the same shape as one emitted before: an alias of it (see [`crate::share`]).
    fn alias(&self, t: &TypeDef, target: &[String]) -> TokenStream {
        let root = &self.root;
        let name = ident(&t.name);
        let doc = docs(t.description.as_deref().unwrap_or(&t.name));
        let path: Vec<_> = target.iter().map(|s| ident(s)).collect();
        let mut out = quote! {
            #doc
            pub type #name = #root #(::#path)*;
        };
        // Its required fields' struct under the matching name (see `types::constructor`).
        if matches!(t.kind, crate::ir::TypeKind::Struct(_)) && !t.default {
            let required = ident(&types::required_struct_name(&t.name));
            let (last, parents) = path.split_last().expect("an alias has a target");
            let target_required = ident(&types::required_struct_name(&last.to_string()));
            let doc = docs(&format!("The required fields of [`{}`].", t.name));
            out.extend(quote! {
                #doc
                pub type #required = #root #(::#parents)* :: #target_required;
            });
        }
        out
    }

    fn op(&self, node: &Node, op: &Op, scope: Scope) -> TokenStream {
        if let Some(v2) = &op.v2 {
            return self.v2_op(node, op, v2, scope);
        }
        let rt = &self.rt;
        let name = ident(op.method.as_str());
        let http = format_ident!("{}", op.method.as_str().to_uppercase());
        let mut text = op.summary.clone();
        if let Some(d) = &op.description {
            text.push('\n');
            text.push_str(d);
        }
        text.push_str(&format!("\n`{} {}`", op.method.as_str().to_uppercase(), node.url));
        let doc = docs(&text);
        let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
        let mut arg = match &op.request {
            Some(r) => {
                let r = ident(r);
                quote!(, request: &#r)
            }
            None => TokenStream::new(),
        };
        if let Body::Upload { .. } = op.body {
            arg.extend(quote!(, file: #rt::Upload));
        }
        let mut chain = quote!(self.0.request(#rt::Method::#http));
        if let Some(host) = &op.base_url {
            chain.extend(quote!(.host(#host)));
        }
        for f in op.query.iter() {
            let wire = &f.wire;
            let id = ident(&f.ident);
            let list = matches!(f.ty, Ty::Vec(_));
            if matches!(f.ty, Ty::JsonText(_)) {
                chain.extend(if f.required {
                    quote!(.query_json(#wire, &request.#id))
                } else {
                    quote!(.query_json_opt(#wire, request.#id.as_ref()))
                });
                continue;
            }
            if let Some(fill) = f.fill {
                let fill = fill_path(rt, fill);
                chain.extend(quote!(.query_filled(#wire, #fill, request.#id.as_deref())));
                continue;
            }
            chain.extend(match (f.required, list) {
                (true, false) => quote!(.query(#wire, &request.#id)),
                (false, false) => quote!(.query_opt(#wire, request.#id.as_ref())),
                (true, true) => quote!(.query_list(#wire, &request.#id)),
                (false, true) => quote!(.query_list_opt(#wire, request.#id.as_ref())),
            });
        }
        for f in op.headers.iter() {
            let wire = &f.wire;
            let id = ident(&f.ident);
            chain.extend(if f.required {
                quote!(.header(#wire, &request.#id))
            } else {
                quote!(.header_opt(#wire, request.#id.as_deref()))
            });
        }
        match &op.body {
            Body::None => {}
            Body::Fields => {
                chain.extend(quote!(.json(request)));
                for f in op.fills.iter().filter(|f| f.kind == ir::FieldKind::Body) {
                    let (wire, id, fill) = (&f.wire, ident(&f.ident), fill_path(rt, f.fill.expect("a filled field")));
                    chain.extend(quote!(.fill(#wire, #fill, request.#id.is_none())));
                }
            }
            Body::Whole(_) => chain.extend(quote!(.json(&request.body))),
            Body::Upload { file_part } => {
                chain.extend(quote!(.multipart(&request.meta, #file_part, file)));
                for f in &op.form {
                    let wire = &f.wire;
                    let id = ident(&f.ident);
                    chain.extend(if f.required {
                        quote!(.form_field(#wire, &request.#id))
                    } else {
                        quote!(.form_field_opt(#wire, request.#id.as_ref()))
                    });
                }
            }
        }
        if !op.sensitive.is_empty() {
            let pointers = &op.sensitive;
            chain.extend(quote!(.encrypt_sensitive(&[#(#pointers),*])));
        }
        match op.signature {
            ir::Signature::Body => {}
            ir::Signature::None => chain.extend(quote!(.response_signature(#rt::ResponseSignature::None))),
            ir::Signature::StatementSha1 => {
                chain.extend(quote!(.response_signature(#rt::ResponseSignature::StatementSha1)))
            }
        }
        let (ret, send) = match &op.response {
            ResponseKind::Empty => (quote!(()), quote!(.send_empty())),
            ResponseKind::Json(t) => (self.ty(t, scope), quote!(.send_json())),
            ResponseKind::Value => (quote!(::serde_json::Value), quote!(.send_json())),
            ResponseKind::Binary => (quote!(#rt::Download), quote!(.send_download())),
        };
        quote! {
            #doc
            #deprecated
            #[inline]
            pub fn #name(self #arg) -> #rt::Call<#ret> {
                #chain #send
            }
        }
    }
}

impl Emitter {
    /// An APIv2 operation: the request's fields signed and POSTed as XML to the node's URL
    /// without `/v2`, the answer's fields (or a bill file) back.
    fn v2_op(&self, node: &Node, op: &Op, v2: &ir::V2Op, scope: Scope) -> TokenStream {
        let rt = &self.rt;
        let name = ident(op.method.as_str());
        let url = node.url.strip_prefix("/v2").unwrap_or(&node.url);
        let mut text = op.summary.clone();
        if let Some(d) = &op.description {
            text.push('\n');
            text.push_str(d);
        }
        let mut facts = vec![format!("`POST {url}` (APIv2, XML)")];
        if v2.sign_type == ir::V2SignType::HmacSha256 {
            facts.push("signed with HMAC-SHA256".into());
        }
        if v2.cert_required {
            facts.push("needs the merchant certificate (`ClientBuilder::merchant_certificate_pem`)".into());
        }
        if op.signature == ir::Signature::None {
            facts.push("the answer carries no `sign`".into());
        }
        text.push_str(&format!("\n{}.", facts.join("; ")));
        let doc = docs(&text);
        let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
        let mut chain = quote!(self.0.v2_request());
        let arg = match &op.request {
            Some(r) => {
                let r = ident(r);
                chain.extend(quote!(.body(request)));
                for f in &op.fills {
                    let (wire, fill) = (&f.wire, fill_path(rt, f.fill.expect("a filled field")));
                    chain.extend(quote!(.fill(#wire, #fill)));
                }
                quote!(, request: &#r)
            }
            None => TokenStream::new(),
        };
        if v2.sign_type == ir::V2SignType::HmacSha256 {
            chain.extend(quote!(.sign_type(#rt::v2::SignType::HmacSha256)));
        }
        if v2.cert_required {
            chain.extend(quote!(.cert_required()));
        }
        if !op.sensitive.is_empty() {
            let names = op.sensitive.iter().map(|p| p.trim_start_matches('/'));
            chain.extend(quote!(.encrypt_fields(&[#(#names),*])));
        }
        if op.signature == ir::Signature::None && op.response != ResponseKind::Binary {
            chain.extend(quote!(.unsigned_answer()));
        }
        if let Some(host) = &op.base_url {
            chain.extend(quote!(.host(#host)));
        }
        let (ret, send) = match &op.response {
            ResponseKind::Json(t) => (self.ty(t, scope), quote!(.send())),
            ResponseKind::Binary => (quote!(::std::vec::Vec<u8>), quote!(.send_file())),
            _ => (
                quote!(::std::vec::Vec<(::std::string::String, ::std::string::String)>),
                quote!(.send_fields()),
            ),
        };
        quote! {
            #doc
            #deprecated
            #[inline]
            pub fn #name(self #arg) -> #rt::v2::V2Call<#ret> {
                #chain #send
            }
        }
    }
}

/// Prints items into a file with the generated-file header.
fn file(items: TokenStream) -> Result<String, Error> {
    Ok(format!("{HEADER}\n\n{}", print(items)?))
}

/// The runtime's name of what a field is filled in with.
fn fill_path(rt: &TokenStream, fill: ir::Fill) -> TokenStream {
    match fill {
        ir::Fill::Mchid => quote!(#rt::Fill::Mchid),
        ir::Fill::Appid => quote!(#rt::Fill::Appid),
    }
}
