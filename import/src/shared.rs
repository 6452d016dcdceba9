//! Which definitions become shared types (`types/*.yaml`) and under which names.
//!
//! The first pass records every `$ref` use of a definition entry ([`super::RefGraph`]); this
//! module counts the uses each definition would have in the output, picks the shared ones, names
//! them, and resolves name clashes. See the module docs of [`super`] for the policy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use indexmap::IndexMap;

use super::convert::convert_type;
use super::{DefKey, ImportError, Importer, HEADER};
use wechatpay_model::naming::type_name;
use wechatpay_model::spec::Schema;

/// The shared types of one import.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Definition → its shared type name (also the ones a hand-edited types file provides).
    pub names: HashMap<DefKey, String>,
    /// Types to write: file stem → definitions, sorted.
    pub files: BTreeMap<String, Vec<DefKey>>,
    /// How the plan was made, and every rename (one line each).
    pub notes: Vec<String>,
}

/// The type file stem of a definition's file: `definitions/Transaction.yaml` → `Transaction`;
/// another file (a same-file `#Name` in a path file) → its path with `-` (`v3-webhooks`).
pub(crate) fn stem(file: &str) -> String {
    let f = file.strip_suffix(".yaml").unwrap_or(file);
    match f.strip_prefix("definitions/") {
        Some(s) if !s.contains('/') => s.to_owned(),
        _ => f.replace('/', "-").replace(['{', '}'], ""),
    }
}

/// `PascalCase(stem) + PascalCase(name)`, a fixed point of [`type_name`].
fn prefixed(file: &str, name: &str) -> String {
    pascal(&format!("{}{}", type_name(&stem(file)), type_name(name)))
}

fn pascal(s: &str) -> String {
    let mut t = type_name(s);
    for _ in 0..4 {
        let u = type_name(&t);
        if u == t {
            break;
        }
        t = u;
    }
    t
}

/// Hand-written types files (without [`HEADER`]) in `to/types/`: stem → the names they define.
pub(crate) fn hand_types(to: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(to.join("types")) else {
        return out;
    };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if text.lines().next() == Some(HEADER) {
            continue;
        }
        let names: BTreeSet<String> = serde_yaml::from_str::<serde_yaml::Value>(&text)
            .ok()
            .and_then(|v| {
                v.as_mapping()
                    .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            })
            .unwrap_or_default();
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.insert(stem, names);
    }
    out
}

/// Uses of one definition in the output, given which definitions are shared.
#[derive(Clone, Copy, Default)]
struct Count {
    inst: usize,
    shared: bool,
}

struct Counter<'a> {
    /// Target → (enclosing definition, direct) of each use site.
    into: BTreeMap<&'a DefKey, Vec<(Option<&'a DefKey>, bool)>>,
    eligible: &'a BTreeMap<DefKey, bool>,
    /// Direct uses that the output merges into an allOf after all (measured by the last try).
    merged: &'a BTreeMap<DefKey, usize>,
    blocked: &'a BTreeSet<DefKey>,
    memo: HashMap<&'a DefKey, Count>,
    visiting: BTreeSet<&'a DefKey>,
}

impl<'a> Counter<'a> {
    /// How often `d` is used directly, and how many copies of its body the output holds.
    fn count(&mut self, d: &'a DefKey) -> Count {
        if let Some(c) = self.memo.get(d) {
            return *c;
        }
        if !self.visiting.insert(d) {
            return Count::default(); // a cycle (such operations are skipped anyway)
        }
        let (mut direct, mut inline) = (0, 0);
        let uses = self.into.get(d).cloned().unwrap_or_default();
        for (parent, is_direct) in uses {
            let n = match parent {
                None => 1,
                Some(p) => self.count(p).inst,
            };
            if is_direct {
                direct += n;
            } else {
                inline += n;
            }
        }
        self.visiting.remove(d);
        direct = direct.saturating_sub(self.merged.get(d).copied().unwrap_or(0));
        let shared = direct >= 2 && self.eligible.get(d).copied().unwrap_or(false) && !self.blocked.contains(d);
        let c = Count {
            inst: if shared { 1 } else { direct } + inline,
            shared,
        };
        self.memo.insert(d, c);
        c
    }
}

/// Decides the shared types and their names, in four steps: the base name of every definition
/// ([`BaseNames`]), which definitions are shared ([`choose_shared`]), their first names around
/// the hand-written ones ([`first_names`]), and the clashes with nested types resolved
/// ([`resolve_nested_clashes`]).
///
/// `merged`: per definition, the direct `$ref` uses that the last try of the second pass found
/// merged into an allOf with another definition of the same property (they are not uses).
pub(crate) fn plan(
    imp: &mut Importer,
    to: &Path,
    force: bool,
    merged: &BTreeMap<DefKey, usize>,
) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    let hand = hand_types(to);
    let base = BaseNames::new(imp)?;
    let chosen = choose_shared(imp, &hand, &base, force, merged, &mut plan.notes);
    for d in &chosen.provided {
        plan.notes.push(format!(
            "{}#{}: {} is taken from the hand-edited types/{}.yaml",
            d.0,
            d.1,
            base.of(d),
            stem(&d.0)
        ));
    }
    let taken = taken_names(&hand, &chosen.shared, force);
    let mut names = first_names(&chosen, &base, &taken, &mut plan.notes);
    resolve_nested_clashes(imp, &chosen, &taken, &mut names, &mut plan.notes)?;

    for d in &chosen.shared {
        if !chosen.provided.contains(d) {
            plan.files.entry(stem(&d.0)).or_default().push(d.clone());
        }
    }
    plan.names = names.into_iter().collect();
    imp.shared = Some(plan.names.clone());
    Ok(plan)
}

/// The PascalCase name of each definition, prefixed with its file's stem where definitions of
/// several files share it: every definition entry of `definitions/`, plus the (same-file)
/// entries reached elsewhere, grouped by name.
struct BaseNames {
    files_by_name: BTreeMap<String, BTreeSet<String>>,
}

impl BaseNames {
    fn new(imp: &mut Importer) -> Result<BaseNames, ImportError> {
        let mut all: BTreeSet<DefKey> = imp.graph.eligible.keys().cloned().collect();
        for rel in imp.definition_files()? {
            let src = imp.load(&rel)?;
            for k in src.value.as_mapping().into_iter().flat_map(|m| m.keys()) {
                if let Some(name) = super::key_string(k) {
                    all.insert((rel.clone(), name));
                }
            }
        }
        let mut files_by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (file, name) in all {
            files_by_name.entry(type_name(&name)).or_default().insert(file);
        }
        Ok(BaseNames { files_by_name })
    }

    fn of(&self, d: &DefKey) -> String {
        let n = type_name(&d.1);
        if self.files_by_name.get(&n).is_some_and(|files| files.len() > 1) {
            prefixed(&d.0, &d.1)
        } else {
            n
        }
    }
}

/// The shared definitions, and those of them a hand-edited types file provides.
struct Chosen {
    shared: BTreeSet<DefKey>,
    provided: BTreeSet<DefKey>,
}

/// Which definitions are shared (used directly from two places or more): a fixed point,
/// because a definition whose hand-edited types file lacks it is inlined instead, which
/// changes the counts below it.
fn choose_shared(
    imp: &Importer,
    hand: &BTreeMap<String, BTreeSet<String>>,
    base: &BaseNames,
    force: bool,
    merged: &BTreeMap<DefKey, usize>,
    notes: &mut Vec<String>,
) -> Chosen {
    let edges: Vec<(Option<DefKey>, DefKey, bool)> = imp
        .graph
        .edges
        .iter()
        .map(|((_, direct), (parent, child))| (parent.clone(), child.clone(), *direct))
        .collect();
    let eligible = &imp.graph.eligible;
    let mut blocked: BTreeSet<DefKey> = BTreeSet::new();
    loop {
        let mut into: BTreeMap<&DefKey, Vec<(Option<&DefKey>, bool)>> = BTreeMap::new();
        for (p, c, direct) in &edges {
            into.entry(c).or_default().push((p.as_ref(), *direct));
        }
        let mut counter = Counter {
            into,
            eligible,
            merged,
            blocked: &blocked,
            memo: HashMap::new(),
            visiting: BTreeSet::new(),
        };
        let mut shared: BTreeSet<DefKey> = BTreeSet::new();
        for d in eligible.keys() {
            if counter.count(d).shared {
                shared.insert(d.clone());
            }
        }
        let mut provided = BTreeSet::new();
        let mut more = false;
        for d in &shared {
            let st = stem(&d.0);
            let Some(names) = hand.get(&st).filter(|_| !force) else {
                continue;
            };
            if names.contains(&base.of(d)) {
                provided.insert(d.clone());
            } else {
                notes.push(format!(
                    "{}#{}: types/{st}.yaml is hand-edited and does not define {}: inlined at each use instead",
                    d.0,
                    d.1,
                    base.of(d)
                ));
                blocked.insert(d.clone());
                more = true;
            }
        }
        if !more {
            return Chosen { shared, provided };
        }
    }
}

/// Names taken by hand-written types files the import does not overwrite: name → stem.
fn taken_names(
    hand: &BTreeMap<String, BTreeSet<String>>,
    shared: &BTreeSet<DefKey>,
    force: bool,
) -> BTreeMap<String, String> {
    let written_stems: BTreeSet<String> = shared.iter().map(|d| stem(&d.0)).collect();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for (st, names) in hand {
        if force && written_stems.contains(st) {
            continue;
        }
        for n in names {
            taken.insert(n.clone(), st.clone());
        }
    }
    taken
}

/// Each shared definition's base name, prefixed with its file where a hand-written file
/// already has the name.
fn first_names(
    chosen: &Chosen,
    base: &BaseNames,
    taken: &BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> BTreeMap<DefKey, String> {
    let mut names: BTreeMap<DefKey, String> = BTreeMap::new();
    for d in &chosen.shared {
        let mut n = base.of(d);
        if !chosen.provided.contains(d) {
            if let Some(st) = taken.get(&n) {
                let p = prefixed(&d.0, &d.1);
                notes.push(format!(
                    "{}#{}: the hand-written types/{st}.yaml defines {n}: named {p}",
                    d.0, d.1
                ));
                n = p;
            }
        }
        names.insert(d.clone(), n);
    }
    names
}

/// Nested types of a shared type are named after it (`Type` + `Property`): no name may be
/// both a shared type and a nested type (or two nested types). Renames until none clash
/// (at most 8 rounds).
fn resolve_nested_clashes(
    imp: &mut Importer,
    chosen: &Chosen,
    taken: &BTreeMap<String, String>,
    names: &mut BTreeMap<DefKey, String>,
    notes: &mut Vec<String>,
) -> Result<(), ImportError> {
    for _round in 0..8 {
        imp.shared = Some(names.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let owners = name_owners(imp, chosen, taken, names)?;
        let rename = clashing(&owners, &chosen.provided, notes);
        if rename.is_empty() {
            break;
        }
        let used: BTreeSet<String> = owners.keys().cloned().collect();
        for d in rename {
            let old = names[&d].clone();
            let p = prefixed(&d.0, &d.1);
            let new = if old != p && !used.contains(&p) {
                p
            } else {
                (2..)
                    .map(|i| format!("{old}{i}"))
                    .find(|c| !used.contains(c))
                    .expect("a free name")
            };
            notes.push(format!("{}#{}: named {new} instead of {old}", d.0, d.1));
            names.insert(d, new);
        }
    }
    Ok(())
}

/// Type name → who has it (see [`name_owners`]).
type Owners = BTreeMap<String, Vec<(Option<DefKey>, bool)>>;

/// Every type name the output would have → who has it: `(None, _)` a hand-written file,
/// `(Some(d), false)` the shared type of `d`, `(Some(d), true)` a type nested in it.
fn name_owners(
    imp: &mut Importer,
    chosen: &Chosen,
    taken: &BTreeMap<String, String>,
    names: &BTreeMap<DefKey, String>,
) -> Result<Owners, ImportError> {
    let mut owners = Owners::new();
    for n in taken.keys() {
        owners.entry(n.clone()).or_default().push((None, false));
    }
    for d in &chosen.shared {
        let n = &names[d];
        owners.entry(n.clone()).or_default().push((Some(d.clone()), false));
        if chosen.provided.contains(d) {
            continue;
        }
        let (s, _) = convert_type(imp, d)?;
        let mut suffixes = Vec::new();
        nested(&s, "", &mut suffixes);
        for s in suffixes {
            owners
                .entry(format!("{n}{s}"))
                .or_default()
                .push((Some(d.clone()), true));
        }
    }
    Ok(owners)
}

/// The definitions to rename: of each name with two owners or more, one keeps it (a
/// hand-written name, then a type's own name, then the first definition).
fn clashing(owners: &Owners, provided: &BTreeSet<DefKey>, notes: &mut Vec<String>) -> BTreeSet<DefKey> {
    let mut rename: BTreeSet<DefKey> = BTreeSet::new();
    for (n, list) in owners {
        let mut distinct: Vec<&(Option<DefKey>, bool)> = Vec::new();
        for e in list {
            if !distinct.iter().any(|x| x.0 == e.0) {
                distinct.push(e);
            }
        }
        if distinct.len() < 2 {
            continue;
        }
        distinct.sort_by_key(|(d, nested)| (d.is_some(), *nested, d.clone()));
        for (d, _) in &distinct[1..] {
            if let Some(d) = d.as_ref().filter(|d| !provided.contains(*d)) {
                notes.push(format!(
                    "{}#{}: the name {n} is taken twice (shared or nested type)",
                    d.0, d.1
                ));
                rename.insert(d.clone());
            }
        }
    }
    rename
}

/// The names (as suffixes of the type's own name) the generator gives the nested types of a
/// shared type: `Property` for an inline object or string enum, through arrays, recursively.
fn nested(s: &Schema, at: &str, out: &mut Vec<String>) {
    let Some(props) = &s.properties else { return };
    for (name, p) in props {
        let mut p = p;
        while p.ty.as_deref() == Some("array") {
            match &p.items {
                Some(i) => p = i,
                None => break,
            }
        }
        if p.ref_.is_some() {
            continue;
        }
        let here = format!("{at}{}", type_name(name));
        let string_enum = p.enum_.is_some() && p.ty.as_deref().is_none_or(|t| t == "string");
        if p.properties.is_some() || string_enum {
            out.push(here.clone());
        }
        nested(p, &here, out);
    }
}

/// The schemas of one types file, by name.
pub(crate) fn types_file(
    imp: &mut Importer,
    plan: &Plan,
    defs: &[DefKey],
) -> Result<IndexMap<String, Schema>, ImportError> {
    let mut out: Vec<(String, Schema)> = Vec::new();
    for d in defs {
        let (s, _) = convert_type(imp, d)?;
        out.push((plan.names[d].clone(), s));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().collect())
}
