//! The path of a call: segments pushed one by one, parameters percent-encoded as one segment.

use crate::error::RequestProblem;
use std::fmt::{self, Display};

use percent_encoding::utf8_percent_encode;
use reqwest::Method;

use super::client::Client;
use super::encoding::ENCODE;
use super::error::Error;
use super::request::{Parts, Request};

/// A URL path being built, segment by segment, relative to the client's base URL.
pub struct Route {
    client: Client,
    path: String,
    /// The path with each parameter as `{name}` (`/v3/pay/transactions/id/{transaction_id}`):
    /// the operation, for traces and interceptors, without the values.
    template: String,
    error: Option<String>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Route {
    /// An empty path, for a clone of `client` (a call owns what it needs: it can be spawned).
    pub(crate) fn new(client: &Client) -> Self {
        let client = client.clone();
        Route {
            client,
            path: String::new(),
            template: String::new(),
            error: None,
        }
    }

    pub(crate) fn with_path(client: &Client, path: &str) -> Self {
        let client = client.clone();
        let mut full = String::with_capacity(path.len() + 1);
        if !path.starts_with('/') {
            full.push('/');
        }
        full.push_str(path);
        // An untyped path has no placeholders: it is its own template (without a query).
        let template = full.split('?').next().unwrap_or_default().to_owned();
        Route {
            client,
            path: full,
            template,
            error: None,
        }
    }

    /// Appends `/` and a literal segment (used as is).
    pub fn push(mut self, segment: &'static str) -> Self {
        self.path.push('/');
        self.path.push_str(segment);
        self.template.push('/');
        self.template.push_str(segment);
        self
    }

    /// Appends `/` and the value of the path parameter `name`, percent-encoded once (never
    /// case-converted); the template gets `{name}`.
    ///
    /// An empty value, `.` or `..` would change which resource is addressed; the call then
    /// fails with [`Error::InvalidRequest`] without sending anything.
    pub fn push_param(mut self, name: &'static str, value: &dyn Display) -> Self {
        push_param_inner(&mut self, &value.to_string());
        self.template.push_str("/{");
        self.template.push_str(name);
        self.template.push('}');
        self
    }

    /// The path built so far (e.g. `/v3/pay/transactions/id/4200…`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path template built so far (e.g. `/v3/pay/transactions/id/{transaction_id}`).
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The client, the path and the error of an invalid segment, for an APIv2 request.
    #[cfg(feature = "v2")]
    pub(crate) fn into_v2_parts(self) -> (Client, String, Option<String>) {
        (self.client, self.path, self.error)
    }

    /// Starts a request with `method` to this path.
    pub fn request(self, method: Method) -> Request {
        // A query written into an untyped `chain("v3/x?a=1")` path is kept, and later
        // `.query(…)` calls append to it with `&`.
        let mut path = self.path;
        let query = match path.find('?') {
            Some(i) => path.split_off(i),
            None => String::new(),
        };
        let mut parts = Parts::new(method, path, query);
        parts.operation = self.template;
        parts.error = self.error.map(|why| Error::request(RequestProblem::Malformed, why));
        Request {
            client: self.client,
            parts,
        }
    }
}

fn push_param_inner(route: &mut Route, value: &str) {
    if (value.is_empty() || value == "." || value == "..") && route.error.is_none() {
        route.error = Some(format!(
            "path parameter after {:?} is {value:?}, which is not a valid path segment",
            route.path
        ));
    }
    route.path.push('/');
    route.path.extend(utf8_percent_encode(value, ENCODE));
}

impl Client {
    /// An untyped request to any path, for operations the typed API does not cover (like the
    /// PHP SDK's `chain('v3/…')`). The leading slash is optional; the path is used as given
    /// (already percent-encoded), relative to the base URL.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::runtime::Method;
    /// let value: serde_json::Value = client
    ///     .chain("v3/pay/transactions/id/4200000000000000")
    ///     .request(Method::GET)
    ///     .query("mchid", "1900000001")
    ///     .send_json()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn chain(&self, path: &str) -> Route {
        Route::with_path(self, path)
    }
}
