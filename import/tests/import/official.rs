//! `spec/` (which the generated client is made from, `cargo xtask generate --check`) against
//! WeChat Pay's own models (`../shared/reference/wechatpay-go/services/`, skipped when absent):
//! the reconciliation run again over the committed spec must find nothing left to do but the
//! differences listed below, each with its reason.

use std::collections::BTreeMap;

use wechatpay_import::official::{reconcile, Decision, Repair, Sdk};
use wechatpay_model::load::load_dir;

const SERVICES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/wechatpay-go/services"
);
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec");

/// Differences left on purpose: (kind, where the line starts, why).
const ACCEPTED: &[(Repair, &str, &str)] = &[(
    Repair::RequiredKept,
    "",
    "the rule: an official struct with every field optional is a loose shape (spec/README.md)",
)];

/// The category a decision left over counts in.
fn category(d: &Decision) -> &'static str {
    let response = d.at.contains(".response");
    match d.kind {
        Repair::FieldAdded if response => "response fields missing",
        Repair::FieldAdded => "request fields missing",
        Repair::TypeChanged | Repair::Unsettled => "type conflicts",
        Repair::EnumValueAdded | Repair::EnumAdded => "enum values missing",
        Repair::RequiredChanged | Repair::RequiredKept | Repair::ResponseRequired => "required conflicts",
        Repair::MadeSensitive => "encryption conflicts",
    }
}

#[test]
fn spec_agrees_with_the_official_models() {
    let services = std::path::Path::new(SERVICES);
    if !services.is_dir() {
        eprintln!("skipped: {SERVICES} not found (the official Go models are maintainer evidence)");
        return;
    }
    let sdk = Sdk::read(services).unwrap_or_else(|e| panic!("{e}"));
    let loaded = load_dir(std::path::Path::new(SPEC))
        .and_then(|l| l.or_errors())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut specs: Vec<(String, wechatpay_model::spec::PathFile)> = loaded
        .paths
        .into_iter()
        .filter(|p| !p.url.starts_with("/v2/"))
        .map(|p| (p.url, p.spec))
        .collect();
    let mut types: Vec<(String, indexmap::IndexMap<String, wechatpay_model::spec::Schema>)> = loaded
        .types
        .into_iter()
        .map(|t| (t.file.display().to_string(), t.types.0))
        .collect();
    let mut files: Vec<(String, &mut wechatpay_model::spec::PathFile)> =
        specs.iter_mut().map(|(u, f)| (u.clone(), f)).collect();
    let outcome = reconcile(&sdk, &mut files, &mut types);

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for d in &outcome.decisions {
        *counts.entry(category(d)).or_insert(0) += 1;
        let accepted = ACCEPTED.iter().any(|(k, at, _)| *k == d.kind && d.at.starts_with(at));
        if !accepted {
            unexplained.push(d.to_string());
        }
    }
    println!(
        "operations mapped: {} (of {} official)",
        outcome.matched.len(),
        sdk.operations.len()
    );
    for c in [
        "response fields missing",
        "request fields missing",
        "type conflicts",
        "enum values missing",
        "required conflicts",
        "encryption conflicts",
    ] {
        println!("{c}: {}", counts.get(c).copied().unwrap_or(0));
    }
    // The payment queries and the order-creating operations are among those mapped.
    for op in [
        "GET /v3/pay/transactions/id/{transaction_id}",
        "POST /v3/pay/transactions/jsapi",
        "POST /v3/profitsharing/receivers/add",
    ] {
        assert!(outcome.matched.iter().any(|m| m == op), "{op} not mapped");
    }
    assert!(outcome.matched.len() >= 118, "{} mapped", outcome.matched.len());
    assert!(
        unexplained.is_empty(),
        "{} differences with the official models not in ACCEPTED:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
