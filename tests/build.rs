//! The fixture specs' clients, generated at build time: every folder `fixtures/<name>/` with a
//! `spec/` is generated into `$OUT_DIR/fixtures/<name>/api/` and declared as the module
//! `wechatpay_tests::fixtures::<name>` (`$OUT_DIR/fixtures.rs`, included by `src/fixtures.rs`).
//!
//! This generation is the one both the compiled fixtures and the snapshots
//! (`tests/snapshots.rs`, which reads these files) come from; the snapshots are the one stored
//! copy. Adding a fixture is adding a folder (its `README.md`, if any, documents the module).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wechatpay_codegen::{generate, Options};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let fixtures = manifest.join("fixtures");
    println!("cargo:rerun-if-changed={}", fixtures.display());

    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap_or_else(|e| panic!("{}: {e}", fixtures.display()))
        .map(|e| e.expect("a fixture folder entry"))
        .filter(|e| e.path().join("spec").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();

    let root = out.join("fixtures");
    if root.exists() {
        std::fs::remove_dir_all(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    }
    let mut modules = String::new();
    for name in &names {
        let api = root.join(name).join("api");
        write_fixture(&fixtures.join(name), name, &api);
        modules.push_str(&module(&fixtures.join(name), name, &api));
    }
    std::fs::write(out.join("fixtures.rs"), modules).expect("write fixtures.rs");
}

/// Generates one fixture's client into `api`.
fn write_fixture(dir: &Path, name: &str, api: &Path) {
    let options = Options {
        root: format!("crate::fixtures::{name}::api"),
        client: format!("crate::fixtures::{name}::Client"),
        ..Options::default()
    };
    let output = generate(&dir.join("spec"), &options).unwrap_or_else(|e| panic!("fixture {name} must generate: {e}"));
    for (path, content) in output.files {
        let target = api.join(path);
        std::fs::create_dir_all(target.parent().expect("a generated file has a folder"))
            .expect("create a fixture folder");
        std::fs::write(&target, content).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
    }
}

/// The module of one fixture: its own `Client` (a thin wrapper over `wechatpay::Client`, as
/// generated root methods are inherent methods of the configured client type) and its API.
fn module(dir: &Path, name: &str, api: &Path) -> String {
    let mut doc = String::new();
    if let Ok(readme) = std::fs::read_to_string(dir.join("README.md")) {
        for line in readme.lines() {
            let _ = writeln!(doc, "/// {line}");
        }
    }
    let path = api.join("mod.rs");
    format!(
        r#"{doc}pub mod {name} {{
    /// The client of this fixture's API.
    #[derive(Clone, Debug)]
    pub struct Client(pub wechatpay::Client);

    impl AsRef<wechatpay::runtime::Client> for Client {{
        fn as_ref(&self) -> &wechatpay::runtime::Client {{
            self.0.as_ref()
        }}
    }}

    #[path = {path:?}]
    mod api;
    pub use api::*;
}}
"#,
        path = path.display().to_string()
    )
}
