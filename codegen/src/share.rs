//! Identical shapes, emitted once under a neutral name. The public description declares every
//! object inline, so the same shape recurs across operations (an amount, a payer, a
//! `GetRequest { mchid }`): ~6,000 structs and enums with about half as many distinct shapes.
//! Within an API group, a shape that occurs twice or more is emitted once, in the group's
//! `models` module, under a name of its own (`models::Amount`, `models::PrepayIdResponse`), and
//! every type of that shape becomes a type alias of it
//! (`pub type PostRequestAmount = crate::v3::pay::models::Amount;`): every documented name works
//! in `new`, `default()` and patterns, and `Debug`, error messages and rustdoc show the neutral
//! name, never another operation's.
//!
//! Two types share a shape when everything the emitted struct or enum says is the same: fields
//! (wire and Rust names, types, required or not, where they travel, docs, marks) or variants, and
//! the shapes of the nested types they use. The type's own description is not part of it: an
//! alias keeps its own doc. Shared types (`spec/types/`) are already shared and are left alone.
//!
//! Names (deterministic: shapes are named in the tree order of their first occurrence, and a
//! name is taken by the first shape that asks for it):
//! - a nested type is named after the property that holds it (`amount` → `Amount`); when that is
//!   taken, `Request`/`Response` + it (`ResponseAmount`), then its whole path
//!   (`ResponsePromotionDetailGoodsDetail`);
//! - a request or response itself after its fields and side, those that say what it is about
//!   before those that say who calls (`mchid`, `appid`, `sub_mch_id`, …) or belong to the
//!   protocol (`version`, `nonce_str`): `TransactionIdRequest`, then
//!   `TransactionIdOutTradeNoRequest` (one more field each time); `MchidRequest` when that is all;
//! - then either after the resource of its first use, the URL's literal segments below the group
//!   (`/v3/profitsharing/orders/{out_order_no}`: `OrdersState`, then with the segment above
//!   it; a segment that only names the key that follows, `id/{transaction_id}`, is skipped),
//!   and only when all are taken numbered (`…2`);
//! - a flag enum (two to four values of one or two characters: `Y`/`N`) whose uses are held by
//!   fields of different names is named by its values first (`YOrN`), not after one of them.

use std::collections::{HashMap, HashSet};

use crate::error::Error;
use crate::ir::{Api, Node, Ty, TypeDef, TypeKind};
use crate::naming;

/// The module of a group that holds its shared shapes.
pub const MODELS: &str = "models";

/// The shared shapes of the whole API.
#[derive(Debug, Default)]
pub struct Aliases {
    /// (node URL, type name) → the path of the shared type, from the API root (module names,
    /// then the type name).
    map: HashMap<(String, String), Vec<String>>,
    /// Group URL → the module name (`models`, or `models_` beside a URL segment of that name)
    /// and the shared types to emit in it, in order.
    models: HashMap<String, (String, Vec<TypeDef>)>,
}

/// One type of a group, where it is.
struct Occurrence<'a> {
    node: &'a Node,
    def: &'a TypeDef,
}

impl Aliases {
    /// Finds the repeated shapes of every API group (a child of a root: `/v3/pay`, `/hk/v3`).
    pub fn find(api: &Api) -> Result<Aliases, Error> {
        // Groups share nothing: each is done on its own, on all cores, and the results merged.
        let groups: Vec<(&str, &Node)> = api
            .root
            .children
            .iter()
            .flat_map(|root| root.children.iter().map(move |g| (root.module.as_str(), g)))
            .collect();
        let found = crate::par::map_in_order(
            &groups,
            "shared shapes",
            || Ok(()),
            |_, (root, group)| {
                let mut one = Aliases::default();
                one.group(root, group);
                Ok(one)
            },
        )?;
        let mut out = Aliases::default();
        for one in found {
            out.map.extend(one.map);
            out.models.extend(one.models);
        }
        Ok(out)
    }

    /// The shared type that `name` of `node` is an alias of, if it is one.
    pub fn target(&self, node: &Node, name: &str) -> Option<&[String]> {
        self.map.get(&(node.url.clone(), name.to_string())).map(Vec::as_slice)
    }

    /// The module of a group's shared types and the types, when it has any.
    pub fn models(&self, group: &Node) -> Option<(&str, &[TypeDef])> {
        self.models
            .get(&group.url)
            .map(|(m, defs)| (m.as_str(), defs.as_slice()))
    }

    /// How many types are aliases of a shared one.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no type is an alias.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn group(&mut self, root_module: &str, group: &Node) {
        // Every type of the group, in tree order, by shape.
        let mut nodes = Vec::new();
        walk(group, &mut nodes);
        let mut shapes = Shapes::default();
        let mut order: Vec<usize> = Vec::new();
        let mut by_shape: HashMap<usize, Vec<Occurrence<'_>>> = HashMap::new();
        let mut shape_of: HashMap<(&str, &str), usize> = HashMap::new();
        for node in &nodes {
            let mut done = HashMap::new();
            for def in &node.types {
                let key = shapes.of(def, &node.types, &mut done);
                shape_of.insert((node.url.as_str(), def.name.as_str()), key);
                let list = by_shape.entry(key).or_default();
                if list.is_empty() {
                    order.push(key);
                }
                list.push(Occurrence { node, def });
            }
        }
        // Names, in the order shapes first occur.
        let module = if group.children.iter().any(|c| c.module == MODELS) {
            format!("{MODELS}_")
        } else {
            MODELS.to_string()
        };
        let mut taken: HashSet<String> = HashSet::new();
        let mut names: HashMap<usize, String> = HashMap::new();
        for key in &order {
            let uses = &by_shape[key];
            if uses.len() < 2 {
                continue;
            }
            let first = &uses[0];
            let mut options = candidates(first.def, &first.node.types, &first.node.url);
            // An enum whose uses are held by fields of different names (`deposit`,
            // `sub_is_subscribe`: both Y/N) is named by its values, not by one of them.
            if let Some(by_values) = values_name(first.def, uses) {
                options.insert(0, by_values);
            }
            let name = options.iter().find(|c| taken.insert((*c).clone())).cloned();
            let name = name.unwrap_or_else(|| {
                let base = options.last().expect("at least one candidate");
                (2..)
                    .map(|n| format!("{base}{n}"))
                    .find(|c| taken.insert(c.clone()))
                    .expect("a free name")
            });
            names.insert(*key, name);
        }
        // The shared definitions (nested types renamed to their shared names) and the aliases.
        let mut models = Vec::new();
        for key in &order {
            let Some(name) = names.get(key) else { continue };
            let uses = &by_shape[key];
            let first = &uses[0];
            let mut def = first.def.clone();
            def.name = name.clone();
            def.description = Some(description(first.def, uses));
            if let TypeKind::Struct(fields) = &mut def.kind {
                for f in fields {
                    rename(&mut f.ty, &|local: &str| {
                        let k = &shape_of[&(first.node.url.as_str(), local)];
                        names.get(k).cloned()
                    });
                }
            }
            models.push(def);
            for u in uses {
                let path = vec![
                    root_module.to_string(),
                    group.module.clone(),
                    module.clone(),
                    name.clone(),
                ];
                self.map.insert((u.node.url.clone(), u.def.name.clone()), path);
            }
        }
        if !models.is_empty() {
            self.models.insert(group.url.clone(), (module, models));
        }
    }
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

/// The request or response an operation type belongs to, and the rest of its name:
/// `PostResponsePromotionDetail` → (`Response`, `PromotionDetail`).
fn side(name: &str) -> Option<(&'static str, &str)> {
    // The inverse of `naming::request_type` / `naming::response_type`.
    for method in ["get", "post", "put", "patch", "delete"] {
        for (side, prefix) in [
            ("Request", naming::request_type(method)),
            ("Response", naming::response_type(method)),
        ] {
            if let Some(rest) = name.strip_prefix(prefix.as_str()) {
                return Some((side, rest));
            }
        }
    }
    None
}

/// The names a shared shape may take, most neutral first (see the module docs).
fn candidates(def: &TypeDef, siblings: &[TypeDef], url: &str) -> Vec<String> {
    let plain = plain_candidates(def, siblings);
    let mut out = plain.clone();
    // Then after the resource it belongs to: the URL's literal segments below the group,
    // nearest first (`/v3/profitsharing/orders/{out_order_no}`: `OrdersState`), rather than a
    // number.
    let base = out.last().cloned().unwrap_or_default();
    let (side_name, rest) = match side(&def.name) {
        Some((side, rest)) if !rest.is_empty() => (side, rest.to_string()),
        _ => ("", base),
    };
    let mut prefix = String::new();
    for segment in resource_segments(url) {
        prefix = format!("{}{prefix}", naming::type_name(segment));
        out.push(format!("{prefix}{rest}"));
        if !side_name.is_empty() {
            out.push(format!("{prefix}{side_name}{rest}"));
        }
    }
    // An enum held by a field of a generic name (`state`, `type`, …) says what it is only with
    // its resource: `TransferBillsState` before a bare `State`.
    let generic = plain.first().is_some_and(|p| GENERIC.contains(&p.as_str()));
    if generic && matches!(def.kind, TypeKind::Enum(_)) {
        let (resource, own): (Vec<String>, Vec<String>) = out.into_iter().partition(|c| !plain.contains(c));
        out = resource.into_iter().chain(own).collect();
    }
    out
}

/// The name of a flag enum by its values (`Y`, `N` → `YOrN`), when its uses are held by fields
/// of more than one name (so that no one of them names it) and it has two to four values of at
/// most two characters each; otherwise `None`.
fn values_name(def: &TypeDef, uses: &[Occurrence<'_>]) -> Option<String> {
    let TypeKind::Enum(variants) = &def.kind else {
        return None;
    };
    // Flags (`Y`/`N`, `0`/`1`): values too short to be a name of their own concept.
    if !(2..=4).contains(&variants.len()) || variants.iter().any(|v| v.value.chars().count() > 2) {
        return None;
    }
    let holders: HashSet<Option<String>> = uses.iter().map(|u| holder_name(u.def, &u.node.types)).collect();
    if holders.len() < 2 {
        return None;
    }
    let names: Vec<String> = variants
        .iter()
        .map(|v| naming::type_name(&v.value.to_ascii_lowercase()))
        .collect();
    let name = names.join("Or");
    name.starts_with(|c: char| c.is_ascii_uppercase()).then_some(name)
}

/// The name of the field that holds `def` among its siblings, PascalCase.
fn holder_name(def: &TypeDef, siblings: &[TypeDef]) -> Option<String> {
    siblings.iter().find_map(|t| match &t.kind {
        TypeKind::Struct(fields) => fields
            .iter()
            .find(|f| holds(&f.ty, &def.name))
            .map(|f| naming::type_name(&f.wire)),
        TypeKind::Enum(_) => None,
    })
}

/// Fields of a request or response that say who calls, or belong to the protocol, not to what
/// the operation is about: last in a name made of fields.
const CALLER_FIELDS: &[&str] = &[
    "mchid",
    "sp_mchid",
    "sub_mchid",
    "mch_id",
    "sub_mch_id",
    "appid",
    "sp_appid",
    "sub_appid",
    "mch_appid",
    "version",
    "nonce_str",
    "sign",
    "sign_type",
];

/// Field names that do not say what their enum is about without its resource.
const GENERIC: &[&str] = &[
    "Type", "State", "Status", "Result", "Mode", "Kind", "Scene", "Channel", "Reason",
];

/// The literal segments of `url` below its group that name a resource, nearest first
/// (`/v3/profitsharing/orders/{out_order_no}/returns` → `returns`, `orders`). A segment that
/// only says which key follows (`id/{transaction_id}`, `out-bill-no/{out_bill_no}`) is left out.
fn resource_segments(url: &str) -> Vec<&str> {
    let segments: Vec<&str> = url.split('/').filter(|s| !s.is_empty()).collect();
    let mut literal = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if segment.starts_with('{') {
            continue;
        }
        let key = segments
            .get(i + 1)
            .and_then(|next| next.strip_prefix('{'))
            .map(|p| p.trim_end_matches('}'))
            .is_some_and(|placeholder| placeholder.ends_with(&segment.replace('-', "_")));
        if !key {
            literal.push(*segment);
        }
    }
    // The root (`v3`, `hk/v3`, `global`, `v2`) and the group are the module path already.
    let skip = if literal.first() == Some(&"hk") { 3 } else { 2 };
    literal.into_iter().skip(skip).rev().collect()
}

/// The names after the shape's own place: its holder, its side, its type name.
fn plain_candidates(def: &TypeDef, siblings: &[TypeDef]) -> Vec<String> {
    let (side, rest) = side(&def.name).unwrap_or(("", def.name.as_str()));
    if rest.is_empty() {
        // A request or response itself: after its fields, those that say what it is about
        // first (`TransactionIdOutTradeNoRequest`, not `VersionRequest`): who calls (`mchid`,
        // `appid`, …) and the protocol's own fields say nothing of it.
        let fields: Vec<String> = match &def.kind {
            TypeKind::Struct(fields) => {
                let (who, what): (Vec<_>, Vec<_>) =
                    fields.iter().partition(|f| CALLER_FIELDS.contains(&f.wire.as_str()));
                what.into_iter()
                    .chain(who)
                    .map(|f| naming::type_name(&f.wire))
                    .collect()
            }
            TypeKind::Enum(_) => Vec::new(),
        };
        if fields.is_empty() {
            return vec![format!("Empty{side}")];
        }
        return (1..=fields.len())
            .map(|n| format!("{}{side}", fields[..n].concat()))
            .collect();
    }
    let mut out = Vec::new();
    // The property that holds it (a field of the sibling whose type it is).
    if let Some(p) = holder_name(def, siblings) {
        out.push(p.clone());
        out.push(format!("{side}{p}"));
    }
    out.push(format!("{side}{rest}"));
    out
}

fn holds(ty: &Ty, name: &str) -> bool {
    match ty {
        Ty::Local(n) => n == name,
        Ty::Vec(t) | Ty::JsonText(t) => holds(t, name),
        _ => false,
    }
}

fn rename(ty: &mut Ty, to: &dyn Fn(&str) -> Option<String>) {
    match ty {
        Ty::Local(n) => {
            if let Some(shared) = to(n) {
                *n = shared;
            }
        }
        Ty::Vec(t) | Ty::JsonText(t) => rename(t, to),
        _ => {}
    }
}

/// The doc of a shared type: its own description (unless it is the generated line of one
/// operation's request or response), then where the shape is used.
fn description(first: &TypeDef, uses: &[Occurrence<'_>]) -> String {
    let own = first
        .description
        .as_deref()
        .filter(|d| !(d.starts_with("The request of `") || d.starts_with("The response of `")));
    let mut text = match own {
        Some(d) => format!("{d}\n\n"),
        None => String::new(),
    };
    const SHOWN: usize = 8;
    let list: Vec<String> = uses
        .iter()
        .take(SHOWN)
        .map(|u| format!("`{}` in `{}`", u.def.name, u.node.url))
        .collect();
    text.push_str(&format!("Used as {}", list.join(", ")));
    if uses.len() > SHOWN {
        text.push_str(&format!(" and {} more", uses.len() - SHOWN));
    }
    text.push('.');
    text
}

/// The shapes of one group, each by a number: a shape is everything the IR says of a type but
/// its own name and description, with each nested type of the same node replaced by its shape's
/// number. It is compared with the IR's derived `Eq` and `Hash`, not listed field by field, so a
/// field added to the IR is part of the shape without a change here.
#[derive(Default)]
struct Shapes {
    ids: HashMap<TypeDef, usize>,
}

impl Shapes {
    /// The shape of `t` (`done`: the shapes of the node's types found so far, `None` while one
    /// is being found).
    fn of<'a>(&mut self, t: &'a TypeDef, types: &'a [TypeDef], done: &mut HashMap<&'a str, Option<usize>>) -> usize {
        if let Some(Some(id)) = done.get(t.name.as_str()) {
            return *id;
        }
        done.insert(&t.name, None);
        let mut def = TypeDef {
            name: String::new(),
            description: None,
            ..t.clone()
        };
        if let TypeKind::Struct(fields) = &mut def.kind {
            for f in fields {
                self.nest(&mut f.ty, types, done);
            }
        }
        let next = self.ids.len();
        let id = *self.ids.entry(def).or_insert(next);
        done.insert(&t.name, Some(id));
        id
    }

    /// Replaces the name of a nested type in `ty` by its shape's number.
    fn nest<'a>(&mut self, ty: &mut Ty, types: &'a [TypeDef], done: &mut HashMap<&'a str, Option<usize>>) {
        match ty {
            Ty::Vec(inner) | Ty::JsonText(inner) => self.nest(inner, types, done),
            Ty::Local(name) => {
                // Nested types are trees (inline objects); should one ever refer back to
                // itself, it keeps its name rather than recursing without end.
                let in_progress = matches!(done.get(name.as_str()), Some(None));
                if let (false, Some(t)) = (in_progress, types.iter().find(|t| t.name == *name)) {
                    *name = format!("#{}", self.of(t, types, done));
                }
            }
            _ => {}
        }
    }
}
