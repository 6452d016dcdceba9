//! Runs every example (`examples/`) against the sandbox, as a user would run them against
//! WeChat Pay: configured from the environment only, the sandbox's TEST ONLY keys written to a
//! temporary folder. The example binaries are the ones `cargo test` builds beside this test
//! (`target/…/examples/`); an example whose API group is not enabled is not built, and is
//! named as skipped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use wechatpay_sandbox::{keys, write_client_files, Sandbox, SandboxConfig};

struct Env {
    sandbox: Sandbox,
    /// A second sandbox whose simulator delivers every notification twice, at once (the
    /// notification endpoint's de-duplication).
    sandbox_deliveries: Sandbox,
    vars: Vec<(String, String)>,
    dir: PathBuf,
}

async fn env() -> Env {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone()).await.expect("the sandbox starts");
    let dir = std::env::temp_dir().join(format!("wechatpay-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut vars = write_client_files(&dir, &sandbox.base_url(), &config, true)
        .expect("client files")
        .vars;
    let cert = dir.join("platform_cert.TEST-ONLY.pem");
    std::fs::write(&cert, keys::PLATFORM_CERT_PEM).unwrap();
    vars.push(("WECHATPAY_PLATFORM_CERT".into(), cert.display().to_string()));
    vars.push(("WECHATPAY_APPID".into(), "wxd678efh567hg6787".into()));
    vars.push(("WECHATPAY_NOTIFY_URL".into(), "https://example.com/notify".into()));
    let deliveries = SandboxConfig {
        simulator: Some(wechatpay_sandbox::sim::SimulatorConfig {
            schedule_factor: 0.001,
            duplicates: true,
            ..Default::default()
        }),
        ..config
    };
    let sandbox_deliveries = Sandbox::start(deliveries).await.unwrap();
    Env {
        sandbox,
        sandbox_deliveries,
        vars,
        dir,
    }
}

/// The example binary `name`, if it was built.
fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(name);
    path.is_file().then_some(path)
}

impl Env {
    fn command(&self, path: &PathBuf, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(path);
        c.args(args)
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .kill_on_drop(true);
        c
    }

    /// Runs example `name` with `args` to its end: its standard output (it must succeed).
    async fn run(&self, name: &str, args: &[&str]) -> Option<String> {
        let Some(path) = example(name) else {
            eprintln!("skipped: example {name} is not built (its API group's feature is off)");
            return None;
        };
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(&path, args).output())
            .await
            .unwrap_or_else(|_| panic!("{name} did not finish"))
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Some(stdout)
    }
}

/// All of them in one test: one sandbox, started once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_runs_against_the_sandbox() {
    let env = env().await;
    let built = [
        "authinfo",
        "jsapi_order",
        "notify_server",
        "refund",
        "bill_download",
        "media_upload",
        "key_migration",
        "v2_jsapi_order",
    ]
    .iter()
    .filter(|n| example(n).is_some())
    .count();
    // In the workspace (`cargo test --workspace`) every group is on: every example is built.
    if cfg!(all(
        feature = "pay",
        feature = "refund",
        feature = "bill",
        feature = "merchant",
        feature = "offlineface",
        feature = "v2"
    )) {
        assert_eq!(built, 8, "every example is built");
    }

    if let Some(out) = env
        .run(
            "authinfo",
            &[
                "--device_id",
                "D1",
                "--raw_data",
                "R",
                "--organization_id",
                "O",
                "--sp_appid",
                "wxd678efh567hg6787",
                "--sub_mchid",
                "1900000109",
            ],
        )
        .await
    {
        assert!(out.contains("\"authinfo\""), "{out}");
    }

    if let Some(out) = env
        .run("jsapi_order", &["ORDER-1", "100", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"])
        .await
    {
        let params: serde_json::Value = serde_json::from_str(&out).expect("JSON pay-sign fields");
        assert_eq!(params["appId"], "wxd678efh567hg6787");
        assert_eq!(params["signType"], "RSA");
        assert!(params["package"].as_str().is_some_and(|p| p.starts_with("prepay_id=")));
        // paySign is the merchant's RSA signature over appId\ntimeStamp\nnonceStr\npackage\n,
        // checked here with openssl (an implementation independent of the client's).
        let message = format!(
            "{}\n{}\n{}\n{}\n",
            params["appId"].as_str().unwrap(),
            params["timeStamp"].as_str().unwrap(),
            params["nonceStr"].as_str().unwrap(),
            params["package"].as_str().unwrap()
        );
        assert!(openssl_verifies(
            &env.dir,
            &message,
            params["paySign"].as_str().unwrap()
        ));
        // The user pays it (the simulator's control API), so that the refund example refunds a
        // paid order, as on the platform.
        let paid = reqwest::Client::new()
            .post(format!("{}/sandbox/transactions/ORDER-1/pay", env.sandbox.base_url()))
            .send()
            .await
            .unwrap();
        assert!(paid.status().is_success(), "{}", paid.status());
    }

    if let Some(out) = env
        .run("v2_jsapi_order", &["ORDER-V2", "100", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"])
        .await
    {
        let params: serde_json::Value = serde_json::from_str(&out).expect("JSON pay-sign fields");
        assert_eq!(params["appId"], "wxd678efh567hg6787");
        assert_eq!(params["signType"], "MD5");
        assert!(params["package"].as_str().is_some_and(|p| p.starts_with("prepay_id=")));
        // paySign is the APIv2 sign over the five fields with the APIv2 key, checked here with
        // openssl (an implementation independent of the client's).
        let text = format!(
            "appId={}&nonceStr={}&package={}&signType=MD5&timeStamp={}&key={}",
            params["appId"].as_str().unwrap(),
            params["nonceStr"].as_str().unwrap(),
            params["package"].as_str().unwrap(),
            params["timeStamp"].as_str().unwrap(),
            keys::APIV2_KEY
        );
        assert_eq!(params["paySign"].as_str().unwrap(), openssl_md5_upper(&env.dir, &text));
    }

    if let Some(out) = env.run("refund", &["ORDER-1", "REFUND-1", "50", "100"]).await {
        assert!(out.contains("refund") && out.contains("created"), "{out}");
        assert!(out.lines().any(|l| l.contains(" is ")), "{out}");
    }

    if example("bill_download").is_some() {
        // Today's bill, built by the simulator from the order paid and the refund above.
        let today = wechatpay_sandbox::sim::bills::day(env.sandbox.simulator().expect("a simulator").now());
        let file = env.dir.join("bill.csv");
        let out = env
            .run("bill_download", &[&today, file.to_str().unwrap()])
            .await
            .unwrap();
        assert!(out.contains("checked"), "{out}");
        let bill = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
        assert!(bill.starts_with("\u{feff}交易时间,"), "{bill}");
        assert!(bill.contains("`ORDER-1,") && bill.contains("`REFUND-1,"), "{bill}");
        assert!(!env.dir.join("bill.csv.part").exists());
    }

    if example("media_upload").is_some() {
        let picture = env.dir.join("picture.png");
        std::fs::write(&picture, b"\x89PNG\r\n\x1a\n not really a picture").unwrap();
        let out = env.run("media_upload", &[picture.to_str().unwrap()]).await.unwrap();
        assert!(out.starts_with("media_id "), "{out}");
    }

    if let Some(out) = env.run("key_migration", &["ORDER-1"]).await {
        // The sandbox signs with its public key: the certificate-only client refuses the
        // answer, the two others accept it.
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("platform certificate only: refused"), "{out}");
        assert!(
            lines[1].starts_with("public key only: verified (signed by PUB_KEY_ID_"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("both (migrating): verified (signed by PUB_KEY_ID_"),
            "{out}"
        );
    }

    #[cfg(feature = "pay")]
    if let Some(path) = example("notify_server") {
        notify_server(&env, &path).await;
    }
    let _ = std::fs::remove_dir_all(&env.dir);
}

/// The notification endpoint: an order paid in the simulator, its notification delivered twice
/// (the simulator's duplicates), answered with success and handled once; a forged one refused
/// with a FAIL.
#[cfg(feature = "pay")]
async fn notify_server(env: &Env, path: &PathBuf) {
    let mut child = env
        .command(path, &[])
        .env("WECHATPAY_NOTIFY_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("it says where it listens")
        .unwrap()
        .unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect("listening on URL")
        .to_owned();
    // An order with the endpoint as its notify_url, paid by the user: delivered twice.
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    let sandbox = &env.sandbox_deliveries;
    let client = wechatpay::Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let order = native::PostRequest::new(native::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "notify_server".into(),
        out_trade_no: "ORDER-NOTIFY".into(),
        amount: Amount::new(AmountRequired { total: 100 }),
        notify_url: url.clone(),
    });
    client.v3().pay().transactions().native().post(&order).await.unwrap();
    let simulator = sandbox.simulator().expect("a simulator");
    simulator.pay_order("ORDER-NOTIFY").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !(simulator.notifications().len() == 2 && simulator.notifications().iter().all(|d| d.delivered)) {
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A forged one: a real notification's body, changed after signing.
    let note = sandbox.notification("TRANSACTION.SUCCESS", None).unwrap();
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        let mut request = http.post(&url).body(body);
        for (name, value) in &note.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request.send()
    };
    let mut forged = note.body.clone();
    forged.push(b' ');
    let answer = post(forged).await.unwrap();
    assert!(answer.status().is_client_error(), "{}", answer.status());
    assert!(answer.text().await.unwrap().contains("FAIL"));
    // (How many requests it served depends on how the two deliveries crossed: one may have been
    // answered "being handled elsewhere" and delivered again; so it is stopped, not counted.)
    child.kill().await.unwrap();
    let mut handled = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        handled.push(line);
    }
    assert_eq!(handled.len(), 1, "handled once though delivered twice: {handled:?}");
    assert!(handled[0].contains("TRANSACTION.SUCCESS"), "{handled:?}");
}

/// Whether `signature` (base64) is the merchant key's RSA-SHA256 signature of `message`,
/// by `openssl dgst -verify`.
/// The upper-case hex MD5 of `text`, by `openssl dgst -md5`.
fn openssl_md5_upper(dir: &std::path::Path, text: &str) -> String {
    let file = dir.join("paysign-v2.txt");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-md5", "-r"])
        .arg(&file)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_ascii_uppercase()
}

fn openssl_verifies(dir: &std::path::Path, message: &str, signature: &str) -> bool {
    use base64::Engine as _;
    let msg = dir.join("paysign.msg");
    let sig = dir.join("paysign.sig");
    let public = dir.join("merchant_pub.pem");
    std::fs::write(&msg, message).unwrap();
    std::fs::write(
        &sig,
        base64::engine::general_purpose::STANDARD.decode(signature).unwrap(),
    )
    .unwrap();
    std::fs::write(&public, keys::MERCHANT_PUB_PEM).unwrap();
    std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .status()
        .expect("openssl")
        .success()
}
