//! The importer's output against the generator's own validation (`load` + `ir::build`).

use std::path::Path;

use wechatpay_import::{import, ImportOptions};
use wechatpay_model::{error::Error, ir, load};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/src");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/wechatpay-openapi");

fn validate(src: &Path, name: &str) -> Vec<String> {
    let out = std::env::temp_dir().join(format!("wechatpay-import-validate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    import(src, &out, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let loaded = load::load_dir(&out);
    let res = loaded.and_then(|l| ir::build(&l).map(|_| ()));
    let _ = std::fs::remove_dir_all(&out);
    match res {
        Ok(()) => Vec::new(),
        Err(Error::Spec(errs)) => errs
            .iter()
            .map(|e| e.to_string().replace(&out.display().to_string(), ""))
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn fixture_output_passes_validation() {
    let errs = validate(Path::new(FIXTURE), "fixture");
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

#[test]
fn corpus_output_against_validation() {
    let src = Path::new(CORPUS);
    if !src.is_dir() {
        println!("skipped: ../shared not present");
        return;
    }
    let errs = validate(src, "corpus");
    // Every written file (1,018 operations, uploads, downloads, shared types) passes the
    // generator's own validation.
    assert!(
        errs.is_empty(),
        "{} validation error(s) over the imported corpus:\n{}",
        errs.len(),
        errs.join("\n")
    );
}
