//! Operations: statuses, uploads, downloads, hosts, skips.

use super::*;

#[test]
fn int_response_codes_and_statuses() {
    let (s, out) = run("codes");
    has_line(
        &s,
        "v3/codes/{id}/int.yaml:1:",
        "placeholder '{id}' has different types",
    );
    let f = read(&out, "v3/codes/{id}/int.yaml");
    let get = f.get.unwrap();
    assert_eq!(get.response.as_ref().unwrap().status, 200);
    assert_eq!(resp(&get)["ok"].ty.as_deref(), Some("boolean"));
    // `number` → integer in GET, string in POST/DELETE: one type per placeholder, so string.
    assert_eq!(get.path["id"].ty.as_deref(), Some("string"));
    assert!(!get.path["id"].required);
    let post = f.post.unwrap();
    assert_eq!(post.response.as_ref().unwrap().status, 202);
    let del = f.delete.unwrap();
    assert_eq!(del.response.as_ref().unwrap().status, 204);
    assert!(del.response.as_ref().unwrap().body.is_none());
}

#[test]
fn empty_file_name_is_kept() {
    let (s, out) = run("empty");
    let op = read(&out, "v3/applyment/{empty}.yaml").post.unwrap();
    // `{empty}` is upstream's trailing slash, not a placeholder: no path entry.
    assert!(op.path.is_empty());
    assert_eq!(resp(&op)["applyment_id"].format.as_deref(), Some("int64"));
    assert!(!s.repair_lines.iter().any(|l| l.contains("{empty}")));
}

#[test]
fn sensitive_fields() {
    let (s, out) = run("sensitive");
    let f = read(&out, "v3/sensitive/x.yaml");
    let post = f.post.unwrap();
    let c = props(&body(&post)["contact_info"]);
    assert!(c["contact_name"].sensitive && c["mobile_phone"].sensitive && !c["address"].sensitive);
    // The description's other mark: a request string of format base64 is ciphertext.
    assert!(c["email"].sensitive);
    has_line(&s, "v3/sensitive/x.yaml:", "format base64 is ciphertext");
    assert_eq!(c["contact_name"].format.as_deref(), Some("base64"));
    has_line(&s, "v3/sensitive/x.yaml:12:", "x-is-sensitive names 'nobody'");
    let get = f.get.unwrap();
    assert!(
        get.query["encrypted_phone_number"].sensitive,
        "operation-level x-is-sensitive"
    );
    assert!(props(&resp(&get)["encrypt_certificate"])["ciphertext"].sensitive);
    // Not in a response: what WeChat Pay encrypts for the merchant is not sent.
    assert!(!resp(&get)["contact_email"].sensitive);
}

#[test]
fn inexpressible_operations_are_skipped_with_reasons() {
    let (s, out) = run("skips");
    let reasons: Vec<(String, String, String)> = s
        .skipped_ops
        .iter()
        .map(|o| {
            (
                o.file.to_string_lossy().into_owned(),
                o.method.clone(),
                o.reason.split(':').next().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "v2/papay/entrustweb.yaml".into(),
                "get".into(),
                "APIv2 GET (produces application/xml)".into()
            ),
            (
                "v3/files/list.yaml".into(),
                "post".into(),
                "array query parameter".into()
            ),
            (
                "v3/skips/upload.yaml".into(),
                "post".into(),
                "multipart/form-data upload".into()
            ),
            (
                "v3/webhooks.yaml".into(),
                "post".into(),
                "inbound webhook notification".into()
            ),
        ]
    );
    assert!(
        s.skipped_ops[1]
            .reason
            .contains("'filters' has items that are not scalars"),
        "{}",
        s.skipped_ops[1].reason
    );
    assert!(
        s.skipped_ops[2]
            .reason
            .contains("'meta' part at v3/skips/upload.yaml:10 has no schema"),
        "{}",
        s.skipped_ops[2].reason
    );
    let by = s.skipped_by_reason();
    assert_eq!(by["multipart/form-data upload"], 1);
    // A file whose operations are all skipped is not written; x-json types the string's JSON.
    assert!(!out.join("v3/webhooks.yaml").exists());
    let upload = read(&out, "v3/skips/upload.yaml");
    assert!(
        upload.post.is_none() && upload.get.is_some(),
        "the other operation of the file is written"
    );
    let post = read(&out, "v3/skips/host.yaml").post.unwrap();
    assert_eq!(body(&post)["partner"].ty.as_deref(), Some("string"));
    assert_eq!(body(&post)["partner"].format.as_deref(), Some("jsonObjectLike"));
    let json = body(&post)["partner"].json.as_deref().expect("x-json kept as json:");
    assert!(json.properties.as_ref().is_some_and(|p| !p.is_empty()), "{json:?}");
    has_line(&s, "v3/skips/host.yaml:22:", "x-json");
    assert!(!s.dropped_keywords.contains_key("x-json"));
}

#[test]
fn multipart_uploads() {
    let (s, out) = run("upload");
    let op = read(&out, "v3/files/upload.yaml").post.unwrap();
    assert!(op.body.is_none(), "no JSON body beside an upload");
    let up = op.upload.as_ref().expect("upload");
    assert_eq!(up.file, "submission_file");
    // meta: the non-standard `schema:` under the `meta` form parameter, with its required list.
    assert_eq!(up.meta.description.as_deref(), Some("媒体文件元信息`JSON`格式字符串"));
    assert_eq!(props(&up.meta).keys().collect::<Vec<_>>(), ["file_name", "file_digest"]);
    assert!(props(&up.meta)["file_name"].required && !props(&up.meta)["file_digest"].required);
    // Other text parts are scalar fields, in order, with their required flags.
    assert_eq!(up.fields.keys().collect::<Vec<_>>(), ["item_id", "note"]);
    assert_eq!(up.fields["item_id"].ty.as_deref(), Some("integer"));
    assert!(up.fields["item_id"].required && !up.fields["note"].required);
    assert_eq!(resp(&op)["file_id"].ty.as_deref(), Some("string"));
    assert!(
        !s.repair_lines.iter().any(|l| l.starts_with("v3/files/upload.yaml")),
        "{:?}",
        s.repair_lines
    );
}

#[test]
fn binary_downloads_and_statements() {
    let (s, out) = run("binary");
    let binary = |rel: &str| {
        let op = read(&out, rel).get.unwrap();
        let r = op.response.clone().expect("response");
        assert_eq!(
            (r.status, r.content, r.body.is_none()),
            (200, Some(Content::Binary), true),
            "{rel}"
        );
        (op, r.signature.unwrap())
    };
    // produces text/plain, application/x-gzip: a file, unsigned; its query parameter kept.
    let (op, sig) = binary("v3/files/download.yaml");
    assert_eq!(sig, ResponseSignature::None);
    assert!(op.query["token"].required);
    // produces application/pdf, in a file whose other operation is skipped.
    assert_eq!(binary("v3/skips/upload.yaml").1, ResponseSignature::None);
    // GET with `'200': {}` and no produces: raw bytes (an image).
    let (op, sig) = binary("v3/files/images/{media_id}.yaml");
    assert_eq!(sig, ResponseSignature::None);
    assert_eq!(op.path["media_id"].ty.as_deref(), Some("string"));
    // Response headers with Wechatpay-Statement-Sha1 and `schema: {}`: a signed statement.
    let (op, sig) = binary("v3/files/statements.yaml");
    assert_eq!(sig, ResponseSignature::StatementSha1);
    assert!(op.query["date"].required);
    assert_eq!(op.headers["Accept-Encoding"].ty.as_deref(), Some("string"));
    // A POST with `schema: {}` is still an undescribed JSON body, not a file.
    let merge = read(&out, "v3/codes/{id}/int.yaml");
    assert!(merge.post.unwrap().response.unwrap().content.is_none());
    let _ = s;
}

#[test]
fn base_url_and_array_query() {
    let (s, out) = run("host");
    let get = read(&out, "v3/skips/host.yaml").get.unwrap();
    assert_eq!(
        get.base_url.as_deref(),
        Some("https://apihk.mch.weixin.qq.com"),
        "trailing / stripped"
    );
    assert!(read(&out, "v3/skips/host.yaml").post.unwrap().base_url.is_none());
    has_line(&s, "v3/skips/host.yaml:3:", "read 'x-baseuri' as 'x-base-uri'");
    has_line(
        &s,
        "v3/skips/host.yaml:3:",
        "read as 'https://apihk.mch.weixin.qq.com' (no trailing '/')",
    );
    let op = read(&out, "v3/files/list.yaml").get.unwrap();
    let types = &op.query["types"];
    assert_eq!(types.ty.as_deref(), Some("array"));
    let items = types.items.as_ref().unwrap();
    assert_eq!(items.ty.as_deref(), Some("string"));
    assert_eq!(
        enum_pairs(items),
        [
            ("BASE_ABILITY".into(), Some("基础能力".into())),
            ("REAL_ESTATE_ABILITY".into(), None)
        ]
    );
    assert_eq!(op.query["ids"].items.as_ref().unwrap().ty.as_deref(), Some("integer"));
}

#[test]
fn small_defects_are_repaired() {
    let (s, out) = run("misc");
    let op = read(&out, "v3/misc/{out_no}/terminate.yaml").post.unwrap();
    assert!(op.deprecated, "depracted");
    assert!(op.query["limit"].required, "require: true");
    // `out_number` is not in the URL; `{out_no}` has no parameter: one renamed to the other.
    assert_eq!(op.path.keys().collect::<Vec<_>>(), ["out_no"]);
    let b = body(&op);
    assert!(b["list"].required);
    assert_eq!(b["list"].items.as_ref().unwrap().ty.as_deref(), Some("json"));
    assert!(!props(&b["meta"])["x"].required);
    // nullable/maxLength have no place: counted, not lost silently.
    assert_eq!(s.dropped_keywords["nullable"], 1);
    assert_eq!(s.dropped_keywords["maxLength"], 1);
    has_line(&s, "v3/misc/{out_no}/terminate.yaml:3:", "'tag:' is a typo");
    has_line(
        &s,
        "v3/misc/{out_no}/terminate.yaml:5:",
        "read 'depracted' as 'deprecated'",
    );
    has_line(
        &s,
        "v3/misc/{out_no}/terminate.yaml:13:",
        "read 'require: true' as 'required: true'",
    );
    has_line(&s, "v3/misc/{out_no}/terminate.yaml:19:", "required names 'ghost'");
    has_line(&s, "v3/misc/{out_no}/terminate.yaml:27:", "'required:' without a value");
    has_line(
        &s,
        "v3/misc/{out_no}/terminate.yaml:7:",
        "read as the placeholder '{out_no}'",
    );
    let get = read(&out, "v3/misc/{out_no}.yaml").get.unwrap();
    assert_eq!(get.path["out_no"].ty.as_deref(), Some("string"));
    has_line(
        &s,
        "v3/misc/{out_no}.yaml:1:",
        "placeholder '{out_no}' has no path parameter",
    );
}
