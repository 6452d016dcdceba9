//! WeChat Pay's side of request authentication: parsing the `Authorization` header and
//! verifying the merchant's signature. Written independently of the client's code.

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;

/// The only scheme WeChat Pay API v3 accepts.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The five fields of the `Authorization` header, in the order WeChat Pay documents them.
pub const FIELDS: [&str; 5] = ["mchid", "serial_no", "timestamp", "nonce_str", "signature"];

/// A parsed `Authorization: WECHATPAY2-SHA256-RSA2048 …` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The fields as they appeared, in their order on the wire.
    pub fields: Vec<(String, String)>,
}

impl Authorization {
    /// The value of one field (`"mchid"`, `"nonce_str"`, …).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The field names in their order on the wire.
    pub fn order(&self) -> Vec<&str> {
        self.fields.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Parses the header strictly: the exact scheme, one space, then `key="value"` pairs separated by
/// single commas without spaces; every one of the five fields present exactly once, no other field,
/// every value quoted and non-empty. The order of the fields is not enforced here (see
/// [`Authorization::order`]).
pub fn parse_authorization(header: &str) -> Result<Authorization, String> {
    let rest = header
        .strip_prefix(SCHEME)
        .ok_or_else(|| format!("Authorization scheme is not {SCHEME}"))?;
    let rest = rest
        .strip_prefix(' ')
        .ok_or_else(|| format!("expected one space after {SCHEME}"))?;
    let bytes = rest.as_bytes();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut i = 0usize;
    // Each iteration consumes one `key="value"` and an optional comma; bounded by the input length.
    while i < bytes.len() {
        let key_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_lowercase() || bytes[i] == b'_') {
            i += 1;
        }
        let key = &rest[key_start..i];
        if key.is_empty() {
            return Err(format!(
                "malformed Authorization parameters at byte {key_start}: expected a field name"
            ));
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(format!("Authorization field {key} is not followed by '='"));
        }
        i += 1;
        if bytes.get(i) != Some(&b'"') {
            return Err(format!("Authorization field {key} is not quoted"));
        }
        i += 1;
        let value_start = i;
        while i < bytes.len() && bytes[i] != b'"' {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(format!("Authorization field {key} has no closing quote"));
        }
        let value = &rest[value_start..i];
        i += 1; // closing quote
        if !FIELDS.contains(&key) {
            return Err(format!("unknown Authorization field {key}"));
        }
        if fields.iter().any(|(k, _)| k == key) {
            return Err(format!("duplicate Authorization field {key}"));
        }
        if value.is_empty() {
            return Err(format!("Authorization field {key} is empty"));
        }
        fields.push((key.to_string(), value.to_string()));
        match bytes.get(i) {
            None => break,
            Some(b',') => {
                i += 1;
                if i == bytes.len() {
                    return Err("trailing comma in Authorization".to_string());
                }
            }
            Some(c) => {
                return Err(format!(
                    "unexpected character {:?} after Authorization field {key}",
                    *c as char
                ))
            }
        }
    }
    for name in FIELDS {
        if !fields.iter().any(|(k, _)| k == name) {
            return Err(format!("Authorization field {name} is missing"));
        }
    }
    Ok(Authorization { fields })
}

/// What the server expects of a request's signature.
pub struct Expect<'a> {
    pub mchid: &'a str,
    pub serial_no: &'a str,
    /// SPKI or PKCS#1 DER of the merchant public key.
    pub merchant_public_key_der: &'a [u8],
    pub now: i64,
    pub max_skew: i64,
}

/// The message the merchant signs: `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`.
pub fn request_message(method: &str, target: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(method.len() + target.len() + body.len() + 64);
    m.extend_from_slice(method.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(target.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// Checks the authorization of one request; `Err` carries the reason sent back with `SIGN_ERROR`.
pub fn check(
    expect: &Expect<'_>,
    authorization: Option<&str>,
    method: &str,
    target: &str,
    signed_body: &[u8],
) -> Result<Authorization, String> {
    let header = authorization.ok_or("missing Authorization header")?;
    let auth = parse_authorization(header)?;
    let mchid = auth.get("mchid").unwrap_or_default();
    if mchid != expect.mchid {
        return Err(format!(
            "mchid {mchid:?} does not match the merchant {:?}",
            expect.mchid
        ));
    }
    let serial = auth.get("serial_no").unwrap_or_default();
    if serial != expect.serial_no {
        return Err(format!(
            "serial_no {serial:?} is not the merchant certificate serial {:?}",
            expect.serial_no
        ));
    }
    let ts_text = auth.get("timestamp").unwrap_or_default();
    if ts_text.is_empty() || ts_text.len() > 12 || !ts_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("timestamp {ts_text:?} is not Unix seconds"));
    }
    let ts: i64 = ts_text
        .parse()
        .map_err(|_| format!("timestamp {ts_text:?} is not Unix seconds"))?;
    if (expect.now - ts).abs() > expect.max_skew {
        return Err(format!(
            "timestamp {ts} is more than {} s away from the server time {}",
            expect.max_skew, expect.now
        ));
    }
    let nonce = auth.get("nonce_str").unwrap_or_default();
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("nonce_str {nonce:?} is not 32 characters from [0-9A-Za-z]"));
    }
    let sig_b64 = auth.get("signature").unwrap_or_default();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .map_err(|e| format!("signature is not standard base64: {e}"))?;
    if sig.len() != 256 {
        return Err(format!(
            "signature is {} bytes, an RSA-2048 signature is 256",
            sig.len()
        ));
    }
    let message = request_message(method, target, ts_text, nonce, signed_body);
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, expect.merchant_public_key_der)
        .verify(&message, &sig)
        .map_err(|_| format!("signature does not verify over {:?}", String::from_utf8_lossy(&message)))?;
    Ok(auth)
}

/// For `multipart/form-data` uploads WeChat Pay signs only the JSON of the `meta` part.
/// Returns that part's content, or `None` if the body has no `meta` part.
pub fn multipart_meta(content_type: &str, body: &[u8]) -> Option<Vec<u8>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary=").map(|b| b.trim_matches('"').to_string()))?;
    let delimiter = format!("--{boundary}");
    let delim = delimiter.as_bytes();
    let positions = find_all(body, delim);
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delim.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let split = find_all(part, b"\r\n\r\n").first().copied()?;
        let head = String::from_utf8_lossy(&part[..split]).to_ascii_lowercase();
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let is_meta = head.lines().any(|l| {
            l.starts_with("content-disposition:")
                && (l.contains("name=\"meta\"") || l.contains("name=meta;") || l.ends_with("name=meta"))
        });
        if is_meta {
            return Some(content.to_vec());
        }
    }
    None
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return Vec::new();
    }
    (0..=haystack.len() - needle.len())
        .filter(|&i| &haystack[i..i + needle.len()] == needle)
        .collect()
}
