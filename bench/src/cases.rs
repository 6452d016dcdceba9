//! What is measured. Every figure is CPU time (`crate::cpu`), not wall time, except the
//! latencies and the throughput of the concurrency run; the client and its floors are measured
//! in alternating rounds of the same run, so that the machine's drift falls on both alike.

use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine as _;
use wechatpay::v3::offlineface::authinfo;
use wechatpay::v3::pay::transactions::id::by_transaction_id;

use crate::{cpu, keys, responder};

/// CPU per operation of each thing measured in one series of rounds.
pub struct Sequential {
    pub rsa: Duration,
    pub loopback: Duration,
    pub post: Duration,
    pub get: Duration,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The RSA floor: one RSA-2048 PKCS#1 v1.5 SHA-256 signature with the merchant key and one
/// verification with the WeChat Pay public key, of messages the size of a request's and an
/// answer's, with the library and key handling the client uses (`RsaKeyPair`, a parsed
/// public key).
pub struct Rsa {
    key: RsaKeyPair,
    public: ParsedPublicKey,
    request: Vec<u8>,
    answer: Vec<u8>,
    signature: Vec<u8>,
}

impl Rsa {
    pub fn new() -> Rsa {
        let key = RsaKeyPair::from_pkcs8(&keys::der(keys::MERCHANT_KEY_PEM)).expect("merchant key");
        let public = ParsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            keys::der(keys::WECHATPAY_PUB_PEM),
        )
        .expect("WeChat Pay public key");
        let request = format!(
            "POST\n/v3/offlineface/authinfo\n{}\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n",
            keys::unix_now(),
            authinfo_json()
        )
        .into_bytes();
        let answer = format!(
            "{}\n{}\n{}\n",
            keys::unix_now(),
            keys::ANSWER_NONCE,
            responder::AUTHINFO
        )
        .into_bytes();
        let signature = keys::wechatpay_sign(&answer);
        Rsa {
            key,
            public,
            request,
            answer,
            signature,
        }
    }

    /// `n` signatures and verifications; the calling thread's CPU.
    pub fn run(&self, n: u32) -> Duration {
        let rng = SystemRandom::new();
        let mut out = vec![0; self.key.public_modulus_len()];
        let start = cpu::thread();
        for _ in 0..n {
            self.key
                .sign(&RSA_PKCS1_SHA256, &rng, &self.request, &mut out)
                .expect("sign");
            std::hint::black_box(b64().encode(&out));
            self.public.verify_sig(&self.answer, &self.signature).expect("verify");
        }
        cpu::thread() - start
    }
}

/// A realistic `POST /v3/offlineface/authinfo` request.
pub fn authinfo_request() -> authinfo::PostRequest {
    authinfo::PostRequest {
        sp_appid: "wxd678efh567hg6787".into(),
        sub_appid: None,
        sub_mchid: "1900000109".into(),
        device_id: "013467007045764".into(),
        raw_data: "MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6".into(),
        organization_id: "1234567".into(),
    }
}

fn authinfo_json() -> String {
    serde_json::to_string(&authinfo_request()).expect("the request serialises")
}

/// The loopback floor: a bare `reqwest` round trip of a pre-built request of the same size and
/// headers to the same responder, its answer read whole (no signing, no verification, no JSON).
pub struct Loopback {
    http: reqwest::Client,
    request: reqwest::Request,
}

impl Loopback {
    pub fn new(base_url: &str) -> Loopback {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client");
        let request = http
            .post(format!("{base_url}/v3/offlineface/authinfo"))
            .header(
                "Authorization",
                format!(
                    "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
                    keys::MCHID,
                    "A".repeat(344),
                    keys::unix_now(),
                    keys::MERCHANT_SERIAL
                ),
            )
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .header("Wechatpay-Serial", keys::PUB_KEY_ID)
            .body(authinfo_json())
            .build()
            .expect("request");
        Loopback { http, request }
    }

    pub async fn once(&self) {
        let req = self.request.try_clone().expect("a body in memory");
        let answer = self.http.execute(req).await.expect("loopback");
        std::hint::black_box(answer.bytes().await.expect("the answer"));
    }
}

/// The client's two calls: the typed POST and the typed GET with a path parameter and a query.
pub async fn post(client: &wechatpay::Client, request: &authinfo::PostRequest) {
    let answer = client
        .v3()
        .offlineface()
        .authinfo()
        .post(request)
        .await
        .expect("authinfo");
    std::hint::black_box(answer);
}

pub async fn get(client: &wechatpay::Client, request: &by_transaction_id::GetRequest) {
    let answer = client
        .v3()
        .pay()
        .transactions()
        .id()
        .transaction_id("4200000000201407033233368018")
        .get(request)
        .await
        .expect("transaction");
    assert_eq!(answer.amount.and_then(|a| a.total), Some(100));
}

/// The sequential series on `rt`: `rounds` rounds of RSA, loopback, POST and GET, `n` of each
/// per round. `spawn`: run the calls as a task of the runtime (a multi-thread runtime's
/// workers), not on the thread that blocks on it.
pub fn sequential(rt: &tokio::runtime::Runtime, base_url: &str, rounds: u32, n: u32, spawn: bool) -> Sequential {
    let rsa = Rsa::new();
    let (client, loopback) = rt.block_on(async { (keys::client(base_url), Loopback::new(base_url)) });
    let (client, loopback) = (std::sync::Arc::new(client), std::sync::Arc::new(loopback));
    let post_req = std::sync::Arc::new(authinfo_request());
    let get_req = std::sync::Arc::new(by_transaction_id::GetRequest {
        mchid: keys::MCHID.into(),
    });
    // Warm up: connections open, lazy state initialised.
    run_on(rt, spawn, {
        let (c, l, p, g) = (client.clone(), loopback.clone(), post_req.clone(), get_req.clone());
        async move {
            for _ in 0..50 {
                l.once().await;
                post(&c, &p).await;
                get(&c, &g).await;
            }
        }
    });
    let mut total = [Duration::ZERO; 4];
    for _ in 0..rounds {
        total[0] += rsa.run(n / 4);
        let measure = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
            let start = cpu::process();
            run_on(rt, spawn, f);
            cpu::process() - start
        };
        let (l, c, p, g) = (loopback.clone(), client.clone(), post_req.clone(), get_req.clone());
        total[1] += measure(Box::pin(async move {
            for _ in 0..n {
                l.once().await;
            }
        }));
        let (c2, p2) = (c.clone(), p.clone());
        total[2] += measure(Box::pin(async move {
            for _ in 0..n {
                post(&c2, &p2).await;
            }
        }));
        total[3] += measure(Box::pin(async move {
            for _ in 0..n {
                get(&c, &g).await;
            }
        }));
    }
    let per = |d: Duration, k: u32| d / (rounds * k);
    Sequential {
        rsa: per(total[0], n / 4),
        loopback: per(total[1], n),
        post: per(total[2], n),
        get: per(total[3], n),
    }
}

fn run_on(rt: &tokio::runtime::Runtime, spawn: bool, f: impl std::future::Future<Output = ()> + Send + 'static) {
    if spawn {
        rt.block_on(rt.spawn(f)).expect("the task");
    } else {
        rt.block_on(f);
    }
}

/// The concurrency run: one client cloned into `tasks` tasks, `total` POSTs in all.
pub struct Concurrency {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_per_request: Duration,
    /// The bare loopback round trip under the same concurrency.
    pub loopback_per_request: Duration,
}

pub fn concurrency(rt: &tokio::runtime::Runtime, base_url: &str, tasks: usize, total: usize) -> Concurrency {
    let client = std::sync::Arc::new(rt.block_on(async { keys::client(base_url) }));
    let loopback = std::sync::Arc::new(rt.block_on(async { Loopback::new(base_url) }));
    let request = std::sync::Arc::new(authinfo_request());
    // `count` calls from `tasks` tasks: the client's POST, or (`bare`) the loopback round trip.
    let run = |count: usize, bare: bool| {
        let (client, loopback, request) = (client.clone(), loopback.clone(), request.clone());
        rt.block_on(async move {
            let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..tasks {
                let (client, loopback, request, next) =
                    (client.clone(), loopback.clone(), request.clone(), next.clone());
                handles.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                        let t = Instant::now();
                        if bare {
                            loopback.once().await;
                        } else {
                            post(&client, &request).await;
                        }
                        latencies.push(t.elapsed());
                    }
                    latencies
                }));
            }
            let mut all = Vec::new();
            for h in handles {
                all.extend(h.await.expect("a task"));
            }
            all
        })
    };
    // Warm up: a connection per task, for both.
    run(tasks * 4, false);
    run(tasks * 4, true);
    let (mut wall, mut used, mut bare_used) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut latencies = Vec::new();
    // Alternating halves, client and loopback.
    for _ in 0..2 {
        let (start_cpu, start) = (cpu::process(), Instant::now());
        latencies.extend(run(total / 2, false));
        wall += start.elapsed();
        used += cpu::process() - start_cpu;
        let start_cpu = cpu::process();
        run(total / 2, true);
        bare_used += cpu::process() - start_cpu;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let n = (total / 2 * 2) as u32;
    Concurrency {
        per_second: f64::from(n) / wall.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        cpu_per_request: used / n,
        loopback_per_request: bare_used / n,
    }
}

/// A transaction notification as WeChat Pay sends one: the resource encrypted with the APIv3
/// key, the envelope signed with the WeChat Pay key.
pub struct Notification {
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
    public: ParsedPublicKey,
    key: LessSafeKey,
    ciphertext: String,
}

const GCM_NONCE: &str = "fdasflkja484";

impl Notification {
    pub fn new() -> Notification {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, keys::APIV3_KEY.as_bytes()).expect("AES key"));
        let mut sealed = responder::TRANSACTION.as_bytes().to_vec();
        let nonce = Nonce::try_assume_unique_for_key(GCM_NONCE.as_bytes()).expect("nonce");
        key.seal_in_place_append_tag(nonce, Aad::from(b"transaction"), &mut sealed)
            .expect("seal");
        let ciphertext = b64().encode(&sealed);
        let body = format!(
            r#"{{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM","ciphertext":"{ciphertext}","associated_data":"transaction","nonce":"{GCM_NONCE}"}}}}"#
        )
        .into_bytes();
        let timestamp = keys::unix_now().to_string();
        let nonce = keys::ANSWER_NONCE;
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(&body);
        message.push(b'\n');
        let signature = keys::wechatpay_sign(&message);
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in [
            ("Wechatpay-Timestamp", timestamp.clone()),
            ("Wechatpay-Nonce", nonce.to_owned()),
            ("Wechatpay-Signature", b64().encode(&signature)),
            ("Wechatpay-Serial", keys::PUB_KEY_ID.to_owned()),
        ] {
            headers.insert(name, value.parse().expect("header value"));
        }
        let public = ParsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            keys::der(keys::WECHATPAY_PUB_PEM),
        )
        .expect("public key");
        Notification {
            headers,
            body,
            message,
            signature,
            public,
            key,
            ciphertext,
        }
    }

    /// `n` notifications through the client: verified, parsed, decrypted, typed.
    pub fn client(&self, client: &wechatpay::Client, n: u32) -> Duration {
        let start = cpu::thread();
        for _ in 0..n {
            let event = client
                .handle_notification(&self.headers, &self.body)
                .expect("a valid notification");
            match wechatpay::notifications::Resource::decode(&event).expect("typed") {
                wechatpay::notifications::Resource::Transaction(tx) => {
                    std::hint::black_box(tx);
                }
                other => panic!("not a transaction: {other:?}"),
            }
        }
        cpu::thread() - start
    }

    /// The floor: `n` bare verifications of the signature and AES-GCM decryptions of the resource.
    pub fn bare(&self, n: u32) -> Duration {
        let start = cpu::thread();
        for _ in 0..n {
            self.public.verify_sig(&self.message, &self.signature).expect("verify");
            let mut data = b64().decode(&self.ciphertext).expect("base64");
            let nonce = Nonce::try_assume_unique_for_key(GCM_NONCE.as_bytes()).expect("nonce");
            let plain = self
                .key
                .open_in_place(nonce, Aad::from(b"transaction"), &mut data)
                .expect("open");
            std::hint::black_box(plain);
        }
        cpu::thread() - start
    }
}

/// The start-up of a process: this binary in `mode` (`one-request URL`: a client and one
/// POST; `crypto-floor`: what the crypto library costs a process that signs and verifies once,
/// its key parsed and its random generator seeded), run `runs` times; the mean CPU of the child
/// (user + system, from `/usr/bin/time`).
pub fn startup(mode: &[&str], runs: u32) -> Result<Duration, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "cpu %U %S"])
            .arg(&exe)
            .args(mode)
            .output()
            .map_err(|e| format!("/usr/bin/time: {e}"))?;
        if !out.status.success() {
            return Err(format!("{mode:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("cpu "))
            .ok_or("no time output")?;
        let secs: f64 = line.split_whitespace().filter_map(|v| v.parse::<f64>().ok()).sum();
        total += Duration::from_secs_f64(secs);
    }
    Ok(total / runs)
}

/// The `crypto-floor` mode: parse the merchant key, sign a request-sized message, verify an
/// answer-sized one (the first signature seeds aws-lc's random generator: its jitter-entropy
/// source is most of this), exit.
pub fn crypto_floor() {
    let rsa = Rsa::new();
    std::hint::black_box(rsa.run(1));
}

/// The `one-request` mode: a client, one POST, exit.
pub fn one_request(base_url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = keys::client(base_url);
        post(&client, &authinfo_request()).await;
    });
}

/// The `profile notify` mode: `n` notifications through the client (or, with `bare`, the bare
/// verify + decrypt).
pub fn profile_notifications(n: u32, bare: bool) {
    let note = Notification::new();
    let client = keys::client("http://127.0.0.1:9");
    if bare {
        note.bare(n);
    } else {
        note.client(&client, n);
    }
}

/// The `profile` mode: `n` POSTs (or, `loopback`, bare round trips) on a current-thread
/// runtime, after 20 to warm up.
pub fn profile(n: u32, loopback: bool) {
    let server = responder::Process::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = keys::client(&server.base_url);
        let bare = Loopback::new(&server.base_url);
        let request = authinfo_request();
        for _ in 0..20 + n {
            if loopback {
                bare.once().await;
            } else {
                post(&client, &request).await;
            }
        }
    });
}
