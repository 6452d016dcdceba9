//! Types of identical shape within an API group: the first is emitted, later ones are aliases.

use wechatpay_codegen::{generate, Options};

fn generated(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = generate(dir.path(), &Options::default()).unwrap();
    out.files.values().cloned().collect::<Vec<_>>().join("\n")
}

fn op(amount_doc: &str) -> String {
    format!(
        "post:\n  summary: s\n  body:\n    properties:\n      amount:\n        required: true\n        properties:\n          total: {{type: integer, required: true, description: {amount_doc}}}\n          currency: {{type: string, enum: [CNY, USD]}}\n  response:\n    status: 204\n"
    )
}

#[test]
fn same_shape_in_one_group_is_an_alias_of_the_first() {
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/shop/b.yaml", &op("总金额"))]);
    assert!(text.contains("pub struct PostRequestAmount {"), "{text}");
    assert!(text.contains("pub type PostRequestAmount = crate::v3::shop::a::PostRequestAmount;"), "{text}");
    assert!(text.contains("pub type PostRequestAmountCurrency = crate::v3::shop::a::PostRequestAmountCurrency;"), "{text}");
    // The request itself has the same shape too (one field of that shape).
    assert!(text.contains("pub type PostRequest = crate::v3::shop::a::PostRequest;"), "{text}");
    assert_eq!(text.matches("pub struct PostRequestAmount {").count(), 1, "{text}");
}

#[test]
fn a_different_doc_or_group_is_a_type_of_its_own() {
    // A field's description is part of the shape: the emitted docs would differ.
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/shop/b.yaml", &op("订单金额"))]);
    assert_eq!(text.matches("pub struct PostRequestAmount {").count(), 2, "{text}");
    assert!(!text.contains("pub type PostRequestAmount "), "{text}");
    // The enum inside has the same shape in both: still shared.
    assert!(text.contains("pub type PostRequestAmountCurrency = crate::v3::shop::a::PostRequestAmountCurrency;"), "{text}");
    // Groups are compiled apart (one cargo feature each): nothing is shared across them.
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/mall/b.yaml", &op("总金额"))]);
    assert_eq!(text.matches("pub struct PostRequestAmount {").count(), 2, "{text}");
    assert!(!text.contains("pub type"), "{text}");
}
