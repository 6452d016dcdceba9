//! The API description (`spec/`), embedded from `spec.jsonl` (this package's copy, written by
//! `cargo xtask generate`), validated into the generator's IR, and indexed by method and URL so a
//! request can be matched to its operation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wechatpay_model::ir::{self, Node, Op, ResponseKind, Segment, Ty, TypeDef};
use wechatpay_model::load::{self, FileKind, Loaded, LoadedNotification, LoadedPath, LoadedTypes};
use wechatpay_model::spec::{PathFile, TypesFile};

/// The spec files, one line each: `["<path below spec/>",<the file as JSON>]` (the writer is
/// `xtask/src/embed.rs`).
static EMBEDDED: &str = include_str!("../spec.jsonl");

/// The embedded files: `(path below spec/, contents as JSON)`, sorted by path; a line not of
/// that form is an error naming it.
pub fn embedded_files() -> Result<&'static [(&'static str, &'static str)], String> {
    static FILES: OnceLock<Result<Vec<(&'static str, &'static str)>, String>> = OnceLock::new();
    FILES
        .get_or_init(|| {
            EMBEDDED
                .lines()
                .enumerate()
                .map(|(n, line)| {
                    line.strip_prefix("[\"")
                        .and_then(|rest| rest.split_once("\","))
                        .and_then(|(path, json)| Some((path, json.strip_suffix(']')?)))
                        .ok_or_else(|| format!("spec.jsonl:{}: not a line of the form [\"path\",{{...}}]", n + 1))
                })
                .collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// One operation of the spec, with what is needed to check and answer it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `GET`, `POST`, … (upper case).
    pub method: String,
    /// The URL template, `/v3/pay/transactions/out-trade-no/{out_trade_no}`.
    pub url: String,
    /// The spec file (`spec/v3/…yaml`).
    pub file: String,
    /// The success status of the spec (`200` unless written; `204` for no content).
    pub status: u16,
    /// The operation in the IR.
    pub op: Op,
    /// Path placeholders and their types, in URL order.
    pub params: Vec<(String, Ty)>,
    /// The named types of the operation's node (`PostRequest`, `GetResponseData`, …).
    pub types: Vec<TypeDef>,
}

impl Operation {
    /// `POST /v3/offlineface/authinfo`.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// Whether the response has a body (not a 204 / described-empty response).
    pub fn has_response_body(&self) -> bool {
        !matches!(self.op.response, ResponseKind::Empty) && self.status != 204
    }

    /// Whether the operation is a multipart upload.
    pub fn is_upload(&self) -> bool {
        matches!(self.op.body, wechatpay_model::ir::Body::Upload { .. })
    }

    /// Matches a concrete path (`/v3/pay/transactions/out-trade-no/T1`, no query) against the
    /// URL template; returns the placeholder values (still percent-encoded) on a match.
    pub fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        let slashes = |s: &str| s.bytes().filter(|b| *b == b'/').count();
        if slashes(&self.url) != slashes(path) {
            return None;
        }
        // Checked without allocating (most templates do not match), then the values taken.
        let pairs = || self.url.split('/').zip(path.split('/'));
        let matches = pairs().all(|(t, a)| match placeholder(t) {
            Some(_) => !a.is_empty(),
            None => t == a,
        });
        matches.then(|| {
            pairs()
                .filter_map(|(t, a)| placeholder(t).map(|name| (name.to_owned(), a.to_owned())))
                .collect()
        })
    }

    /// How many literal segments the template has (a more specific template wins a tie).
    fn literal_segments(&self) -> usize {
        self.url.split('/').filter(|s| !s.starts_with('{')).count()
    }
}

/// `name` of a template segment `{name}`.
fn placeholder(segment: &str) -> Option<&str> {
    segment.strip_prefix('{').and_then(|t| t.strip_suffix('}'))
}

/// The number of `/` in a URL and its third segment (the API group: `pay` of `/v3/pay/…`).
fn bucket(url: &str) -> (usize, &str) {
    (url.matches('/').count(), url.split('/').nth(2).unwrap_or_default())
}

/// The whole spec: the raw files, the IR and the operations.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The validated IR.
    pub api: ir::Api,
    /// Every operation, sorted by URL then method.
    pub operations: Vec<Operation>,
    /// The operations (indices) by [`bucket`]: a path is matched against those of its own
    /// length and API group only (a load test's every request looks its operation up).
    buckets: HashMap<(usize, String), Vec<usize>>,
}

/// What [`Spec::find`] found for a method and a path.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// The operation, and the placeholder values of the path.
    Found(&'a Operation, Vec<(String, String)>),
    /// The path is in the spec, but not with this method (the methods it has).
    OtherMethods(Vec<String>),
    /// The path is not in the spec.
    NotFound,
}

impl Spec {
    /// The spec embedded at build time (parsed and validated on first use).
    pub fn embedded() -> Result<&'static Spec, String> {
        static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();
        SPEC.get_or_init(|| {
            let mut loaded = Loaded::default();
            let mut errors = Vec::new();
            for (rel, text) in embedded_files()? {
                add_file(&mut loaded, &mut errors, rel, text, Format::Json);
            }
            if !errors.is_empty() {
                return Err(errors.join("\n"));
            }
            Self::from_loaded(&loaded)
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Reads a spec folder from disk (like `cargo xtask generate`).
    pub fn from_dir(dir: &Path) -> Result<Spec, String> {
        let loaded = load::load_dir(dir).map_err(|e| e.to_string())?;
        Self::from_loaded(&loaded)
    }

    /// Parses and validates files given as `(path below spec/, contents)`.
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Spec, String> {
        let mut loaded = Loaded::default();
        let mut errors = Vec::new();
        for (rel, text) in files {
            add_file(&mut loaded, &mut errors, &rel, &text, Format::Yaml);
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Self::from_loaded(&loaded)
    }

    fn from_loaded(loaded: &Loaded) -> Result<Spec, String> {
        let api = ir::build(loaded).map_err(|e| e.to_string())?;
        let mut operations = Vec::new();
        collect(&api.root, &mut Vec::new(), loaded, &mut operations);
        operations.sort_by(|a, b| (&a.url, &a.method).cmp(&(&b.url, &b.method)));
        let mut buckets: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        for (i, op) in operations.iter().enumerate() {
            let (length, group) = bucket(&op.url);
            let group = if placeholder(group).is_some() { "{}" } else { group };
            buckets.entry((length, group.to_owned())).or_default().push(i);
        }
        Ok(Spec {
            api,
            operations,
            buckets,
        })
    }

    /// The operation for `method` (any case) and `path` (with or without a leading `/`; a
    /// `?query` is ignored). A template with more literal segments wins over one with
    /// placeholders (`…/out-trade-no/{x}/close` before `…/{a}/{b}`).
    pub fn find(&self, method: &str, path: &str) -> Lookup<'_> {
        let path = path.split('?').next().unwrap_or_default();
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let method = method.to_ascii_uppercase();
        let mut best: Option<(&Operation, Vec<(String, String)>)> = None;
        let mut others = Vec::new();
        let (length, group) = bucket(&path);
        let candidates = [group, "{}"]
            .into_iter()
            .filter_map(|g| self.buckets.get(&(length, g.to_owned())))
            .flatten();
        for op in candidates.map(|&i| &self.operations[i]) {
            let Some(values) = op.match_path(&path) else {
                continue;
            };
            if op.method != method {
                others.push(op.method.clone());
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(b, _)| op.literal_segments() > b.literal_segments())
            {
                best = Some((op, values));
            }
        }
        match best {
            Some((op, values)) => Lookup::Found(op, values),
            None if !others.is_empty() => {
                others.sort();
                others.dedup();
                Lookup::OtherMethods(others)
            }
            None => Lookup::NotFound,
        }
    }

    /// The operation with exactly this method and URL template.
    pub fn operation(&self, method: &str, url: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method) && o.url == url)
    }

    /// A shared type (`spec/types/`) by name.
    pub fn shared(&self, name: &str) -> Option<&TypeDef> {
        self.api.shared.iter().find(|t| t.name == name)
    }
}

/// How an embedded file is written.
#[derive(Clone, Copy)]
enum Format {
    /// YAML, as in `spec/` (parsed with the loader, errors with lines).
    Yaml,
    /// JSON, as in `spec.jsonl`.
    Json,
}

fn parse_as<T: serde::de::DeserializeOwned>(file: &Path, text: &str, format: Format) -> Result<T, String> {
    match format {
        Format::Yaml => load::parse(file, text).map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str(text).map_err(|e| format!("{}: {e}", file.display())),
    }
}

fn add_file(loaded: &mut Loaded, errors: &mut Vec<String>, rel: &str, text: &str, format: Format) {
    let file = PathBuf::from("spec").join(rel);
    match load::kind_of(Path::new(rel)) {
        FileKind::Notification { name } => match parse_as(&file, text, format) {
            Ok(spec) => loaded.notifications.push(LoadedNotification {
                file,
                name,
                text: text.to_string(),
                spec,
            }),
            Err(e) => errors.push(e),
        },
        FileKind::Types => match parse_as::<TypesFile>(&file, text, format) {
            Ok(types) => loaded.types.push(LoadedTypes {
                file,
                text: text.to_string(),
                types,
            }),
            Err(e) => errors.push(e),
        },
        FileKind::Path { url } => match parse_as::<PathFile>(&file, text, format) {
            Ok(spec) => loaded.paths.push(LoadedPath {
                file,
                url,
                text: text.to_string(),
                spec,
            }),
            Err(e) => errors.push(e),
        },
    }
}

fn collect(node: &Node, params: &mut Vec<(String, Ty)>, loaded: &Loaded, out: &mut Vec<Operation>) {
    let pushed = if let Segment::Param { name, ty } = &node.segment {
        params.push((name.clone(), ty.clone()));
        true
    } else {
        false
    };
    for op in &node.ops {
        let raw = loaded.paths.iter().find(|p| p.url == node.url);
        let status = raw
            .and_then(|p| {
                p.spec
                    .operations()
                    .find(|(m, _)| *m == op.method)
                    .and_then(|(_, o)| o.response.as_ref().map(|r| r.status))
            })
            .unwrap_or(200);
        out.push(Operation {
            method: op.method.as_str().to_ascii_uppercase(),
            url: node.url.clone(),
            file: node.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default(),
            status,
            op: op.clone(),
            params: params.clone(),
            types: node.types.clone(),
        });
    }
    for child in &node.children {
        collect(child, params, loaded, out);
    }
    if pushed {
        params.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_spec_is_valid_and_complete() {
        let spec = Spec::embedded().expect("embedded spec");
        let files = embedded_files()
            .unwrap()
            .iter()
            .filter(|(p, _)| !p.starts_with("types/") && !p.starts_with("notifications/"))
            .count();
        assert!(files > 0);
        assert!(spec.operations.len() >= files);
        assert!(spec.operation("POST", "/v3/offlineface/authinfo").is_some());
    }

    #[test]
    fn the_json_conversion_loses_nothing() {
        // The workspace's spec/, beside this package (absent where the package is built alone).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        if !dir.is_dir() {
            eprintln!("skipped: no {} (not built in the workspace)", dir.display());
            return;
        }
        let from_yaml = Spec::from_dir(&dir).expect("spec/");
        let embedded = Spec::embedded().unwrap();
        // (The copy is as of the last `cargo xtask generate`; `--check` fails when it is stale.)
        let ops = |s: &Spec| {
            s.operations
                .iter()
                .map(|o| (o.name(), o.status, format!("{:?}", o.op)))
                .collect::<Vec<_>>()
        };
        assert_eq!(ops(&from_yaml), ops(embedded));
    }

    #[test]
    fn find_matches_placeholders_and_prefers_literals() {
        let spec = Spec::embedded().unwrap();
        match spec.find("get", "v3/pay/transactions/out-trade-no/T%201?mchid=1") {
            Lookup::Found(op, values) => {
                assert_eq!(op.url, "/v3/pay/transactions/out-trade-no/{out_trade_no}");
                assert_eq!(values, vec![("out_trade_no".to_string(), "T%201".to_string())]);
            }
            other => panic!("{other:?}"),
        }
        match spec.find("POST", "/v3/pay/transactions/out-trade-no/T1/close") {
            Lookup::Found(op, _) => assert!(op.url.ends_with("/close")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            spec.find("DELETE", "/v3/offlineface/authinfo"),
            Lookup::OtherMethods(m) if m == vec!["POST".to_string()]
        ));
        assert!(matches!(spec.find("GET", "/v3/nothing/here"), Lookup::NotFound));
        assert!(matches!(
            spec.find("GET", "/v3/pay/transactions/out-trade-no/"),
            Lookup::NotFound
        ));
    }

    #[test]
    fn files_are_read_by_the_loader_s_rule() {
        let url = |rel: &str| match load::kind_of(Path::new(rel)) {
            FileKind::Path { url } => url,
            other => panic!("{other:?}"),
        };
        assert_eq!(url("v3/a/{id}.yaml"), "/v3/a/{id}");
        assert_eq!(url("v3/ecommerce/applyments/{empty}.yaml"), "/v3/ecommerce/applyments/");
        assert_eq!(load::kind_of(Path::new("types/Enumerations.yaml")), FileKind::Types);
        assert_eq!(
            load::kind_of(Path::new("notifications/refund.yaml")),
            FileKind::Notification { name: "refund".into() }
        );
    }
}
