//! Notifications (callbacks) made the way WeChat Pay makes them: the resource JSON encrypted with
//! AES-256-GCM under the APIv3 key (IV = a 12-character nonce, AAD = `associated_data`,
//! `ciphertext` = base64 of ciphertext ‖ tag), the body signed with the platform key over
//! `TIMESTAMP\nNONCE\nBODY\n` and sent with the four `Wechatpay-*` headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::mock::{random_nonce, ResponseKey};
use crate::schema;
use crate::spec::Spec;
use wechatpay_model::ir::{NotificationResource, Ty};

/// A signed notification, ready to POST.
#[derive(Debug, Clone)]
pub struct Notification {
    /// `Content-Type`, `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`,
    /// `Wechatpay-Serial`, `Request-ID`.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
    /// The decrypted resource (what the merchant should get back after decryption).
    pub plaintext: Value,
}

impl Notification {
    /// The headers as `Name: value` lines (the format `wechatpay notify --headers` reads).
    pub fn headers_text(&self) -> String {
        self.headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
    }

    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Encrypts `plaintext` with AES-256-GCM under `apiv3_key` (32 bytes); returns `(nonce,
/// base64(ciphertext ‖ tag))`. The nonce is 12 random characters from `[0-9A-Za-z]`.
pub fn encrypt_resource(apiv3_key: &str, associated_data: &str, plaintext: &[u8]) -> Result<(String, String), String> {
    let nonce: String = random_nonce().chars().take(12).collect();
    let ciphertext = encrypt_with_nonce(apiv3_key, &nonce, associated_data, plaintext)?;
    Ok((nonce, ciphertext))
}

/// Like [`encrypt_resource`] with a given 12-byte nonce.
pub fn encrypt_with_nonce(
    apiv3_key: &str,
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String, String> {
    if apiv3_key.len() != 32 {
        return Err(format!("the APIv3 key must be 32 bytes, got {}", apiv3_key.len()));
    }
    let nonce_bytes: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| format!("the nonce must be 12 bytes, got {}", nonce.len()))?;
    let key =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, apiv3_key.as_bytes()).map_err(|_| "bad AES key".to_string())?);
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce_bytes),
        Aad::from(associated_data.as_bytes()),
        &mut data,
    )
    .map_err(|_| "AES-256-GCM encryption failed".to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(data))
}

/// `(resource_type original_type, associated_data, summary)` for an event type.
fn event_names(event_type: &str) -> (&'static str, &'static str, String) {
    match event_type {
        "TRANSACTION.SUCCESS" => ("transaction", "transaction", "支付成功".into()),
        "REFUND.SUCCESS" => ("refund", "refund", "退款成功".into()),
        "REFUND.ABNORMAL" => ("refund", "refund", "退款异常".into()),
        "REFUND.CLOSED" => ("refund", "refund", "退款关闭".into()),
        e if e.starts_with("TRANSACTION.") => ("transaction", "transaction", e.to_string()),
        e if e.starts_with("REFUND.") => ("refund", "refund", e.to_string()),
        e if e.starts_with("MCHTRANSFER.") => ("mch_payment", "mch_payment", "商家转账单据终态通知".into()),
        e => ("resource", "resource", e.to_string()),
    }
}

/// A sample decrypted resource for an event, from the spec: `TRANSACTION.SUCCESS` → the
/// transaction (query response) with `trade_state` SUCCESS; `REFUND.*` → the refund with
/// `refund_status` SUCCESS / ABNORMAL / CLOSED; any other event type a notification file of the
/// spec names → an example of its resource (every field, one element in each array); an event
/// type no file names → `{}`.
pub fn sample_resource(spec: &Spec, event_type: &str, mchid: &str) -> Value {
    let from = |url: &str| {
        spec.operation("GET", url)
            .and_then(|op| schema::example_response(spec, op))
            .unwrap_or_else(|| json!({}))
    };
    if event_type == "TRANSACTION.SUCCESS" {
        let mut v = from("/v3/pay/transactions/id/{transaction_id}");
        if let Some(map) = v.as_object_mut() {
            map.insert("mchid".into(), json!(mchid));
            map.insert("trade_state".into(), json!("SUCCESS"));
        }
        v
    } else if let Some(status) = ["SUCCESS", "ABNORMAL", "CLOSED"]
        .into_iter()
        .find(|s| event_type.strip_prefix("REFUND.") == Some(s))
    {
        let mut v = from("/v3/refund/domestic/refunds/{out_refund_no}");
        if let Some(map) = v.as_object_mut() {
            map.insert("mchid".into(), json!(mchid));
            map.insert("status".into(), json!(status));
            map.insert("refund_status".into(), json!(status));
        }
        v
    } else {
        notification_example(spec, event_type).unwrap_or_else(|| json!({}))
    }
}

/// An example of the resource of the notification file that names `event_type`.
fn notification_example(spec: &Spec, event_type: &str) -> Option<Value> {
    let n = spec
        .api
        .notifications
        .iter()
        .find(|n| n.events.iter().any(|e| e == event_type))?;
    match &n.resource {
        NotificationResource::Own(types) => {
            let root = types.iter().find(|t| t.name == n.name)?;
            Some(schema::example(
                schema::Types::notification(spec, types),
                &Ty::Local(root.name.clone()),
                None,
            ))
        }
        NotificationResource::SameAs { operation, .. } => {
            let (method, url) = operation.split_once(' ')?;
            schema::example_response(spec, spec.operation(method, url)?)
        }
    }
}

/// Makes a notification of `event_type` carrying `plaintext`: encrypted with `apiv3_key`,
/// signed with `key` (announced as its serial), timestamped now.
pub fn make_notification(
    key: &ResponseKey,
    apiv3_key: &str,
    event_type: &str,
    plaintext: &Value,
) -> Result<Notification, String> {
    let (original_type, associated_data, summary) = event_names(event_type);
    let plain = serde_json::to_vec(plaintext).map_err(|e| e.to_string())?;
    let (nonce, ciphertext) = encrypt_resource(apiv3_key, associated_data, &plain)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let body = json!({
        "id": uuid_like(),
        "create_time": rfc3339_beijing(now),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": associated_data,
            "nonce": nonce,
        }
    });
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let sign_nonce = random_nonce();
    let mut message = format!("{now}\n{sign_nonce}\n").into_bytes();
    message.extend_from_slice(&body);
    message.push(b'\n');
    let signature = key.sign_base64(&message);
    Ok(Notification {
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Wechatpay-Timestamp".into(), now.to_string()),
            ("Wechatpay-Nonce".into(), sign_nonce),
            ("Wechatpay-Signature".into(), signature),
            ("Wechatpay-Serial".into(), key.serial().to_string()),
            ("Wechatpay-Signature-Type".into(), "WECHATPAY2-SHA256-RSA2048".into()),
            ("Request-ID".into(), uuid_like()),
        ],
        body,
        plaintext: plaintext.clone(),
    })
}

/// POSTs the notification to `url` (10 s timeout); returns the status and the answer body.
/// The merchant is expected to answer 200 or 204.
pub async fn send_notification(url: &str, notification: &Notification) -> Result<(u16, String), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/4.0 (wechatpay-sandbox; TEST ONLY)")
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client.post(url).body(notification.body.clone());
    for (k, v) in &notification.headers {
        request = request.header(k, v);
    }
    let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok((status, text))
}

fn uuid_like() -> String {
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw).expect("rand");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The real clock, Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

/// `2018-06-08T10:34:56+08:00` for Unix seconds (Beijing time, as WeChat Pay writes it).
/// `yyyy-MM-dd HH:mm:ss`, Beijing time: the bills' and APIv2's way of writing a time.
pub fn beijing_time(unix: i64) -> String {
    let text = rfc3339_beijing(unix);
    format!("{} {}", &text[..10], &text[11..19])
}

pub fn rfc3339_beijing(unix: i64) -> String {
    let t = unix + 8 * 3600;
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339_beijing(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339_beijing(1_528_425_296), "2018-06-08T10:34:56+08:00");
        assert_eq!(rfc3339_beijing(951_782_400), "2000-02-29T08:00:00+08:00");
    }

    #[test]
    fn encryption_round_trips_with_aws_lc() {
        let key = crate::keys::APIV3_KEY;
        let ct = encrypt_with_nonce(key, "0123456789ab", "transaction", b"{\"a\":1}").unwrap();
        let mut data = base64::engine::general_purpose::STANDARD.decode(ct).unwrap();
        let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).unwrap());
        let plain = k
            .open_in_place(
                Nonce::assume_unique_for_key(*b"0123456789ab"),
                Aad::from(&b"transaction"[..]),
                &mut data,
            )
            .unwrap();
        assert_eq!(plain, b"{\"a\":1}");
        assert!(encrypt_with_nonce("short", "0123456789ab", "", b"").is_err());
    }
}
