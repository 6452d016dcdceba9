//! `sandbox/spec.jsonl`: the spec as the sandbox embeds it (the sandbox is a published crate, so
//! it cannot read `../spec` when it is built; `cargo xtask generate` writes the copy and
//! `--check` fails when it is stale).
//!
//! One line per spec file, sorted by path: `["<path below spec/>",<the file as compact JSON>]`,
//! the JSON written from the typed spec the generator read (so nothing is parsed twice), which
//! the sandbox reads back into the same types. JSON, not YAML: it parses far faster at first
//! use. The reader is `wechatpay_sandbox::spec::embedded_files`.

use std::path::Path;

use wechatpay_codegen::load::Loaded;

/// Where the embedded copy goes, relative to the workspace root.
pub const EMBEDDED_SPEC: &str = "sandbox/spec.jsonl";

/// The embedded copy of `loaded`, read from the folder `spec`.
pub fn embedded_spec(spec: &Path, loaded: &Loaded) -> Result<String, String> {
    let mut lines = Vec::new();
    let mut add = |file: &Path, json: Result<String, serde_json::Error>| -> Result<(), String> {
        let rel = file
            .strip_prefix(spec)
            .map_err(|_| format!("{} is not below {}", file.display(), spec.display()))?;
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        if rel.contains(['"', '\\']) || rel.chars().any(char::is_control) {
            return Err(format!(
                "spec/{rel}: a spec file name cannot hold quotes, backslashes or control characters"
            ));
        }
        let json = json.map_err(|e| format!("{}: {e}", file.display()))?;
        lines.push(format!("[\"{rel}\",{json}]\n"));
        Ok(())
    };
    for p in &loaded.paths {
        add(&p.file, serde_json::to_string(&p.spec))?;
    }
    for t in &loaded.types {
        add(&t.file, serde_json::to_string(&t.types))?;
    }
    for n in &loaded.notifications {
        add(&n.file, serde_json::to_string(&n.spec))?;
    }
    lines.sort();
    Ok(lines.concat())
}

/// Writes `content` to `path` if it differs (through a temporary file renamed into place);
/// whether it differed. With `check`, writes nothing.
pub fn update(path: &Path, content: &str, check: bool) -> Result<bool, String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    if !check {
        let tmp = path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, content).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(true)
}
