//! Building, signing, sending and verifying one request.
//!
//! Generic functions here are one-liners; the work happens in non-generic functions so ~1000
//! generated operations do not each instantiate the HTTP path.

use std::fmt::{self, Display, Write as _};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_lc_rs::digest;
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;

use super::client::{Client, Inner, DEFAULT_BASE_URL};
use super::crypto::{self, SignatureHeaders};
use super::download::Download;
use super::error::{Error, VerificationError};
use super::json_text::JsonText;
use super::upload::{hex, MetaObject, Multipart, Upload};

/// Everything except the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes `value` once (everything except `A-Z a-z 0-9 - . _ ~`), as path parameters
/// and query names/values are sent.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, ENCODE).to_string()
}

/// A URL path being built, segment by segment, relative to the client's base URL.
pub struct Route<'a> {
    client: &'a Client,
    path: String,
    error: Option<String>,
}

impl fmt::Debug for Route<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<'a> Route<'a> {
    /// An empty path.
    pub fn new(client: &'a Client) -> Self {
        Route {
            client,
            path: String::new(),
            error: None,
        }
    }

    pub(crate) fn with_path(client: &'a Client, path: &str) -> Self {
        let mut full = String::with_capacity(path.len() + 1);
        if !path.starts_with('/') {
            full.push('/');
        }
        full.push_str(path);
        Route {
            client,
            path: full,
            error: None,
        }
    }

    /// Appends `/` and a literal segment (used as is).
    pub fn push(mut self, segment: &'static str) -> Self {
        self.path.push('/');
        self.path.push_str(segment);
        self
    }

    /// Appends `/` and a parameter value, percent-encoded once (never case-converted).
    ///
    /// An empty value, `.` or `..` would change which resource is addressed; the call then
    /// fails with [`Error::InvalidRequest`] without sending anything.
    pub fn push_param(mut self, value: &dyn Display) -> Self {
        push_param_inner(&mut self, &value.to_string());
        self
    }

    /// The path built so far (e.g. `/v3/pay/transactions/id/4200…`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Starts a request with `method` to this path.
    pub fn request(self, method: Method) -> Request<'a> {
        // A query written into an untyped `chain("v3/x?a=1")` path is kept, and later
        // `.query(…)` calls append to it with `&`.
        let mut path = self.path;
        let query = match path.find('?') {
            Some(i) => path.split_off(i),
            None => String::new(),
        };
        let mut parts = Parts::new(method, path, query);
        parts.error = self.error.map(Error::InvalidRequest);
        Request {
            client: self.client,
            parts,
        }
    }
}

fn push_param_inner(route: &mut Route<'_>, value: &str) {
    if (value.is_empty() || value == "." || value == "..") && route.error.is_none() {
        route.error = Some(format!(
            "path parameter after {:?} is {value:?}, which is not a valid path segment",
            route.path
        ));
    }
    route.path.push('/');
    route.path.extend(utf8_percent_encode(value, ENCODE));
}

/// The parts of a request before it is signed.
pub(crate) struct Parts {
    pub(crate) method: Method,
    pub(crate) path: String,
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
            path,
            query,
            headers: Vec::new(),
            body: None,
            error: None,
            multipart: None,
            form_fields: Vec::new(),
            origin: Origin::Client,
            response_signature: ResponseSignature::Body,
        }
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn needs_io(&self) -> bool {
        self.error.is_none() && self.multipart.as_ref().is_some_and(|m| m.needs_io())
    }
}

/// A request being built: query parameters, headers, body. Finish with
/// [`send_json`](Request::send_json) or [`send_empty`](Request::send_empty).
pub struct Request<'a> {
    pub(crate) client: &'a Client,
    pub(crate) parts: Parts,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.parts.method)
            .field("path", &self.parts.path)
            .field("query", &self.parts.query)
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
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
            Err(e) => self.parts.fail(Error::InvalidRequest(format!("upload meta: {e}"))),
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

    /// Sends the request for a file (a bill, a PDF, an image): the 2xx body is not decoded but
    /// returned as a [`Download`] to stream into a writer.
    ///
    /// With [`ResponseSignature::Body`] (the default) the body is read whole and verified
    /// before the `Download` is returned; with [`ResponseSignature::None`] or
    /// [`ResponseSignature::StatementSha1`] it streams (a statement's SHA-1 is checked at the
    /// end of [`Download::write_to`]). A non-2xx answer is [`Error::Api`]. Downloads use the
    /// [`download_timeout`](crate::ClientBuilder::download_timeout).
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::runtime::{Method, ResponseSignature};
    /// let mut image = Vec::new();
    /// let written = client
    ///     .chain("v3/merchant-service/images/abc")
    ///     .request(Method::GET)
    ///     .response_signature(ResponseSignature::None)
    ///     .send_download()
    ///     .await?
    ///     .write_to(&mut image)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn send_download(self) -> Call<'a, Download> {
        Call {
            client: self.client,
            parts: self.parts,
            decode: decode_download,
            stream: true,
        }
    }

    /// Sends the request; the verified 2xx body is decoded as JSON into `T`. An empty body
    /// decodes like `null` (so `serde_json::Value` and `Option<_>` accept it).
    pub fn send_json<T: serde::de::DeserializeOwned>(self) -> Call<'a, T> {
        Call {
            client: self.client,
            parts: self.parts,
            decode: decode_json::<T>,
            stream: false,
        }
    }

    /// Sends the request expecting no content (204): the response is verified (signature
    /// over the empty body) and its body ignored.
    pub fn send_empty(self) -> Call<'a, ()> {
        Call {
            client: self.client,
            parts: self.parts,
            decode: decode_nothing,
            stream: false,
        }
    }

    /// Sends the request and returns the verified 2xx body bytes, undecoded.
    pub fn send_bytes(self) -> Call<'a, Vec<u8>> {
        Call {
            client: self.client,
            parts: self.parts,
            decode: decode_bytes,
            stream: false,
        }
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

/// What a call received: a verified body, or a download.
pub(crate) enum Received {
    Buffered(Verified),
    Download(Box<Download>),
}

impl Received {
    /// The status and headers of the verified response.
    pub(crate) fn meta(&self) -> (u16, HeaderMap) {
        match self {
            Received::Buffered(v) => (v.status, v.headers.clone()),
            Received::Download(d) => (d.status(), d.headers().clone()),
        }
    }

    fn into_verified(self) -> Result<Verified, Error> {
        match self {
            Received::Buffered(v) => Ok(v),
            Received::Download(_) => Err(Error::InvalidRequest(
                "internal: a download where a body was expected".into(),
            )),
        }
    }
}

pub(crate) type Decoder<T> = fn(Received) -> Result<T, Error>;

fn decode_json<T: serde::de::DeserializeOwned>(received: Received) -> Result<T, Error> {
    decode_verified(received.into_verified()?)
}

/// [`decode_json`] of a verified buffered answer, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_json_buffered<T: serde::de::DeserializeOwned>(
    status: u16,
    headers: HeaderMap,
    body: Bytes,
) -> Result<T, Error> {
    decode_verified(Verified { status, headers, body })
}

fn decode_verified<T: serde::de::DeserializeOwned>(verified: Verified) -> Result<T, Error> {
    // `202 Accepted` with the platform's `{"code": …}` where a result is expected: accepted,
    // no result yet (codepay's `USERPAYING`: the user is entering the password; query the order
    // later). It is its own answer, never a result with every field `None`. (An empty 202, the
    // fapiao operations' documented answer, decodes as before.)
    if verified.status == 202 && is_platform_code(&verified.body) {
        return Err(api_error(202, &verified.headers, &verified.body));
    }
    serde_json::from_slice(json_body(&verified.body)).map_err(|source| decode_error(source, verified))
}

/// Whether a body is the platform's `{"code": "…", …}` answer.
fn is_platform_code(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.get("code").is_some_and(|c| c.is_string()))
}

fn decode_nothing(received: Received) -> Result<(), Error> {
    received.into_verified().map(drop)
}

fn decode_bytes(received: Received) -> Result<Vec<u8>, Error> {
    received.into_verified().map(|v| v.body.to_vec())
}

fn decode_download(received: Received) -> Result<Download, Error> {
    match received {
        Received::Download(d) => Ok(*d),
        Received::Buffered(_) => Err(Error::InvalidRequest(
            "internal: a body where a download was expected".into(),
        )),
    }
}

/// A verified 2xx response.
pub(crate) struct Verified {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// An empty (or blank) body decodes like `null`.
fn json_body(body: &[u8]) -> &[u8] {
    if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    }
}

fn decode_error(source: serde_json::Error, verified: Verified) -> Error {
    Error::Decode {
        source,
        status: verified.status,
        body: String::from_utf8_lossy(&verified.body).into_owned(),
    }
}

/// A request ready to send. `.await` it (the future is `Send`), or call
/// [`blocking`](Call::blocking) outside async code.
#[must_use = "a Call does nothing until it is awaited or `.blocking()` is called"]
pub struct Call<'a, T> {
    pub(crate) client: &'a Client,
    pub(crate) parts: Parts,
    pub(crate) decode: Decoder<T>,
    pub(crate) stream: bool,
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.parts.method)
            .field("path", &self.parts.path)
            .finish_non_exhaustive()
    }
}

impl<T> Call<'_, T> {
    /// Sets a request header for this call only, replacing one of the same name that the
    /// generated code or the client set: `Wechatpay-Serial` (by default the key the sensitive
    /// fields were encrypted with, else the configured WeChat Pay public key), `Idempotency-Key`,
    /// a header of your own. The signature does not cover headers; `Authorization` is always the
    /// client's. Naming another key in `Wechatpay-Serial` than the one the sensitive fields were
    /// encrypted with makes the platform refuse the request.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let answer: serde_json::Value = client
    ///     .chain("v3/certificates")
    ///     .request(wechatpay::Method::GET)
    ///     .send_json()
    ///     .header("Wechatpay-Serial", "PUB_KEY_ID_0114232134912410000000000000")
    ///     .await?;
    /// # let _ = answer; Ok(()) }
    /// ```
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.parts.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.parts.headers.push((name, value.to_owned()));
        self
    }

    /// Runs the call synchronously, on a runtime owned by the client (created on first use,
    /// one worker thread, its own connection pool).
    ///
    /// Called from inside a tokio runtime (where blocking would stall the executor), it returns
    /// [`Error::Blocking`] instead of panicking.
    pub fn blocking(self) -> Result<T, Error> {
        (self.decode)(run_blocking(self.client, self.parts, self.stream)?)
    }
}

impl<'a, T> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<'a, T>;

    fn into_future(self) -> CallFuture<'a, T> {
        CallFuture {
            inner: execute_boxed(self.client, self.parts, self.stream),
            decode: self.decode,
        }
    }
}

pub(crate) type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<Received, Error>> + Send + 'a>>;

/// The future of an awaited [`Call`].
#[must_use = "futures do nothing unless polled"]
pub struct CallFuture<'a, T> {
    inner: BoxFuture<'a>,
    decode: Decoder<T>,
}

impl<T> fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

impl<T> Future for CallFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.inner.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(received)) => Poll::Ready((this.decode)(received)),
        }
    }
}

pub(crate) fn execute_boxed(client: &Client, parts: Parts, stream: bool) -> BoxFuture<'_> {
    Box::pin(execute(client, &client.inner.http, parts, stream))
}

pub(crate) fn run_blocking(client: &Client, parts: Parts, stream: bool) -> Result<Received, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Blocking);
    }
    let inner: &Inner = &client.inner;
    let blocking = inner.blocking_runtime()?;
    blocking
        .runtime()
        .block_on(execute(client, &blocking.http, parts, stream))
}

/// A request with its body encoded (upload file read), ready to be signed for any host, as
/// many times as it is retried.
pub(crate) struct Prepared {
    method: Method,
    /// Path and `?query`, relative to the base.
    target: String,
    headers: HeaderMap,
    body: Option<Bytes>,
    /// What the signature covers as BODY: the JSON body, or an upload's `meta` JSON.
    signed: Bytes,
    origin: Origin,
    response_signature: ResponseSignature,
}

/// Checks the parts and encodes the body (reads an upload's file: blocking I/O for paths and
/// readers).
pub(crate) fn prepare(parts: Parts) -> Result<Prepared, Error> {
    if let Some(error) = parts.error {
        return Err(error);
    }
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    for (name, value) in &parts.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::InvalidRequest(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::InvalidRequest(format!("invalid value for header {name}")))?;
        headers.insert(name, value);
    }
    let (body, signed) = match (parts.multipart, parts.body) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidRequest(
                "a request cannot have both a JSON body and an upload".into(),
            ))
        }
        (Some(multipart), None) => {
            let encoded = multipart.encode(&parts.form_fields)?;
            let content_type = HeaderValue::from_str(&encoded.content_type)
                .map_err(|_| Error::InvalidRequest("invalid multipart content type".into()))?;
            headers.insert(CONTENT_TYPE, content_type);
            (Some(Bytes::from(encoded.body)), Bytes::from(encoded.meta))
        }
        (None, body) => {
            if !parts.form_fields.is_empty() {
                return Err(Error::InvalidRequest(format!(
                    "form field {:?} given without a multipart upload",
                    parts.form_fields[0].0
                )));
            }
            match body {
                Some(body) => {
                    if !headers.contains_key(CONTENT_TYPE) {
                        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    }
                    let body = Bytes::from(body);
                    (Some(body.clone()), body)
                }
                None => (None, Bytes::new()),
            }
        }
    };
    Ok(Prepared {
        method: parts.method,
        target: parts.path + &parts.query,
        headers,
        body,
        signed,
        origin: parts.origin,
        response_signature: parts.response_signature,
    })
}

/// [`prepare`], on a blocking thread when it reads a file or a reader.
async fn prepare_async(parts: Parts) -> Result<Prepared, Error> {
    if !parts.needs_io() {
        return prepare(parts);
    }
    match tokio::task::spawn_blocking(move || prepare(parts)).await {
        Ok(result) => result,
        Err(e) => Err(Error::Io {
            context: "reading the file to upload failed".into(),
            source: std::io::Error::other(e.to_string()),
        }),
    }
}

/// The base URL a request goes to (before any failover).
fn resolve_base<'p>(inner: &'p Inner, origin: &'p Origin) -> &'p str {
    let configured = inner.base_url != DEFAULT_BASE_URL;
    match origin {
        Origin::Client => &inner.base_url,
        Origin::Spec(host) if !configured => host,
        Origin::Spec(_) => &inner.base_url,
        // A WeChat Pay host in an absolute URL follows a configured base URL (a mock, a proxy).
        Origin::Absolute(origin) if configured && is_wechatpay_host(origin) => &inner.base_url,
        Origin::Absolute(origin) => origin,
    }
}

fn is_wechatpay_host(origin: &str) -> bool {
    origin
        .strip_prefix("https://")
        .is_some_and(|host| host.ends_with(".mch.weixin.qq.com") && !host.contains(['/', ':', '@']))
}

/// The signed request, before sending (exposed to tests).
pub(crate) struct Signed {
    pub(crate) request: reqwest::Request,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) message: Vec<u8>,
}

/// Builds the wire request and signs it: the signed target is taken from the final URL.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn sign_request(inner: &Inner, parts: Parts, timestamp: i64, nonce: &str) -> Result<Signed, Error> {
    let prepared = prepare(parts)?;
    sign_prepared(
        inner,
        &prepared,
        resolve_base(inner, &prepared.origin),
        timestamp,
        nonce,
    )
}

/// Signs a prepared request for `base` (scheme, host and optional path prefix).
pub(crate) fn sign_prepared(
    inner: &Inner,
    prepared: &Prepared,
    base: &str,
    timestamp: i64,
    nonce: &str,
) -> Result<Signed, Error> {
    let url_text = format!("{base}{}", prepared.target);
    let url =
        reqwest::Url::parse(&url_text).map_err(|e| Error::InvalidRequest(format!("invalid URL {url_text:?}: {e}")))?;
    let mut request = reqwest::Request::new(prepared.method.clone(), url);
    *request.headers_mut() = prepared.headers.clone();

    // TARGET exactly as it goes on the wire: path and query of the final URL.
    let url = request.url();
    let mut message = Vec::with_capacity(prepared.signed.len() + 128);
    message.extend_from_slice(request.method().as_str().as_bytes());
    message.push(b'\n');
    message.extend_from_slice(url.path().as_bytes());
    if let Some(query) = url.query() {
        message.push(b'?');
        message.extend_from_slice(query.as_bytes());
    }
    let _ = write!(Adapter(&mut message), "\n{timestamp}\n{nonce}\n");
    message.extend_from_slice(&prepared.signed);
    message.push(b'\n');

    let signature = inner.signer.sign(&message)?;
    let authorization = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",serial_no=\"{}\",timestamp=\"{}\",nonce_str=\"{}\",signature=\"{}\"",
        inner.mchid, inner.merchant_serial, timestamp, nonce, signature
    );
    let mut authorization = HeaderValue::from_str(&authorization)
        .map_err(|_| Error::Sign("the signer returned a signature that is not a valid header value".into()))?;
    authorization.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, authorization);
    if let Some(body) = &prepared.body {
        *request.body_mut() = Some(reqwest::Body::from(body.clone()));
    }
    Ok(Signed { request, message })
}

struct Adapter<'a>(&'a mut Vec<u8>);

impl fmt::Write for Adapter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Prepares, then signs, sends, reads and verifies, retrying and failing over as configured:
/// the one non-generic path of every call.
pub(crate) async fn execute(
    client: &Client,
    http: &reqwest::Client,
    parts: Parts,
    stream: bool,
) -> Result<Received, Error> {
    let inner: &Inner = &client.inner;
    let mut parts = parts;
    name_the_wechatpay_key(client, &mut parts);
    let prepared = prepare_async(parts).await?;
    let primary = resolve_base(inner, &prepared.origin);
    // Failover only for requests that go to the client's own base URL.
    let backup = if primary == inner.base_url {
        inner.transport.failover_target(primary)
    } else {
        None
    };
    let mut base = primary;
    let mut failed_over = false;
    let mut retries = 0;
    let mut resent = false;
    loop {
        match attempt(client, http, &prepared, base, stream).await {
            Ok(received) => return Ok(received),
            Err(error) => {
                // The stale keep-alive race: the server closed the connection (idle too long)
                // as the request went out, and answered nothing. Sent once more, at once, on a
                // new connection; the same body (see `Error::is_closed_unanswered`).
                if !resent && error.is_closed_unanswered() {
                    resent = true;
                    continue;
                }
                if let (false, true, Some(backup)) = (failed_over, error.is_connect(), backup) {
                    base = backup;
                    failed_over = true;
                    continue;
                }
                if retries < inner.transport.retries && error.is_retryable() {
                    tokio::time::sleep(inner.transport.delay(retries)).await;
                    retries += 1;
                    continue;
                }
                return Err(error);
            }
        }
    }
}

/// `Wechatpay-Serial` on every request: the key WeChat Pay should answer with (during a key
/// switch the platform picks the key that signs its answer from it), unless the request names
/// one already (the key its sensitive fields were encrypted with, or a caller's
/// [`Call::header`]). It names the configured WeChat Pay public key (the one configured last),
/// else the newest platform certificate valid now; with neither (bootstrapping the platform
/// certificates) the header is left out.
fn name_the_wechatpay_key(client: &Client, parts: &mut Parts) {
    if parts
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("wechatpay-serial"))
    {
        return;
    }
    if let Some(serial) = client.sensitive_key_serial() {
        parts.headers.push(("Wechatpay-Serial", serial));
    }
}

/// How much of an error body is read (and kept in [`Error::Api`]).
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// Reads the body up to `limit` bytes; `true` when there was more (not read). `fail` turns a
/// read error into the call's error.
pub(crate) async fn read_at_most(
    mut response: reqwest::Response,
    limit: usize,
    fail: impl Fn(reqwest::Error) -> Error,
) -> Result<(Bytes, bool), Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(&fail)? {
        if body.len() + chunk.len() > limit {
            let room = limit - body.len();
            body.extend_from_slice(&chunk[..room]);
            return Ok((Bytes::from(body), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(body), false))
}

/// One signed attempt against `base`.
async fn attempt(
    client: &Client,
    http: &reqwest::Client,
    prepared: &Prepared,
    base: &str,
    stream: bool,
) -> Result<Received, Error> {
    let inner: &Inner = &client.inner;
    let nonce = crypto::nonce();
    let mut signed = sign_prepared(inner, prepared, base, crypto::unix_now(), &nonce)?;
    let total = if stream {
        inner.transport.download_timeout
    } else {
        inner.http_config_timeout()
    };
    if stream {
        *signed.request.timeout_mut() = Some(total);
    }
    let started = std::time::Instant::now();
    let response = http
        .execute(signed.request)
        .await
        .map_err(|e| inner.transport_error(e, started, total, false))?;
    let in_body = |e| inner.transport_error(e, started, total, true);
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    if !(200..300).contains(&status) {
        let (mut body, cut) = read_at_most(response, ERROR_BODY_LIMIT, in_body).await?;
        if cut {
            body = [&body[..], b"\n[... cut: the error body is longer than 64 KiB]"]
                .concat()
                .into();
        }
        return Err(api_error(status, &headers, &body));
    }
    let kind = prepared.response_signature;
    if stream && kind != ResponseSignature::Body {
        // The file streams: check what can be checked now, the rest when it has been read.
        let expected_sha1 = match kind {
            ResponseSignature::StatementSha1 => Some(verify_statement(inner, &headers, crypto::unix_now())?),
            _ => None,
        };
        let download = Download::streaming(client.clone(), status, headers, response);
        return Ok(Received::Download(Box::new(match expected_sha1 {
            Some(sha1) => download.expect_sha1(&sha1),
            None => download,
        })));
    }
    let body = if stream {
        response.bytes().await.map_err(in_body)?
    } else {
        let limit = inner.transport.max_response_body;
        match read_at_most(response, limit, in_body).await? {
            (_, true) => return Err(Error::BodyTooLarge { limit }),
            (body, false) => body,
        }
    };
    check_response_as(inner, kind, status, &headers, &body, crypto::unix_now())?;
    if stream {
        Ok(Received::Download(Box::new(Download::in_memory(
            client.clone(),
            status,
            headers,
            body,
        ))))
    } else {
        Ok(Received::Buffered(Verified { status, headers, body }))
    }
}

/// Non-2xx → [`Error::Api`] (not signature-checked); 2xx → verified.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn check_response(
    inner: &Inner,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Error> {
    check_response_as(inner, ResponseSignature::Body, status, headers, body, now)
}

/// Like [`check_response`], authenticating a 2xx as `kind` says.
pub(crate) fn check_response_as(
    inner: &Inner,
    kind: ResponseSignature,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Error> {
    if !(200..300).contains(&status) {
        return Err(api_error(status, headers, body));
    }
    match kind {
        ResponseSignature::Body => verify(inner, headers, body, now)?,
        ResponseSignature::None => {}
        ResponseSignature::StatementSha1 => {
            let expected = verify_statement(inner, headers, now)?;
            let actual = hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, body).as_ref());
            if actual != expected {
                return Err(Error::DigestMismatch {
                    algorithm: "SHA-1",
                    expected,
                    actual,
                });
            }
        }
    }
    Ok(())
}

fn verify(inner: &Inner, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), VerificationError> {
    inner.verifier.verify(&SignatureHeaders::from_map(headers), body, now)
}

/// Verifies a statement response's signature over `{"sha1":"<Wechatpay-Statement-Sha1>"}` and
/// returns that SHA-1 (lower-case hex).
fn verify_statement(inner: &Inner, headers: &HeaderMap, now: i64) -> Result<String, Error> {
    const NAME: &str = "Wechatpay-Statement-Sha1";
    let value = headers.get(NAME).ok_or(VerificationError::MissingHeader(NAME))?;
    let sha1 = value
        .to_str()
        .ok()
        .filter(|v| v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| VerificationError::InvalidHeader {
            name: NAME,
            reason: "not a hexadecimal SHA-1".into(),
        })?;
    let signed = format!("{{\"sha1\":\"{sha1}\"}}");
    verify(inner, headers, signed.as_bytes(), now)?;
    Ok(sha1.to_ascii_lowercase())
}

pub(crate) fn api_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let request_id = headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (mut code, mut message, mut detail) = (String::new(), String::new(), None);
    if let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(body) {
        if let Some(serde_json::Value::String(c)) = object.remove("code") {
            code = c;
        }
        if let Some(serde_json::Value::String(m)) = object.remove("message") {
            message = m;
        }
        detail = object.remove("detail").map(Box::new);
    }
    Error::Api {
        status,
        code,
        message,
        detail,
        request_id,
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// A request to an absolute URL (a bill's `download_url`): its path and query are signed as
/// they are in the URL.
pub(crate) fn absolute_request<'a>(client: &'a Client, method: Method, url: &str) -> Request<'a> {
    let parsed = reqwest::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
    });
    let Some(parsed) = parsed else {
        let mut parts = Parts::new(method, String::new(), String::new());
        parts.fail(Error::InvalidRequest(format!("{url:?} is not an absolute http(s) URL")));
        return Request { client, parts };
    };
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut parts = Parts::new(method, parsed.path().to_owned(), query);
    parts.origin = Origin::Absolute(parsed.origin().ascii_serialization());
    Request { client, parts }
}

impl Parts {
    #[cfg(test)]
    pub(crate) fn for_test(method: Method, path: &str, query: &str, body: Option<&[u8]>) -> Self {
        let mut parts = Parts::new(method, path.to_owned(), query.to_owned());
        parts.body = body.map(<[u8]>::to_vec);
        parts
    }
}

impl<'a> Request<'a> {
    #[cfg(test)]
    pub(crate) fn into_parts(self) -> Parts {
        self.parts
    }
}
