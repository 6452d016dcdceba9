//! The whole API in `spec/`: every operation is generated, reachable through its own chain, and
//! the committed client is what the generator produces now.

use std::collections::BTreeSet;
use std::path::Path;

use wechatpay_codegen::ir::{Api, Node};
use wechatpay_codegen::{ir, load};

fn api() -> Api {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let loaded = load::load_dir(&spec).expect("spec/ loads");
    ir::build(&loaded).expect("spec/ is valid")
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

#[test]
fn every_operation_of_the_public_description_is_in_the_spec_and_reachable() {
    let api = api();
    let mut nodes = Vec::new();
    walk(&api.root, &mut nodes);
    let ops: usize = nodes.iter().map(|n| n.ops.len()).sum();
    // 1,019 JSON operations in v3/, hk/ and global/, less the inbound webhook notification.
    assert_eq!(ops, 1018, "operations in spec/");

    // Each (chain, method) is unique, so every operation has its own call.
    let mut calls = BTreeSet::new();
    for n in &nodes {
        for op in &n.ops {
            let call = format!("{}.{}()", n.chain, op.method.as_str());
            assert!(calls.insert(call.clone()), "two operations share {call}");
        }
    }
    // The hazards of the real API (CORPUS.md) resolve as documented.
    for expected in [
        "client.v3().marketing().busifavor().coupons().use_().post()",
        "client.v3().ecommerce().subsidies().return_().post()",
        "client.v3().gov().subsidy().zhejiang().authcode().try_().post()",
        "client.v3().applyment4sub().applyment().slash().post()",
        "client.v3().apply4subject().applyment().applyment_id(applyment_id).cancel().post()",
        "client.v3().apply4subject().applyment().business_code(business_code).cancel().post()",
        "client.v3().pay().transactions().out_trade_no().out_trade_no(out_trade_no).get()",
        "client.v3().profitsharing().receivers().delete_().post()",
    ] {
        assert!(calls.contains(expected), "missing {expected}");
    }
    let siblings: Vec<&str> = calls
        .iter()
        .filter(|c| c.contains("insurance_sign().policy_periods"))
        .map(String::as_str)
        .collect();
    assert!(siblings.iter().any(|c| c.contains(".policy_periods().")), "{siblings:?}");
    assert!(siblings.iter().any(|c| c.contains(".policy_periods_().")), "{siblings:?}");
}

#[test]
fn every_group_has_a_feature() {
    let api = api();
    let groups = wechatpay_codegen::emit::group_features(&api);
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/Cargo.toml")).unwrap();
    for f in groups.values() {
        assert!(manifest.contains(&format!("\n{f} = []")), "feature {f} missing from generated/Cargo.toml");
    }
    assert!(groups.len() > 70, "{} groups", groups.len());
}
