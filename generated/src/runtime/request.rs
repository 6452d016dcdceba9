//! Building, signing, sending and verifying one request.
//!
//! Generic functions here are one-liners; the work happens in non-generic functions so ~1000
//! generated operations do not each instantiate the HTTP path.

use std::fmt::{self, Display, Write as _};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;

use super::client::{Client, Inner};
use super::crypto::{self, SignatureHeaders};
use super::error::Error;

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
        f.debug_struct("Route").field("path", &self.path).finish_non_exhaustive()
    }
}

impl<'a> Route<'a> {
    /// An empty path.
    pub fn new(client: &'a Client) -> Self {
        Route { client, path: String::new(), error: None }
    }

    pub(crate) fn with_path(client: &'a Client, path: &str) -> Self {
        let mut full = String::with_capacity(path.len() + 1);
        if !path.starts_with('/') {
            full.push('/');
        }
        full.push_str(path);
        Route { client, path: full, error: None }
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
        Request {
            client: self.client,
            parts: Parts {
                method,
                path,
                query,
                headers: Vec::new(),
                body: None,
                error: self.error.map(Error::InvalidRequest),
            },
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
            Err(e) => {
                if self.parts.error.is_none() {
                    self.parts.error = Some(Error::Encode(e));
                }
            }
        }
        self
    }

    /// Sends the request; the verified 2xx body is decoded as JSON into `T`. An empty body
    /// decodes like `null` (so `serde_json::Value` and `Option<_>` accept it).
    pub fn send_json<T: serde::de::DeserializeOwned>(self) -> Call<'a, T> {
        Call { client: self.client, parts: self.parts, decode: decode_json::<T> }
    }

    /// Sends the request expecting no content (204): the response is verified (signature
    /// over the empty body) and its body ignored.
    pub fn send_empty(self) -> Call<'a, ()> {
        Call { client: self.client, parts: self.parts, decode: decode_nothing }
    }

    /// Sends the request and returns the verified 2xx body bytes, undecoded.
    pub fn send_bytes(self) -> Call<'a, Vec<u8>> {
        Call { client: self.client, parts: self.parts, decode: decode_bytes }
    }
}

fn push_query(query: &mut String, name: &str, value: &str) {
    query.push(if query.is_empty() { '?' } else { '&' });
    query.extend(utf8_percent_encode(name, ENCODE));
    query.push('=');
    query.extend(utf8_percent_encode(value, ENCODE));
}

type Decoder<T> = fn(&[u8]) -> Result<T, serde_json::Error>;

fn decode_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

fn decode_nothing(_: &[u8]) -> Result<(), serde_json::Error> {
    Ok(())
}

fn decode_bytes(body: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    Ok(body.to_vec())
}

/// A verified 2xx response.
pub(crate) struct Verified {
    status: u16,
    body: Vec<u8>,
}

fn finish<T>(verified: Verified, decode: Decoder<T>) -> Result<T, Error> {
    let body: &[u8] = if verified.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &verified.body
    };
    decode(body).map_err(|source| decode_error(source, verified))
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
    client: &'a Client,
    parts: Parts,
    decode: Decoder<T>,
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
    /// Runs the call synchronously, on a runtime owned by the client (created on first use,
    /// one worker thread, its own connection pool).
    ///
    /// Called from inside a tokio runtime (where blocking would stall the executor), it returns
    /// [`Error::Blocking`] instead of panicking.
    pub fn blocking(self) -> Result<T, Error> {
        let verified = run_blocking(self.client, self.parts)?;
        finish(verified, self.decode)
    }
}

impl<'a, T> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<'a, T>;

    fn into_future(self) -> CallFuture<'a, T> {
        CallFuture { inner: execute_boxed(self.client, self.parts), decode: self.decode }
    }
}

type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<Verified, Error>> + Send + 'a>>;

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
            Poll::Ready(Ok(verified)) => Poll::Ready(finish(verified, this.decode)),
        }
    }
}

fn execute_boxed(client: &Client, parts: Parts) -> BoxFuture<'_> {
    let inner: &Inner = &client.inner;
    Box::pin(execute(inner, &inner.http, parts))
}

fn run_blocking(client: &Client, parts: Parts) -> Result<Verified, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Blocking);
    }
    let inner: &Inner = &client.inner;
    let blocking = inner.blocking_runtime()?;
    blocking.runtime().block_on(execute(inner, &blocking.http, parts))
}

/// The signed request, before sending (exposed to tests).
pub(crate) struct Signed {
    pub(crate) request: reqwest::Request,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) message: Vec<u8>,
}

/// Builds the wire request and signs it: the signed target is taken from the final URL.
pub(crate) fn sign_request(
    inner: &Inner,
    parts: Parts,
    timestamp: i64,
    nonce: &str,
) -> Result<Signed, Error> {
    if let Some(error) = parts.error {
        return Err(error);
    }
    let url_text = format!("{}{}{}", inner.base_url, parts.path, parts.query);
    let url = reqwest::Url::parse(&url_text)
        .map_err(|e| Error::InvalidRequest(format!("invalid URL {url_text:?}: {e}")))?;
    let mut request = reqwest::Request::new(parts.method, url);
    let headers = request.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    for (name, value) in &parts.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::InvalidRequest(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::InvalidRequest(format!("invalid value for header {name}")))?;
        headers.insert(name, value);
    }
    let has_body = parts.body.is_some();
    let body = parts.body.unwrap_or_default();
    if has_body && !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }

    // TARGET exactly as it goes on the wire: path and query of the final URL.
    let url = request.url();
    let mut message = Vec::with_capacity(body.len() + 128);
    message.extend_from_slice(request.method().as_str().as_bytes());
    message.push(b'\n');
    message.extend_from_slice(url.path().as_bytes());
    if let Some(query) = url.query() {
        message.push(b'?');
        message.extend_from_slice(query.as_bytes());
    }
    let _ = write!(Adapter(&mut message), "\n{timestamp}\n{nonce}\n");
    message.extend_from_slice(&body);
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
    if has_body {
        *request.body_mut() = Some(reqwest::Body::from(body));
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

/// Signs, sends, reads and verifies: the one non-generic path of every call.
pub(crate) async fn execute(
    inner: &Inner,
    http: &reqwest::Client,
    parts: Parts,
) -> Result<Verified, Error> {
    let nonce = crypto::nonce();
    let signed = sign_request(inner, parts, crypto::unix_now(), &nonce)?;
    let response = http.execute(signed.request).await.map_err(Error::Transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::Transport)?;
    check_response(inner, status.as_u16(), &headers, &body, crypto::unix_now())?;
    Ok(Verified { status: status.as_u16(), body: body.to_vec() })
}

/// Non-2xx → [`Error::Api`] (not signature-checked); 2xx → verified.
pub(crate) fn check_response(
    inner: &Inner,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Error> {
    if !(200..300).contains(&status) {
        return Err(api_error(status, headers, body));
    }
    inner.verifier.verify(&SignatureHeaders::from_map(headers), body, now)?;
    Ok(())
}

pub(crate) fn api_error(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Error {
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

impl Parts {
    #[cfg(test)]
    pub(crate) fn for_test(method: Method, path: &str, query: &str, body: Option<&[u8]>) -> Self {
        Parts {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: body.map(<[u8]>::to_vec),
            error: None,
        }
    }
}

impl<'a> Request<'a> {
    #[cfg(test)]
    pub(crate) fn into_parts(self) -> Parts {
        self.parts
    }
}
