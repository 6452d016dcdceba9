//! Types: how a spec type is written in Rust, and the structs and enums of the IR.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, Emitter};
use crate::ir::{self, Field, FieldKind, Ty, TypeDef, TypeKind};
use crate::print::{docs, layout_macro};

/// The module an item is emitted into, as far as writing a type depends on it.
#[derive(Clone, Copy)]
pub(super) struct Scope {
    /// The shared `types` module, whose types are named without a path there.
    shared: bool,
    /// Whether the prelude's `Option`, `String` and `Vec` may be written by their short names:
    /// true unless one of the module's own items has such a name (then full paths).
    prelude: bool,
}

impl Scope {
    /// The scope of a module whose items have these names.
    pub(super) fn of<'a>(shared: bool, mut names: impl Iterator<Item = &'a str>) -> Scope {
        let prelude = !names.any(|n| matches!(n, "Option" | "String" | "Vec"));
        Scope { shared, prelude }
    }
}

impl Emitter {
    /// A Rust type, written as code in `scope` refers to it.
    pub(super) fn ty(&self, ty: &Ty, scope: Scope) -> TokenStream {
        let root = &self.root;
        match ty {
            Ty::String if scope.prelude => quote!(String),
            Ty::String => quote!(::std::string::String),
            Ty::I32 => quote!(i32),
            Ty::I64 => quote!(i64),
            Ty::U32 => quote!(u32),
            Ty::U64 => quote!(u64),
            Ty::F64 => quote!(f64),
            Ty::Bool => quote!(bool),
            Ty::Json => quote!(::serde_json::Value),
            Ty::Vec(t) => {
                let t = self.ty(t, scope);
                if scope.prelude {
                    quote!(Vec<#t>)
                } else {
                    quote!(::std::vec::Vec<#t>)
                }
            }
            Ty::JsonText(t) => {
                let t = self.ty(t, scope);
                let rt = &self.rt;
                quote!(#rt::JsonText<#t>)
            }
            Ty::Local(n) => {
                let n = ident(n);
                quote!(#n)
            }
            Ty::Shared(n) => {
                let n = ident(n);
                if scope.shared {
                    quote!(#n)
                } else {
                    quote!(#root::types::#n)
                }
            }
        }
    }

    /// A struct or enum with its impls, each item behind `gate` (a `cfg`, or nothing).
    pub(super) fn type_def(&self, t: &TypeDef, scope: Scope, gate: &TokenStream) -> TokenStream {
        match &t.kind {
            TypeKind::Struct(fields) => self.struct_def(t, fields, scope, gate, false),
            TypeKind::Enum(variants) => self.enum_def(t, variants, gate),
        }
    }

    /// [`type_def`](Self::type_def) of a type of decrypted personal data (a notification's
    /// own resource): a struct's `Debug` shows its name, never its values.
    pub(super) fn withheld_type_def(&self, t: &TypeDef, scope: Scope, gate: &TokenStream) -> TokenStream {
        match &t.kind {
            TypeKind::Struct(fields) => self.struct_def(t, fields, scope, gate, true),
            TypeKind::Enum(variants) => self.enum_def(t, variants, gate),
        }
    }

    fn struct_def(
        &self,
        t: &TypeDef,
        fields: &[Field],
        scope: Scope,
        gate: &TokenStream,
        withheld: bool,
    ) -> TokenStream {
        let name = ident(&t.name);
        let doc = docs(t.description.as_deref().unwrap_or(&t.name));
        let default = t.default.then(|| quote!(Default,));
        let all_fields = fields;
        let fields = fields.iter().map(|f| {
            let id = ident(&f.ident);
            let mut ty = self.ty(&f.ty, scope);
            if !f.required {
                ty = if scope.prelude {
                    quote!(Option<#ty>)
                } else {
                    quote!(::std::option::Option<#ty>)
                };
            }
            let doc = docs(&field_doc(f, t.xml));
            let deprecated = f.deprecated.then(|| quote!(#[deprecated]));
            quote! {
                #doc
                #deprecated
                pub #id: #ty
            }
        });
        // `Serialize` and `Deserialize` are not derived: the runtime's `json_object!` writes both
        // from one line per field (see `runtime/object.rs`), a fraction of serde_derive's
        // expansion, which was most of the crate's compile time. Only body fields are written
        // (query parameters, headers and form parts travel elsewhere); every field is read back
        // by its wire name. An APIv2 struct is XML: `xml_object!`, from one line per field too.
        let call = if t.xml {
            layout_macro(&self.private, "xml_object", &t.name, &xml_rows(all_fields))
        } else {
            layout_macro(&self.private, "json_object", &t.name, &json_rows(all_fields))
        };
        let new = (!t.default).then(|| self.constructor(t, all_fields, scope, gate));
        let private = &self.private;
        let (derive_debug, debug) = if withheld {
            (TokenStream::new(), quote! { #gate #private::withheld_debug!(#name); })
        } else {
            (quote!(Debug,), TokenStream::new())
        };
        quote! {
            #doc
            #gate
            #[derive(Clone, #derive_debug PartialEq, #default)]
            #[non_exhaustive]
            pub struct #name {
                #(#fields,)*
            }

            #gate
            #call
            #debug
            #new
        }
    }

    /// A struct with required fields has no `Default`: its required fields are given by name
    /// in a struct of their own (`<Name>Required`, a plain literal: a missing one is a compile
    /// error, and no two can be swapped unseen), which `new` takes; every optional field starts
    /// `None` and is set by name afterwards (`with`, from the runtime's object macros).
    fn constructor(&self, t: &TypeDef, fields: &[Field], scope: Scope, gate: &TokenStream) -> TokenStream {
        let name = ident(&t.name);
        let required_name = ident(&required_struct_name(&t.name));
        let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
        let decl = required.iter().map(|f| {
            let id = ident(&f.ident);
            let ty = self.ty(&f.ty, scope);
            let doc = docs(&field_doc(f, t.xml));
            quote! {
                #doc
                pub #id: #ty
            }
        });
        let taken = required.iter().map(|f| ident(&f.ident));
        let none = if scope.prelude {
            quote!(None)
        } else {
            quote!(::core::option::Option::None)
        };
        let inits = fields.iter().map(|f| {
            let id = ident(&f.ident);
            if f.required {
                quote!(#id)
            } else {
                quote!(#id: #none)
            }
        });
        let list: Vec<String> = required.iter().map(|f| format!("`{}`", f.ident)).collect();
        let struct_doc = docs(&format!(
            "The required fields of [`{}`], each given by name (all of them: a missing one does not compile); [`{}::new`] takes them.",
            t.name, t.name
        ));
        let mut text = format!(
            "A `{}` of its required fields ({}), given by name in a [`{}`].",
            t.name,
            list.join(", "),
            required_struct_name(&t.name)
        );
        if let Some(opt) = fields.iter().find(|f| !f.required).map(|f| f.ident.as_str()) {
            text.push_str(&format!(
                " Every optional field is `None`; set one by name: `.with(|r| r.{opt} = Some(…))`."
            ));
        }
        let doc = docs(&text);
        let deprecated = required
            .iter()
            .any(|f| f.deprecated)
            .then(|| quote!(#[allow(deprecated)]));
        quote! {
            #struct_doc
            #gate
            pub struct #required_name {
                #(#decl,)*
            }

            #gate
            impl #name {
                #doc
                #[inline]
                #deprecated
                pub fn new(required: #required_name) -> Self {
                    let #required_name { #(#taken),* } = required;
                    Self { #(#inits),* }
                }
            }
        }
    }

    fn enum_def(&self, t: &TypeDef, variants: &[ir::Variant], gate: &TokenStream) -> TokenStream {
        let rt = &self.rt;
        let name = ident(&t.name);
        let mut text = t.description.clone().unwrap_or_else(|| t.name.clone());
        text.push_str(&format!(
            "\nA value this client does not know yet is kept as [`{}::Unknown`] instead of failing: match with a wildcard arm to stay forward compatible.",
            t.name
        ));
        let doc = docs(&text);
        let idents: Vec<String> = variants.iter().map(|v| v.ident.clone()).collect();
        let idents = crate::naming::without_enum_name(&t.name, &idents);
        let decl = variants.iter().zip(&idents).map(|(v, id)| {
            let id = ident(id);
            // One line: the wire value, then its meaning.
            let text = match &v.description {
                Some(d) => format!("`{}`: {}", v.value, d.replace('\n', " ")),
                None => format!("`{}`", v.value),
            };
            let doc = docs(&text);
            quote!(#doc #id)
        });
        let lines: Vec<String> = variants
            .iter()
            .zip(&idents)
            .map(|(v, id)| format!("{} = {},", ident(id), proc_macro2::Literal::string(&v.value)))
            .collect();
        let call = layout_macro(&self.private, "json_enum", &t.name, &lines);
        let private = &self.private;
        let xml = t.xml.then(|| quote!(#gate #private::xml_enum!(#name);));
        quote! {
            #doc
            #gate
            #[derive(Clone, Debug, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #name {
                #(#decl,)*
                /// A value not listed in the spec, kept as received.
                Unknown(#rt::UnknownValue),
            }

            #gate
            #call
            #xml
        }
    }
}

/// The `json_object!` line of each field: Rust field, place (none for a body field), wire
/// name, presence.
fn json_rows(fields: &[Field]) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            let presence = if f.required { "required" } else { "optional" };
            let place = match f.kind {
                FieldKind::Body => "",
                FieldKind::Query => "query ",
                FieldKind::Header => "header ",
                FieldKind::Form => "form ",
            };
            let wire = proc_macro2::Literal::string(&f.wire);
            format!("{}: {place}{wire} {presence},", ident(&f.ident))
        })
        .collect()
}

/// The `xml_object!` line of each field of an APIv2 struct: Rust field, XML name (with `$n`
/// for a list), `required`/`optional`/`list`/`list2`, `cdata` or `text`.
fn xml_rows(fields: &[Field]) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            let kind = match (&f.ty, f.wire.contains('$')) {
                (Ty::Vec(inner), true) if matches!(**inner, Ty::Vec(_)) => "list2",
                (Ty::Vec(_), true) => "list",
                _ if f.required => "required",
                _ => "optional",
            };
            let how = if f.cdata { "cdata" } else { "text" };
            let wire = proc_macro2::Literal::string(&f.wire);
            format!("{}: {wire} {kind} {how},", ident(&f.ident))
        })
        .collect()
}

/// The struct of a type's required fields (`PostRequest` → `PostRequestRequired`). Nothing
/// reserves the name: a spec type of that name in the same module would not compile (none does
/// today).
pub(crate) fn required_struct_name(name: &str) -> String {
    format!("{name}Required")
}

fn field_doc(f: &Field, xml: bool) -> String {
    // The description, then one paragraph of facts (kept to one line: fewer doc attributes).
    let mut text = f.description.clone().unwrap_or_else(|| format!("`{}`", f.wire));
    let mut facts: Vec<String> = Vec::new();
    match f.kind {
        FieldKind::Query => facts.push(format!("Query parameter `{}`.", f.wire)),
        FieldKind::Header => facts.push(format!("Header `{}`.", f.wire)),
        FieldKind::Form => facts.push(format!("Form part `{}` of the upload.", f.wire)),
        FieldKind::Body => {}
    }
    match f.fill {
        Some(ir::Fill::Mchid) => facts.push("Left out (`None`), the client's merchant id (`ClientBuilder::mchid`) is sent.".into()),
        Some(ir::Fill::Appid) => facts.push("Left out (`None`), the client's APPID (`ClientBuilder::appid`) is sent; without one the call fails before anything is sent.".into()),
        None => {}
    }
    if f.sensitive && xml {
        // The example is a ciphertext; the caller gives the plain text.
        facts.push("Sensitive: give it in plain text; it is sent RSA-encrypted with the key of `risk/getpublickey` (`ClientBuilder::apiv2_rsa_public_key_pem`).".into());
    } else if f.sensitive {
        facts.push("Sensitive: encrypted with the WeChat Pay public key before sending.".into());
    }
    if let Some(e) = f.example.as_ref().filter(|_| !(f.sensitive && xml)) {
        if e.len() <= 120 && !e.contains('\n') && !e.contains('`') {
            facts.push(format!("Example: `{e}`"));
        }
    }
    if !facts.is_empty() {
        text.push('\n');
        text.push_str(&facts.join(" "));
    }
    for (value, meaning) in &f.int_values {
        text.push('\n');
        text.push_str(&match meaning {
            Some(m) => format!("- `{value}`: {m}"),
            None => format!("- `{value}`"),
        });
    }
    text
}
