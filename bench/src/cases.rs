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

/// CPU per operation of each thing measured in one series of rounds, the mean over the rounds.
/// A round is short (a batch of `n` of each, under 100 ms in all), so that the
/// machine's drift, which is slower, falls on the client and its floors alike.
pub struct Sequential {
    pub rsa: Duration,
    pub loopback: Duration,
    /// RSA and the loopback round trip in the same loop, one of each per iteration: the floor
    /// with the cache and branch-predictor traffic of a request that does both.
    pub together: Duration,
    pub post: Duration,
    pub get: Duration,
    /// Each against RSA + loopback of its own round.
    pub together_ratio: f64,
    pub post_ratio: f64,
    pub get_ratio: f64,
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
        let start = cpu::thread();
        for _ in 0..n {
            self.once();
        }
        cpu::thread() - start
    }

    /// One signature (base64-encoded, as it goes in the header) and one verification.
    pub fn once(&self) {
        let mut out = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &self.request, &mut out)
            .expect("sign");
        std::hint::black_box(b64().encode(&out));
        self.public.verify_sig(&self.answer, &self.signature).expect("verify");
    }
}

/// A realistic `POST /v3/offlineface/authinfo` request.
pub fn authinfo_request() -> authinfo::PostRequest {
    authinfo::PostRequest::new(authinfo::PostRequestRequired {
        sp_appid: "wxd678efh567hg6787".into(),
        sub_mchid: "1900000109".into(),
        device_id: "013467007045764".into(),
        raw_data: "MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6".into(),
        organization_id: "1234567".into(),
    })
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
    let get_req =
        std::sync::Arc::new(by_transaction_id::GetRequest::default().with(|r| r.mchid = Some(keys::MCHID.into())));
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
    let rsa = std::sync::Arc::new(rsa);
    let mut each: Vec<[Duration; 5]> = Vec::new();
    for _ in 0..rounds {
        let mut total = [Duration::ZERO; 5];
        // A current-thread runtime runs everything on this thread; a multi-thread one on its
        // workers (the process's CPU, which costs more to read).
        let clock = if spawn { cpu::process } else { cpu::thread };
        let measure = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
            let start = clock();
            run_on(rt, spawn, f);
            clock() - start
        };
        let r = rsa.clone();
        total[0] = measure(Box::pin(async move {
            for _ in 0..n / 2 {
                r.once();
            }
        })) / (n / 2);
        let (l, c, p, g) = (loopback.clone(), client.clone(), post_req.clone(), get_req.clone());
        total[1] = measure(Box::pin(async move {
            for _ in 0..n {
                l.once().await;
            }
        })) / n;
        let (c2, p2) = (c.clone(), p.clone());
        total[2] = measure(Box::pin(async move {
            for _ in 0..n {
                post(&c2, &p2).await;
            }
        })) / n;
        total[3] = measure(Box::pin(async move {
            for _ in 0..n {
                get(&c, &g).await;
            }
        })) / n;
        let (r, l) = (rsa.clone(), loopback.clone());
        total[4] = measure(Box::pin(async move {
            for _ in 0..n {
                r.once();
                l.once().await;
            }
        })) / n;
        each.push(total);
    }
    let column = |i: usize| each.iter().map(|t| t[i]).sum::<Duration>() / rounds;
    let ratio = |i: usize| column(i).as_secs_f64() / (column(0) + column(1)).as_secs_f64();
    Sequential {
        rsa: column(0),
        loopback: column(1),
        post: column(2),
        get: column(3),
        together: column(4),
        together_ratio: ratio(4),
        post_ratio: ratio(2),
        get_ratio: ratio(3),
    }
}

fn run_on(rt: &tokio::runtime::Runtime, spawn: bool, f: impl std::future::Future<Output = ()> + Send + 'static) {
    if spawn {
        rt.block_on(rt.spawn(f)).expect("the task");
    } else {
        rt.block_on(f);
    }
}

/// The concurrency run: one client cloned into `tasks` tasks, `total` POSTs in all, in slices
/// that alternate with the floors run by the same tasks on the same runtime (the bare loopback
/// round trip, and RSA sign + verify).
pub struct Concurrency {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_per_request: Duration,
    /// The bare loopback round trip under the same concurrency.
    pub loopback_per_request: Duration,
    /// RSA sign + verify under the same concurrency.
    pub rsa_per_request: Duration,
    /// The client against RSA, and against RSA + loopback.
    pub rsa_ratio: f64,
    pub floor_ratio: f64,
}

/// What the tasks of the concurrency run do.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    Client,
    Loopback,
    Rsa,
}

pub fn concurrency(rt: &tokio::runtime::Runtime, base_url: &str, tasks: usize, total: usize) -> Concurrency {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let client = Arc::new(rt.block_on(async { keys::client(base_url) }));
    let loopback = Arc::new(rt.block_on(async { Loopback::new(base_url) }));
    let rsa = Arc::new(Rsa::new());
    let request = Arc::new(authinfo_request());
    // `count` units of `work` from `tasks` tasks; the latencies of each.
    let run = |count: usize, work: Work| {
        let (client, loopback, rsa, request) = (client.clone(), loopback.clone(), rsa.clone(), request.clone());
        rt.block_on(async move {
            let next = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..tasks {
                let (client, loopback, rsa, request, next) = (
                    client.clone(),
                    loopback.clone(),
                    rsa.clone(),
                    request.clone(),
                    next.clone(),
                );
                handles.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < count {
                        let t = Instant::now();
                        match work {
                            Work::Client => post(&client, &request).await,
                            Work::Loopback => loopback.once().await,
                            Work::Rsa => {
                                rsa.once();
                                // Let the other tasks in, as a request's await points do.
                                tokio::task::yield_now().await;
                            }
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
    run(tasks * 4, Work::Client);
    run(tasks * 4, Work::Loopback);
    let slices = 10;
    let per_slice = total / slices;
    let (mut wall, mut used, mut bare_used, mut rsa_used) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut latencies = Vec::new();
    for _ in 0..slices {
        let (start_cpu, start) = (cpu::process(), Instant::now());
        latencies.extend(run(per_slice, Work::Client));
        wall += start.elapsed();
        let client = cpu::process() - start_cpu;
        let start_cpu = cpu::process();
        run(per_slice, Work::Loopback);
        let bare = cpu::process() - start_cpu;
        let start_cpu = cpu::process();
        run(per_slice / 4, Work::Rsa);
        let rsa = (cpu::process() - start_cpu) * 4;
        used += client;
        bare_used += bare;
        rsa_used += rsa;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let n = (per_slice * slices) as u32;
    Concurrency {
        per_second: f64::from(n) / wall.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        cpu_per_request: used / n,
        loopback_per_request: bare_used / n,
        rsa_per_request: rsa_used / n,
        rsa_ratio: used.as_secs_f64() / rsa_used.as_secs_f64(),
        floor_ratio: used.as_secs_f64() / (rsa_used + bare_used).as_secs_f64(),
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
        self.floor(n, |_| {})
    }

    /// The second floor: the bare floor, with the envelope and the decrypted transaction also
    /// decoded, as `#[derive(Deserialize)]` structs of their shapes.
    pub fn bare_and_derive(&self, n: u32) -> Duration {
        self.floor(n, |plain| {
            crate::decode::envelope_by_derive(&self.body);
            crate::decode::transaction_by_derive(plain);
        })
    }

    /// `n` verifications and decryptions, each plaintext handed to `then`.
    fn floor(&self, n: u32, then: impl Fn(&[u8])) -> Duration {
        let start = cpu::thread();
        for _ in 0..n {
            self.public.verify_sig(&self.message, &self.signature).expect("verify");
            let mut data = b64().decode(&self.ciphertext).expect("base64");
            let nonce = Nonce::try_assume_unique_for_key(GCM_NONCE.as_bytes()).expect("nonce");
            let plain = self
                .key
                .open_in_place(nonce, Aad::from(b"transaction"), &mut data)
                .expect("open");
            then(plain);
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

/// The floors of the `profile notify` mode.
pub enum NotifyFloor {
    /// Bare verify + decrypt.
    Bare,
    /// Bare verify + decrypt, the envelope and the transaction decoded by derived structs.
    Derive,
}

/// The `profile notify` mode: `n` notifications through the client (or through one of its
/// floors).
pub fn profile_notifications(n: u32, floor: Option<NotifyFloor>) {
    let note = Notification::new();
    let client = keys::client("http://127.0.0.1:9");
    match floor {
        Some(NotifyFloor::Bare) => note.bare(n),
        Some(NotifyFloor::Derive) => note.bare_and_derive(n),
        None => note.client(&client, n),
    };
}

/// The `profile` mode: `n` POSTs (or GETs, bare round trips, RSA sign + verify) on a
/// current-thread runtime (or, `multi_thread`, as a task of a two-worker one), after 20 to warm up.
pub fn profile(n: u32, what: Profiled, multi_thread: bool) {
    let server = responder::Process::start();
    let rt = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    }
    .expect("runtime");
    let base_url = server.base_url.clone();
    let task = async move {
        let client = keys::client(&base_url);
        let bare = Loopback::new(&base_url);
        let request = authinfo_request();
        let get_request = by_transaction_id::GetRequest::default().with(|r| r.mchid = Some(keys::MCHID.into()));
        let rsa = Rsa::new();
        for _ in 0..20 + n {
            match what {
                Profiled::Rsa => rsa.once(),
                Profiled::Loopback => bare.once().await,
                Profiled::Post => post(&client, &request).await,
                Profiled::Get => get(&client, &get_request).await,
            }
        }
    };
    if multi_thread {
        rt.block_on(rt.spawn(task)).expect("the task");
    } else {
        rt.block_on(task);
    }
}

/// What the `profile` mode runs.
#[derive(Clone, Copy)]
pub enum Profiled {
    Post,
    Get,
    Loopback,
    Rsa,
}

/// Instructions per operation of each case, counted by callgrind (repeatable to a fraction of a
/// percent here, where CPU time drifts ±30%): this binary's `profile` mode run under
/// `valgrind --tool=callgrind` for `few` and `many` operations, the difference divided by
/// `many - few` (so start-up and warm-up drop out). `None` when valgrind cannot be run.
pub fn instructions(mode: &[&str], few: u32, many: u32) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let count = |n: u32| -> Option<u64> {
        let out = std::process::Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&exe)
            .args(["profile", &n.to_string()])
            .args(mode)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr.lines().find(|l| l.contains("Collected :"))?;
        line.rsplit(':').next()?.trim().parse().ok()
    };
    let (a, b) = (count(few)?, count(many)?);
    Some((b.saturating_sub(a)) as f64 / f64::from(many - few))
}
