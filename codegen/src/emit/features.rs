//! API groups as cargo features: the feature of each group, and of each shared type (the
//! features whose code uses it).

use std::collections::{BTreeMap, BTreeSet};

use super::literal;
use crate::ir::{self, Api, Node, ResponseKind, Ty, TypeDef, TypeKind};

/// The cargo feature of each API group, by the group node's URL: the segment after `/v3/`
/// (`/v3/pay` → `pay`), or the root for the other roots (`/hk` → `hk`, `/global` → `global`,
/// which it shares with `/v3/global`: both are the cross-border API).
pub fn group_features(api: &Api) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in &api.root.children {
        if literal(r) == "v3" {
            for g in &r.children {
                out.insert(g.url.clone(), feature_name(&literal(g)));
            }
        } else {
            out.insert(r.url.clone(), feature_name(&literal(r)));
        }
    }
    out
}

fn feature_name(segment: &str) -> String {
    segment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The features whose code uses each shared type (directly or through other shared types).
pub(super) fn shared_type_features(api: &Api, groups: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    fn refs(ty: &Ty, out: &mut BTreeSet<String>) {
        match ty {
            Ty::Shared(n) => {
                out.insert(n.clone());
            }
            Ty::Vec(t) | Ty::JsonText(t) => refs(t, out),
            _ => {}
        }
    }
    fn type_refs(t: &TypeDef, out: &mut BTreeSet<String>) {
        if let TypeKind::Struct(fields) = &t.kind {
            for f in fields {
                refs(&f.ty, out);
            }
        }
    }
    fn node_refs(n: &Node, out: &mut BTreeSet<String>) {
        for t in &n.types {
            type_refs(t, out);
        }
        for op in &n.ops {
            if let ResponseKind::Json(t) = &op.response {
                refs(t, out);
            }
        }
        for c in &n.children {
            node_refs(c, out);
        }
    }
    let shared: BTreeMap<&str, &TypeDef> = api.shared.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut visit = |url: &str, direct: BTreeSet<String>| {
        let feature = &groups[url];
        let mut stack: Vec<String> = direct.into_iter().collect();
        while let Some(name) = stack.pop() {
            let entry = used.entry(name.clone()).or_default();
            if !entry.insert(feature.clone()) {
                continue;
            }
            if let Some(t) = shared.get(name.as_str()) {
                let mut more = BTreeSet::new();
                type_refs(t, &mut more);
                stack.extend(more);
            }
        }
    };
    let node_direct = |node: &Node| {
        let mut direct = BTreeSet::new();
        node_refs(node, &mut direct);
        direct
    };
    for r in &api.root.children {
        if let Some(_f) = groups.get(&r.url) {
            visit(&r.url, node_direct(r));
        } else {
            for g in &r.children {
                if groups.contains_key(&g.url) {
                    visit(&g.url, node_direct(g));
                }
            }
        }
    }
    // A notification's own types count as its group's.
    for n in &api.notifications {
        if let (ir::NotificationResource::Own(types), true) = (&n.resource, groups.contains_key(&n.group)) {
            let mut direct = BTreeSet::new();
            for t in types {
                type_refs(t, &mut direct);
            }
            visit(&n.group, direct);
        }
    }
    used
}

/// The `cfg` predicates of an item that only `features` use (any of them; `full` when none,
/// as for the shared types no group uses).
pub(super) fn cfg_any(features: &BTreeSet<String>) -> Vec<String> {
    if features.is_empty() {
        return vec![feature_predicate("full")];
    }
    features.iter().map(|f| feature_predicate(f)).collect()
}

/// `feature = "…"`.
pub(super) fn feature_predicate(feature: &str) -> String {
    format!("feature = {feature:?}")
}
