//! Types of identical shape within an API group: one neutral type in the group's `models`, and
//! every operation's name an alias of it.

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
fn same_shape_in_one_group_is_one_neutral_type_and_aliases() {
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/shop/b.yaml", &op("总金额"))]);
    // Emitted once, in the group's `models`, under the name of the property that holds it.
    assert!(text.contains("pub mod models {"), "{text}");
    assert_eq!(text.matches("pub struct Amount {").count(), 1, "{text}");
    assert!(!text.contains("pub struct PostRequestAmount"), "{text}");
    // Every operation's name is an alias of it, the first one's too.
    assert_eq!(
        text.matches("pub type PostRequestAmount = crate::v3::shop::models::Amount;")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("pub type PostRequestAmountCurrency = crate::v3::shop::models::Currency;")
            .count(),
        2,
        "{text}"
    );
    // The request itself has the same shape too: named after its field and side.
    assert_eq!(
        text.matches("pub type PostRequest = crate::v3::shop::models::AmountRequest;")
            .count(),
        2,
        "{text}"
    );
    // Inside `models`, nested shapes are referred to by their shared names.
    assert!(text.contains("pub amount: Amount,"), "{text}");
    assert!(text.contains("pub currency: Option<Currency>,"), "{text}");
    // The doc says where it is used; the operations' own docs stay on the aliases.
    assert!(
        text.contains("Used as `PostRequestAmount` in `/v3/shop/a`, `PostRequestAmount` in `/v3/shop/b`."),
        "{text}"
    );
}

#[test]
fn a_different_doc_or_group_is_a_type_of_its_own() {
    // A field's description is part of the shape: the emitted docs would differ.
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/shop/b.yaml", &op("订单金额"))]);
    assert_eq!(text.matches("pub struct PostRequestAmount {").count(), 2, "{text}");
    assert!(!text.contains("pub type PostRequestAmount "), "{text}");
    // The enum inside has the same shape in both: still shared.
    assert_eq!(
        text.matches("pub type PostRequestAmountCurrency = crate::v3::shop::models::Currency;")
            .count(),
        2,
        "{text}"
    );
    // Groups are compiled apart (one cargo feature each): nothing is shared across them.
    let text = generated(&[("v3/shop/a.yaml", &op("总金额")), ("v3/mall/b.yaml", &op("总金额"))]);
    assert_eq!(text.matches("pub struct PostRequestAmount {").count(), 2, "{text}");
    assert!(!text.contains("pub type") && !text.contains("mod models"), "{text}");
}

#[test]
fn names_that_clash_take_the_side_then_the_resource() {
    // Two shapes of `amount`, each used twice: the first is `Amount`, the second `RequestAmount`.
    let text = generated(&[
        ("v3/shop/a.yaml", &op("总金额")),
        ("v3/shop/b.yaml", &op("总金额")),
        ("v3/shop/c.yaml", &op("订单金额")),
        ("v3/shop/d.yaml", &op("订单金额")),
    ]);
    assert_eq!(
        text.matches("pub type PostRequestAmount = crate::v3::shop::models::Amount;")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("pub type PostRequestAmount = crate::v3::shop::models::RequestAmount;")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("pub type PostRequest = crate::v3::shop::models::AmountRequest;")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        // The second request shape is named after the resource of its first use (`/v3/shop/c`),
        // not numbered.
        text.matches("pub type PostRequest = crate::v3::shop::models::CAmountRequest;")
            .count(),
        2,
        "{text}"
    );
    // All four currencies are one shape.
    assert_eq!(
        text.matches("pub type PostRequestAmountCurrency = crate::v3::shop::models::Currency;")
            .count(),
        4,
        "{text}"
    );
}

/// Names no Rust identifier can hold (`²`, `½`: alphanumeric to Unicode, not XID) are spelled
/// out, never a panic; non-ASCII letters (`一级`) are kept.
#[test]
fn names_with_characters_rust_cannot_hold_are_spelled_out() {
    let text = generated(&[(
        "v3/shop/area.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      m²: {type: integer}\n      ½: {type: string}\n      unit:\n        enum: [A², ½, m², 一级]\n  response:\n    status: 204\n",
    )]);
    assert!(
        text.contains("pub m_u00b2: Option<i64>,") && text.contains("pub _u00bd: Option<String>,"),
        "{text}"
    );
    assert!(text.contains("\"m²\""), "the wire name is kept: {text}");
    for variant in [
        "Au00b2 = \"A²\",",
        "U00bd = \"½\",",
        "MU00b2 = \"m²\",",
        "一级 = \"一级\",",
    ] {
        assert!(text.contains(variant), "missing {variant} in {text}");
    }
}
