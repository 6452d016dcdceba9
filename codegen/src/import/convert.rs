//! Conversion of one path file (and the definitions it references) into a [`PathFile`].

use std::collections::HashMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::lines::Seg;
use super::{key_string, lookup, DefKey, Edge, ImportError, Importer, Loc, Note, SkippedOp};
use crate::spec::{DescribedValue, EnumValue, Operation, PathFile, Response, Scalar, Schema, Upload};

/// The result of converting one path file.
pub(crate) struct FileOut {
    pub file: PathFile,
    pub read: usize,
    pub repaired: usize,
    pub skipped: Vec<SkippedOp>,
    pub notes: Vec<Note>,
}

pub(crate) enum Fail {
    Fatal(ImportError),
    Skip(String),
}

impl From<ImportError> for Fail {
    fn from(e: ImportError) -> Fail {
        Fail::Fatal(e)
    }
}

type R<T> = Result<T, Fail>;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
const OTHER_METHODS: [&str; 3] = ["head", "options", "trace"];

/// Schema keywords our format has no place for: left out, counted in the summary.
const DROPPED: [&str; 22] = [
    "maxLength",
    "minLength",
    "pattern",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "default",
    "nullable",
    "title",
    "readOnly",
    "writeOnly",
    "xml",
    "additionalProperties",
    "collectionFormat",
    "allowEmptyValue",
    "discriminator",
    "externalDocs",
];

/// Operation keys with no place in the format (counted, not reported per line).
const OP_DROPPED: [&str; 3] = ["tags", "operationId", "security"];

pub(crate) fn convert_file(imp: &mut Importer, rel: &str) -> Result<FileOut, ImportError> {
    let src = imp.load(rel)?;
    let root = Loc {
        src: src.clone(),
        path: Vec::new(),
    };
    let mut out = FileOut {
        file: PathFile::default(),
        read: 0,
        repaired: 0,
        skipped: Vec::new(),
        notes: Vec::new(),
    };
    let url = url_of(rel);
    let Some(top) = src.value.as_mapping() else {
        let mut c = Conv::new(imp);
        c.note(
            &root,
            "not-a-mapping",
            "the file is not a mapping of methods: nothing imported".into(),
        );
        out.notes = c.notes;
        return Ok(out);
    };
    let is_webhooks = rel == "v3/webhooks.yaml";
    for (k, v) in top {
        let key = key_string(k).unwrap_or_default();
        let lower = key.to_ascii_lowercase();
        let loc = root.key(&key);
        if !METHODS.contains(&lower.as_str()) && !OTHER_METHODS.contains(&lower.as_str()) {
            if !is_webhooks {
                let mut c = Conv::new(imp);
                c.note(
                    &loc,
                    "path-level-key",
                    format!("ignored path-level key '{key}' (not a method)"),
                );
                out.notes.extend(c.notes);
            }
            continue;
        }
        out.read += 1;
        let skip = |reason: String| SkippedOp {
            file: PathBuf::from(rel),
            method: lower.clone(),
            reason,
        };
        if is_webhooks {
            out.skipped.push(skip(
                "inbound webhook notification: v3/webhooks.yaml describes what WeChat Pay sends to \
                 the merchant, not a client call"
                    .into(),
            ));
            continue;
        }
        if OTHER_METHODS.contains(&lower.as_str()) {
            out.skipped.push(skip(format!("unsupported method: {key}")));
            continue;
        }
        let mut c = Conv::new(imp);
        if lower != key {
            c.note(&loc, "method-case", format!("read method '{key}' as '{lower}'"));
        }
        match c.operation(v, &loc, &url, rel) {
            Ok(op) => {
                if !c.notes.is_empty() {
                    out.repaired += 1;
                }
                // The refs of written operations only count towards shared types.
                let edges = std::mem::take(&mut c.edges);
                c.imp.graph.edges.extend(edges);
                out.notes.extend(c.notes);
                let slot = match lower.as_str() {
                    "get" => &mut out.file.get,
                    "post" => &mut out.file.post,
                    "put" => &mut out.file.put,
                    "patch" => &mut out.file.patch,
                    _ => &mut out.file.delete,
                };
                *slot = Some(op);
            }
            Err(Fail::Skip(reason)) => {
                // Notes about an operation that is not written are not repairs of the output.
                out.skipped.push(skip(reason));
            }
            Err(Fail::Fatal(e)) => return Err(e),
        }
    }
    unify_placeholders(imp, &root, &mut out);
    Ok(out)
}

/// A placeholder has one type per URL: when operations of one file disagree, all read it as string.
fn unify_placeholders(imp: &mut Importer, root: &Loc, out: &mut FileOut) {
    let f = &mut out.file;
    let mut names: Vec<String> = Vec::new();
    for op in [&f.get, &f.post, &f.put, &f.patch, &f.delete].into_iter().flatten() {
        for k in op.path.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    for name in names {
        let tys: Vec<Option<String>> = [&f.get, &f.post, &f.put, &f.patch, &f.delete]
            .into_iter()
            .flatten()
            .filter_map(|op| op.path.get(&name).map(|s| s.ty.clone()))
            .collect();
        if tys.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        for op in [&mut f.get, &mut f.post, &mut f.put, &mut f.patch, &mut f.delete]
            .into_iter()
            .flatten()
        {
            if let Some(s) = op.path.get_mut(&name) {
                s.ty = Some("string".into());
                s.format = None;
            }
        }
        let mut c = Conv::new(imp);
        c.note(
            root,
            "path-param-type",
            format!(
                "placeholder '{{{name}}}' has different types in the operations of this file: read as string in all"
            ),
        );
        out.notes.extend(c.notes);
    }
}

/// `v3/a/{empty}.yaml` → `/v3/a/` (upstream's spelling of a trailing slash); `v3/a/b.yaml` → `/v3/a/b`.
pub(crate) fn url_of(rel: &str) -> String {
    let stem = rel.strip_suffix(".yaml").unwrap_or(rel);
    let stem = stem.strip_suffix("{empty}").unwrap_or(stem);
    format!("/{stem}")
}

/// Marks the pseudo definition of an object definition's copies in responses (see
/// [`Conv::reference`]).
const IN_RESPONSE: &str = " (in a response)";

#[derive(Clone, Copy, Default)]
struct Mode {
    /// A non-body parameter: `name`/`in` are not schema keys, `required: true` is normal.
    param: bool,
    /// Stray (mis-indented) property-like keys are hoisted by the caller; ignore them here.
    skip_strays: bool,
}

enum PendingKind {
    Required,
    Sensitive,
}

/// A `required` / `x-is-sensitive` name not found among the properties (yet: the property may
/// come from another allOf part).
struct Pending {
    name: String,
    kind: PendingKind,
    loc: Loc,
}

struct Conv<'a> {
    imp: &'a mut Importer,
    notes: Vec<Note>,
    refs: Vec<String>,
    /// The definitions being expanded (parallel to `refs`; `None`: not a definition entry).
    defs: Vec<Option<DefKey>>,
    /// > 0 while converting a non-body parameter: its refs are always inlined.
    no_share: usize,
    /// The `$ref` uses met (first pass), kept when the operation is written.
    edges: Vec<Edge>,
    /// Converting a response body: object definitions are inlined (their `required` flags are a
    /// request's; a response's follow [`Conv::response_rule`]), enums are still shared.
    in_response: bool,
}

/// The definition entry a resolved `$ref` names (`file`, `Name`), when it names one.
pub(crate) fn def_key(t: &Loc) -> Option<DefKey> {
    match &t.path[..] {
        [Seg::Key(name)] if !METHODS.contains(&name.to_ascii_lowercase().as_str()) => {
            Some((t.src.rel.clone(), name.clone()))
        }
        _ => None,
    }
}

/// Whether a converted schema can be a shared type: an object with properties or a string enum.
pub(crate) fn shareable(s: &Schema) -> bool {
    let object = s.ty.is_none() && s.properties.as_ref().is_some_and(|p| !p.is_empty());
    let string_enum = s.ty.as_deref() == Some("string") && s.enum_.is_some() && s.properties.is_none();
    (object || string_enum) && s.ref_.is_none()
}

/// Converts the body of a shared type (second pass: refs to other shared types are `ref:`).
pub(crate) fn convert_type(imp: &mut Importer, key: &DefKey) -> Result<(Schema, Vec<Note>), ImportError> {
    let src = imp.load(&key.0)?;
    let t = Loc {
        src,
        path: vec![Seg::Key(key.1.clone())],
    };
    let v = t.get().clone();
    let mut c = Conv::new(imp);
    c.refs.push(format!("{}#{:?}", t.src.rel, t.path));
    c.defs.push(Some(key.clone()));
    match c.schema(&v, &t, Mode::default()) {
        Ok(mut s) => {
            s.required = false;
            Ok((s, c.notes))
        }
        Err(Fail::Fatal(e)) => Err(e),
        Err(Fail::Skip(reason)) => Err(ImportError::Parse {
            file: PathBuf::from(&key.0),
            line: Some(t.line()),
            message: format!("shared type {}: {reason}", key.1),
        }),
    }
}

fn is_json_type(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    t.contains("json") || t == "*/*"
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json() -> Schema {
    Schema {
        ty: Some("json".into()),
        ..Schema::default()
    }
}

fn type_of_example(v: &Value) -> Option<&'static str> {
    match v {
        Value::String(_) => Some("string"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        Value::Bool(_) => Some("boolean"),
        Value::Mapping(_) => Some("json"),
        _ => None,
    }
}

const TYPES: [&str; 7] = ["string", "integer", "number", "boolean", "object", "array", "file"];

impl<'a> Conv<'a> {
    fn new(imp: &'a mut Importer) -> Conv<'a> {
        Conv {
            imp,
            notes: Vec::new(),
            refs: Vec::new(),
            defs: Vec::new(),
            no_share: 0,
            edges: Vec::new(),
            in_response: false,
        }
    }

    fn note(&mut self, loc: &Loc, kind: &'static str, msg: String) {
        self.notes.push(Note {
            kind,
            text: format!("{}: {msg}", loc.at()),
        });
    }

    // ----------------------------------------------------------------------------------------
    // Operations

    fn operation(&mut self, v: &Value, loc: &Loc, url: &str, rel: &str) -> R<Operation> {
        let Some(m) = v.as_mapping() else {
            return Err(Fail::Skip("the operation is not a mapping".into()));
        };
        let consumes = str_list(lookup(m, "consumes"));
        let produces = str_list(lookup(m, "produces"));
        let params: Vec<(Loc, Value)> = self.parameters(m, loc)?;
        let is_form = |p: &Value| p.get("in").and_then(Value::as_str) == Some("formData");
        let multipart = consumes.iter().any(|c| c.contains("multipart")) || params.iter().any(|(_, p)| is_form(p));
        if let Some(c) = consumes.iter().find(|c| !is_json_type(c) && !c.contains("multipart")) {
            return Err(Fail::Skip(format!("non-JSON request: consumes {c}")));
        }
        let (status, resp_loc, resp) = self.success_response(m, loc)?;

        let mut op = Operation::default();
        match lookup(m, "summary").and_then(scalar_text) {
            Some(s) if !s.trim().is_empty() => op.summary = s,
            _ => {
                let d = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
                let first = d.lines().next().unwrap_or("").trim().to_owned();
                op.summary = if first.is_empty() { url.to_owned() } else { first };
                self.note(loc, "summary-missing", format!("no summary: used '{}'", op.summary));
            }
        }
        op.description = lookup(m, "description")
            .and_then(scalar_text)
            .filter(|d| !d.trim().is_empty());
        for (k, val) in m {
            let key = key_string(k).unwrap_or_default();
            let kloc = loc.key(&key);
            match key.as_str() {
                "summary" | "description" | "parameters" | "responses" | "consumes" | "produces" | "x-is-sensitive" => {
                }
                "deprecated" => op.deprecated = val.as_bool().unwrap_or(false),
                "depracted" | "deprecate" => {
                    op.deprecated = val.as_bool().unwrap_or(false);
                    self.note(&kloc, "keyword-typo", format!("read '{key}' as 'deprecated'"));
                }
                "tag" => {
                    self.note(
                        &kloc,
                        "keyword-typo",
                        "'tag:' is a typo of 'tags:'; tags are not imported".into(),
                    );
                    self.imp.drop_keyword(&kloc, "tags");
                }
                "x-base-uri" | "x-baseuri" => {
                    let raw = scalar_text(val).unwrap_or_default();
                    let url = raw.trim().trim_end_matches('/').to_owned();
                    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace)
                    {
                        return Err(Fail::Skip(format!("other host: {key}: '{raw}' is not an absolute URL")));
                    }
                    if key == "x-baseuri" {
                        self.note(&kloc, "keyword-typo", "read 'x-baseuri' as 'x-base-uri'".into());
                    }
                    if url != raw {
                        self.note(
                            &kloc,
                            "base-url-slash",
                            format!("base URL '{raw}' read as '{url}' (no trailing '/')"),
                        );
                    }
                    op.base_url = Some(url);
                }
                "x-verison" => {
                    self.note(
                        &kloc,
                        "keyword-typo",
                        "'x-verison' is a typo of 'x-version'; not imported".into(),
                    );
                    self.imp.drop_keyword(&kloc, "x-version");
                }
                k if OP_DROPPED.contains(&k) || k.starts_with("x-") => self.imp.drop_keyword(&kloc, k),
                _ => {
                    self.note(
                        &kloc,
                        "unknown-keyword",
                        format!("ignored unknown operation key '{key}'"),
                    );
                }
            }
        }

        // Parameters.
        let mut path_params: IndexMap<String, (Schema, Loc)> = IndexMap::new();
        let mut query_locs: IndexMap<String, Loc> = IndexMap::new();
        let mut form: Vec<(String, Loc, Value)> = Vec::new();
        for (ploc, p) in &params {
            let Some(pm) = p.as_mapping() else {
                self.note(
                    ploc,
                    "bad-parameter",
                    "ignored a parameter that is not a mapping".into(),
                );
                continue;
            };
            let name = lookup(pm, "name").and_then(scalar_text).unwrap_or_default();
            let whr = lookup(pm, "in").and_then(Value::as_str).unwrap_or("").to_owned();
            match whr.as_str() {
                "body" => {
                    if op.body.is_some() {
                        self.note(ploc, "duplicate-body", "ignored a second body parameter".into());
                        continue;
                    }
                    let sloc = ploc.key("schema");
                    let sv = sloc.get().clone();
                    if sv.is_null() {
                        self.note(
                            ploc,
                            "body-without-schema",
                            "body parameter without schema: read as any JSON".into(),
                        );
                        op.body = Some(json());
                    } else {
                        op.body = Some(self.schema(&sv, &sloc, Mode::default())?);
                    }
                }
                "formData" => {
                    if name.is_empty() {
                        self.note(
                            ploc,
                            "bad-parameter",
                            "ignored a formData parameter without a name".into(),
                        );
                        continue;
                    }
                    form.push((name, ploc.clone(), p.clone()));
                }
                "query" | "header" | "path" => {
                    if name.is_empty() {
                        self.note(
                            ploc,
                            "bad-parameter",
                            format!("ignored a {whr} parameter without a name"),
                        );
                        continue;
                    }
                    self.no_share += 1;
                    let s = self.schema(
                        p,
                        ploc,
                        Mode {
                            param: true,
                            skip_strays: false,
                        },
                    );
                    self.no_share -= 1;
                    let mut s = s?;
                    match whr.as_str() {
                        "query" => {
                            if s.ty.as_deref() == Some("array") {
                                // Sent comma-joined: the items must be scalars (or a string enum).
                                let items = s.items.as_deref();
                                let scalar = items.is_some_and(|i| {
                                    i.ref_.is_none()
                                        && i.properties.is_none()
                                        && matches!(i.ty.as_deref(), Some("string" | "integer" | "number" | "boolean"))
                                });
                                if !scalar {
                                    return Err(Fail::Skip(format!(
                                        "array query parameter: '{name}' has items that are not scalars"
                                    )));
                                }
                            }
                            query_locs.insert(name.clone(), ploc.clone());
                            op.query.insert(name, s);
                        }
                        "header" if name.eq_ignore_ascii_case("Wechatpay-Serial") => {
                            self.note(
                                ploc,
                                "transport-header",
                                "Wechatpay-Serial is set by the client (the key it encrypted with, or the configured WeChat Pay public key): not a request field".into(),
                            );
                        }
                        "header" => {
                            if s.json.take().is_some() {
                                self.note(
                                    ploc,
                                    "x-json",
                                    format!("header '{name}' carries JSON text: read as a plain string"),
                                );
                            }
                            if s.ty.as_deref() != Some("string") {
                                self.note(ploc, "header-type", format!("header '{name}' read as string"));
                                s.ty = Some("string".into());
                                s.format = None;
                            }
                            op.headers.insert(name, s);
                        }
                        _ => {
                            if s.json.take().is_some() {
                                self.note(
                                    ploc,
                                    "x-json",
                                    format!("path parameter '{name}' carries JSON text: read as a plain string"),
                                );
                            }
                            path_params.insert(name, (s, ploc.clone()));
                        }
                    }
                }
                other => {
                    self.note(
                        ploc,
                        "bad-parameter",
                        format!("ignored parameter '{name}' with unknown location in: '{other}'"),
                    );
                }
            }
        }
        self.path_parameters(&mut op, path_params, query_locs, url, rel, loc);
        if multipart {
            self.upload(&mut op, form, loc)?;
        } else if !form.is_empty() {
            // Unreachable: formData parameters make the operation multipart.
            return Err(Fail::Skip("formData parameters without multipart".into()));
        }

        // Operation-level x-is-sensitive: names of parameters or body properties.
        if let Some(xs) = lookup(m, "x-is-sensitive") {
            let kloc = loc.key("x-is-sensitive");
            for name in str_list(Some(xs)) {
                let mut hit = false;
                for map in [&mut op.query, &mut op.headers, &mut op.path] {
                    if let Some(s) = map.get_mut(&name) {
                        s.sensitive = true;
                        hit = true;
                    }
                }
                if let Some(props) = op.body.as_mut().and_then(|b| b.properties.as_mut()) {
                    if let Some(s) = props.get_mut(&name) {
                        s.sensitive = true;
                        hit = true;
                    }
                }
                if !hit {
                    self.note(
                        &kloc,
                        "sensitive-unknown",
                        format!("x-is-sensitive names '{name}', which is no parameter or body property: ignored"),
                    );
                }
            }
        }

        // The request struct holds the query parameters, headers, body fields and form parts
        // side by side: two that become one Rust field cannot both be kept.
        let mut taken = HashMap::new();
        self.drop_field_collisions(&mut op.query, loc, &mut taken);
        self.drop_field_collisions(&mut op.headers, loc, &mut taken);
        if let Some(props) = op.body.as_mut().and_then(|b| b.properties.as_mut()) {
            self.drop_field_collisions(props, loc, &mut taken);
        }
        if let Some(up) = op.upload.as_mut() {
            if let Some(props) = up.meta.properties.as_mut() {
                self.drop_field_collisions(props, loc, &mut taken);
            }
            self.drop_field_collisions(&mut up.fields, loc, &mut taken);
        }

        // Response.
        let mut response = Response {
            status,
            body: None,
            content: None,
            signature: None,
        };
        if let (Some(rv), Some(rloc)) = (resp, resp_loc) {
            let sloc = rloc.key("schema");
            let sv = sloc.get().clone();
            let empty = match &sv {
                Value::Null => true,
                Value::Mapping(mm) => mm.is_empty(),
                _ => false,
            };
            // Binary (file) downloads, from the facts of the description (see the module docs).
            let has_schema = rv.get("schema").is_some();
            let non_json: Vec<&String> = produces.iter().filter(|p| !is_json_type(p)).collect();
            let binary: Option<&str> = if let Some(h) = rv.get("headers") {
                let names: Vec<String> = h
                    .as_mapping()
                    .map(|mm| mm.keys().filter_map(key_string).collect())
                    .unwrap_or_default();
                if !empty {
                    return Err(Fail::Skip(format!(
                        "response headers: the {status} response has headers [{}] beside a JSON body",
                        names.join(", ")
                    )));
                }
                if !names.iter().any(|n| n.eq_ignore_ascii_case("Wechatpay-Statement-Sha1")) {
                    return Err(Fail::Skip(format!(
                        "file download: the {status} response has headers [{}] but no Wechatpay-Statement-Sha1 (how it is authenticated is unknown)",
                        names.join(", ")
                    )));
                }
                Some("statement-sha1")
            } else if !non_json.is_empty() {
                if non_json.len() != produces.len() {
                    return Err(Fail::Skip(format!(
                        "mixed download: produces both JSON and non-JSON ({})",
                        produces.join(", ")
                    )));
                }
                if !empty {
                    self.note(
                        &sloc,
                        "binary-schema",
                        format!(
                            "the operation produces {}: the response schema is ignored",
                            produces.join(", ")
                        ),
                    );
                }
                Some("none")
            } else if empty && !has_schema && status == 200 && op_method(loc) == "get" {
                // `200: {}` on a GET that declares no produces: raw bytes (an image).
                Some("none")
            } else {
                None
            };
            if let Some(sig) = binary {
                response.content = Some("binary".into());
                response.signature = Some(sig.into());
            } else if !empty {
                if status == 204 {
                    self.note(
                        &sloc,
                        "body-on-204",
                        "ignored the schema of a 204 response (no content)".into(),
                    );
                } else {
                    self.in_response = true;
                    let body = self.schema(&sv, &sloc, Mode::default());
                    self.in_response = false;
                    let mut body = body?;
                    self.response_rule(&op, &mut body, &sloc);
                    response.body = Some(body);
                }
            }
        }
        if response.status != 200 || response.body.is_some() || response.content.is_some() {
            op.response = Some(response);
        }
        Ok(op)
    }

    /// Properties (or parameters) whose names become one Rust field (`self` and `Self`,
    /// `payAuthNo` and `pay_auth_no`; `taken`: field → the name that has it) cannot be
    /// generated side by side: the later one is dropped, with a repair line saying which.
    fn drop_field_collisions(
        &mut self,
        map: &mut IndexMap<String, Schema>,
        loc: &Loc,
        taken: &mut HashMap<String, String>,
    ) {
        let mut dropped = Vec::new();
        for name in map.keys() {
            let field = crate::naming::field(name);
            match taken.get(&field) {
                Some(first) => dropped.push((name.clone(), first.clone(), field)),
                None => {
                    taken.insert(field, name.clone());
                }
            }
        }
        for (name, first, field) in dropped {
            map.shift_remove(&name);
            let at = if loc
                .path
                .last()
                .is_some_and(|p| matches!(p, Seg::Key(k) if k == "properties"))
            {
                loc.key(&name)
            } else {
                loc.clone()
            };
            self.note(
                &at,
                "field-collision",
                format!("'{first}' and '{name}' both become the Rust field `{field}`: '{name}' is left out (a hand edit may rename it)"),
            );
        }
    }

    /// A multipart/form-data upload: one `type: file` part, the `meta` part (its JSON shape is
    /// the non-standard `schema:` beside it) and any other text parts as scalar `fields`.
    /// The response rule (spec/README.md): the description's `required` on response fields
    /// over-promises (real query responses and notifications omit fields it marks required), so
    /// a response field is optional unless there is evidence that it is always present. The
    /// evidence the importer accepts: a top-level field the description marks required whose
    /// name is an input of the same operation (a path placeholder, query parameter or top-level
    /// body field), which WeChat Pay echoes back. One repair line per operation.
    fn response_rule(&mut self, op: &Operation, body: &mut Schema, loc: &Loc) {
        fn loosen(s: &mut Schema, count: &mut usize) {
            if let Some(props) = &mut s.properties {
                for p in props.values_mut() {
                    if p.required {
                        p.required = false;
                        *count += 1;
                    }
                    loosen(p, count);
                }
            }
            if let Some(items) = &mut s.items {
                loosen(items, count);
            }
        }
        let inputs: Vec<&String> = op
            .path
            .keys()
            .chain(op.query.keys())
            .chain(op.body.iter().flat_map(|b| b.properties.iter().flat_map(|p| p.keys())))
            .collect();
        let mut kept = Vec::new();
        let mut loosened = 0;
        if let Some(props) = &mut body.properties {
            for (name, p) in props.iter_mut() {
                if p.required && inputs.contains(&name) {
                    kept.push(name.clone());
                } else if p.required {
                    p.required = false;
                    loosened += 1;
                }
                loosen(p, &mut loosened);
            }
        } else {
            loosen(body, &mut loosened);
        }
        if loosened > 0 || !kept.is_empty() {
            let kept = if kept.is_empty() {
                String::new()
            } else {
                format!("; kept required (echoed from the request): {}", kept.join(", "))
            };
            self.note(
                loc,
                "response-optional",
                format!("{loosened} response fields marked required read as optional{kept}"),
            );
        }
    }

    fn upload(&mut self, op: &mut Operation, form: Vec<(String, Loc, Value)>, loc: &Loc) -> R<()> {
        let names: Vec<&str> = form.iter().map(|(n, _, _)| n.as_str()).collect();
        let files: Vec<&str> = form
            .iter()
            .filter(|(_, _, p)| p.get("type").and_then(Value::as_str) == Some("file"))
            .map(|(n, _, _)| n.as_str())
            .collect();
        let [file] = files[..] else {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: {} file parts among the form fields [{}] (the format has one)",
                files.len(),
                names.join(", ")
            )));
        };
        let file = file.to_owned();
        let Some((_, mloc, mp)) = form.iter().find(|(n, _, _)| n == "meta") else {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: no 'meta' part among the form fields [{}]",
                names.join(", ")
            )));
        };
        let sloc = mloc.key("schema");
        let sv = sloc.get().clone();
        if sv.is_null() {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: the 'meta' part at {} has no schema: (its JSON shape is unknown)",
                mloc.at()
            )));
        }
        let mut meta = self.schema(&sv, &sloc, Mode::default())?;
        if meta.properties.is_none() {
            return Err(Fail::Skip(format!(
                "multipart/form-data upload: the schema of the 'meta' part at {} is not an object",
                mloc.at()
            )));
        }
        meta.required = false;
        if meta.description.is_none() {
            meta.description = mp.get("description").and_then(scalar_text);
        }
        let mut fields = IndexMap::new();
        for (name, ploc, p) in &form {
            if *name == file || name == "meta" {
                continue;
            }
            self.no_share += 1;
            let s = self.schema(
                p,
                ploc,
                Mode {
                    param: true,
                    skip_strays: false,
                },
            );
            self.no_share -= 1;
            let s = s?;
            if !matches!(s.ty.as_deref(), Some("string" | "integer" | "number" | "boolean")) || s.properties.is_some() {
                return Err(Fail::Skip(format!(
                    "multipart/form-data upload: the form field '{name}' is not a scalar"
                )));
            }
            fields.insert(name.clone(), s);
        }
        if op.body.take().is_some() {
            self.note(
                loc,
                "multipart-body",
                "a multipart upload has no JSON body: the body parameter is ignored".into(),
            );
        }
        op.upload = Some(Upload { file, meta, fields });
        Ok(())
    }

    /// The parameters, with `$ref` entries resolved.
    fn parameters(&mut self, m: &Mapping, loc: &Loc) -> R<Vec<(Loc, Value)>> {
        let mut out = Vec::new();
        let Some(ps) = lookup(m, "parameters") else {
            return Ok(out);
        };
        let ploc = loc.key("parameters");
        let Some(seq) = ps.as_sequence() else {
            if !ps.is_null() {
                self.note(&ploc, "bad-parameter", "parameters is not a list: ignored".into());
            }
            return Ok(out);
        };
        for (i, p) in seq.iter().enumerate() {
            let l = ploc.idx(i);
            match p.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let r = r.to_owned();
                    let t = self.resolve(&r, &l.key("$ref"))?;
                    let v = t.get().clone();
                    if p.as_mapping().is_some_and(|mm| mm.len() > 1) {
                        self.note(
                            &l,
                            "ref-sibling",
                            "ignored keys beside a parameter $ref (Swagger 2)".into(),
                        );
                    }
                    out.push((t, v));
                }
                None => out.push((l, p.clone())),
            }
        }
        Ok(out)
    }

    /// The success response: the lowest 2xx code.
    fn success_response(&mut self, m: &Mapping, loc: &Loc) -> R<(u16, Option<Loc>, Option<Value>)> {
        let Some(rs) = lookup(m, "responses").and_then(Value::as_mapping) else {
            self.note(
                loc,
                "no-responses",
                "no responses: read as 200 with an undescribed body".into(),
            );
            return Ok((200, None, None));
        };
        let mut best: Option<(u16, String)> = None;
        for k in rs.keys() {
            let Some(ks) = key_string(k) else { continue };
            let Ok(code) = ks.trim().parse::<u16>() else { continue };
            if (200..300).contains(&code) && best.as_ref().map_or(true, |(b, _)| code < *b) {
                best = Some((code, ks));
            }
        }
        let Some((code, ks)) = best else {
            let codes: Vec<String> = rs.keys().filter_map(key_string).collect();
            return Err(Fail::Skip(format!("no success response: codes [{}]", codes.join(", "))));
        };
        let rloc = loc.key("responses").key(&ks);
        let v = rloc.get().clone();
        let v = if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let r = r.to_owned();
            let t = self.resolve(&r, &rloc.key("$ref"))?;
            let tv = t.get().clone();
            return Ok((code, Some(t), Some(tv)));
        } else {
            v
        };
        Ok((code, Some(rloc), Some(v)))
    }

    fn path_parameters(
        &mut self,
        op: &mut Operation,
        mut params: IndexMap<String, (Schema, Loc)>,
        query_locs: IndexMap<String, Loc>,
        url: &str,
        rel: &str,
        loc: &Loc,
    ) {
        let placeholders: Vec<String> = url
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        // A placeholder listed again as a query parameter: the value goes in the path, once.
        for p in &placeholders {
            if let Some(q) = op.query.shift_remove(p) {
                let qloc = query_locs.get(p).cloned().unwrap_or_else(|| loc.clone());
                self.note(
                    &qloc,
                    "path-param-in-query",
                    format!("'{p}' is a URL placeholder and also a query parameter: a path parameter only (not sent in the query)"),
                );
                params.entry(p.clone()).or_insert((q, qloc));
            }
        }
        let missing: Vec<&String> = placeholders.iter().filter(|p| !params.contains_key(*p)).collect();
        let extra: Vec<String> = params.keys().filter(|k| !placeholders.contains(k)).cloned().collect();
        // One placeholder without parameter and one parameter without placeholder: a misspelt name.
        if missing.len() == 1 && extra.len() == 1 {
            let (s, ploc) = params.shift_remove(&extra[0]).expect("present");
            self.note(
                &ploc,
                "path-param-renamed",
                format!(
                    "path parameter '{}' is not in the URL: read as the placeholder '{{{}}}'",
                    extra[0], missing[0]
                ),
            );
            params.insert(missing[0].clone(), (s, ploc));
        } else {
            for e in &extra {
                let (_, ploc) = params.shift_remove(e).expect("present");
                self.note(
                    &ploc,
                    "path-param-extra",
                    format!("path parameter '{e}' is not in the URL {url}: ignored"),
                );
            }
        }
        let _ = rel;
        for p in &placeholders {
            match params.shift_remove(p) {
                Some((mut s, ploc)) => {
                    s.required = false; // a placeholder is always present
                    if let Some(e) = s.enum_.take() {
                        let vals: Vec<String> = e
                            .iter()
                            .map(|v| match v.description() {
                                Some(d) => format!("{}（{d}）", v.value()),
                                None => v.value().to_string(),
                            })
                            .collect();
                        let list = format!("可选值: {}", vals.join(", "));
                        s.description = Some(match s.description.take() {
                            Some(d) => format!("{d}\n\n{list}"),
                            None => list,
                        });
                        self.note(
                            &ploc,
                            "path-param-enum",
                            format!("path parameter '{p}' is an enum: read as a string, its values listed in the description"),
                        );
                        if s.ty.as_deref() != Some("integer") {
                            s.ty = Some("string".into());
                        }
                    }
                    match s.ty.as_deref() {
                        Some("string") | Some("integer") => {}
                        Some("number") => {
                            self.note(
                                &ploc,
                                "path-param-type",
                                format!("path parameter '{p}' of type number read as integer"),
                            );
                            s.ty = Some("integer".into());
                            s.format = None;
                        }
                        other => {
                            self.note(
                                &ploc,
                                "path-param-type",
                                format!(
                                    "path parameter '{p}' of type {} read as string",
                                    other.unwrap_or("(none)")
                                ),
                            );
                            s.ty = Some("string".into());
                            s.format = None;
                            s.enum_ = None;
                        }
                    }
                    op.path.insert(p.clone(), s);
                }
                None => {
                    self.note(
                        loc,
                        "path-param-missing",
                        format!("placeholder '{{{p}}}' has no path parameter: added as a string"),
                    );
                    op.path.insert(
                        p.clone(),
                        Schema {
                            ty: Some("string".into()),
                            ..Schema::default()
                        },
                    );
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // References

    /// Resolves a `$ref` (`file#/Name`, `file#Name`, `#Name`, `#/Name`, `file`) found at `loc`.
    fn resolve(&mut self, r: &str, loc: &Loc) -> R<Loc> {
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
                            "ref-no-slash",
                            format!("read $ref '{r}' as '#/{frag}' (JSON pointer without '/')"),
                        );
                    }
                    frag
                }
            };
            if !f.is_empty() {
                // Fragments are one level deep upstream, and may contain dots; `/` still nests.
                for part in f.split('/') {
                    path.push(super::lines::Seg::Key(part.replace("~1", "/").replace("~0", "~")));
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
    fn schema(&mut self, v: &Value, loc: &Loc, mode: Mode) -> R<Schema> {
        let (s, pending) = self.schema_inner(v, loc, mode)?;
        self.report_pending(pending);
        Ok(s)
    }

    fn report_pending(&mut self, pending: Vec<Pending>) {
        for p in pending {
            match p.kind {
                PendingKind::Required => self.note(
                    &p.loc,
                    "required-unknown",
                    format!("required names '{}', which is not a property: ignored", p.name),
                ),
                PendingKind::Sensitive => self.note(
                    &p.loc,
                    "sensitive-unknown",
                    format!("x-is-sensitive names '{}', which is not a property: ignored", p.name),
                ),
            }
        }
    }

    fn schema_inner(&mut self, v: &Value, loc: &Loc, mode: Mode) -> R<(Schema, Vec<Pending>)> {
        self.schema_part(v, loc, mode, false)
    }

    /// `part`: an allOf part, finished (type inference) only after merging.
    fn schema_part(&mut self, v: &Value, loc: &Loc, mode: Mode, part: bool) -> R<(Schema, Vec<Pending>)> {
        let m = match v {
            Value::Mapping(m) => m,
            Value::Null => {
                self.note(loc, "empty-schema", "empty schema: read as any JSON".into());
                return Ok((json(), Vec::new()));
            }
            other => {
                self.note(
                    loc,
                    "bad-schema",
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
                None => self.note(&aloc, "bad-schema", "allOf is not a list: ignored".into()),
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
    fn reference(&mut self, m: &Mapping, r: &Value, loc: &Loc, part: bool) -> R<(Schema, Vec<Pending>)> {
        let rloc = loc.key("$ref");
        let Some(r) = r.as_str() else {
            self.note(&rloc, "bad-ref", "$ref is not a string: read as any JSON".into());
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
    fn ref_siblings(&mut self, m: &Mapping, loc: &Loc, s: &mut Schema) {
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
            self.note(loc, "ref-sibling", msg);
        }
    }

    /// A `{ref: Name}` use as the inlined schema of its definition (with the use site's
    /// description and required flag); any other schema as it is.
    fn expand_ref(&mut self, s: Schema) -> Schema {
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
    fn merge(&mut self, a: Schema, b: Schema, over_wins: bool, loc: &Loc) -> Schema {
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
            enum_: b.enum_.or(a.enum_),
            ..Schema::default()
        };
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
                                "allof-merge",
                                format!("allOf parts both define the object '{k}': their properties are merged"),
                            );
                            let merged = self.merge(old, v, true, loc);
                            p.insert(k, merged);
                        }
                        Some(old) => {
                            self.note(
                                loc,
                                "allof-conflict",
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
                    "allof-conflict",
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

    /// The keys of one schema mapping except `$ref`/`allOf`, without final type inference.
    /// Returns the schema, pending names and whether stray keys were adopted as properties.
    fn plain(&mut self, m: &Mapping, loc: &Loc, mode: Mode) -> R<(Schema, Vec<Pending>, bool)> {
        let mut s = Schema::default();
        let mut pending = Vec::new();
        let mut strays: Vec<String> = Vec::new();
        let mut required_names: Option<(Vec<Value>, Loc)> = None;
        let mut sensitive_names: Option<(Vec<String>, Loc)> = None;
        for (k, val) in m {
            let Some(key) = key_string(k) else {
                self.note(loc, "bad-key", "ignored a non-scalar key".into());
                continue;
            };
            let kloc = loc.key(&key);
            match key.as_str() {
                "type" | "format" | "properties" | "items" | "enum" | "allOf" | "$ref" => {}
                "name" | "in" | "schema" if mode.param => {}
                "description" => {
                    s.description = scalar_text(val);
                    if s.description.is_none() && !val.is_null() {
                        self.note(&kloc, "bad-description", "description is not text: ignored".into());
                    }
                }
                "example" => s.example = Some(self.yaml11(val, &kloc)),
                "required" => match val {
                    Value::Sequence(q) => required_names = Some((q.clone(), kloc)),
                    Value::Bool(b) => {
                        if !mode.param {
                            self.note(
                                &kloc,
                                "required-bool",
                                format!(
                                    "'required: {b}' inside a property schema read as the property's required flag"
                                ),
                            );
                        }
                        s.required = *b;
                    }
                    Value::Null => self.note(
                        &kloc,
                        "required-null",
                        "'required:' without a value: no required properties".into(),
                    ),
                    Value::String(x) => {
                        self.note(
                            &kloc,
                            "required-scalar",
                            format!("'required: {x}' read as the list [{x}]"),
                        );
                        required_names = Some((vec![val.clone()], kloc));
                    }
                    _ => self.note(
                        &kloc,
                        "bad-required",
                        "required is neither a list nor a boolean: ignored".into(),
                    ),
                },
                "require" | "requried" | "requires" => {
                    let b = val.as_bool().unwrap_or(false);
                    self.note(
                        &kloc,
                        "keyword-typo",
                        format!(
                            "read '{key}: {}' as 'required: {b}'",
                            scalar_text(val).unwrap_or_default()
                        ),
                    );
                    s.required = b;
                }
                "deprecated" => s.deprecated = val.as_bool().unwrap_or(false),
                "depracted" | "deprecate" => {
                    s.deprecated = val.as_bool().unwrap_or(false);
                    self.note(&kloc, "keyword-typo", format!("read '{key}' as 'deprecated'"));
                }
                "x-json" => {
                    // JSON carried as text in a string (`"qualifications": "[{…}]"`, a query
                    // `partner={"type":"APPID"}`): typed by its shape (our `json:`).
                    let inner = self.schema(val, &kloc, Mode::default())?;
                    s.json = Some(Box::new(inner));
                    self.note(
                        &kloc,
                        "x-json",
                        "the JSON carried in this string is typed by its x-json shape (json:)".into(),
                    );
                }
                "x-is-sensitive" => {
                    let names = str_list(Some(val));
                    if names.is_empty() {
                        self.note(
                            &kloc,
                            "bad-sensitive",
                            "x-is-sensitive is neither a name nor a list: ignored".into(),
                        );
                    }
                    sensitive_names = Some((names, kloc));
                }
                "oneOf" | "anyOf" | "not" => {
                    self.note(&kloc, "one-of", format!("{key} is not supported: read as any JSON"));
                    s.ty = Some("json".into());
                }
                k if DROPPED.contains(&k) || k.starts_with("x-") => self.imp.drop_keyword(&kloc, k),
                _ => {
                    if looks_like_schema(val) {
                        strays.push(key);
                    } else {
                        self.note(
                            &kloc,
                            "unknown-keyword",
                            format!("ignored unknown schema keyword '{key}'"),
                        );
                    }
                }
            }
        }

        // Type and format.
        let (mut ty, mut format) = self.type_and_format(m, loc, &mut s.example);
        if ty.as_deref() == Some("number") && lookup(m, "enum").is_none() {
            if let Some(why) = fraction_evidence(m, s.example.as_ref()) {
                self.note(loc, "number-float", format!("type number kept as a float: {why}"));
            } else {
                let reason = integer_evidence(m, loc, s.example.as_ref());
                self.note(loc, "number-integer", format!("type number read as integer: {reason}"));
                ty = Some("integer".into());
                format = None;
            }
        }
        if s.ty.is_none() {
            s.ty = ty;
        }
        s.format = format;

        // Enum.
        if let Some(e) = lookup(m, "enum") {
            self.enumeration(&mut s, e, &loc.key("enum"));
        }

        // Properties (own, plus mis-indented strays).
        let ploc = loc.key("properties");
        let mut props: Option<IndexMap<String, Schema>> = None;
        let mut adopt_strays = !mode.skip_strays;
        match lookup(m, "properties") {
            Some(Value::Mapping(pm)) => {
                let mut out = IndexMap::new();
                for (pk, pv) in pm {
                    let Some(name) = key_string(pk) else { continue };
                    let l = ploc.key(&name);
                    // Keys indented too far into this property's schema belong to our object.
                    let hoist = hoistable(pv);
                    let ps = self.schema(
                        pv,
                        &l,
                        Mode {
                            param: false,
                            skip_strays: !hoist.is_empty(),
                        },
                    )?;
                    out.insert(name.clone(), ps);
                    for h in hoist {
                        let hl = l.key(&h);
                        let hv = hl.get().clone();
                        self.note(
                            &hl,
                            "misindented-property",
                            format!("'{h}' is indented into the schema of '{name}' as if a keyword: read as a property of the enclosing object"),
                        );
                        let hs = self.schema(&hv, &hl, Mode::default())?;
                        if out.contains_key(&h) {
                            self.note(
                                &hl,
                                "misindented-property",
                                format!("'{h}' is defined twice: the first is kept"),
                            );
                        } else {
                            out.insert(h, hs);
                        }
                    }
                }
                self.drop_field_collisions(&mut out, &ploc, &mut HashMap::new());
                props = Some(out);
            }
            Some(Value::Null) => {
                adopt_strays = true;
                if strays.is_empty() {
                    self.note(&ploc, "properties-null", "'properties:' without a value".into());
                }
                props = Some(IndexMap::new());
            }
            Some(_) => self.note(&ploc, "bad-properties", "properties is not a mapping: ignored".into()),
            None => {}
        }
        let mut adopted = false;
        if adopt_strays && !strays.is_empty() {
            let out = props.get_or_insert_with(IndexMap::new);
            for h in &strays {
                let hl = loc.key(h);
                let hv = hl.get().clone();
                self.note(
                    &hl,
                    "misindented-property",
                    format!("'{h}' stands beside the schema keywords (mis-indented): read as a property"),
                );
                let hs = self.schema(&hv, &hl, Mode::default())?;
                out.insert(h.clone(), hs);
            }
            adopted = true;
        }
        if let Some((names, rloc)) = required_names {
            for (i, n) in names.iter().enumerate() {
                let Some(n) = scalar_text(n) else { continue };
                match props.as_mut().and_then(|p| p.get_mut(&n)) {
                    Some(p) => p.required = true,
                    None => pending.push(Pending {
                        name: n,
                        kind: PendingKind::Required,
                        loc: rloc.idx(i),
                    }),
                }
            }
        }
        if let Some((names, sloc)) = sensitive_names {
            for n in names {
                match props.as_mut().and_then(|p| p.get_mut(&n)) {
                    Some(p) => p.sensitive = true,
                    None => {
                        if props.is_none() && lookup(m, "allOf").is_none() {
                            // On a scalar: the value itself is the encrypted one.
                            self.note(
                                &sloc,
                                "sensitive-self",
                                format!(
                                    "x-is-sensitive '{n}' on a schema without properties: marks this field sensitive"
                                ),
                            );
                            s.sensitive = true;
                        } else {
                            pending.push(Pending {
                                name: n,
                                kind: PendingKind::Sensitive,
                                loc: sloc.clone(),
                            })
                        }
                    }
                }
            }
        }
        s.properties = props;

        // Items.
        if let Some(iv) = lookup(m, "items") {
            let il = loc.key("items");
            if iv.is_sequence() {
                self.note(
                    &il,
                    "bad-items",
                    "tuple items are not supported: read as any JSON".into(),
                );
                s.items = Some(Box::new(json()));
            } else {
                s.items = Some(Box::new(self.schema(iv, &il, Mode::default())?));
            }
        }
        Ok((s, pending, adopted))
    }

    /// Final inference after allOf merging: untyped schemas, objects without properties,
    /// arrays without items, `type: object` left implicit when properties say it.
    fn finish(&mut self, s: &mut Schema, m: &Mapping, loc: &Loc) {
        if s.ty.as_deref() == Some("object") || (s.ty.is_none() && s.properties.is_some()) {
            match &s.properties {
                Some(p) if !p.is_empty() => s.ty = None,
                _ => {
                    self.note(
                        loc,
                        "free-form-object",
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
                self.note(loc, "untyped", format!("schema without type: read as {t}"));
                s.ty = Some(t.into());
            }
        }
        if s.ty.as_deref() == Some("array") && s.items.is_none() {
            let t = match &s.example {
                Some(Value::Sequence(q)) => q.first().and_then(type_of_example).unwrap_or("json"),
                _ => "json",
            };
            self.note(loc, "array-no-items", format!("array without items: items read as {t}"));
            s.items = Some(Box::new(Schema {
                ty: Some(t.into()),
                ..Schema::default()
            }));
        }
        if s.ty.as_deref() != Some("array") && s.items.is_some() && s.ty.is_some() {
            self.note(
                loc,
                "items-on-non-array",
                format!("items on a {} schema: ignored", s.ty.as_deref().unwrap_or("")),
            );
            s.items = None;
        }
    }

    fn type_and_format(
        &mut self,
        m: &Mapping,
        loc: &Loc,
        example: &mut Option<Value>,
    ) -> (Option<String>, Option<String>) {
        let tloc = loc.key("type");
        let floc = loc.key("format");
        let mut format = lookup(m, "format").and_then(scalar_text);
        let ty = match lookup(m, "type") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let raw = scalar_text(v).unwrap_or_default();
                let t = raw.trim().to_ascii_lowercase();
                if TYPES.contains(&raw.as_str()) {
                    Some(raw)
                } else if TYPES.contains(&t.as_str()) {
                    self.note(&tloc, "bad-type", format!("type '{raw}' read as '{t}'"));
                    Some(t)
                } else if ["int", "long", "short"].contains(&t.as_str()) {
                    self.note(&tloc, "bad-type", format!("type '{raw}' read as 'integer'"));
                    Some("integer".into())
                } else if ["int32", "int64", "uint32", "uint64", "uint"].contains(&t.as_str()) {
                    let f = if t == "uint" { "uint64".to_owned() } else { t.clone() };
                    self.note(
                        &tloc,
                        "bad-type",
                        format!("type '{raw}' read as 'integer' with format '{f}'"),
                    );
                    format = Some(f);
                    Some("integer".into())
                } else if ["float", "double"].contains(&t.as_str()) {
                    self.note(&tloc, "bad-type", format!("type '{raw}' read as 'number'"));
                    Some("number".into())
                } else if ["bool"].contains(&t.as_str()) {
                    self.note(&tloc, "bad-type", format!("type '{raw}' read as 'boolean'"));
                    Some("boolean".into())
                } else if let Some(k) = TYPES.iter().find(|k| t.starts_with(*k) && t.len() <= k.len() + 3) {
                    self.note(&tloc, "bad-type", format!("type '{raw}' read as '{k}' (typo)"));
                    Some((*k).to_owned())
                } else {
                    // The type field holds a value (an example, mis-placed).
                    let kept = if example.is_none() {
                        *example = Some(v.clone());
                        ", kept as the example"
                    } else {
                        ""
                    };
                    self.note(
                        &tloc,
                        "type-is-value",
                        format!("type '{raw}' is not a type but a value: read as string{kept}"),
                    );
                    Some("string".into())
                }
            }
        };
        let Some(ty) = ty else {
            if let Some(f) = &format {
                // Untyped with a format: infer an integer from integer formats.
                if ["int32", "int64", "uint32", "uint64", "integer"].contains(&f.as_str()) {
                    self.note(
                        &floc,
                        "untyped",
                        format!("schema without type but format '{f}': read as integer"),
                    );
                    let f = (f != "integer").then(|| f.clone());
                    return (Some("integer".into()), f);
                }
            }
            return (None, format);
        };
        let int_fmt = |f: &str| -> Option<&'static str> {
            match f {
                "int32" => Some("int32"),
                "int64" => Some("int64"),
                "uint32" | "unit32" => Some("uint32"),
                "uint64" | "unit64" | "uint" => Some("uint64"),
                _ => None,
            }
        };
        match (ty.as_str(), format.as_deref()) {
            (_, None) => (Some(ty), None),
            ("number", Some("integer")) | ("number", Some("int")) => {
                self.note(
                    &floc,
                    "number-integer",
                    "type number with format integer read as integer".into(),
                );
                (Some("integer".into()), None)
            }
            ("number", Some(f)) if int_fmt(f).is_some() => {
                let g = int_fmt(f).unwrap();
                self.note(
                    &floc,
                    "number-integer",
                    format!("type number with format {f} read as integer with format {g}"),
                );
                (Some("integer".into()), Some(g.into()))
            }
            ("number", Some(f)) => {
                if f != "float" && f != "double" {
                    self.note(&floc, "bad-format", format!("format '{f}' of a number dropped"));
                } else {
                    self.imp.drop_keyword(&floc, &format!("format: {f}"));
                }
                (Some(ty), None)
            }
            ("integer", Some(f)) => match int_fmt(f) {
                Some(g) if g == f => (Some(ty), Some(g.into())),
                Some(g) => {
                    self.note(&floc, "bad-format", format!("integer format '{f}' read as '{g}'"));
                    (Some(ty), Some(g.into()))
                }
                None => {
                    if f != "integer" {
                        self.note(&floc, "bad-format", format!("integer format '{f}' dropped"));
                    }
                    (Some(ty), None)
                }
            },
            ("string", Some(f)) => (Some(ty), Some(f.to_owned())),
            (_, Some(f)) => {
                self.note(&floc, "bad-format", format!("format '{f}' of a {ty} dropped"));
                (Some(ty), None)
            }
        }
    }

    fn enumeration(&mut self, s: &mut Schema, e: &Value, eloc: &Loc) {
        let Some(items) = e.as_sequence() else {
            self.note(eloc, "bad-enum", "enum is not a list: ignored".into());
            return;
        };
        let mut vals: Vec<(Scalar, Option<String>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let il = eloc.idx(i);
            // The meaning of a value lives in the comment on its line (only when the item has a
            // line of its own: flow lists `[A, B]` share one line).
            let line = il.src.ix.exact(&il.path);
            let comment = line.and_then(|l| il.src.ix.comment(l));
            let item = self.yaml11(item, &il);
            let v = match &item {
                Value::String(x) => Scalar::Str(x.clone()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Scalar::Int(i),
                    None => {
                        let t = line
                            .and_then(|l| il.src.ix.plain_scalar(l))
                            .unwrap_or_else(|| n.to_string());
                        self.note(&il, "enum-value", format!("enum value {n} read as the string '{t}'"));
                        Scalar::Str(t)
                    }
                },
                Value::Bool(b) => {
                    let t = line
                        .and_then(|l| il.src.ix.plain_scalar(l))
                        .unwrap_or_else(|| b.to_string());
                    self.note(
                        &il,
                        "enum-value",
                        format!("boolean enum value read as the string '{t}'"),
                    );
                    Scalar::Str(t)
                }
                _ => {
                    self.note(&il, "enum-value", "ignored an enum value that is not a scalar".into());
                    continue;
                }
            };
            vals.push((v, comment));
        }
        let any_str = vals.iter().any(|(v, _)| matches!(v, Scalar::Str(_)));
        let any_int = vals.iter().any(|(v, _)| matches!(v, Scalar::Int(_)));
        match s.ty.as_deref() {
            Some("string") if any_int => {
                self.note(
                    eloc,
                    "enum-type-mismatch",
                    "integer values of a string enum read as strings".into(),
                );
                for (v, _) in &mut vals {
                    if let Scalar::Int(i) = v {
                        *v = Scalar::Str(i.to_string());
                    }
                }
            }
            Some("integer") | Some("number") if any_str => {
                let all_num = vals.iter().all(|(v, _)| match v {
                    Scalar::Int(_) => true,
                    Scalar::Str(x) => x.trim().parse::<i64>().is_ok(),
                    Scalar::Float(_) | Scalar::Bool(_) => false, // the importer writes neither
                });
                if all_num {
                    self.note(
                        eloc,
                        "enum-type-mismatch",
                        "string values of an integer enum read as integers".into(),
                    );
                    for (v, _) in &mut vals {
                        if let Scalar::Str(x) = v {
                            *v = Scalar::Int(x.trim().parse().unwrap());
                        }
                    }
                    s.ty = Some("integer".into());
                    s.format = None;
                } else {
                    self.note(
                        eloc,
                        "enum-type-mismatch",
                        format!(
                            "a {} enum with text values read as a string enum",
                            s.ty.as_deref().unwrap()
                        ),
                    );
                    for (v, _) in &mut vals {
                        if let Scalar::Int(i) = v {
                            *v = Scalar::Str(i.to_string());
                        }
                    }
                    s.ty = Some("string".into());
                    s.format = None;
                }
            }
            Some("number") => {
                self.note(
                    eloc,
                    "enum-number-integer",
                    "number enum with integer values read as integer".into(),
                );
                s.ty = Some("integer".into());
                s.format = None;
            }
            None if any_str && any_int => {
                for (v, _) in &mut vals {
                    if let Scalar::Int(i) = v {
                        *v = Scalar::Str(i.to_string());
                    }
                }
                self.note(
                    eloc,
                    "enum-type-mismatch",
                    "untyped enum mixing integers and text read as strings".into(),
                );
            }
            Some("boolean") => {
                self.note(eloc, "enum-type-mismatch", "boolean enum read as a string enum".into());
                s.ty = Some("string".into());
            }
            _ => {}
        }
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (v, d) in vals {
            if seen.contains(&v) {
                self.note(eloc, "enum-duplicate", format!("duplicate enum value '{v}' dropped"));
                continue;
            }
            seen.push(v.clone());
            out.push(match d {
                Some(d) => EnumValue::Described(DescribedValue {
                    value: v,
                    description: Some(d),
                }),
                None => EnumValue::Bare(v),
            });
        }
        s.enum_ = Some(out);
    }

    /// Scalars that YAML 1.1 (upstream's PyYAML-based tooling) and YAML 1.2 (serde_yaml) read
    /// differently: the text as written is kept, as a string, and the difference is noted.
    fn yaml11(&mut self, v: &Value, loc: &Loc) -> Value {
        if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            return v.clone();
        }
        let Some(line) = loc.src.ix.exact(&loc.path) else {
            return v.clone();
        };
        let Some(text) = loc.src.ix.plain_scalar(line) else {
            return v.clone();
        };
        const BOOLS: [&str; 16] = [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
        ];
        let digits_us = !text.is_empty()
            && text
                .trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_')
            && text.contains('_')
            && text
                .trim_start_matches(['-', '+'])
                .starts_with(|c: char| c.is_ascii_digit());
        let leading_zero = text.len() > 1 && text.starts_with('0') && text.chars().all(|c| c.is_ascii_digit());
        if BOOLS.contains(&text.as_str()) {
            self.note(
                loc,
                "yaml11-scalar",
                format!("kept unquoted {text} as the string '{text}' (YAML 1.1 would read a boolean)"),
            );
            Value::String(text)
        } else if digits_us {
            self.note(
                loc,
                "yaml11-scalar",
                format!(
                    "kept unquoted {text} as the string '{text}' (YAML 1.1 would read the integer {})",
                    text.replace('_', "")
                ),
            );
            Value::String(text)
        } else if leading_zero {
            self.note(loc, "yaml11-scalar", format!("kept unquoted {text} as the string '{text}' (YAML 1.1 would read an octal integer, YAML 1.2 a decimal one)"));
            Value::String(text)
        } else {
            v.clone()
        }
    }
}

/// Why a `type: number` schema documents fractions, if it does: a fractional example, or a
/// description that speaks of decimals (小数, 保留…位, 精确到).
fn fraction_evidence(m: &Mapping, example: Option<&Value>) -> Option<String> {
    if let Some(Value::Number(n)) = example {
        if !(n.is_i64() || n.is_u64()) {
            return Some(format!("fractional example {n}"));
        }
    }
    let description = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
    ["小数", "保留", "精确到", "decimal"]
        .iter()
        .find(|w| description.contains(**w))
        .map(|w| format!("the description says '{w}' ({})", description.trim()))
}

/// The rule for `type: number` (the description uses it mostly for amounts in 分, counts and
/// ids): an integer unless it documents fractions ([`fraction_evidence`], checked first). The
/// evidence named in the repair line, first found: an integer example; the description (分,
/// 整数, 数量, 个数, 笔数, 条数, 次数, 页码, 位置, 大小, ID); the field name (amount, total, fee,
/// price, count, num, quantity, offset, limit, …); otherwise "no fraction documented".
fn integer_evidence(m: &Mapping, loc: &Loc, example: Option<&Value>) -> String {
    if let Some(Value::Number(n)) = example {
        return format!("integer example {n}");
    }
    let description = lookup(m, "description").and_then(scalar_text).unwrap_or_default();
    const WORDS: [&str; 12] = [
        "分", "整数", "数量", "个数", "笔数", "条数", "次数", "页码", "位置", "大小", "数", "ID",
    ];
    if let Some(w) = WORDS.iter().find(|w| description.contains(**w)) {
        return format!("the description says '{w}'");
    }
    let name = loc.path.iter().rev().find_map(|s| match s {
        Seg::Key(k) if !["items", "properties", "schema"].contains(&k.as_str()) => Some(k.to_ascii_lowercase()),
        _ => None,
    });
    const NAMES: [&str; 14] = [
        "amount", "amt", "total", "fee", "price", "count", "num", "quantity", "offset", "limit", "size", "id", "no",
        "index",
    ];
    match name.filter(|n| n.split('_').any(|part| NAMES.contains(&part))) {
        Some(n) => format!("an amount or count by its name '{n}'"),
        None => "no fraction documented".into(),
    }
}

fn op_method(loc: &Loc) -> String {
    match loc.path.last() {
        Some(super::lines::Seg::Key(k)) => k.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Whether a value under an unknown key looks like a property schema (mis-indented property).
fn looks_like_schema(v: &Value) -> bool {
    v.as_mapping().is_some_and(|m| {
        m.keys().filter_map(|k| k.as_str()).any(|k| {
            matches!(
                k,
                "type" | "$ref" | "properties" | "allOf" | "items" | "enum" | "description" | "format" | "example"
            )
        })
    })
}

/// Stray property-like keys in a property schema that already has properties: they were
/// indented one level too far and belong to the enclosing object.
fn hoistable(v: &Value) -> Vec<String> {
    let Some(m) = v.as_mapping() else { return Vec::new() };
    if !matches!(lookup(m, "properties"), Some(Value::Mapping(_))) {
        return Vec::new();
    }
    m.iter()
        .filter_map(|(k, v)| {
            let k = k.as_str()?;
            let known = matches!(
                k,
                "type"
                    | "format"
                    | "description"
                    | "required"
                    | "properties"
                    | "items"
                    | "enum"
                    | "allOf"
                    | "$ref"
                    | "example"
                    | "deprecated"
                    | "depracted"
                    | "require"
                    | "oneOf"
                    | "anyOf"
                    | "not"
            ) || DROPPED.contains(&k)
                || k.starts_with("x-");
            (!known && looks_like_schema(v)).then(|| k.to_owned())
        })
        .collect()
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
