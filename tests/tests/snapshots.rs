//! The generator's output over the fixture specs in `tests/fixtures/<name>/spec/`, as insta
//! snapshots: one per generated file, named `<fixture>__<path>` (`hostile__v3__pay.rs`), in
//! `tests/tests/snapshots/`. They are the one stored copy of that output.
//!
//! The files compared are the ones `build.rs` generated for this build, which this crate
//! compiles (`wechatpay_tests::fixtures::<name>`, exercised by `e2e_fixtures.rs`): the snapshots
//! and the compiled code come from the same generation. A change to the generator fails here
//! with insta's diff; `cargo insta review` (or `INSTA_UPDATE=always cargo test -p
//! wechatpay-tests --test integration snapshots::`, then `git diff`) accepts it. Under `CI=true` insta writes
//! nothing, and a snapshot left pending (`*.snap.new`) or left over fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where `build.rs` wrote each fixture's client: `<OUT_DIR>/fixtures/<name>/api/`.
fn generated_root() -> PathBuf {
    Path::new(env!("OUT_DIR")).join("fixtures")
}

fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Every file below `dir`, relative to it, in path order.
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

/// `(snapshot name, generated file)` of every fixture's every file.
fn generated() -> Vec<(String, PathBuf)> {
    let root = generated_root();
    let mut fixtures: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    let mut out = Vec::new();
    for fixture in fixtures {
        let api = root.join(&fixture).join("api");
        for rel in files_below(&api) {
            let name = format!("{fixture}__{}", rel.display()).replace('/', "__");
            out.push((name, api.join(rel)));
        }
    }
    out
}

#[test]
fn every_generated_fixture_file_matches_its_snapshot() {
    let files = generated();
    let fixtures: BTreeSet<&str> = files.iter().filter_map(|(n, _)| n.split("__").next()).collect();
    assert!(fixtures.len() >= 3, "the fixtures were not generated: {fixtures:?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // Every file is compared (and, outside CI, every new one written as `.snap.new` for review)
    // before the test fails, not only the first that differs.
    let mut failed = Vec::new();
    for (name, path) in &files {
        let content = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.as_str(), content));
        }));
        if result.is_err() {
            failed.push(name.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "{} generated files differ from their snapshots: {failed:?}; review with `cargo insta review`",
        failed.len()
    );
}

#[test]
fn no_snapshot_is_left_over_or_pending() {
    let expected: BTreeSet<String> = generated().into_iter().map(|(n, _)| format!("{n}.snap")).collect();
    let stored: BTreeSet<String> = files_below(&snapshots_dir())
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    let pending: Vec<&String> = stored.iter().filter(|s| !s.ends_with(".snap")).collect();
    assert!(
        pending.is_empty(),
        "pending snapshots (review them with `cargo insta review`, or delete them): {pending:?}"
    );
    let left_over: Vec<&String> = stored.difference(&expected).collect();
    assert!(
        left_over.is_empty(),
        "snapshots of files the generator no longer writes (delete them): {left_over:?}"
    );
}

#[test]
fn output_is_deterministic() {
    use wechatpay_codegen::{generate, Options};
    for name in ["hostile", "nested"] {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
            .join("spec");
        let options = Options {
            root: format!("crate::fixtures::{name}::api"),
            client: format!("crate::fixtures::{name}::Client"),
            ..Options::default()
        };
        let once = generate(&spec, &options).unwrap().files;
        let twice = generate(&spec, &options).unwrap().files;
        assert_eq!(once, twice, "{name}");
        // And the same as the build's generation, which the snapshots hold.
        let api = generated_root().join(name).join("api");
        for (path, content) in once {
            assert_eq!(
                std::fs::read_to_string(api.join(&path)).unwrap(),
                content,
                "{name}/{}",
                path.display()
            );
        }
    }
}
