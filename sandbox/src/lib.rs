//! A local WeChat Pay API v3 sandbox, and the loopback mock server the project's end-to-end tests
//! use (it is the same server).
//!
//! - [`mock`]: a loopback HTTP/1.1 server that plays WeChat Pay's side: it verifies every
//!   request's `Authorization` signature with the merchant public key (`401 SIGN_ERROR`
//!   otherwise), answers from routes a test registers, signs every response.
//! - [`Sandbox`]: the mock with a spec-driven responder ([`install`]): every operation of
//!   `spec/` (embedded at build time, [`spec::Spec::embedded`]) is answered with a signed,
//!   schema-valid JSON example ([`schema::example_response`]); a request whose body or query does
//!   not match the spec gets `400 PARAM_ERROR` naming the field; unknown paths
//!   `404 RESOURCE_NOT_EXISTS`. `GET /v3/certificates` answers the (TEST ONLY) platform
//!   certificate, encrypted with the APIv3 key like the real one.
//! - [`notify`]: notifications made like WeChat Pay's (AES-256-GCM resource, platform-key
//!   signature), and sent to a URL.
//!
//! **Every key here is TEST ONLY** ([`keys`]): public, committed, never for real traffic.

#![forbid(unsafe_code)]

pub mod keys;
pub mod mock;
pub mod notify;
pub mod schema;
pub mod sim;
pub mod spec;
pub mod v2;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use mock::{MockConfig, MockServer, RecordedRequest, Reply, ResponseKey};
use spec::{Lookup, Spec};
use wechatpay_model::ir::{ResponseKind, Signature};

/// Everything except the RFC 3986 unreserved characters, like the client encodes.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes a path segment or query component.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, ENCODE).to_string()
}

/// Percent-decodes (lossy UTF-8); `+` is kept as is (WeChat Pay encodes spaces as `%20`).
pub fn decode(value: &str) -> String {
    percent_decode_str(value).decode_utf8_lossy().into_owned()
}

/// Splits a query string (`a=1&b=x%20y`, without `?`) into decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// How a [`Sandbox`] is set up.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The server's checks and keys (merchant id, serial and public key; the response key).
    pub mock: MockConfig,
    /// Where to listen (default `127.0.0.1:0`, an ephemeral port).
    pub addr: SocketAddr,
    /// The APIv3 key notifications and certificates are encrypted with (32 bytes).
    pub apiv3_key: String,
    /// The APIv2 key APIv2 requests are checked and answers signed with (32 bytes).
    pub apiv2_key: String,
    /// Answer `400 PARAM_ERROR` to requests that do not match the spec (default on).
    pub check_requests: bool,
    /// The simulator's settings (the retry schedule's time factor); `None`: no state, every
    /// operation answered with its spec example (the stateless sandbox of earlier versions).
    pub simulator: Option<sim::SimulatorConfig>,
}

impl Default for SandboxConfig {
    /// The TEST ONLY keys of [`keys`], public-key mode, `127.0.0.1:0`.
    fn default() -> Self {
        SandboxConfig {
            mock: MockConfig::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            apiv3_key: keys::APIV3_KEY.to_string(),
            apiv2_key: keys::APIV2_KEY.to_string(),
            check_requests: true,
            simulator: Some(sim::SimulatorConfig::default()),
        }
    }
}

/// A running sandbox; stops when dropped.
pub struct Sandbox {
    server: MockServer,
    spec: &'static Spec,
    apiv3_key: String,
    simulator: Option<sim::Simulator>,
    /// What it was started with (for [`client_vars`](Self::client_vars)).
    config: SandboxConfig,
}

impl Sandbox {
    /// Starts on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, String> {
        let spec = Spec::embedded()?;
        let server = MockServer::bind(config.addr, config.mock.clone())
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        server.record_limit(1000);
        let simulator = config.simulator.clone().map(|c| {
            sim::Simulator::new(
                &config.apiv3_key,
                &config.apiv2_key,
                config.mock.response_key.clone(),
                &config.mock.merchant_public_key_der,
                c,
            )
        });
        if let (Some(simulator), Some(file)) =
            (&simulator, config.simulator.as_ref().and_then(|c| c.state_file.clone()))
        {
            simulator.persist(file)?;
        }
        install(
            &server,
            spec,
            &config.apiv3_key,
            &config.apiv2_key,
            config.check_requests,
            simulator.clone(),
        )?;
        Ok(Sandbox {
            server,
            spec,
            apiv3_key: config.apiv3_key.clone(),
            simulator,
            config,
        })
    }

    /// For non-async code: serves on its own runtime (one worker thread).
    pub fn start_blocking(config: SandboxConfig) -> Result<Sandbox, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wechatpay-sandbox")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let mut sandbox = runtime.block_on(Self::start(config))?;
        sandbox.server.attach_runtime(runtime);
        Ok(sandbox)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// What a client of this sandbox is configured with, as the variables
    /// `wechatpay::ClientBuilder::from_vars` (and `from_env`) reads, its TEST ONLY key files
    /// written to `dir`: a merchant's own test starts a sandbox in-process and builds its client
    /// with `ClientBuilder::from_vars(sandbox.client_vars(dir)?)?`, with no process-wide
    /// environment touched. (A sandbox started with a merchant public key of the caller's own
    /// leaves `WECHATPAY_PRIVATE_KEY` to the caller.)
    pub fn client_vars(&self, dir: &Path) -> Result<Vec<(String, String)>, String> {
        let test_key = self.config.mock.merchant_public_key_der == mock::MockConfig::default().merchant_public_key_der;
        write_client_files(dir, &self.base_url(), &self.config, test_key).map(|env| env.vars)
    }

    /// The underlying server (requests received, extra routes).
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The spec it answers.
    pub fn spec(&self) -> &'static Spec {
        self.spec
    }

    /// The simulator (the orders it remembers, the user's side, the deliveries); `None` when
    /// started stateless.
    pub fn simulator(&self) -> Option<&sim::Simulator> {
        self.simulator.as_ref()
    }

    /// A notification of `event_type` (`TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, …) carrying
    /// `resource` (default: [`notify::sample_resource`]), encrypted with the sandbox's APIv3
    /// key and signed with its response key.
    pub fn notification(&self, event_type: &str, resource: Option<Value>) -> Result<notify::Notification, String> {
        let config = self.server.config();
        let resource = resource.unwrap_or_else(|| notify::sample_resource(self.spec, event_type, &config.mchid));
        notify::make_notification(&config.response_key, &self.apiv3_key, event_type, &resource)
    }
}

/// Installs the spec-driven responder on a server: routes for `GET /v3/certificates` (the
/// platform certificate encrypted with `apiv3_key`) and a fallback that answers every operation
/// of `spec` with its example response (`400 PARAM_ERROR` when `check_requests` and the request
/// does not match the spec; `404 RESOURCE_NOT_EXISTS` for paths not in the spec). An APIv2
/// request (an XML body to an operation of `spec/v2/` at its URL without `/v2`) is answered by
/// [`v2::answer`], its `sign` checked with `apiv2_key`. With a `simulator`, its control API
/// (`/sandbox/…`) is served and the operations it keeps state for answer from that state.
pub fn install(
    server: &MockServer,
    spec: &'static Spec,
    apiv3_key: &str,
    apiv2_key: &str,
    check_requests: bool,
    simulator: Option<sim::Simulator>,
) -> Result<(), String> {
    server.on("GET", "/v3/certificates", certificates_reply(apiv3_key)?);
    let apiv2_key = apiv2_key.to_owned();
    let response_key = server.config().response_key.clone();
    server.fallback(Arc::new(move |req: &RecordedRequest| {
        let Some(simulator) = simulator.as_ref() else {
            return Some(operation_answer(spec, req, &apiv2_key, check_requests, None));
        };
        if let Some(reply) = simulator.control(req) {
            return Some(reply);
        }
        // A fault asked for this operation: instead of the operation, or on its answer.
        let apiv2 = mock::is_apiv2(req);
        let fault = simulator.has_faults().then(|| {
            let template = match spec.find(&req.method, req.path()) {
                Lookup::Found(op, _) if !apiv2 => Some(op.url.as_str()),
                _ => None,
            };
            let names = sim::faults::names_of(req, template);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            simulator.take_fault(&names)
        });
        let fault = fault.flatten();
        if let Some(reply) = fault.as_ref().and_then(|f| f.instead(req, &apiv2_key)) {
            return Some(reply);
        }
        let reply = operation_answer(spec, req, &apiv2_key, check_requests, Some(simulator));
        Some(match fault {
            Some(fault) => fault.after(reply, apiv2, &response_key),
            None => reply,
        })
    }));
    Ok(())
}

/// The answer of the operation a request is for, APIv3 or APIv2.
fn operation_answer(
    spec: &Spec,
    req: &RecordedRequest,
    apiv2_key: &str,
    check_requests: bool,
    simulator: Option<&sim::Simulator>,
) -> Reply {
    if !mock::is_apiv2(req) {
        return answer(spec, req, check_requests, simulator);
    }
    match v2::operation(spec, &req.method, req.path()) {
        Some(op) => v2::answer(spec, op, &req.body, apiv2_key, check_requests, simulator),
        None => v2::failure(&format!(
            "no APIv2 operation {} {} in the sandbox's spec",
            req.method,
            req.path()
        )),
    }
}

/// The `GET /v3/certificates` answer: the TEST ONLY platform certificate, encrypted with the
/// APIv3 key (AAD `certificate`), valid 2020-01-01 … 2099-12-31.
pub fn certificates_reply(apiv3_key: &str) -> Result<Reply, String> {
    let (nonce, ciphertext) = notify::encrypt_resource(apiv3_key, "certificate", keys::PLATFORM_CERT_PEM.as_bytes())?;
    Ok(Reply::json(
        200,
        json!({"data": [{
            "serial_no": keys::PLATFORM_CERT_SERIAL,
            "effective_time": "2020-01-01T08:00:00+08:00",
            "expire_time": "2100-01-01T07:59:59+08:00",
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": ciphertext,
            }
        }]}),
    ))
}

/// The answer to one (authenticated) request: the simulator's, for an operation it keeps state
/// for, else the spec's example.
pub fn answer(spec: &Spec, req: &RecordedRequest, check_requests: bool, simulator: Option<&sim::Simulator>) -> Reply {
    let path = req.path();
    let op = match spec.find(&req.method, path) {
        Lookup::Found(op, values) => (op, values),
        Lookup::OtherMethods(methods) => {
            return Reply::error(
                404,
                "RESOURCE_NOT_EXISTS",
                &format!(
                    "{} {path} is not an API; this path answers {}",
                    req.method,
                    methods.join(", ")
                ),
            )
        }
        Lookup::NotFound => {
            return Reply::error(
                404,
                "RESOURCE_NOT_EXISTS",
                &format!("no API {} {path} in the sandbox's spec", req.method),
            )
        }
    };
    let (op, values) = op;
    if op.op.v2.is_some() {
        return Reply::error(
            404,
            "RESOURCE_NOT_EXISTS",
            &format!(
                "{path} is an APIv2 operation: POST its XML body to {}",
                op.url.strip_prefix("/v2").unwrap_or(&op.url)
            ),
        );
    }
    if check_requests {
        let raw: Vec<u8> = if op.is_upload() {
            let content_type = req.header("content-type").unwrap_or_default();
            match mock::auth::multipart_meta(content_type, &req.body) {
                Some(meta) => meta,
                None => {
                    return Reply::error(
                        400,
                        "PARAM_ERROR",
                        "an upload is multipart/form-data with a `meta` part",
                    )
                }
            }
        } else {
            req.body.clone()
        };
        let body: Option<Value> = if raw.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice(&raw) {
                Ok(v) => Some(v),
                Err(e) => return Reply::error(400, "PARAM_ERROR", &format!("the body is not JSON: {e}")),
            }
        };
        let parts = schema::RequestParts {
            path: values.iter().map(|(k, v)| (k.clone(), decode(v))).collect(),
            query: parse_query(req.query().unwrap_or_default()),
            headers: Some(req.headers.clone()),
            body: body.as_ref(),
        };
        let report = schema::check_request(spec, op, &parts);
        if let Some(first) = report.errors.first() {
            return Reply::json(
                400,
                json!({
                    "code": "PARAM_ERROR",
                    "message": first,
                    "detail": {"errors": report.errors, "operation": op.name(), "spec": op.file},
                }),
            );
        }
    }
    if let Some(simulator) = simulator {
        let values: Vec<(String, String)> = values.iter().map(|(k, v)| (k.clone(), decode(v))).collect();
        let query = parse_query(req.query().unwrap_or_default());
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        if let Some(reply) = simulator.payments(&req.method, &op.url, &values, &query, body.as_ref()) {
            return reply;
        }
        let caller = req
            .authorization()
            .and_then(|a| a.get("mchid").map(str::to_owned))
            .unwrap_or_default();
        if let Some(reply) = simulator.refunds(&req.method, &op.url, &values, &caller, body.as_ref()) {
            return reply;
        }
        if let Some(reply) = simulator.combine(&req.method, &op.url, &values, &caller, body.as_ref()) {
            return reply;
        }
        if let Some(reply) = simulator.transfers(&req.method, &op.url, &values, &caller, body.as_ref()) {
            return reply;
        }
        if let Some(reply) = simulator.profit_sharing(&req.method, &op.url, &values, &query, &caller, body.as_ref()) {
            return reply;
        }
        if let Some(reply) = simulator.bills(&req.method, &op.url, &query, &caller) {
            return reply;
        }
    }
    if matches!(op.op.response, ResponseKind::Binary) {
        return file_reply(op);
    }
    match schema::example_response(spec, op) {
        Some(mut body) => {
            describe_the_sandbox_file(&mut body);
            Reply::json(op.status, body)
        }
        None => Reply::empty(op.status),
    }
}

/// An answer that hands out a file to download (a bill's `download_url` with its `hash_type`
/// and `hash_value`) describes the file the sandbox serves: the example's digest would not
/// match it, and a client checks it. The `hash_type` stays the example's (SHA1 or SHA256; for
/// another, the example is left as it is). (The URL's host is WeChat Pay's, which a client with the
/// sandbox as its base URL sends to the sandbox.)
fn describe_the_sandbox_file(body: &mut Value) {
    let Some(object) = body.as_object_mut() else { return };
    let algorithm = match object.get("hash_type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("SHA1") => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        Some(t) if t.eq_ignore_ascii_case("SHA256") => &aws_lc_rs::digest::SHA256,
        _ => return,
    };
    if object.contains_key("download_url") && object.contains_key("hash_value") {
        object.insert("hash_value".into(), Value::String(hex_digest(algorithm, SANDBOX_FILE)));
    }
}

/// The digest of `bytes` by `algorithm` in lowercase hex, as WeChat Pay writes a file's
/// `hash_value` or `Wechatpay-Statement-Sha1`.
pub(crate) fn hex_digest(algorithm: &'static aws_lc_rs::digest::Algorithm, bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(algorithm, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The contents of every file the sandbox serves (bills, images, statements).
pub const SANDBOX_FILE: &[u8] = b"TEST ONLY file served by the wechatpay sandbox\n";

/// A file download, authenticated the way the operation's spec says: signed over the body,
/// unsigned by design, or signed over `{"sha1":"<Wechatpay-Statement-Sha1>"}`.
fn file_reply(op: &spec::Operation) -> Reply {
    let reply = Reply::raw(op.status, "application/octet-stream", SANDBOX_FILE.to_vec());
    match op.op.signature {
        Signature::Body => reply,
        Signature::None => reply.tamper(mock::Tamper::Unsigned),
        Signature::StatementSha1 => {
            let hex = hex_digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, SANDBOX_FILE);
            let signed = format!("{{\"sha1\":\"{hex}\"}}");
            reply
                .header("Wechatpay-Statement-Sha1", &hex)
                .sign_over(signed.as_bytes())
        }
    }
}

/// What a client needs to talk to a sandbox, written as files by [`write_client_files`].
#[derive(Debug, Clone)]
pub struct ClientEnv {
    /// `(variable, value)` in the order to export them.
    pub vars: Vec<(String, String)>,
    /// `env.sh` holding the `export` lines.
    pub env_file: PathBuf,
}

impl ClientEnv {
    /// `export NAME=value` lines.
    pub fn exports(&self) -> String {
        self.vars
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
            .collect()
    }
}

fn shell_quote(v: &str) -> String {
    if v.chars().all(|c| c.is_ascii_alphanumeric() || "/._-:+=,@".contains(c)) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// Writes the sandbox's TEST ONLY public key (and, with `test_merchant_key`, the TEST ONLY
/// merchant private key matching the sandbox's default merchant public key) into `dir`, plus `env.sh` with the variables a client exports
/// (`WECHATPAY_BASE_URL`, `WECHATPAY_MCHID`, `WECHATPAY_SERIAL`, `WECHATPAY_PRIVATE_KEY` when
/// known, `WECHATPAY_PUBLIC_KEY`, `WECHATPAY_PUBLIC_KEY_ID`, `WECHATPAY_APIV3_KEY`).
pub fn write_client_files(
    dir: &Path,
    base_url: &str,
    config: &SandboxConfig,
    test_merchant_key: bool,
) -> Result<ClientEnv, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let write = |name: &str, text: &str| -> Result<PathBuf, String> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    };
    let mut vars = vec![
        ("WECHATPAY_BASE_URL".to_string(), base_url.to_string()),
        ("WECHATPAY_MCHID".to_string(), config.mock.mchid.clone()),
        ("WECHATPAY_SERIAL".to_string(), config.mock.merchant_serial.clone()),
    ];
    if test_merchant_key {
        let path = write("merchant_key.TEST-ONLY.pem", keys::MERCHANT_KEY_PEM)?;
        vars.push(("WECHATPAY_PRIVATE_KEY".into(), path.display().to_string()));
    }
    let public_key_pem = if config.mock.response_key.serial() == keys::WECHATPAY_PUBLIC_KEY_ID {
        keys::WECHATPAY_PUB_PEM
    } else {
        keys::PLATFORM_CERT_PEM
    };
    let public = write("wechatpay_pub.TEST-ONLY.pem", public_key_pem)?;
    vars.push(("WECHATPAY_PUBLIC_KEY".into(), public.display().to_string()));
    vars.push((
        "WECHATPAY_PUBLIC_KEY_ID".into(),
        config.mock.response_key.serial().to_string(),
    ));
    vars.push(("WECHATPAY_APIV3_KEY".into(), config.apiv3_key.clone()));
    // APIv2: its key, and the merchant certificate of the operations that need mutual TLS
    // (the sandbox is plain HTTP: configured, never presented).
    vars.push(("WECHATPAY_APIV2_KEY".into(), config.apiv2_key.clone()));
    if test_merchant_key {
        let cert = write("merchant_cert.TEST-ONLY.pem", keys::MERCHANT_CERT_PEM)?;
        vars.push(("WECHATPAY_MERCHANT_CERTIFICATE".into(), cert.display().to_string()));
    }
    write(
        "README.TEST-ONLY.txt",
        "These keys belong to the local WeChat Pay sandbox (`wechatpay sandbox`).\n\
         They are TEST ONLY: public, committed to the wechatpay repository, never for real traffic.\n",
    )?;
    let mut env = ClientEnv {
        vars,
        env_file: dir.join("env.sh"),
    };
    let text = format!(
        "# WeChat Pay sandbox client settings. TEST ONLY keys: never use them for real traffic.\n{}",
        env.exports()
    );
    env.env_file = write("env.sh", &text)?;
    Ok(env)
}

/// Reads a merchant public key for the sandbox: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA
/// PUBLIC KEY`) PEM; returns its DER.
pub fn merchant_public_key_der(pem: &str) -> Result<Vec<u8>, String> {
    if pem.contains("BEGIN PUBLIC KEY") {
        keys::pem_to_der(pem, "PUBLIC KEY")
    } else if pem.contains("BEGIN RSA PUBLIC KEY") {
        keys::pem_to_der(pem, "RSA PUBLIC KEY")
    } else {
        Err("expected a PEM public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)".into())
    }
}

/// A response key from a PEM private key and the serial (or `PUB_KEY_ID_…`) to announce.
pub fn response_key(serial: &str, pem: &str) -> Result<ResponseKey, String> {
    ResponseKey::from_pem(serial, pem)
}
