//! Types: how a spec type is written in Rust, and the structs and enums of the IR.

use proc_macro2::TokenStream;

use super::{ident, Emitter};
use crate::ir::{self, Field, FieldKind, Ty, TypeDef, TypeKind};
use crate::print::{Item, Items};

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

    fn option(self, ty: &str) -> String {
        if self.prelude {
            format!("Option<{ty}>")
        } else {
            format!("::std::option::Option<{ty}>")
        }
    }
}

/// How the code of a module names the Rust types of spec types.
pub(super) struct TypeNames<'a> {
    /// `Option`, `String` and `Vec` by their short names (else by full paths).
    pub prelude: bool,
    /// Written before the name of a type of the operation's own module (`""` there).
    pub local: &'a str,
    /// Written before the name of a shared type (`crate::types::`, `""` in `types`).
    pub shared: &'a str,
    /// The runtime's path (`::wechatpay::runtime`).
    pub runtime: &'a str,
}

impl TypeNames<'_> {
    /// The Rust type of `ty`.
    pub(super) fn write(&self, ty: &Ty) -> String {
        match ty {
            Ty::String if self.prelude => "String".into(),
            Ty::String => "::std::string::String".into(),
            Ty::I32 => "i32".into(),
            Ty::I64 => "i64".into(),
            Ty::U32 => "u32".into(),
            Ty::U64 => "u64".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool => "bool".into(),
            Ty::Json => "::serde_json::Value".into(),
            Ty::Vec(t) if self.prelude => format!("Vec<{}>", self.write(t)),
            Ty::Vec(t) => format!("::std::vec::Vec<{}>", self.write(t)),
            Ty::JsonText(t) => format!("{}::JsonText<{}>", self.runtime, self.write(t)),
            Ty::Local(n) => format!("{}{n}", self.local),
            Ty::Shared(n) => format!("{}{n}", self.shared),
        }
    }
}

impl Emitter {
    /// A Rust type, written as code in `scope` refers to it.
    pub(super) fn ty_text(&self, ty: &Ty, scope: Scope) -> String {
        TypeNames {
            prelude: scope.prelude,
            local: "",
            shared: if scope.shared { "" } else { &self.text.types },
            runtime: &self.text.rt,
        }
        .write(ty)
    }

    /// [`ty_text`](Self::ty_text) as tokens.
    pub(super) fn ty(&self, ty: &Ty, scope: Scope) -> TokenStream {
        self.ty_text(ty, scope)
            .parse()
            .expect("a type the emitter writes lexes")
    }

    /// A struct or enum with its impls, each item behind `gate` (`cfg` predicates, any of
    /// which enables it; none: always there).
    pub(super) fn type_def(&self, items: &mut Items, t: &TypeDef, scope: Scope, gate: &[String]) {
        match &t.kind {
            TypeKind::Struct(fields) => self.struct_def(items, t, fields, scope, gate, false),
            TypeKind::Enum(variants) => self.enum_def(items, t, variants, gate),
        }
    }

    /// [`type_def`](Self::type_def) of a type of decrypted personal data (a notification's
    /// own resource): a struct's `Debug` shows its name, never its values.
    pub(super) fn withheld_type_def(&self, items: &mut Items, t: &TypeDef, scope: Scope, gate: &[String]) {
        match &t.kind {
            TypeKind::Struct(fields) => self.struct_def(items, t, fields, scope, gate, true),
            TypeKind::Enum(variants) => self.enum_def(items, t, variants, gate),
        }
    }

    /// A type of the same shape as one emitted before: an alias of `target`, a path below the
    /// root (see [`crate::share`]), and of its required fields' struct under the matching name.
    pub(super) fn alias(&self, items: &mut Items, t: &TypeDef, target: &[String]) {
        let root = &self.text.root;
        let mut alias = items.item();
        alias.doc(t.description.as_deref().unwrap_or(&t.name));
        alias.raw_line(&format!("pub type {} = {root}::{};", t.name, target.join("::")));
        if matches!(t.kind, TypeKind::Struct(_)) && !t.default {
            let (last, parents) = target.split_last().expect("an alias has a target");
            let mut path: Vec<&str> = parents.iter().map(String::as_str).collect();
            let target_required = required_struct_name(last);
            path.push(&target_required);
            alias.doc(&format!("The required fields of [`{}`].", t.name));
            alias.raw_line(&format!(
                "pub type {} = {root}::{};",
                required_struct_name(&t.name),
                path.join("::")
            ));
        }
        items.push(alias);
    }

    fn struct_def(
        &self,
        items: &mut Items,
        t: &TypeDef,
        fields: &[Field],
        scope: Scope,
        gate: &[String],
        withheld: bool,
    ) {
        let mut def = items.item();
        def.doc(t.description.as_deref().unwrap_or(&t.name));
        def.cfg(gate);
        let debug = if withheld { "" } else { " Debug," };
        let default = if t.default { ", Default" } else { "" };
        def.line(&format!("#[derive(Clone,{debug} PartialEq{default})]"));
        def.line("#[non_exhaustive]");
        if fields.is_empty() {
            def.line(&format!("pub struct {} {{}}", t.name));
        } else {
            def.open(&format!("pub struct {} {{", t.name));
            for f in fields {
                def.doc(&field_doc(f, t.xml));
                if f.deprecated {
                    def.line("#[deprecated]");
                }
                let ty = self.ty_text(&f.ty, scope);
                let ty = if f.required { ty } else { scope.option(&ty) };
                def.field(&format!("pub {}: ", f.ident), &ty);
            }
            def.close("}");
        }
        items.push(def);
        // `Serialize` and `Deserialize` are not derived: the runtime's `json_object!` writes both
        // from one line per field (see `runtime/object.rs`), a fraction of serde_derive's
        // expansion, which was most of the crate's compile time. Only body fields are written
        // (query parameters, headers and form parts travel elsewhere); every field is read back
        // by its wire name. An APIv2 struct is XML: `xml_object!`, from one line per field too.
        let (mac, rows) = if t.xml {
            ("xml_object", xml_rows(fields))
        } else {
            ("json_object", json_rows(fields))
        };
        items.push(self.macro_call(items, gate, mac, &t.name, &rows));
        if withheld {
            let mut debug = items.item();
            debug.cfg(gate);
            debug.call(&format!("{}::withheld_debug", self.text.private), &t.name);
            items.push(debug);
        }
        if !t.default {
            self.constructor(items, t, fields, scope, gate);
        }
    }

    /// `<private>::mac!(Name { row … });`, one row per line.
    fn macro_call(&self, items: &Items, gate: &[String], mac: &str, name: &str, rows: &[String]) -> Item {
        let mut call = items.item();
        call.cfg(gate);
        let head = format!("{}::{mac}!({name} {{", self.text.private);
        if rows.is_empty() {
            call.raw_line(&format!("{head}}});"));
        } else {
            call.raw_line(&head);
            for r in rows {
                call.raw_line(&format!("    {r}"));
            }
            call.raw_line("});");
        }
        call
    }

    /// A struct with required fields has no `Default`: its required fields are given by name
    /// in a struct of their own (`<Name>Required`, a plain literal: a missing one is a compile
    /// error, and no two can be swapped unseen), which `new` takes; every optional field starts
    /// `None` and is set by name afterwards (`with`, from the runtime's object macros).
    fn constructor(&self, items: &mut Items, t: &TypeDef, fields: &[Field], scope: Scope, gate: &[String]) {
        let name = &t.name;
        let required_name = required_struct_name(name);
        let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
        let mut decl = items.item();
        decl.doc(&format!(
            "The required fields of [`{name}`], each given by name (all of them: a missing one does not compile); [`{name}::new`] takes them."
        ));
        decl.cfg(gate);
        decl.open(&format!("pub struct {required_name} {{"));
        for f in &required {
            decl.doc(&field_doc(f, t.xml));
            decl.field(&format!("pub {}: ", f.ident), &self.ty_text(&f.ty, scope));
        }
        decl.close("}");
        items.push(decl);

        let none = if scope.prelude {
            "None"
        } else {
            "::core::option::Option::None"
        };
        let taken: Vec<String> = required.iter().map(|f| f.ident.clone()).collect();
        let inits: Vec<String> = fields
            .iter()
            .map(|f| {
                if f.required {
                    f.ident.clone()
                } else {
                    format!("{}: {none}", f.ident)
                }
            })
            .collect();
        let list: Vec<String> = required.iter().map(|f| format!("`{}`", f.ident)).collect();
        let mut text = format!(
            "A `{name}` of its required fields ({}), given by name in a [`{required_name}`].",
            list.join(", "),
        );
        if let Some(opt) = fields.iter().find(|f| !f.required).map(|f| f.ident.as_str()) {
            text.push_str(&format!(
                " Every optional field is `None`; set one by name: `.with(|r| r.{opt} = Some(…))`."
            ));
        }
        let mut new = items.item();
        new.cfg(gate);
        new.open(&format!("impl {name} {{"));
        new.doc(&text);
        new.line("#[inline]");
        if required.iter().any(|f| f.deprecated) {
            new.line("#[allow(deprecated)]");
        }
        new.open(&format!("pub fn new(required: {required_name}) -> Self {{"));
        new.pattern(&format!("let {required_name} {{"), &taken, "} = required;");
        new.literal("Self {", &inits, "}");
        new.close("}");
        new.close("}");
        items.push(new);
    }

    fn enum_def(&self, items: &mut Items, t: &TypeDef, variants: &[ir::Variant], gate: &[String]) {
        let name = &t.name;
        let mut text = t.description.clone().unwrap_or_else(|| name.clone());
        text.push_str(&format!(
            "\nA value this client does not know yet is kept as [`{name}::Unknown`] instead of failing: match with a wildcard arm to stay forward compatible."
        ));
        let idents: Vec<String> = variants.iter().map(|v| v.ident.clone()).collect();
        let idents = crate::naming::without_enum_name(name, &idents);
        let mut def = items.item();
        def.doc(&text);
        def.cfg(gate);
        def.line("#[derive(Clone, Debug, PartialEq, Eq, Hash)]");
        def.line("#[non_exhaustive]");
        def.open(&format!("pub enum {name} {{"));
        for (v, id) in variants.iter().zip(&idents) {
            // One line: the wire value, then its meaning.
            def.doc(&match &v.description {
                Some(d) => format!("`{}`: {}", v.value, d.replace('\n', " ")),
                None => format!("`{}`", v.value),
            });
            def.line(&format!("{id},"));
        }
        def.doc("A value not listed in the spec, kept as received.");
        def.line(&format!("Unknown({}::UnknownValue),", self.text.rt));
        def.close("}");
        items.push(def);
        let rows: Vec<String> = variants
            .iter()
            .zip(&idents)
            .map(|(v, id)| format!("{id} = {},", proc_macro2::Literal::string(&v.value)))
            .collect();
        items.push(self.macro_call(items, gate, "json_enum", name, &rows));
        if t.xml {
            let mut xml = items.item();
            xml.cfg(gate);
            xml.call(&format!("{}::xml_enum", self.text.private), name);
            items.push(xml);
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
