//! The typed body of a call together with what the platform said around it: status, headers,
//! and the `Request-ID` merchants must log for every call (WeChat Pay support asks for it).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use reqwest::header::HeaderMap;

use super::call::{run_blocking, Call, Decoder};
use super::error::Error;
use super::send::{request_id, Received};

/// A verified response: the typed body, the status, the headers and the `Request-ID`. Made by
/// [`Call::with_meta`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Response<T> {
    /// The HTTP status (2xx: anything else is an [`Error::Api`]).
    pub status: u16,
    /// The `Request-ID` header: log it, WeChat Pay support asks for it.
    pub request_id: Option<String>,
    /// All response headers.
    pub headers: HeaderMap,
    /// The decoded body.
    pub body: T,
}

impl<T> Call<T> {
    /// The call, answering with a [`Response`]: the typed body with its status, headers and
    /// `Request-ID`, for the merchant's logs.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let answer = client
    ///     .chain("v3/certificates")
    ///     .request(wechatpay::Method::GET)
    ///     .send_json::<serde_json::Value>()
    ///     .with_meta()
    ///     .await?;
    /// println!("Request-ID {:?}: {}", answer.request_id, answer.body);
    /// # Ok(()) }
    /// ```
    pub fn with_meta(self) -> CallWithMeta<T> {
        CallWithMeta(self)
    }
}

/// A [`Call`] that answers with a [`Response`] ([`Call::with_meta`]). `.await` it, or call
/// [`blocking`](Self::blocking) outside async code.
#[must_use = "a call does nothing until it is awaited or `.blocking()` is called"]
pub struct CallWithMeta<T>(Call<T>);

impl<T> fmt::Debug for CallWithMeta<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CallWithMeta").field(&self.0).finish()
    }
}

impl<T> CallWithMeta<T> {
    /// Runs the call synchronously (see [`Call::blocking`]).
    pub fn blocking(self) -> Result<Response<T>, Error> {
        let call = self.0;
        with_meta(run_blocking(&call.client, call.parts, call.stream)?, call.decode)
    }
}

impl<T> Future for CallWithMeta<T> {
    type Output = Result<Response<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let call = &mut self.get_mut().0;
        match call.poll_exchange(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(received)) => Poll::Ready(with_meta(received, call.decode)),
        }
    }
}

fn with_meta<T>(received: Received, decode: Decoder<T>) -> Result<Response<T>, Error> {
    let (status, headers) = received.meta();
    let request_id = request_id(&headers);
    Ok(Response {
        status,
        request_id,
        headers,
        body: decode(received)?,
    })
}
