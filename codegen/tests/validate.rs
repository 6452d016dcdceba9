//! Bad specs get clear errors naming file, line and field, and nothing is written.

use std::path::Path;

use wechatpay_codegen::{generate, output, Error, Options};

/// Writes `files` (relative path → text) into a fresh spec folder.
fn spec(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The error lines, with the temp folder stripped: `v3/x.yaml:3: post.body: message`.
fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let dir = spec(files);
    match generate(dir.path(), &Options::default()) {
        Ok(_) => panic!("the spec must be rejected"),
        Err(Error::Spec(errors)) => errors
            .iter()
            .map(|e| e.to_string().replace(&format!("{}/", dir.path().display()), ""))
            .collect(),
        Err(other) => panic!("expected spec errors, got {other}"),
    }
}

const OK_OP: &str = "post:\n  summary: s\n  response:\n    status: 204\n";

#[test]
fn unknown_type_names_file_line_and_field() {
    let e = errors(&[(
        "v3/a/b.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      amount:\n        type: int\n",
    )]);
    assert_eq!(
        e,
        ["v3/a/b.yaml:6:9: post.body.properties.amount.type: unknown type `int` (string, integer, number, boolean, object, array, json)"]
    );
}

#[test]
fn a_typo_in_a_key_is_an_error_not_ignored() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      x:\n        type: string\n        requird: true\n",
    )]);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with(
            "v3/a.yaml:7:9: post.body.properties.x.requird: unknown field `requird`, expected one of `type`"
        ),
        "{}",
        e[0]
    );
}

#[test]
fn invalid_yaml_names_the_line() {
    let e = errors(&[("v3/a.yaml", "post:\n  summary: [unclosed\n")]);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("v3/a.yaml:"), "{}", e[0]);
}

#[test]
fn placeholders_and_path_parameters_must_match() {
    let e = errors(&[(
        "v3/a/{id}.yaml",
        "get:\n  summary: s\n  path:\n    other: {type: string}\n",
    )]);
    assert!(
        e.iter()
            .any(|l| l.starts_with("v3/a/{id}.yaml:3:3: get.path: the URL has the placeholder {id}")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|l| l.starts_with("v3/a/{id}.yaml:4:5: get.path.other: `other` is not a placeholder")),
        "{e:?}"
    );
}

#[test]
fn a_ref_to_a_missing_shared_type() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      amount: {ref: Amount}\n",
    )]);
    assert_eq!(
        e,
        ["v3/a.yaml:5:16: post.body.properties.amount.ref: no shared type `Amount` in spec/types/"]
    );
}

#[test]
fn no_content_with_a_body() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  response:\n    status: 204\n    body:\n      properties:\n        x: {type: string}\n",
    )]);
    assert_eq!(e, ["v3/a.yaml:5:5: post.response.body: a 204 response has no body"]);
}

#[test]
fn duplicate_shared_types_name_both_files() {
    let t = "Amount:\n  properties:\n    total: {type: integer}\n";
    let e = errors(&[("types/a.yaml", t), ("types/b.yaml", t), ("v3/x.yaml", OK_OP)]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("types/b.yaml:1:1: Amount: shared type `Amount` is already defined in "),
        "{}",
        e[0]
    );
    assert!(e[0].ends_with("types/a.yaml"), "{}", e[0]);
}

#[test]
fn properties_that_give_the_same_field() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      payAuthNo: {type: string}\n      pay_auth_no: {type: string}\n",
    )]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("the properties `payAuthNo` and `pay_auth_no` both become the field `pay_auth_no`"),
        "{}",
        e[0]
    );
}

#[test]
fn query_parameters_are_scalars_or_arrays_of_scalars() {
    let e = errors(&[(
        "v3/a.yaml",
        "get:\n  summary: s\n  query:\n    ids: {type: array, items: {type: array, items: {type: string}}}\n",
    )]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("v3/a.yaml:4:5: get.query.ids: a query parameter or header is a scalar"),
        "{}",
        e[0]
    );
    let e = errors(&[(
        "v3/a.yaml",
        "get:\n  summary: s\n  headers:\n    X-Ids: {type: array, items: {type: string}}\n",
    )]);
    assert!(
        e.iter()
            .any(|l| l.starts_with("v3/a.yaml:4:5: get.headers.X-Ids: a header is a plain `string`")),
        "{e:?}"
    );
}

#[test]
fn format_extensions_are_checked() {
    // `content` and `signature` are closed sets (serde enums): a value outside one is the
    // file's parse error, with the values it may take.
    let e = errors(&[
        ("v3/a.yaml", "post:\n  summary: s\n  base_url: https://x.example/\n"),
        ("v3/b.yaml", "post:\n  summary: s\n  response:\n    content: pdf\n"),
        ("v3/c.yaml", "post:\n  summary: s\n  response:\n    signature: maybe\n"),
    ]);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e.iter()
            .any(|l| l.starts_with("v3/a.yaml:3:3: post.base_url: an absolute URL without a trailing `/`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|l| l == "v3/b.yaml:4:14: post.response.content: unknown variant `pdf`, expected `json` or `binary`"),
        "{e:?}"
    );
    assert!(
        e.iter().any(|l| l.starts_with(
            "v3/c.yaml:4:16: post.response.signature: unknown variant `maybe`, expected one of `body`, `none`, `statement-sha1`"
        )),
        "{e:?}"
    );
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body: {properties: {a: {type: string}}}\n  upload:\n    file: file\n    meta: {properties: {sha256: {type: string}}}\n",
    )]);
    assert_eq!(
        e,
        ["v3/a.yaml:4:3: post.upload: an operation has a JSON `body` or an `upload`, not both"]
    );
}

#[test]
fn all_parse_errors_are_reported_at_once() {
    let e = errors(&[
        ("v3/a.yaml", "get:\n  summary: s\n  query: [1]\n"),
        ("v3/b.yaml", "get:\n  sumary: s\n"),
        ("v3/c.yaml", ""),
    ]);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("v3/a.yaml:3:10: get.query: invalid type: sequence, expected a map"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("v3/b.yaml:2:3: get.sumary: unknown field `sumary`"),
        "{e:?}"
    );
    assert!(e[2].starts_with("v3/c.yaml: the file is empty"), "{e:?}");
}

#[test]
fn a_bad_spec_leaves_the_output_untouched() {
    let good = spec(&[("v3/a.yaml", OK_OP)]);
    let out = tempfile::tempdir().unwrap();
    let files = generate(good.path(), &Options::default()).unwrap().files;
    output::write(out.path(), &files).unwrap();
    let before = std::fs::read_to_string(out.path().join("v3/a.rs")).unwrap();

    // A broken spec fails in generate(): write() is never reached, so nothing changes.
    let bad = spec(&[("v3/a.yaml", "post:\n  summary: s\n  body: {type: nope}\n")]);
    assert!(generate(bad.path(), &Options::default()).is_err());
    assert_eq!(std::fs::read_to_string(out.path().join("v3/a.rs")).unwrap(), before);
}

#[test]
fn check_lists_changed_and_leftover_files() {
    let dir = spec(&[("v3/a.yaml", OK_OP), ("v3/b.yaml", OK_OP)]);
    let out = tempfile::tempdir().unwrap();
    let files = generate(dir.path(), &Options::default()).unwrap().files;
    assert_eq!(output::write(out.path(), &files).unwrap().changed.len(), files.len());
    // Writing again changes nothing.
    assert!(output::write(out.path(), &files).unwrap().is_empty());
    assert!(output::diff(out.path(), &files).unwrap().is_empty());

    // A hand edit is stale; a file the spec no longer produces is reported, then removed.
    std::fs::write(out.path().join("v3/a.rs"), "// edited\n").unwrap();
    std::fs::remove_file(dir.path().join("v3/b.yaml")).unwrap();
    let files = generate(dir.path(), &Options::default()).unwrap().files;
    let stale = output::diff(out.path(), &files).unwrap();
    assert_eq!(
        stale.changed,
        [out.path().join("v3/a.rs"), out.path().join("v3/mod.rs")]
    );
    assert_eq!(stale.removed, [out.path().join("v3/b.rs")]);
    output::write(out.path(), &files).unwrap();
    assert!(!out.path().join("v3/b.rs").exists());
    assert!(output::diff(out.path(), &files).unwrap().is_empty());
    // A file without the generated header is never removed.
    std::fs::write(out.path().join("v3/notes.rs"), "// mine\n").unwrap();
    assert!(output::diff(out.path(), &files).unwrap().is_empty());
    assert!(Path::new(&out.path().join("v3/notes.rs")).exists());
}

#[test]
fn a_placeholder_is_a_path_parameter_only() {
    let e = errors(&[(
        "v3/a/{id}.yaml",
        "get:\n  summary: s\n  path:\n    id: {type: string}\n  query:\n    id: {type: string, required: true}\n  response:\n    status: 204\n",
    )]);
    assert_eq!(
        e,
        ["v3/a/{id}.yaml:6:5: get.query.id: `id` is a URL placeholder: it is a `path` parameter only, not also a query parameter"]
    );
}

#[test]
fn wechatpay_serial_is_not_a_request_field() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  headers:\n    Wechatpay-Serial: {type: string, required: true}\n  response:\n    status: 204\n",
    )]);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("v3/a.yaml:4:5: post.headers.Wechatpay-Serial: `Wechatpay-Serial` is set by the client"),
        "{}",
        e[0]
    );
}

#[test]
fn notification_files_are_checked_against_the_operations() {
    let op = "get:\n  summary: s\n  query:\n    mchid: {type: string, required: true}\n  response:\n    body:\n      properties:\n        mchid: {type: string, required: true}\n        state: {type: string}\n";
    let e = errors(&[
        ("v3/pay/q.yaml", op),
        ("v3/shop/x.yaml", OK_OP),
        // Its response requires `mchid`, which `match` does not check.
        (
            "notifications/a.yaml",
            "summary: s\ngroup: pay\nevents: [A.B]\nsame_as: GET /v3/pay/q\n",
        ),
        // The operation is in another group than the feature that would gate the type.
        (
            "notifications/b.yaml",
            "summary: s\ngroup: shop\nevents: [A.B]\nmatch: [mchid]\nsame_as: GET /v3/pay/q\n",
        ),
        (
            "notifications/c.yaml",
            "summary: s\ngroup: nowhere\nevents: [A.B]\nsame_as: GET /v3/pay/q\n",
        ),
        (
            "notifications/d.yaml",
            "summary: s\ngroup: pay\nevents: [A.B]\nsame_as: GET /v3/pay/missing\n",
        ),
        (
            "notifications/e.yaml",
            "summary: s\ngroup: pay\nevents: []\nresource:\n  properties:\n    id: {type: string, required: true}\n",
        ),
    ]);
    let e = e.join("\n");
    for expected in [
        "notifications/a.yaml:4:1: same_as: the response of `GET /v3/pay/q` requires [\"mchid\"]",
        "notifications/b.yaml:5:1: same_as: `GET /v3/pay/q` is not in the group `/v3/shop`",
        "notifications/c.yaml:2:1: group: no API group `nowhere`",
        "notifications/d.yaml:4:1: same_as: no operation `GET /v3/pay/missing`",
        "notifications/e.yaml:3:1: events: name the event types",
        "notifications/e.yaml:6:5: resource.properties.id: a required field of a notification resource is listed in `match`",
    ] {
        assert!(e.contains(expected), "missing {expected:?} in:\n{e}");
    }
}

// ---- Issue 9, item 16: inputs that were silently wrong ----

#[test]
fn a_duplicate_yaml_key_is_an_error_not_last_wins() {
    // A property, a query parameter and a shared type, each written twice.
    let e = errors(&[
        (
            "v3/a.yaml",
            "post:\n  summary: s\n  body:\n    properties:\n      a: {type: string}\n      a: {type: integer}\n",
        ),
        (
            "v3/b.yaml",
            "get:\n  summary: s\n  query:\n    limit: {type: integer}\n    limit: {type: string}\n",
        ),
        (
            "types/t.yaml",
            "Amount:\n  properties:\n    total: {type: integer}\nAmount:\n  properties:\n    x: {type: string}\n",
        ),
    ]);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("types/t.yaml:4:1: Amount: the key `Amount` is written twice (first on line 1)"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("v3/a.yaml:6:7: post.body.properties.a: the key `a` is written twice (first on line 5)"),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("v3/b.yaml:5:5: get.query.limit: the key `limit` is written twice (first on line 4)"),
        "{e:?}"
    );
}

#[test]
fn an_integer_enum_has_integer_values() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      kind:\n        type: integer\n        enum: [1, two, 3.5]\n",
    )]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "v3/a.yaml:7:9: post.body.properties.kind.enum: the value `two` of an integer enum is not an integer"
        ),
        "{e:?}"
    );
    assert!(
        e[1].contains("the value `3.5` of an integer enum is not an integer"),
        "{e:?}"
    );
}

#[test]
fn dot_segments_are_refused() {
    // `..yaml` is the URL segment `.`, `...yaml` the segment `..`: both would be sent literally.
    let e = errors(&[("v3/a/..yaml", OK_OP), ("v3/b/...yaml", OK_OP), ("v3/ok.yaml", OK_OP)]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].contains("URL segment `.` is not supported"), "{e:?}");
    assert!(e[1].contains("URL segment `..` is not supported"), "{e:?}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_an_error_not_followed() {
    let dir = spec(&[("v3/a.yaml", OK_OP)]);
    std::os::unix::fs::symlink(dir.path().join("v3"), dir.path().join("v3/again")).unwrap();
    match generate(dir.path(), &Options::default()) {
        Err(Error::Spec(e)) => {
            assert_eq!(e.len(), 1, "{e:?}");
            let line = e[0].to_string();
            assert!(
                line.contains("v3/again") && line.contains("a symbolic link to a folder that contains it"),
                "{line}"
            );
        }
        Ok(_) => panic!("the loop must be refused"),
        Err(other) => panic!("expected a spec error, got {other}"),
    }
}

#[test]
fn root_files_that_clash_with_the_crate_are_refused() {
    for name in [
        "types",
        "chain",
        "from_env",
        "notifications",
        "runtime",
        "new",
        "builder",
    ] {
        let file = format!("{name}.yaml");
        let e = errors(&[(file.as_str(), OK_OP), ("v3/ok.yaml", OK_OP)]);
        assert_eq!(e.len(), 1, "{name}: {e:?}");
        assert!(
            e[0].starts_with(&format!(
                "{name}.yaml: the URL segment `{name}` at the root clashes with the crate's `{name}`"
            )),
            "{e:?}"
        );
    }
}

#[test]
fn a_shared_type_that_contains_itself_is_refused_unless_through_an_array() {
    let e = errors(&[
        (
            "types/t.yaml",
            "Node:\n  properties:\n    next: {ref: Node}\nA:\n  properties:\n    b: {ref: B, required: true}\nB:\n  properties:\n    a: {ref: A}\nTree:\n  properties:\n    children: {type: array, items: {ref: Tree}}\n",
        ),
        ("v3/ok.yaml", OK_OP),
    ]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "types/t.yaml:3:5: Node.properties.next: the shared type `Node` contains itself (Node.next → Node)"
        ),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("types/t.yaml:6:5: A.properties.b: the shared type `A` contains itself (A.b → B.a → A)"),
        "{e:?}"
    );
}

// ---- Issue 9, item 17: errors that help ----

#[test]
fn a_syntax_error_in_one_file_does_not_hide_the_others() {
    let e = errors(&[
        ("v3/a.yaml", "post:\n  summary: [unclosed\n"),
        (
            "v3/b.yaml",
            "post:\n  summary: s\n  body:\n    properties:\n      amount: {type: int}\n",
        ),
    ]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("v3/a.yaml:"), "{e:?}");
    assert!(
        e[1].starts_with("v3/b.yaml:5:16: post.body.properties.amount.type: unknown type `int`"),
        "{e:?}"
    );
}

#[test]
fn a_field_collision_points_at_the_second_property() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  body:\n    properties:\n      payAuthNo: {type: string}\n      pay_auth_no: {type: string}\n",
    )]);
    assert_eq!(
        e,
        ["v3/a.yaml:6:7: post.body.properties.pay_auth_no: the properties `payAuthNo` and `pay_auth_no` both become the field `pay_auth_no`"]
    );
}

#[test]
fn a_big_spec_file_reports_the_right_line() {
    // 20,000 properties in one object; the time the checks take on a bigger one is measured
    // by hand (see the issue 9 note), not asserted here.
    let mut text = String::from("post:\n  summary: s\n  body:\n    properties:\n");
    for i in 0..20_000 {
        text.push_str(&format!("      field_{i}:\n        type: string\n"));
    }
    text.push_str("      field7: {type: int}\n      Field_7: {type: string}\n");
    let e = errors(&[("v3/a.yaml", &text)]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with("v3/a.yaml:40005:16: post.body.properties.field7.type: unknown type `int`"),
        "{e:?}"
    );
    assert!(e[1].starts_with("v3/a.yaml:40006:7: post.body.properties.Field_7: the properties `field_7` and `Field_7` both become the field `field_7`"), "{e:?}");
}

#[test]
fn json_text_is_a_string_body_field_or_query_parameter() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  headers:\n    X-Data: {type: string, json: {properties: {a: {type: string}}}}\n  body:\n    properties:\n      b: {type: integer, json: {properties: {a: {type: string}}}}\n",
    )]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with(
            "v3/a.yaml:4:28: post.headers.X-Data.json: JSON text (`json`) is a body field or a query parameter"
        ),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("v3/a.yaml:7:7: post.body.properties.b: JSON text (`json`) is a `string`"),
        "{e:?}"
    );
}

#[test]
fn apiv2_operations_are_posts_of_text_fields() {
    let e = errors(&[
        (
            "v2/pay/a.yaml",
            "get:\n  summary: s\n  response:\n    body:\n      properties:\n        x: {type: string}\n",
        ),
        (
            "v2/pay/b.yaml",
            "post:\n  summary: s\n  sign_type: SHA1\n  body:\n    properties:\n      detail:\n        properties:\n          x: {type: string}\n  response:\n    status: 204\n",
        ),
        (
            "v2/pay/c.yaml",
            "post:\n  summary: s\n  body:\n    properties:\n      fee_$n: {type: integer}\n      fee_list: {type: integer}\n  response:\n    body:\n      properties:\n        a_$n_$m_$k: {type: string}\n",
        ),
    ]);
    assert_eq!(
        e,
        [
            "v2/pay/a.yaml:1:1: get: an APIv2 operation is a `post` (spec/v2/ holds APIv2 operations only)",
            "v2/pay/b.yaml:3:3: post.sign_type: unknown sign type `SHA1` (MD5, HMAC-SHA256)",
            "v2/pay/b.yaml:6:7: post.body.properties.detail: an APIv2 field is text: a string, integer, number, boolean, enum, or JSON carried in a string (`json`)",
            "v2/pay/b.yaml:9:3: post.response: an APIv2 answer is XML: give its `body`, or `content: binary` for a file",
            "v2/pay/c.yaml:6:7: post.body.properties.fee_list: the properties `fee_$n` and `fee_list` both become the field `fee_list`",
            "v2/pay/c.yaml:10:9: post.response.body.properties.a_$n_$m_$k: an indexed field has at most two placeholders (`name_$n_$m`)",
        ]
    );
}

#[test]
fn apiv2_keys_are_refused_outside_spec_v2() {
    let e = errors(&[(
        "v3/a.yaml",
        "post:\n  summary: s\n  cert_required: true\n  sign_type: MD5\n  body:\n    properties:\n      x: {type: string, cdata: true}\n  response:\n    status: 204\n",
    )]);
    assert_eq!(
        e,
        [
            "v3/a.yaml:3:3: post.cert_required: `cert_required` is for APIv2 operations (spec/v2/)",
            "v3/a.yaml:4:3: post.sign_type: `sign_type` is for APIv2 operations (spec/v2/)",
            "v3/a.yaml:7:25: post.body.properties.x.cdata: `cdata` is for the fields of APIv2 operations (spec/v2/)",
        ]
    );
}

#[test]
fn an_example_is_of_its_fields_type_and_one_of_its_enums_values() {
    let e = errors(&[(
        "v3/a.yaml",
        "get:\n  summary: s\n  response:\n    status: 200\n    body:\n      properties:\n        \
         total:\n          type: integer\n          example: '550'\n        \
         code:\n          type: string\n          example: 1900013511\n        \
         state:\n          type: string\n          enum: [PENDING, SUCEESS]\n          example: SUCCESS\n        \
         kind:\n          type: integer\n          enum: [1, 2]\n          example: 3\n        \
         ok:\n          type: string\n          enum: [A]\n          example: A\n",
    )]);
    assert_eq!(
        e,
        [
            "v3/a.yaml:9:11: get.response.body.properties.total.example: the example `'550'` is not an integer",
            "v3/a.yaml:12:11: get.response.body.properties.code.example: the example `1900013511` is not a string: quote it",
            "v3/a.yaml:16:11: get.response.body.properties.state.example: the example `SUCCESS` is not one of the enum's values",
            "v3/a.yaml:20:11: get.response.body.properties.kind.example: the example `3` is not one of the enum's values",
        ]
    );
}

#[test]
fn an_amount_in_fen_is_an_integer() {
    let e = errors(&[(
        "v3/a.yaml",
        "get:\n  summary: s\n  response:\n    status: 200\n    body:\n      properties:\n        \
         refund:\n          type: string\n          description: 退款金额，单位为分\n        \
         fee:\n          type: integer\n          description: 手续费，单位为分\n",
    )]);
    assert_eq!(
        e,
        ["v3/a.yaml:8:11: get.response.body.properties.refund.type: an amount in fen (单位为分, says the description) is an integer, not a string"]
    );
}
