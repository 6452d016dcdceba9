//! Notifications (`spec/notifications/`): each resource typed, the same type as an operation's response where it says so.

use std::path::PathBuf;

use super::{Builder, Loc, Node, NotificationDef, NotificationResource, ResponseKind, Ty, TypeKind};
use crate::error::SpecError;
use crate::load::Loaded;
use crate::naming;

impl Builder {
    /// Validates the notification files against the laid-out tree (`same_as` names an
    /// operation with a JSON response; `group` is an API group).
    pub(super) fn notifications(&mut self, loaded: &Loaded, root: &Node) -> Vec<NotificationDef> {
        let mut out = Vec::new();
        for f in &loaded.notifications {
            let loc = Loc {
                file: &f.file,
                text: &f.text,
                path: Vec::new(),
            };
            let n = &f.spec;
            let name = naming::type_name(&f.name);
            if n.summary.trim().is_empty() {
                self.errors.push(loc.join("summary").error("the summary is empty"));
            }
            if n.events.is_empty() {
                self.errors
                    .push(loc.join("events").error("name the event types (`TRANSACTION.SUCCESS`)"));
            }
            let group = root
                .children
                .iter()
                .flat_map(|r| &r.children)
                .find(|g| g.url.rsplit('/').next() == Some(n.group.as_str()) && g.url.split('/').nth(1) == Some("v3"))
                .or_else(|| {
                    root.children
                        .iter()
                        .flat_map(|r| &r.children)
                        .find(|g| g.url.rsplit('/').next() == Some(n.group.as_str()))
                });
            let Some(group) = group else {
                if !self.partial {
                    self.errors
                        .push(loc.join("group").error(format!("no API group `{}`", n.group)));
                }
                continue;
            };
            let resource = match (&n.same_as, &n.resource) {
                (Some(op), None) => {
                    let (method, url) = op.split_once(' ').unwrap_or(("", op.as_str()));
                    if !url.starts_with(&format!("{}/", group.url)) {
                        self.errors.push(loc.join("same_as").error(format!(
                            "`{op}` is not in the group `{}` (its feature gates the type)",
                            group.url
                        )));
                        continue;
                    }
                    let found = find_op(root, &method.to_ascii_lowercase(), url, &mut Vec::new());
                    match found {
                        Some((module, ResponseKind::Json(ty), required)) => {
                            // Decoding can then never fail for a missing field: every field the
                            // type requires is one `match` checked before.
                            let unchecked: Vec<&String> =
                                required.iter().filter(|r| !n.match_keys.contains(r)).collect();
                            if !unchecked.is_empty() {
                                let at = if n.match_keys.is_empty() { "same_as" } else { "match" };
                                self.errors.push(loc.join(at).error(format!(
                                    "the response of `{op}` requires {unchecked:?}: list them in `match`, so that a notification without them is not taken for this one"
                                )));
                            }
                            NotificationResource::SameAs {
                                module,
                                ty,
                                operation: op.clone(),
                            }
                        }
                        Some(_) => {
                            self.errors
                                .push(loc.join("same_as").error(format!("`{op}` has no JSON response")));
                            continue;
                        }
                        None if self.partial => continue,
                        None => {
                            self.errors.push(loc.join("same_as").error(format!(
                                "no operation `{op}` (write the method and the URL: `GET /v3/pay/transactions/id/{{transaction_id}}`)"
                            )));
                            continue;
                        }
                    }
                }
                (None, Some(schema)) if schema.properties.is_some() && schema.ref_.is_none() => {
                    let mut types = Vec::new();
                    let rloc = loc.join("resource");
                    for (key, p) in schema.properties.iter().flatten() {
                        if p.required && !n.match_keys.contains(key) {
                            self.errors.push(rloc.join("properties").join(key).error(
                                "a required field of a notification resource is listed in `match` (or is optional)",
                            ));
                        }
                    }
                    self.ty(schema, &name, &rloc, &mut types, false);
                    NotificationResource::Own(types)
                }
                (None, Some(_)) => {
                    self.errors.push(
                        loc.join("resource")
                            .error("the resource is an object with `properties`"),
                    );
                    continue;
                }
                _ => {
                    self.errors.push(
                        loc.error(
                            "give either `same_as` (an operation whose response it is) or `resource` (its schema)",
                        ),
                    );
                    continue;
                }
            };
            out.push(NotificationDef {
                name,
                summary: n.summary.trim().to_string(),
                description: n.description.clone(),
                group: group.url.clone(),
                events: n.events.clone(),
                match_keys: n.match_keys.clone(),
                resource,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        for w in out.windows(2) {
            if w[0].name == w[1].name {
                self.errors.push(SpecError {
                    file: PathBuf::from("spec/notifications"),
                    line: None,
                    column: None,
                    field: w[0].name.clone(),
                    message: "two notification files have this name".into(),
                });
            }
        }
        out
    }
}

/// The module path (from the API root) and the response of the operation `method url`, with
/// the required top-level fields of that response (when it is a struct of the node).
pub(super) fn find_op(
    node: &Node,
    method: &str,
    url: &str,
    path: &mut Vec<String>,
) -> Option<(Vec<String>, ResponseKind, Vec<String>)> {
    if !node.module.is_empty() {
        path.push(node.module.clone());
    }
    if node.url == url {
        if let Some(op) = node.ops.iter().find(|o| o.method.as_str() == method) {
            let required = match &op.response {
                ResponseKind::Json(Ty::Local(name)) => node
                    .types
                    .iter()
                    .find(|t| t.name == *name)
                    .map(|t| match &t.kind {
                        TypeKind::Struct(fields) => {
                            fields.iter().filter(|f| f.required).map(|f| f.wire.clone()).collect()
                        }
                        TypeKind::Enum(_) => Vec::new(),
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            return Some((path.clone(), op.response.clone(), required));
        }
    }
    for c in &node.children {
        if url.starts_with(&c.url) {
            if let Some(found) = find_op(c, method, url, path) {
                return Some(found);
            }
        }
    }
    if !node.module.is_empty() {
        path.pop();
    }
    None
}
