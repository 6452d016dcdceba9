//! `cargo xtask bench sandbox`: the simulator's CPU per request against its floor, as a
//! merchant's load test drives it. The sandbox runs as merchants run it, `wechatpay sandbox`
//! (the release CLI) in a process of its own, so the CPU read from `/proc/<pid>` is the
//! sandbox's alone; 64 client tasks in this process create native orders and query them
//! (`POST /v3/pay/transactions/native`, `GET /v3/pay/transactions/out-trade-no/{…}`), each
//! answered from the simulator's state.
//!
//! The floor: per request the sandbox must verify the merchant's RSA-2048 signature and sign
//! its answer, measured here with the same library and keys ([`Rsa`]), interleaved with the
//! load in slices (the VM drifts). Every request must be answered with success: one that is
//! not is counted as lost and printed.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wechatpay::v3::pay::models::{Amount, AmountRequired};
use wechatpay::v3::pay::transactions::{native, out_trade_no::by_out_trade_no};

use crate::cases::Rsa;
use crate::{cpu, keys};

/// What one run measured.
pub struct SandboxFigures {
    pub requests: usize,
    pub lost: usize,
    pub first_loss: Option<String>,
    pub per_second: f64,
    pub cpu_per_request: Duration,
    pub rsa_per_request: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl SandboxFigures {
    pub fn ratio(&self) -> f64 {
        self.cpu_per_request.as_secs_f64() / self.rsa_per_request.as_secs_f64()
    }
}

/// `wechatpay sandbox` started from the CLI binary `cli`, stopped when dropped.
struct Running {
    child: Child,
    base_url: String,
    _dir: TempDir,
}

impl Running {
    fn start(cli: &str) -> Running {
        let dir = TempDir::new();
        let mut child = Command::new(cli)
            .args(["sandbox", "--port", "0", "--quiet", "--dir"])
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{cli}: {e}"));
        // It prints its environment, the base URL among it, once it listens.
        let stdout = child.stdout.take().expect("piped");
        let mut base_url = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("the sandbox's output");
            if let Some(url) = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("WECHATPAY_BASE_URL="))
            {
                base_url = Some(url.trim_matches(['"', '\'']).to_owned());
                break;
            }
        }
        let base_url = base_url.expect("the sandbox printed WECHATPAY_BASE_URL");
        Running {
            child,
            base_url,
            _dir: dir,
        }
    }

    /// The sandbox process's CPU so far (all its threads).
    fn cpu(&self) -> Duration {
        cpu::of_process(self.child.id())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("wechatpay-bench-sandbox-{}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn order(out_trade_no: &str) -> native::PostRequest {
    native::PostRequest::new(native::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: out_trade_no.into(),
        amount: Amount::new(AmountRequired { total: 100 }),
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
    })
}

/// Creates and queries `pairs` orders from `tasks` tasks: the latency of each request, the
/// requests that failed (and the first failure).
async fn load(
    client: &wechatpay::Client,
    tasks: usize,
    pairs: usize,
    prefix: &str,
) -> (Vec<Duration>, usize, Option<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let first_loss = Arc::new(Mutex::new(None::<String>));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, next, lost, first_loss) = (client.clone(), next.clone(), lost.clone(), first_loss.clone());
        let prefix = prefix.to_owned();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let failed = |e: wechatpay::Error| {
                lost.fetch_add(1, Ordering::Relaxed);
                first_loss.lock().unwrap().get_or_insert_with(|| e.to_string());
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= pairs {
                    break;
                }
                let out_trade_no = format!("{prefix}-{i}");
                let t = Instant::now();
                let created = client
                    .v3()
                    .pay()
                    .transactions()
                    .native()
                    .post(&order(&out_trade_no))
                    .await;
                latencies.push(t.elapsed());
                if let Err(e) = created {
                    failed(e);
                }
                let t = Instant::now();
                let queried = client
                    .v3()
                    .pay()
                    .transactions()
                    .out_trade_no()
                    .out_trade_no(&out_trade_no)
                    .get(&by_out_trade_no::GetRequest::default())
                    .await;
                latencies.push(t.elapsed());
                if let Err(e) = queried {
                    failed(e);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("a load task"));
    }
    let first = first_loss.lock().unwrap().take();
    (all, lost.load(Ordering::Relaxed), first)
}

/// The run: `tasks` client tasks, `total` requests in ten slices, each followed by its share of
/// the RSA floor.
pub fn run(cli: &str, tasks: usize, total: usize) -> SandboxFigures {
    let sandbox = Running::start(cli);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = rt.block_on(async { keys::client(&sandbox.base_url) });
    let rsa = Rsa::new();
    // Warm up: a connection per task, the sandbox's first answers.
    rt.block_on(load(&client, tasks, tasks * 2, "WARM"));
    let slices = 10;
    let pairs = total / 2 / slices;
    let (mut wall, mut used, mut rsa_used) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut latencies, mut lost, mut first_loss) = (Vec::new(), 0, None);
    for slice in 0..slices {
        let (start_cpu, start) = (sandbox.cpu(), Instant::now());
        let (l, n, first) = rt.block_on(load(&client, tasks, pairs, &format!("B{slice}")));
        wall += start.elapsed();
        used += sandbox.cpu() - start_cpu;
        latencies.extend(l);
        lost += n;
        first_loss = first_loss.or(first);
        // The floor, for as many requests, a quarter of them measured.
        rsa_used += rsa.run((pairs * 2 / 4) as u32) * 4;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let requests = pairs * 2 * slices;
    SandboxFigures {
        requests,
        lost,
        first_loss,
        per_second: requests as f64 / wall.as_secs_f64(),
        cpu_per_request: used / requests as u32,
        rsa_per_request: rsa_used / requests as u32,
        p50: at(0.50),
        p99: at(0.99),
    }
}
