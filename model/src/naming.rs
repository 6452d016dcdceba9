//! Every identifier the generator emits is made here, and only here (rules: `spec/README.md`).

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Strict, reserved and edition-2018+ keywords: a name equal to one of these gets a trailing `_`.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Segments that would shadow the operation methods of a chain node: always suffixed with `_`.
const OPERATION_METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// Names a URL root (a file or folder directly in `spec/`) cannot take: the crate's own modules
/// beside the API roots, every method of the runtime's `Client` (a root is a `Client` method),
/// and the methods of the traits `Client` implements. The test
/// `whole_api::root_names_cover_the_client` keeps the `Client` part in step with the runtime.
pub const ROOT_RESERVED: &[&str] = &[
    // Modules of the crate (`api/mod.rs`, `lib.rs`).
    "api",
    "notifications",
    "operations",
    "runtime",
    "types",
    // `impl Client` in the runtime.
    "app_pay_params",
    "appid",
    "base_url",
    "bill_request",
    "builder",
    "chain",
    "decrypt_notification",
    "decrypt_resource",
    "decrypt_sensitive",
    "download_bill",
    "download_bill_blocking",
    "encrypt_sensitive_value",
    "filled",
    "from_env",
    "from_lookup",
    "handle_notification",
    "handle_notification_once",
    "jsapi_pay_params",
    "mchid",
    "merchant_serial",
    "new",
    "parse_notification",
    "platform_certificates",
    "platform_certificates_refresh_error",
    "refresh_platform_certificates",
    "refresh_platform_certificates_blocking",
    "request_url",
    "sensitive_key",
    "sensitive_key_serial",
    "sign",
    "verify_notification",
    "verify_signature",
    // Trait methods a caller expects of `Client` (an inherent method would shadow them).
    "as_ref",
    "borrow",
    "clone",
    "clone_from",
    "eq",
    "fmt",
    "from",
    "into",
    "to_owned",
    "try_from",
    "try_into",
    "type_id",
];

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Every character a Rust identifier cannot hold (`²`, `½`: alphanumeric to Unicode, but not
/// XID_Continue) spelled as `U` + its code point (`m²` → `mU00B2`), so that distinct names stay
/// distinct and nothing the spec says can make the emitter panic.
fn identifier_chars(s: &str, snake: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '_' || unicode_ident::is_xid_continue(c) {
            out.push(c);
        } else if snake {
            out.push_str(&format!("_u{:04x}", c as u32));
        } else {
            out.push_str(&format!("U{:04X}", c as u32));
        }
    }
    out
}

/// Whether `s` can start an identifier (after the digit rules, which come first).
fn starts_ok(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
}

fn escape(s: String) -> String {
    let mut s = identifier_chars(&s, true);
    if s.is_empty() {
        s.push('x');
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if !starts_ok(&s) {
        s.insert(0, '_');
    }
    if is_keyword(&s) {
        s.push('_');
    }
    s
}

/// snake_case identifier for a field, parameter or argument: `payAuthNo` → `pay_auth_no`,
/// `payer _currency` → `payer_currency`, `type` → `type_`.
pub fn field(wire: &str) -> String {
    escape(wire.to_snake_case())
}

/// The chain method of a literal URL segment (before sibling collisions are resolved):
/// `out-trade-no` → `out_trade_no`, `use` → `use_`, `delete` → `delete_`.
pub fn segment_method(segment: &str) -> String {
    if segment.is_empty() {
        return "slash".into(); // the trailing slash of `/v3/ecommerce/applyments/`
    }
    let s = escape(segment.to_snake_case());
    if OPERATION_METHODS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// The module of a placeholder `{out_trade_no}`: `by_out_trade_no`.
pub fn param_module(name: &str) -> String {
    format!("by_{}", identifier_chars(&name.to_snake_case(), true))
}

/// The request struct of an operation: `post` → `PostRequest`.
pub fn request_type(method: &str) -> String {
    format!("{}Request", type_name(method))
}

/// The response struct of an operation: `get` → `GetResponse`.
pub fn response_type(method: &str) -> String {
    format!("{}Response", type_name(method))
}

/// A non-object request body of an operation, named after its request: `PostRequestBody`.
pub fn body_type(request_type: &str) -> String {
    format!("{request_type}Body")
}

/// The type of an inline object or enum at property `wire` of the type `parent`:
/// `PostRequest` + `amount` → `PostRequestAmount`.
pub fn nested_type(parent: &str, wire: &str) -> String {
    format!("{parent}{}", type_name(wire))
}

/// PascalCase type name: `out_trade_no` → `OutTradeNo`, `by_out_trade_no` → `ByOutTradeNo`.
pub fn type_name(s: &str) -> String {
    let mut t = identifier_chars(&s.to_upper_camel_case(), false);
    if t.is_empty() {
        t.push('X');
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) || !starts_ok(&t) {
        t.insert(0, 'V');
    }
    if t == "Self" {
        t.push('_');
    }
    t
}

/// Enum variant names for the values of one enum, in order.
///
/// Each value is split into words at every character that is not a letter or digit; the words are
/// PascalCased and joined (`MALL_AUTH.ACTIVATE_CARD` → `MallAuthActivateCard`), with `_` between
/// two words where one ends and the next starts with a digit (`1.0` → `V1_0`). When values collide,
/// the punctuation of the colliding values is spelled out (`HMAC-SHA256` → `HmacHyphenSha256`);
/// a collision that remains gets the value's position appended.
pub fn enum_variants(values: &[String]) -> Vec<String> {
    let mut names: Vec<String> = values.iter().map(|v| variant(v, false)).collect();
    for i in 0..names.len() {
        let clashing: Vec<usize> = (0..names.len()).filter(|&j| names[j] == names[i]).collect();
        if clashing.len() > 1 {
            for j in clashing {
                names[j] = variant(&values[j], true);
            }
        }
    }
    let snapshot = names.clone();
    for (i, name) in names.iter_mut().enumerate() {
        if snapshot.iter().filter(|n| *n == name).count() > 1 {
            *name = format!("{name}{}", i + 1);
        }
    }
    names
}

/// The variants of the enum `enum_name` without the enum's name in front
/// (`ApplymentState::ApplymentStatePassed` → `ApplymentState::Passed`): a variant that starts
/// with the name, followed by a word, loses it (`DayTypeUnknown` → `Unknown_`, as a value
/// `UNKNOWN` is written beside the catch-all `Unknown`). An enum where that would make two
/// variants one keeps its variants.
pub fn without_enum_name(enum_name: &str, idents: &[String]) -> Vec<String> {
    let stripped: Vec<String> = idents
        .iter()
        .map(|ident| match ident.strip_prefix(enum_name) {
            Some("Unknown" | "Self") => format!("{}_", &ident[enum_name.len()..]),
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_string(),
            _ => ident.clone(),
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let clean = stripped.iter().all(|v| seen.insert(v.as_str()));
    if clean {
        stripped
    } else {
        idents.to_vec()
    }
}

fn variant(value: &str, spell_punctuation: bool) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in value.chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if spell_punctuation && c != '_' {
            words.push(punctuation_name(c).to_string());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut name = String::new();
    for w in &words {
        let w = identifier_chars(w, false);
        let w = if w.is_ascii() { w.to_upper_camel_case() } else { w };
        if name.ends_with(|c: char| c.is_ascii_digit()) && w.starts_with(|c: char| c.is_ascii_digit()) {
            name.push('_');
        }
        name.push_str(&w);
    }
    if name.is_empty() {
        name.push_str("Empty");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) || !starts_ok(&name) {
        name.insert(0, 'V');
    }
    if name == "Self" || name == "Unknown" {
        name.push('_');
    }
    name
}

fn punctuation_name(c: char) -> &'static str {
    match c {
        '-' => "Hyphen",
        '.' => "Dot",
        ' ' => "Space",
        '/' => "Slash",
        ':' => "Colon",
        '+' => "Plus",
        '&' => "And",
        '@' => "At",
        '#' => "Hash",
        '(' | ')' => "Paren",
        ',' => "Comma",
        _ => "Sym",
    }
}

/// Resolves collisions among the chain methods of one node's literal children.
/// `names` are `(segment as written, method name)`; a segment written without hyphens that collides
/// with one written with hyphens gets a trailing `_`. Returns the final names in the same order.
pub fn resolve_sibling_methods(names: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = names.iter().map(|(_, m)| m.clone()).collect();
    for i in 0..names.len() {
        let (seg, method) = &names[i];
        let collides = names
            .iter()
            .enumerate()
            .any(|(j, (s, m))| j != i && m == method && s.contains('-'));
        if collides && !seg.contains('-') {
            out[i].push('_');
        }
    }
    out
}

#[cfg(test)]
mod enum_name_tests {
    use super::without_enum_name;

    fn w(name: &str, idents: &[&str]) -> Vec<String> {
        without_enum_name(name, &idents.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn variants_lose_the_enum_name_unless_two_would_become_one() {
        assert_eq!(
            w("ApplymentState", &["ApplymentStatePassed", "ApplymentStateRejected"]),
            ["Passed", "Rejected"]
        );
        assert_eq!(
            w("DayType", &["DayTypeUnknown", "DayTypeWeekday"]),
            ["Unknown_", "Weekday"]
        );
        // Not at a word boundary, or nothing left: unchanged.
        assert_eq!(w("State", &["Statement", "State"]), ["Statement", "State"]);
        // Two would become one: the enum keeps its variants.
        assert_eq!(w("Kind", &["KindA", "A"]), ["KindA", "A"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(field("type"), "type_");
        assert_eq!(field("self"), "self_");
        assert_eq!(field("ref"), "ref_");
        assert_eq!(field("payAuthNo"), "pay_auth_no");
        assert_eq!(field("payer _currency"), "payer_currency");
        assert_eq!(field("med_refund__gov_fee"), "med_refund_gov_fee");
        assert_eq!(field("out_trade_no"), "out_trade_no");
        assert_eq!(field("1st"), "_1st");
    }

    #[test]
    fn segments() {
        assert_eq!(segment_method("out-trade-no"), "out_trade_no");
        assert_eq!(segment_method("return"), "return_");
        assert_eq!(segment_method("use"), "use_");
        assert_eq!(segment_method("try"), "try_");
        assert_eq!(segment_method("delete"), "delete_");
        assert_eq!(segment_method("h5"), "h5");
        assert_eq!(segment_method(""), "slash");
        assert_eq!(segment_method("apply4subject"), "apply4subject");
        assert_eq!(param_module("out_trade_no"), "by_out_trade_no");
    }

    #[test]
    fn sibling_collisions() {
        let names = vec![
            ("policy_periods".to_string(), "policy_periods".to_string()),
            ("policy-periods".to_string(), "policy_periods".to_string()),
            ("other".to_string(), "other".to_string()),
        ];
        assert_eq!(
            resolve_sibling_methods(&names),
            ["policy_periods_", "policy_periods", "other"]
        );
    }

    #[test]
    fn variants() {
        let v = |xs: &[&str]| enum_variants(&xs.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["SUCCESS", "NOTPAY"]), ["Success", "Notpay"]);
        assert_eq!(v(&["MALL_AUTH.ACTIVATE_CARD"]), ["MallAuthActivateCard"]);
        assert_eq!(v(&["1.0", "10"]), ["V1_0", "V10"]);
        assert_eq!(v(&["HMAC-SHA256", "HMAC_SHA256"]), ["HmacHyphenSha256", "HmacSha256"]);
        assert_eq!(v(&["A.B", "A-B", "A_B"]), ["ADotB", "AHyphenB", "AB"]);
        assert_eq!(v(&["Under review", "PARKING SPACE"]), ["UnderReview", "ParkingSpace"]);
        assert_eq!(v(&["一级", "二级"]), ["一级", "二级"]);
        assert_eq!(v(&["Unknown", "Self"]), ["Unknown_", "Self_"]);
        assert_eq!(v(&["a", "A"]), ["A1", "A2"]);
    }

    #[test]
    fn types() {
        assert_eq!(type_name("by_out_trade_no"), "ByOutTradeNo");
        assert_eq!(type_name("h5"), "H5");
        assert_eq!(type_name("v3"), "V3");
        assert_eq!(type_name("4x"), "V4x");
    }
}
