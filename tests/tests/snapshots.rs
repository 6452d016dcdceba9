//! The generator's output over the fixture specs in `tests/fixtures/<name>/spec/`.
//!
//! Each fixture's output is stored once, as the Rust tree `tests/src/fixtures/<name>/api/` that
//! this crate compiles (`wechatpay_tests::fixtures::<name>`, exercised by `e2e_fixtures.rs`):
//! `cargo xtask generate` writes it, a change to the generator shows in its diff, and this test
//! (like `cargo xtask generate --check`) fails while it is stale. Adding a case is adding a
//! folder and a `fixture!(name)` line in `tests/src/fixtures/mod.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use wechatpay_codegen::{generate, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn options(name: &str) -> Options {
    Options {
        root: format!("crate::fixtures::{name}::api"),
        client: format!("crate::fixtures::{name}::Client"),
        ..Options::default()
    }
}

/// The generated files of one fixture, concatenated in path order.
fn render(name: &str) -> String {
    let files = generate(&fixtures_dir().join(name).join("spec"), &options(name))
        .unwrap_or_else(|e| panic!("fixture {name} must generate: {e}"))
        .files;
    let mut out = String::new();
    for (path, content) in files {
        out.push_str(&format!("//// {}\n{content}\n", path.display()));
    }
    out
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

#[test]
fn every_fixture_output_is_stored_once_current_and_compiled() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "the fixtures were not found: {names:?}");
    let declared = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/fixtures/mod.rs")).unwrap();
    for name in names {
        // Compiled: the fixture's module is declared in this crate.
        assert!(
            declared.contains(&format!("    {name}\n);")),
            "tests/src/fixtures/mod.rs does not declare fixture `{name}`: add a `fixture!({name})`"
        );
        // Current: the stored copy is exactly what the generator produces now, file for file.
        let files = generate(&fixtures_dir().join(&name).join("spec"), &options(&name))
            .unwrap_or_else(|e| panic!("fixture {name} must generate: {e}"))
            .files;
        let stored = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/fixtures")
            .join(&name)
            .join("api");
        let on_disk = files_below(&stored);
        let generated: BTreeSet<PathBuf> = files.keys().cloned().collect();
        assert_eq!(
            on_disk, generated,
            "{name}: stale or missing files: run `cargo xtask generate`"
        );
        for (path, content) in files {
            let text = std::fs::read_to_string(stored.join(&path)).unwrap();
            assert!(
                text == content,
                "{name}/{} is stale: run `cargo xtask generate`",
                path.display()
            );
        }
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(render("hostile"), render("hostile"));
    assert_eq!(render("nested"), render("nested"));
}
