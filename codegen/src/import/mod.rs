//! `cargo xtask import`: converts the public Swagger-2 description
//! (TheNorthMemory/wechatpay-openapi) into this project's spec format ([`crate::spec`]).
//!
//! * One output file per URL, at the same relative path (`v3/pay/x.yaml` → `to/v3/pay/x.yaml`;
//!   `{placeholder}` and `{empty}` file names are kept as they are).
//! * `$ref` targets are inlined at each use (no `spec/types` output yet), `allOf` is merged.
//! * **Multipart uploads** (`consumes: multipart/form-data` or any `in: formData` parameter)
//!   become `upload:`: `file` is the name of the one `type: file` part, `meta` the schema
//!   written (non-standard) as `schema:` under the `meta` form parameter, `fields` every other
//!   form parameter (a scalar). No `body`. Without exactly one file part, or without a `meta`
//!   part with a schema, the operation is skipped with the reason.
//! * **Binary downloads** are decided from the facts of the description, never from a path list.
//!   The success response becomes `{content: binary, signature: …}` (no `body`) when:
//!   1. it declares response `headers` that include `Wechatpay-Statement-Sha1` and its schema is
//!      empty → `signature: statement-sha1` (the signed statement files; query and header
//!      parameters such as `Accept-Encoding` are kept); headers without that one → skipped;
//!   2. the operation `produces` only non-JSON media types (`text/plain`, `application/x-gzip`,
//!      `application/pdf`) → `signature: none`; a mix of JSON and non-JSON → skipped;
//!   3. a GET declares no `produces` and its 200 response has no `schema` key at all
//!      (`'200': {}`: raw bytes, e.g. an image) → `signature: none`.
//!
//!   An explicit `schema: {}` on any other operation stays "a 200 whose body is not described".
//! * **Other hosts**: `x-base-uri` (or its typo `x-baseuri`) → `base_url:` without a trailing `/`.
//! * **Array query parameters** → `{type: array, items: <scalar or string enum>}` (sent
//!   comma-joined); items that are objects or arrays → skipped.
//! * `v3/webhooks.yaml` describes an inbound notification, not a client call: skipped.
//! * Every defect of the source that the importer repairs is reported as one line
//!   `file:line: what it did` ([`ImportSummary::repair_lines`]); operations the format cannot
//!   express yet are skipped with a reason ([`ImportSummary::skipped_ops`]).
//! * Hand edits win: a file is overwritten only when it starts with [`HEADER`] (or does not exist),
//!   unless [`ImportOptions::force`].

mod convert;
pub mod lines;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_yaml::Value;

use crate::spec::PathFile;
use lines::{LineIndex, Seg};

/// The first line of every file the importer writes. A file without it is a hand-edited file
/// and is never overwritten (unless [`ImportOptions::force`]).
pub const HEADER: &str =
    "# imported from wechatpay-openapi by cargo xtask import; remove this line to keep hand edits";

/// The folders of the description that hold JSON path files.
pub const JSON_ROOTS: [&str; 3] = ["v3", "hk", "global"];

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Overwrite files even when they lack [`HEADER`] (hand-edited files).
    pub force: bool,
}

/// An operation that was read but not written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SkippedOp {
    /// Relative to the source folder (`v3/merchant/media/upload.yaml`).
    pub file: PathBuf,
    /// Lower-case method (`post`).
    pub method: String,
    /// Why (the first words, up to `:` or `(`, name the class of reason).
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// JSON operations read (v3, hk, global).
    pub ops_read: usize,
    /// Operations written into path files.
    pub ops_written: usize,
    /// Written operations that needed at least one repair.
    pub ops_repaired: usize,
    /// Path files written (or already identical).
    pub files_written: usize,
    /// Files not imported, relative to the source (v2, refused overwrites, …), with the reason.
    pub skipped_files: Vec<(PathBuf, String)>,
    /// Operations read but not written, with the reason.
    pub skipped_ops: Vec<SkippedOp>,
    /// Number of repair lines per kind.
    pub repairs: BTreeMap<&'static str, usize>,
    /// One line per repair: `file:line: what it did` (each source location once).
    pub repair_lines: Vec<String>,
    /// Source keywords the format cannot hold and that were left out, with their counts
    /// (each source occurrence once): `maxLength`, `nullable`, `x-role`, …
    pub dropped_keywords: BTreeMap<String, usize>,
    /// General notes about the import (e.g. how shared types were handled).
    pub notes: Vec<String>,
}

impl ImportSummary {
    /// Skipped operations grouped by the class of their reason (text before the first `:`/`(`).
    pub fn skipped_by_reason(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for s in &self.skipped_ops {
            *m.entry(reason_class(&s.reason)).or_insert(0) += 1;
        }
        m
    }

    /// Skipped files grouped by reason class.
    pub fn skipped_files_by_reason(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for (_, r) in &self.skipped_files {
            *m.entry(reason_class(r)).or_insert(0) += 1;
        }
        m
    }
}

fn reason_class(r: &str) -> String {
    r.split([':', '(']).next().unwrap_or(r).trim().to_owned()
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "operations: {} read, {} written ({} of them repaired), {} skipped",
            self.ops_read,
            self.ops_written,
            self.ops_repaired,
            self.skipped_ops.len()
        )?;
        writeln!(f, "files: {} written, {} skipped", self.files_written, self.skipped_files.len())?;
        if !self.skipped_files.is_empty() {
            writeln!(f, "skipped files by reason:")?;
            for (r, n) in self.skipped_files_by_reason() {
                writeln!(f, "  {n:5}  {r}")?;
            }
        }
        if !self.skipped_ops.is_empty() {
            writeln!(f, "skipped operations by reason:")?;
            for (r, n) in self.skipped_by_reason() {
                writeln!(f, "  {n:5}  {r}")?;
            }
            for s in &self.skipped_ops {
                writeln!(f, "    {} {}: {}", s.file.display(), s.method, s.reason)?;
            }
        }
        writeln!(f, "repairs: {} lines", self.repair_lines.len())?;
        for (k, n) in &self.repairs {
            writeln!(f, "  {n:5}  {k}")?;
        }
        if !self.dropped_keywords.is_empty() {
            write!(f, "not imported (no place in the format):")?;
            for (k, n) in &self.dropped_keywords {
                write!(f, " {k} ×{n}")?;
            }
            writeln!(f)?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// A failure that stops the import. Names the file (and line where known).
#[derive(Debug)]
pub enum ImportError {
    Io { path: PathBuf, source: std::io::Error },
    Parse { file: PathBuf, line: Option<usize>, message: String },
    Serialize { file: PathBuf, message: String },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ImportError::Parse { file, line: Some(l), message } => {
                write!(f, "{}:{l}: {message}", file.display())
            }
            ImportError::Parse { file, line: None, message } => {
                write!(f, "{}: {message}", file.display())
            }
            ImportError::Serialize { file, message } => {
                write!(f, "{}: cannot serialise: {message}", file.display())
            }
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Imports the description at `from` into spec files under `to`.
pub fn import(from: &Path, to: &Path, opts: &ImportOptions) -> Result<ImportSummary, ImportError> {
    let mut files = Vec::new();
    walk(from, from, &mut files)?;
    files.sort();
    let mut imp = Importer::new(from);
    let mut summary = ImportSummary::default();
    summary.notes.push(
        "shared types: every $ref target is inlined at each use (no spec/types output yet), so \
         type names never collide (e.g. StockBase of BusiFavorCouponStock.yaml and of \
         FavorCouponStock.yaml)"
            .into(),
    );
    summary.notes.push(
        "$ref siblings: Swagger 2 ignores them; a sibling `description` is kept as the use-site \
         description (our format allows it beside a ref), other siblings are ignored"
            .into(),
    );
    let mut seen_lines = HashSet::new();
    for rel in files {
        let rel_str = rel_string(&rel);
        let first = rel_str.split('/').next().unwrap_or("");
        if !rel_str.contains('/') || first == "definitions" {
            continue; // swagger.yaml, definitions: reached through $ref only
        }
        if first == "v2" {
            summary.skipped_files.push((rel.clone(), "v2 XML out of scope".into()));
            continue;
        }
        if !JSON_ROOTS.contains(&first) {
            summary
                .skipped_files
                .push((rel.clone(), format!("not an API folder: {first}/ (expected v3, hk, global)")));
            continue;
        }
        let out = convert::convert_file(&mut imp, &rel_str)?;
        summary.ops_read += out.read;
        let mut skipped = out.skipped;
        let written_ops = out.file.operations().count();
        if written_ops > 0 {
            let target = to.join(&rel);
            let text = render(&out.file, &rel)?;
            match write_file(&target, &text, opts)? {
                WriteResult::Written => {
                    summary.files_written += 1;
                    summary.ops_written += written_ops;
                    summary.ops_repaired += out.repaired;
                }
                WriteResult::Refused => {
                    summary.skipped_files.push((
                        rel.clone(),
                        format!(
                            "hand-edited: {} does not start with the import header line; not \
                             overwritten (use force)",
                            target.display()
                        ),
                    ));
                    for (m, _) in out.file.operations() {
                        skipped.push(SkippedOp {
                            file: rel.clone(),
                            method: m.as_str().into(),
                            reason: "target file hand-edited: not overwritten".into(),
                        });
                    }
                }
            }
        }
        summary.skipped_ops.extend(skipped);
        for n in out.notes {
            if seen_lines.insert(n.text.clone()) {
                *summary.repairs.entry(n.kind).or_insert(0) += 1;
                summary.repair_lines.push(n.text);
            }
        }
    }
    summary.dropped_keywords = std::mem::take(&mut imp.dropped);
    summary.skipped_ops.sort();
    summary.skipped_files.sort();
    Ok(summary)
}

/// The text of one output file: the header line, then the YAML.
pub fn render(file: &PathFile, rel: &Path) -> Result<String, ImportError> {
    let yaml = serde_yaml::to_string(file).map_err(|e| ImportError::Serialize {
        file: rel.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(format!("{HEADER}\n{yaml}"))
}

enum WriteResult {
    Written,
    Refused,
}

fn write_file(target: &Path, text: &str, opts: &ImportOptions) -> Result<WriteResult, ImportError> {
    let io = |source| ImportError::Io { path: target.to_path_buf(), source };
    match std::fs::read_to_string(target) {
        Ok(old) => {
            if old == text {
                return Ok(WriteResult::Written);
            }
            if old.lines().next() != Some(HEADER) && !opts.force {
                return Ok(WriteResult::Refused);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ImportError::Io { path: dir.to_path_buf(), source })?;
    }
    std::fs::write(target, text).map_err(io)?;
    Ok(WriteResult::Written)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let io = |source| ImportError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path.strip_prefix(root).expect("below root").to_path_buf());
        }
    }
    Ok(())
}

fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// One parsed source file.
pub(crate) struct Src {
    /// Relative to the source root, with `/`.
    pub rel: String,
    pub value: Value,
    pub ix: LineIndex,
}

/// A node of a source file: the file and the key path to it.
#[derive(Clone)]
pub(crate) struct Loc {
    pub src: Rc<Src>,
    pub path: Vec<Seg>,
}

impl Loc {
    pub fn key(&self, k: &str) -> Loc {
        let mut path = self.path.clone();
        path.push(Seg::Key(k.to_owned()));
        Loc { src: self.src.clone(), path }
    }
    pub fn idx(&self, i: usize) -> Loc {
        let mut path = self.path.clone();
        path.push(Seg::Idx(i));
        Loc { src: self.src.clone(), path }
    }
    pub fn line(&self) -> usize {
        self.src.ix.line(&self.path)
    }
    /// `file:line`
    pub fn at(&self) -> String {
        format!("{}:{}", self.src.rel, self.line())
    }
    /// The value at this path.
    pub fn get(&self) -> &Value {
        static NULL: Value = Value::Null;
        let mut v = &self.src.value;
        for s in &self.path {
            v = match s {
                Seg::Key(k) => match v.as_mapping().and_then(|m| lookup(m, k)) {
                    Some(x) => x,
                    None => return &NULL,
                },
                Seg::Idx(i) => match v.as_sequence().and_then(|q| q.get(*i)) {
                    Some(x) => x,
                    None => return &NULL,
                },
            };
        }
        v
    }
}

/// A mapping entry by its key, also when the key is written as a number (`200:`).
pub(crate) fn lookup<'a>(m: &'a serde_yaml::Mapping, k: &str) -> Option<&'a Value> {
    m.iter().find(|(key, _)| key_string(key).as_deref() == Some(k)).map(|(_, v)| v)
}

/// A mapping key as text (numbers and booleans too).
pub(crate) fn key_string(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One repair or notice line.
pub(crate) struct Note {
    pub kind: &'static str,
    pub text: String,
}

/// Shared state of one import run: the source root, the parsed-file cache, dropped keywords.
pub(crate) struct Importer {
    root: PathBuf,
    files: HashMap<String, Rc<Src>>,
    pub dropped: BTreeMap<String, usize>,
    dropped_seen: HashSet<(String, usize, String)>,
}

impl Importer {
    fn new(root: &Path) -> Importer {
        Importer {
            root: root.to_path_buf(),
            files: HashMap::new(),
            dropped: BTreeMap::new(),
            dropped_seen: HashSet::new(),
        }
    }

    /// Parses (once) the file at `rel` (relative to the root, `/`-separated, normalised).
    pub fn load(&mut self, rel: &str) -> Result<Rc<Src>, ImportError> {
        if let Some(s) = self.files.get(rel) {
            return Ok(s.clone());
        }
        let path = self.root.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|source| ImportError::Io { path: path.clone(), source })?;
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_yaml::from_str(&text).map_err(|e| ImportError::Parse {
                file: PathBuf::from(rel),
                line: e.location().map(|l| l.line()),
                message: {
                    let mut m = e.to_string();
                    if let Some(i) = m.find(" at line ") {
                        m.truncate(i);
                    }
                    m
                },
            })?
        };
        let src = Rc::new(Src { rel: rel.to_owned(), ix: LineIndex::new(&text), value });
        self.files.insert(rel.to_owned(), src.clone());
        Ok(src)
    }

    /// Whether a file exists below the root.
    pub fn exists(&self, rel: &str) -> bool {
        self.files.contains_key(rel) || self.root.join(rel).is_file()
    }

    /// Counts a keyword left out (each source location once).
    pub fn drop_keyword(&mut self, loc: &Loc, key: &str) {
        if self.dropped_seen.insert((loc.src.rel.clone(), loc.line(), key.to_owned())) {
            *self.dropped.entry(key.to_owned()).or_insert(0) += 1;
        }
    }
}
