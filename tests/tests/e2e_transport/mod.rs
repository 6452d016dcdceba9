//! End-to-end tests of uploads, downloads and resilience (retries, failover, timeouts, error
//! bodies) against the loopback mock WeChat Pay server. Digests are cross-checked with the
//! `sha256sum` / `openssl` / `gzip` command-line tools, an implementation independent of the
//! client's.

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use wechatpay::runtime::{Method, ResponseSignature, Upload, VerificationError};
use wechatpay::{Client, Error};
use wechatpay_tests::mock::{auth, MockConfig, MockServer, RecordedRequest, Reply, Tamper};
use wechatpay_tests::{builder, client};

mod bill_rows;
mod downloads;
mod encrypted_bills;
mod resilience;
mod uploads;

const UPLOAD: &str = "/v3/merchant/media/upload";
const BILL: &str = "/v3/billdownload/file";
const STATEMENT: &str = "/v3/global/statements";

fn assert_signed_ok(req: &RecordedRequest) {
    assert_eq!(req.auth, Ok(()), "the mock rejected {} {}", req.method, req.target);
}

/// Runs a command-line tool over `data` (written to a temporary file) and returns the first
/// word of its output: `sha256sum`, `openssl dgst -sha1 -r`.
fn tool_digest(program: &str, args: &[&str], data: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let out = Command::new(program)
        .args(args)
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let digest = text
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches('*')
        .to_owned();
    assert!(
        digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{program} printed {text:?}"
    );
    digest
}

fn sha256sum(data: &[u8]) -> String {
    tool_digest("sha256sum", &[], data)
}

fn openssl_sha1(data: &[u8]) -> String {
    tool_digest("openssl", &["dgst", "-sha1", "-r"], data)
}

fn gzip_cli(data: &[u8]) -> Vec<u8> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let out = Command::new("gzip")
        .arg("-c")
        .arg("-n")
        .arg(file.path())
        .output()
        .expect("gzip");
    assert!(out.status.success());
    out.stdout
}

/// Pseudo-random bytes (xorshift), deterministic.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A CSV-like bill, compressible.
fn bill_text(lines: usize) -> Vec<u8> {
    let mut s = String::from("交易时间,公众账号ID,商户号,微信订单号,商户订单号,总金额\n");
    for i in 0..lines {
        s.push_str(&format!(
            "`2024-01-01 12:00:{:02},`wx8888888888888888,`1900000109,`42000{i:015},`order{i},`{}.{:02}\n",
            i % 60,
            i % 1000,
            i % 100
        ));
    }
    s.into_bytes()
}

/// The parts of a multipart body: (Content-Disposition and other head lines, content).
fn multipart_parts(req: &RecordedRequest) -> Vec<(String, Vec<u8>)> {
    let ct = req.header("content-type").expect("content-type");
    let boundary = ct.split("boundary=").nth(1).expect("boundary").trim_matches('"');
    let delim = format!("--{boundary}");
    let body = &req.body;
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delim.len() <= body.len() {
        if &body[i..i + delim.len()] == delim.as_bytes() {
            starts.push(i);
            i += delim.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let part = &body[w[0] + delim.len() + 2..w[1] - 2]; // skip CRLF after delimiter, before next
        let split = part
            .windows(4)
            .position(|x| x == b"\r\n\r\n")
            .expect("head/body separator");
        parts.push((
            String::from_utf8_lossy(&part[..split]).into_owned(),
            part[split + 4..].to_vec(),
        ));
    }
    assert!(body.ends_with(format!("{delim}--\r\n").as_bytes()), "closing delimiter");
    parts
}

fn meta_of(req: &RecordedRequest) -> Value {
    let ct = req.header("content-type").unwrap();
    let meta = auth::multipart_meta(ct, &req.body).expect("a meta part");
    serde_json::from_slice(&meta).expect("meta is JSON")
}
