//! APIv2 (`v2/`): the protocol's fields left to the client, the sign type, CDATA, mutual TLS,
//! unsigned answers, bills, and what is left out.

use super::*;

#[test]
fn apiv2_operations_keep_their_fields_and_leave_the_protocol_to_the_client() {
    let (s, out) = run("v2");
    let micropay = read(&out, "v2/pay/micropay.yaml").post.unwrap();
    assert!(micropay.cert_required, "x-api-cert-required");
    assert_eq!(
        micropay.sign_type.as_deref(),
        Some("HMAC-SHA256"),
        "the only sign_type allowed"
    );
    let fields = body(&micropay);
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["appid", "mch_id", "body", "detail", "total_fee"],
        "nonce_str, sign, sign_type are the client's"
    );
    assert!(fields["detail"].cdata && !fields["body"].cdata);
    assert!(fields["appid"].required && !fields["detail"].required);
    assert_eq!(
        fields["total_fee"].ty.as_deref(),
        Some("integer"),
        "money is an integer"
    );
    let answer = resp(&micropay);
    let names: Vec<&str> = answer.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "appid",
            "mch_id",
            "result_code",
            "transaction_id",
            "coupon_fee_$n",
            "coupon_refund_id_$n_$m"
        ],
        "sign, nonce_str, return_code, return_msg are checked by the client"
    );
    assert!(answer.values().all(|f| !f.required), "every answer field is optional");
    assert_eq!(
        micropay.response.as_ref().unwrap().signature,
        None,
        "the answer is signed"
    );
    has_line(&s, "v2/pay/micropay.yaml:", "signed with HMAC-SHA256 by default");

    let redpack = read(&out, "v2/mmpaymkttransfers/sendredpack.yaml").post.unwrap();
    assert_eq!(redpack.sign_type, None, "MD5, the default");
    assert!(!redpack.cert_required);
    assert_eq!(
        redpack.response.as_ref().unwrap().signature,
        Some(ResponseSignature::None),
        "an answer that lists no sign carries none"
    );
    has_line(
        &s,
        "v2/mmpaymkttransfers/sendredpack.yaml:",
        "the answer lists no `sign`",
    );

    let query = read(&out, "v2/pay/orderquery.yaml").post.unwrap();
    let ids = body(&query);
    assert!(ids["mch_id"].required);
    assert!(
        !ids["transaction_id"].required && !ids["out_trade_no"].required,
        "either names the order"
    );
    has_line(
        &s,
        "v2/pay/orderquery.yaml:",
        "transaction_id/out_trade_no: the order is named by either",
    );

    let bill = read(&out, "v2/pay/downloadbill.yaml").post.unwrap();
    let r = bill.response.unwrap();
    assert_eq!(r.content, Some(Content::Binary));
    assert_eq!(r.signature, Some(ResponseSignature::None));
    assert!(r.body.is_none(), "the schema is the failure's");

    let skipped: Vec<_> = s.skipped_ops.iter().filter(|o| o.file.starts_with("v2")).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].file, Path::new("v2/papay/entrustweb.yaml"));
    assert!(skipped[0].reason.starts_with("APIv2 GET"), "{}", skipped[0].reason);
    assert!(!out.join("v2/papay/entrustweb.yaml").exists());
}
