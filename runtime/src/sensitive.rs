//! Sensitive fields: RSAES-OAEP (SHA-1, MGF1-SHA-1, empty label) encryption of request fields
//! with the WeChat Pay public key (or platform certificate), and decryption of response fields
//! encrypted to the merchant.
//!
//! Generated operations whose body has `sensitive: true` fields call
//! [`Request::encrypt_sensitive`] right after `.json(request)`; the request then carries
//! `Wechatpay-Serial` naming the key used, as the platform requires.

use crate::error::{ConfigProblem, DecryptProblem, RequestProblem, Setting};
use std::fmt;

use base64::Engine as _;

use super::client::Client;
use super::crypto::{self, VerifyKey, B64};
use super::error::Error;
use super::request::Request;

/// A value encrypted for WeChat Pay, and the key it was encrypted with.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SensitiveCiphertext {
    /// base64 of the RSA-OAEP ciphertext: put it in the request body instead of the plaintext.
    pub ciphertext: String,
    /// The id of the WeChat Pay public key (`PUB_KEY_ID_…`) or the platform certificate serial
    /// used: send it as the `Wechatpay-Serial` request header.
    pub serial: String,
}

impl fmt::Debug for SensitiveCiphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SensitiveCiphertext")
            .field("ciphertext_len", &self.ciphertext.len())
            .field("serial", &self.serial)
            .finish()
    }
}

fn no_key_error() -> Error {
    Error::config(
        ConfigProblem::Missing,
        Setting::WechatpayPublicKey,
        "no key to encrypt sensitive fields with: configure a WeChat Pay public key \
         (wechatpay_public_key) or a platform certificate that is valid now",
    )
}

impl Client {
    /// The key sensitive fields are encrypted with right now, if any: the configured WeChat Pay
    /// public key (preferred; the one configured last), else the newest platform certificate
    /// valid now.
    pub(crate) fn sensitive_key(&self) -> Result<std::sync::Arc<VerifyKey>, Error> {
        let keys = self.inner.verifier.snapshot();
        keys.encryption_key(crypto::unix_now())
            .cloned()
            .ok_or_else(no_key_error)
    }

    /// The id (`PUB_KEY_ID_…`) or certificate serial of the key sensitive fields are encrypted
    /// with now (what goes into `Wechatpay-Serial`), `None` when no key can encrypt.
    pub fn sensitive_key_serial(&self) -> Option<String> {
        self.sensitive_key().ok().map(|k| k.id.clone())
    }

    /// Encrypts one sensitive value for a request body built by hand: RSAES-OAEP with SHA-1
    /// and MGF1-SHA-1, empty label, with the WeChat Pay public key (preferred) or the newest
    /// valid platform certificate; base64. Send `serial` as the `Wechatpay-Serial` header.
    ///
    /// Each call produces a different ciphertext (OAEP is randomised). Requests built with
    /// [`Client::chain`] can use [`Request::encrypt_sensitive`] instead.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let name = client.encrypt_sensitive_value("张三")?;
    /// let body = serde_json::json!({"name": name.ciphertext});
    /// // … .header("Wechatpay-Serial", &name.serial).json(&body) …
    /// # let _ = body; Ok(()) }
    /// ```
    pub fn encrypt_sensitive_value(&self, plaintext: &str) -> Result<SensitiveCiphertext, Error> {
        let key = self.sensitive_key()?;
        Ok(SensitiveCiphertext {
            ciphertext: key.encrypt_oaep(plaintext.as_bytes())?,
            serial: key.id.clone(),
        })
    }

    /// Decrypts a sensitive field of a response that WeChat Pay encrypted to the merchant
    /// (RSAES-OAEP SHA-1 with the merchant public key): base64 in, UTF-8 text out.
    ///
    /// Needs the merchant private key in this process ([`ClientBuilder::private_key_pem`] or
    /// [`ClientBuilder::private_key_file`]); with a custom [`Signer`](crate::Signer) that does
    /// not implement [`Signer::decrypt_oaep`](crate::Signer::decrypt_oaep) (a remote signing
    /// service) it fails with [`Error::Config`]. A ciphertext that is not base64, not for this
    /// key, or damaged is an [`Error::Decrypt`].
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client, encrypted_name: &str) -> Result<(), wechatpay::Error> {
    /// let name: String = client.decrypt_sensitive(encrypted_name)?;
    /// # let _ = name; Ok(()) }
    /// ```
    ///
    /// [`ClientBuilder::private_key_pem`]: crate::ClientBuilder::private_key_pem
    /// [`ClientBuilder::private_key_file`]: crate::ClientBuilder::private_key_file
    pub fn decrypt_sensitive(&self, ciphertext_b64: &str) -> Result<String, Error> {
        let ciphertext = B64.decode(ciphertext_b64.trim()).map_err(|e| {
            Error::decrypt(
                DecryptProblem::Malformed,
                format!("the sensitive field is not base64: {e}"),
            )
        })?;
        let plain = self.inner.signer.decrypt_oaep(&ciphertext)?;
        String::from_utf8(plain)
            .map_err(|_| Error::decrypt(DecryptProblem::Malformed, "the decrypted sensitive field is not UTF-8"))
    }
}

impl Request {
    /// Encrypts the sensitive fields of the JSON body set by [`Request::json`] and adds the
    /// `Wechatpay-Serial` header naming the key used.
    ///
    /// Each pointer is a JSON pointer (RFC 6901) into the body, where a `*` segment matches
    /// every element of an array: `/contact_info/mobile`, `/ubo_info_list/*/ubo_id_doc_name`.
    /// Every string found is replaced by base64 RSAES-OAEP (SHA-1, MGF1-SHA-1, empty label)
    /// with the WeChat Pay public key (preferred) or the newest valid platform certificate;
    /// absent and `null` values are skipped; any other value is an error. All fields of one
    /// request use the same key. The order of the body's fields is kept.
    ///
    /// When a value needs encrypting and no key can encrypt, or a value is not a string, the
    /// call fails when it runs ([`Error::Config`] / [`Error::InvalidRequest`]) and nothing is
    /// sent.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::Method;
    /// let body = serde_json::json!({"contact_info": {"name": "张三", "mobile": "13800000000"}});
    /// let answer: serde_json::Value = client
    ///     .chain("v3/applyment4sub/applyment/")
    ///     .request(Method::POST)
    ///     .json(&body)
    ///     .encrypt_sensitive(&["/contact_info/name", "/contact_info/mobile"])
    ///     .send_json()
    ///     .await?;
    /// # let _ = answer; Ok(()) }
    /// ```
    pub fn encrypt_sensitive(mut self, pointers: &'static [&'static str]) -> Self {
        if self.parts.error.is_some() || pointers.is_empty() {
            return self;
        }
        let Some(body) = self.parts.body.as_deref() else {
            return self;
        };
        match encrypt_body(&self.client, body, pointers) {
            Ok(None) => {}
            Ok(Some((new_body, serial))) => {
                self.parts.body = Some(new_body);
                self.parts
                    .headers
                    .retain(|(name, _)| !name.eq_ignore_ascii_case("wechatpay-serial"));
                self.parts.headers.push(("Wechatpay-Serial", serial));
            }
            Err(e) => self.parts.error = Some(e),
        }
        self
    }
}

/// Encrypts the strings at `pointers`; `None` when the body has no value to encrypt.
fn encrypt_body(client: &Client, body: &[u8], pointers: &[&str]) -> Result<Option<(Vec<u8>, String)>, Error> {
    let mut value: Json = serde_json::from_slice(body).map_err(|e| {
        Error::request(
            RequestProblem::Internal,
            format!("cannot encrypt sensitive fields: the body is not JSON: {e}"),
        )
    })?;
    let mut paths: Vec<Vec<String>> = Vec::with_capacity(pointers.len());
    for pointer in pointers {
        paths.push(parse_pointer(pointer)?);
    }
    // Collect every string slot first (with its pointer for error messages).
    let mut errors = Vec::new();
    for (path, pointer) in paths.iter().zip(pointers) {
        collect(&mut value, path, pointer, &mut errors);
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    let mut targets: Vec<&mut String> = Vec::new();
    collect_strings(&mut value, &paths, &mut targets);
    if targets.is_empty() {
        return Ok(None);
    }
    let key = client.sensitive_key()?;
    for slot in targets {
        *slot = key.encrypt_oaep(slot.as_bytes())?;
    }
    let bytes = serde_json::to_vec(&value).map_err(Error::Encode)?;
    Ok(Some((bytes, key.id.clone())))
}

/// Splits a JSON pointer into unescaped segments.
fn parse_pointer(pointer: &str) -> Result<Vec<String>, Error> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer.strip_prefix('/').ok_or_else(|| {
        Error::request(
            RequestProblem::Sensitive,
            format!("sensitive field pointer {pointer:?} must start with '/'"),
        )
    })?;
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Checks that every value a pointer reaches is a string or null.
fn collect(value: &mut Json, path: &[String], pointer: &str, errors: &mut Vec<Error>) {
    match path.split_first() {
        None => match value {
            Json::String(_) | Json::Null => {}
            other => errors.push(Error::request(
                RequestProblem::Sensitive,
                format!("sensitive field {pointer} is {}, expected a string", other.kind()),
            )),
        },
        Some((head, tail)) => match value {
            Json::Object(members) => {
                for (_, v) in members.iter_mut().filter(|(k, _)| k == head) {
                    collect(v, tail, pointer, errors);
                }
            }
            Json::Array(items) if head == "*" => {
                for item in items {
                    collect(item, tail, pointer, errors);
                }
            }
            Json::Array(items) => {
                if let Some(item) = head.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    collect(item, tail, pointer, errors);
                }
            }
            _ => {}
        },
    }
}

/// The string slots reached by any of `paths` (each slot once).
fn collect_strings<'v>(value: &'v mut Json, paths: &[Vec<String>], out: &mut Vec<&'v mut String>) {
    // A path ends here: this value is a target.
    if paths.iter().any(|p| p.is_empty()) {
        if let Json::String(s) = value {
            out.push(s);
        }
        return;
    }
    match value {
        Json::Object(members) => {
            for (k, v) in members.iter_mut() {
                let next: Vec<Vec<String>> = paths.iter().filter(|p| p[0] == *k).map(|p| p[1..].to_vec()).collect();
                if !next.is_empty() {
                    collect_strings(v, &next, out);
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let next: Vec<Vec<String>> = paths
                    .iter()
                    .filter(|p| p[0] == "*" || p[0].parse::<usize>().ok() == Some(i))
                    .map(|p| p[1..].to_vec())
                    .collect();
                if !next.is_empty() {
                    collect_strings(item, &next, out);
                }
            }
        }
        _ => {}
    }
}

/// A JSON value that keeps the order of object members (the crate's `serde_json` does not),
/// so the body is sent with its fields in the order they were serialised.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<Vec<String>> {
        p.iter().map(|p| parse_pointer(p).unwrap()).collect()
    }

    #[test]
    fn ordered_json_round_trips_exactly() {
        let text = r#"{"z":1,"a":[true,null,-5,1.5,{"y":"x","b":"\u00e9\n"}],"m":18446744073709551615}"#;
        let v: Json = serde_json::from_str(text).unwrap();
        let back = serde_json::to_string(&v).unwrap();
        assert_eq!(
            back,
            r#"{"z":1,"a":[true,null,-5,1.5,{"y":"x","b":"é\n"}],"m":18446744073709551615}"#
        );
    }

    #[test]
    fn pointers_reach_nested_fields_and_every_array_element() {
        let mut v: Json = serde_json::from_str(
            r#"{"contact_info":{"mobile":"138","name":"n"},"ubo_info_list":[{"ubo_id_doc_name":"a"},{"ubo_id_doc_name":"b"},{"other":"c"}],"a/b":{"~":"t"},"n":null}"#,
        )
        .unwrap();
        let p = paths(&[
            "/contact_info/mobile",
            "/ubo_info_list/*/ubo_id_doc_name",
            "/a~1b/~0",
            "/n",
            "/missing/x",
        ]);
        let mut out = Vec::new();
        collect_strings(&mut v, &p, &mut out);
        let found: Vec<String> = out.iter().map(|s| s.to_string()).collect();
        assert_eq!(found, ["138", "a", "b", "t"]);
        // Index segments, and two pointers reaching the same slot count it once.
        let mut out = Vec::new();
        collect_strings(
            &mut v,
            &paths(&["/ubo_info_list/1/ubo_id_doc_name", "/ubo_info_list/*/ubo_id_doc_name"]),
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert!(parse_pointer("contact_info").is_err());
    }

    #[test]
    fn non_string_values_are_rejected() {
        let mut v: Json = serde_json::from_str(r#"{"a":{"b":5},"l":[{"x":"s"},{"x":{"y":1}}]}"#).unwrap();
        let mut errors = Vec::new();
        collect(&mut v, &parse_pointer("/a/b").unwrap(), "/a/b", &mut errors);
        collect(&mut v, &parse_pointer("/l/*/x").unwrap(), "/l/*/x", &mut errors);
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("/a/b is a number"), "{messages:?}");
        assert!(messages[1].contains("/l/*/x is an object"), "{messages:?}");
    }
}
