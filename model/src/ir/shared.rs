//! Shared types (`spec/types/`): collected first, and checked for containing themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::{Builder, Loc, Ty, TypeKind};
use crate::error::SpecError;
use crate::load::Loaded;
use crate::naming;
use crate::spec::Schema;

impl Builder {
    pub(super) fn collect_shared(&mut self, loaded: &Loaded) {
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
    pub(super) fn check_recursion(&mut self, loaded: &Loaded) {
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
}
