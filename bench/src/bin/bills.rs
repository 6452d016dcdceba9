//! `cargo xtask bench bill` (runs this in release): reading a trade bill of 1,000,000 rows from
//! a gzip stream, typed and checked (`wechatpay::bill::TradeBill`), against the `csv` crate
//! reading the same bytes untyped (byte records, reused: the floor), in the same run,
//! interleaved; and the peak resident set of a process that streams the bill through gzip,
//! gunzip and the reader, at two bill sizes, to show memory does not grow with the bill.
//!
//! Usage: `wechatpay-bench-bills [--quick] [--write FILE]`.

use std::fmt::Write as _;
use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use flate2::read::{GzDecoder, GzEncoder};
use wechatpay::bill::TradeBill;
use wechatpay_sandbox::sim::synthetic::SyntheticTradeBill;

/// `peak ROWS`, in a process of its own: a bill of `ROWS` rows made, gzipped, gunzipped and
/// read as it streams (never in memory whole), then the process's peak resident set (KiB).
fn peak(rows: u64) {
    let gz = GzEncoder::new(SyntheticTradeBill::new(rows), flate2::Compression::fast());
    assert_eq!(read_rows(GzDecoder::new(gz)), rows);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!("{kib}");
}

/// The peak resident set (KiB) of [`peak`] for `rows`, run as a child process.
fn peak_in_child(rows: u64) -> u64 {
    let me = std::env::current_exe().expect("this binary");
    let out = Command::new(me)
        .args(["peak", &rows.to_string()])
        .output()
        .expect("the child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("KiB")
}

fn gzip(rows: u64) -> Vec<u8> {
    let mut gz = Vec::new();
    GzEncoder::new(SyntheticTradeBill::new(rows), flate2::Compression::fast())
        .read_to_end(&mut gz)
        .expect("gzip in memory");
    gz
}

/// The typed rows of the bill `input`, the summary checked: how many.
fn read_rows(input: impl Read) -> u64 {
    let mut bill = TradeBill::new(input).expect("the header");
    let mut rows = 0;
    for row in bill.by_ref() {
        std::hint::black_box(row.expect("a row"));
        rows += 1;
    }
    assert_eq!(bill.summary().map(|s| s.rows), Some(rows));
    rows
}

fn typed(gz: &[u8]) -> u64 {
    read_rows(GzDecoder::new(gz))
}

/// The floor: the same gzip bytes as untyped records.
fn floor(gz: &[u8]) -> u64 {
    csv_rows(GzDecoder::new(gz))
}

/// The floor's reading of the bill `input`: untyped byte records, one reused (no quotes: the
/// bills have none); how many detail rows.
fn csv_rows(input: impl Read) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quoting(false)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut lines = 0;
    while reader.read_byte_record(&mut record).expect("a record") {
        lines += 1;
        std::hint::black_box(&record);
    }
    lines - 3 // the header, the summary's header and values
}

/// Both readers over `input` (as given to them) in `rounds` interleaved rounds: the best time
/// of each.
fn race(input: &[u8], rounds: usize, ours: fn(&[u8]) -> u64, theirs: fn(&[u8]) -> u64) -> (Duration, Duration) {
    let (mut best_ours, mut best_floor) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        let a = theirs(input);
        best_floor = best_floor.min(t.elapsed());
        let t = Instant::now();
        let b = ours(input);
        best_ours = best_ours.min(t.elapsed());
        assert_eq!(a, b, "both read every row");
    }
    (best_ours, best_floor)
}

fn plain_typed(bytes: &[u8]) -> u64 {
    read_rows(bytes)
}

fn plain_floor(bytes: &[u8]) -> u64 {
    csv_rows(bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("peak") {
        return peak(args[1].parse().expect("peak ROWS"));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let write = args.iter().position(|a| a == "--write").and_then(|i| args.get(i + 1));
    let (rows, rounds) = if quick { (100_000, 3) } else { (1_000_000, 5) };

    eprintln!("a trade bill of {rows} rows…");
    let plain = SyntheticTradeBill::bytes(rows);
    let gz = gzip(rows);
    eprintln!(
        "{} MB, {} MB gzipped; {rounds} interleaved rounds…",
        plain.len() >> 20,
        gz.len() >> 20
    );
    let (ours_gz, floor_gz) = race(&gz, rounds, typed, floor);
    let (ours_plain, floor_plain) = race(&plain, rounds, plain_typed, plain_floor);
    drop(plain);
    drop(gz);
    let small = peak_in_child(rows / 10);
    let large = peak_in_child(rows);

    let per_second = |d: Duration| format!("{:.2} M rows/s", rows as f64 / d.as_secs_f64() / 1e6);
    let ratio = |a: Duration, b: Duration| format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64());
    let mut table = String::from("| case | time | rows per second | target | ratio |\n|---|---:|---:|---|---:|\n");
    let mut line = |what: &str, time: Duration, target: &str, ratio: String| {
        let _ = writeln!(
            table,
            "| {what} | {:.0} ms | {} | {target} | {ratio} |",
            time.as_secs_f64() * 1e3,
            per_second(time)
        );
    };
    line("gzip: `csv` byte records (the floor)", floor_gz, "", String::new());
    line(
        "gzip: `TradeBill`, typed and checked",
        ours_gz,
        "≤ 1.5× the floor",
        ratio(ours_gz, floor_gz),
    );
    line("plain: `csv` byte records", floor_plain, "", String::new());
    line("plain: `TradeBill`", ours_plain, "", ratio(ours_plain, floor_plain));
    let _ = writeln!(
        table,
        "\n| peak resident set | {} rows | {rows} rows |\n|---|---:|---:|\n| a process streaming the bill through gzip, gunzip and `TradeBill` | {small} KiB | {large} KiB |",
        rows / 10
    );
    println!("{table}");
    if let Some(path) = write {
        let section = format!(
            "{}\n\nWritten by `cargo xtask bench bill`: a synthetic `ALL` trade bill of {rows} rows (every tenth a\n\
             refund; `wechatpay_sandbox::sim::synthetic`), read from memory, gzipped and not. The floor is\n\
             the `csv` crate reading the same bytes as untyped byte records; `TradeBill` makes typed rows\n\
             (each keeping its line once, amounts as integers) and checks the summary. Best of {rounds} interleaved rounds each.\n\
             The peak resident set is a process's that makes the bill, gzips it, gunzips it and reads it as it\n\
             streams, at a tenth of the rows and at all of them: the same when memory does not grow with the bill.\n\n{table}",
            wechatpay_bench::BILLS_SECTION
        );
        wechatpay_bench::write_section(path, wechatpay_bench::BILLS_SECTION, &section);
        eprintln!("written to {path}");
    }
}
