//! A notification endpoint as a `tower::Service` (feature `tower`): any tower-based framework
//! (axum, and others through their tower adapters) mounts it; with feature `axum`, a
//! [`NotificationAnswer`] is an axum response and [`Notified`] an extractor, for endpoints
//! written by hand.
//!
//! ```no_run
//! # async fn f(client: wechatpay::Client) {
//! use std::sync::Arc;
//! use wechatpay::runtime::{MemoryLedger, NotificationService};
//!
//! let endpoint = NotificationService::new(client, |event: wechatpay::NotificationEvent| async move {
//!     // wechatpay::notifications::Resource::decode(&event)? … update the order …
//!     Ok::<(), wechatpay::Error>(())
//! })
//! .ledger(Arc::new(MemoryLedger::new(10_000)));
//! // axum: Router::new().route_service("/notify", endpoint)
//! # let _ = endpoint; }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::BodyExt as _;

use crate::client::Client;
use crate::ledger::{Claim, ClaimToken, NotificationLedger};
use crate::notify::{NotificationAnswer, NotificationEvent};
use crate::Error;

/// The most bytes of a notification body read by default (they are a few KiB).
pub const MAX_NOTIFICATION_BODY: usize = 64 << 10;

/// A notification endpoint: each `POST` is verified, decrypted, handed to the handler once per
/// notification id (with a [`NotificationLedger`]) and answered as WeChat Pay expects (success
/// `204`; a failure `4xx`/`5xx` with `{"code":"FAIL",…}`, after which WeChat Pay delivers the
/// notification again). See [`Client::handle_notification_once`] for every case.
pub struct NotificationService<H, L = NoLedger> {
    client: Client,
    handler: H,
    ledger: Arc<L>,
    max_body: usize,
}

impl<H> NotificationService<H, NoLedger> {
    /// An endpoint that runs `handler` on every verified notification (no ledger: a
    /// redelivery runs it again; give one with [`ledger`](Self::ledger)).
    pub fn new(client: impl Into<Client>, handler: H) -> Self {
        NotificationService {
            client: client.into(),
            handler,
            ledger: Arc::new(NoLedger),
            max_body: MAX_NOTIFICATION_BODY,
        }
    }
}

impl<H, L> NotificationService<H, L> {
    /// Runs the handler once per notification id across every instance sharing `ledger`.
    pub fn ledger<M>(self, ledger: Arc<M>) -> NotificationService<H, M> {
        NotificationService {
            client: self.client,
            handler: self.handler,
            ledger,
            max_body: self.max_body,
        }
    }

    /// The most bytes of a body read (a larger one is answered `413`).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}

impl<H: Clone, L> Clone for NotificationService<H, L> {
    fn clone(&self) -> Self {
        NotificationService {
            client: self.client.clone(),
            handler: self.handler.clone(),
            ledger: self.ledger.clone(),
            max_body: self.max_body,
        }
    }
}

impl<H, L> fmt::Debug for NotificationService<H, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationService")
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl<H, L, Fut, E, B> tower_service::Service<http::Request<B>> for NotificationService<H, L>
where
    H: Fn(NotificationEvent) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display + 'static,
    L: NotificationLedger + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<String>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.answer(request).await.into_http()) })
    }
}

impl<H, L, Fut, E> NotificationService<H, L>
where
    H: Fn(NotificationEvent) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
    L: NotificationLedger,
{
    async fn answer<B>(&self, request: http::Request<B>) -> NotificationAnswer
    where
        B: http_body::Body,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if request.method() != http::Method::POST {
            return NotificationAnswer::failure(405, "notifications are POSTed");
        }
        let (parts, body) = request.into_parts();
        let body = match raw_body(body, self.max_body).await {
            Ok(body) => body,
            Err(why) => return NotificationAnswer::failure(413, why),
        };
        self.client
            .handle_notification_once(&parts.headers, &body, &*self.ledger, &self.handler)
            .await
    }
}

/// A notification's body, the raw bytes exactly as received (the signature covers them), at
/// most `max` of them.
async fn raw_body<B>(body: B, max: usize) -> Result<bytes::Bytes, &'static str>
where
    B: http_body::Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    http_body_util::Limited::new(body, max)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|_| "the body is too large, or broke off")
}

impl NotificationAnswer {
    /// The answer as an `http` response (status, `Content-Type` when it has a body, body).
    pub fn into_http(self) -> http::Response<String> {
        let mut response = http::Response::new(self.body().to_owned());
        *response.status_mut() =
            http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(content_type) = self.content_type() {
            response
                .headers_mut()
                .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
        }
        response
    }
}

/// The ledger of an endpoint without one: every delivery is handled (a redelivery runs the
/// handler again).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLedger;

impl NotificationLedger for NoLedger {
    async fn claim(&self, _: &str) -> Result<Claim, Error> {
        Ok(Claim::Claimed(ClaimToken::new()))
    }

    async fn complete(&self, _: &str, _: &ClaimToken) -> Result<(), Error> {
        Ok(())
    }

    async fn release(&self, _: &str, _: &ClaimToken) -> Result<(), Error> {
        Ok(())
    }
}

/// axum (feature `axum`): the answer is a response, a verified notification an extractor.
#[cfg(feature = "axum")]
mod axum {
    use axum_core::extract::{FromRef, FromRequest, Request};
    use axum_core::response::{IntoResponse, Response};

    use super::MAX_NOTIFICATION_BODY;
    use crate::client::Client;
    use crate::notify::{NotificationAnswer, NotificationEvent};

    impl IntoResponse for NotificationAnswer {
        fn into_response(self) -> Response {
            self.into_http().into_response()
        }
    }

    /// A verified and decrypted notification, extracted from the request's headers and exact
    /// body bytes with the state's [`Client`] (`Client: FromRef<S>`; `wechatpay::Client` as
    /// the state works). Refused (not verifiable, not decryptable, too large), the request is
    /// answered with [`NotificationAnswer::for_error`] and the handler does not run.
    ///
    /// ```no_run
    /// # #[cfg(feature = "axum")] {
    /// use wechatpay::runtime::{NotificationAnswer, Notified};
    ///
    /// async fn notify(Notified(event): Notified) -> NotificationAnswer {
    ///     match wechatpay::notifications::Resource::decode(&event) {
    ///         Ok(_resource) => NotificationAnswer::success(), // handled
    ///         Err(e) => NotificationAnswer::for_error(&e),
    ///     }
    /// }
    /// // Router::new().route("/notify", axum::routing::post(notify)).with_state(client)
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct Notified(pub NotificationEvent);

    impl<S> FromRequest<S> for Notified
    where
        Client: FromRef<S>,
        S: Send + Sync,
    {
        type Rejection = NotificationAnswer;

        async fn from_request(request: Request, state: &S) -> Result<Self, NotificationAnswer> {
            let client = Client::from_ref(state);
            let (parts, body) = request.into_parts();
            let body = super::raw_body(body, MAX_NOTIFICATION_BODY)
                .await
                .map_err(|why| NotificationAnswer::failure(413, why))?;
            client
                .handle_notification(&parts.headers, &body)
                .map(Notified)
                .map_err(|e| NotificationAnswer::for_error(&e))
        }
    }
}

#[cfg(feature = "axum")]
pub use self::axum::Notified;

/// An APIv2 notification endpoint (features `tower` and `v2`): each `POST`'s XML read, its
/// `sign` checked (a refund's `req_info` decrypted) with the client's APIv2 key, `handler` run
/// on its fields, and the XML answer WeChat Pay expects: `SUCCESS`, or `FAIL` with the reason
/// (not authentic, or the handler's error), after which WeChat Pay delivers it again. APIv2
/// notifications carry no notification id: make the handler idempotent on the order (a payment
/// already recorded is acknowledged again). Type the fields with the page's reader
/// (`v2::PaymentResult::read_fields`, …) or use them as they are.
#[cfg(feature = "v2")]
pub struct V2NotificationService<H> {
    client: Client,
    handler: H,
    max_body: usize,
}

#[cfg(feature = "v2")]
impl<H> V2NotificationService<H> {
    /// An endpoint that runs `handler` on every authentic notification.
    pub fn new(client: impl Into<Client>, handler: H) -> Self {
        V2NotificationService {
            client: client.into(),
            handler,
            max_body: MAX_NOTIFICATION_BODY,
        }
    }

    async fn answer<B, Fut, E>(&self, request: http::Request<B>) -> Result<(), String>
    where
        H: Fn(Vec<(String, String)>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: fmt::Display,
        B: http_body::Body,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        use crate::v2;
        if request.method() != http::Method::POST {
            return Err("notifications are POSTed".into());
        }
        let body = raw_body(request.into_body(), self.max_body).await?;
        let key = self
            .client
            .inner
            .apiv2_key
            .as_ref()
            .ok_or_else(|| "no APIv2 key: ClientBuilder::apiv2_key (WECHATPAY_APIV2_KEY)".to_owned())?;
        let fields = v2::notification_fields(&body, key).map_err(|e| e.to_string())?;
        (self.handler)(fields).await.map_err(|e| e.to_string())
    }
}

#[cfg(feature = "v2")]
impl<H: Clone> Clone for V2NotificationService<H> {
    fn clone(&self) -> Self {
        V2NotificationService {
            client: self.client.clone(),
            handler: self.handler.clone(),
            max_body: self.max_body,
        }
    }
}

#[cfg(feature = "v2")]
impl<H> fmt::Debug for V2NotificationService<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V2NotificationService").finish_non_exhaustive()
    }
}

#[cfg(feature = "v2")]
impl<H, Fut, E, B> tower_service::Service<http::Request<B>> for V2NotificationService<H>
where
    H: Fn(Vec<(String, String)>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<String>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let body = match this.answer(request).await {
                Ok(()) => crate::v2::answer_success(),
                Err(why) => crate::v2::answer_failure(&why),
            };
            let mut response = http::Response::new(body);
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            Ok(response)
        })
    }
}
