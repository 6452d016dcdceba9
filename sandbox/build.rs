//! Embeds `../spec/**/*.yaml` (the API description the client is generated from) into the
//! library, so the installed `wechatpay` binary knows the spec without the source tree.
//!
//! Each file is converted here from YAML to JSON text (`$OUT_DIR/spec/<n>.json`, parsing JSON at
//! run time is much faster than YAML); `$OUT_DIR/spec_files.rs` holds `(path below spec/, is_json,
//! include_str!(file))`. A file that is not valid YAML is embedded as is, so that the run-time
//! loader reports it with its line. The files are validated into the IR (with `wechatpay-model`,
//! exactly as `cargo xtask generate` does) when first used.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let spec = manifest.join("..").join("spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    let mut files = Vec::new();
    walk(&spec, &mut files);
    files.sort();
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let json_dir = out_dir.join("spec");
    std::fs::create_dir_all(&json_dir).expect("create OUT_DIR/spec");
    let mut out = String::from(
        "/// The embedded spec files: path below `spec/` (with `/`), whether converted to JSON, contents.\npub static SPEC_FILES: &[(&str, bool, &str)] = &[\n",
    );
    for (n, file) in files.iter().enumerate() {
        let rel: Vec<String> = file
            .strip_prefix(&spec)
            .expect("below spec/")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let text = std::fs::read_to_string(file).expect("read a spec file");
        // Through serde_yaml::Value, whose mappings keep their order (serde_json::Value's would
        // sort the keys, and the order of properties and parameters matters).
        let json = serde_yaml::from_str::<serde_yaml::Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string(&v).ok());
        let (is_json, embedded) = match json {
            Some(json) => {
                let path = json_dir.join(format!("{n}.json"));
                std::fs::write(&path, json).expect("write OUT_DIR/spec/<n>.json");
                (true, path)
            }
            None => (false, file.canonicalize().unwrap_or_else(|_| file.clone())),
        };
        out.push_str(&format!(
            "    ({:?}, {is_json}, include_str!({:?})),\n",
            rel.join("/"),
            embedded.to_string_lossy()
        ));
    }
    out.push_str("];\n");
    std::fs::write(out_dir.join("spec_files.rs"), out).expect("write spec_files.rs");
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read the spec folder {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
}
