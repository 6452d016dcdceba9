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
    let json: usize = nodes.iter().flat_map(|n| &n.ops).filter(|op| op.v2.is_none()).count();
    let v2: usize = nodes.iter().flat_map(|n| &n.ops).filter(|op| op.v2.is_some()).count();
    // 1,019 JSON operations in v3/, hk/ and global/, less the inbound webhook notification,
    // plus one the description lacks (the favor stock's stop, from the official models);
    // 136 APIv2 ones, less the ten the importer leaves out with their reasons (README).
    assert_eq!(json, 1019, "JSON operations in spec/");
    assert_eq!(v2, 126, "APIv2 operations in spec/v2/");
    assert!(
        nodes
            .iter()
            .all(|n| n.ops.iter().all(|op| op.v2.is_some() == n.url.starts_with("/v2/"))),
        "APIv2 operations are those of spec/v2/ and only those"
    );

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
        "client.v2().mmpaymkttransfers().sendredpack().post()",
        "client.v2().pay().unifiedorder().post()",
        "client.v2().mmpaysptrans().pay_bank().post()",
    ] {
        assert!(calls.contains(expected), "missing {expected}");
    }
    let siblings: Vec<&str> = calls
        .iter()
        .filter(|c| c.contains("insurance_sign().policy_periods"))
        .map(String::as_str)
        .collect();
    assert!(
        siblings.iter().any(|c| c.contains(".policy_periods().")),
        "{siblings:?}"
    );
    assert!(
        siblings.iter().any(|c| c.contains(".policy_periods_().")),
        "{siblings:?}"
    );
}

#[test]
fn every_group_has_a_feature() {
    let api = api();
    let groups = wechatpay_codegen::emit::group_features(&api);
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/Cargo.toml")).unwrap();
    for f in groups.values() {
        // `v2` is written by hand: it turns on the runtime's APIv2 layer.
        let declared = if f == "v2" {
            manifest.contains("\nv2 = [\"wechatpay-runtime/v2\"]")
        } else {
            manifest.contains(&format!("\n{f} = []"))
        };
        assert!(declared, "feature {f} missing from generated/Cargo.toml");
    }
    assert!(
        !manifest
            .lines()
            .any(|l| l.starts_with("full = ") && l.contains("\"v2\"")),
        "full is every APIv3 group, not APIv2"
    );
    assert!(groups.len() > 70, "{} groups", groups.len());
}

/// Money is an integer: no field of the whole API is a float, except those whose description
/// documents fractions (each listed here with its reason). An amount-like name (amount, total,
/// refund, fee, price, quantity, count and their compounds) is never a float at all unless listed.
#[test]
fn no_amount_or_count_is_a_float() {
    use wechatpay_codegen::ir::{Field, Ty, TypeDef, TypeKind};
    // (URL, type, wire name, why it is a float).
    const FLOATS: &[(&str, &str, &str, &str)] = &[(
        "/v3/catering/orders/sync-status",
        "PostRequestDishList",
        "count",
        "菜品数量，保留小数点后2位有效数字: a dish quantity with two decimals (example 1.5), not money",
    )];
    fn float(t: &Ty) -> bool {
        match t {
            Ty::F64 => true,
            Ty::Vec(t) => float(t),
            _ => false,
        }
    }
    fn fields<'a>(url: &'a str, types: &'a [TypeDef], out: &mut Vec<(&'a str, &'a str, &'a Field)>) {
        for t in types {
            if let TypeKind::Struct(fs) = &t.kind {
                out.extend(fs.iter().map(|f| (url, t.name.as_str(), f)));
            }
        }
    }
    let api = api();
    let mut nodes = Vec::new();
    walk(&api.root, &mut nodes);
    let mut all = Vec::new();
    fields("types", &api.shared, &mut all);
    for n in &nodes {
        fields(&n.url, &n.types, &mut all);
        if let wechatpay_codegen::ir::Segment::Param { name, ty } = &n.segment {
            assert!(!float(ty), "path parameter {name} of {} is a float", n.url);
        }
    }
    assert!(all.len() > 10_000, "{} fields", all.len());
    let floats: Vec<(&str, &str, &str)> = all
        .iter()
        .filter(|(_, _, f)| float(&f.ty))
        .map(|(u, t, f)| (*u, *t, f.wire.as_str()))
        .collect();
    let expected: Vec<(&str, &str, &str)> = FLOATS.iter().map(|(u, t, w, _)| (*u, *t, *w)).collect();
    assert_eq!(
        floats, expected,
        "float fields of the whole API (each must document fractions)"
    );

    let amount_like = [
        "amount", "amt", "total", "refund", "fee", "price", "quantity", "count", "num",
    ];
    for (u, t, f) in &all {
        let wire = f.wire.to_ascii_lowercase();
        let is_amount = wire.split(['_', '-']).any(|p| amount_like.contains(&p));
        if is_amount && float(&f.ty) && !FLOATS.iter().any(|(fu, ft, fw, _)| fu == u && ft == t && *fw == f.wire) {
            panic!("{u} {t}.{}: an amount or count as a float", f.wire);
        }
    }
}

/// On the wire an amount is `100`, never `100.0`, and a fraction is refused.
#[test]
fn an_amount_is_sent_and_read_as_an_integer() {
    use wechatpay::v3::pay::transactions::codepay::{PostRequestAmount, PostRequestAmountRequired};
    let amount =
        PostRequestAmount::new(PostRequestAmountRequired { total: 100 }).with(|a| a.currency = Some("CNY".into()));
    assert_eq!(
        serde_json::to_string(&amount).unwrap(),
        r#"{"total":100,"currency":"CNY"}"#
    );
    let back: PostRequestAmount = serde_json::from_str(r#"{"total":100}"#).unwrap();
    assert_eq!(back.total, 100);
    let e = serde_json::from_str::<PostRequestAmount>(r#"{"total":100.5}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected i64 at line 1 column 14"), "{e}");
    use wechatpay::v3::refund::domestic::refunds::PostResponseAmount;
    let refund: PostResponseAmount = serde_json::from_str(
        r#"{"total":100,"refund":100,"payer_total":90,"payer_refund":90,"settlement_refund":100,"settlement_total":100,"discount_refund":10,"currency":"CNY"}"#,
    )
    .unwrap();
    // Response fields are optional (spec/README.md, the response rule); amounts are integers.
    let (total, refunded, payer_total): (Option<i64>, Option<i64>, Option<i64>) =
        (refund.total, refund.refund, refund.payer_total);
    assert_eq!((total, refunded, payer_total), (Some(100), Some(100), Some(90)));
}

/// A URL root is a `Client` method: `naming::ROOT_RESERVED` must name every function of the
/// runtime's `impl Client` blocks, or a root file of that name would not compile (issue 9,
/// item 16). Read from the runtime's source, so that a new `Client` method fails here first.
#[test]
fn root_names_cover_the_client() {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&runtime).unwrap() {
        let path = entry.unwrap().path();
        if path.extension() != Some(std::ffi::OsStr::new("rs")) {
            continue; // the unit tests' folder
        }
        let text = std::fs::read_to_string(path).unwrap();
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with("impl Client {") {
                inside = true;
            } else if inside && line == "}" {
                inside = false;
            } else if inside && line.starts_with("    ") && !line.starts_with("     ") {
                let rest = line.trim_start();
                let rest = rest
                    .strip_prefix("pub(crate) ")
                    .or_else(|| rest.strip_prefix("pub "))
                    .unwrap_or(rest);
                let rest = rest.strip_prefix("async ").unwrap_or(rest);
                if let Some(f) = rest.strip_prefix("fn ") {
                    names.insert(f.split(['(', '<']).next().unwrap().to_string());
                }
            }
        }
    }
    assert!(
        names.len() > 20,
        "found {} functions: the scan no longer reads the runtime",
        names.len()
    );
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !wechatpay_codegen::naming::ROOT_RESERVED.contains(&n.as_str()))
        .collect();
    assert!(missing.is_empty(), "add to naming::ROOT_RESERVED: {missing:?}");
}

/// Every file of the committed generated client (`generated/src/api/`, current by
/// `cargo xtask generate --check`), with its text.
fn generated_files() -> Vec<(std::path::PathBuf, String)> {
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/src/api")];
    let mut out = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out
}

/// No variant repeats its enum's name (`ApplymentState::Passed`, not
/// `ApplymentState::ApplymentStatePassed`), over every enum the generator wrote
/// (`generated/src/api/`, current by `cargo xtask generate --check`).
#[test]
fn no_enum_variant_repeats_its_enums_name() {
    let (mut enums, mut repeats) = (0, Vec::new());
    for (_, text) in generated_files() {
        for block in text.split("json_enum!(").skip(1) {
            let Some((name, rest)) = block.split_once('{') else {
                continue;
            };
            let name = name.trim();
            enums += 1;
            let body = rest.split('}').next().unwrap_or_default();
            for line in body.lines() {
                let Some((variant, _)) = line.trim().split_once(" = ") else {
                    continue;
                };
                let after = variant.strip_prefix(name).and_then(|r| r.chars().next());
                if after.is_some_and(|c| c.is_ascii_uppercase()) {
                    repeats.push(format!("{name}::{variant}"));
                }
            }
        }
    }
    assert!(
        enums > 500,
        "found {enums} enums: the scan no longer reads the generated code"
    );
    assert!(
        repeats.is_empty(),
        "{} variants repeat their enum's name: {repeats:?}",
        repeats.len()
    );
}

/// No type name is a numbered copy of another in its file (`ResponseAmount2` beside
/// `ResponseAmount`): shared shapes are named after where they belong (codegen/src/share.rs).
#[test]
fn no_type_name_is_a_numbered_copy_of_another() {
    let (mut types, mut copies) = (0, Vec::new());
    for (path, text) in generated_files() {
        let names: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                l.strip_prefix("pub struct ")
                    .or_else(|| l.strip_prefix("pub enum "))
                    .or_else(|| l.strip_prefix("pub type "))
            })
            .filter_map(|rest| rest.split([' ', '(', '<', '{', ';']).next())
            .collect();
        types += names.len();
        for name in &names {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            if base.len() < name.len() && !base.is_empty() && names.contains(base) {
                copies.push(format!("{}: {name} beside {base}", path.display()));
            }
        }
    }
    assert!(
        types > 5000,
        "found {types} types: the scan no longer reads the generated code"
    );
    assert!(copies.is_empty(), "{} numbered copies: {copies:#?}", copies.len());
}

/// Every use of a shared shape agrees with the one type emitted for it, field by field: the
/// same wire name, Rust name, required-ness and description (or, for an enum,
/// the same values and meanings), so that one name never stands for two meanings.
#[test]
fn every_shared_shape_agrees_with_each_of_its_uses() {
    use wechatpay_codegen::ir::TypeKind;
    use wechatpay_codegen::share::Aliases;
    let api = api();
    let aliases = Aliases::find(&api).unwrap();
    let mut nodes = Vec::new();
    walk(&api.root, &mut nodes);
    let mut shared: std::collections::HashMap<Vec<String>, &ir::TypeDef> = std::collections::HashMap::new();
    for root in &api.root.children {
        for group in &root.children {
            let Some((module, defs)) = aliases.models(group) else {
                continue;
            };
            for def in defs {
                let path = vec![
                    root.module.clone(),
                    group.module.clone(),
                    module.to_string(),
                    def.name.clone(),
                ];
                shared.insert(path, def);
            }
        }
    }
    let (mut uses, mut disagreements) = (0, Vec::new());
    for node in &nodes {
        for def in &node.types {
            let Some(target) = aliases.target(node, &def.name) else {
                continue;
            };
            uses += 1;
            let Some(emitted) = shared.get(target) else {
                disagreements.push(format!("{} {}: target {target:?} not found", node.url, def.name));
                continue;
            };
            let agree = match (&def.kind, &emitted.kind) {
                (TypeKind::Struct(a), TypeKind::Struct(b)) => {
                    a.len() == b.len()
                        && a.iter().zip(b).all(|(x, y)| {
                            (x.wire.as_str(), x.ident.as_str(), x.required, x.description.as_deref())
                                == (y.wire.as_str(), y.ident.as_str(), y.required, y.description.as_deref())
                        })
                }
                (TypeKind::Enum(a), TypeKind::Enum(b)) => {
                    a.len() == b.len()
                        && a.iter()
                            .zip(b)
                            .all(|(x, y)| (&x.value, &x.description) == (&y.value, &y.description))
                }
                _ => false,
            };
            if !agree {
                disagreements.push(format!("{} {} vs {}", node.url, def.name, emitted.name));
            }
        }
    }
    assert!(
        uses > 1000,
        "{uses} uses of shared shapes: the test no longer sees them"
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
