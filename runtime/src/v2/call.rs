//! An APIv2 call: the fields signed and written as XML, POSTed (over mutual TLS when the
//! operation needs the merchant certificate), the answer read under the cap, its `sign` checked
//! before anything else of it is used (unless the spec says the operation's answer carries
//! none), then its result codes, then decoded. Its attempts are APIv3's (`send::run_attempts`):
//! failover, the re-send of a connection closed unanswered, the client's retries for what
//! `Error::is_retryable` says (`SYSTEMERROR` among them), interceptors and traces.

use crate::error::{ConfigProblem, RequestProblem, Setting};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::object::{XmlField, XmlObject};
use super::result::check_result;
use super::sign::{sign, verify, SignType};
use super::xml;
use crate::client::Client;
use crate::crypto;
use crate::error::Error;
use crate::request::Origin;
use crate::route::Route;
use crate::send::{self, read_at_most, run_attempts, Attempts, Policy};
use crate::transport::HttpClients;

/// The most bytes of an APIv2 answer read (a bill download uses the client's
/// [`max_response_body`](crate::ClientBuilder::max_response_body) instead).
const MAX_ANSWER: usize = xml::MAX_BODY;

/// What an APIv2 operation sends and how its answer is taken.
#[derive(Debug)]
struct Parts {
    /// The URL path (`/pay/micropay`: no `v2/`).
    path: String,
    /// The client's base URL, or the host the spec names for this operation.
    origin: Origin,
    fields: Result<Vec<XmlField>, Error>,
    sign_type: SignType,
    /// Sent over mutual TLS with the merchant certificate.
    cert: bool,
    /// The answer carries a `sign` to check.
    signed: bool,
    /// The answer is a file (a bill) unless it is an XML failure.
    file: bool,
    timeout: Option<Duration>,
    /// In place of the client's retries.
    retries: Option<u32>,
    /// Whether sending the request twice is harmless (see `Call::idempotent`).
    idempotent: bool,
    /// Fields given in plain text and encrypted with the APIv2 RSA key before signing.
    encrypt: &'static [&'static str],
}

impl Parts {
    /// The parts of a request to `path` with nothing set yet: no fields, MD5, no certificate, a
    /// signed answer, the client's retries. (Also what a started call leaves in place of its
    /// parts, moved into the exchange.)
    fn new(path: String) -> Self {
        Parts {
            path,
            origin: Origin::Client,
            fields: Ok(Vec::new()),
            sign_type: SignType::Md5,
            cert: false,
            signed: true,
            file: false,
            timeout: None,
            retries: None,
            idempotent: true,
            encrypt: &[],
        }
    }
}

/// An APIv2 request being built (the generated v2 operations start one with
/// [`Route::v2_request`]).
#[must_use = "a V2Request does nothing until it is sent"]
pub struct V2Request {
    client: Client,
    parts: Parts,
}

impl fmt::Debug for V2Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V2Request")
            .field("path", &self.parts.path)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// Starts an APIv2 request to this path; the `/v2` of the chain (`client.v2().pay()…`) is
    /// not part of the URL (`/pay/micropay`).
    pub fn v2_request(self) -> V2Request {
        let (client, path, error) = self.into_v2_parts();
        let path = match path.strip_prefix("/v2/") {
            Some(rest) => format!("/{rest}"),
            None => path,
        };
        let mut parts = Parts::new(path);
        if let Some(e) = error {
            parts.fields = Err(Error::request(RequestProblem::Malformed, e));
        }
        V2Request { client, parts }
    }
}

impl V2Request {
    /// The request's fields: those of `body`, in its order.
    pub fn body<B: XmlObject>(mut self, body: &B) -> Self {
        if let Ok(fields) = &mut self.parts.fields {
            body.write_fields(fields);
        }
        self
    }

    /// Adds the field `name` with what the client fills it in with, unless the request has
    /// it ([`Fill`](crate::Fill): APIv2's `mch_id`, `appid`). Call it after [`body`](Self::body).
    pub fn fill(mut self, name: &'static str, fill: crate::Fill) -> Self {
        let Ok(fields) = &self.parts.fields else { return self };
        if fields.iter().any(|f| f.name == name) {
            return self;
        }
        self.parts.fields = match self.client.filled(fill, name) {
            Ok(value) => {
                let value = value.to_owned();
                self.parts.fields.map(|mut fields| {
                    fields.push(XmlField {
                        name: name.to_owned(),
                        value,
                        cdata: false,
                    });
                    fields
                })
            }
            Err(e) => Err(e),
        };
        self
    }

    /// One more field (untyped calls).
    pub fn field(mut self, name: &str, value: &str) -> Self {
        if let Ok(fields) = &mut self.parts.fields {
            fields.push(XmlField {
                name: name.to_owned(),
                value: value.to_owned(),
                cdata: false,
            });
        }
        self
    }

    /// How the request is signed (the operation's default, as the spec says; `MD5` otherwise).
    pub fn sign_type(mut self, sign_type: SignType) -> Self {
        self.parts.sign_type = sign_type;
        self
    }

    /// The operation needs the merchant API certificate (mutual TLS).
    pub fn cert_required(mut self) -> Self {
        self.parts.cert = true;
        self
    }

    /// The operation's answer carries no `sign` (the spec's `signature: none`): its result
    /// codes are still checked.
    pub fn unsigned_answer(mut self) -> Self {
        self.parts.signed = false;
        self
    }

    /// These fields are sensitive (the spec's `sensitive`: `enc_bank_no`, `enc_true_name`):
    /// given in plain text, sent RSA-encrypted (OAEP, SHA-1, base64) with the key of
    /// [`ClientBuilder::apiv2_rsa_public_key_pem`](crate::ClientBuilder::apiv2_rsa_public_key_pem);
    /// the signature covers what is sent.
    pub fn encrypt_fields(mut self, names: &'static [&'static str]) -> Self {
        self.parts.encrypt = names;
        self
    }

    /// Another host serves this operation (a base URL configured on the client still wins).
    pub fn host(mut self, base_url: &'static str) -> Self {
        self.parts.origin = Origin::Spec(base_url);
        self
    }

    /// Sends the request; the answer, verified and successful, decoded into `T`.
    pub fn send<T: XmlObject>(self) -> V2Call<T> {
        V2Call::new(self.client, self.parts, |answer| match answer {
            Answer::Fields(fields) => T::read_fields(&fields).map_err(|e| decode_error(e.to_string(), 200, &[])),
            Answer::File(_) => Err(Error::request(
                RequestProblem::Internal,
                "internal: a file where fields were expected",
            )),
        })
    }

    /// Sends the request; the answer's fields, verified and successful, untyped.
    pub fn send_fields(self) -> V2Call<Vec<(String, String)>> {
        V2Call::new(self.client, self.parts, |answer| match answer {
            Answer::Fields(fields) => Ok(fields),
            Answer::File(_) => Err(Error::request(
                RequestProblem::Internal,
                "internal: a file where fields were expected",
            )),
        })
    }

    /// Sends the request for a file (`pay/downloadbill`, `pay/downloadfundflow`): the bytes
    /// as sent (text, or gzip when the request asked for `tar_type` `GZIP`). A failure comes
    /// as an XML answer instead and is [`Error::ApiV2`]. Files are not signed; the request is.
    pub fn send_file(mut self) -> V2Call<Vec<u8>> {
        self.parts.file = true;
        self.parts.signed = false;
        V2Call::new(self.client, self.parts, |answer| match answer {
            Answer::File(bytes) => Ok(bytes),
            Answer::Fields(_) => Err(Error::request(
                RequestProblem::Internal,
                "internal: fields where a file was expected",
            )),
        })
    }
}

/// A started APIv2 exchange.
type Exchange = Pin<Box<dyn Future<Output = Result<Answer, Error>> + Send>>;

/// What an APIv2 exchange gave: an answer's fields, or a file.
enum Answer {
    Fields(Vec<(String, String)>),
    File(Vec<u8>),
}

/// An APIv2 request ready to send: `.await` it, or [`blocking`](V2Call::blocking).
#[must_use = "a V2Call does nothing until it is awaited or `.blocking()` is called"]
pub struct V2Call<T> {
    client: Client,
    parts: Parts,
    decode: fn(Answer) -> Result<T, Error>,
    /// The exchange, once started (on the first poll).
    running: Option<Exchange>,
}

impl<T> V2Call<T> {
    fn new(client: Client, parts: Parts, decode: fn(Answer) -> Result<T, Error>) -> Self {
        V2Call {
            client,
            parts,
            decode,
            running: None,
        }
    }
}

impl<T> fmt::Debug for V2Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V2Call")
            .field("path", &self.parts.path)
            .finish_non_exhaustive()
    }
}

impl<T> V2Call<T> {
    /// Signs with `sign_type` instead of the operation's default.
    pub fn sign_type(mut self, sign_type: SignType) -> Self {
        self.parts.sign_type = sign_type;
        self
    }

    /// The whole-request timeout of each attempt, in place of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.parts.timeout = Some(timeout);
        self
    }

    /// How many times this call is retried on a retryable error (a connection that could not
    /// be made, a timeout, `SYSTEMERROR`, …), in place of the client's
    /// [`retries`](crate::ClientBuilder::retries).
    pub fn retries(mut self, retries: u32) -> Self {
        self.parts.retries = Some(retries);
        self
    }

    /// Whether sending this request twice is harmless; `true` by default (APIv2 deduplicates
    /// on the merchant's number: `out_trade_no`, `out_refund_no`, `mch_billno`, …). With
    /// `false` it is sent again only when it is known not to have been processed, as
    /// [`Call::idempotent`](crate::Call::idempotent) says.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.parts.idempotent = idempotent;
        self
    }

    /// Runs the call synchronously on the client's own runtime (see [`Call::blocking`](crate::Call::blocking)).
    pub fn blocking(self) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Blocking);
        }
        let blocking = self.client.inner.blocking_runtime()?;
        let answer = blocking
            .runtime()
            .block_on(execute(&self.client, &blocking.http, self.parts))?;
        (self.decode)(answer)
    }
}

/// A call is its own future: it owns what it needs (a clone of the client), so it can be
/// spawned; nothing is sent before it is first polled.
impl<T> Future for V2Call<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let running = this.running.get_or_insert_with(|| {
            let parts = std::mem::replace(&mut this.parts, Parts::new(String::new()));
            let client = this.client.clone();
            Box::pin(async move { execute(&client, &client.inner.http, parts).await })
        });
        match running.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(answer) => Poll::Ready(answer.and_then(this.decode)),
        }
    }
}

impl Client {
    /// Calls the APIv2 operation at `path` (`/pay/orderquery`: APIv2 URLs have no `v2/`) with
    /// `fields`, signed with the APIv2 key ([`ClientBuilder::apiv2_key`](crate::ClientBuilder::apiv2_key))
    /// as `sign_type` says: `nonce_str` is added unless given, `sign_type` is sent for
    /// HMAC-SHA256, `sign` is computed. The answer's fields, once its `sign` checked out and its
    /// `return_code` and `result_code` are `SUCCESS`. The typed operations are under
    /// `client.v2()` of the client crate.
    ///
    /// A failure the answer reports is [`Error::ApiV2`] (an unsigned `return_code` `FAIL`, or
    /// a signed `result_code` `FAIL` with `err_code`); a missing or wrong `sign` is
    /// [`Error::Verification`]; an answer that is not APIv2 XML is [`Error::Decode`].
    pub async fn post_v2(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        sign_type: SignType,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut request = self.chain(path).v2_request().sign_type(sign_type);
        for (name, value) in fields {
            request = request.field(name, value);
        }
        request.send_fields().await
    }
}

fn decode_error(why: String, status: u16, body: &[u8]) -> Error {
    Error::Decode {
        source: <serde_json::Error as serde::de::Error>::custom(why),
        path: None,
        status,
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// The sensitive fields of `names`, encrypted in place; an empty one is left as it is.
fn encrypt_fields(inner: &crate::client::Inner, names: &[&str], fields: &mut [XmlField]) -> Result<(), Error> {
    let mut sensitive = fields
        .iter_mut()
        .filter(|f| names.contains(&f.name.as_str()) && !f.value.is_empty())
        .peekable();
    if sensitive.peek().is_none() {
        return Ok(());
    }
    let key = inner.apiv2_rsa_key.as_ref().ok_or_else(|| {
        Error::config(
            ConfigProblem::Missing,
            Setting::ApiV2RsaPublicKey,
            "this operation's bank details are RSA-encrypted with the key of risk/getpublickey: call \
             ClientBuilder::apiv2_rsa_public_key_pem",
        )
    })?;
    for field in sensitive {
        let plain = zeroize::Zeroizing::new(std::mem::take(&mut field.value));
        field.value = key.encrypt_oaep(plain.as_bytes())?;
    }
    Ok(())
}

/// The body to send: the fields with `nonce_str`, `sign_type` (for HMAC-SHA256) and `sign`.
fn signed_body(fields: &[XmlField], sign_type: SignType, key: &crypto::ApiV2Key) -> Result<String, Error> {
    let mut signed: Vec<(&str, &str, bool)> = fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str(), f.cdata))
        .collect();
    if signed.iter().any(|(n, _, _)| *n == "sign") {
        return Err(Error::request(
            RequestProblem::Conflicting,
            "`sign` is computed by the client: leave it out",
        ));
    }
    let nonce = crypto::nonce();
    if !signed.iter().any(|(n, _, _)| *n == "nonce_str") {
        signed.push(("nonce_str", &nonce, false));
    }
    if sign_type != SignType::Md5 && !signed.iter().any(|(n, _, _)| *n == "sign_type") {
        signed.push(("sign_type", sign_type.as_str(), false));
    }
    let pairs: Vec<(&str, &str)> = signed.iter().map(|(n, v, _)| (*n, *v)).collect();
    let signature = sign(&pairs, key, sign_type);
    signed.push(("sign", &signature, false));
    let written: Vec<xml::Field<'_>> = signed
        .iter()
        .map(|(name, value, cdata)| xml::Field {
            name,
            value,
            cdata: *cdata,
        })
        .collect();
    xml::write("xml", &written).map_err(|e| Error::request(RequestProblem::Malformed, e.to_string()))
}

async fn execute(client: &Client, http: &HttpClients, mut parts: Parts) -> Result<Answer, Error> {
    let inner = &client.inner;
    let key = inner.apiv2_key.as_ref().ok_or_else(|| {
        Error::config(
            ConfigProblem::Missing,
            Setting::ApiV2Key,
            "no APIv2 key: call ClientBuilder::apiv2_key (or set WECHATPAY_APIV2_KEY)",
        )
    })?;
    let mut fields = std::mem::replace(&mut parts.fields, Ok(Vec::new()))?;
    encrypt_fields(inner, parts.encrypt, &mut fields)?;
    let body = signed_body(&fields, parts.sign_type, key)?;
    // The same attempts as APIv3's (`send::run_attempts`): the base URL as APIv3 resolves it
    // (a configured one wins over the spec's host), failover to the backup host for the
    // client's own base URL, the re-send of a connection closed unanswered, the client's
    // retries for what `Error::is_retryable` says (a signed `SYSTEMERROR` among them).
    let policy = Policy::new(inner, &parts.origin, parts.retries, parts.idempotent);
    let span = crate::observe::Span::call(&reqwest::Method::POST, &parts.path);
    let attempts = V2Attempts {
        client,
        http,
        parts: &parts,
        body: bytes::Bytes::from(body),
        key,
    };
    span.run(run_attempts(inner, &attempts, policy)).await
}

/// APIv2's attempts: the same signed body each time.
struct V2Attempts<'a> {
    client: &'a Client,
    http: &'a HttpClients,
    parts: &'a Parts,
    body: bytes::Bytes,
    key: &'a crypto::ApiV2Key,
}

impl Attempts for V2Attempts<'_> {
    type Output = Answer;
    fn attempt<'s>(
        &'s self,
        base: &'s str,
        number: u32,
        answer: &'s mut send::Answer,
    ) -> impl Future<Output = Result<Answer, Error>> + Send + 's {
        attempt(self, base, number, answer)
    }
}

async fn attempt(a: &V2Attempts<'_>, base: &str, number: u32, answer: &mut send::Answer) -> Result<Answer, Error> {
    let inner = &a.client.inner;
    let parts = a.parts;
    let http = if parts.cert {
        a.http.mutual_tls()?
    } else {
        a.http.for_base(base)?
    };
    let timeout = inner.attempt_timeout(parts.timeout, parts.file);
    let url = format!("{base}{}", parts.path);
    let mut request = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(a.body.clone())
        .build()
        .map_err(|e| Error::request(RequestProblem::Malformed, format!("invalid URL {url:?}: {e}")))?;
    a.http.settle(&mut request, timeout);
    let method = reqwest::Method::POST;
    let seen = send::before_send(inner, &method, &parts.path, number, &mut request);
    let started = Instant::now();
    let result = exchange(a, http, request, timeout, started, answer).await;
    send::after_receive(
        inner,
        (&method, &parts.path, number, seen.as_ref()),
        answer,
        started.elapsed(),
        result.as_ref().map(drop),
    );
    result
}

async fn exchange(
    a: &V2Attempts<'_>,
    http: &reqwest::Client,
    request: reqwest::Request,
    timeout: Duration,
    started: Instant,
    seen: &mut send::Answer,
) -> Result<Answer, Error> {
    let inner = &a.client.inner;
    let parts = a.parts;
    let response = http
        .execute(request)
        .await
        .map_err(|e| inner.transport_error(e, started, timeout, false))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    seen.status = Some(status);
    seen.request_id = send::request_id(&headers);
    let limit = if parts.file {
        inner.transport.max_response_body
    } else {
        MAX_ANSWER
    };
    let (answer, cut) = read_at_most(response, limit, |e| inner.transport_error(e, started, timeout, true)).await?;
    if cut {
        return Err(Error::BodyTooLarge { limit });
    }
    if !(200..300).contains(&status) {
        return Err(send::api_error(status, &headers, &answer));
    }
    if parts.file && !answer.trim_ascii_start().starts_with(b"<xml>") {
        return Ok(Answer::File(answer.to_vec()));
    }
    let fields =
        xml::read(&answer, "xml").map_err(|e| decode_error(format!("not an APIv2 answer: {e}"), status, &answer))?;
    // A communication failure comes unsigned: it is reported as such, and nothing of it is
    // used but its message. So is a bill's failure.
    if parts.signed && xml::field(&fields, "return_code") == Some("SUCCESS") {
        verify(&fields, a.key, parts.sign_type)?;
    }
    check_result(&fields)?;
    if parts.file {
        return Err(decode_error(
            "a bill download answered with XML that reports no failure".into(),
            status,
            &answer,
        ));
    }
    Ok(Answer::Fields(fields))
}
