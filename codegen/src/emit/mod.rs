//! IR → Rust source. Tokens are built with `quote!`, parsed with `syn` and printed with
//! `prettyplease`, so the output never depends on a rustfmt installation and is deterministic.
//! The type definitions, two thirds of the output, are written as text instead
//! ([`crate::print::text`], laid out as prettyplease would), which is most of what keeps
//! generation fast.
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
use crate::ir::{self, Api, Body, Node, Op, ResponseKind, Segment, Ty};
use crate::print::{docs, print, Blocks, Items};
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
    let aliases = Arc::new(Aliases::find(api)?);
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
        let mut items = Items::new(&e.blocks, 0);
        let scope = Scope::of(true, api.shared.iter().map(|t| t.name.as_str()));
        for t in &api.shared {
            let gate = if opts.features {
                cfg_any(shared_gates.get(&t.name).unwrap_or(&BTreeSet::new()))
            } else {
                Vec::new()
            };
            e.type_def(&mut items, t, scope, &gate);
        }
        let items = items.finish();
        files.insert(PathBuf::from("types.rs"), e.file(items)?);
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
        let mut items = e.node_head(r, true, 0);
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
        files.insert(Path::new(&r.module).join("mod.rs"), e.file(items)?);
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
        files.insert(PathBuf::from("notifications.rs"), e.file(e.notifications(api))?);
    }
    let mut root_items = quote! { #(#mods)* };
    if !starts.is_empty() {
        root_items.extend(quote! {
            impl #client {
                #(#starts)*
            }
        });
    }
    files.insert(PathBuf::from("mod.rs"), e.file(root_items)?);
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
                e.node_body(node, 0)
            };
            Ok((path.clone(), e.file(body)?))
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
    let e = Emitter::new(opts, groups, Arc::new(Aliases::find(api)?))?;
    let mut t = [std::time::Duration::ZERO; 3];
    for r in &api.root.children {
        for g in &r.children {
            let s = Instant::now();
            let mut tokens = e.node_body(g, 0); // the group and all its children, as one file
            tokens.extend(e.models(g));
            t[0] += s.elapsed();
            let s = Instant::now();
            let parsed: syn::File = syn::parse2(tokens).map_err(|e| Error::Internal(e.to_string()))?;
            t[1] += s.elapsed();
            let s = Instant::now();
            std::hint::black_box(prettyplease::unparse(&parsed));
            t[2] += s.elapsed();
            e.file(TokenStream::new())?; // drops the group's verbatim blocks
        }
    }
    Ok(t)
}

fn node_size(n: &Node) -> usize {
    n.types.len() + n.ops.len() + n.children.iter().map(node_size).sum::<usize>()
}

struct Emitter {
    /// The verbatim blocks of the file being emitted (see [`crate::print`]): each file is
    /// printed as soon as its tokens are built, by [`Emitter::file`], which takes them.
    blocks: Blocks,
    /// The generated root, runtime and `__private` paths as text, for the items written as text.
    text: Paths,
    rt: TokenStream,
    /// `<runtime>::__private`: what only generated code uses.
    private: TokenStream,
    client: TokenStream,
    /// Group node URL → cargo feature.
    groups: BTreeMap<String, String>,
    /// The types emitted as aliases of an identical one (see [`crate::share`]).
    aliases: Arc<Aliases>,
}

/// The paths generated code refers to, as text.
struct Paths {
    /// The generated root (`crate`).
    root: String,
    /// The shared types' module, as a prefix (`crate::types::`).
    types: String,
    /// The runtime (`::wechatpay::runtime`).
    rt: String,
    /// `<runtime>::__private`.
    private: String,
}

/// A path of [`Options`], as tokens and as the text prettyplease prints of them. Paths with
/// generic arguments are refused: none is needed.
fn parse_path(s: &str, what: &str) -> Result<(TokenStream, String), Error> {
    let path =
        syn::parse_str::<syn::Path>(s).map_err(|e| Error::Internal(format!("{what} `{s}` is not a path: {e}")))?;
    let mut text = String::new();
    if path.leading_colon.is_some() {
        text.push_str("::");
    }
    for (i, seg) in path.segments.iter().enumerate() {
        if !seg.arguments.is_none() {
            return Err(Error::Internal(format!("{what} `{s}` has generic arguments")));
        }
        if i > 0 {
            text.push_str("::");
        }
        text.push_str(&seg.ident.to_string());
    }
    Ok((quote!(#path), text))
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
    /// Prints a file's items (and the verbatim blocks they refer to) with the generated-file
    /// header.
    fn file(&self, items: TokenStream) -> Result<String, Error> {
        Ok(format!("{HEADER}\n\n{}", print(items, &self.blocks)?))
    }

    fn new(opts: &Options, groups: BTreeMap<String, String>, aliases: Arc<Aliases>) -> Result<Self, Error> {
        let (rt, rt_text) = parse_path(&opts.runtime, "runtime")?;
        let root_text = parse_path(&opts.root, "root")?.1;
        Ok(Emitter {
            blocks: Blocks::default(),
            text: Paths {
                private: format!("{rt_text}::__private"),
                rt: rt_text,
                types: format!("{root_text}::types::"),
                root: root_text,
            },
            private: quote!(#rt::__private),
            rt,
            client: parse_path(&opts.client, "client")?.0,
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
        let mut items = self.node_head(node, false, 0);
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
        let mut items = Items::new(&self.blocks, 1);
        for t in models {
            self.type_def(&mut items, t, scope, &[]);
        }
        let body = items.finish();
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

    /// Everything of a node and its descendants (as inline modules): the content of a child
    /// file, or of a module `depth` levels deep in one.
    fn node_body(&self, node: &Node, depth: usize) -> TokenStream {
        let mut items = self.node_head(node, false, depth);
        for c in &node.children {
            let m = ident(&c.module);
            let body = self.node_body(c, depth + 1);
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

    /// The node's struct, its methods and its types (not its child modules), in a module
    /// `depth` levels deep in its file.
    fn node_head(&self, node: &Node, is_root: bool, depth: usize) -> TokenStream {
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
        let mut types = Items::new(&self.blocks, depth);
        for t in &node.types {
            match self.aliases.target(node, &t.name) {
                Some(target) => self.alias(&mut types, t, target),
                None => self.type_def(&mut types, t, scope, &[]),
            }
        }
        items.extend(types.finish());
        items
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

/// The runtime's name of what a field is filled in with.
fn fill_path(rt: &TokenStream, fill: ir::Fill) -> TokenStream {
    match fill {
        ir::Fill::Mchid => quote!(#rt::Fill::Mchid),
        ir::Fill::Appid => quote!(#rt::Fill::Appid),
    }
}
