//! Schemas: references, allOf, shared types, repairs.

use super::*;

#[test]
fn fixture_counts_and_round_trip() {
    let (s, out) = run("counts");
    assert_eq!(s.ops_read, 36, "{s}");
    assert_eq!(s.ops_written, 32, "{s}");
    assert_eq!(s.skipped_ops.len(), 4, "{s}");
    assert_eq!(s.ops_written + s.skipped_ops.len(), s.ops_read);
    assert_eq!(s.files_written, 25);
    assert_eq!(
        s.types_files,
        [PathBuf::from("types/Common.yaml"), PathBuf::from("types/Other.yaml")]
    );
    assert_eq!(s.shared_types, 6);
    assert!(s.skipped_files.is_empty(), "{:?}", s.skipped_files);
    assert_eq!(s.repairs.values().sum::<usize>(), s.repair_lines.len());
    // hk and global keep their folders; definitions and swagger.yaml are not path files.
    assert!(out.join("hk/v3/refunds.yaml").is_file());
    assert!(out.join("global/v3/customs.yaml").is_file());
    assert!(!out.join("definitions").exists() && !out.join("swagger.yaml").exists() && out.join("v2").is_dir());
    // Every written file round-trips through the spec model.
    let mut n = 0;
    for f in walk(&out) {
        let rel = f.strip_prefix(&out).unwrap().to_string_lossy().replace('\\', "/");
        if !rel.starts_with("types/") {
            read(&out, &rel);
            n += 1;
        }
    }
    assert_eq!(n, 25);
    assert_eq!(types(&out).len(), 6);
    let text = s.to_string();
    assert!(text.contains("operations: 36 read, 32 written"), "{text}");
    assert!(text.contains("shared types: 6 in 2 types files"), "{text}");
    assert!(text.contains("ref-no-slash"), "{text}");
    assert!(text.contains("from 2 or more places"), "{text}");
}

#[test]
fn refs_in_all_four_forms() {
    let (s, out) = run("refs");
    let f = read(&out, "v3/refs/forms.yaml");
    let op = f.post.as_ref().unwrap();
    // `file#/Name` (a parameter), `file#/Name`, `file#Name`, and inside definitions `#/Name`, `#Name`.
    // The parameter (`Wechatpay-Serial`) resolves, and is left out: the client sets it.
    assert!(op.headers.is_empty(), "{:?}", op.headers);
    assert!(
        s.repair_lines
            .iter()
            .any(|l| l.contains("Wechatpay-Serial is set by the client")),
        "{:?}",
        s.repair_lines
    );
    let b = body(op);
    let t = types(&out);
    assert_eq!(
        b.keys().collect::<Vec<_>>(),
        ["amount", "payer", "stock", "other_stock", "state"]
    );
    // Amount is used 3 times (shared, see `shared_types`): a ref, required at the use site.
    let amount = &b["amount"];
    assert_eq!(amount.ref_.as_deref(), Some("CommonAmount"));
    assert!(amount.required);
    let amount = &t["CommonAmount"];
    assert!(props(amount)["total"].required);
    assert_eq!(props(amount)["currency"].ref_.as_deref(), Some("Currency"));
    assert_eq!(
        enum_pairs(&t["Currency"]),
        [
            ("CNY".into(), Some("人民币".into())),
            ("HKD".into(), Some("港币".into()))
        ]
    );
    // Payer: one direct use (its other uses are allOf merges), so inlined; PayerState is shared.
    assert_eq!(props(&b["payer"])["state"].ref_.as_deref(), Some("PayerState"));
    assert_eq!(enum_pairs(&t["PayerState"])[1], ("FROZEN".into(), Some("冻结".into())));
    // Same-name StockBase in two files: each use gets its own file's definition.
    assert_eq!(b["stock"].ref_.as_deref(), Some("CommonStockBase"));
    assert_eq!(b["other_stock"].ref_.as_deref(), Some("OtherStockBase"));
    assert_eq!(props(&t["CommonStockBase"]).keys().collect::<Vec<_>>(), ["stock_name"]);
    assert_eq!(
        props(&t["OtherStockBase"]).keys().collect::<Vec<_>>(),
        ["out_request_no", "coupon_code_mode"]
    );
    assert!(props(&t["OtherStockBase"])["out_request_no"].required);
    // $ref siblings: description kept, type/example ignored and noted.
    assert_eq!(b["state"].ref_.as_deref(), Some("PayerState"));
    assert_eq!(b["state"].description.as_deref(), Some("订单状态"));
    assert_eq!(b["state"].example, None);
    has_line(&s, "v3/refs/forms.yaml:20:", "ignored type, example");
    has_line(
        &s,
        "v3/refs/forms.yaml:15:",
        "read $ref '../../definitions/Common.yaml#Payer' as '#/Payer'",
    );
    has_line(&s, "definitions/Common.yaml:31:", "read $ref '#PayerState'");
    has_line(&s, "definitions/Other.yaml:11:", "'./Common.yaml#Currency'");
    // The JSON-pointer forms need no repair.
    assert!(!s
        .repair_lines
        .iter()
        .any(|l| l.contains("Common.yaml#/Amount") || l.starts_with("definitions/Common.yaml:11:")));
    assert_eq!(resp(op)["currency"].ref_.as_deref(), Some("Currency"));
}

#[test]
fn all_of_is_merged_into_one_object() {
    let (s, out) = run("allof");
    let op = read(&out, "v3/allof/merge.yaml").get.unwrap();
    let r = resp(&op);
    assert_eq!(
        r.keys().collect::<Vec<_>>(),
        ["transaction_id", "scene_info", "status", "openid", "state", "payer"]
    );
    // Two parts define the enum `status`: the union of their values, in order.
    let values: Vec<String> = enum_pairs(&r["status"]).into_iter().map(|(v, _)| v).collect();
    assert_eq!(values, ["OPEN", "PAID", "CLOSED"]);
    has_line(&s, "v3/allof/merge.yaml:", "their union (CLOSED added)");
    // Required in the description and echoed from the request (a query parameter): kept.
    assert!(r["transaction_id"].required);
    // Listed as required in the first part, defined in the third; a response field without
    // evidence, so optional (the response rule).
    assert!(!r["payer"].required);
    has_line(
        &s,
        "v3/allof/merge.yaml:",
        "response fields marked required read as optional; kept required (echoed from the request): transaction_id",
    );
    assert_eq!(
        props(&r["scene_info"]).keys().collect::<Vec<_>>(),
        ["device_id", "h5_info"]
    );
    has_line(&s, "v3/allof/merge.yaml:", "both define the object 'scene_info'");
    assert!(!s.repair_lines.iter().any(|l| l.contains("required names 'payer'")));
    // `allOf: [$ref]` with sibling type/description on a query parameter.
    let q = &op.query["bill_type"];
    assert_eq!(q.ty.as_deref(), Some("string"));
    assert_eq!(q.description.as_deref(), Some("账单类型"));
    assert_eq!(enum_pairs(q)[0], ("CNY".into(), Some("人民币".into())));
    // A part that extends the shared enum: every value of both, each once.
    let values: Vec<String> = enum_pairs(q).into_iter().map(|(v, _)| v).collect();
    assert_eq!(values, ["CNY", "HKD", "USD"]);
}

#[test]
fn shared_types() {
    let (s, out) = run("shared");
    let t = types(&out);
    let mut names: Vec<&String> = t.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "AmountDetail",
            "CommonAmount",
            "CommonStockBase",
            "Currency",
            "OtherStockBase",
            "PayerState"
        ]
    );
    // Written once, in the file named after the definitions file, with the header line.
    let common = std::fs::read_to_string(out.join("types/Common.yaml")).unwrap();
    assert!(common.starts_with(HEADER));
    assert!(common.contains("\nCommonAmount:\n") && !common.contains("OtherStockBase"));
    assert!(std::fs::read_to_string(out.join("types/Other.yaml"))
        .unwrap()
        .contains("\nOtherStockBase:\n"));
    let post = read(&out, "v3/shared/orders.yaml").post.unwrap();
    // A whole body, array items, property values: `{ref: Name}`, with the use site's
    // description and required flag beside it.
    assert_eq!(post.body.as_ref().unwrap().ref_.as_deref(), Some("CommonAmount"));
    // In a response, object definitions are inlined (their `required` is a request's; a
    // response follows the response rule) and enums stay shared.
    let rp = resp(&post);
    assert!(rp["amounts"].items.as_ref().unwrap().ref_.is_none());
    assert!(!props(rp["amounts"].items.as_ref().unwrap())["total"].required);
    assert!(!rp["amounts"].required, "a response field is optional without evidence");
    assert!(rp["stock"].ref_.is_none() && rp["other_stock"].ref_.is_none());
    let patch = read(&out, "v3/shared/orders.yaml").patch.unwrap();
    let r = body(&patch);
    let amounts = &r["amounts"];
    assert!(amounts.required && amounts.ref_.is_none());
    assert_eq!(amounts.items.as_ref().unwrap().ref_.as_deref(), Some("CommonAmount"));
    assert_eq!(r["other_stock"].ref_.as_deref(), Some("OtherStockBase"));
    assert_eq!(r["other_stock"].description.as_deref(), Some("另一个批次"));
    assert_eq!(r["detail1"].ref_.as_deref(), Some("AmountDetail"));
    // Used once: inlined, with the definition's description.
    assert!(r["once"].ref_.is_none());
    assert_eq!(r["once"].description.as_deref(), Some("只用一次"));
    assert_eq!(props(&r["once"]).keys().collect::<Vec<_>>(), ["value"]);
    // Types refer to each other: CommonAmount → Currency (shared: used ≥ 2 times overall).
    assert_eq!(props(&t["CommonAmount"])["currency"].ref_.as_deref(), Some("Currency"));
    assert!(t["CommonAmount"].required.eq(&false));
    // Uses through allOf (and in query parameters) stay merged/inlined and are not counted:
    // Merged (allOf ×2) and Kind (query allOf ×2, one property) are no shared types.
    let get = read(&out, "v3/shared/orders.yaml").get.unwrap();
    assert_eq!(resp(&get).keys().collect::<Vec<_>>(), ["merged_id", "extra"]);
    assert_eq!(get.query["kind"].enum_.as_ref().unwrap().len(), 2);
    let put = read(&out, "v3/shared/orders.yaml").put.unwrap();
    let pr = resp(&put);
    assert!(pr["kind"].ref_.is_none() && pr["kind"].enum_.is_some());
    // A direct ref merged with another allOf part's `payer`: merged from the inlined form.
    assert_eq!(
        props(&pr["payer"]).keys().collect::<Vec<_>>(),
        ["openid", "state", "extra"]
    );
    assert_eq!(props(&pr["payer"])["state"].ref_.as_deref(), Some("PayerState"));
    // The nested type `Amount` + `detail` would be named AmountDetail, a shared type's name:
    // Amount takes its file prefix (the same-name StockBase of two files too).
    assert!(
        s.notes
            .iter()
            .any(|n| n == "definitions/Common.yaml#Amount: named CommonAmount instead of Amount"),
        "{:?}",
        s.notes
    );
    assert_eq!(s.shared_types, 6);
}

#[test]
fn hand_written_types_keep_their_names() {
    let out = temp("hand-types");
    std::fs::create_dir_all(out.join("types")).unwrap();
    // A hand-written types file (no header) defining a name the import wants.
    let hand = "Currency:\n  enum: [CNY]\n";
    std::fs::write(out.join("types/money.yaml"), hand).unwrap();
    // A stale types file of an earlier import.
    std::fs::write(out.join("types/Gone.yaml"), format!("{HEADER}\nGone:\n  enum: [A]\n")).unwrap();
    let s = import(Path::new(FIXTURE), &out, &ImportOptions::default()).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("types/money.yaml")).unwrap(), hand);
    assert!(!out.join("types/Gone.yaml").exists());
    assert!(
        s.notes.iter().any(|n| n.starts_with("removed types/Gone.yaml")),
        "{:?}",
        s.notes
    );
    let t = types(&out);
    assert!(t.contains_key("CommonCurrency") && !t.contains_key("Currency"));
    assert!(
        s.notes.iter().any(|n| n == "definitions/Common.yaml#Currency: the hand-written types/money.yaml defines Currency: named CommonCurrency"),
        "{:?}",
        s.notes
    );
    assert_eq!(
        props(&t["CommonAmount"])["currency"].ref_.as_deref(),
        Some("CommonCurrency")
    );
    let forms = read(&out, "v3/refs/forms.yaml").post.unwrap();
    assert_eq!(resp(&forms)["currency"].ref_.as_deref(), Some("CommonCurrency"));

    // A hand-edited types file of the import's own name: the names it defines are used from
    // it, the others of that definitions file are inlined instead.
    let own = "CommonStockBase:\n  properties:\n    stock_name: {type: string}\n";
    std::fs::write(out.join("types/Common.yaml"), own).unwrap();
    let s = import(Path::new(FIXTURE), &out, &ImportOptions::default()).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("types/Common.yaml")).unwrap(), own);
    let t = types(&out);
    assert_eq!(
        t.keys().collect::<Vec<_>>(),
        ["OtherStockBase"],
        "only the imported Other.yaml"
    );
    let post = read(&out, "v3/shared/orders.yaml").post.unwrap();
    let patch = read(&out, "v3/shared/orders.yaml").patch.unwrap();
    assert_eq!(body(&patch)["stock"].ref_.as_deref(), Some("CommonStockBase"));
    assert!(post.body.as_ref().unwrap().properties.is_some(), "Amount inlined");
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("types/Common.yaml is hand-edited and does not define")),
        "{:?}",
        s.notes
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("CommonStockBase is taken from the hand-edited types/Common.yaml")),
        "{:?}",
        s.notes
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn mis_indented_properties_are_recovered() {
    let (s, out) = run("misindent");
    let op = read(&out, "v3/misindent/amount.yaml").get.unwrap();
    let r = resp(&op);
    // `properties:` null with the properties beside it.
    let amount = props(&r["amount"]);
    assert_eq!(amount.keys().collect::<Vec<_>>(), ["total", "currency"]);
    assert_eq!(amount["total"].ty.as_deref(), Some("integer"));
    assert_eq!(r["amount"].description.as_deref(), Some("订单金额信息"));
    // A key indented into a property that has properties: hoisted to the enclosing object.
    assert_eq!(props(&r["user_information"]).keys().collect::<Vec<_>>(), ["name"]);
    assert_eq!(
        r.keys().collect::<Vec<_>>(),
        ["amount", "user_information", "state", "promotion_detail"]
    );
    assert_eq!(enum_pairs(&r["state"]).len(), 2);
    // `properties:` null and nothing beside it: free-form.
    assert_eq!(
        r["promotion_detail"].items.as_ref().unwrap().ty.as_deref(),
        Some("json")
    );
    has_line(
        &s,
        "v3/misindent/amount.yaml:12:",
        "'total' stands beside the schema keywords",
    );
    has_line(&s, "v3/misindent/amount.yaml:16:", "'currency'");
    has_line(
        &s,
        "v3/misindent/amount.yaml:25:",
        "'state' is indented into the schema of 'user_information'",
    );
    has_line(&s, "v3/misindent/amount.yaml:35:", "'properties:' without a value");
    has_line(
        &s,
        "v3/misindent/amount.yaml:14:",
        "type number with format integer read as integer",
    );
}

#[test]
fn enum_comments_and_value_types() {
    let (s, out) = run("enums");
    let op = read(&out, "v3/enums/comments.yaml").post.unwrap();
    let b = body(&op);
    assert_eq!(
        enum_pairs(&b["trade_type"]),
        [
            ("JSAPI".into(), Some("公众号支付".into())),
            ("NATIVE".into(), Some("扫码支付".into())),
            ("APP".into(), None),
            ("MALL_AUTH.ACTIVATE_CARD".into(), Some("带#号的 说明".into())),
        ]
    );
    // Integer values of a string enum (flow list: no comments) become strings.
    let org = b["organization_type"].enum_.as_ref().unwrap();
    assert!(org.iter().all(|v| matches!(v, EnumValue::Bare(Scalar::Str(_)))));
    assert_eq!(org[0].value(), &Scalar::Str("2401".into()));
    has_line(
        &s,
        "v3/enums/comments.yaml:19:",
        "integer values of a string enum read as strings",
    );
    // number enum of integers → integer; comments kept.
    assert_eq!(b["level"].ty.as_deref(), Some("integer"));
    assert_eq!(enum_pairs(&b["level"])[0], ("1".into(), Some("一级".into())));
    assert_eq!(b["level"].enum_.as_ref().unwrap()[0].value(), &Scalar::Int(1));
    // YAML 1.1 booleans stay the strings as written.
    assert_eq!(
        enum_pairs(&b["flag"]),
        [("YES".into(), Some("是".into())), ("NO".into(), Some("否".into()))]
    );
    has_line(
        &s,
        "v3/enums/comments.yaml:28:",
        "kept unquoted YES as the string 'YES'",
    );
    // Numeric strings of an integer enum → integers.
    assert_eq!(b["mixed"].enum_.as_ref().unwrap()[1].value(), &Scalar::Int(2));
    assert_eq!(
        b["serial"].example,
        Some(serde_yaml::Value::String("1900013511_10000".into()))
    );
    has_line(&s, "v3/enums/comments.yaml:37:", "1900013511_10000");
    assert_eq!(op.response.as_ref().unwrap().status, 204);
    assert!(op.response.as_ref().unwrap().body.is_none());
}

#[test]
fn bad_types_are_repaired() {
    let (s, out) = run("types");
    let op = read(&out, "v3/types/bad.yaml").post.unwrap();
    let b = body(&op);
    let t = |k: &str| {
        (
            b[k].ty.clone().unwrap_or_default(),
            b[k].format.clone().unwrap_or_default(),
        )
    };
    assert_eq!(t("a"), ("string".into(), "".into()));
    assert_eq!(t("b"), ("string".into(), "".into()));
    assert_eq!(t("c"), ("integer".into(), "".into()));
    assert_eq!(t("d"), ("integer".into(), "uint64".into()));
    assert_eq!(t("e"), ("string".into(), "".into()));
    assert_eq!(b["e"].example, Some(serde_yaml::Value::String("粤b888888".into())));
    assert_eq!(t("f"), ("integer".into(), "".into()));
    assert_eq!(t("g"), ("integer".into(), "uint64".into()));
    assert_eq!(t("h"), ("integer".into(), "uint32".into()));
    // `type: number` is an integer unless it documents fractions (spec/README.md).
    assert_eq!(
        t("i"),
        ("integer".into(), "".into()),
        "a number without fractions is an integer"
    );
    assert_eq!(
        t("m"),
        ("number".into(), "".into()),
        "a fractional example keeps the float"
    );
    assert_eq!(
        t("n"),
        ("number".into(), "".into()),
        "a description of decimals keeps the float"
    );
    assert_eq!(t("o"), ("integer".into(), "".into()));
    assert_eq!(t("p"), ("integer".into(), "".into()));
    assert_eq!(t("total_fee"), ("integer".into(), "".into()));
    has_line(
        &s,
        "v3/types/bad.yaml:29:",
        "type number read as integer: no fraction documented",
    );
    has_line(
        &s,
        "v3/types/bad.yaml:39:",
        "type number kept as a float: fractional example 1.5",
    );
    has_line(
        &s,
        "v3/types/bad.yaml:42:",
        "type number kept as a float: the description says '小数'",
    );
    has_line(
        &s,
        "v3/types/bad.yaml:45:",
        "type number read as integer: integer example 100",
    );
    has_line(
        &s,
        "v3/types/bad.yaml:48:",
        "type number read as integer: the description says '分'",
    );
    has_line(
        &s,
        "v3/types/bad.yaml:51:",
        "type number read as integer: an amount or count by its name 'total_fee'",
    );
    assert_eq!(b["j"].items.as_ref().unwrap().ty.as_deref(), Some("string"));
    assert_eq!(t("k"), ("json".into(), "".into()));
    assert_eq!(t("l"), ("integer".into(), "".into()));
    has_line(&s, "v3/types/bad.yaml:10:", "type 'stringde' read as 'string'");
    has_line(&s, "v3/types/bad.yaml:13:", "type 'string ' read as 'string'");
    has_line(&s, "v3/types/bad.yaml:15:", "type 'int' read as 'integer'");
    has_line(&s, "v3/types/bad.yaml:17:", "with format 'uint64'");
    has_line(&s, "v3/types/bad.yaml:19:", "is not a type but a value");
    has_line(&s, "v3/types/bad.yaml:28:", "'unit32' read as 'uint32'");
    has_line(&s, "v3/types/bad.yaml:32:", "array without items");
    has_line(&s, "v3/types/bad.yaml:37:", "schema without type: read as integer");
    // `schema: {}` on a 200: no described body.
    assert!(op.response.is_none());
}
