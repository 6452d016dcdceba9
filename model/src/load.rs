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
    /// The files that could not be read as spec files (YAML syntax, unknown keys, a key written
    /// twice, a symbolic-link loop), each with its place. [`crate::ir::build`] reports them with
    /// the errors it finds in the files that could be read, so that one broken file does not
    /// hide the problems of the others.
    pub errors: Vec<SpecError>,
}

impl Loaded {
    /// The loaded spec, or its read errors when there are any (for callers that do not go on
    /// to [`crate::ir::build`], which reports them itself).
    pub fn or_errors(self) -> Result<Loaded, Error> {
        if self.errors.is_empty() {
            Ok(self)
        } else {
            Err(Error::Spec(self.errors))
        }
    }

    /// Whether a file of shared types or of paths could not be read: references into it are
    /// then not reported as missing (they may be there once the file is fixed).
    pub fn is_partial(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The folder below `spec/` that holds shared types rather than URLs.
pub const TYPES_DIR: &str = "types";

/// The folder below `spec/` that holds inbound notifications rather than URLs.
pub const NOTIFICATIONS_DIR: &str = "notifications";

/// Reads every `.yaml` file below `dir`. A file that cannot be read as a spec file is listed in
/// [`Loaded::errors`] and the others are still read; `Err` is only for I/O failures.
pub fn load_dir(dir: &Path) -> Result<Loaded, Error> {
    let mut loaded = Loaded::default();
    let files = walk_files(dir, "yaml", &mut loaded.errors)?;
    // Parsing is most of the cost: spread the files over all cores.
    let parsed = crate::par::map_in_order(&files, "loader", || Ok(()), |(), f| parse_file(dir, f))?;
    for p in parsed {
        match p {
            Parsed::Path(p) => loaded.paths.push(*p),
            Parsed::Types(t) => loaded.types.push(t),
            Parsed::Notification(n) => loaded.notifications.push(*n),
            Parsed::Error(e) => loaded.errors.push(e),
        }
    }
    Ok(loaded)
}

/// The files below `dir` whose name ends in `.{extension}`, sorted. A symbolic link to a
/// folder is followed unless it leads back to a folder it is in (a loop, reported in `errors`
/// and not followed).
fn walk_files(dir: &Path, extension: &str, errors: &mut Vec<SpecError>) -> Result<Vec<PathBuf>, Error> {
    fn walk(
        dir: &Path,
        extension: &str,
        ancestors: &mut Vec<PathBuf>,
        out: &mut Vec<PathBuf>,
        errors: &mut Vec<SpecError>,
    ) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                let real = path.canonicalize().map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                if ancestors.contains(&real) {
                    errors.push(SpecError::at_file(
                        &path,
                        "a symbolic link to a folder that contains it (a loop): not followed; remove the link",
                    ));
                    continue;
                }
                ancestors.push(real);
                walk(&path, extension, ancestors, out, errors)?;
                ancestors.pop();
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
        Ok(())
    }
    let root = dir.canonicalize().map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    walk(dir, extension, &mut vec![root], &mut out, errors)?;
    out.sort();
    Ok(out)
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
    let top = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    match top.as_deref() {
        Some(TYPES_DIR) => FileKind::Types,
        Some(NOTIFICATIONS_DIR) => FileKind::Notification {
            name: rel.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
        },
        _ => FileKind::Path { url: url_of(rel) },
    }
}

/// `v3/pay/transactions/out-trade-no/{out_trade_no}.yaml` → `/v3/pay/transactions/out-trade-no/{out_trade_no}`;
/// a file named `{empty}.yaml` is the URL with a trailing slash (`v3/ecommerce/applyments/{empty}.yaml`
/// → `/v3/ecommerce/applyments/`).
fn url_of(rel: &Path) -> String {
    // Component by component, as written: `Path::with_extension` and `components` would quietly
    // turn a file `..yaml` into `.` and drop it, where it must be refused as a segment.
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut url = String::new();
    for (i, c) in parts.iter().enumerate() {
        let c = if i + 1 == parts.len() {
            c.strip_suffix(".yaml").unwrap_or(c)
        } else {
            c
        };
        url.push('/');
        if c != EMPTY_SEGMENT {
            url.push_str(c);
        }
    }
    url
}

/// The file name (without `.yaml`) that stands for a trailing slash.
pub const EMPTY_SEGMENT: &str = "{empty}";

/// Every file below `dir` whose name ends in `.{extension}`, sorted; a symbolic-link loop is an
/// error (see `walk_files`).
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, Error> {
    let mut loops = Vec::new();
    let files = walk_files(dir, extension, &mut loops)?;
    if loops.is_empty() {
        Ok(files)
    } else {
        Err(Error::Spec(loops))
    }
}

/// Parses one file; an error names the file, the line and the dotted path of the field.
pub fn parse<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, SpecError> {
    if text.trim().is_empty() {
        return Err(SpecError::at_file(file, "the file is empty"));
    }
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let mut message = inner.to_string();
        if let Some(at) = message.find(crate::spec::DUPLICATE_KEY) {
            return duplicate_key(file, text, &field, &message[at + crate::spec::DUPLICATE_KEY.len()..]);
        }
        let line = inner.location().map(|l| l.line());
        let column = inner.location().map(|l| l.column());
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
            column,
            field: if field == "." { String::new() } else { field },
            message,
        }
    })
}

/// The error of a key written twice in the map at `parent` (dotted): placed at the second
/// key, naming the line of the first.
fn duplicate_key(file: &Path, text: &str, parent: &str, rest: &str) -> SpecError {
    // serde_yaml may append " at line N column M" to the custom message.
    let key = rest.split(" at line ").next().unwrap_or(rest);
    let mut keys: Vec<&str> = if parent == "." || parent.is_empty() {
        Vec::new()
    } else {
        parent.split('.').collect()
    };
    keys.push(key);
    let places = locate_all(text, &keys);
    let (first, second) = (places.first().copied(), places.get(1).copied());
    SpecError {
        file: file.to_path_buf(),
        line: second.map(|p| p.0),
        column: second.map(|p| p.1),
        field: keys.join("."),
        message: match first {
            Some((line, _)) if second.is_some() => format!("the key `{key}` is written twice (first on line {line})"),
            _ => format!("the key `{key}` is written twice"),
        },
    }
}
/// Finds the line and column (1-based) of a YAML key path such as
/// `["post", "body", "properties", "amount"]`: block-style keys line by line, then the remaining
/// keys inside the line found (`amount: {type: int}`). Falls back to the deepest ancestor found;
/// `None` when not even the first key is found.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    locate_all(text, path).into_iter().next()
}

/// Every place of the last key of `path` inside the block of its parent (more than one when a
/// key is written twice); the deepest ancestor found when the key is not there.
pub fn locate_all(text: &str, path: &[&str]) -> Vec<(usize, usize)> {
    let mut best: Option<(usize, usize, &str)> = None;
    let mut min_indent: isize = -1;
    let mut depth = 0;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = (line.len() - trimmed.len()) as isize;
        if depth == path.len() {
            // Looking for more keys of the same name at the same indent in the parent block.
            if indent < min_indent {
                break;
            }
            if indent == min_indent && key_at_start(trimmed, path[depth - 1]) {
                found.push((i + 1, indent as usize + 1));
            }
            continue;
        }
        if indent <= min_indent && depth > 0 {
            // Left the block of the last key found without finding the next one.
            break;
        }
        if key_at_start(trimmed, path[depth]) {
            best = Some((i + 1, indent as usize + 1, line));
            min_indent = indent;
            depth += 1;
            if depth == path.len() {
                found.push((i + 1, indent as usize + 1));
            }
        }
    }
    if !found.is_empty() {
        return found;
    }
    let Some((line_no, column, line)) = best else {
        return Vec::new();
    };
    // The rest of the path may be written in flow style on the line found.
    let mut at = column - 1;
    for key in &path[depth..] {
        let rest = &line[at..];
        let hit = [format!("{{{key}:"), format!(" {key}:"), format!(",{key}:")]
            .iter()
            .filter_map(|p| rest.find(p.as_str()).map(|i| i + 1))
            .min();
        match hit {
            Some(i) => at += i,
            None => break,
        }
    }
    vec![(line_no, line[..at].chars().count() + 1)]
}

fn key_at_start(trimmed: &str, key: &str) -> bool {
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    [format!("{key}:"), format!("'{key}':"), format!("\"{key}\":")]
        .iter()
        .any(|m| trimmed.starts_with(m.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_nested_keys_and_falls_back_to_the_parent() {
        let text = "post:\n  summary: x\n  body:\n    properties:\n      a:\n        type: string\n      b: {type: int}\nget:\n  summary: y\n";
        assert_eq!(locate(text, &["post", "body", "properties", "b"]), Some((7, 7)));
        assert_eq!(locate(text, &["post", "body", "properties", "a", "type"]), Some((6, 9)));
        assert_eq!(
            locate(text, &["post", "body", "properties", "b", "type"]),
            Some((7, 11))
        );
        assert_eq!(locate(text, &["get", "summary"]), Some((9, 3)));
        assert_eq!(locate(text, &["post", "body", "properties", "zzz"]), Some((4, 5)));
        assert_eq!(locate(text, &["put"]), None);
        let twice = "a:\n  b: 1\n  c:\n    b: 2\n  b: 3\nd: 4\n";
        assert_eq!(locate_all(twice, &["a", "b"]), [(2, 3), (5, 3)]);
    }

    #[test]
    fn parse_error_names_line_and_field() {
        let text = "post:\n  summary: x\n  body:\n    properties:\n      a:\n        typ: string\n";
        let e = parse::<PathFile>(Path::new("spec/v3/x.yaml"), text).unwrap_err();
        assert_eq!(e.line, Some(6));
        assert_eq!(e.field, "post.body.properties.a.typ");
        assert!(e.message.contains("unknown field `typ`"), "{}", e.message);
        assert_eq!(e.to_string().split(": ").next().unwrap(), "spec/v3/x.yaml:6:9");
    }
}
