//! The URL tree: operations placed at their path, then laid out into named chain nodes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use super::{Builder, Loc, Node, RawNode, Segment, Ty};
use crate::error::SpecError;
use crate::naming;

/// A path file's operations and types, resolved on their own (see [`Builder::resolve_path`]),
/// before they are placed in the tree.
pub(super) struct ResolvedPath<'a> {
    file: &'a PathBuf,
    text: &'a str,
    segments: Vec<&'a str>,
    param_tys: BTreeMap<String, Ty>,
    ops: Vec<super::Op>,
    types: Vec<super::TypeDef>,
}

impl Builder {
    /// Validates a path file and resolves its operations and types, reading nothing but the
    /// file and the shared types: files are resolved on all cores, each by a
    /// [`worker`](Builder::worker) of its own. `None` when the file cannot be placed.
    pub(super) fn resolve_path<'a>(&mut self, p: &'a crate::load::LoadedPath) -> Option<ResolvedPath<'a>> {
        let file_loc = Loc {
            file: &p.file,
            text: &p.text,
            path: Vec::new(),
        };
        let segments: Vec<&str> = p.url.trim_start_matches('/').split('/').collect();
        let placeholders: Vec<&str> = segments
            .iter()
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (i, s) in segments.iter().enumerate() {
            if s.is_empty() && i + 1 == segments.len() && i > 0 {
                continue; // a trailing slash: the chain step `slash()`
            }
            let bad = if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            } else {
                s.is_empty()
                    || *s == "."
                    || *s == ".."
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            };
            if bad {
                self.errors.push(file_loc.error(format!(
                    "URL segment `{s}` is not supported (letters, digits, `-`, `_`, `.`, or a `{{placeholder}}`)"
                )));
                return None;
            }
        }
        let uniq: BTreeSet<&str> = placeholders.iter().copied().collect();
        if uniq.len() != placeholders.len() {
            self.errors
                .push(file_loc.error("the same placeholder appears twice in the URL"));
            return None;
        }
        if p.spec.operations().next().is_none() {
            self.errors
                .push(file_loc.error("no operation: write at least one of get/post/put/patch/delete"));
            return None;
        }

        // Resolve the operations first, then place them in the tree.
        let mut ops = Vec::new();
        let mut types = Vec::new();
        let mut param_tys: BTreeMap<String, Ty> = BTreeMap::new();
        for (method, op) in p.spec.operations() {
            let loc = file_loc.join(method.as_str());
            for name in &placeholders {
                match op.path.get(*name) {
                    None => self.errors.push(loc.join("path").error(format!(
                        "the URL has the placeholder {{{name}}} but `path` does not describe it"
                    ))),
                    Some(schema) => {
                        let ploc = loc.join("path").join(name);
                        if let Some(ty) = self.param_ty(schema, &ploc) {
                            match param_tys.get(*name) {
                                Some(prev) if *prev != ty => self.errors.push(
                                    ploc.error("the placeholder has another type in another operation of this file"),
                                ),
                                _ => {
                                    param_tys.insert(name.to_string(), ty);
                                }
                            }
                        }
                    }
                }
            }
            for name in op.path.keys() {
                if !placeholders.contains(&name.as_str()) {
                    self.errors.push(
                        loc.join("path")
                            .join(name)
                            .error(format!("`{name}` is not a placeholder of the URL {}", p.url)),
                    );
                }
            }
            ops.push(self.op(method, op, &p.url, &loc, &mut types));
        }
        let mut seen = BTreeSet::new();
        for t in &types {
            if !seen.insert(t.name.as_str()) {
                self.errors.push(file_loc.error(format!(
                    "two types of this file are both named `{}`; rename a property",
                    t.name
                )));
            }
        }

        Some(ResolvedPath {
            file: &p.file,
            text: &p.text,
            segments,
            param_tys,
            ops,
            types,
        })
    }

    /// Places a resolved path file in the tree (in file order: the first file to give a
    /// placeholder its type decides it).
    pub(super) fn place(&mut self, raw_root: &mut RawNode, r: ResolvedPath<'_>) {
        let ResolvedPath {
            file,
            text,
            segments,
            param_tys,
            ops,
            mut types,
        } = r;
        let file_loc = Loc {
            file,
            text,
            path: Vec::new(),
        };
        let mut node = raw_root;
        for s in &segments {
            node = node.children.entry(s.to_string()).or_default();
            if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if let Some(ty) = param_tys.get(name) {
                    match &node.param_ty {
                        Some(prev) if prev != ty => self.errors.push(
                            file_loc.error(format!("the placeholder {{{name}}} has another type in another file")),
                        ),
                        _ => node.param_ty = Some(ty.clone()),
                    }
                }
            }
        }
        types.sort_by(|a, b| a.name.cmp(&b.name));
        node.ops = ops;
        node.types = types;
        node.file = Some(file.clone());
    }

    /// Assigns chain method, module and struct names to every node, children sorted by module.
    pub(super) fn lay_out(&mut self, raw: &RawNode, node: &mut Node) {
        let literal: Vec<(String, String)> = raw
            .children
            .keys()
            .filter(|k| !k.starts_with('{'))
            .map(|k| (k.clone(), naming::segment_method(k)))
            .collect();
        let resolved = naming::resolve_sibling_methods(&literal);
        let mut children = Vec::new();
        for ((seg, _), method) in literal.iter().zip(resolved) {
            let child_raw = &raw.children[seg];
            children.push(self.child(
                node,
                child_raw,
                Segment::Literal(seg.clone()),
                format!("{}/{seg}", node.url),
                method.clone(),
                method,
            ));
        }
        for (key, child_raw) in raw.children.iter().filter(|(k, _)| k.starts_with('{')) {
            let name = &key[1..key.len() - 1];
            let ty = child_raw.param_ty.clone().unwrap_or(Ty::String);
            children.push(self.child(
                node,
                child_raw,
                Segment::Param {
                    name: name.to_string(),
                    ty,
                },
                format!("{}/{key}", node.url),
                naming::field(name),
                naming::param_module(name),
            ));
        }
        let mut by_name: HashMap<&str, &Node> = HashMap::with_capacity(2 * children.len());
        for b in &children {
            for name in [b.method.as_str(), b.module.as_str()] {
                match by_name.get(name) {
                    Some(a) if !std::ptr::eq(*a, b) => {
                        let file = a.file.clone().or(b.file.clone()).unwrap_or_default();
                        self.errors.push(SpecError::at_file(
                            file,
                            format!(
                                "the URLs {} and {} give the same chain method `{}` (or module `{}`)",
                                a.url, b.url, a.method, a.module
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        by_name.insert(name, b);
                    }
                }
            }
            if matches!(node.segment, Segment::Root) {
                for name in [b.method.as_str(), b.module.as_str()] {
                    if naming::ROOT_RESERVED.contains(&name) {
                        let seg = b.url.trim_start_matches('/');
                        self.errors.push(SpecError::at_file(
                            b.file.clone().unwrap_or_else(|| first_file(raw, seg)),
                            format!(
                                "the URL segment `{seg}` at the root clashes with the crate's `{name}` (a module or a `Client` method); put the file in a folder such as `v3/`"
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        children.sort_by(|a, b| a.module.cmp(&b.module));
        node.children = children;
    }

    pub(super) fn child(
        &mut self,
        parent: &Node,
        raw: &RawNode,
        segment: Segment,
        url: String,
        method: String,
        module: String,
    ) -> Node {
        let segment_for_chain = segment.clone();
        let mut child = Node {
            url,
            segment,
            struct_name: naming::type_name(&module),
            chain: match &segment_for_chain {
                Segment::Param { name, .. } => format!("{}.{method}({name})", parent.chain),
                _ => format!("{}.{method}()", parent.chain),
            },
            method,
            module,
            children: Vec::new(),
            ops: raw.ops.clone(),
            types: raw.types.clone(),
            file: raw.file.clone(),
        };
        if let Some(t) = child.types.iter().find(|t| t.name == child.struct_name) {
            self.errors.push(SpecError {
                file: child.file.clone().unwrap_or_default(),
                line: None,
                column: None,
                field: String::new(),
                message: format!(
                    "the type `{}` has the name of the chain struct of {}",
                    t.name, child.url
                ),
            });
        }
        self.lay_out(raw, &mut child);
        child
    }
}

/// A file below the child `seg` of `raw` (for an error about a folder).
pub(super) fn first_file(raw: &RawNode, seg: &str) -> PathBuf {
    fn any(n: &RawNode) -> Option<PathBuf> {
        n.file.clone().or_else(|| n.children.values().find_map(any))
    }
    raw.children
        .get(seg)
        .and_then(any)
        .unwrap_or_else(|| PathBuf::from(seg))
}
