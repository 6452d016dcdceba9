//! Embeds `../spec/**/*.yaml` (the API description the client is generated from) into the
//! library: `$OUT_DIR/spec_files.rs` holds `(path below spec/, include_str!(file))` pairs, so the
//! installed `wechatpay` binary knows the spec without the source tree. The files are parsed and
//! validated (with `wechatpay-codegen`, exactly as `cargo xtask generate` does) when first used.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let spec = manifest.join("..").join("spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    let mut files = Vec::new();
    walk(&spec, &mut files);
    files.sort();
    let mut out = String::from("/// The embedded spec files: path below `spec/` (with `/`), contents.\npub static SPEC_FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel: Vec<String> = file
            .strip_prefix(&spec)
            .expect("below spec/")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let abs = file.canonicalize().unwrap_or_else(|_| file.clone());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            rel.join("/"),
            abs.to_string_lossy()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("spec_files.rs");
    std::fs::write(dest, out).expect("write spec_files.rs");
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
