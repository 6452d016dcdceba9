//! Conversion of one path file (and the definitions it references) into a [`PathFile`].

use std::path::PathBuf;

use serde_yaml::Value;

use super::lines::Seg;
use super::{key_string, DefKey, Edge, ImportError, Importer, Loc, Note, RepairKind, SkippedOp};
use wechatpay_model::spec::{PathFile, Schema};

mod operation;
mod plain;
mod response;
mod scalar;
mod schema;
mod v2;

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
            RepairKind::NotAMapping,
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
                    RepairKind::PathLevelKey,
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
            c.note(
                &loc,
                RepairKind::MethodCase,
                format!("read method '{key}' as '{lower}'"),
            );
        }
        // APIv2 (XML): every `$ref` inlined (a shared type is JSON), the protocol's fields
        // left to the client (see `v2.rs`).
        c.v2 = rel.starts_with("v2/");
        if c.v2 {
            c.no_share += 1;
        }
        match c.operation(v, &loc, &url) {
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
            RepairKind::PathParamType,
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
    /// Converting an APIv2 operation (`v2/`).
    v2: bool,
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
            v2: false,
        }
    }

    fn note(&mut self, loc: &Loc, kind: RepairKind, msg: String) {
        self.notes.push(Note {
            kind,
            text: format!("{}: {msg}", loc.at()),
        });
    }
}
