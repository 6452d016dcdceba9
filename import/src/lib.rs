//! `cargo xtask import`: converts the public Swagger-2 description
//! (TheNorthMemory/wechatpay-openapi) into this project's spec format ([`wechatpay_model::spec`]).
//!
//! * One output file per URL, at the same relative path (`v3/pay/x.yaml` → `to/v3/pay/x.yaml`;
//!   `{placeholder}` and `{empty}` file names are kept as they are).
//! * `allOf` is merged into one schema; `$ref` targets are inlined, except shared types:
//! * **Shared types** (`types/<definitions file stem>.yaml`). A definition entry (a top-level
//!   key of `definitions/*.yaml`, or a same-file `#Name` of a path file) whose schema is an
//!   object with properties or a string enum, and that the output uses by a *direct* `$ref` —
//!   as a property value, as array `items`, or as a whole body/response schema — from 2 or more
//!   places, is written once and each direct use becomes `{ref: Name}` (with the use site's
//!   `description`/`required`). Not counted, and still inlined: a `$ref` that is an `allOf`
//!   part (merged with the other parts), a direct `$ref` whose property another `allOf` part
//!   also defines (the two are merged, as when everything is inlined), and refs inside non-body
//!   parameters. A definition used once is inlined. Uses are counted in the output: a `$ref`
//!   inside a definition counts once per copy of that definition's body (once when that
//!   definition is itself shared, once per inlined copy otherwise), so refs inside a shared type
//!   follow the same rule. How: the first pass converts everything inlined and records each
//!   `$ref` use (`RefGraph`); `shared::plan` counts and picks; the second pass writes refs
//!   (and is re-planned when it finds a counted use merged into an allOf after all).
//! * **Shared type names** are `PascalCase(definition name)` (`micro.getstate.request` →
//!   `MicroGetstateRequest`), independent of reading order: when definition files define the
//!   same name (`StockBase` in BusiFavorCouponStock.yaml and FavorCouponStock.yaml), all of them
//!   get their PascalCase file stem as prefix (`FavorCouponStockStockBase`); a name that a
//!   hand-written types file (no [`HEADER`]) already defines gets the prefix too; a name equal
//!   to another shared type's nested type (`Amount` + property `detail` = `AmountDetail`, the
//!   generator's naming) makes the type whose nested name it is take the prefix (then a number).
//!   Each rename is a summary note. Types files get the [`HEADER`] line and the hand-edit rule:
//!   a hand-edited `types/X.yaml` is kept; the names it defines are used from it, the other
//!   shared types of `X` are inlined instead. Types files with the header that this import does
//!   not write (stale names of an earlier import) are removed.
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
pub mod examples;
pub mod lines;
pub mod official;
mod repair;
mod shared;
pub mod webhooks;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_yaml::Value;

use lines::{LineIndex, Seg};
use wechatpay_model::spec::PathFile;

/// The first line of every file the importer writes. A file without it is a hand-edited file
/// and is never overwritten (unless [`ImportOptions::force`]).
pub const HEADER: &str = "# imported from wechatpay-openapi by cargo xtask import; remove this line to keep hand edits";

/// The folders of the description that hold JSON path files.
pub const JSON_ROOTS: [&str; 3] = ["v3", "hk", "global"];

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Overwrite files even when they lack [`HEADER`] (hand-edited files).
    pub force: bool,
    /// The official Go SDK's `services/` folder: its models are applied as evidence
    /// ([`official::reconcile`]); without it the description is converted alone.
    pub official: Option<PathBuf>,
    /// The notification facts' folder (`webhooks/`, with `v3/<EVENT>.yaml`): every event type
    /// not typed by a hand-written file is written as `notifications/<name>.yaml`
    /// ([`webhooks::import`]).
    pub webhooks: Option<PathBuf>,
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
    /// Shared types written into `types/*.yaml` (plus those a hand-edited types file provides).
    pub shared_types: usize,
    /// Types files written (or already identical), relative to the target folder.
    pub types_files: Vec<PathBuf>,
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
        writeln!(
            f,
            "files: {} written, {} skipped",
            self.files_written,
            self.skipped_files.len()
        )?;
        writeln!(
            f,
            "shared types: {} in {} types files",
            self.shared_types,
            self.types_files.len()
        )?;
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
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    Serialize {
        file: PathBuf,
        message: String,
    },
    /// The official models could not be read (the message names the file and line).
    Official(String),
    /// The notification facts could not be read or placed (the message names the file or the
    /// event type).
    Webhooks(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ImportError::Parse {
                file,
                line: Some(l),
                message,
            } => {
                write!(f, "{}:{l}: {message}", file.display())
            }
            ImportError::Parse {
                file,
                line: None,
                message,
            } => {
                write!(f, "{}: {message}", file.display())
            }
            ImportError::Serialize { file, message } => {
                write!(f, "{}: cannot serialise: {message}", file.display())
            }
            ImportError::Official(message) => write!(f, "official models: {message}"),
            ImportError::Webhooks(message) => write!(f, "webhooks: {message}"),
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
///
/// Two passes over the path files: the first converts everything inlined and records every
/// `$ref` use (and yields the repair lines); `shared::plan` then picks the shared types; the
/// second converts again with those uses written as `ref:` and writes the files.
pub fn import(from: &Path, to: &Path, opts: &ImportOptions) -> Result<ImportSummary, ImportError> {
    let mut files = Vec::new();
    walk(from, from, &mut files)?;
    files.sort();
    let mut imp = Importer::new(from);
    let mut summary = ImportSummary::default();
    summary.notes.push(
        "shared types: a definition entry (an object with properties or a string enum) used by a \
         direct $ref (a property value, array items, a whole body or response; not an allOf part, \
         not a parameter) from 2 or more places of the output is written once into \
         types/<definitions file>.yaml and used as {ref: Name}; one used once is inlined; allOf \
         parts are merged as before. Same-name definitions of different files are prefixed with \
         their file name (StockBase → BusiFavorCouponStockStockBase, FavorCouponStockStockBase)"
            .into(),
    );
    summary.notes.push(
        "$ref siblings: Swagger 2 ignores them; a sibling `description` is kept as the use-site \
         description (our format allows it beside a ref), other siblings are ignored"
            .into(),
    );
    let mut api_files = Vec::new();
    for rel in files {
        let rel_str = rel_string(&rel);
        let first = rel_str.split('/').next().unwrap_or("");
        if !rel_str.contains('/') || first == "definitions" {
            continue; // swagger.yaml, definitions: reached through $ref only
        }
        if !JSON_ROOTS.contains(&first) && first != "v2" {
            summary.skipped_files.push((
                rel.clone(),
                format!("not an API folder: {first}/ (expected v3, hk, global, v2)"),
            ));
            continue;
        }
        api_files.push((rel, rel_str));
    }

    // Pass 1: everything inlined; the repair lines, and the uses of each definition.
    let mut seen_lines = HashSet::new();
    let mut repaired: HashMap<String, usize> = HashMap::new();
    for (_, rel_str) in &api_files {
        let out = convert::convert_file(&mut imp, rel_str)?;
        repaired.insert(rel_str.clone(), out.repaired);
        for n in out.notes {
            if seen_lines.insert(n.text.clone()) {
                *summary.repairs.entry(n.kind.as_str()).or_insert(0) += 1;
                summary.repair_lines.push(n.text);
            }
        }
    }
    // Pass 2: shared types as `ref:`. A direct use that turns out merged into an allOf (the
    // same property defined by another part) is expanded and does not count: re-plan until the
    // counts agree with the output (usually at once).
    let mut merged: BTreeMap<DefKey, usize> = BTreeMap::new();
    let mut round = 0;
    let (plan, mut outs, mut types) = loop {
        round += 1;
        let plan = shared::plan(&mut imp, to, opts.force, &merged)?;
        imp.merged.clear();
        let mut outs = Vec::new();
        for (_, rel_str) in &api_files {
            outs.push(convert::convert_file(&mut imp, rel_str)?);
        }
        let mut types = Vec::new();
        for (stem, defs) in &plan.files {
            types.push((stem.clone(), shared::types_file(&mut imp, &plan, defs)?));
        }
        // Monotone (a use once found merged stays discounted), so this settles.
        let mut next = merged.clone();
        for (k, n) in std::mem::take(&mut imp.merged) {
            let e = next.entry(k).or_insert(0);
            *e = (*e).max(n);
        }
        if next == merged || round == 4 {
            break (plan, outs, types);
        }
        merged = next;
    };
    summary.notes.extend(plan.notes.iter().cloned());
    if let Some(dir) = &opts.official {
        apply_official(dir, &api_files, &mut outs, &mut types, &mut summary)?;
    }
    fit_examples(&api_files, &mut outs, &mut types, &mut summary);

    for ((rel, rel_str), out) in api_files.iter().zip(outs) {
        summary.ops_read += out.read;
        let mut skipped = out.skipped;
        let written_ops = out.file.operations().count();
        if written_ops > 0 {
            let target = to.join(rel);
            let text = render(&out.file, rel)?;
            match write_file(&target, &text, HEADER, opts.force)? {
                WriteResult::Written => {
                    summary.files_written += 1;
                    summary.ops_written += written_ops;
                    summary.ops_repaired += repaired.get(rel_str).copied().unwrap_or(0);
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
    }

    // Shared types files.
    summary.shared_types = plan.names.len();
    let mut written_types = HashSet::new();
    for (stem, types) in types {
        let rel = PathBuf::from("types").join(format!("{stem}.yaml"));
        let yaml = serde_yaml::to_string(&types).map_err(|e| ImportError::Serialize {
            file: rel.clone(),
            message: e.to_string(),
        })?;
        match write_file(&to.join(&rel), &format!("{HEADER}\n{yaml}"), HEADER, opts.force)? {
            WriteResult::Written => summary.types_files.push(rel.clone()),
            // Not reached: a hand-edited types file's names are planned around (shared::plan).
            WriteResult::Refused => summary
                .skipped_files
                .push((rel.clone(), "hand-edited types file: not overwritten".into())),
        }
        written_types.insert(rel);
    }
    // Types files of an earlier import that this one does not write would define stale
    // (possibly clashing) names: removed. Hand-written ones are kept.
    let types_rel = |p: &Path| PathBuf::from("types").join(p.file_name().unwrap_or_default());
    let kept = |p: &Path| written_types.contains(&types_rel(p)) || p.extension().is_none_or(|e| e != "yaml");
    for p in remove_stale(&to.join("types"), HEADER, &kept)? {
        summary.notes.push(format!(
            "removed {}: written by an earlier import, not by this one",
            types_rel(&p).display()
        ));
    }
    if let Some(dir) = &opts.webhooks {
        let outcome = webhooks::import(dir, to)?;
        summary.notes.push(format!(
            "notifications: {} event types read, {} left to hand-written files, {} files written{}",
            outcome.events,
            outcome.hand_written.len(),
            outcome.written.len(),
            if outcome.removed.is_empty() {
                String::new()
            } else {
                format!(", {} stale ones removed", outcome.removed.len())
            }
        ));
        for (kind, line) in outcome.decisions {
            *summary.repairs.entry(kind).or_insert(0) += 1;
            summary.repair_lines.push(line);
        }
    }
    summary.dropped_keywords = std::mem::take(&mut imp.dropped);
    summary.skipped_ops.sort();
    summary.skipped_files.sort();
    Ok(summary)
}

/// The official models applied to the converted files and shared types: one repair line per
/// decision (kinds `official-*`), the hand-edited files included (their lines say what a hand
/// edit should do; the files are not written).
fn apply_official(
    dir: &Path,
    api_files: &[(PathBuf, String)],
    outs: &mut [convert::FileOut],
    types: &mut [(String, indexmap::IndexMap<String, wechatpay_model::spec::Schema>)],
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let sdk = official::Sdk::read(dir).map_err(|e| ImportError::Official(e.to_string()))?;
    let mut files: Vec<(String, &mut PathFile)> = api_files
        .iter()
        .zip(outs.iter_mut())
        .filter(|((_, rel), _)| !rel.starts_with("v2/"))
        .map(|((_, rel), out)| (convert::url_of(rel), &mut out.file))
        .collect();
    let outcome = official::reconcile(&sdk, &mut files, types);
    summary.notes.push(format!(
        "official models: {} of their {} operations matched by method and URL; {} decisions",
        outcome.matched.len(),
        sdk.operations.len(),
        outcome.decisions.len()
    ));
    for d in outcome.decisions {
        *summary.repairs.entry(d.kind.as_str()).or_insert(0) += 1;
        summary.repair_lines.push(d.to_string());
    }
    Ok(())
}

/// Every example made to fit its field (after the official models, which change types):
/// one repair line per decision (kinds `example-*`, [`examples`]).
fn fit_examples(
    api_files: &[(PathBuf, String)],
    outs: &mut [convert::FileOut],
    types: &mut [(String, indexmap::IndexMap<String, wechatpay_model::spec::Schema>)],
    summary: &mut ImportSummary,
) {
    let mut files: Vec<(String, &mut PathFile)> = api_files
        .iter()
        .zip(outs.iter_mut())
        .map(|((_, rel), out)| (rel.clone(), &mut out.file))
        .collect();
    for fix in examples::fit_examples(&mut files, types) {
        *summary.repairs.entry(fix.kind.as_str()).or_insert(0) += 1;
        summary.repair_lines.push(fix.to_string());
    }
}

/// The text of one output file: the header line, then the YAML.
pub fn render(file: &PathFile, rel: &Path) -> Result<String, ImportError> {
    let yaml = serde_yaml::to_string(file).map_err(|e| ImportError::Serialize {
        file: rel.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(format!("{HEADER}\n{yaml}"))
}

pub(crate) enum WriteResult {
    Written,
    Refused,
}

/// Writes `text` to `target` unless the file there is hand-edited (its first line is not
/// `header`) and `force` is off: then `Refused`, the file untouched.
pub(crate) fn write_file(target: &Path, text: &str, header: &str, force: bool) -> Result<WriteResult, ImportError> {
    let io = |source| ImportError::Io {
        path: target.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(target) {
        Ok(old) => {
            if old == text {
                return Ok(WriteResult::Written);
            }
            if old.lines().next() != Some(header) && !force {
                return Ok(WriteResult::Refused);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ImportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(target, text).map_err(io)?;
    Ok(WriteResult::Written)
}

/// The files of `dir` an earlier import wrote (their first line is `header`) that `kept` does
/// not keep: removed, hand-written ones left alone. The removed paths, sorted.
pub(crate) fn remove_stale(
    dir: &Path,
    header: &str,
    kept: &dyn Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, ImportError> {
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(removed);
    };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let imported = std::fs::read_to_string(&path).is_ok_and(|t| t.lines().next() == Some(header));
        if imported && !kept(&path) {
            std::fs::remove_file(&path).map_err(|source| ImportError::Io {
                path: path.clone(),
                source,
            })?;
            removed.push(path);
        }
    }
    Ok(removed)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: dir.to_path_buf(),
        source,
    };
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
        Loc {
            src: self.src.clone(),
            path,
        }
    }
    pub fn idx(&self, i: usize) -> Loc {
        let mut path = self.path.clone();
        path.push(Seg::Idx(i));
        Loc {
            src: self.src.clone(),
            path,
        }
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
    m.iter()
        .find(|(key, _)| key_string(key).as_deref() == Some(k))
        .map(|(_, v)| v)
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

pub(crate) use repair::RepairKind;

/// One repair or notice line.
pub(crate) struct Note {
    pub kind: RepairKind,
    pub text: String,
}

/// A definition entry: (file relative to the root, entry name).
pub(crate) type DefKey = (String, String);

/// One `$ref` use: ((location of the `$ref`, direct use), (enclosing definition or `None` for
/// the operation itself, target)).
pub(crate) type Edge = ((String, bool), (Option<DefKey>, DefKey));

/// The `$ref` uses of the written operations (first pass).
#[derive(Default)]
pub(crate) struct RefGraph {
    /// Each use site once.
    pub edges: BTreeMap<(String, bool), (Option<DefKey>, DefKey)>,
    /// Definitions met, and whether their schema can be a shared type.
    pub eligible: BTreeMap<DefKey, bool>,
}

/// Shared state of one import run: the source root, the parsed-file cache, dropped keywords.
pub(crate) struct Importer {
    root: PathBuf,
    files: HashMap<String, Rc<Src>>,
    pub dropped: BTreeMap<String, usize>,
    dropped_seen: HashSet<(String, usize, String)>,
    pub graph: RefGraph,
    /// Second pass: definition → shared type name (`None` during the first pass).
    pub shared: Option<HashMap<DefKey, String>>,
    /// Second pass: `{ref: Name}` uses merged into an allOf after all (expanded), by definition.
    pub merged: BTreeMap<DefKey, usize>,
}

impl Importer {
    fn new(root: &Path) -> Importer {
        Importer {
            root: root.to_path_buf(),
            files: HashMap::new(),
            dropped: BTreeMap::new(),
            dropped_seen: HashSet::new(),
            graph: RefGraph::default(),
            shared: None,
            merged: BTreeMap::new(),
        }
    }

    /// Parses (once) the file at `rel` (relative to the root, `/`-separated, normalised).
    pub fn load(&mut self, rel: &str) -> Result<Rc<Src>, ImportError> {
        if let Some(s) = self.files.get(rel) {
            return Ok(s.clone());
        }
        let path = self.root.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
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
        let src = Rc::new(Src {
            rel: rel.to_owned(),
            ix: LineIndex::new(&text),
            value,
        });
        self.files.insert(rel.to_owned(), src.clone());
        Ok(src)
    }

    /// The files of `definitions/` (relative, sorted).
    pub fn definition_files(&self) -> Result<Vec<String>, ImportError> {
        let dir = self.root.join("definitions");
        let mut out = Vec::new();
        if dir.is_dir() {
            let mut files = Vec::new();
            walk(&self.root, &dir, &mut files)?;
            out = files.iter().map(|p| rel_string(p)).collect();
            out.sort();
        }
        Ok(out)
    }

    /// Whether a file exists below the root.
    pub fn exists(&self, rel: &str) -> bool {
        self.files.contains_key(rel) || self.root.join(rel).is_file()
    }

    /// Counts a keyword left out (each source location once).
    pub fn drop_keyword(&mut self, loc: &Loc, key: &str) {
        if self
            .dropped_seen
            .insert((loc.src.rel.clone(), loc.line(), key.to_owned()))
        {
            *self.dropped.entry(key.to_owned()).or_insert(0) += 1;
        }
    }
}
