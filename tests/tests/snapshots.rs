//! Snapshot tests of the generator over the fixture specs in `tests/fixtures/*/spec/`.
//!
//! Adding a case is adding a folder. Each fixture's whole output is one insta snapshot
//! (`tests/tests/snapshots/`); the same output is compiled as `wechatpay_tests::fixtures::<name>`
//! (written there by `cargo xtask generate`, kept current by `cargo xtask generate --check`).

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

#[test]
fn every_fixture_has_a_snapshot_and_compiled_output() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["hostile", "nested", "ordinary"],
        "add a snapshot test for a new fixture"
    );
    for name in names {
        // The compiled copy must be exactly what the generator produces now.
        let files = generate(&fixtures_dir().join(&name).join("spec"), &options(&name))
            .unwrap()
            .files;
        let compiled = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/fixtures")
            .join(&name)
            .join("api");
        for (path, content) in files {
            let on_disk = std::fs::read_to_string(compiled.join(&path)).unwrap_or_default();
            assert!(
                on_disk == content,
                "{name}/{} is stale: run `cargo xtask generate`",
                path.display()
            );
        }
    }
}

#[test]
fn ordinary() {
    insta::assert_snapshot!(render("ordinary"));
}

#[test]
fn nested() {
    insta::assert_snapshot!(render("nested"));
}

#[test]
fn hostile() {
    insta::assert_snapshot!(render("hostile"));
}

#[test]
fn output_is_deterministic() {
    assert_eq!(render("hostile"), render("hostile"));
    assert_eq!(render("nested"), render("nested"));
}
