//! A call: the future (or `.blocking()`) that sends a request and decodes its verified answer.

use crate::error::RequestProblem;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::client::{Client, Inner};
use super::download::Download;
use super::error::Error;
use super::request::{Parts, Request};
use super::send::{api_error, execute, Received, Verified};

pub(crate) type Decoder<T> = fn(Received) -> Result<T, Error>;

pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(received: Received) -> Result<T, Error> {
    let verified = received.into_verified()?;
    // `202 Accepted` with the platform's `{"code": …}` where a result is expected: accepted,
    // no result yet (codepay's `USERPAYING`: the user is entering the password; query the order
    // later). It is its own answer, never a result with every field `None`. (An empty 202, the
    // fapiao operations' documented answer, decodes as before.)
    if verified.status == 202 && is_platform_code(&verified.body) {
        return Err(api_error(202, &verified.headers, &verified.body));
    }
    crate::object::from_json(json_body(&verified.body)).map_err(|(source, path)| decode_error(source, path, verified))
}

/// Whether a body is the platform's `{"code": "…", …}` answer.
fn is_platform_code(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.get("code").is_some_and(|c| c.is_string()))
}

pub(crate) fn decode_nothing(received: Received) -> Result<(), Error> {
    received.into_verified().map(drop)
}

pub(crate) fn decode_bytes(received: Received) -> Result<Vec<u8>, Error> {
    received.into_verified().map(|v| v.body.to_vec())
}

pub(crate) fn decode_download(received: Received) -> Result<Download, Error> {
    match received {
        Received::Download(d) => Ok(*d),
        Received::Buffered(_) => Err(Error::request(
            RequestProblem::Internal,
            "internal: a body where a download was expected",
        )),
    }
}

/// An empty (or blank) body decodes like `null`.
fn json_body(body: &[u8]) -> &[u8] {
    if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    }
}

fn decode_error(source: serde_json::Error, path: Option<String>, verified: Verified) -> Error {
    Error::Decode {
        source,
        path,
        status: verified.status,
        body: String::from_utf8_lossy(&verified.body).into_owned(),
    }
}

impl Request {
    /// Sends the request for a file (a bill, a PDF, an image): the 2xx body is not decoded but
    /// returned as a [`Download`] to stream into a writer.
    ///
    /// With [`ResponseSignature::Body`](crate::ResponseSignature::Body) (the default) the body
    /// is read whole and verified before the `Download` is returned; with
    /// [`ResponseSignature::None`](crate::ResponseSignature::None) or
    /// [`ResponseSignature::StatementSha1`](crate::ResponseSignature::StatementSha1) it streams
    /// (a statement's SHA-1 is checked at the end of [`Download::write_to`]). A non-2xx answer is [`Error::Api`]. Downloads use the
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
    pub fn send_download(self) -> Call<Download> {
        Call::new(self.client, self.parts, decode_download, true)
    }

    /// Sends the request; the verified 2xx body is decoded as JSON into `T`. An empty body
    /// decodes like `null` (so `serde_json::Value` and `Option<_>` accept it).
    pub fn send_json<T: serde::de::DeserializeOwned>(self) -> Call<T> {
        Call::new(self.client, self.parts, decode_json::<T>, false)
    }

    /// Sends the request expecting no content (204): the response is verified (signature
    /// over the empty body) and its body ignored.
    pub fn send_empty(self) -> Call<()> {
        Call::new(self.client, self.parts, decode_nothing, false)
    }

    /// Sends the request and returns the verified 2xx body bytes, undecoded.
    pub fn send_bytes(self) -> Call<Vec<u8>> {
        Call::new(self.client, self.parts, decode_bytes, false)
    }
}

/// A request ready to send, and its future: `.await` it, hand it to `tokio::spawn` (it owns
/// what it needs: a clone of the client, the request as built), or call
/// [`blocking`](Call::blocking) outside async code. Nothing is sent before it is first polled.
#[must_use = "a Call does nothing until it is awaited or `.blocking()` is called"]
pub struct Call<T> {
    pub(crate) client: Client,
    pub(crate) parts: Parts,
    pub(crate) decode: Decoder<T>,
    pub(crate) stream: bool,
    /// The exchange, once started (on the first poll).
    running: Option<BoxFuture>,
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.parts.method)
            .field("path", &self.parts.path)
            .finish_non_exhaustive()
    }
}

impl<T> Call<T> {
    pub(crate) fn new(client: Client, parts: Parts, decode: Decoder<T>, stream: bool) -> Self {
        Call {
            client,
            parts,
            decode,
            stream,
            running: None,
        }
    }

    /// The exchange of this call, started on the first poll with the request as built.
    pub(crate) fn poll_exchange(&mut self, cx: &mut Context<'_>) -> Poll<Result<Received, Error>> {
        let running = self.running.get_or_insert_with(|| {
            let empty = Parts::new(self.parts.method.clone(), String::new(), String::new());
            let parts = std::mem::replace(&mut self.parts, empty);
            execute_owned(self.client.clone(), parts, self.stream)
        });
        running.as_mut().poll(cx)
    }
}

impl<T> Call<T> {
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

    /// The whole-request timeout of each attempt of this call (connect, send, answer read
    /// whole), in place of [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) (or, for a
    /// download, [`download_timeout`](crate::ClientBuilder::download_timeout)). Running out is
    /// [`Error::Timeout`].
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.parts.options.timeout = Some(timeout);
        self
    }

    /// How many times this call is retried on a retryable error, in place of
    /// [`ClientBuilder::retries`](crate::ClientBuilder::retries) (`0`: never).
    pub fn retries(mut self, retries: u32) -> Self {
        self.parts.options.retries = Some(retries);
        self
    }

    /// Whether sending this request twice is harmless. `true` by default: queries are, and the
    /// operations that create something (orders, refunds, transfers) are idempotent on the
    /// merchant's number (`out_trade_no`, `out_refund_no`, …) when the same body is sent again.
    ///
    /// With `false`, the call is sent again only when it is known not to have been processed:
    /// a connection that could not be made (retries, [failover](crate::ClientBuilder::failover))
    /// or `429`/`FREQUENCY_LIMITED`; never after a timeout, a `5xx` or a connection closed
    /// unanswered, which may follow a request the platform carried out.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.parts.options.idempotent = idempotent;
        self
    }

    /// Runs the call synchronously, on a runtime owned by the client (created on first use,
    /// one worker thread, its own connection pool).
    ///
    /// Called from inside a tokio runtime (where blocking would stall the executor), it returns
    /// [`Error::Blocking`] instead of panicking.
    pub fn blocking(self) -> Result<T, Error> {
        (self.decode)(run_blocking(&self.client, self.parts, self.stream)?)
    }
}

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = Result<Received, Error>> + Send>>;

impl<T> Future for Call<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.poll_exchange(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(received)) => Poll::Ready((this.decode)(received)),
        }
    }
}

/// The exchange as a future that owns the client (a clone: one reference count).
pub(crate) fn execute_owned(client: Client, parts: Parts, stream: bool) -> BoxFuture {
    Box::pin(async move { execute(&client, &client.inner.http, parts, stream).await })
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
