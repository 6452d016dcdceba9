//! Real-shaped payloads (`tests/payloads/`, shaped as the official documentation's
//! examples and real captures: see its README) decode through the public API, losslessly: a
//! successful answer to "did the user pay?" must always decode, whatever fields it leaves out.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes the fixture into `T`, checks that encoding it again gives the same JSON (no field
/// dropped, none added, integers stay integers) and returns it.
fn decode<T: DeserializeOwned + Serialize>(file: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} does not decode: {e}"));
    let again: Value = serde_json::to_value(&value).unwrap();
    let original: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again, original, "{file} does not round-trip");
    value
}

#[test]
fn direct_payment_query_paid_and_unpaid() {
    use wechatpay::types::TransactionTradeState;
    use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no::GetResponse;
    let paid: GetResponse = decode("pay_direct_query.json");
    assert_eq!(paid.trade_state, Some(TransactionTradeState::Success));
    assert_eq!(paid.amount.as_ref().and_then(|a| a.payer_total), Some(1));
    let unpaid: GetResponse = decode("pay_direct_query_notpay.json");
    assert_eq!(unpaid.trade_state, Some(TransactionTradeState::Notpay));
    assert_eq!(unpaid.transaction_id, None);
    assert_eq!(unpaid.amount.as_ref().and_then(|a| a.payer_total), None);
    assert_eq!(unpaid.out_trade_no, "1217752501201407033233368018");
}

#[test]
fn partner_payment_query() {
    use wechatpay::v3::pay::partner::transactions::out_trade_no::by_out_trade_no::GetResponse;
    let tx: GetResponse = decode("pay_partner_query.json");
    assert_eq!(tx.sub_mchid, "1900000109");
    assert!(tx.payer.as_ref().and_then(|p| p.sp_openid.as_ref()).is_some());
}

#[test]
fn refund_create_and_query() {
    use wechatpay::v3::refund::domestic::refunds;
    let created: refunds::PostResponse = decode("refund_create.json");
    assert_eq!(created.amount.refund, Some(100)); // `amount` is echoed from the request
    let queried: refunds::by_out_refund_no::GetResponse = decode("refund_query.json");
    assert!(queried.refund_id.is_some());
}

#[test]
fn combine_payment_query() {
    use wechatpay::v3::combine_transactions::out_trade_no::by_combine_out_trade_no::GetResponse;
    let tx: GetResponse = decode("combine_query.json");
    assert!(!tx.sub_orders.unwrap_or_default().is_empty());
}

#[test]
fn profit_sharing_order() {
    use wechatpay::v3::profitsharing::orders::PostResponse;
    let order: PostResponse = decode("profitsharing_order.json");
    assert!(!order.receivers.unwrap_or_default().is_empty());
}

#[test]
fn transfer_bills_create_and_query() {
    use wechatpay::v3::fund_app::mch_transfer::transfer_bills;
    let created: transfer_bills::PostResponse = decode("transfer_bills_create.json");
    assert!(created.transfer_bill_no.is_some());
    let queried: transfer_bills::out_bill_no::by_out_bill_no::GetResponse = decode("transfer_bills_query.json");
    assert_eq!(queried.transfer_amount, Some(400000));
}

/// A notification made as WeChat Pay makes it (the fixture encrypted with the APIv3 key, the
/// envelope signed with the platform key), verified and decrypted by the client.
fn notified(file: &str, event_type: &str) -> (wechatpay::NotificationEvent, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    let plaintext: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    notified_value(&plaintext, event_type)
}

/// [`notified`] of a resource given as JSON.
fn notified_value(plaintext: &Value, event_type: &str) -> (wechatpay::NotificationEvent, Value) {
    use wechatpay_sandbox::mock::ResponseKey;

    const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";
    let n = wechatpay_sandbox::notify::make_notification(
        &ResponseKey::wechatpay_public_key(),
        APIV3_KEY,
        event_type,
        plaintext,
    )
    .unwrap();
    let client = wechatpay_tests::builder().apiv3_key(APIV3_KEY).build().unwrap();
    let mut headers = wechatpay::runtime::HeaderMap::new();
    for (k, v) in &n.headers {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    (
        client
            .handle_notification(&headers, &n.body)
            .expect("the notification verifies and decrypts"),
        plaintext.clone(),
    )
}

/// Every real-shaped notification resource is typed by its event type, losslessly, and the
/// enums are the query's own types.
#[test]
fn notification_resources_are_typed_by_event_type() {
    use wechatpay::notifications::Resource;
    use wechatpay::types::TransactionTradeState;

    let (event, plain) = notified("pay_direct_notify.json", "TRANSACTION.SUCCESS");
    let Resource::Transaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("direct payment")
    };
    assert_eq!(tx.trade_state, Some(TransactionTradeState::Success));
    lossless(&*tx, &plain, "pay_direct_notify.json");

    let (event, plain) = notified("pay_partner_notify.json", "TRANSACTION.SUCCESS");
    let Resource::PartnerTransaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("partner payment")
    };
    assert_eq!(tx.trade_state, Some(TransactionTradeState::Success));
    lossless(&*tx, &plain, "pay_partner_notify.json");

    let (event, plain) = notified("combine_notify.json", "TRANSACTION.SUCCESS");
    let Resource::CombineTransaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("combined payment")
    };
    lossless(&*tx, &plain, "combine_notify.json");

    let (event, plain) = notified("refund_notify.json", "REFUND.SUCCESS");
    let Resource::Refund(r) = Resource::decode(&event).unwrap() else {
        panic!("refund")
    };
    assert_eq!(r.amount.as_ref().and_then(|a| a.refund), Some(999));
    lossless(&*r, &plain, "refund_notify.json");

    let (event, plain) = notified("profitsharing_notify.json", "PROFITSHARING.SUCCESS");
    let Resource::ProfitSharing(p) = Resource::decode(&event).unwrap() else {
        panic!("profit sharing")
    };
    assert_eq!(p.receiver.as_ref().and_then(|r| r.amount), Some(888));
    lossless(&*p, &plain, "profitsharing_notify.json");
    // The same, announced as TRANSACTION.SUCCESS (the facts say a profit sharing may be): still
    // a profit sharing, never taken for a payment.
    let (event, _) = notified("profitsharing_notify.json", "TRANSACTION.SUCCESS");
    assert!(matches!(Resource::decode(&event).unwrap(), Resource::ProfitSharing(_)));

    let (event, plain) = notified("transfer_bills_notify.json", "MCHTRANSFER.BILL.FINISHED");
    let Resource::TransferBill(b) = Resource::decode(&event).unwrap() else {
        panic!("transfer bill")
    };
    lossless(&*b, &plain, "transfer_bills_notify.json");

    // The envelope as WeChat Pay posts it (tests/payloads/README.md: its ciphertext is
    // pay_direct_notify.json under the test APIv3 key).
    let envelope: wechatpay::Notification = decode_envelope("notify_envelope.json");
    let key = wechatpay::ApiV3Key::new("Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE").unwrap();
    let plain: Value = serde_json::from_slice(&envelope.resource.decrypt(&key).unwrap()).unwrap();
    let direct: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads/pay_direct_notify.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(plain, direct);
}

fn decode_envelope(file: &str) -> wechatpay::Notification {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The typed resource serialises back to the decrypted JSON.
fn lossless<T: Serialize>(resource: &T, plain: &Value, file: &str) {
    assert_eq!(
        &serde_json::to_value(resource).unwrap(),
        plain,
        "{file} does not round-trip"
    );
}

/// Every documented APIv3 event type (`../shared/reference/webhooks/v3/`; skipped, saying so,
/// when that folder is absent beside the repository): a resource built from its facts (every
/// field, one element in each array), encrypted and signed as WeChat Pay does, delivered
/// through the public API, decodes to its typed variant (never `Other`) and writes back the same
/// fields. The hand-written files' types (payments, refunds, …) are checked for the variant;
/// the fields they do not carry are listed.
#[test]
fn every_documented_event_type_decodes_to_its_type() {
    use wechatpay::notifications::Resource;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/webhooks/v3");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("SKIPPED: ../shared/reference/webhooks is absent beside the repository");
        return;
    };
    let hand_written = hand_written_events();
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    let (mut typed, mut lossless_count, mut missing) = (0, 0, Vec::new());
    for path in paths {
        let facts: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let event = facts["event_type"].as_str().unwrap().to_owned();
        let fields = match facts.get("resource") {
            Some(fields) => fields.as_sequence().unwrap().clone(),
            None => facts["resource_variants"]
                .as_sequence()
                .unwrap()
                .iter()
                .flat_map(|v| v["fields"].as_sequence().unwrap().clone())
                .collect(),
        };
        let plain = example_object(&fields);
        let (delivered, _) = notified_value(&plain, &event);
        let resource = Resource::decode(&delivered).unwrap_or_else(|e| panic!("{event}: {e}"));
        assert!(!matches!(resource, Resource::Other(_)), "{event} is not typed");
        // Decrypted data never shows in `Debug`: the resource's, and its own types' (nested ones too).
        let shown = match &resource {
            Resource::Violation(v) => format!("{resource:?} {v:?}"),
            Resource::Fapiao(f) => format!("{resource:?} {f:?} {:?}", f.fapiao_information),
            other => format!("{other:?}"),
        };
        assert!(!shown.contains("-example"), "{event}: {shown}");
        typed += 1;
        let again = serde_json::to_value(&resource).unwrap();
        if hand_written.contains(&event) {
            let lost = lost_fields(&plain, &again, "");
            if !lost.is_empty() {
                missing.push(format!("{event}: {}", lost.join(", ")));
            }
        } else {
            assert!(
                same_json(&again, &plain),
                "{event} does not write back the same fields:\n{again}\n{plain}"
            );
            lossless_count += 1;
        }
    }
    println!("{typed} event types typed, {lossless_count} of them (the imported ones) lossless");
    println!(
        "fields the hand-written types do not carry:\n  {}",
        missing.join("\n  ")
    );
    assert_eq!(typed, 102);
}

/// The event types of the hand-written notification files (no import header).
fn hand_written_events() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/notifications");
    let mut events = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if text.starts_with("# imported from the webhooks facts") {
            continue;
        }
        let file: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        events.extend(
            file["events"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_owned()),
        );
    }
    events
}

/// A JSON object with every field of the facts: a string (the first enum value), 1, true, an
/// object, an array of one element, a string holding JSON.
fn example_object(fields: &[serde_yaml::Value]) -> Value {
    let mut object = serde_json::Map::new();
    for f in fields {
        let name = f["name"].as_str().unwrap().to_owned();
        let nested =
            |f: &serde_yaml::Value| example_object(f["fields"].as_sequence().map(Vec::as_slice).unwrap_or(&[]));
        let value = match f["type"].as_str().unwrap() {
            "object" => nested(f),
            "array" if f["items"].as_str() == Some("object") => Value::Array(vec![nested(f)]),
            "array" => Value::Array(vec![scalar(f, f["items"].as_str().unwrap_or("string"))]),
            _ if f["encoding"].as_str() == Some("json") => Value::String(nested(f).to_string()),
            ty => scalar(f, ty),
        };
        // A field listed once per case: one object, the union of the cases' fields.
        match (object.get_mut(&name), value) {
            (Some(Value::Object(first)), Value::Object(more)) => first.extend(more),
            (_, value) => {
                object.insert(name, value);
            }
        }
    }
    Value::Object(object)
}

fn scalar(f: &serde_yaml::Value, ty: &str) -> Value {
    match ty {
        "integer" | "number" => Value::from(1),
        "boolean" => Value::Bool(true),
        _ => match f["enum"].as_sequence().and_then(|e| e.first()) {
            Some(serde_yaml::Value::String(v)) => Value::String(v.clone()),
            Some(other) => Value::String(serde_yaml::to_string(other).unwrap().trim().to_owned()),
            None => Value::String(format!("{}-example", f["name"].as_str().unwrap())),
        },
    }
}

/// Equal JSON, numbers compared by value (`1` and `1.0`), strings holding JSON by their content.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y
                || matches!((serde_json::from_str::<Value>(x), serde_json::from_str::<Value>(y)),
                    (Ok(p @ Value::Object(_)), Ok(q)) if same_json(&p, &q))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The paths of `sent`'s fields that `back` lacks.
fn lost_fields(sent: &Value, back: &Value, path: &str) -> Vec<String> {
    let (Value::Object(sent), Some(back)) = (sent, back.as_object()) else {
        return Vec::new();
    };
    let mut lost = Vec::new();
    for (k, v) in sent {
        match back.get(k) {
            None => lost.push(format!("{path}{k}")),
            Some(w) => {
                let inner = |v: &Value| match v {
                    Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                lost.extend(lost_fields(&inner(v), &inner(w), &format!("{path}{k}.")));
            }
        }
    }
    lost
}

/// The sandbox makes a resource for every event type the spec types (`wechatpay sandbox notify
/// --event X`), and the client types each one: a merchant can test every handler.
#[test]
fn the_sandbox_makes_every_typed_event_type() {
    use wechatpay::notifications::Resource;
    let spec = wechatpay_sandbox::spec::Spec::embedded().unwrap();
    let mut events: Vec<&str> = spec
        .api
        .notifications
        .iter()
        .flat_map(|n| n.events.iter().map(String::as_str))
        .collect();
    events.sort_unstable();
    events.dedup();
    assert!(events.len() >= 102, "{} event types", events.len());
    for event in events {
        let resource = wechatpay_sandbox::notify::sample_resource(spec, event, wechatpay_tests::keys::MCHID);
        let (delivered, _) = notified_value(&resource, event);
        let typed = Resource::decode(&delivered).unwrap_or_else(|e| panic!("{event}: {e}"));
        assert!(!matches!(typed, Resource::Other(_)), "{event} is not typed");
    }
}

/// Every documented APIv2 notification page (`../shared/reference/webhooks/v2/`; skipped,
/// saying so, when absent): a body built from its facts (every field; a refund's `req_info`
/// encrypted as WeChat Pay does, with the `openssl` command line; JSON inside a field), signed
/// by the sandbox's own signer, is read by the page's typed reader and writes back the same
/// fields. The four pages whose event is AES-GCM encrypted (`CHECK.*`, `TRANSACTION.*`) are
/// checked and read raw: the facts give neither their key nor their plaintext's format.
#[test]
fn every_documented_apiv2_page_is_read() {
    use wechatpay::runtime::v2::{self, XmlObject};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/webhooks/v2");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("SKIPPED: ../shared/reference/webhooks is absent beside the repository");
        return;
    };
    let key_text = wechatpay_tests::keys::APIV2_KEY;
    let key = v2::ApiV2Key::new(key_text).unwrap();
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    let (mut typed, mut raw) = (0, 0);
    for path in paths {
        let facts: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let page = facts["name"].as_str().unwrap().to_owned();
        let mut fields = Vec::new();
        for f in facts["body"].as_sequence().unwrap() {
            let name = f["name"].as_str().unwrap();
            let value = match name {
                "sign" => continue,
                "return_code" | "result_code" => "SUCCESS".to_owned(),
                // A sign type the facts do not enumerate: the default one.
                "sign_type" | "algorithm" if f["enum"].is_null() => "MD5".to_owned(),
                // An enum's first value; otherwise `1`, which every text field holds and every
                // amount or count field reads (APIv2 fields are all text on the wire).
                _ => match f["enum"].as_sequence().and_then(|e| e.first()) {
                    Some(serde_yaml::Value::String(v)) => v.clone(),
                    _ => "1".to_owned(),
                },
            };
            // A numbered list (`coupon_type_$n`): its first element.
            fields.push((name.replace("$n", "0"), value));
        }
        let inner = &facts["inner"];
        let inner_fields: Vec<(String, String)> = inner["fields"]
            .as_sequence()
            .map(|fs| {
                fs.iter()
                    .map(|f| (f["name"].as_str().unwrap().to_owned(), "1".to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(carrier) = inner["carried_in"].as_str() {
            let value = match (inner["kind"].as_str(), carrier) {
                (Some("json"), _) => example_object(inner["fields"].as_sequence().unwrap()).to_string(),
                (_, "req_info") => encrypt_req_info(&inner_fields, key_text),
                _ => aes_gcm_placeholder(),
            };
            if let Some(slot) = fields.iter_mut().find(|(n, _)| n == carrier) {
                slot.1 = value;
            }
        }
        let hmac = fields
            .iter()
            .any(|(n, v)| (n == "sign_type" || n == "algorithm") && v == "HMAC-SHA256");
        let sign = wechatpay_sandbox::v2::sign(&fields, key_text, hmac);
        let mut signed = fields.clone();
        signed.push(("sign".into(), sign));
        let body: String = signed
            .iter()
            .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
            .collect();
        let body = format!("<xml>{body}</xml>").into_bytes();
        fn back<T: XmlObject>(t: &T) -> Vec<(String, String)> {
            let mut out = Vec::new();
            t.write_fields(&mut out);
            out.into_iter().map(|f| (f.name, f.value)).collect()
        }
        let written = match page.as_str() {
            "transaction-success" => back(&v2::payment_result(&body, &key).unwrap()),
            "refund-processed" => back(&v2::refund_result(&body, &key).unwrap()),
            "pap-contract-state-changed" => back(&v2::contract_change(&body, &key).unwrap()),
            "combined-transactions-success" => back(&v2::combine_payment_result(&body, &key).unwrap()),
            "vehicle-state-changed-for-parking" => back(&v2::vehicle_state_change(&body, &key).unwrap()),
            "transactions-risk-occurred" => back(&v2::risk_transactions(&body, &key).unwrap()),
            _ => {
                // Checked, and its fields as received (the event stays encrypted).
                let read = v2::signed_notification(&body, &key).unwrap_or_else(|e| panic!("{page}: {e}"));
                assert!(read.iter().any(|(n, _)| n == "event_ciphertext"), "{page}");
                raw += 1;
                continue;
            }
        };
        // Every field of the page but the protocol's own is written back as it came (a refund's:
        // the decrypted req_info's).
        let protocol = [
            "sign",
            "sign_type",
            "algorithm",
            "nonce_str",
            "return_code",
            "return_msg",
            "req_info",
        ];
        let sent: Vec<&(String, String)> = if page == "refund-processed" {
            inner_fields.iter().collect()
        } else {
            fields.iter().filter(|(n, _)| !protocol.contains(&n.as_str())).collect()
        };
        let lost: Vec<String> = sent
            .into_iter()
            .map(|(name, value)| (name.clone(), value))
            .filter(|(name, value)| written.iter().find(|(n, _)| n == name).map(|(_, v)| v) != Some(value))
            .map(|(name, _)| name)
            .collect();
        assert!(lost.is_empty(), "{page}: not written back as sent: {lost:?}");
        typed += 1;
    }
    println!("APIv2 pages: {typed} typed, {raw} checked and read raw (their event AES-GCM encrypted)");
    assert_eq!((typed, raw), (6, 4));
}

/// A stand-in for an AES-GCM event ciphertext (base64), which these pages are read without.
fn aes_gcm_placeholder() -> String {
    "c2VjcmV0".to_owned()
}

/// A refund notification's `req_info` as WeChat Pay makes it: the `<root>` XML of `fields`,
/// AES-256-ECB (PKCS#7) under the lower-case hex MD5 of the APIv2 key, base64; by the `openssl`
/// command line.
fn encrypt_req_info(fields: &[(String, String)], key: &str) -> String {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, key).unwrap();
    let md5 = Command::new("openssl")
        .args(["dgst", "-md5", "-r"])
        .arg(&key_file)
        .output()
        .unwrap();
    let md5 = String::from_utf8(md5.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let hex: String = md5.bytes().map(|b| format!("{b:02x}")).collect();
    let plain = dir.path().join("plain");
    let xml: String = fields
        .iter()
        .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
        .collect();
    std::fs::write(&plain, format!("<root>{xml}</root>")).unwrap();
    let out = Command::new("openssl")
        .args(["enc", "-aes-256-ecb", "-K", &hex, "-base64", "-A", "-in"])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}
