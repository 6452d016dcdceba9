//! The importer (`wechatpay_import`) over small Swagger-2 fixtures (one anomaly class per
//! file, in `tests/fixtures/import/src/`) and over the whole public description when present.

use std::path::{Path, PathBuf};

use wechatpay_import::{import, ImportOptions, ImportSummary, HEADER};
use wechatpay_model::spec::{Content, EnumValue, Operation, PathFile, ResponseSignature, Scalar, Schema};

mod official;
mod operations;
mod schemas;
mod v2;
mod whole;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/src");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/wechatpay-openapi");

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wechatpay-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(name: &str) -> (ImportSummary, PathBuf) {
    let out = temp(name);
    let s = import(Path::new(FIXTURE), &out, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (s, out)
}

fn read(out: &Path, rel: &str) -> PathFile {
    let text = std::fs::read_to_string(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(text.starts_with(&format!("{HEADER}\n")), "{rel} lacks the header line");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every shared type written under `out/types/`, by name (each types file has the header).
fn types(out: &Path) -> indexmap::IndexMap<String, Schema> {
    let mut all = indexmap::IndexMap::new();
    let Ok(rd) = std::fs::read_dir(out.join("types")) else {
        return all;
    };
    let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if !text.starts_with(&format!("{HEADER}\n")) {
            continue; // hand-written
        }
        let t: wechatpay_model::spec::TypesFile =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for (k, v) in t.0 {
            assert!(all.insert(k.clone(), v).is_none(), "{k} defined twice");
        }
    }
    all
}

fn props(s: &Schema) -> &indexmap::IndexMap<String, Schema> {
    s.properties.as_ref().expect("properties")
}

fn body(op: &Operation) -> &indexmap::IndexMap<String, Schema> {
    props(op.body.as_ref().expect("body"))
}

fn resp(op: &Operation) -> &indexmap::IndexMap<String, Schema> {
    props(
        op.response
            .as_ref()
            .expect("response")
            .body
            .as_ref()
            .expect("response body"),
    )
}

fn enum_pairs(s: &Schema) -> Vec<(String, Option<String>)> {
    s.enum_
        .as_ref()
        .expect("enum")
        .iter()
        .map(|v| (v.value().to_string(), v.description().map(str::to_owned)))
        .collect()
}

fn has_line(s: &ImportSummary, prefix: &str, contains: &str) {
    assert!(
        s.repair_lines
            .iter()
            .any(|l| l.starts_with(prefix) && l.contains(contains)),
        "no repair line {prefix}…{contains} in:\n{}",
        s.repair_lines.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
