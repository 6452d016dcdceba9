//! The one send path of every call: prepare, sign, send (retries, failover, the re-send of a
//! connection closed unanswered), read under the size caps, verify.

use crate::error::RequestProblem;
use std::fmt::{self, Write as _};
use std::future::Future;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;

use super::client::{Client, Inner};
use super::crypto::{self, SignatureHeaders};
use super::download::Download;
use super::error::{Error, VerificationError};
use super::intercept::{Attempt, Outcome};
use super::observe;
use super::request::{CallOptions, Origin, Parts, ResponseSignature};
use super::transport::{HttpClients, DEFAULT_BASE_URL};

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

    pub(crate) fn into_verified(self) -> Result<Verified, Error> {
        match self {
            Received::Buffered(v) => Ok(v),
            Received::Download(_) => Err(Error::request(
                RequestProblem::Internal,
                "internal: a download where a body was expected",
            )),
        }
    }
}

/// A verified 2xx response.
pub(crate) struct Verified {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// A request with its body encoded (upload file read), ready to be signed for any host, as
/// many times as it is retried.
pub(crate) struct Prepared {
    method: Method,
    /// The path template, for traces and interceptors.
    operation: String,
    options: CallOptions,
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
            .map_err(|_| Error::request(RequestProblem::Malformed, format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::request(RequestProblem::Malformed, format!("invalid value for header {name}")))?;
        headers.insert(name, value);
    }
    let (body, signed) = match (parts.multipart, parts.body) {
        (Some(_), Some(_)) => {
            return Err(Error::request(
                RequestProblem::Conflicting,
                "a request cannot have both a JSON body and an upload",
            ))
        }
        (Some(multipart), None) => {
            let encoded = multipart.encode(&parts.form_fields)?;
            let content_type = HeaderValue::from_str(&encoded.content_type)
                .map_err(|_| Error::request(RequestProblem::Malformed, "invalid multipart content type"))?;
            headers.insert(CONTENT_TYPE, content_type);
            (Some(Bytes::from(encoded.body)), Bytes::from(encoded.meta))
        }
        (None, body) => {
            if !parts.form_fields.is_empty() {
                return Err(Error::request(
                    RequestProblem::Conflicting,
                    format!(
                        "form field {:?} given without a multipart upload",
                        parts.form_fields[0].0
                    ),
                ));
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
        operation: parts.operation,
        options: parts.options,
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
    let url = reqwest::Url::parse(&url_text)
        .map_err(|e| Error::request(RequestProblem::Malformed, format!("invalid URL {url_text:?}: {e}")))?;
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
        .map_err(|_| Error::sign("the signer returned a signature that is not a valid header value"))?;
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
pub(crate) fn execute<'a>(
    client: &'a Client,
    http: &'a HttpClients,
    parts: Parts,
    stream: bool,
) -> impl Future<Output = Result<Received, Error>> + Send + 'a {
    let span = observe::Span::call(&parts.method, &parts.operation);
    span.run(execute_in_span(client, http, parts, stream))
}

async fn execute_in_span(client: &Client, http: &HttpClients, parts: Parts, stream: bool) -> Result<Received, Error> {
    let inner: &Inner = &client.inner;
    let mut parts = parts;
    name_the_wechatpay_key(client, &mut parts);
    let prepared = prepare_async(parts).await?;
    let policy = Policy::new(
        inner,
        &prepared.origin,
        prepared.options.retries,
        prepared.options.idempotent,
    );
    let attempts = V3Attempts {
        client,
        http,
        prepared: &prepared,
        stream,
    };
    run_attempts(inner, &attempts, policy).await
}

/// How a call's attempts follow one another: where they go, how often a failure is tried
/// again and whether the request may be sent twice.
pub(crate) struct Policy<'a> {
    /// The base URL of the first attempt.
    pub(crate) primary: &'a str,
    /// The base URL to fail over to, once, when no connection can be made.
    pub(crate) backup: Option<&'a str>,
    /// How many times a retryable failure is tried again.
    pub(crate) retries: u32,
    /// Whether sending the request twice is harmless (see `Call::idempotent`).
    pub(crate) idempotent: bool,
}

impl<'a> Policy<'a> {
    /// The policy of a call to `origin`: its base URL, failover for requests that go to the
    /// client's own base URL, `retries` or the client's.
    pub(crate) fn new(inner: &'a Inner, origin: &'a Origin, retries: Option<u32>, idempotent: bool) -> Self {
        let primary = resolve_base(inner, origin);
        let backup = if primary == inner.base_url {
            inner.transport.failover_target(primary)
        } else {
            None
        };
        Policy {
            primary,
            backup,
            retries: retries.unwrap_or(inner.transport.retries),
            idempotent,
        }
    }
}

/// One protocol's attempt at a call: APIv3's signs each attempt anew and verifies the answer's
/// headers; APIv2's sends its signed XML and checks the answer's `sign`.
pub(crate) trait Attempts: Sync {
    type Output: Send;
    /// One attempt against `base` (its number from 1), noting what is known of the answer.
    fn attempt<'s>(
        &'s self,
        base: &'s str,
        number: u32,
        answer: &'s mut Answer,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send + 's;
}

/// The attempts of a call, as `policy` says, each in its span: the one re-send of a connection
/// closed unanswered, the failover, the retries with backoff. The one loop of every protocol.
pub(crate) async fn run_attempts<A: Attempts>(
    inner: &Inner,
    attempts: &A,
    policy: Policy<'_>,
) -> Result<A::Output, Error> {
    let mut base = policy.primary;
    let mut failed_over = false;
    let mut retries = 0;
    let mut resent = false;
    let mut number = 0;
    loop {
        number += 1;
        let mut answer = Answer::default();
        let result = observe::Span::attempt(number, base)
            .run(attempts.attempt(base, number, &mut answer))
            .await;
        let error = match result {
            Ok(received) => {
                observe::call_ended(number, answer.status, answer.request_id.as_deref(), Ok(()));
                return Ok(received);
            }
            Err(error) => error,
        };
        // The stale keep-alive race: the server closed the connection (idle too long) as the
        // request went out, and answered nothing. Sent once more, at once, on a new
        // connection; the same body (see `Error::is_closed_unanswered`). Not for a request
        // that must not be sent twice: the server may have read it.
        if !resent && policy.idempotent && error.is_closed_unanswered() {
            resent = true;
            observe::resending();
            continue;
        }
        if let (false, true, Some(backup)) = (failed_over, error.is_connect(), policy.backup) {
            base = backup;
            failed_over = true;
            observe::failing_over(backup);
            continue;
        }
        let retryable = if policy.idempotent {
            error.is_retryable()
        } else {
            error.is_retryable_unprocessed()
        };
        if retries < policy.retries && retryable {
            let delay = inner.transport.delay(retries);
            observe::retrying(&error, delay, number + 1);
            tokio::time::sleep(delay).await;
            retries += 1;
            continue;
        }
        observe::call_ended(number, answer.status, answer.request_id.as_deref(), Err(&error));
        return Err(error);
    }
}

/// APIv3's attempts: each signed anew, sent, its answer verified.
struct V3Attempts<'a> {
    client: &'a Client,
    http: &'a HttpClients,
    prepared: &'a Prepared,
    stream: bool,
}

impl Attempts for V3Attempts<'_> {
    type Output = Received;
    fn attempt<'s>(
        &'s self,
        base: &'s str,
        number: u32,
        answer: &'s mut Answer,
    ) -> impl Future<Output = Result<Received, Error>> + Send + 's {
        attempt(self.client, self.http, self.prepared, base, self.stream, number, answer)
    }
}

/// What is known of an attempt's answer, for interceptors and traces.
#[derive(Default)]
pub(crate) struct Answer {
    pub(crate) status: Option<u16>,
    pub(crate) request_id: Option<String>,
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

/// One signed attempt against `base`, with the interceptors around it.
async fn attempt(
    client: &Client,
    http: &HttpClients,
    prepared: &Prepared,
    base: &str,
    stream: bool,
    number: u32,
    answer: &mut Answer,
) -> Result<Received, Error> {
    let inner: &Inner = &client.inner;
    let nonce = crypto::nonce();
    let mut signed = sign_prepared(inner, prepared, base, crypto::unix_now(), &nonce)?;
    let total = inner.attempt_timeout(prepared.options.timeout, stream);
    http.settle(&mut signed.request, total);
    let http_client = http.for_base(base)?;
    let url = before_send(
        inner,
        &prepared.method,
        &prepared.operation,
        number,
        &mut signed.request,
    );
    let started = std::time::Instant::now();
    let result = exchange(client, http_client, prepared, signed, stream, total, started, answer).await;
    after_receive(
        inner,
        (&prepared.method, &prepared.operation, number, url.as_ref()),
        answer,
        started.elapsed(),
        result.as_ref().map(drop),
    );
    result
}

/// The interceptors' `before_send` on a request about to go out (every protocol's): they see
/// and change its headers without `Authorization`, which is put back after them whatever they
/// did. The URL, for [`after_receive`], when there are interceptors.
pub(crate) fn before_send(
    inner: &Inner,
    method: &Method,
    operation: &str,
    number: u32,
    request: &mut reqwest::Request,
) -> Option<reqwest::Url> {
    if inner.interceptors.is_empty() {
        return None;
    }
    let url = request.url().clone();
    let about = Attempt {
        method,
        operation,
        url: &url,
        number,
    };
    let headers = request.headers_mut();
    let authorization = headers.remove(AUTHORIZATION);
    for i in &inner.interceptors {
        i.before_send(&about, headers);
    }
    headers.remove(AUTHORIZATION);
    if let Some(authorization) = authorization {
        headers.insert(AUTHORIZATION, authorization);
    }
    Some(url)
}

/// The end of an attempt (every protocol's): its trace event, and the interceptors'
/// `after_receive`. `at`: method, operation, number and the URL [`before_send`] gave.
pub(crate) fn after_receive(
    inner: &Inner,
    at: (&Method, &str, u32, Option<&reqwest::Url>),
    answer: &Answer,
    latency: std::time::Duration,
    result: Result<(), &Error>,
) {
    observe::attempt_ended(answer.status, answer.request_id.as_deref(), latency, result);
    let (method, operation, number, url) = at;
    if let Some(url) = url {
        let about = Attempt {
            method,
            operation,
            url,
            number,
        };
        let outcome = Outcome {
            status: answer.status,
            request_id: answer.request_id.as_deref(),
            latency,
            error: result.err(),
        };
        for i in &inner.interceptors {
            i.after_receive(&about, &outcome);
        }
    }
}

/// Sends a signed attempt, reads the answer under the size cap and verifies it.
#[allow(clippy::too_many_arguments)]
async fn exchange(
    client: &Client,
    http: &reqwest::Client,
    prepared: &Prepared,
    signed: Signed,
    stream: bool,
    total: std::time::Duration,
    started: std::time::Instant,
    answer: &mut Answer,
) -> Result<Received, Error> {
    let inner: &Inner = &client.inner;
    let response = http
        .execute(signed.request)
        .await
        .map_err(|e| inner.transport_error(e, started, total, false))?;
    let in_body = |e| inner.transport_error(e, started, total, true);
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    answer.status = Some(status);
    answer.request_id = request_id(&headers);
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
            let actual = crate::encoding::sha1_hex(body);
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
    let signature = SignatureHeaders::from_map(headers);
    if [
        signature.timestamp,
        signature.nonce,
        signature.signature,
        signature.serial,
    ]
    .iter()
    .all(Option::is_none)
    {
        return Err(VerificationError::NotWechatPay {
            base_url: inner.base_url.clone(),
        });
    }
    inner.verifier.verify(&signature, body, now)
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

/// The answer's `Request-ID` header (what WeChat Pay support asks for).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn api_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    Error::Api(Box::new(crate::ApiError::from_answer(
        status,
        request_id(headers),
        body,
    )))
}
