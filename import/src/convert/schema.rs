//! Schemas: `$ref` resolution and sharing, `allOf` merging, plain schemas and their repairs.

use serde_yaml::{Mapping, Value};

use super::{
    def_key, json, scalar_text, shareable, type_of_example, Conv, Fail, Mode, Pending, PendingKind, RepairKind,
    IN_RESPONSE, R,
};
use crate::lines::Seg;
use crate::{key_string, lookup, Loc};
use wechatpay_model::spec::{EnumValue, Scalar, Schema};

impl Conv<'_> {
    /// Resolves a `$ref` (`file#/Name`, `file#Name`, `#Name`, `#/Name`, `file`) found at `loc`.
    pub(super) fn resolve(&mut self, r: &str, loc: &Loc) -> R<Loc> {
        let (file, frag) = match r.split_once('#') {
            Some((f, g)) => (f, Some(g)),
            None => (r, None),
        };
        let src = if file.is_empty() {
            loc.src.clone()
        } else {
            let base = loc.src.rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            let Some(rel) = normalise(base, file) else {
                return Err(Fail::Skip(format!(
                    "unresolved $ref '{r}' at {}: leaves the source folder",
                    loc.at()
                )));
            };
            if !self.imp.exists(&rel) {
                return Err(Fail::Skip(format!(
                    "unresolved $ref '{r}' at {}: no file {rel}",
                    loc.at()
                )));
            }
            self.imp.load(&rel)?
        };
        let mut path = Vec::new();
        if let Some(frag) = frag {
            let f = match frag.strip_prefix('/') {
                Some(f) => f,
                None => {
                    if !frag.is_empty() {
                        self.note(
                            loc,
                            RepairKind::RefNoSlash,
                            format!("read $ref '{r}' as '#/{frag}' (JSON pointer without '/')"),
                        );
                    }
                    frag
                }
            };
            if !f.is_empty() {
                // Fragments are one level deep upstream, and may contain dots; `/` still nests.
                for part in f.split('/') {
                    path.push(Seg::Key(part.replace("~1", "/").replace("~0", "~")));
                }
            }
        }
        let t = Loc { src, path };
        if t.get().is_null() {
            return Err(Fail::Skip(format!(
                "unresolved $ref '{r}' at {}: no such entry",
                loc.at()
            )));
        }
        Ok(t)
    }

    // ----------------------------------------------------------------------------------------
    // Schemas

    /// Converts a schema; required/sensitive names not found are reported here.
    pub(super) fn schema(&mut self, v: &Value, loc: &Loc, mode: Mode) -> R<Schema> {
        let (s, pending) = self.schema_inner(v, loc, mode)?;
        self.report_pending(pending);
        Ok(s)
    }

    pub(super) fn report_pending(&mut self, pending: Vec<Pending>) {
        for p in pending {
            match p.kind {
                PendingKind::Required => self.note(
                    &p.loc,
                    RepairKind::RequiredUnknown,
                    format!("required names '{}', which is not a property: ignored", p.name),
                ),
                PendingKind::Sensitive => self.note(
                    &p.loc,
                    RepairKind::SensitiveUnknown,
                    format!("x-is-sensitive names '{}', which is not a property: ignored", p.name),
                ),
            }
        }
    }

    pub(super) fn schema_inner(&mut self, v: &Value, loc: &Loc, mode: Mode) -> R<(Schema, Vec<Pending>)> {
        self.schema_part(v, loc, mode, false)
    }

    /// `part`: an allOf part, finished (type inference) only after merging.
    pub(super) fn schema_part(&mut self, v: &Value, loc: &Loc, mode: Mode, part: bool) -> R<(Schema, Vec<Pending>)> {
        let m = match v {
            Value::Mapping(m) => m,
            Value::Null => {
                self.note(loc, RepairKind::EmptySchema, "empty schema: read as any JSON".into());
                return Ok((json(), Vec::new()));
            }
            other => {
                self.note(
                    loc,
                    RepairKind::BadSchema,
                    format!(
                        "schema is a scalar ({}): read as any JSON",
                        scalar_text(other).unwrap_or_default()
                    ),
                );
                return Ok((json(), Vec::new()));
            }
        };
        if !mode.param {
            if let Some(r) = lookup(m, "$ref") {
                return self.reference(m, r, loc, part);
            }
        }
        let (mut s, mut pending, strays_adopted) = self.plain(m, loc, mode)?;
        if let Some(all) = lookup(m, "allOf") {
            let aloc = loc.key("allOf");
            let mut merged: Option<Schema> = None;
            match all.as_sequence() {
                Some(parts) => {
                    for (i, p) in parts.iter().enumerate() {
                        let (ps, pp) = self.schema_part(p, &aloc.idx(i), Mode::default(), true)?;
                        pending.extend(pp);
                        merged = Some(match merged {
                            None => ps,
                            Some(acc) => self.merge(acc, ps, false, &aloc.idx(i)),
                        });
                    }
                }
                None => self.note(&aloc, RepairKind::BadSchema, "allOf is not a list: ignored".into()),
            }
            if let Some(base) = merged {
                s = self.merge(base, s, true, loc);
            }
            // Names listed in one part may be properties of another.
            let mut rest = Vec::new();
            for p in pending {
                let hit = s.properties.as_mut().and_then(|pr| pr.get_mut(&p.name));
                match (hit, &p.kind) {
                    (Some(ps), PendingKind::Required) => ps.required = true,
                    (Some(ps), PendingKind::Sensitive) => ps.sensitive = true,
                    (None, _) => rest.push(p),
                }
            }
            pending = rest;
        }
        let _ = strays_adopted;
        if !part {
            self.finish(&mut s, m, loc);
        }
        Ok((s, pending))
    }

    /// A `$ref`: inlined, or (second pass) `{ref: Name}` when it names a shared type and is a
    /// direct use (a property value, array items, a whole body or response; not an allOf
    /// `part`, not inside a non-body parameter).
    pub(super) fn reference(&mut self, m: &Mapping, r: &Value, loc: &Loc, part: bool) -> R<(Schema, Vec<Pending>)> {
        let rloc = loc.key("$ref");
        let Some(r) = r.as_str() else {
            self.note(
                &rloc,
                RepairKind::BadRef,
                "$ref is not a string: read as any JSON".into(),
            );
            return Ok((json(), Vec::new()));
        };
        let t = self.resolve(r, &rloc)?;
        let mut def = def_key(&t);
        // An object definition used in a response is always inlined, so its copies there are
        // counted apart (as a pseudo definition that is never shared): the refs inside those
        // copies are uses of their own.
        let object_in_response = self.in_response && t.get().get("enum").is_none();
        if object_in_response {
            def = def.map(|(file, name)| (file, format!("{name}{IN_RESPONSE}")));
        }
        let direct = !part && self.no_share == 0 && !object_in_response;
        if let Some(def) = &def {
            match &self.imp.shared {
                None => {
                    let parent = self.defs.iter().rev().flatten().next().cloned();
                    let at = format!("{}#{:?}", rloc.src.rel, rloc.path);
                    self.edges.push(((at, direct), (parent, def.clone())));
                }
                Some(shared) if direct => {
                    if let Some(name) = shared.get(def) {
                        let mut s = Schema {
                            ref_: Some(name.clone()),
                            ..Schema::default()
                        };
                        self.ref_siblings(m, loc, &mut s);
                        return Ok((s, Vec::new()));
                    }
                }
                Some(_) => {}
            }
        }
        let key = format!("{}#{:?}", t.src.rel, t.path);
        if self.refs.contains(&key) || self.refs.len() > 64 {
            return Err(Fail::Skip(format!("$ref cycle through '{r}' at {}", rloc.at())));
        }
        self.refs.push(key);
        self.defs.push(def.clone());
        let tv = t.get().clone();
        let res = self.schema_inner(&tv, &t, Mode::default());
        self.refs.pop();
        self.defs.pop();
        let (mut s, pending) = res?;
        if let (Some(def), None, false) = (def, &self.imp.shared, object_in_response) {
            let ok = shareable(&s);
            self.imp.graph.eligible.insert(def, ok);
        }
        self.ref_siblings(m, loc, &mut s);
        Ok((s, pending))
    }

    /// Keys beside a `$ref`: `description`, `required` (and `deprecated` on an inlined schema)
    /// are kept at the use site; the rest is ignored, as Swagger 2 does.
    pub(super) fn ref_siblings(&mut self, m: &Mapping, loc: &Loc, s: &mut Schema) {
        let siblings: Vec<String> = m.keys().filter_map(key_string).filter(|k| k != "$ref").collect();
        if !siblings.is_empty() {
            let mut kept = Vec::new();
            if let Some(d) = lookup(m, "description").and_then(scalar_text) {
                s.description = Some(d);
                kept.push("description");
            }
            if lookup(m, "required").and_then(Value::as_bool) == Some(true) {
                s.required = true;
                kept.push("required");
            }
            if lookup(m, "deprecated").and_then(Value::as_bool) == Some(true) && s.ref_.is_none() {
                s.deprecated = true;
                kept.push("deprecated");
            }
            let ignored: Vec<&String> = siblings.iter().filter(|k| !kept.contains(&k.as_str())).collect();
            let mut msg = String::from("keys beside $ref: ");
            if !kept.is_empty() {
                msg += &format!("kept {} (allowed beside a ref in our format)", kept.join(", "));
            }
            if !ignored.is_empty() {
                if !kept.is_empty() {
                    msg += "; ";
                }
                msg += &format!(
                    "ignored {} (Swagger 2 ignores $ref siblings)",
                    ignored.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                );
            }
            self.note(loc, RepairKind::RefSibling, msg);
        }
    }

    /// A `{ref: Name}` use as the inlined schema of its definition (with the use site's
    /// description and required flag); any other schema as it is.
    pub(super) fn expand_ref(&mut self, s: Schema) -> Schema {
        let Some(name) = &s.ref_ else { return s };
        let key = self
            .imp
            .shared
            .as_ref()
            .and_then(|m| m.iter().find(|(_, n)| *n == name).map(|(k, _)| k.clone()));
        let Some(key) = key else { return s };
        *self.imp.merged.entry(key.clone()).or_insert(0) += 1;
        let Ok(src) = self.imp.load(&key.0) else { return s };
        let t = Loc {
            src,
            path: vec![Seg::Key(key.1.clone())],
        };
        let tv = t.get().clone();
        self.refs.push(format!("{}#{:?}", t.src.rel, t.path));
        self.defs.push(Some(key));
        let res = self.schema_inner(&tv, &t, Mode::default());
        self.refs.pop();
        self.defs.pop();
        match res {
            Ok((mut x, _)) => {
                if s.description.is_some() {
                    x.description = s.description;
                }
                x.required |= s.required;
                x
            }
            Err(_) => s,
        }
    }

    /// Merges two schemas of an allOf. `over_wins`: `b` is the outer schema, whose scalars win.
    pub(super) fn merge(&mut self, a: Schema, b: Schema, over_wins: bool, loc: &Loc) -> Schema {
        let pick = |x: Option<String>, y: Option<String>| if over_wins { y.or(x) } else { x.or(y) };
        let mut out = Schema {
            description: pick(a.description, b.description),
            required: a.required || b.required,
            sensitive: a.sensitive || b.sensitive,
            deprecated: a.deprecated || b.deprecated,
            example: if over_wins {
                b.example.or(a.example)
            } else {
                a.example.or(b.example)
            },
            format: pick(a.format, b.format),
            items: b.items.or(a.items),
            ..Schema::default()
        };
        out.enum_ = self.enum_union(a.enum_, b.enum_, loc);
        let props = match (a.properties, b.properties) {
            (None, None) => None,
            (Some(p), None) | (None, Some(p)) => Some(p),
            (Some(mut p), Some(q)) => {
                for (k, v) in q {
                    let mut prev = p.get(&k).cloned();
                    let mut v = v;
                    if let Some(old) = prev.take() {
                        // A shared type met by an inline definition of the same property: merged
                        // from their inlined forms, exactly as when everything is inlined.
                        if old != v && (old.ref_.is_some() || v.ref_.is_some()) {
                            v = self.expand_ref(v);
                            prev = Some(self.expand_ref(old));
                        } else {
                            prev = Some(old);
                        }
                    }
                    match prev {
                        Some(old) if old == v => {}
                        Some(old) if old.properties.is_some() && v.properties.is_some() => {
                            self.note(
                                loc,
                                RepairKind::AllofMerge,
                                format!("allOf parts both define the object '{k}': their properties are merged"),
                            );
                            let merged = self.merge(old, v, true, loc);
                            p.insert(k, merged);
                        }
                        Some(old) if is_scalar_enum(&old) && is_scalar_enum(&v) => {
                            let merged = self.merge(old, v, true, loc);
                            p.insert(k, merged);
                        }
                        Some(old) => {
                            self.note(
                                loc,
                                RepairKind::AllofConflict,
                                format!("allOf parts both define '{k}': the later one is used"),
                            );
                            v.required |= old.required;
                            p.insert(k, v);
                        }
                        None => {
                            p.insert(k, v);
                        }
                    }
                }
                Some(p)
            }
        };
        let obj_like = |t: &Option<String>| matches!(t.as_deref(), None | Some("object") | Some("json"));
        out.ty = if props.is_some() {
            if !obj_like(&a.ty) || !obj_like(&b.ty) {
                self.note(
                    loc,
                    RepairKind::AllofConflict,
                    "allOf mixes an object with a non-object type: read as object".into(),
                );
            }
            None
        } else if over_wins {
            // The outer type of a `[ref] + type/description` parameter: the part's type is the fact.
            match (a.ty, b.ty) {
                (Some(x), Some(y)) if x != y && y != "object" => {
                    if out.enum_.is_some() {
                        Some(x)
                    } else {
                        Some(y)
                    }
                }
                (x, y) => x.or(y),
            }
        } else {
            b.ty.or(a.ty)
        };
        out.properties = props;
        out
    }

    /// The values of two enums an allOf joins: the description extends an enum this way (a
    /// shared enum plus the operation's own values), so the union, in order, each value once.
    fn enum_union(
        &mut self,
        a: Option<Vec<EnumValue>>,
        b: Option<Vec<EnumValue>>,
        loc: &Loc,
    ) -> Option<Vec<EnumValue>> {
        let (mut out, more) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (a, b) => return b.or(a),
        };
        let mut added = Vec::new();
        for v in more {
            if !out.iter().any(|o| o.value() == v.value()) {
                added.push(v.value().to_string());
                out.push(v);
            }
        }
        if !added.is_empty() && out.len() > added.len() {
            self.note(
                loc,
                RepairKind::AllofEnumUnion,
                format!(
                    "allOf parts each list enum values: their union ({} added)",
                    added.join(", ")
                ),
            );
        }
        Some(out)
    }

    /// Final inference after allOf merging: untyped schemas, objects without properties,
    /// arrays without items, `type: object` left implicit when properties say it.
    pub(super) fn finish(&mut self, s: &mut Schema, m: &Mapping, loc: &Loc) {
        if s.ty.as_deref() == Some("object") || (s.ty.is_none() && s.properties.is_some()) {
            match &s.properties {
                Some(p) if !p.is_empty() => s.ty = None,
                _ => {
                    self.note(
                        loc,
                        RepairKind::FreeFormObject,
                        "object without properties: read as any JSON".into(),
                    );
                    s.ty = Some("json".into());
                    s.properties = None;
                }
            }
        }
        if s.ty.is_none() && s.properties.is_none() {
            if s.items.is_some() {
                s.ty = Some("array".into());
            } else if let Some(e) = &s.enum_ {
                let ints = e.iter().all(|v| matches!(v.value(), Scalar::Int(_)));
                s.ty = Some(if ints { "integer" } else { "string" }.into());
            } else if lookup(m, "x-json").is_some() {
                s.ty = Some("string".into());
            } else {
                let t = s.example.as_ref().and_then(type_of_example).unwrap_or("json");
                self.note(loc, RepairKind::Untyped, format!("schema without type: read as {t}"));
                s.ty = Some(t.into());
            }
        }
        if s.ty.as_deref() == Some("array") && s.items.is_none() {
            let t = match &s.example {
                Some(Value::Sequence(q)) => q.first().and_then(type_of_example).unwrap_or("json"),
                _ => "json",
            };
            self.note(
                loc,
                RepairKind::ArrayNoItems,
                format!("array without items: items read as {t}"),
            );
            s.items = Some(Box::new(Schema {
                ty: Some(t.into()),
                ..Schema::default()
            }));
        }
        if s.ty.as_deref() != Some("array") && s.items.is_some() && s.ty.is_some() {
            self.note(
                loc,
                RepairKind::ItemsOnNonArray,
                format!("items on a {} schema: ignored", s.ty.as_deref().unwrap_or("")),
            );
            s.items = None;
        }
    }
}

/// A scalar schema with enum values (not an object, not an array).
fn is_scalar_enum(s: &Schema) -> bool {
    s.enum_.is_some() && s.properties.is_none() && s.items.is_none() && s.ref_.is_none()
}

/// Whether a value under an unknown key looks like a property schema (mis-indented property).
pub(super) fn looks_like_schema(v: &Value) -> bool {
    v.as_mapping().is_some_and(|m| {
        m.keys().filter_map(|k| k.as_str()).any(|k| {
            matches!(
                k,
                "type" | "$ref" | "properties" | "allOf" | "items" | "enum" | "description" | "format" | "example"
            )
        })
    })
}

/// `base` dir + relative `file` → normalised relative path; `None` when it leaves the root.
fn normalise(base: &str, file: &str) -> Option<String> {
    let mut parts: Vec<&str> = if base.is_empty() {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for seg in file.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}
