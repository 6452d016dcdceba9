//! Notification parsing (issue 9, item 19): a notification as WeChat Pay would `POST` it —
//! envelope fields, an encrypted resource whose plaintext is fuzzed (from the payload examples
//! of `tests/payloads/`, mutated, or raw bytes) — verified, decrypted and decoded to the typed
//! `Resource`. Oracles: no panic; an unsigned body is never accepted; no string of the decrypted
//! plaintext appears in an error (`Display` or `Debug`).
#![no_main]

#[path = "common.rs"]
mod common;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::Engine;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const EXAMPLES: &[&str] = &[
    include_str!("../../tests/payloads/pay_direct_notify.json"),
    include_str!("../../tests/payloads/pay_partner_notify.json"),
    include_str!("../../tests/payloads/combine_notify.json"),
    include_str!("../../tests/payloads/refund_notify.json"),
    include_str!("../../tests/payloads/profitsharing_notify.json"),
    include_str!("../../tests/payloads/transfer_bills_notify.json"),
];
const EVENTS: &[&str] = &[
    "TRANSACTION.SUCCESS",
    "REFUND.SUCCESS",
    "REFUND.ABNORMAL",
    "PROFITSHARING.SUCCESS",
    "MCHTRANSFER.BILL.FINISHED",
    "COUPON.USE",
    "PAYSCORE.USER_CONFIRM",
    "COMPLAINT.CREATE",
];

#[derive(Arbitrary, Debug)]
struct Delivery {
    id: Option<String>,
    event: u8,
    event_type: Option<String>,
    resource_type: Option<String>,
    algorithm: Option<String>,
    original_type: Option<String>,
    associated_data: String,
    nonce: [u8; 12],
    /// Start from an example plaintext (index), with these byte edits; else `raw`.
    example: Option<u8>,
    edits: Vec<(u16, u8)>,
    raw: Vec<u8>,
    sign: bool,
    /// Send these bytes as the whole body instead of the envelope built here.
    body: Option<Vec<u8>>,
}

fuzz_target!(|d: Delivery| {
    let client = common::client();
    let plaintext = match d.example {
        Some(i) => {
            let mut p = EXAMPLES[usize::from(i) % EXAMPLES.len()].as_bytes().to_vec();
            for (at, byte) in &d.edits {
                let at = usize::from(*at) % p.len();
                p[at] = *byte;
            }
            p
        }
        None => d.raw.clone(),
    };
    let nonce: String = d.nonce.iter().map(|b| char::from(b'a' + b % 26)).collect();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, common::APIV3_KEY.as_bytes()).unwrap());
    let mut sealed = plaintext.clone();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce.as_bytes().try_into().unwrap()),
        Aad::from(d.associated_data.as_bytes()),
        &mut sealed,
    )
    .unwrap();
    let event_type = d.event_type.clone().unwrap_or_else(|| EVENTS[usize::from(d.event) % EVENTS.len()].into());
    let mut envelope = serde_json::json!({
        "create_time": "2026-12-01T10:00:00+08:00",
        "resource_type": d.resource_type.as_deref().unwrap_or("encrypt-resource"),
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": d.original_type.as_deref().unwrap_or(""),
            "algorithm": d.algorithm.as_deref().unwrap_or("AEAD_AES_256_GCM"),
            "ciphertext": base64::engine::general_purpose::STANDARD.encode(&sealed),
            "associated_data": d.associated_data,
            "nonce": nonce,
        }
    });
    if let Some(id) = &d.id {
        envelope["id"] = id.clone().into();
    }
    let body = d.body.clone().unwrap_or_else(|| serde_json::to_vec(&envelope).unwrap());
    let timestamp = common::now().to_string();
    let signature = if d.sign { common::platform_sign(&timestamp, "fuzz-nonce", &body) } else { "c2lnbmF0dXJl".into() };
    let headers = common::headers(&timestamp, "fuzz-nonce", &signature, common::KEY_ID, &[]);

    let mut errors = Vec::new();
    match client.handle_notification(&headers, &body) {
        Ok(event) => {
            assert!(d.sign, "an unsigned notification was accepted");
            let _ = format!("{event:?}");
            if let Err(e) = wechatpay::notifications::Resource::decode(&event) {
                errors.push(format!("{e} {e:?}"));
            }
            if let Err(e) = event.resource_json() {
                errors.push(format!("{e} {e:?}"));
            }
        }
        Err(e) => errors.push(format!("{e} {e:?}")),
    }
    // Decrypted personal data never reaches an error: no string value of the plaintext (8 bytes
    // or more, not also in the body as sent) is in any error text.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&plaintext) {
        let mut strings = Vec::new();
        collect_strings(&value, &mut strings);
        let sent = String::from_utf8_lossy(&body);
        for s in strings.iter().filter(|s| s.len() >= 8 && !sent.contains(s.as_str())) {
            for e in &errors {
                assert!(!e.contains(s.as_str()), "decrypted {s:?} in the error {e}");
            }
        }
    }
});

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(m) => m.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
