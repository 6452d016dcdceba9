//! Identical shapes, emitted once. The public description declares every object inline, so the
//! same shape recurs across operations (an amount, a payer, a `GetRequest { mchid }`): 4,330
//! structs and enums with about half as many distinct shapes. Within an API group, the first
//! type of a shape is emitted as usual and every later one as a type alias of it
//! (`pub type GetResponseAmount = crate::v3::pay::…::PostRequestAmount;`): the same name, fields,
//! struct literals and patterns for the user, half the types for the compiler.
//!
//! Two types share a shape when everything the emitted struct or enum says is the same: fields
//! (wire and Rust names, types, required or not, where they travel, docs, marks) or variants, and
//! the shapes of the nested types they use. The type's own description is not part of it: an
//! alias keeps its own doc. Shared types (`spec/types/`) are already shared and are left alone.
//! The first type in tree order is the one emitted, so the output is deterministic.

use std::collections::HashMap;

use crate::ir::{Api, Node, Ty, TypeDef, TypeKind};

/// The aliases: (node URL, type name) → the path of the emitted type, from the API root
/// (module names, then the type name).
#[derive(Debug, Default)]
pub struct Aliases {
    map: HashMap<(String, String), Vec<String>>,
}

impl Aliases {
    /// Finds the repeated shapes of every API group (a child of a root: `/v3/pay`, `/hk/v3`).
    pub fn find(api: &Api) -> Aliases {
        let mut out = Aliases::default();
        for root in &api.root.children {
            for group in &root.children {
                let mut first: HashMap<String, Vec<String>> = HashMap::new();
                let path = vec![root.module.clone()];
                out.walk(group, &path, &mut first);
            }
        }
        out
    }

    /// The emitted type that `name` of `node` is an alias of, if it is one.
    pub fn target(&self, node: &Node, name: &str) -> Option<&[String]> {
        self.map.get(&(node.url.clone(), name.to_string())).map(Vec::as_slice)
    }

    /// How many types are aliases.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no type is an alias.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn walk(&mut self, node: &Node, parent: &[String], first: &mut HashMap<String, Vec<String>>) {
        let mut path = parent.to_vec();
        path.push(node.module.clone());
        let mut keys: HashMap<&str, String> = HashMap::new();
        for t in &node.types {
            let key = shape(t, &node.types, &mut keys);
            match first.get(&key) {
                Some(target) => {
                    self.map.insert((node.url.clone(), t.name.clone()), target.clone());
                }
                None => {
                    let mut target = path.clone();
                    target.push(t.name.clone());
                    first.insert(key, target);
                }
            }
        }
        for c in &node.children {
            self.walk(c, &path, first);
        }
    }
}

/// The shape of `t` as a string (nested types of the same node by their own shape).
fn shape<'a>(t: &'a TypeDef, types: &'a [TypeDef], keys: &mut HashMap<&'a str, String>) -> String {
    if let Some(k) = keys.get(t.name.as_str()) {
        return k.clone();
    }
    // Nested types are trees (inline objects); should one ever refer back to itself, it gets a
    // shape of its own name rather than an endless recursion.
    keys.insert(&t.name, format!("recursive {}", t.name));
    // The parts, each ended by a NUL (which no name or description holds): no escaping needed.
    fn part(k: &mut String, s: &str) {
        k.push_str(s);
        k.push('\0');
    }
    let mut k = String::with_capacity(256);
    match &t.kind {
        TypeKind::Enum(variants) => {
            part(&mut k, "enum");
            for v in variants {
                part(&mut k, &v.value);
                part(&mut k, &v.ident);
                part(&mut k, v.description.as_deref().unwrap_or("\u{1}"));
            }
        }
        TypeKind::Struct(fields) => {
            part(&mut k, if t.default { "struct default" } else { "struct" });
            for f in fields {
                part(&mut k, &f.wire);
                part(&mut k, &f.ident);
                let ty = ty_shape(&f.ty, types, keys);
                part(&mut k, &ty);
                part(&mut k, &format!("{} {:?} {} {}", f.required, f.kind, f.deprecated, f.sensitive));
                part(&mut k, f.description.as_deref().unwrap_or("\u{1}"));
                part(&mut k, f.example.as_deref().unwrap_or("\u{1}"));
                for (value, meaning) in &f.int_values {
                    part(&mut k, value);
                    part(&mut k, meaning.as_deref().unwrap_or("\u{1}"));
                }
                part(&mut k, "\u{2}");
            }
        }
    }
    let key = k;
    keys.insert(&t.name, key.clone());
    key
}

fn ty_shape<'a>(ty: &Ty, types: &'a [TypeDef], keys: &mut HashMap<&'a str, String>) -> String {
    match ty {
        Ty::Vec(inner) => format!("Vec<{}>", ty_shape(inner, types, keys)),
        Ty::Local(name) => match types.iter().find(|t| t.name == *name) {
            Some(t) => format!("({})", shape(t, types, keys)),
            None => format!("local {name}"),
        },
        Ty::Shared(name) => format!("shared {name}"),
        other => format!("{other:?}"),
    }
}
