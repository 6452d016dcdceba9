//! The commands.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use wechatpay::runtime::{ResponseSignature, Upload};
use wechatpay::{ApiV3Key, Client, EncryptedResource, Method};
use wechatpay_model::ir::{Body, ResponseKind, Signature};
use wechatpay_sandbox::mock::{MockConfig, ResponseKey};
use wechatpay_sandbox::schema::{self, RequestParts};
use wechatpay_sandbox::spec::{Lookup, Spec};
use wechatpay_sandbox::{keys, notify, parse_query, Sandbox, SandboxConfig};

use crate::args::{Args, Spec as ArgSpec};
use crate::{Failure, Outcome, USAGE};

fn help_or(args: &Args) -> Option<Outcome> {
    if args.help {
        out!("{USAGE}");
        Some(Ok(()))
    } else {
        None
    }
}

fn spec() -> Result<&'static Spec, Failure> {
    Spec::embedded().map_err(|e| Failure::failed(format!("the embedded spec is invalid: {e}")))
}

pub(crate) fn client() -> Result<Client, Failure> {
    Client::from_env().map_err(Failure::failed)
}

/// An APIv2 notification (XML): a refund's `req_info` decrypted, any other page's `sign`
/// checked (a payment, a contract, a combined payment, …); its fields as a JSON object.
fn notify_v2(body: &[u8]) -> Outcome {
    use wechatpay::runtime::v2;
    let key = std::env::var("WECHATPAY_APIV2_KEY")
        .map_err(|_| Failure::failed("environment variable WECHATPAY_APIV2_KEY is not set"))?;
    let key = v2::ApiV2Key::new(key.trim()).map_err(|e| Failure::failed(format!("WECHATPAY_APIV2_KEY: {e}")))?;
    let fields = v2::notification_fields(body, &key)
        .map_err(|e| Failure::failed(format!("the APIv2 notification is not authentic: {e}")))?;
    eprintln!("verified APIv2 notification (a refund's req_info decrypted, any other page's sign checked)");
    let object: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    print_json(&Value::Object(object))
}

fn apiv3_key() -> Result<ApiV3Key, Failure> {
    let key = std::env::var("WECHATPAY_APIV3_KEY")
        .map_err(|_| Failure::failed("environment variable WECHATPAY_APIV3_KEY is not set"))?;
    ApiV3Key::new(key.trim()).map_err(|e| Failure::failed(format!("WECHATPAY_APIV3_KEY: {e}")))
}

/// `--data JSON` or `--data @FILE`.
fn json_arg(flag: &str, text: &str) -> Result<Value, Failure> {
    let (text, from) = match text.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{flag}: cannot read {path}: {e}")))?,
            format!(" (file {path})"),
        ),
        None => (text.to_string(), String::new()),
    };
    serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("{flag} is not JSON{from}: {e}")))
}

fn parse_method(text: &str) -> Result<Method, Failure> {
    let upper = text.to_ascii_uppercase();
    match upper.as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(Failure::Usage(format!(
            "METHOD must be GET, POST, PUT, PATCH or DELETE, not {text:?}"
        ))),
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn print_json(value: &Value) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(Failure::failed)?;
    outln!("{text}");
    Ok(())
}

/// Prints an API error with its details on stderr, and returns the failure.
pub(crate) fn api_failure(e: wechatpay::Error) -> Failure {
    if let wechatpay::Error::Api(api) = &e {
        if !api.body.is_empty() {
            eprintln!("response body: {}", api.body);
        }
    }
    Failure::failed(e)
}

pub async fn call(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--data", "--query", "--header", "--file", "--output"],
            switches: &["--no-check"],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&["METHOD", "PATH"])?;
    let method = parse_method(&args.positionals[0])?;
    let raw_path = args.positionals[1].as_str();
    if raw_path.contains("://") {
        return Err(Failure::Usage(format!(
            "PATH is a path like /v3/certificates, not a URL ({raw_path}); set WECHATPAY_BASE_URL for the host"
        )));
    }
    let body = args.value("--data").map(|d| json_arg("--data", d)).transpose()?;
    let mut extra_query = Vec::new();
    for q in args.all("--query") {
        let (k, v) = q
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--query {q:?} is not NAME=VALUE")))?;
        if k.is_empty() {
            return Err(Failure::Usage(format!("--query {q:?} has an empty name")));
        }
        extra_query.push((k.to_string(), v.to_string()));
    }
    let mut headers = Vec::new();
    for h in args.all("--header") {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| Failure::Usage(format!("--header {h:?} is not 'Name: value'")))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }

    let (path, path_query) = match raw_path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw_path, None),
    };
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };

    // What the spec says about the transport, when the operation is known (even with --no-check).
    let mut file_part: Option<String> = None;
    let mut download: Option<ResponseSignature> = None;
    if let Ok(spec) = spec() {
        if let Lookup::Found(op, _) = spec.find(method.as_str(), &path) {
            if let Body::Upload { file_part: part } = &op.op.body {
                file_part = Some(part.clone());
            }
            if matches!(op.op.response, ResponseKind::Binary) {
                download = Some(match op.op.signature {
                    Signature::Body => ResponseSignature::Body,
                    Signature::None => ResponseSignature::None,
                    Signature::StatementSha1 => ResponseSignature::StatementSha1,
                });
            }
        }
    }
    let file = args.value("--file");
    if file.is_some() && file_part.is_none() {
        file_part = Some("file".to_string());
    }

    let mut checked = None;
    if !args.switch("--no-check") {
        let spec = spec()?;
        match spec.find(method.as_str(), &path) {
            Lookup::Found(op, values) => {
                checked = Some(op);
                if op.is_upload() && file.is_none() {
                    return Err(Failure::Failed(format!(
                        "{} is a multipart upload: give the file with --file PATH (and the meta JSON with --data)",
                        op.name()
                    )));
                }
                let mut query = path_query.map(parse_query).unwrap_or_default();
                query.extend(extra_query.iter().cloned());
                let parts = RequestParts {
                    path: values
                        .iter()
                        .map(|(k, v)| (k.clone(), wechatpay_sandbox::decode(v)))
                        .collect(),
                    query,
                    headers: Some(headers.clone()),
                    body: body.as_ref(),
                };
                let report = schema::check_request(spec, op, &parts);
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
                if !report.is_ok() {
                    let mut message = format!("the request does not match the spec of {} ({}):", op.name(), op.file);
                    for e in &report.errors {
                        message.push_str("\n  - ");
                        message.push_str(e);
                    }
                    message.push_str("\nnothing was sent (--no-check sends it anyway)");
                    return Err(Failure::Failed(message));
                }
            }
            Lookup::OtherMethods(methods) => eprintln!(
                "note: the spec has {path} with {} only, not {}; sending it unchecked",
                methods.join(", "),
                method
            ),
            Lookup::NotFound => {
                eprintln!("note: {method} {path} is not in the spec; sending it unchecked")
            }
        }
    }

    if let Some(op) = spec()
        .ok()
        .and_then(|spec| wechatpay_sandbox::v2::operation(spec, method.as_str(), &path))
    {
        return call_v2(op, &path, body.as_ref(), &args).await;
    }
    let client = client()?;
    let mut target = raw_path.trim_start_matches('/').to_string();
    for (i, (k, v)) in extra_query.iter().enumerate() {
        let sep = if i == 0 && path_query.is_none() { '?' } else { '&' };
        target.push(sep);
        target.push_str(&wechatpay::runtime::encode_component(k));
        target.push('=');
        target.push_str(&wechatpay::runtime::encode_component(v));
    }
    let mut request = client.chain(&target).request(method);
    for (k, v) in &headers {
        request = request.header(leak(k), v);
    }
    match (&file_part, file) {
        (Some(part), Some(path)) => {
            let meta = body.clone().unwrap_or_else(|| serde_json::json!({}));
            request = request.multipart(&meta, leak(part), Upload::from_path(path));
        }
        _ => {
            if let Some(body) = &body {
                request = request.json(body);
            }
        }
    }
    if let Some(kind) = download {
        let download = request
            .response_signature(kind)
            .send_download()
            .await
            .map_err(api_failure)?;
        return match args.value("--output") {
            Some(out) => {
                let f = tokio::fs::File::create(out)
                    .await
                    .map_err(|e| Failure::failed(format!("cannot create {out}: {e}")))?;
                let n = download.write_to(f).await.map_err(Failure::failed)?;
                eprintln!("saved {n} bytes to {out}");
                Ok(())
            }
            None => {
                let bytes = download.bytes().await.map_err(Failure::failed)?;
                crate::write_bytes(&bytes);
                Ok(())
            }
        };
    }
    let value: Value = request.send_json::<Value>().await.map_err(api_failure)?;
    if !value.is_null() {
        print_json(&value)?;
    }
    // The verified answer against the spec's response: unknown fields are warnings (the
    // platform adds fields), a body of the wrong shape (or none where one is due) an error.
    if let Some(op) = checked {
        let report = schema::check_response(spec()?, op, &value, schema::Mode::Response);
        for w in &report.warnings {
            eprintln!("warning: the response: {w}");
        }
        if !report.is_ok() {
            let mut message = format!("the response does not match the spec of {} ({}):", op.name(), op.file);
            for e in &report.errors {
                message.push_str("\n  - ");
                message.push_str(e);
            }
            return Err(Failure::Failed(message));
        }
    }
    Ok(())
}

/// An APIv2 call (an operation of `spec/v2/`, at its URL without `/v2`): `--data` is a JSON
/// object of the fields (values as text), checked against the spec unless `--no-check`; signed
/// with the APIv2 key as the operation says, over mutual TLS when it needs the merchant
/// certificate; the answer's fields print as a JSON object, a bill goes to `--output` or stdout.
async fn call_v2(op: &wechatpay_sandbox::spec::Operation, path: &str, body: Option<&Value>, args: &Args) -> Outcome {
    use wechatpay::runtime::v2::SignType;
    let mut fields: Vec<(String, String)> = Vec::new();
    match body {
        None => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => value.to_string(),
                    Value::Null => continue,
                    // JSON carried in a field (`detail`, `scene_info`): its text.
                    other => other.to_string(),
                };
                fields.push((name.clone(), text));
            }
        }
        Some(_) => {
            return Err(Failure::Usage(
                "--data of an APIv2 operation is a JSON object of its fields".into(),
            ))
        }
    }
    if !args.switch("--no-check") {
        if let Some(why) = wechatpay_sandbox::v2::check_request(spec()?, op, &fields) {
            return Err(Failure::Failed(format!(
                "the request does not match the spec of {} ({}): {why}\nnothing was sent (--no-check sends it anyway)",
                op.name(),
                op.file
            )));
        }
    }
    let v2 = op.op.v2.as_ref().expect("an APIv2 operation");
    // (Bank details, `enc_*`, are given in plain text: the client encrypts them with
    // WECHATPAY_APIV2_RSA_PUBLIC_KEY.)
    let client = client()?;
    let mut request = client.chain(path).v2_request();
    for (name, value) in &fields {
        request = request.field(name, value);
    }
    if v2.sign_type == wechatpay_model::ir::V2SignType::HmacSha256 {
        request = request.sign_type(SignType::HmacSha256);
    }
    if v2.cert_required {
        request = request.cert_required();
    }
    if !op.op.sensitive.is_empty() {
        let names: Vec<&'static str> = op
            .op
            .sensitive
            .iter()
            .map(|p| leak(p.trim_start_matches('/')))
            .collect();
        request = request.encrypt_fields(Box::leak(names.into_boxed_slice()));
    }
    if let Some(host) = &op.op.base_url {
        request = request.host(leak(host));
    }
    if matches!(op.op.response, ResponseKind::Binary) {
        let file = request.send_file().await.map_err(api_failure)?;
        return match args.value("--output") {
            Some(out) => {
                std::fs::write(out, &file).map_err(|e| Failure::failed(format!("cannot write {out}: {e}")))?;
                eprintln!("saved {} bytes to {out}", file.len());
                Ok(())
            }
            None => {
                crate::write_bytes(&file);
                Ok(())
            }
        };
    }
    if op.op.signature == Signature::None {
        request = request.unsigned_answer();
    }
    let answer = request.send_fields().await.map_err(api_failure)?;
    let object: serde_json::Map<String, Value> = answer.into_iter().map(|(n, v)| (n, Value::String(v))).collect();
    print_json(&Value::Object(object))
}

/// Reads `Name: value` lines (blank lines, `#` comments and an HTTP request line are skipped).
fn read_headers(path: &str) -> Result<reqwest::header::HeaderMap, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::failed(format!("cannot read the headers file {path}: {e}")))?;
    let mut map = reqwest::header::HeaderMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            if i == 0 && line.contains(" HTTP/") {
                continue; // `POST /notify HTTP/1.1`
            }
            return Err(Failure::failed(format!(
                "{path}:{}: not a `Name: value` header line: {line:?}",
                i + 1
            )));
        };
        let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| Failure::failed(format!("{path}:{}: bad header name: {e}", i + 1)))?;
        let value = reqwest::header::HeaderValue::from_str(value.trim())
            .map_err(|e| Failure::failed(format!("{path}:{}: bad header value: {e}", i + 1)))?;
        map.append(name, value);
    }
    Ok(map)
}

pub fn notify(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--headers", "--body"],
            switches: &[],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&[])?;
    let body_path = args.required("--body")?;
    let body =
        std::fs::read(body_path).map_err(|e| Failure::failed(format!("cannot read the body file {body_path}: {e}")))?;
    if body.trim_ascii_start().starts_with(b"<") {
        return notify_v2(&body);
    }
    let headers_path = args.required("--headers")?;
    let headers = read_headers(headers_path)?;
    let key = apiv3_key()?;
    let client = client()?;
    let notification = match client.parse_notification(&headers, &body) {
        Ok(n) => n,
        Err(first) => {
            // A saved body often gains a final newline in an editor; WeChat Pay never sends one.
            let trimmed = body.strip_suffix(b"\n").map(|b| b.strip_suffix(b"\r").unwrap_or(b));
            match trimmed.map(|b| client.parse_notification(&headers, b)) {
                Some(Ok(n)) => {
                    eprintln!("note: verified without the final newline of {body_path}");
                    n
                }
                _ => return Err(Failure::failed(format!("the notification is not authentic: {first}"))),
            }
        }
    };
    let plain = notification
        .resource
        .decrypt(&key)
        .map_err(|e| Failure::failed(format!("cannot decrypt the resource: {e}")))?;
    eprintln!(
        "verified notification {} ({}, {})",
        notification.id, notification.event_type, notification.summary
    );
    match serde_json::from_slice::<Value>(&plain) {
        Ok(v) => print_json(&v),
        Err(_) => {
            outln!("{}", String::from_utf8_lossy(&plain));
            Ok(())
        }
    }
}

/// The serial (uppercase hex) and validity of a PEM certificate.
fn certificate_info(pem_text: &str) -> Result<(String, String, String), String> {
    let block = pem::parse(pem_text).map_err(|e| format!("not PEM: {e}"))?;
    if block.tag() != "CERTIFICATE" {
        return Err(format!("expected a CERTIFICATE, got {}", block.tag()));
    }
    let (_, cert) =
        x509_parser::parse_x509_certificate(block.contents()).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let serial = cert
        .raw_serial()
        .iter()
        .skip_while(|b| **b == 0)
        .map(|b| format!("{b:02X}"))
        .collect::<String>();
    let validity = cert.validity();
    Ok((serial, validity.not_before.to_string(), validity.not_after.to_string()))
}

pub async fn certificates(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--out"],
            switches: &[],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&[])?;
    let out = PathBuf::from(args.value("--out").unwrap_or("."));
    let key = apiv3_key()?;
    let client = client()?;
    let response: Value = client
        .chain("v3/certificates")
        .request(Method::GET)
        .send_json()
        .await
        .map_err(api_failure)?;
    let data = response
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| Failure::failed("the response has no `data` array"))?;
    std::fs::create_dir_all(&out).map_err(|e| Failure::failed(format!("cannot create {}: {e}", out.display())))?;
    let mut saved = Vec::new();
    for (i, item) in data.iter().enumerate() {
        let serial_no = item
            .get("serial_no")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::failed(format!("data[{i}] has no serial_no")))?;
        let encrypted: EncryptedResource =
            serde_json::from_value(item.get("encrypt_certificate").cloned().unwrap_or(Value::Null))
                .map_err(|e| Failure::failed(format!("data[{i}].encrypt_certificate: {e}")))?;
        let plain = encrypted
            .decrypt(&key)
            .map_err(|e| Failure::failed(format!("certificate {serial_no}: {e}")))?;
        let pem_text =
            String::from_utf8(plain).map_err(|_| Failure::failed(format!("certificate {serial_no}: not UTF-8 PEM")))?;
        let (serial, not_before, not_after) =
            certificate_info(&pem_text).map_err(|e| Failure::failed(format!("certificate {serial_no}: {e}")))?;
        if !serial.eq_ignore_ascii_case(serial_no.trim_start_matches('0')) {
            return Err(Failure::failed(format!(
                "certificate {serial_no}: the decrypted certificate has serial {serial}"
            )));
        }
        let file = out.join(format!("wechatpay_{}.pem", serial_no.to_ascii_uppercase()));
        std::fs::write(&file, &pem_text)
            .map_err(|e| Failure::failed(format!("cannot write {}: {e}", file.display())))?;
        saved.push(serde_json::json!({
            "serial_no": serial_no,
            "effective_time": item.get("effective_time"),
            "expire_time": item.get("expire_time"),
            "not_before": not_before,
            "not_after": not_after,
            "file": file.display().to_string(),
        }));
    }
    print_json(&Value::Array(saved))
}

fn read_text(flag: &str, path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::failed(format!("{flag}: cannot read {path}: {e}")))
}

pub async fn sandbox(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[
                "--port",
                "--merchant-public-key",
                "--mchid",
                "--serial",
                "--apiv3-key",
                "--apiv2-key",
                "--dir",
                "--bind",
                "--pay-after",
                "--refund-after",
                "--hold-back",
                "--schedule-factor",
                "--state",
            ],
            switches: &["--no-check", "--quiet", "--stateless", "--duplicates"],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&[])?;
    let port: u16 = args
        .value("--port")
        .unwrap_or("8080")
        .parse()
        .map_err(|_| Failure::Usage("--port must be a number 0-65535".into()))?;
    let ip: std::net::IpAddr = args
        .value("--bind")
        .unwrap_or("127.0.0.1")
        .parse()
        .map_err(|_| Failure::Usage("--bind must be an IP address".into()))?;
    let mut mock = MockConfig::default();
    if let Some(m) = args.value("--mchid") {
        mock = mock.mchid(m);
    }
    if let Some(s) = args.value("--serial") {
        mock = mock.merchant_serial(s);
    }
    let custom_key = args.value("--merchant-public-key");
    if let Some(path) = custom_key {
        let pem = read_text("--merchant-public-key", path)?;
        mock.merchant_public_key_der = wechatpay_sandbox::merchant_public_key_der(&pem)
            .map_err(|e| Failure::failed(format!("--merchant-public-key {path}: {e}")))?;
    }
    let apiv3_key = args.value("--apiv3-key").unwrap_or(keys::APIV3_KEY).to_string();
    let apiv2_key = args.value("--apiv2-key").unwrap_or(keys::APIV2_KEY).to_string();
    for (flag, key) in [("--apiv3-key", &apiv3_key), ("--apiv2-key", &apiv2_key)] {
        if key.len() != 32 {
            return Err(Failure::Usage(format!("{flag} must be 32 bytes, got {}", key.len())));
        }
    }
    let config = SandboxConfig {
        mock,
        addr: SocketAddr::new(ip, port),
        apiv3_key,
        apiv2_key,
        check_requests: !args.switch("--no-check"),
        simulator: (!args.switch("--stateless")).then_some(simulator_config(&args)?),
    };
    let sandbox = Sandbox::start(config.clone()).await.map_err(Failure::failed)?;
    let base_url = sandbox.base_url();
    let dir = args
        .value("--dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("wechatpay-sandbox-{}", sandbox.addr().port())));
    let env = wechatpay_sandbox::write_client_files(&dir, &base_url, &config, custom_key.is_none())
        .map_err(Failure::failed)?;
    if !args.switch("--quiet") {
        sandbox.server().observe(Arc::new(|req, status| {
            eprintln!("{} {} -> {status}", req.method, req.target);
        }));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "WeChat Pay sandbox listening on {base_url} ({} operations from the embedded spec)",
        sandbox.spec().operations.len()
    );
    let _ = writeln!(
        out,
        "# TEST ONLY keys (public, never for real traffic), written to {}",
        dir.display()
    );
    if custom_key.is_some() {
        let _ = writeln!(
            out,
            "# WECHATPAY_PRIVATE_KEY: the private key matching --merchant-public-key"
        );
    }
    let _ = write!(out, "{}", env.exports());
    let _ = writeln!(out, "# or: . {}", env.env_file.display());
    let _ = out.flush();
    drop(out);
    // Serves until the process is stopped (Ctrl-C, kill).
    std::future::pending::<()>().await;
    drop(sandbox);
    Ok(())
}

/// The simulator's options: `--pay-after MS`, `--refund-after MS`, `--hold-back MS`,
/// `--schedule-factor F`, `--duplicates`, `--state FILE`.
fn simulator_config(args: &Args) -> Result<wechatpay_sandbox::sim::SimulatorConfig, Failure> {
    let millis = |option: &str| -> Result<Option<std::time::Duration>, Failure> {
        args.value(option)
            .map(|text| {
                text.parse()
                    .map(std::time::Duration::from_millis)
                    .map_err(|_| Failure::Usage(format!("{option} {text:?} is not a number of milliseconds")))
            })
            .transpose()
    };
    let mut config = wechatpay_sandbox::sim::SimulatorConfig {
        pay_after: millis("--pay-after")?,
        complete_refunds_after: millis("--refund-after")?,
        hold_back: millis("--hold-back")?,
        duplicates: args.switch("--duplicates"),
        state_file: args.value("--state").map(PathBuf::from),
        ..Default::default()
    };
    if let Some(text) = args.value("--schedule-factor") {
        config.schedule_factor = text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--schedule-factor {text:?} is not a factor (1 = the platform's 15 s, 15 s, 30 s, …)"
                ))
            })?;
    }
    Ok(config)
}

pub async fn sandbox_notify(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--url", "--event", "--resource", "--apiv3-key", "--mchid", "--save"],
            switches: &[],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&[])?;
    let url = args.value("--url");
    let save = args.value("--save").map(Path::new);
    if url.is_none() && save.is_none() {
        return Err(Failure::Usage("missing --url (or --save DIR)".into()));
    }
    let event = args.value("--event").unwrap_or("TRANSACTION.SUCCESS");
    let mchid = args.value("--mchid").unwrap_or(keys::MCHID);
    let apiv3_key = args.value("--apiv3-key").unwrap_or(keys::APIV3_KEY);
    let resource = match args.value("--resource") {
        Some(r) => json_arg("--resource", r)?,
        None => notify::sample_resource(spec()?, event, mchid),
    };
    let key = ResponseKey::wechatpay_public_key();
    let notification = notify::make_notification(&key, apiv3_key, event, &resource).map_err(Failure::failed)?;
    if let Some(dir) = save {
        std::fs::create_dir_all(dir).map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
        let write = |name: &str, bytes: &[u8]| {
            std::fs::write(dir.join(name), bytes)
                .map_err(|e| Failure::failed(format!("cannot write {}: {e}", dir.join(name).display())))
        };
        write("headers.txt", notification.headers_text().as_bytes())?;
        write("body.json", &notification.body)?;
        eprintln!(
            "saved {} and {}",
            dir.join("headers.txt").display(),
            dir.join("body.json").display()
        );
    }
    if let Some(url) = url {
        let (status, answer) = notify::send_notification(url, &notification)
            .await
            .map_err(Failure::failed)?;
        outln!("{event} -> {url}: HTTP {status} {answer}");
        if !(200..300).contains(&status) {
            return Err(Failure::failed(format!(
                "the merchant answered HTTP {status}: {answer}"
            )));
        }
    }
    Ok(())
}

pub fn ops(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[],
            switches: &[],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&[])?;
    for op in &spec()?.operations {
        outln!("{:<6} {}  {}", op.method, op.url, op.op.summary);
    }
    Ok(())
}

pub fn example(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[],
            switches: &[],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    args.expect_positionals(&["METHOD", "PATH"])?;
    let method = parse_method(&args.positionals[0])?;
    let spec = spec()?;
    match spec.find(method.as_str(), &args.positionals[1]) {
        Lookup::Found(op, _) => {
            let example = schema::example_request(spec, op);
            eprintln!("# {} {}", op.method, example.target());
            print_json(&example.body.unwrap_or(Value::Null))
        }
        _ => Err(Failure::failed(format!(
            "{method} {} is not an operation of the spec (see `wechatpay ops`)",
            args.positionals[1]
        ))),
    }
}

/// The user's side of a running simulator and its faults, through its control API at `--url`
/// (default `WECHATPAY_BASE_URL`):
/// `wechatpay sandbox pay OUT_TRADE_NO` (prints the transaction),
/// `wechatpay sandbox complete OUT_REFUND_NO [--outcome SUCCESS|ABNORMAL|CLOSED]` (the refund),
/// `wechatpay sandbox confirm OUT_BILL_NO [--outcome SUCCESS|FAIL]` (the transfer bill),
/// `wechatpay sandbox fault KIND [--operation "METHOD PATH"] [--latency-ms N] [--times N]`
/// (the faults asked for), `wechatpay sandbox faults [--clear]`.
pub async fn sandbox_control(action: &str, argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--url", "--outcome", "--operation", "--latency-ms", "--times"],
            switches: &["--clear"],
        },
    )?;
    if let Some(done) = help_or(&args) {
        return done;
    }
    let (method, path, body) = match action {
        "pay" | "complete" | "confirm" => {
            let (what, path_of): (&str, fn(&str) -> String) = match action {
                "pay" => ("OUT_TRADE_NO", |no| format!("transactions/{no}/pay")),
                "confirm" => ("OUT_BILL_NO", |no| format!("transfer-bills/{no}/confirm")),
                _ => ("OUT_REFUND_NO", |no| format!("refunds/{no}/complete")),
            };
            args.expect_positionals(&[what])?;
            let body = match args.value("--outcome") {
                Some(outcome) => serde_json::json!({ "outcome": outcome }),
                None => serde_json::json!({}),
            };
            (
                "POST",
                path_of(&wechatpay_sandbox::encode(&args.positionals[0])),
                Some(body),
            )
        }
        "fault" => {
            args.expect_positionals(&["KIND"])?;
            let mut fault = serde_json::json!({ "fault": args.positionals[0] });
            if let Some(operation) = args.value("--operation") {
                fault["operation"] = operation.into();
            }
            for (option, field) in [("--latency-ms", "latency_ms"), ("--times", "times")] {
                if let Some(text) = args.value(option) {
                    let n: u64 = text
                        .parse()
                        .map_err(|_| Failure::Usage(format!("{option} {text:?} is not a whole number")))?;
                    fault[field] = n.into();
                }
            }
            ("POST", "faults".to_owned(), Some(fault))
        }
        _ => {
            args.expect_positionals(&[])?;
            let method = if args.switch("--clear") { "DELETE" } else { "GET" };
            (method, "faults".to_owned(), None)
        }
    };
    let base = match args.value("--url") {
        Some(url) => url.to_owned(),
        None => std::env::var("WECHATPAY_BASE_URL")
            .map_err(|_| Failure::Usage("missing --url (or WECHATPAY_BASE_URL): the sandbox's address".into()))?,
    };
    let url = format!("{}/sandbox/{path}", base.trim_end_matches('/'));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new().request(method, &url);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let answer = request
        .send()
        .await
        .map_err(|e| Failure::failed(format!("cannot reach the sandbox at {base}: {e}")))?;
    let status = answer.status();
    let text = answer.text().await.map_err(|e| Failure::failed(e.to_string()))?;
    if status == reqwest::StatusCode::NO_CONTENT {
        return Ok(());
    }
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !status.is_success() {
        return Err(Failure::failed(format!("the sandbox answered {status}: {value}")));
    }
    print_json(&value)
}
