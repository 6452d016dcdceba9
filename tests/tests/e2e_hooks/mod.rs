//! End-to-end tests of what a caller adds around calls (issue 12): per-call options (timeout,
//! retries, idempotency), interceptors, a caller's own `reqwest::Client`, and the spans and
//! events of the `tracing` feature, against the loopback mock WeChat Pay server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wechatpay::runtime::{Attempt, HeaderMap, HeaderValue, Interceptor, Method, Outcome};
use wechatpay::{Client, Error};
use wechatpay_tests::mock::{MockConfig, MockServer, Reply, Tamper};
use wechatpay_tests::{builder, client, dead_base_url, keys};

mod interceptors;
mod options;
mod traces;

const AUTHINFO: &str = "/v3/offlineface/authinfo";

async fn post_authinfo(c: &Client) -> Result<Value, Error> {
    c.chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({"sub_mchid": "1900000109"}))
        .send_json()
        .await
}

/// A client of `server` that retries up to `retries` times, 5 ms apart.
fn retrying_client(server: &MockServer, retries: u32) -> Client {
    builder()
        .base_url(server.base_url())
        .retries(retries)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap()
}
