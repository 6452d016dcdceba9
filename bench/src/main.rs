//! `cargo xtask bench client` (runs this in release): the client's CPU per request against its
//! floors, measured in one run, printed as one table and written to `BENCHMARKS.md`.
//!
//! - **Floors**: RSA-2048 PKCS#1 v1.5 SHA-256 sign + verify with the client's keys and library;
//!   a bare `reqwest` loopback round trip of a pre-built request to the same responder.
//! - **Sequential client**: the typed `POST /v3/offlineface/authinfo` and the typed
//!   `GET /v3/pay/transactions/id/{transaction_id}?mchid=…`, the full path (build, serialise,
//!   sign, send, receive, verify, decode), on a current-thread and on a multi-thread runtime.
//! - **Concurrency**: one cloned client, 64 tasks, 5,000 requests.
//! - **Notifications**: verify + envelope + decrypt + typed resource, against bare verify + AES-GCM.
//! - **A large answer**: a page of 100 transactions with promotion details (about 1 MB) decoded as
//!   the generated type, against `#[derive(Deserialize)]` structs of the same shape (`decode.rs`).
//! - **Start-up**: the CPU of a process that makes one request.
//! - **Memory**: the resident set after 2,000 and after 12,000 requests.
//! - **Instructions** (full run, when `valgrind` is installed): the client's own work over
//!   each floor, counted by callgrind, which is repeatable where CPU time on this VM is not.
//!
//! The responder runs in a process of its own (this binary, `responder`), so the process CPU
//! measured is the client's alone. Benchmarks report; they never fail.
//!
//! `cargo xtask bench sandbox` runs `wechatpay-bench sandbox CLI`: see `sandbox.rs`.
//!
//! Usage: `wechatpay-bench [run] [--write FILE] [--quick]`, `wechatpay-bench responder`,
//! `wechatpay-bench one-request URL`, `wechatpay-bench profile N [post | get | loopback | rsa | notify [bare | derive]] [mt]` (for a profiler).

mod cases;
mod cpu;
mod decode;
mod keys;
mod responder;
mod sandbox;

use std::fmt::Write as _;
use std::time::Duration;

struct Row {
    what: String,
    value: String,
    target: String,
    ratio: String,
}

fn row(what: &str, value: String, target: &str, ratio: Option<f64>) -> Row {
    Row {
        what: what.into(),
        value,
        target: target.into(),
        ratio: ratio.map_or(String::new(), |r| format!("{r:.2}x")),
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> Option<f64> {
    (b > Duration::ZERO).then(|| a.as_secs_f64() / b.as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("responder") => responder::run(),
        Some("one-request") => cases::one_request(args.get(1).expect("one-request URL")),
        Some("crypto-floor") => cases::crypto_floor(),
        // `wechatpay-bench decode`: the large-answer case alone.
        Some("decode") => {
            let page = decode::page();
            let (generated, derived) = decode::race(&page, 30);
            println!(
                "{} KB: generated {} , derive {} , {:.2}x",
                page.len() >> 10,
                ms(generated),
                ms(derived),
                generated.as_secs_f64() / derived.as_secs_f64()
            );
        }
        // `wechatpay-bench sandbox CLI [--quick] [--write FILE]`: the sandbox run by the CLI binary.
        Some("sandbox") => run_sandbox(
            args.get(1).expect("sandbox CLI-BINARY"),
            args.iter().any(|a| a == "--quick"),
            option(&args, "--write").as_deref(),
        ),
        // For a profiler (`valgrind --tool=callgrind wechatpay-bench profile N`): N POSTs on a
        // current-thread runtime against a responder of its own.
        Some("profile") if args.iter().any(|a| a == "notify") => cases::profile_notifications(
            args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200),
            args.iter().find_map(|a| match a.as_str() {
                "bare" => Some(cases::NotifyFloor::Bare),
                "derive" => Some(cases::NotifyFloor::Derive),
                _ => None,
            }),
        ),
        Some("profile") => cases::profile(
            args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200),
            match args.get(2).map(String::as_str) {
                Some("loopback") => cases::Profiled::Loopback,
                Some("get") => cases::Profiled::Get,
                Some("rsa") => cases::Profiled::Rsa,
                _ => cases::Profiled::Post,
            },
            args.iter().any(|a| a == "mt"),
        ),
        _ => {
            let write = option(&args, "--write");
            let quick = args.iter().any(|a| a == "--quick");
            run(write.as_deref(), quick);
        }
    }
}

/// The value after `name` in `args`.
fn option(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

use wechatpay_bench::{write_section, BILLS_SECTION, SANDBOX_SECTION};

fn run_sandbox(cli: &str, quick: bool, write: Option<&str>) {
    let (tasks, total) = if quick { (64, 2_000) } else { (64, 20_000) };
    eprintln!("the sandbox ({cli}): {tasks} tasks, {total} requests…");
    let f = sandbox::run(cli, tasks, total);
    let rows = vec![
        row("RSA-2048 verify + sign (the floor)", us(f.rsa_per_request), "", None),
        row(
            &format!("{tasks} tasks: sandbox CPU per request"),
            us(f.cpu_per_request),
            "≤ 1.25× the floor",
            Some(f.ratio()),
        ),
        row(
            &format!("{tasks} tasks: requests per second"),
            format!("{:.0}", f.per_second),
            "",
            None,
        ),
        row(
            &format!("{tasks} tasks: latency p50 / p99"),
            format!("{} / {}", ms(f.p50), ms(f.p99)),
            "",
            None,
        ),
        row(
            "requests lost (not answered with success)",
            format!("{} of {}", f.lost, f.requests),
            "0",
            None,
        ),
    ];
    let table = render(&rows);
    println!("{table}");
    if let Some(loss) = &f.first_loss {
        eprintln!("first request lost: {loss}");
    }
    if let Some(path) = write {
        let section = format!(
            "{SANDBOX_SECTION}\n\nWritten by `cargo xtask bench sandbox`: `wechatpay sandbox` (the release CLI, in a process\n\
             of its own) answering {tasks} client tasks that create native orders and query them, each from the\n\
             simulator's state. The sandbox process's CPU per request against what it cannot avoid (verify the\n\
             merchant's RSA-2048 signature, sign the answer), measured in the same run, interleaved in ten slices.\n\n{table}"
        );
        write_section(path, SANDBOX_SECTION, &section);
        eprintln!("written to {path}");
    }
}

fn run(write: Option<&str>, quick: bool) {
    let (rounds, n) = if quick { (8, 40) } else { (60, 40) };
    let server = responder::Process::start();
    let url = server.base_url.as_str();
    let mut rows = Vec::new();
    eprintln!("sequential, current-thread runtime ({rounds} rounds of {n})…");
    let ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let s = cases::sequential(&ct, url, rounds, n, false);
    let floor_ct = s.rsa + s.loopback;
    rows.push(row("RSA-2048 sign + verify (the RSA floor)", us(s.rsa), "", None));
    rows.push(row(
        "bare loopback round trip, current-thread",
        us(s.loopback),
        "",
        None,
    ));
    rows.push(row(
        "  RSA + loopback in one loop, current-thread",
        us(s.together),
        "",
        Some(s.together_ratio),
    ));
    rows.push(row(
        "POST authinfo, current-thread",
        us(s.post),
        "≤ 1.10× RSA + loopback",
        Some(s.post_ratio),
    ));
    rows.push(row(
        "GET transaction (path + query), current-thread",
        us(s.get),
        "≤ 1.10× RSA + loopback",
        Some(s.get_ratio),
    ));
    rows.push(row(
        "  client CPU over the floor, POST / GET",
        format!(
            "{} / {}",
            us(s.post.saturating_sub(floor_ct)),
            us(s.get.saturating_sub(floor_ct))
        ),
        "",
        None,
    ));
    drop(ct);

    eprintln!("sequential, multi-thread runtime…");
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let m = cases::sequential(&mt, url, rounds, n, true);
    rows.push(row("bare loopback round trip, multi-thread", us(m.loopback), "", None));
    rows.push(row(
        "  RSA + loopback in one loop, multi-thread",
        us(m.together),
        "",
        Some(m.together_ratio),
    ));
    rows.push(row(
        "POST authinfo, multi-thread",
        us(m.post),
        "≤ 1.15× RSA + loopback",
        Some(m.post_ratio),
    ));
    rows.push(row(
        "GET transaction, multi-thread",
        us(m.get),
        "≤ 1.15× RSA + loopback",
        Some(m.get_ratio),
    ));

    let (tasks, total) = if quick { (64, 1_000) } else { (64, 5_000) };
    eprintln!("concurrency: {tasks} tasks, {total} requests…");
    let c = cases::concurrency(&mt, url, tasks, total);
    rows.push(row(
        &format!("{tasks} tasks: client CPU per request"),
        us(c.cpu_per_request),
        "≤ 1.05× RSA",
        Some(c.rsa_ratio),
    ));
    rows.push(row(
        &format!("  {tasks} tasks: RSA sign + verify"),
        us(c.rsa_per_request),
        "",
        None,
    ));
    rows.push(row(
        &format!("  {tasks} tasks: bare loopback round trip"),
        us(c.loopback_per_request),
        "",
        None,
    ));
    rows.push(row(
        &format!("  {tasks} tasks: client against RSA + that loopback"),
        us(c.cpu_per_request),
        "",
        Some(c.floor_ratio),
    ));
    rows.push(row(
        &format!("{tasks} tasks: requests per second"),
        format!("{:.0}", c.per_second),
        "",
        None,
    ));
    rows.push(row(
        &format!("{tasks} tasks: latency p50 / p99"),
        format!("{} / {}", ms(c.p50), ms(c.p99)),
        "",
        None,
    ));
    drop(mt);

    eprintln!("notifications…");
    let note = cases::Notification::new();
    let client = keys::client(url);
    let (mut with, mut bare, mut derive) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    note.client(&client, 50);
    for _ in 0..rounds {
        with += note.client(&client, n);
        bare += note.bare(n);
        derive += note.bare_and_derive(n);
    }
    let (with, bare, derive) = (with / (rounds * n), bare / (rounds * n), derive / (rounds * n));
    rows.push(row(
        "notification: verify + decrypt + typed resource",
        us(with),
        "≤ 1.10× bare",
        ratio(with, bare),
    ));
    rows.push(row("  bare verify + AES-256-GCM decrypt", us(bare), "", None));
    rows.push(row(
        "  bare + envelope and transaction decoded by `#[derive(Deserialize)]` (the JSON's own cost)",
        us(derive),
        "",
        ratio(with, derive),
    ));

    eprintln!("a large answer…");
    let page = decode::page();
    let (generated, derived) = decode::race(&page, if quick { 10 } else { 40 });
    rows.push(row(
        &format!("decode a page of 100 transactions ({} KB)", page.len() >> 10),
        ms(generated),
        "≤ 1.15× derive",
        ratio(generated, derived),
    ));
    rows.push(row(
        "  the same as `#[derive(Deserialize)]` structs",
        ms(derived),
        "",
        None,
    ));

    eprintln!("start-up…");
    let runs = if quick { 4 } else { 20 };
    let (mut one, mut floor) = (Duration::ZERO, Duration::ZERO);
    let mut failed = None;
    // Alternating halves, as everywhere else.
    for _ in 0..2 {
        match (
            cases::startup(&["one-request", url], runs / 2),
            cases::startup(&["crypto-floor"], runs / 2),
        ) {
            (Ok(a), Ok(b)) => {
                one += a / 2;
                floor += b / 2;
            }
            (Err(e), _) | (_, Err(e)) => failed = Some(e),
        }
    }
    match failed {
        None => {
            rows.push(row("process making one request: CPU", ms(one), "", None));
            rows.push(row(
                "  process that parses the key, signs and verifies once (the crypto floor)",
                ms(floor),
                "",
                None,
            ));
            rows.push(row(
                "  one request over the crypto floor",
                ms(one.saturating_sub(floor)),
                "≤ 15 ms",
                None,
            ));
        }
        Some(e) => rows.push(row(
            "process making one request",
            format!("not measured: {e}"),
            "",
            None,
        )),
    }

    eprintln!("memory…");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (after_2k, after_12k) = rt.block_on(async {
        let client = keys::client(url);
        let request = cases::authinfo_request();
        for _ in 0..2_000 {
            cases::post(&client, &request).await;
        }
        let a = cpu::rss_kib();
        for _ in 0..if quick { 2_000 } else { 10_000 } {
            cases::post(&client, &request).await;
        }
        (a, cpu::rss_kib())
    });
    rows.push(row(
        "resident set after 2,000 / 12,000 requests",
        format!("{:.1} / {:.1} MiB", after_2k as f64 / 1024.0, after_12k as f64 / 1024.0),
        "independent of the count",
        Some(after_12k as f64 / after_2k.max(1) as f64),
    ));

    let (model, cores) = cpu::machine();
    let mut table = render(&rows);
    if !quick {
        eprintln!("instructions (callgrind)…");
        match instruction_rows() {
            Some(rows) => {
                table.push_str(
                    "\nThe client's own work, in instructions per operation counted by callgrind (`valgrind\n\
                     --tool=callgrind`, repeatable to a fraction of a percent where CPU time on this VM is not): each\n\
                     case run for 50 and 250 operations, the difference over 200, minus its floor's count. No ratios:\n\
                     under valgrind aws-lc takes its AVX2 RSA code, natively (AVX-512 IFMA here) another, so RSA's\n\
                     count says nothing of its native cost; the client's own code runs the same either way.\n\n",
                );
                table.push_str(&render(&rows));
            }
            None => eprintln!("valgrind not found or failed: no instruction counts"),
        }
    }
    println!("{table}");
    if let Some(path) = write {
        let mut doc = String::new();
        let _ = writeln!(doc, "# Benchmarks\n");
        let _ = writeln!(
            doc,
            "Written by `cargo xtask bench client` (release build; `--quick` for a short run). Client CPU per\n\
             request, measured in one run against its floors, interleaved in batches of 40 of each (this VM\n\
             drifts ±30%, RSA's cost by ±20% within seconds, so only ratios from the same run mean anything). The responder is a separate process\n\
             answering pre-signed responses; the CPU counted is the client process's. Benchmarks report; they\n\
             never fail CI.\n"
        );
        let _ = writeln!(doc, "Machine: {cores} cores, {model}.\n");
        doc.push_str(&table);
        // The sections after the client's (the sandbox's, the bills'), written by their own
        // benchmarks, are kept.
        if let Some(at) = std::fs::read_to_string(path).ok().and_then(|old| {
            let at = [SANDBOX_SECTION, BILLS_SECTION]
                .iter()
                .filter_map(|h| old.find(h))
                .min()?;
            Some(old[at..].to_owned())
        }) {
            doc.push('\n');
            doc.push_str(&at);
        }
        let _ = std::fs::write(path, doc).map_err(|e| eprintln!("{path}: {e}"));
        eprintln!("written to {path}");
    }
}

/// The instruction counts of the sequential cases and of notifications, against their floors.
fn instruction_rows() -> Option<Vec<Row>> {
    let count = |mode: &[&str]| cases::instructions(mode, 50, 250);
    let thousands = |x: f64| format!("{:.1} k", x / 1000.0);
    let (rsa, loopback) = (count(&["rsa"])?, count(&["loopback"])?);
    let (post, get) = (count(&["post"])?, count(&["get"])?);
    let (notify, bare) = (count(&["notify"])?, count(&["notify", "bare"])?);
    let derive = count(&["notify", "derive"])?;
    let floor = rsa + loopback;
    Some(vec![
        row("bare loopback round trip (client side)", thousands(loopback), "", None),
        row("POST authinfo, over RSA + loopback", thousands(post - floor), "", None),
        row(
            "GET transaction (path + query), over RSA + loopback",
            thousands(get - floor),
            "",
            None,
        ),
        row(
            "notification, over bare verify + AES-256-GCM",
            thousands(notify - bare),
            "",
            None,
        ),
        row(
            "  of which the JSON's own cost (envelope and transaction decoded by `#[derive(Deserialize)]`)",
            thousands(derive - bare),
            "",
            None,
        ),
        row(
            "RSA-2048 sign + verify (not the native count: see above)",
            thousands(rsa),
            "",
            None,
        ),
    ])
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from("| what | measured | target | ratio |\n|---|---:|---|---:|\n");
    for r in rows {
        let _ = writeln!(out, "| {} | {} | {} | {} |", r.what, r.value, r.target, r.ratio);
    }
    out
}
