//! Building one request: the query, headers and body of a call, before it is signed.
//!
//! Generic functions here are one-liners; the work happens in non-generic functions so ~1000
//! generated operations do not each instantiate the HTTP path.

use crate::error::RequestProblem;
use std::fmt::{self, Display};

use percent_encoding::utf8_percent_encode;
use reqwest::Method;

use super::client::Client;
use super::encoding::ENCODE;
use super::error::Error;
use super::json_text::JsonText;
use super::upload::{MetaObject, Multipart, Upload};

/// The parts of a request before it is signed.
pub(crate) struct Parts {
    pub(crate) method: Method,
    pub(crate) path: String,
    /// The path template (`/v3/pay/transactions/id/{transaction_id}`, see [`Route::template`](crate::Route::template)).
    pub(crate) operation: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) error: Option<Error>,
    /// A `multipart/form-data` upload (then `body` is `None`).
    pub(crate) multipart: Option<Box<Multipart>>,
    /// Extra text parts of the upload, after `meta`.
    pub(crate) form_fields: Vec<(&'static str, String)>,
    pub(crate) origin: Origin,
    pub(crate) response_signature: ResponseSignature,
    /// What this call changes of the client's settings (see [`Call`](crate::Call)'s methods).
    pub(crate) options: CallOptions,
}

/// The per-call settings of a [`Call`](crate::Call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CallOptions {
    /// The whole-request timeout of each attempt, in place of the client's.
    pub(crate) timeout: Option<std::time::Duration>,
    /// The retries, in place of the client's.
    pub(crate) retries: Option<u32>,
    /// Whether sending the request twice is harmless (see [`Call::idempotent`](crate::Call::idempotent)).
    pub(crate) idempotent: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            timeout: None,
            retries: None,
            idempotent: true,
        }
    }
}

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The client's base URL.
    Client,
    /// The host the API description names for this operation (`x-base-uri`): used only when
    /// the client has the default base URL.
    Spec(&'static str),
    /// The scheme and authority of an absolute URL (a bill's `download_url`).
    Absolute(String),
}

/// How a 2xx response is authenticated; the generated code says which, from the API
/// description.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseSignature {
    /// The usual: `Wechatpay-Signature` over `TIMESTAMP\nNONCE\nBODY\n`, checked before the
    /// body is used.
    #[default]
    Body,
    /// Unsigned by design (bill and other file downloads, image downloads): no signature is
    /// required or checked. Never set this on anything else.
    None,
    /// Statements (`/hk/v3/statements`, `/v3/global/statements`): the signature covers
    /// `{"sha1":"<Wechatpay-Statement-Sha1>"}` and the file's SHA-1 must equal that header
    /// (checked when the file has been read; a mismatch is [`Error::DigestMismatch`]).
    StatementSha1,
}

impl Parts {
    pub(crate) fn new(method: Method, path: String, query: String) -> Self {
        Parts {
            method,
            // Set by the route (its template), or to the path of an absolute URL.
            operation: String::new(),
            path,
            query,
            headers: Vec::new(),
            body: None,
            error: None,
            multipart: None,
            form_fields: Vec::new(),
            origin: Origin::Client,
            response_signature: ResponseSignature::Body,
            options: CallOptions::default(),
        }
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    pub(crate) fn needs_io(&self) -> bool {
        self.error.is_none() && self.multipart.as_ref().is_some_and(|m| m.needs_io())
    }
}

/// A request being built: query parameters, headers, body. Finish with
/// [`send_json`](Request::send_json) or [`send_empty`](Request::send_empty).
pub struct Request {
    pub(crate) client: Client,
    pub(crate) parts: Parts,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.parts.method)
            .field("path", &self.parts.path)
            .field("query", &self.parts.query)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// Appends a query parameter `name=value`, both percent-encoded, in call order.
    pub fn query<V: Display + ?Sized>(mut self, name: &'static str, value: &V) -> Self {
        push_query(&mut self.parts.query, name, &value.to_string());
        self
    }

    /// Appends a query parameter when `value` is `Some`.
    pub fn query_opt<V: Display>(self, name: &'static str, value: Option<&V>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Appends a query parameter whose value is the JSON text of `value`
    /// (`partner={"type":"APPID"}`, percent-encoded); a serialisation error is returned when
    /// the call runs.
    pub fn query_json<V: serde::Serialize>(mut self, name: &'static str, value: &JsonText<V>) -> Self {
        match serde_json::to_string(&value.0) {
            Ok(text) => push_query(&mut self.parts.query, name, &text),
            Err(e) => self.parts.fail(Error::Encode(e)),
        }
        self
    }

    /// [`query_json`](Self::query_json) when `value` is `Some`.
    pub fn query_json_opt<V: serde::Serialize>(self, name: &'static str, value: Option<&JsonText<V>>) -> Self {
        match value {
            Some(value) => self.query_json(name, value),
            None => self,
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.parts.headers.push((name, value.to_owned()));
        self
    }

    /// Adds a request header when `value` is `Some`.
    pub fn header_opt(self, name: &'static str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.header(name, value),
            None => self,
        }
    }

    /// Appends the query parameter `name`: `value`, or what the client fills it in with when
    /// the caller left it out ([`Fill`](crate::Fill)).
    pub fn query_filled(mut self, name: &'static str, fill: crate::Fill, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => match self.client.filled(fill, name) {
                Ok(value) => {
                    push_query(&mut self.parts.query, name, value);
                    self
                }
                Err(e) => {
                    self.parts.fail(e);
                    self
                }
            },
        }
    }

    /// Adds the key `name` to the JSON object body with what the client fills it in with, when
    /// the caller left the field out (`absent`; [`Fill`](crate::Fill)). Call it after
    /// [`json`](Self::json).
    pub fn fill(mut self, name: &'static str, fill: crate::Fill, absent: bool) -> Self {
        if !absent {
            return self;
        }
        let value = match self.client.filled(fill, name) {
            Ok(value) => value,
            Err(e) => {
                self.parts.fail(e);
                return self;
            }
        };
        if let Some(body) = self.parts.body.as_mut() {
            insert_first_key(body, name, value);
        }
        self
    }

    /// Serialises `body` as the JSON request body now; a serialisation error is returned when
    /// the call runs.
    pub fn json<B: serde::Serialize + ?Sized>(self, body: &B) -> Self {
        self.json_result(serde_json::to_vec(body))
    }

    fn json_result(mut self, body: Result<Vec<u8>, serde_json::Error>) -> Self {
        match body {
            Ok(bytes) => self.parts.body = Some(bytes),
            Err(e) => self.parts.fail(Error::Encode(e)),
        }
        self
    }

    /// Appends a query parameter whose value is a list: each value percent-encoded, joined
    /// with `,` (`name=a,b%20c`), the form WeChat Pay uses for list parameters. An empty list
    /// sends nothing.
    pub fn query_list<V: Display>(mut self, name: &'static str, values: &[V]) -> Self {
        let values: Vec<String> = values.iter().map(ToString::to_string).collect();
        push_query_list(&mut self.parts.query, name, &values);
        self
    }

    /// [`query_list`](Self::query_list) when `values` is `Some`.
    pub fn query_list_opt<V: Display>(self, name: &'static str, values: Option<&Vec<V>>) -> Self {
        match values {
            Some(values) => self.query_list(name, values),
            None => self,
        }
    }

    /// Sends the request as `multipart/form-data`: a part `meta` (`application/json`, the
    /// JSON of `meta`) and the file as the part named `file_part` (usually `"file"`).
    ///
    /// The request signature covers the exact `meta` JSON only, as WeChat Pay requires.
    /// `meta` must serialise to a JSON object (a struct or a map); the runtime fills in,
    /// where the value is absent, `null` or `""`:
    /// * the file's SHA-256 (lower-case hex) into `sha256`, or `file_digest` when that is the
    ///   name the meta uses;
    /// * the file name into `filename`, or `file_name`.
    ///
    /// A struct (the generated meta types, whose optional fields are skipped when `None`) gets
    /// only the fields it declares; a map (`json!({})`) that has neither name gets `sha256` /
    /// `filename`.
    ///
    /// The file is read when the request is sent (see [`Upload`]).
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::runtime::{Method, Upload};
    /// let png = std::fs::read("logo.png").unwrap();
    /// let answer: serde_json::Value = client
    ///     .chain("v3/merchant/media/upload")
    ///     .request(Method::POST)
    ///     .multipart(&serde_json::json!({}), "file", Upload::from_bytes("logo.png", png))
    ///     .send_json()
    ///     .await?;
    /// println!("media_id {}", answer["media_id"]);
    /// # Ok(()) }
    /// ```
    pub fn multipart<M: serde::Serialize + ?Sized>(self, meta: &M, file_part: &'static str, file: Upload) -> Self {
        self.multipart_inner(MetaObject::from_serialize(meta), file_part, file)
    }

    fn multipart_inner(
        mut self,
        meta: Result<MetaObject, serde_json::Error>,
        file_part: &'static str,
        file: Upload,
    ) -> Self {
        match meta {
            Ok(meta) => self.parts.multipart = Some(Box::new(Multipart { meta, file_part, file })),
            Err(e) => self
                .parts
                .fail(Error::request(RequestProblem::Malformed, format!("upload meta: {e}"))),
        }
        self
    }

    /// Adds a text part to a [`multipart`](Self::multipart) upload (after `meta`, before the
    /// file). Without `multipart` the call fails with [`Error::InvalidRequest`].
    pub fn form_field(mut self, name: &'static str, value: &dyn Display) -> Self {
        self.parts.form_fields.push((name, value.to_string()));
        self
    }

    /// [`form_field`](Self::form_field) when `value` is `Some`.
    pub fn form_field_opt<V: Display>(self, name: &'static str, value: Option<&V>) -> Self {
        match value {
            Some(value) => self.form_field(name, value),
            None => self,
        }
    }

    /// The host the API description names for this operation (`x-base-uri`), e.g.
    /// `https://apihk.mch.weixin.qq.com`. It is used only while the client has the default base
    /// URL ([`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL)); a base URL the user
    /// configured (a mock server, a proxy) wins, so everything goes where the user pointed it.
    pub fn host(mut self, base_url: &'static str) -> Self {
        self.parts.origin = Origin::Spec(base_url.trim_end_matches('/'));
        self
    }

    /// How the 2xx response is authenticated (default [`ResponseSignature::Body`]).
    pub fn response_signature(mut self, kind: ResponseSignature) -> Self {
        self.parts.response_signature = kind;
        self
    }
}

fn push_query(query: &mut String, name: &str, value: &str) {
    query.push(if query.is_empty() { '?' } else { '&' });
    query.extend(utf8_percent_encode(name, ENCODE));
    query.push('=');
    query.extend(utf8_percent_encode(value, ENCODE));
}

fn push_query_list(query: &mut String, name: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    query.push(if query.is_empty() { '?' } else { '&' });
    query.extend(utf8_percent_encode(name, ENCODE));
    query.push('=');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            query.push(',');
        }
        query.extend(utf8_percent_encode(value, ENCODE));
    }
}

/// A request to an absolute URL (a bill's `download_url`): its path and query are signed as
/// they are in the URL.
pub(crate) fn absolute_request(client: &Client, method: Method, url: &str) -> Request {
    let client = client.clone();
    let parsed = reqwest::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
    });
    let Some(parsed) = parsed else {
        let mut parts = Parts::new(method, String::new(), String::new());
        parts.fail(Error::request(
            RequestProblem::Malformed,
            format!("{url:?} is not an absolute http(s) URL"),
        ));
        return Request { client, parts };
    };
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut parts = Parts::new(method, parsed.path().to_owned(), query);
    parts.operation = parts.path.clone();
    parts.origin = Origin::Absolute(parsed.origin().ascii_serialization());
    Request { client, parts }
}

impl Parts {
    #[cfg(test)]
    pub(crate) fn for_test(method: Method, path: &str, query: &str, body: Option<&[u8]>) -> Self {
        let mut parts = Parts::new(method, path.to_owned(), query.to_owned());
        parts.operation = path.to_owned();
        parts.body = body.map(<[u8]>::to_vec);
        parts
    }
}

impl Request {
    #[cfg(test)]
    pub(crate) fn into_parts(self) -> Parts {
        self.parts
    }
}

/// Inserts `"name":"value"` as the first key of the JSON object `body` (`{…}`, as
/// `serde_json` writes a generated struct: no whitespace); anything else is left as it is.
fn insert_first_key(body: &mut Vec<u8>, name: &str, value: &str) {
    if body.first() != Some(&b'{') {
        return;
    }
    let mut entry = serde_json::to_vec(name).expect("a string serialises");
    entry.push(b':');
    entry.extend(serde_json::to_vec(value).expect("a string serialises"));
    if body.get(1) != Some(&b'}') {
        entry.push(b',');
    }
    body.splice(1..1, entry);
}

#[cfg(test)]
mod fill_tests {
    use super::insert_first_key;

    #[test]
    fn a_key_goes_first_into_an_object_empty_or_not() {
        let mut body = br#"{"a":1}"#.to_vec();
        insert_first_key(&mut body, "mchid", "1900000001");
        assert_eq!(body, br#"{"mchid":"1900000001","a":1}"#);
        let mut empty = b"{}".to_vec();
        insert_first_key(&mut empty, "mchid", "1\"2");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&empty).unwrap()["mchid"],
            "1\"2"
        );
        let mut not_an_object = b"[1]".to_vec();
        insert_first_key(&mut not_an_object, "mchid", "1");
        assert_eq!(not_an_object, b"[1]");
    }
}
