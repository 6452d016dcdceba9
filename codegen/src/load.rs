//! Reading `spec/`: walk the folder, parse each file, keep its text for error locations.

use std::path::{Path, PathBuf};

use crate::error::{Error, SpecError};
use crate::spec::{NotificationFile, PathFile, TypesFile};

/// One parsed path file.
#[derive(Debug, Clone)]
pub struct LoadedPath {
    /// The file on disk.
    pub file: PathBuf,
    /// The URL it describes (`/v3/offlineface/authinfo`).
    pub url: String,
    pub text: String,
    pub spec: PathFile,
}

/// One parsed shared-types file.
#[derive(Debug, Clone)]
pub struct LoadedTypes {
    pub file: PathBuf,
    pub text: String,
    pub types: TypesFile,
}

/// One parsed notification file.
#[derive(Debug, Clone)]
pub struct LoadedNotification {
    pub file: PathBuf,
    /// The file stem (`partner_transaction`): the type is its PascalCase.
    pub name: String,
    pub text: String,
    pub spec: NotificationFile,
}

/// The whole spec folder, parsed but not yet validated.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub paths: Vec<LoadedPath>,
    pub types: Vec<LoadedTypes>,
    pub notifications: Vec<LoadedNotification>,
}

/// The folder below `spec/` that holds shared types rather than URLs.
pub const TYPES_DIR: &str = "types";

/// The folder below `spec/` that holds inbound notifications rather than URLs.
pub const NOTIFICATIONS_DIR: &str = "notifications";

/// Reads every `.yaml` file below `dir`. All parse errors are collected, not just the first.
pub fn load_dir(dir: &Path) -> Result<Loaded, Error> {
    let files = files_with_extension(dir, "yaml")?;
    // Parsing is most of the cost: spread the files over all cores.
    let parsed = crate::par::map_in_order(&files, "loader", || Ok(()), |(), f| parse_file(dir, f))?;
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    for p in parsed {
        match p {
            Parsed::Path(p) => loaded.paths.push(*p),
            Parsed::Types(t) => loaded.types.push(t),
            Parsed::Notification(n) => loaded.notifications.push(*n),
            Parsed::Error(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Error::Spec(errors))
    }
}

enum Parsed {
    Path(Box<LoadedPath>),
    Types(LoadedTypes),
    Notification(Box<LoadedNotification>),
    Error(SpecError),
}

fn parse_file(dir: &Path, file: &Path) -> Result<Parsed, Error> {
    let rel = file.strip_prefix(dir).expect("walked below dir");
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let file = file.to_path_buf();
    Ok(match kind_of(rel) {
        FileKind::Notification { name } => match parse::<NotificationFile>(&file, &text) {
            Ok(spec) => Parsed::Notification(Box::new(LoadedNotification { file, name, text, spec })),
            Err(e) => Parsed::Error(e),
        },
        FileKind::Types => match parse::<TypesFile>(&file, &text) {
            Ok(types) => Parsed::Types(LoadedTypes { file, text, types }),
            Err(e) => Parsed::Error(e),
        },
        FileKind::Path { url } => match parse::<PathFile>(&file, &text) {
            Ok(spec) => Parsed::Path(Box::new(LoadedPath { file, url, text, spec })),
            Err(e) => Parsed::Error(e),
        },
    })
}

/// What a file below `spec/` describes, by where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// Shared types (`types/…`).
    Types,
    /// An inbound notification (`notifications/<name>.yaml`).
    Notification { name: String },
    /// A URL (every other file).
    Path { url: String },
}

/// The kind of the file at `rel` (below `spec/`): the loader's rule, also the sandbox's for its
/// embedded copy.
pub fn kind_of(rel: &Path) -> FileKind {
    let top = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned());
    match top.as_deref() {
        Some(TYPES_DIR) => FileKind::Types,
        Some(NOTIFICATIONS_DIR) => {
            FileKind::Notification { name: rel.file_stem().unwrap_or_default().to_string_lossy().into_owned() }
        }
        _ => FileKind::Path { url: url_of(rel) },
    }
}

/// `v3/pay/transactions/out-trade-no/{out_trade_no}.yaml` → `/v3/pay/transactions/out-trade-no/{out_trade_no}`;
/// a file named `{empty}.yaml` is the URL with a trailing slash (`v3/ecommerce/applyments/{empty}.yaml`
/// → `/v3/ecommerce/applyments/`).
fn url_of(rel: &Path) -> String {
    let mut url = String::new();
    for c in rel.with_extension("").components() {
        url.push('/');
        let c = c.as_os_str().to_string_lossy();
        if c != EMPTY_SEGMENT {
            url.push_str(&c);
        }
    }
    url
}

/// The file name (without `.yaml`) that stands for a trailing slash.
pub const EMPTY_SEGMENT: &str = "{empty}";

/// Every file below `dir` whose name ends in `.{extension}`, sorted.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, Error> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                walk(&path, extension, out)?;
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, extension, &mut out)?;
    out.sort();
    Ok(out)
}

/// Parses one file; an error names the file, the line and the dotted path of the field.
pub fn parse<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, SpecError> {
    if text.trim().is_empty() {
        return Err(SpecError {
            file: file.to_path_buf(),
            line: None,
            field: String::new(),
            message: "the file is empty".into(),
        });
    }
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.location().map(|l| l.line());
        let mut message = inner.to_string();
        // serde_yaml appends " at line N column M"; the line is reported separately.
        if let Some(i) = message.find(" at line ") {
            message.truncate(i);
        }
        // It also starts with the path of the map that holds the problem, which `field` names.
        if let Some((prefix, rest)) = message.split_once(": ") {
            if field.starts_with(prefix) && !prefix.contains(' ') {
                message = rest.to_string();
            }
        }
        SpecError {
            file: file.to_path_buf(),
            line,
            field: if field == "." { String::new() } else { field },
            message,
        }
    })
}

/// Finds the line of a (block-style) YAML key path such as `["post", "body", "properties", "amount"]`.
/// Falls back to the deepest ancestor that was found; `None` when not even the first key is found.
pub fn locate(text: &str, path: &[&str]) -> Option<usize> {
    let mut best = None;
    let mut min_indent: isize = -1;
    let mut depth = 0;
    for (i, line) in text.lines().enumerate() {
        if depth == path.len() {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = (line.len() - trimmed.len()) as isize;
        if indent <= min_indent && depth > 0 {
            // Left the block of the last key found without finding the next one.
            break;
        }
        let key = path[depth];
        let matches = [
            format!("{key}:"),
            format!("'{key}':"),
            format!("\"{key}\":"),
        ];
        if matches.iter().any(|m| trimmed.starts_with(m.as_str())) {
            best = Some(i + 1);
            min_indent = indent;
            depth += 1;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_nested_keys_and_falls_back_to_the_parent() {
        let text = "post:\n  summary: x\n  body:\n    properties:\n      a:\n        type: string\n      b: {type: int}\nget:\n  summary: y\n";
        assert_eq!(locate(text, &["post", "body", "properties", "b"]), Some(7));
        assert_eq!(locate(text, &["post", "body", "properties", "a", "type"]), Some(6));
        assert_eq!(locate(text, &["get", "summary"]), Some(9));
        assert_eq!(locate(text, &["post", "body", "properties", "zzz"]), Some(4));
        assert_eq!(locate(text, &["put"]), None);
    }

    #[test]
    fn parse_error_names_line_and_field() {
        let text = "post:\n  summary: x\n  body:\n    properties:\n      a:\n        typ: string\n";
        let e = parse::<PathFile>(Path::new("spec/v3/x.yaml"), text).unwrap_err();
        assert_eq!(e.line, Some(6));
        assert_eq!(e.field, "post.body.properties.a.typ");
        assert!(e.message.contains("unknown field `typ`"), "{}", e.message);
        assert_eq!(
            e.to_string().split(": ").next().unwrap(),
            "spec/v3/x.yaml:6"
        );
    }
}
