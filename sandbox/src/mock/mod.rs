//! A loopback HTTP/1.1 server that plays WeChat Pay's side of the API v3, for end-to-end tests.
//!
//! It is an independent implementation (it shares no code with the client):
//! - every request must carry a valid `Authorization: WECHATPAY2-SHA256-RSA2048 …` header
//!   (see [`auth`]), a `User-Agent` and `Accept: application/json`; otherwise it answers
//!   `401 {"code":"SIGN_ERROR","message":"<reason>"}` like WeChat Pay;
//! - every request is recorded ([`MockServer::requests`]);
//! - it answers from the routes the test registers ([`MockServer::on`]), `404
//!   RESOURCE_NOT_EXISTS` otherwise;
//! - every response is signed with the platform private key (`Wechatpay-Timestamp`,
//!   `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial`) and carries a `Request-ID`;
//!   [`Tamper`] breaks that on purpose for negative tests.
//!
//! It lives in the `wechatpay-sandbox` crate (the `wechatpay sandbox` command builds its
//! spec-driven responder on it, see [`MockServer::fallback`]); the test crate re-exports it as
//! `wechatpay_tests::mock`.
//!
//! ```no_run
//! # async fn demo() {
//! use wechatpay_sandbox::mock::{MockConfig, MockServer, Reply};
//! let server = MockServer::start(MockConfig::default()).await;
//! server.on("POST", "/v3/offlineface/authinfo", Reply::json(200, serde_json::json!({"authinfo": "x"})));
//! let base = server.base_url(); // http://127.0.0.1:PORT
//! # }
//! ```

pub mod auth;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::keys;

/// Largest request body the server reads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// An unknown serial used by [`Tamper::UnknownSerial`].
pub const UNKNOWN_SERIAL: &str = "PUB_KEY_ID_0999999999999999999999999999";

/// A key the server signs responses with, and the serial (`Wechatpay-Serial`) it announces.
#[derive(Clone)]
pub struct ResponseKey {
    serial: String,
    key: Arc<RsaKeyPair>,
}

impl std::fmt::Debug for ResponseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseKey")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl ResponseKey {
    /// A PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM key.
    pub fn from_pem(serial: &str, pem: &str) -> Result<Self, String> {
        let key = if pem.contains("BEGIN PRIVATE KEY") {
            RsaKeyPair::from_pkcs8(&keys::pem_to_der(pem, "PRIVATE KEY")?)
        } else {
            RsaKeyPair::from_der(&keys::pem_to_der(pem, "RSA PRIVATE KEY")?)
        }
        .map_err(|e| format!("bad RSA private key: {e}"))?;
        Ok(ResponseKey {
            serial: serial.to_string(),
            key: Arc::new(key),
        })
    }

    /// Public-key mode: `wechatpay_key.pem`, serial `PUB_KEY_ID_0114232134912410000000000000`.
    pub fn wechatpay_public_key() -> Self {
        Self::from_pem(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_KEY_PEM).expect("sandbox/keys/wechatpay_key.pem")
    }

    /// Legacy mode: the key of `platform_cert.pem`, serial [`keys::PLATFORM_CERT_SERIAL`].
    pub fn platform_certificate() -> Self {
        Self::from_pem(keys::PLATFORM_CERT_SERIAL, keys::PLATFORM_CERT_KEY_PEM)
            .expect("sandbox/keys/platform_cert_key.pem")
    }

    /// The serial announced in `Wechatpay-Serial`.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// base64(RSASSA-PKCS1-v1_5 SHA-256(message)).
    pub fn sign_base64(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("RSA signing");
        base64::engine::general_purpose::STANDARD.encode(sig)
    }
}

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// The merchant number requests must carry.
    pub mchid: String,
    /// The merchant certificate serial requests must carry in `serial_no`.
    pub merchant_serial: String,
    /// DER (SPKI or PKCS#1) of the merchant public key that verifies request signatures.
    pub merchant_public_key_der: Vec<u8>,
    /// The key signing responses, and the serial announced.
    pub response_key: ResponseKey,
    /// Allowed clock difference for the request timestamp (WeChat Pay: 300 s).
    pub max_skew_secs: i64,
    /// Check the `Authorization` header (on by default; turn off only to test the mock).
    pub check_authorization: bool,
    /// Reject a `nonce_str` the server has already seen (a CSPRNG never repeats one).
    pub reject_reused_nonce: bool,
}

impl Default for MockConfig {
    /// Public-key mode with the test keys, merchant [`keys::MCHID`] / [`keys::MERCHANT_SERIAL`].
    fn default() -> Self {
        MockConfig {
            mchid: keys::MCHID.to_string(),
            merchant_serial: keys::MERCHANT_SERIAL.to_string(),
            merchant_public_key_der: keys::pem_to_der(keys::MERCHANT_PUB_PEM, "PUBLIC KEY")
                .expect("sandbox/keys/merchant_pub.pem"),
            response_key: ResponseKey::wechatpay_public_key(),
            max_skew_secs: 300,
            check_authorization: true,
            reject_reused_nonce: true,
        }
    }
}

impl MockConfig {
    /// Public-key mode (the default).
    pub fn public_key_mode() -> Self {
        Self::default()
    }

    /// Legacy mode: responses signed with the platform certificate's key.
    pub fn certificate_mode() -> Self {
        Self::default().response_key(ResponseKey::platform_certificate())
    }

    pub fn mchid(mut self, mchid: &str) -> Self {
        self.mchid = mchid.to_string();
        self
    }

    pub fn merchant_serial(mut self, serial: &str) -> Self {
        self.merchant_serial = serial.to_string();
        self
    }

    pub fn response_key(mut self, key: ResponseKey) -> Self {
        self.response_key = key;
        self
    }
}

/// A way to break the response signature, for negative tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Sign the route's body, then send these bytes instead.
    BodyAfterSigning(Vec<u8>),
    /// `Wechatpay-Timestamp` = now + offset seconds (signed consistently, so only the window fails).
    TimestampOffset(i64),
    /// Announce this serial in `Wechatpay-Serial` (the signature is still made with the real key).
    Serial(String),
    /// Announce [`UNKNOWN_SERIAL`].
    UnknownSerial,
    /// Leave out one response header (`Wechatpay-Signature`, `Request-ID`, …).
    OmitHeader(String),
    /// No `Wechatpay-*` header at all.
    Unsigned,
    /// A well-formed signature made with another key (the merchant's).
    WrongKey,
    /// `Wechatpay-Signature` that is not base64.
    GarbageSignature,
    /// A probe signature, as the platform sends to check that merchants verify:
    /// `WECHATPAY/SIGNTEST/` + a valid signature.
    ProbeSignature,
}

impl Tamper {
    /// `Wechatpay-Timestamp` 301 s in the past.
    pub fn stale_past() -> Self {
        Tamper::TimestampOffset(-301)
    }
    /// `Wechatpay-Timestamp` 400 s in the future.
    pub fn stale_future() -> Self {
        Tamper::TimestampOffset(400)
    }
    pub fn omit(header: &str) -> Self {
        Tamper::OmitHeader(header.to_string())
    }
}

/// What a route answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub tamper: Vec<Tamper>,
    /// Sign with this key instead of the server's.
    pub signed_by: Option<ResponseKey>,
    /// Sign these bytes instead of the body (statements sign `{"sha1":"…"}`).
    pub signed_body: Option<Vec<u8>>,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Close the connection instead of answering.
    pub drop_connection: bool,
}

impl Reply {
    /// A JSON body (`Content-Type: application/json`), serialised compactly.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::raw(status, "application/json", serde_json::to_vec(&body).expect("json"))
    }

    /// A JSON body given as exact text (for bodies whose bytes matter).
    pub fn json_text(status: u16, body: &str) -> Self {
        Self::raw(status, "application/json", body.as_bytes().to_vec())
    }

    /// Any body with its content type.
    pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Reply {
            status,
            body,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            tamper: Vec::new(),
            signed_by: None,
            signed_body: None,
            delay: None,
            drop_connection: false,
        }
    }

    /// An empty body with this status.
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            body: Vec::new(),
            headers: Vec::new(),
            tamper: Vec::new(),
            signed_by: None,
            signed_body: None,
            delay: None,
            drop_connection: false,
        }
    }

    /// `204 No Content`, empty body (signed over the empty body).
    pub fn no_content() -> Self {
        Self::empty(204)
    }

    /// A platform error `{"code":…,"message":…}`.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, serde_json::json!({"code": code, "message": message}))
    }

    /// An extra response header (a `Request-ID` given here replaces the generated one).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn tamper(mut self, tamper: Tamper) -> Self {
        self.tamper.push(tamper);
        self
    }

    pub fn signed_by(mut self, key: ResponseKey) -> Self {
        self.signed_by = Some(key);
        self
    }

    pub fn sign_over(mut self, bytes: &[u8]) -> Self {
        self.signed_body = Some(bytes.to_vec());
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// No answer: the connection is closed (after the delay, if any).
    pub fn dropped() -> Self {
        Reply {
            drop_connection: true,
            ..Self::empty(502)
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Path plus `?query`, exactly as on the wire.
    pub target: String,
    /// Header names lower-case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Ok` if the authorization check passed, else the reason sent with `SIGN_ERROR`.
    pub auth: Result<(), String>,
    /// Whether it came from this machine (the simulator's control API answers only those).
    pub from_loopback: bool,
}

impl RecordedRequest {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of this header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).expect("request body is UTF-8")
    }

    /// The body parsed as JSON (panics if it is not JSON).
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The parsed `Authorization` header, if it parses.
    pub fn authorization(&self) -> Option<auth::Authorization> {
        auth::parse_authorization(self.header("authorization")?).ok()
    }
}

struct Route {
    replies: Vec<Reply>,
    hits: usize,
}

/// Answers requests no registered route matches (`None`: `404 RESOURCE_NOT_EXISTS`).
/// Called only for requests whose authorization passed.
pub type Fallback = Arc<dyn Fn(&RecordedRequest) -> Option<Reply> + Send + Sync>;

/// Sees every request with the status it was answered with (for a log).
pub type Observer = Arc<dyn Fn(&RecordedRequest, u16) + Send + Sync>;

struct State {
    config: MockConfig,
    routes: Mutex<HashMap<(String, String), Route>>,
    fallback: Mutex<Option<Fallback>>,
    observer: Mutex<Option<Observer>>,
    /// Keep at most this many recorded requests (oldest dropped); `None`: all.
    record_limit: Mutex<Option<usize>>,
    requests: Mutex<VecDeque<RecordedRequest>>,
    nonces: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running server; stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl MockServer {
    /// Binds 127.0.0.1 on an ephemeral port and serves on the current tokio runtime.
    pub async fn start(config: MockConfig) -> Self {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), config)
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// Binds `addr` (port 0: an ephemeral port) and serves on the current tokio runtime.
    pub async fn bind(addr: SocketAddr, config: MockConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            config,
            routes: Mutex::new(HashMap::new()),
            fallback: Mutex::new(None),
            observer: Mutex::new(None),
            record_limit: Mutex::new(None),
            requests: Mutex::new(VecDeque::new()),
            nonces: Mutex::new(HashSet::new()),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(MockServer {
            addr,
            state,
            task: Some(task),
            runtime: None,
        })
    }

    /// For plain (non-async) tests: serves on its own runtime with its own thread.
    pub fn start_blocking(config: MockConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mock-wechatpay")
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut server = runtime.block_on(Self::start(config));
        server.runtime = Some(runtime);
        server
    }

    /// Hands the runtime serving this server to it, to shut down when it is dropped.
    pub(crate) fn attach_runtime(&mut self, runtime: tokio::runtime::Runtime) {
        self.runtime = Some(runtime);
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers a route. `target` is a path (matches any query) or a path with `?query`
    /// (matches exactly that, and wins over the bare path). Replaces an earlier route.
    pub fn on(&self, method: &str, target: &str, reply: Reply) -> &Self {
        self.on_sequence(method, target, vec![reply])
    }

    /// A route answering the replies in turn, repeating the last one.
    pub fn on_sequence(&self, method: &str, target: &str, replies: Vec<Reply>) -> &Self {
        assert!(!replies.is_empty(), "on_sequence needs at least one reply");
        lock(&self.state.routes).insert(
            (method.to_ascii_uppercase(), target.to_string()),
            Route { replies, hits: 0 },
        );
        self
    }

    /// Answers what no route matches (the sandbox's spec-driven responder). Replaces an
    /// earlier fallback.
    pub fn fallback(&self, fallback: Fallback) -> &Self {
        *lock(&self.state.fallback) = Some(fallback);
        self
    }

    /// Calls `observer` with every request and the status it was answered with.
    pub fn observe(&self, observer: Observer) -> &Self {
        *lock(&self.state.observer) = Some(observer);
        self
    }

    /// Keeps only the last `limit` requests (a long-running server); the default keeps all.
    /// It also bounds the remembered nonces to about `limit` × 4.
    pub fn record_limit(&self, limit: usize) -> &Self {
        *lock(&self.state.record_limit) = Some(limit.max(1));
        self
    }

    /// How many requests a route has answered.
    pub fn hits(&self, method: &str, target: &str) -> usize {
        lock(&self.state.routes)
            .get(&(method.to_ascii_uppercase(), target.to_string()))
            .map_or(0, |r| r.hits)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).iter().cloned().collect()
    }

    /// The last request received (panics if none).
    pub fn last_request(&self) -> RecordedRequest {
        lock(&self.state.requests)
            .back()
            .cloned()
            .expect("the mock server received no request")
    }

    /// Returns and forgets the requests received so far.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *lock(&self.state.requests)).into()
    }

    pub fn config(&self) -> &MockConfig {
        &self.state.config
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort(); // drops the listener and the JoinSet, which aborts the connections
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    // Runs until the server is dropped (the task is aborted).
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let state = state.clone();
                    let loopback = peer.ip().is_loopback();
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let state = state.clone();
                            // An error closes the connection with no answer (`Reply::dropped`).
                            async move { handle(&state, req, loopback).await.ok_or(DroppedConnection) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(Duration::from_secs(30))
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// 32 characters from `[0-9A-Za-z]`.
pub fn random_nonce() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).expect("rand");
    raw.iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

fn request_id() -> String {
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw).expect("rand");
    raw.iter().map(|b| format!("{b:02X}")).collect()
}

/// A connection closed on purpose, with no answer.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection was dropped on purpose")
    }
}

impl std::error::Error for DroppedConnection {}

/// The answer to one request, or `None` to close the connection without one.
async fn handle(state: &State, req: Request<Incoming>, from_loopback: bool) -> Option<Response<Full<Bytes>>> {
    let method = req.method().as_str().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| req.uri().to_string());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(e) => {
            return Some(respond(
                state,
                Reply::error(400, "INVALID_REQUEST", &format!("cannot read the body: {e}")),
            ))
        }
    };
    let mut record = RecordedRequest {
        method: method.clone(),
        target: target.clone(),
        headers,
        body,
        auth: Ok(()),
        from_loopback,
    };
    record.auth = check_request(state, &record);
    let auth = record.auth.clone();
    let limit = *lock(&state.record_limit);
    {
        let mut requests = lock(&state.requests);
        if let Some(limit) = limit {
            if requests.len() >= limit {
                let excess = requests.len() + 1 - limit;
                requests.drain(..excess);
            }
        }
        requests.push_back(record.clone());
    }

    let reply = match auth {
        Err(reason) => Reply::error(401, "SIGN_ERROR", &reason),
        Ok(()) => {
            let mut routes = lock(&state.routes);
            let path = target.split('?').next().unwrap_or_default().to_string();
            let key = if routes.contains_key(&(method.clone(), target.clone())) {
                Some((method.clone(), target.clone()))
            } else if routes.contains_key(&(method.clone(), path.clone())) {
                Some((method.clone(), path))
            } else {
                None
            };
            match key.and_then(|k| routes.get_mut(&k)) {
                Some(route) => {
                    let reply = route.replies[route.hits.min(route.replies.len() - 1)].clone();
                    route.hits += 1;
                    reply
                }
                None => {
                    drop(routes);
                    let fallback = lock(&state.fallback).clone();
                    fallback.and_then(|f| f(&record)).unwrap_or_else(|| {
                        Reply::error(
                            404,
                            "RESOURCE_NOT_EXISTS",
                            &format!("no mock route for {method} {target}"),
                        )
                    })
                }
            }
        }
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let observer = lock(&state.observer).clone();
    if let Some(observer) = observer {
        observer(&record, reply.status);
    }
    if reply.drop_connection {
        return None;
    }
    Some(respond(state, reply))
}

/// An APIv2 request: an XML body to a path outside the JSON APIs (`/pay/orderquery`).
pub fn is_apiv2(req: &RecordedRequest) -> bool {
    // As the platform: an XML body to an APIv2 URL is APIv2 whatever its `Content-Type` (PHP's
    // curl sends a form type, other clients none).
    let xml = req.body.trim_ascii_start().starts_with(b"<")
        || req
            .header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/xml"));
    let first = req.path().trim_start_matches('/').split('/').next().unwrap_or_default();
    xml && !matches!(first, "v3" | "hk" | "global")
}

/// WeChat Pay's checks of one request.
fn check_request(state: &State, req: &RecordedRequest) -> Result<(), String> {
    let config = &state.config;
    // The simulator's control API (`/sandbox/…`): plain JSON, unsigned, from this machine only.
    if req.path().starts_with("/sandbox/") {
        return if req.from_loopback {
            Ok(())
        } else {
            Err("the sandbox's control API answers requests from this machine only".to_string())
        };
    }
    if !config.check_authorization {
        return Ok(());
    }
    // An APIv2 request carries its signature in its XML body: the sandbox's APIv2 responder
    // checks it (`v2.rs`), as the platform answers it, in XML; no header is asked of it.
    if is_apiv2(req) {
        return Ok(());
    }
    match req.header("user-agent") {
        Some(ua) if !ua.trim().is_empty() => {}
        _ => return Err("missing User-Agent header".to_string()),
    }
    let accept = req.header("accept").ok_or("missing Accept header")?;
    if !accept
        .split(',')
        .any(|t| t.split(';').next().unwrap_or_default().trim() == "application/json")
    {
        return Err(format!("Accept {accept:?} does not accept application/json"));
    }
    if req.header_all("authorization").len() > 1 {
        return Err("more than one Authorization header".to_string());
    }
    let content_type = req.header("content-type").unwrap_or_default();
    let signed_body: Vec<u8> = if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        auth::multipart_meta(content_type, &req.body).ok_or("multipart/form-data body without a meta part")?
    } else {
        if !req.body.is_empty() && !content_type.to_ascii_lowercase().starts_with("application/json") {
            return Err(format!(
                "a request body needs Content-Type: application/json, got {content_type:?}"
            ));
        }
        req.body.clone()
    };
    let expect = auth::Expect {
        mchid: &config.mchid,
        serial_no: &config.merchant_serial,
        merchant_public_key_der: &config.merchant_public_key_der,
        now: now_secs(),
        max_skew: config.max_skew_secs,
    };
    let parsed = auth::check(
        &expect,
        req.header("authorization"),
        &req.method,
        &req.target,
        &signed_body,
    )?;
    if config.reject_reused_nonce {
        let nonce = parsed.get("nonce_str").unwrap_or_default().to_string();
        let mut nonces = lock(&state.nonces);
        if let Some(limit) = *lock(&state.record_limit) {
            // A long-running server forgets old nonces (their timestamps expire anyway).
            if nonces.len() >= limit.saturating_mul(4) {
                nonces.clear();
            }
        }
        if !nonces.insert(nonce.clone()) {
            return Err(format!("nonce_str {nonce:?} was already used"));
        }
    }
    Ok(())
}

/// Signs (and maybe tampers with) the reply.
fn respond(state: &State, reply: Reply) -> Response<Full<Bytes>> {
    let key = reply
        .signed_by
        .clone()
        .unwrap_or_else(|| state.config.response_key.clone());
    let mut timestamp = now_secs();
    let mut serial = key.serial().to_string();
    let mut body = reply.body.clone();
    let mut sign_key = key.clone();
    let mut garbage = false;
    let mut probe = false;
    let mut unsigned = false;
    let mut omit: Vec<String> = Vec::new();
    let mut replace_body: Option<Vec<u8>> = None;
    for t in &reply.tamper {
        match t {
            Tamper::BodyAfterSigning(b) => replace_body = Some(b.clone()),
            Tamper::TimestampOffset(o) => timestamp += o,
            Tamper::Serial(s) => serial = s.clone(),
            Tamper::UnknownSerial => serial = UNKNOWN_SERIAL.to_string(),
            Tamper::OmitHeader(h) => omit.push(h.to_ascii_lowercase()),
            Tamper::Unsigned => unsigned = true,
            Tamper::WrongKey => {
                sign_key = ResponseKey::from_pem(&serial, keys::MERCHANT_KEY_PEM).expect("merchant key")
            }
            Tamper::GarbageSignature => garbage = true,
            Tamper::ProbeSignature => probe = true,
        }
    }
    let nonce = random_nonce();
    let signed = reply.signed_body.as_deref().unwrap_or(&body);
    let mut message = Vec::with_capacity(signed.len() + 64);
    message.extend_from_slice(timestamp.to_string().as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(signed);
    message.push(b'\n');
    let signature = if garbage {
        "not base64 at all!".to_string()
    } else if probe {
        format!("WECHATPAY/SIGNTEST/{}", sign_key.sign_base64(&message))
    } else {
        sign_key.sign_base64(&message)
    };
    if let Some(b) = replace_body {
        body = b;
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    if !unsigned {
        headers.push(("Wechatpay-Timestamp".into(), timestamp.to_string()));
        headers.push(("Wechatpay-Nonce".into(), nonce));
        headers.push(("Wechatpay-Signature".into(), signature));
        headers.push(("Wechatpay-Serial".into(), serial));
    }
    if !reply.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("request-id")) {
        headers.push(("Request-ID".into(), request_id()));
    }
    headers.extend(reply.headers.iter().cloned());

    let mut builder = Response::builder().status(reply.status);
    for (k, v) in headers {
        if !omit.contains(&k.to_ascii_lowercase()) {
            builder = builder.header(k, v);
        }
    }
    builder.body(Full::new(Bytes::from(body))).unwrap_or_else(|e| {
        let mut r = Response::new(Full::new(Bytes::from(format!("mock error: {e}"))));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
