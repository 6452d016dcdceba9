//! APIv2 in the sandbox: the platform's side of the XML protocol, written apart from the
//! client's. A request to an operation of `spec/v2/` (its URL without `/v2`) is read as XML,
//! its `sign` checked with the APIv2 key (MD5 or HMAC-SHA256, as its `sign_type` says), its
//! fields checked against the operation's request (required ones present, integers and enums
//! well-formed); the answer is the operation's fields with example values (request fields of
//! the same name echoed), signed unless the spec says the answer carries no `sign`. A failure is
//! answered as the platform does: `return_code` `FAIL` and its `return_msg`, unsigned. A bill
//! is the sandbox's file.

use quick_xml::events::Event;
use serde_json::Value;
use wechatpay_model::ir::{Field, ResponseKind, Signature, Ty, TypeKind, V2SignType};

use crate::mock::Reply;
use crate::schema::{self, Types};
use crate::spec::{Operation, Spec};

/// The APIv2 operation a request to `path` (`/pay/orderquery`) is for.
pub fn operation<'s>(spec: &'s Spec, method: &str, path: &str) -> Option<&'s Operation> {
    let path = path.split('?').next().unwrap_or_default();
    spec.operation(method, &format!("/v2{path}"))
        .filter(|op| op.op.v2.is_some())
}

/// The fields of an XML body: `<xml><name>text</name>…</xml>`; `None` if it is not one (a DTD
/// or a nested element included).
pub fn read_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut fields = Vec::new();
    let mut depth = 0;
    let mut current: Option<(String, String)> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Eof => break,
            Event::DocType(_) | Event::PI(_) => return None,
            Event::Start(e) => {
                depth += 1;
                match depth {
                    1 if e.name().as_ref() == b"xml" => {}
                    2 => current = Some((String::from_utf8(e.name().as_ref().to_vec()).ok()?, String::new())),
                    _ => return None,
                }
            }
            Event::Empty(e) if depth == 1 => {
                fields.push((String::from_utf8(e.name().as_ref().to_vec()).ok()?, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&t.decode().ok()?);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().ok()?;
                let c = match name.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r.resolve_char_ref().ok()??,
                };
                if let Some((_, value)) = current.as_mut() {
                    value.push(c);
                }
            }
            Event::CData(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(std::str::from_utf8(&t).ok()?);
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    fields.push(current.take()?);
                }
                depth -= 1;
            }
            _ => {}
        }
        buf.clear();
    }
    Some(fields)
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The APIv2 `sign`: the sorted non-empty fields but `sign`, `&key=`, MD5 or HMAC-SHA256
/// (keyed with the key), upper-case hex.
pub fn sign(fields: &[(String, String)], key: &str, hmac: bool) -> String {
    let mut kept: Vec<&(String, String)> = fields.iter().filter(|(n, v)| n != "sign" && !v.is_empty()).collect();
    kept.sort();
    let mut text = String::new();
    for (n, v) in kept {
        text.push_str(&format!("{n}={v}&"));
    }
    text.push_str("key=");
    text.push_str(key);
    let digest: Vec<u8> = if hmac {
        let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
        aws_lc_rs::hmac::sign(&k, text.as_bytes()).as_ref().to_vec()
    } else {
        use md5::Digest as _;
        md5::Md5::digest(text.as_bytes()).to_vec()
    };
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

pub(crate) fn xml(fields: &[(String, String)]) -> String {
    let mut out = String::from("<xml>");
    for (n, v) in fields {
        out.push_str(&format!(
            "<{n}><![CDATA[{}]]></{n}>",
            v.replace("]]>", "]]]]><![CDATA[>")
        ));
    }
    out.push_str("</xml>");
    out
}

fn reply(fields: &[(String, String)]) -> Reply {
    Reply::raw(200, "text/xml; charset=utf-8", xml(fields).into_bytes()).tamper(crate::mock::Tamper::Unsigned)
}

/// A call taken and failed, `result_code` `FAIL` with `err_code` (a fault asked for:
/// `SYSTEMERROR`, `FREQ_LIMIT`), signed as the request was; a request that is not APIv2 XML
/// gets the platform's `return_code` `FAIL`.
pub fn business_failure(request: &[u8], key: &str, err_code: &str, err_code_des: &str) -> Reply {
    let Some(request) = read_fields(request) else {
        return failure("XML格式错误: the body is not an APIv2 <xml> of fields");
    };
    let hmac = get(&request, "sign_type") == Some("HMAC-SHA256");
    let mut fields: Vec<(String, String)> = vec![
        ("return_code".into(), "SUCCESS".into()),
        ("return_msg".into(), "OK".into()),
    ];
    for name in ["appid", "mch_id", "sub_mch_id"] {
        if let Some(v) = get(&request, name) {
            fields.push((name.into(), v.into()));
        }
    }
    fields.extend([
        ("result_code".into(), "FAIL".into()),
        ("err_code".into(), err_code.into()),
        ("err_code_des".into(), err_code_des.into()),
        ("nonce_str".into(), crate::mock::random_nonce()),
    ]);
    let s = sign(&fields, key, hmac);
    fields.push(("sign".into(), s));
    reply(&fields)
}

/// `answer` with a `sign` that is not made with the merchant's key (a fault asked for: the
/// merchant must refuse it); an unsigned answer is left as it is.
pub fn missign(answer: Reply) -> Reply {
    let Some(mut fields) = read_fields(&answer.body) else {
        return answer;
    };
    let Some(at) = fields.iter().position(|(name, _)| name == "sign") else {
        return answer;
    };
    let unsigned: Vec<(String, String)> = fields.iter().filter(|(name, _)| name != "sign").cloned().collect();
    fields[at].1 = sign(&unsigned, "TESTONLYnotTheMerchantsKey000000", false);
    reply(&fields)
}

/// The platform's answer to a call it cannot take: `return_code` `FAIL`, unsigned.
pub fn failure(message: &str) -> Reply {
    reply(&[
        ("return_code".to_owned(), "FAIL".to_owned()),
        ("return_msg".to_owned(), message.to_owned()),
    ])
}

/// The answer to one APIv2 request.
pub fn answer(
    spec: &Spec,
    op: &Operation,
    body: &[u8],
    key: &str,
    check_requests: bool,
    simulator: Option<&crate::sim::Simulator>,
) -> Reply {
    let Some(request) = read_fields(body) else {
        return failure("XML格式错误: the body is not an APIv2 <xml> of fields");
    };
    let hmac = match get(&request, "sign_type") {
        None | Some("MD5") => false,
        Some("HMAC-SHA256") => true,
        Some(_) => return failure("签名类型错误: sign_type is MD5 or HMAC-SHA256"),
    };
    let Some(given) = get(&request, "sign") else {
        return failure("缺少参数sign");
    };
    if get(&request, "nonce_str").is_none_or(str::is_empty) {
        return failure("缺少参数nonce_str");
    }
    if given != sign(&request, key, hmac) {
        return failure("签名错误");
    }
    let v2 = op.op.v2.as_ref().expect("an APIv2 operation");
    if v2.sign_type == V2SignType::HmacSha256 && !hmac {
        return failure("签名类型错误: this operation is signed with HMAC-SHA256");
    }
    let types = Types::of(spec, op);
    if check_requests {
        if let Some(why) = check_request(spec, op, &request) {
            return failure(&why);
        }
    }
    // The simulator's bills of the day, built from its orders.
    match (simulator, op.url.as_str()) {
        (Some(simulator), "/v2/pay/downloadbill") => return simulator.apiv2_bill(&request),
        (Some(simulator), "/v2/pay/downloadfundflow") => return simulator.apiv2_fund_flow_bill(&request),
        _ => {}
    }
    if matches!(op.op.response, ResponseKind::Binary) {
        return Reply::raw(200, "text/plain; charset=utf-8", crate::SANDBOX_FILE.to_vec())
            .tamper(crate::mock::Tamper::Unsigned);
    }
    let mut fields: Vec<(String, String)> = vec![
        ("return_code".into(), "SUCCESS".into()),
        ("return_msg".into(), "OK".into()),
    ];
    // The simulator's state for the operations it keeps (`unifiedorder`, `orderquery`, …).
    let simulated = simulator.and_then(|s| s.apiv2(&op.url, &request));
    // A failure the simulator reports is kept; an example's `result_code` is always SUCCESS.
    let failed = simulated
        .as_ref()
        .is_some_and(|answer| answer.iter().any(|(n, v)| n == "result_code" && v == "FAIL"));
    if let Some(answer) = simulated {
        for name in ["appid", "mch_id"] {
            if let Some(v) = get(&request, name) {
                fields.push((name.into(), v.into()));
            }
        }
        fields.extend(answer);
    } else if let ResponseKind::Json(Ty::Local(name)) = &op.op.response {
        for f in struct_fields(op, name).unwrap_or_default() {
            example_fields(types, f, &request, &mut fields);
        }
    }
    if !failed {
        match fields.iter_mut().find(|(n, _)| n == "result_code") {
            Some((_, v)) => *v = "SUCCESS".into(),
            None => fields.push(("result_code".into(), "SUCCESS".into())),
        }
    }
    if op.op.signature != Signature::None {
        fields.push(("nonce_str".into(), "TESTONLYsandboxNonce0000000000000".into()));
        let s = sign(&fields, key, hmac);
        fields.push(("sign".into(), s));
    }
    reply(&fields)
}

fn struct_fields<'o>(op: &'o Operation, name: &str) -> Option<&'o [Field]> {
    op.types.iter().find(|t| t.name == name).and_then(|t| match &t.kind {
        TypeKind::Struct(fields) => Some(fields.as_slice()),
        TypeKind::Enum(_) => None,
    })
}

/// What is wrong with the fields of a request to `op` (the first thing found): a required one
/// missing, an integer, number, boolean, enum or JSON text that is not one. The protocol's
/// own fields (`nonce_str`, `sign`, `sign_type`) are not looked at.
pub fn check_request(spec: &Spec, op: &Operation, request: &[(String, String)]) -> Option<String> {
    let fields = op.op.request.as_deref().and_then(|name| struct_fields(op, name))?;
    check(Types::of(spec, op), fields, request)
}

fn check(types: Types<'_>, fields: &[Field], request: &[(String, String)]) -> Option<String> {
    for f in fields {
        if f.wire.contains('$') {
            continue;
        }
        let Some(text) = get(request, &f.wire) else {
            if f.required_on_the_wire() {
                return Some(format!("缺少参数{}: `{}` is required", f.wire, f.wire));
            }
            continue;
        };
        let value = match &f.ty {
            Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Some(format!("参数格式错误: `{}` is an integer", f.wire)),
            },
            Ty::F64 => match text.parse::<f64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Some(format!("参数格式错误: `{}` is a number", f.wire)),
            },
            Ty::Bool => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Some(format!("参数格式错误: `{}` is `true` or `false`", f.wire)),
            },
            Ty::JsonText(_) => match serde_json::from_str::<Value>(text) {
                Ok(_) => continue,
                Err(_) => return Some(format!("参数格式错误: `{}` is JSON text", f.wire)),
            },
            _ => Value::String(text.to_owned()),
        };
        let mut report = schema::Report::default();
        schema::check_value(types, &f.ty, &value, &f.wire, schema::Mode::Exact, &mut report);
        if let Some(e) = report.errors.first() {
            return Some(format!("参数错误: {e}"));
        }
    }
    None
}

/// The answer's fields for `f`: the request's value of the same name (an identifier, an
/// amount; not JSON carried in a field, whose answer's shape is the answer's own), else the
/// example (a list: its first entry, index 0).
fn example_fields(types: Types<'_>, f: &Field, request: &[(String, String)], out: &mut Vec<(String, String)>) {
    if let Some(v) = get(request, &f.wire).filter(|_| !matches!(f.ty, Ty::JsonText(_))) {
        out.push((f.wire.clone(), v.to_owned()));
        return;
    }
    let (ty, wire) = match &f.ty {
        Ty::Vec(inner) if f.wire.contains('$') => match &**inner {
            Ty::Vec(inner2) => (&**inner2, f.wire.replacen("$n", "0", 1).replacen("$m", "0", 1)),
            t => (t, f.wire.replacen("$n", "0", 1)),
        },
        t => (t, f.wire.clone()),
    };
    let mut single = f.clone();
    single.ty = ty.clone();
    let value = match schema::example(types, ty, Some(&single)) {
        Value::String(s) => s,
        Value::Null => return,
        other => other.to_string(),
    };
    // A placeholder in the name that the example does not fill (`$x`) stays out.
    if !wire.contains('$') {
        out.push((wire, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_signs_as_documented() {
        // WeChat Pay's signing example (its key and fields), MD5.
        let fields: Vec<(String, String)> = [
            ("appid", "wxd930ea5d5a258f4f"),
            ("mch_id", "10000100"),
            ("device_info", "1000"),
            ("body", "test"),
            ("nonce_str", "ibuaiVcKdpRxkhJA"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            sign(&fields, "192006250b4c09247ec02edce69f6a2d", false),
            "9A0A8659F005D6984697E2CA0A9CF3B7"
        );
    }

    #[test]
    fn bodies_are_read_as_fields_and_a_dtd_is_refused() {
        let f = read_fields(b"<xml><a><![CDATA[x<y]]></a><b>1 &amp; 2</b><c/></xml>").unwrap();
        assert_eq!(
            f,
            [
                ("a".into(), "x<y".into()),
                ("b".into(), "1 & 2".into()),
                ("c".into(), String::new())
            ]
        );
        assert!(read_fields(b"<!DOCTYPE x [<!ENTITY e \"boom\">]><xml><a>&e;</a></xml>").is_none());
        assert!(read_fields(b"<xml><a><b>1</b></a></xml>").is_none());
    }
}
