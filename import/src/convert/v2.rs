//! APIv2 operations (`v2/`): which are imported, and what of their bodies is the protocol's.
//!
//! One rule per decision, each printed as a repair line:
//! - `v2-scope`: a `get` (a page the user's browser opens, or the one JSON answer) and the one
//!   multipart upload are left out, with the reason;
//! - `v2-file`: the bill downloads answer a file (text or gzip) and XML only on failure;
//! - `v2-protocol`: `nonce_str`, `sign_type` and `sign` of a request are the client's (it adds
//!   and computes them); `sign`, `nonce_str`, `return_code` and `return_msg` of an answer are
//!   checked by it (the sign, the communication result) and not fields of the answer's type;
//! - `v2-sign-type`: an operation whose `sign_type` allows HMAC-SHA256 only is signed so by
//!   default (`sign_type: HMAC-SHA256`), any other with MD5, the protocol's default;
//! - `v2-unsigned`: an answer whose description has no `sign` field carries none
//!   (`signature: none`); its result codes are still checked;
//! - `v2-scope` too: a body without fields (free-form), with nested elements (a list of
//!   records inside a field) or with query parameters beside it is left out, with the reason;
//!   `v2-header`: the test sandbox's switch header is not a field;
//! - `v2-sensitive`: a request field named `enc_*` (`enc_bank_no`, `enc_true_name`) is
//!   `sensitive`: the caller gives it in plain text, the client encrypts it (RSA-OAEP with the
//!   key of `risk/getpublickey`) before signing;
//! - `v2-either`: `transaction_id`/`out_trade_no` (and `refund_id`/`out_refund_no`) both
//!   required means either is (二选一): both optional;
//! - `v2-response-optional`: every answer field is optional (an APIv2 answer leaves out what
//!   does not apply, and its `required` lists are the request's habits, not evidence).

use serde_yaml::Value;

use super::{Conv, Fail, RepairKind, R};
use crate::Loc;
use wechatpay_model::spec::{Content, Operation, Response, ResponseSignature, Schema};

/// The operations whose success is a file (`pay/downloadbill` and the sandbox's twin,
/// `pay/downloadfundflow`): the description's schema is their failure's.
const FILES: [&str; 3] = [
    "/pay/downloadbill",
    "/pay/downloadfundflow",
    "/sandboxnew/pay/downloadbill",
];

/// Pairs of request fields that name the same thing (WeChat Pay's 二选一): the description marks
/// both required where either is.
const EITHER: [(&str, &str); 2] = [("transaction_id", "out_trade_no"), ("refund_id", "out_refund_no")];

/// The fields the client adds to every request.
const REQUEST_PROTOCOL: [&str; 3] = ["nonce_str", "sign_type", "sign"];
/// The fields of an answer the client checks itself.
const ANSWER_PROTOCOL: [&str; 4] = ["sign", "nonce_str", "return_code", "return_msg"];

impl Conv<'_> {
    /// Whether an APIv2 operation is imported at all.
    pub(super) fn v2_scope(&mut self, loc: &Loc, consumes: &[String], produces: &[String], multipart: bool) -> R<()> {
        if super::operation::op_method(loc) != "post" {
            return Err(Fail::Skip(format!(
                "APIv2 GET (produces {}): a page the user's browser opens or a token fetched without the APIv2 signature, not a signed XML call",
                produces.join(", ")
            )));
        }
        if multipart {
            return Err(Fail::Skip(
                "APIv2 multipart upload (its signature covers form fields, not an XML body): not supported yet".into(),
            ));
        }
        if let Some(c) = consumes.iter().find(|c| !c.contains("xml")) {
            return Err(Fail::Skip(format!("APIv2 request that is not XML: consumes {c}")));
        }
        Ok(())
    }

    /// An APIv2 answer that is a file: `Some(None)` signature (files are not signed).
    pub(super) fn v2_file(&mut self, url: &str, sloc: &Loc, empty: bool) -> Option<ResponseSignature> {
        let path = url.strip_prefix("/v2").unwrap_or(url);
        if !FILES.contains(&path) {
            return None;
        }
        self.note(
            sloc,
            RepairKind::V2File,
            format!(
                "a bill: the success answer is the file (text or gzip), XML only on failure{}",
                if empty {
                    ""
                } else {
                    "; the schema (the failure's) is not imported"
                }
            ),
        );
        Some(ResponseSignature::None)
    }

    /// The protocol's fields out of the request and the answer; the sign type; unsigned answers.
    pub(super) fn v2_fields(&mut self, op: &mut Operation, response: &mut Response, loc: &Loc) -> R<()> {
        // A body is a flat list of fields: the description's free-form bodies and nested
        // elements (a list of records inside one field) are not what the reader takes.
        let nested = |s: &Schema| {
            s.properties.as_ref().and_then(|props| {
                props
                    .iter()
                    .find(|(_, p)| {
                        p.json.is_none()
                            && (p.properties.is_some()
                                || p.items.is_some()
                                || matches!(p.ty.as_deref(), Some("object" | "array" | "json")))
                    })
                    .map(|(name, _)| name.clone())
            })
        };
        for (what, schema) in [("request", op.body.as_ref()), ("answer", response.body.as_ref())] {
            let Some(schema) = schema else { continue };
            if schema.properties.is_none() {
                return Err(Fail::Skip(format!(
                    "APIv2 {what} without fields: the description gives a free-form object"
                )));
            }
            if let Some(name) = nested(schema) {
                return Err(Fail::Skip(format!(
                    "APIv2 {what} with nested XML elements (`{name}`): the flat APIv2 reader takes fields of text only"
                )));
            }
        }
        if !op.query.is_empty() {
            return Err(Fail::Skip(
                "APIv2 operation with query parameters beside its XML body: not supported".into(),
            ));
        }
        for name in std::mem::take(&mut op.headers).keys() {
            self.note(
                loc,
                RepairKind::V2Header,
                format!("header `{name}` (a switch of WeChat Pay's test sandbox) is not a field of the request: not imported"),
            );
        }
        let mut sign_type = None;
        let mut either = Vec::new();
        if let Some(props) = op.body.as_mut().and_then(|b| b.properties.as_mut()) {
            if let Some(st) = props.get("sign_type") {
                let values: Vec<String> = st.enum_.iter().flatten().map(|v| v.value().to_string()).collect();
                let example = st.example.as_ref().and_then(Value::as_str).unwrap_or_default();
                if values == ["HMAC-SHA256"] || (values.is_empty() && example == "HMAC-SHA256") {
                    sign_type = Some("HMAC-SHA256".to_owned());
                }
            }
            for (a, b) in EITHER {
                if props.get(a).is_some_and(|p| p.required) && props.get(b).is_some_and(|p| p.required) {
                    for name in [a, b] {
                        if let Some(p) = props.get_mut(name) {
                            p.required = false;
                        }
                    }
                    either.push(format!("{a}/{b}"));
                }
            }
            let mut encrypted = Vec::new();
            for (name, p) in props.iter_mut() {
                if name.starts_with("enc_") && p.ty.as_deref() == Some("string") && !p.sensitive {
                    p.sensitive = true;
                    encrypted.push(name.clone());
                }
            }
            if !encrypted.is_empty() {
                self.note(
                    loc,
                    RepairKind::V2Sensitive,
                    format!(
                        "{}: given in plain text, RSA-encrypted by the client with the key of risk/getpublickey",
                        encrypted.join(", ")
                    ),
                );
            }
            let removed: Vec<&str> = REQUEST_PROTOCOL
                .iter()
                .copied()
                .filter(|name| props.shift_remove(*name).is_some())
                .collect();
            if !removed.is_empty() {
                self.note(
                    loc,
                    RepairKind::V2Protocol,
                    format!(
                        "request fields added by the client, not by the caller: {}",
                        removed.join(", ")
                    ),
                );
            }
        }
        if !either.is_empty() {
            self.note(
                loc,
                RepairKind::V2Either,
                format!(
                    "{}: the order is named by either, so neither is required",
                    either.join(", ")
                ),
            );
        }
        if let Some(st) = &sign_type {
            self.note(
                loc,
                RepairKind::V2SignType,
                format!("signed with {st} by default (the only sign_type it allows)"),
            );
        }
        op.sign_type = sign_type;
        if response.content == Some(Content::Binary) {
            return Ok(());
        }
        let Some(body) = response.body.as_mut() else {
            return Ok(());
        };
        let Some(props) = body.properties.as_mut() else {
            return Ok(());
        };
        if !props.contains_key("sign") {
            response.signature = Some(ResponseSignature::None);
            self.note(
                loc,
                RepairKind::V2Unsigned,
                "the answer lists no `sign`: it carries none (signature: none)".into(),
            );
        }
        let removed: Vec<&str> = ANSWER_PROTOCOL
            .iter()
            .copied()
            .filter(|name| props.shift_remove(*name).is_some())
            .collect();
        if !removed.is_empty() {
            self.note(
                loc,
                RepairKind::V2Protocol,
                format!(
                    "answer fields checked by the client, not fields of its type: {}",
                    removed.join(", ")
                ),
            );
        }
        let mut loosened = 0;
        super::response::loosen(body, true, &mut loosened);
        if loosened > 0 {
            self.note(
                loc,
                RepairKind::V2ResponseOptional,
                format!("{loosened} answer fields marked required read as optional"),
            );
        }
        Ok(())
    }
}
