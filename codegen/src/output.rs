//! Writing generated files: only when their content changes, never half-way, and a `--check`
//! mode that lists what is stale instead of writing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::HEADER;

/// What differs between the generated files and the folder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Files whose content differs, or that are missing.
    pub changed: Vec<PathBuf>,
    /// Generated files (they start with the header) that the spec no longer produces.
    pub removed: Vec<PathBuf>,
}

impl Stale {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares `files` (relative paths) with the folder `dir`.
pub fn diff(dir: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Stale, Error> {
    let mut stale = Stale::default();
    for (rel, content) in files {
        let path = dir.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(old) if old == *content => {}
            _ => stale.changed.push(path),
        }
    }
    let existing = if dir.exists() {
        crate::load::files_with_extension(dir, "rs")?
    } else {
        Vec::new()
    };
    for path in existing {
        let rel = path.strip_prefix(dir).expect("below dir").to_path_buf();
        if files.contains_key(&rel) {
            continue;
        }
        let generated = std::fs::read_to_string(&path)
            .map(|t| t.starts_with(HEADER))
            .unwrap_or(false);
        if generated {
            stale.removed.push(path);
        }
    }
    Ok(stale)
}

/// Writes what changed and removes generated files that are no longer produced.
/// Each file is written to a temporary name first and renamed into place.
pub fn write(dir: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Stale, Error> {
    let stale = diff(dir, files)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    for path in &stale.changed {
        let rel = path.strip_prefix(dir).expect("below dir");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let tmp = path.with_extension("rs.tmp");
        std::fs::write(&tmp, &files[rel]).map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))?;
    }
    for path in &stale.removed {
        std::fs::remove_file(path).map_err(io(path))?;
        // Drop folders left empty.
        let mut d = path.parent();
        while let Some(p) = d {
            if p == dir || std::fs::remove_dir(p).is_err() {
                break;
            }
            d = p.parent();
        }
    }
    Ok(stale)
}
