//! The `wechatpay` binary, run as a process against the sandbox on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use wechatpay_sandbox::{keys, Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_wechatpay");

/// The client environment for a sandbox at `base_url` (TEST ONLY keys).
fn env_for(base_url: &str) -> Vec<(String, String)> {
    vec![
        ("WECHATPAY_BASE_URL".into(), base_url.into()),
        ("WECHATPAY_MCHID".into(), keys::MCHID.into()),
        ("WECHATPAY_SERIAL".into(), keys::MERCHANT_SERIAL.into()),
        (
            "WECHATPAY_PRIVATE_KEY".into(),
            keys::merchant_key_path().display().to_string(),
        ),
        (
            "WECHATPAY_PUBLIC_KEY".into(),
            keys::wechatpay_pub_path().display().to_string(),
        ),
        ("WECHATPAY_PUBLIC_KEY_ID".into(), keys::WECHATPAY_PUBLIC_KEY_ID.into()),
        ("WECHATPAY_APIV3_KEY".into(), keys::APIV3_KEY.into()),
    ]
}

fn run(env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run wechatpay")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sandbox() -> Sandbox {
    Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox")
}

/// A sandbox without the simulator: every operation answers its spec example.
fn stateless_sandbox() -> Sandbox {
    Sandbox::start_blocking(SandboxConfig {
        simulator: None,
        ..SandboxConfig::default()
    })
    .expect("sandbox")
}

const RED_PACKET: &str = r#"{"mch_billno":"B-1","mch_id":"1900000001","wxappid":"wx8888888888888888","send_name":"s","re_openid":"o","total_amount":100,"total_num":1,"wishing":"w","client_ip":"127.0.0.1","act_name":"a","remark":"r"}"#;

/// The environment of [`env_for`] with the APIv2 key and the merchant certificate.
fn v2_env_for(base_url: &str) -> Vec<(String, String)> {
    let mut env = env_for(base_url);
    env.push(("WECHATPAY_APIV2_KEY".into(), keys::APIV2_KEY.into()));
    env.push((
        "WECHATPAY_MERCHANT_CERTIFICATE".into(),
        keys::keys_dir().join("merchant_cert.pem").display().to_string(),
    ));
    env
}

#[test]
fn apiv2_calls_are_signed_checked_and_print_the_answer_fields() {
    let sb = stateless_sandbox();
    let env = v2_env_for(&sb.base_url());
    let query = r#"{"appid":"wx8888888888888888","mch_id":"1900000001","out_trade_no":"T-1"}"#;
    let o = run(&env, &["call", "POST", "/pay/orderquery", "--data", query]);
    assert!(o.status.success(), "{}", stderr(&o));
    let answer: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(answer["out_trade_no"], "T-1");
    assert_eq!(answer["result_code"], "SUCCESS");
    assert!(
        answer.get("sign").is_some(),
        "the verified answer, as received: {answer}"
    );
    let last = sb.server().last_request();
    assert_eq!(last.target, "/pay/orderquery");
    // Checked against the spec before sending: a required field left out.
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/pay/orderquery",
            "--data",
            r#"{"mch_id":"1900000001"}"#,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`appid` is required"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was sent"));
    // A bill to a file.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bill.csv");
    let bill = r#"{"appid":"wx8888888888888888","mch_id":"1900000001","bill_date":"20261130"}"#;
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/pay/downloadbill",
            "--data",
            bill,
            "--output",
            &out.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), wechatpay_sandbox::SANDBOX_FILE);
    // No APIv2 key: a configuration error, nothing sent.
    let o = run(
        &env_for(&sb.base_url()),
        &["call", "POST", "/pay/orderquery", "--data", query],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("APIv2 key"), "{}", stderr(&o));
}

const AUTHINFO: &str = r#"{"sp_appid":"wx8888888888888888","sub_mchid":"1900000109","device_id":"d","raw_data":"r","organization_id":"o"}"#;

#[test]
fn call_prints_the_verified_json_and_exits_0() {
    let sb = stateless_sandbox();
    let env = env_for(&sb.base_url());
    let o = run(&env, &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["authinfo"].is_string(), "{v}");
    assert!(
        stdout(&o).contains("\n  \"authinfo\""),
        "pretty-printed: {}",
        stdout(&o)
    );
    let req = sb.server().last_request();
    assert_eq!(req.target, "/v3/offlineface/authinfo");
    assert_eq!(req.body_json(), serde_json::from_str::<Value>(AUTHINFO).unwrap());
    assert!(req.auth.is_ok());

    // Placeholders, a query given both in PATH and with --query (encoded once), no leading slash.
    let o = run(
        &env,
        &[
            "call",
            "get",
            "v3/pay/transactions/out-trade-no/T1",
            "--query",
            "mchid=a&b c",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        sb.server().last_request().target,
        "/v3/pay/transactions/out-trade-no/T1?mchid=a%26b%20c"
    );
    let o = run(
        &env,
        &[
            "call",
            "GET",
            "/v3/offlineface/face-collections?organization_id=o",
            "--query",
            "limit=5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        sb.server().last_request().target,
        "/v3/offlineface/face-collections?organization_id=o&limit=5"
    );
    let o = run(
        &env,
        &[
            "call",
            "GET",
            "/v3/pay/transactions/out-trade-no/T1",
            "--query",
            "mchid=1900000001",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["trade_state"].is_string(), "{v}");

    // 204: nothing printed, exit 0; --data from a file.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("close.json");
    std::fs::write(&data, r#"{"mchid":"1900000001"}"#).unwrap();
    let arg = format!("@{}", data.display());
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/pay/transactions/out-trade-no/T1/close",
            "--data",
            &arg,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn platform_errors_exit_non_zero_with_the_code_on_stderr() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let o = run(&env, &["call", "GET", "/v3/no/such/api"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("RESOURCE_NOT_EXISTS"), "{}", stderr(&o));
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    // A signature the sandbox rejects: the serial is not the merchant's.
    let mut bad = env.clone();
    bad.retain(|(k, _)| k != "WECHATPAY_SERIAL");
    bad.push((
        "WECHATPAY_SERIAL".into(),
        "0000000000000000000000000000000000000000".into(),
    ));
    let o = run(&bad, &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SIGN_ERROR"), "{}", stderr(&o));

    // The response is signed with a key the client does not trust: verification fails.
    let mut wrong_key = env.clone();
    wrong_key.retain(|(k, _)| k != "WECHATPAY_PUBLIC_KEY");
    wrong_key.push((
        "WECHATPAY_PUBLIC_KEY".into(),
        keys::merchant_pub_path().display().to_string(),
    ));
    let o = run(
        &wrong_key,
        &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("verification"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    // No configuration: exit 1 naming the variable.
    let o = run(&[], &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("WECHATPAY_"), "{}", stderr(&o));
}

#[test]
fn spec_check_refuses_before_sending() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let mut body: Value = serde_json::from_str(AUTHINFO).unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut b = body.clone();
                b["device"] = json!("x");
                b
            },
            "unknown field `device`",
        ),
        (
            {
                let mut b = body.clone();
                b.as_object_mut().unwrap().remove("sub_mchid");
                b
            },
            "missing required field `sub_mchid`",
        ),
        (
            {
                let mut b = body.clone();
                b["raw_data"] = json!(12);
                b
            },
            "field `raw_data`: expected a string, got the number 12",
        ),
        (json!([1]), "must be a JSON object"),
    ];
    for (data, expected) in cases {
        let o = run(
            &env,
            &["call", "POST", "/v3/offlineface/authinfo", "--data", &data.to_string()],
        );
        assert_eq!(o.status.code(), Some(1), "{data}");
        assert!(stderr(&o).contains(expected), "{data}: {}", stderr(&o));
        assert!(stderr(&o).contains("nothing was sent"), "{}", stderr(&o));
    }
    // Nested, integer given as 1.5, and a query parameter of the wrong type / unknown.
    let native = run(&env, &["example", "POST", "/v3/pay/transactions/native"]);
    assert!(native.status.success(), "{}", stderr(&native));
    let mut order: Value = serde_json::from_str(&stdout(&native)).unwrap();
    order["amount"]["total"] = json!(1.5);
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/pay/transactions/native",
            "--data",
            &order.to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`amount.total`: expected an integer, got 1.5"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &env,
        &[
            "call",
            "GET",
            "/v3/offlineface/face-collections",
            "--query",
            "organization_id=o",
            "--query",
            "limit=ten",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("query parameter `limit`"), "{}", stderr(&o));
    let o = run(
        &env,
        &[
            "call",
            "GET",
            "/v3/offlineface/face-collections",
            "--query",
            "organization=o",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown query parameter `organization`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("missing required query parameter `organization_id`"),
        "{}",
        stderr(&o)
    );
    assert!(sb.server().requests().is_empty(), "a refused request was sent");

    // The valid order passes (its Wechatpay-Serial header is filled from the environment).
    order["amount"]["total"] = json!(100);
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/pay/transactions/native",
            "--data",
            &order.to_string(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        sb.server().last_request().header("wechatpay-serial"),
        Some(keys::WECHATPAY_PUBLIC_KEY_ID)
    );

    // An enum value the spec does not list: a warning, and the request is sent.
    let o = run(
        &env,
        &["call", "GET", "/v3/certificates", "--query", "algorithm_type=NEW"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning") && stderr(&o).contains("\"NEW\""),
        "{}",
        stderr(&o)
    );
    assert_eq!(sb.server().requests().len(), 2);

    // --no-check sends it anyway: here the sandbox itself refuses it with PARAM_ERROR.
    body["device"] = json!("x");
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/offlineface/authinfo",
            "--no-check",
            "--data",
            &body.to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("PARAM_ERROR"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("nothing was sent"), "{}", stderr(&o));
    assert_eq!(sb.server().requests().len(), 3);
    assert_eq!(sb.server().last_request().body_json(), body);
}

#[test]
fn no_check_against_a_sandbox_that_accepts_anything() {
    let sb = Sandbox::start_blocking(SandboxConfig {
        check_requests: false,
        ..SandboxConfig::default()
    })
    .unwrap();
    let env = env_for(&sb.base_url());
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/offlineface/authinfo",
            "--data",
            r#"{"extra":1.5}"#,
            "--no-check",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(sb.server().last_request().body_str(), r#"{"extra":1.5}"#);
}

fn write_notification(dir: &Path, n: &wechatpay_sandbox::notify::Notification) -> (PathBuf, PathBuf) {
    let headers = dir.join("headers.txt");
    let body = dir.join("body.json");
    std::fs::write(&headers, format!("POST /notify HTTP/1.1\n{}", n.headers_text())).unwrap();
    std::fs::write(&body, &n.body).unwrap();
    (headers, body)
}

#[test]
fn notify_verifies_and_decrypts_a_saved_notification() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let resource =
        json!({"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS", "amount": {"total": 100}});
    let n = sb.notification("TRANSACTION.SUCCESS", Some(resource.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (headers, body) = write_notification(dir.path(), &n);
    let h = headers.display().to_string();
    let b = body.display().to_string();
    let o = run(&env, &["notify", "--headers", &h, "--body", &b]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(serde_json::from_str::<Value>(&stdout(&o)).unwrap(), resource);
    assert!(stderr(&o).contains("TRANSACTION.SUCCESS"), "{}", stderr(&o));

    // A body changed after signing: refused.
    let text = String::from_utf8(n.body.clone())
        .unwrap()
        .replacen("TRANSACTION.SUCCESS", "TRANSACTION.SUCCES5", 1);
    std::fs::write(&body, text).unwrap();
    let o = run(&env, &["notify", "--headers", &h, "--body", &b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not authentic"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    // The wrong APIv3 key: verified, but not decrypted.
    std::fs::write(&body, &n.body).unwrap();
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| k != "WECHATPAY_APIV3_KEY");
    wrong.push(("WECHATPAY_APIV3_KEY".into(), "TESTONLYffffffffffffffffffffffff".into()));
    let o = run(&wrong, &["notify", "--headers", &h, "--body", &b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("decrypt"), "{}", stderr(&o));

    // `sandbox notify --save` writes files `notify` accepts.
    let saved = dir.path().join("saved");
    let s = saved.display().to_string();
    let o = run(&env, &["sandbox", "notify", "--event", "REFUND.SUCCESS", "--save", &s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let h2 = saved.join("headers.txt").display().to_string();
    let b2 = saved.join("body.json").display().to_string();
    let o = run(&env, &["notify", "--headers", &h2, "--body", &b2]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plain: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(plain["refund_status"], "SUCCESS", "{plain}");
}

#[test]
fn certificates_are_downloaded_decrypted_and_saved() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let o = run(&env, &["certificates", "--out", &out.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(listed[0]["serial_no"], keys::PLATFORM_CERT_SERIAL);
    let file = out.join(format!("wechatpay_{}.pem", keys::PLATFORM_CERT_SERIAL));
    assert_eq!(std::fs::read_to_string(file).unwrap(), keys::PLATFORM_CERT_PEM);

    // Without the APIv3 key: a clear error, nothing saved.
    let mut no_key = env.clone();
    no_key.retain(|(k, _)| k != "WECHATPAY_APIV3_KEY");
    let other = dir.path().join("none");
    let o = run(&no_key, &["certificates", "--out", &other.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("WECHATPAY_APIV3_KEY"), "{}", stderr(&o));
    assert!(!other.exists());
}

#[test]
fn usage_errors_exit_2() {
    let env: Vec<(String, String)> = Vec::new();
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["call"][..],
        &["call", "GET"][..],
        &["call", "FETCH", "/v3/x"][..],
        &["call", "GET", "/v3/x", "--bogus"][..],
        &["call", "GET", "/v3/x", "--query"][..],
        &["call", "GET", "/v3/x", "--query", "novalue"][..],
        &["call", "POST", "/v3/x", "--data", "{not json"][..],
        &["call", "GET", "https://api.mch.weixin.qq.com/v3/x"][..],
        &["notify", "--headers", "h.txt"][..],
        &["certificates", "extra"][..],
        &["sandbox", "--port", "http"][..],
        &["sandbox", "notify"][..],
    ] {
        let o = run(&env, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?}");
    }
    for args in [&["--help"][..], &["call", "--help"][..], &["help"][..]] {
        let o = run(&env, args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("usage:") && stdout(&o).contains("wechatpay call METHOD PATH"));
    }
}

#[test]
fn ops_lists_the_embedded_spec() {
    let o = run(&[], &["ops"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("POST   /v3/offlineface/authinfo"), "{}", stdout(&o));
}

/// Reads lines from the child's stdout until `export WECHATPAY_APIV3_KEY`, at most 60 s.
fn read_exports(child: &mut std::process::Child) -> Vec<(String, String)> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut vars = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("sandbox output within 60 s");
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            vars.push((k.to_string(), v.to_string()));
        }
        // The line after the exports.
        if line.starts_with("# or: ") {
            return vars;
        }
    }
}

/// A one-shot HTTP server on 127.0.0.1: returns its URL and a channel with (head, body).
fn one_shot_server(status: u16) -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0 && data.len() < 1 << 20);
            data.extend_from_slice(&buf[..n]);
            if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..i]).to_string();
                let len: usize = head
                    .to_ascii_lowercase()
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                    .unwrap_or(0);
                if data.len() >= i + 4 + len {
                    let body = data[i + 4..i + 4 + len].to_vec();
                    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    stream.write_all(answer.as_bytes()).unwrap();
                    let _ = tx.send((head, body));
                    return;
                }
            }
        }
    });
    (url, rx)
}

#[test]
fn the_sandbox_command_serves_the_client_it_prints_the_environment_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--port",
            "0",
            "--quiet",
            "--dir",
            &dir.path().display().to_string(),
        ])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let vars = read_exports(&mut child);
    let result = std::panic::catch_unwind(|| {
        let base = vars.iter().find(|(k, _)| k == "WECHATPAY_BASE_URL").unwrap().1.clone();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        let key = vars
            .iter()
            .find(|(k, _)| k == "WECHATPAY_PUBLIC_KEY")
            .unwrap()
            .1
            .clone();
        assert!(key.contains("TEST-ONLY"), "{key}");
        let o = run(&vars, &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = run(&vars, &["call", "GET", "/v3/nothing"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("RESOURCE_NOT_EXISTS"));
        // APIv2 with the APIv2 key and the merchant certificate it printed.
        assert!(vars.iter().any(|(k, _)| k == "WECHATPAY_APIV2_KEY"));
        let o = run(
            &vars,
            &["call", "POST", "/mmpaymkttransfers/sendredpack", "--data", RED_PACKET],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("\"mch_billno\": \"B-1\""), "{}", stdout(&o));
        assert!(std::fs::read_to_string(dir.path().join("env.sh"))
            .unwrap()
            .contains("TEST ONLY"));

        // `sandbox notify --url` delivers a notification the `notify` command accepts.
        let (url, rx) = one_shot_server(200);
        let o = run(
            &vars,
            &["sandbox", "notify", "--url", &url, "--event", "TRANSACTION.SUCCESS"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let (head, body) = rx.recv_timeout(Duration::from_secs(20)).unwrap();
        assert!(head.starts_with("POST /notify HTTP/1.1"), "{head}");
        let h = dir.path().join("h.txt");
        let b = dir.path().join("b.json");
        std::fs::write(&h, &head).unwrap();
        std::fs::write(&b, &body).unwrap();
        let o = run(
            &vars,
            &[
                "notify",
                "--headers",
                &h.display().to_string(),
                "--body",
                &b.display().to_string(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let plain: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(plain["trade_state"], "SUCCESS");

        // A merchant answering 500: the command fails.
        let (url, _rx) = one_shot_server(500);
        let o = run(&vars, &["sandbox", "notify", "--url", &url]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn uploads_and_downloads() {
    // Stateless: the download URLs are the spec's examples (the simulator refuses a token it
    // did not hand out, as the platform does).
    let sb = stateless_sandbox();
    let env = env_for(&sb.base_url());
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("logo.png");
    std::fs::write(&image, b"\x89PNG TEST ONLY").unwrap();

    // An upload without --file is refused before sending.
    let o = run(&env, &["call", "POST", "/v3/merchant/media/upload", "--data", "{}"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--file"), "{}", stderr(&o));
    assert!(sb.server().requests().is_empty());

    // multipart/form-data: the meta part (filename and sha256 filled in), then the file.
    let o = run(
        &env,
        &[
            "call",
            "POST",
            "/v3/merchant/media/upload",
            "--file",
            &image.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["media_id"].is_string(), "{v}");
    let req = sb.server().last_request();
    assert!(req.header("content-type").unwrap().starts_with("multipart/form-data"));
    assert!(req.auth.is_ok());
    let body = String::from_utf8_lossy(&req.body);
    assert!(body.contains("logo.png") && body.contains("PNG TEST ONLY"), "{body}");

    // A download (unsigned by design): the file's bytes on stdout, or in --output.
    let o = run(&env, &["call", "GET", "/v3/billdownload/file", "--query", "token=t"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, wechatpay_sandbox::SANDBOX_FILE);
    let out = dir.path().join("bill.csv");
    let o = run(
        &env,
        &[
            "call",
            "GET",
            "/v3/billdownload/file",
            "--query",
            "token=t",
            "--output",
            &out.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), wechatpay_sandbox::SANDBOX_FILE);
}

/// A reader that goes away early (`| head`) ends the command quietly with success, never a
/// panic (`failed printing to stdout: Broken pipe`).
#[test]
fn a_closed_pipe_ends_output_quietly() {
    for args in [vec!["ops"], vec!["example", "POST", "/v3/refund/domestic/refunds"]] {
        let mut child = std::process::Command::new(BIN)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe while the command is still writing.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        std::io::Read::read_exact(&mut out, &mut first).unwrap();
        drop(out);
        let output = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(output.status.success(), "{args:?}: {:?} {err}", output.status);
    }
}

/// The verified answer is checked against the spec's response: an unknown field is a warning,
/// a body of the wrong shape (here `null` where an object is due) an error (exit 1).
#[test]
fn call_checks_the_answer_against_the_spec() {
    use wechatpay_sandbox::mock::Reply;
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    sb.server().on(
        "POST",
        "/v3/offlineface/authinfo",
        Reply::json(200, serde_json::json!({"authinfo": "A", "brand_new_field": 1})),
    );
    let o = run(&env, &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: the response: unknown field `brand_new_field`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("brand_new_field"),
        "the answer is still printed as received"
    );

    sb.server()
        .on("POST", "/v3/offlineface/authinfo", Reply::json_text(200, "null"));
    let o = run(&env, &["call", "POST", "/v3/offlineface/authinfo", "--data", AUTHINFO]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the response does not match the spec of POST /v3/offlineface/authinfo"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn notify_checks_an_apiv2_notification() {
    let sb = sandbox();
    let env = v2_env_for(&sb.base_url());
    let mut fields: Vec<(String, String)> = [
        ("return_code", "SUCCESS"),
        ("mch_id", "10000100"),
        ("nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"),
        ("out_trade_no", "1409811653"),
        ("result_code", "FAIL"),
        ("err_code", "NOTENOUGH"),
        ("total_fee", "101"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // Signed by the sandbox's own APIv2 signer (not the client's).
    let sign = wechatpay_sandbox::v2::sign(&fields, keys::APIV2_KEY, false);
    fields.push(("sign".into(), sign));
    let xml: String = fields
        .iter()
        .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("notify.xml");
    std::fs::write(&body, format!("<xml>{xml}</xml>")).unwrap();
    let b = body.display().to_string();
    let o = run(&env, &["notify", "--body", &b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // An authentic failed payment is printed, not refused.
    assert_eq!(
        (printed["result_code"].as_str(), printed["total_fee"].as_str()),
        (Some("FAIL"), Some("101"))
    );
    // Changed after signing: refused.
    std::fs::write(&body, format!("<xml>{}</xml>", xml.replace("101", "1"))).unwrap();
    let o = run(&env, &["notify", "--body", &b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not authentic"), "{}", stderr(&o));
}

#[test]
fn sandbox_pay_and_complete_drive_a_running_simulator() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let order = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","description":"QR","out_trade_no":"T-CLI","notify_url":"http://127.0.0.1:9/notify","amount":{"total":100}}"#;
    let o = run(&env, &["call", "POST", "/v3/pay/transactions/native", "--data", order]);
    assert!(o.status.success(), "{}", stderr(&o));
    // WECHATPAY_BASE_URL (from env_for) is the sandbox.
    let o = run(&env, &["sandbox", "pay", "T-CLI"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let paid: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS", "{paid}");
    let o = run(&env, &["sandbox", "pay", "T-CLI"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ORDERPAID"), "{}", stderr(&o));
    let o = run(&env, &["sandbox", "complete", "R-NONE", "--outcome", "SUCCESS"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("RESOURCE_NOT_EXISTS"), "{}", stderr(&o));
    assert_eq!(run(&env, &["sandbox", "pay"]).status.code(), Some(2));
}

#[test]
fn sandbox_fault_asks_a_running_simulator_for_faults_and_lists_and_clears_them() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let o = run(
        &env,
        &[
            "sandbox",
            "fault",
            "system_error",
            "--operation",
            "GET /v3/pay/transactions/id/{transaction_id}",
            "--times",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(listed["data"][0]["times"], 1, "{listed}");
    // The next query is answered 500 SYSTEM_ERROR, the one after that is not.
    let query = [
        "call",
        "GET",
        "/v3/pay/transactions/id/4200000000000000000000000001",
        "--query",
        "mchid=1900000001",
    ];
    let o = run(&env, &query);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SYSTEM_ERROR"), "{}", stderr(&o));
    assert!(!stderr(&run(&env, &query)).contains("SYSTEM_ERROR"));

    let o = run(&env, &["sandbox", "fault", "latency", "--latency-ms", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&env, &["sandbox", "faults"]);
    let listed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        listed["data"],
        serde_json::json!([{"fault": "latency", "latency_ms": 5}])
    );
    assert!(run(&env, &["sandbox", "faults", "--clear"]).status.success());
    let listed: Value = serde_json::from_str(&stdout(&run(&env, &["sandbox", "faults"]))).unwrap();
    assert_eq!(listed["data"], serde_json::json!([]));
    // Not a fault: the simulator's reason.
    let o = run(&env, &["sandbox", "fault", "latency"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("latency_ms"), "{}", stderr(&o));
    assert_eq!(
        run(&env, &["sandbox", "fault", "latency", "--times", "x"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_sandbox_command_runs_hands_off_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--port",
            "0",
            "--quiet",
            "--pay-after",
            "30",
            "--refund-after",
            "30",
        ])
        .args(["--dir", &dir.path().display().to_string()])
        .args(["--state", &dir.path().join("state.json").display().to_string()])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let vars = read_exports(&mut child);
    let result = std::panic::catch_unwind(|| {
        let order = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","description":"QR","out_trade_no":"T-HANDS-OFF","notify_url":"http://127.0.0.1:9/notify","amount":{"total":100}}"#;
        let o = run(&vars, &["call", "POST", "/v3/pay/transactions/native", "--data", order]);
        assert!(o.status.success(), "{}", stderr(&o));
        // Paid by itself, with nobody calling the control API.
        let query = [
            "call",
            "GET",
            "/v3/pay/transactions/out-trade-no/T-HANDS-OFF",
            "--query",
            "mchid=1900000001",
        ];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !stdout(&run(&vars, &query)).contains("\"trade_state\": \"SUCCESS\"") {
            assert!(std::time::Instant::now() < deadline, "never paid");
            std::thread::sleep(Duration::from_millis(20));
        }
        // --state: kept in the file.
        let state = dir.path().join("state.json");
        while !std::fs::read_to_string(&state).is_ok_and(|t| t.contains("T-HANDS-OFF")) {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    for bad in [["--pay-after", "soon"], ["--schedule-factor", "-1"]] {
        let o = Command::new(BIN)
            .args(["sandbox", "--port", "0"])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&o).contains(bad[0]), "{}", stderr(&o));
    }
}

/// A trade bill as the platform writes it: a BOM, backquoted values, CRLF.
fn trade_bill_text(summary_total: &str) -> String {
    let quote = |line: &str| line.split(',').map(|v| format!("`{v}")).collect::<Vec<_>>().join(",");
    format!(
        "\u{feff}交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\r\n{}\r\n{}\r\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n{}\r\n",
        quote("2026-01-05 09:12:03,wx1,1900000001,0,,4200000001,T-1,o1,JSAPI,SUCCESS,OTHERS,CNY,10.00,0.00,商品,,0.06000,0.60%,10.00,"),
        quote("2026-01-05 11:40:59,wx1,1900000001,0,,4200000002,T-2,o2,NATIVE,SUCCESS,OTHERS,CNY,25.50,0.00,商品,,0.15000,0.60%,25.50,"),
        quote(&format!("2,{summary_total},0.00,0.00,0.21000,35.50,0.00")),
    )
}

#[test]
fn bill_read_prints_rows_and_the_checked_summary_from_a_file_gzip_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("bill.csv");
    std::fs::write(&plain, trade_bill_text("35.50")).unwrap();
    let o = run(&[], &["bill", "read", &plain.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[1]["out_trade_no"].as_str(), lines[1]["settlement_total"].as_i64()),
        (Some("T-2"), Some(2550))
    );
    assert_eq!(lines[1]["fee"], 15000, "an integer, never a float");
    assert_eq!(lines[2]["summary"]["settlement_total"], 3550);

    // Gzipped by the gzip command line (an implementation not ours): the same rows.
    let status = Command::new("gzip").args(["-k", "-f"]).arg(&plain).status().unwrap();
    assert!(status.success());
    let o = run(&[], &["bill", "read", &format!("{}.gz", plain.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3);

    // From standard input.
    let mut child = Command::new(BIN)
        .args(["bill", "read", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), trade_bill_text("35.50").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(stdout(&o).lines().count(), 3);

    // A bill that does not add up: exit 1, the file, line and column.
    let wrong = dir.path().join("wrong.csv");
    std::fs::write(&wrong, trade_bill_text("35.51")).unwrap();
    let o = run(&[], &["bill", "read", &wrong.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("wrong.csv: line 5, column 应结订单总金额") && stderr(&o).contains("off by 0.01"),
        "{}",
        stderr(&o)
    );
    // Cut short: exit 1.
    let cut = dir.path().join("cut.csv");
    let text = trade_bill_text("35.50");
    std::fs::write(&cut, &text[..text.find("总交易单数").unwrap()]).unwrap();
    let o = run(&[], &["bill", "read", &cut.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("without its summary"), "{}", stderr(&o));
}

#[test]
fn bill_read_knows_a_fund_flow_bill_by_its_first_column() {
    let quote = |line: &str| line.split(',').map(|v| format!("`{v}")).collect::<Vec<_>>().join(",");
    let text = format!(
        "\u{feff}记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号\r\n{}\r\n资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n{}\r\n",
        quote("2026-01-05 09:12:05,4200000001,4200000001,交易,交易,收入,10.00,110.00,system,,ORDER-0001"),
        quote("1,1,10.00,0,0.00"),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fund.csv");
    std::fs::write(&file, text).unwrap();
    let o = run(&[], &["bill", "read", &file.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        (lines[0]["amount"].as_i64(), lines[0]["income"].as_bool()),
        (Some(1000), Some(true))
    );
    assert_eq!(lines[1]["summary"]["income"], 1000);
}

/// A service provider's sub-merchant's encrypted fund-flow bill: downloaded, decrypted and
/// checked part by part, written to a file that `bill read` reads, or its rows printed.
#[test]
fn bill_download_decrypts_a_sub_merchants_encrypted_fund_bill() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let order = r#"{"sp_appid":"wxd678efh567hg6787","sp_mchid":"1900000001","sub_mchid":"1900000209","description":"QR","out_trade_no":"T-SUB-CLI","notify_url":"http://127.0.0.1:9/notify","amount":{"total":4321}}"#;
    let o = run(
        &env,
        &["call", "POST", "/v3/pay/partner/transactions/native", "--data", order],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(run(&env, &["sandbox", "pay", "T-SUB-CLI"]).status.success());
    let today = wechatpay_sandbox::sim::bills::day(sb.simulator().unwrap().now());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub.csv").display().to_string();
    let args = [
        "bill",
        "download",
        &today,
        "--sub-merchant",
        "1900000209",
        "--gzip",
        "--out",
        &out,
    ];
    let o = run(&env, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("SHA-1 checked"), "{}", stdout(&o));
    let o = run(&[], &["bill", "read", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "the payment, its fee, the summary");
    assert_eq!(lines[0]["amount"], 4321);
    let o = run(
        &env,
        &["bill", "download", &today, "--sub-merchant", "1900000209", "--read"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("T-SUB-CLI"), "{}", stdout(&o));
    // Another sub-merchant has no bill that day: the platform's error, exit 1.
    let o = run(
        &env,
        &["bill", "download", &today, "--sub-merchant", "1900000299", "--read"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("NO_STATEMENT_EXIST"), "{}", stderr(&o));
}

#[test]
fn bill_download_fetches_the_days_bill_checked_and_bill_read_reads_it() {
    let sb = sandbox();
    let env = env_for(&sb.base_url());
    let order = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","description":"QR","out_trade_no":"T-BILL-CLI","notify_url":"http://127.0.0.1:9/notify","amount":{"total":1234}}"#;
    assert!(
        run(&env, &["call", "POST", "/v3/pay/transactions/native", "--data", order])
            .status
            .success()
    );
    assert!(run(&env, &["sandbox", "pay", "T-BILL-CLI"]).status.success());
    let today = wechatpay_sandbox::sim::bills::day(sb.simulator().unwrap().now());
    let dir = tempfile::tempdir().unwrap();
    for (file, extra) in [
        ("trade.csv", vec![]),
        ("gz.csv", vec!["--gzip"]),
        ("fund.csv", vec!["--fund-flow"]),
    ] {
        let out = dir.path().join(file).display().to_string();
        let mut args = vec!["bill", "download", today.as_str(), "--out", out.as_str()];
        args.extend(extra);
        let o = run(&env, &args);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        assert!(stdout(&o).contains("checked"), "{}", stdout(&o));
        let o = run(&[], &["bill", "read", &out]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        assert!(stdout(&o).contains("T-BILL-CLI"), "{file}: {}", stdout(&o));
    }
    // --read: the rows as they download (gzipped on the wire), the same as `bill read` gives.
    for fund_flow in [false, true] {
        let mut args = vec!["bill", "download", today.as_str(), "--read", "--gzip"];
        let file = if fund_flow {
            args.push("--fund-flow");
            "fund.csv"
        } else {
            "trade.csv"
        };
        let o = run(&env, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        let read = run(&[], &["bill", "read", &dir.path().join(file).display().to_string()]);
        assert_eq!(stdout(&o), stdout(&read), "{file}");
    }
    // A day with nothing: the platform's NO_STATEMENT_EXIST, and no file.
    let none = dir.path().join("none.csv").display().to_string();
    let o = run(&env, &["bill", "download", "2020-01-01", "--out", &none]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NO_STATEMENT_EXIST"), "{}", stderr(&o));
    assert!(!std::path::Path::new(&none).exists());
    assert_eq!(
        run(&env, &["bill", "download", "2020-01-01"]).status.code(),
        Some(2),
        "--out or --read is required"
    );
}

#[test]
fn bill_reconcile_prints_each_difference_with_both_sides_and_fails_when_any() {
    let dir = tempfile::tempdir().unwrap();
    let bill = dir.path().join("bill.csv");
    std::fs::write(&bill, trade_bill_text("35.50")).unwrap();
    let bill = bill.display().to_string();
    let records = dir.path().join("records.csv");
    // T-1 agrees; T-2 is 25.49 in the records; T-3 the bill does not list.
    std::fs::write(
        &records,
        "out_trade_no,out_refund_no,amount,state\nT-1,,1000,SUCCESS\nT-2,,2549,SUCCESS\nT-3,,700,SUCCESS\n",
    )
    .unwrap();
    let o = run(&[], &["bill", "reconcile", &bill, &records.display().to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 differences"), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&o));
    assert_eq!(lines[0]["kind"], "amount_differs");
    assert_eq!(lines[0]["key"]["out_trade_no"], "T-2");
    assert_eq!(
        (
            lines[0]["bill"]["amount"].as_i64(),
            lines[0]["records"]["amount"].as_i64()
        ),
        (Some(2550), Some(2549))
    );
    assert_eq!(lines[0]["bill"]["line"], 3);
    assert_eq!(lines[1]["kind"], "only_in_records");
    assert_eq!(lines[1]["records"]["line"], 4, "the record's line in its file");
    assert_eq!(lines[2]["summary"]["differences"], 2);

    // Records that agree: exit 0, only the summary.
    std::fs::write(
        &records,
        "state,amount,out_trade_no,out_refund_no\nSUCCESS,1000,T-1,\nSUCCESS,2550,T-2,\n",
    )
    .unwrap();
    let o = run(&[], &["bill", "reconcile", &bill, &records.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);

    // An amount in yuan in the records: named with its line and column.
    std::fs::write(
        &records,
        "out_trade_no,out_refund_no,amount,state\nT-1,,10.00,SUCCESS\n",
    )
    .unwrap();
    let o = run(&[], &["bill", "reconcile", &bill, &records.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 2, column amount"), "{}", stderr(&o));
}

#[test]
fn bill_read_reads_a_bill_of_undocumented_columns_by_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profitsharing.csv");
    std::fs::write(
        &file,
        "\u{feff}分账时间,分账方,接收方,分账金额(元)\r\n`2026-01-05 10:00:00,`1900000001,`1900000109,`1.00\r\n分账总笔数,分账总金额(元)\r\n`1,`1.00\r\n",
    )
    .unwrap();
    let o = run(&[], &["bill", "read", &file.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["values"][2], json!(["接收方", "1900000109"]));
    assert_eq!(lines[1]["summary"]["rows"], 1);

    // A trade bill read --plain: the same rows, as pairs.
    let trade = dir.path().join("trade.csv");
    std::fs::write(&trade, trade_bill_text("35.50")).unwrap();
    let o = run(&[], &["bill", "read", "--plain", &trade.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[1]["values"][6], json!(["商户订单号", "T-2"]));
}
