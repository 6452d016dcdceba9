//! Folders and files: which folders are packages, and which files of one are read.

use super::*;

/// The folders below `root/rel` (recursively), relative to `root`, `/`-separated.
pub(super) fn package_folders(root: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ReadError> {
    let dir = root.join(rel);
    let io = |source| ReadError::Io {
        path: dir.clone(),
        source,
    };
    for entry in std::fs::read_dir(&dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if !entry.file_type().map_err(io)?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let sub = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        package_folders(root, &sub, out)?;
        out.push(sub);
    }
    Ok(())
}

/// An operation as read, and whether its body is the request itself (`localVarPostBody = req`).
pub(super) type ParsedOp = (GoOperation, bool);

/// The package in `folder`: `None` when it has neither `models.go` nor `api_*.go`.
pub(super) fn read_package(root: &Path, folder: &str) -> Result<Option<(Package, Vec<ParsedOp>)>, ReadError> {
    let dir = root.join(folder);
    let io = |path: &Path, source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
        let name = entry.map_err(|e| io(&dir, e))?.file_name();
        names.push(name.to_string_lossy().into_owned());
    }
    names.sort();
    let mut found = None;
    for name in names {
        let is_api = name.starts_with("api_") && name.ends_with(".go");
        if name != "models.go" && !is_api {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&name)).map_err(|e| io(&dir.join(&name), e))?;
        let rel = Path::new(folder).join(&name);
        let (package, ops): &mut (Package, Vec<ParsedOp>) = found.get_or_insert_default();
        if is_api {
            ops.extend(parse_api(folder, &rel, &text)?);
        } else {
            *package = parse_models(folder, &rel, &text)?;
        }
    }
    Ok(found)
}
