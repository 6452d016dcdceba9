//! CPU time and memory, read from `/proc` (Linux): no sampling, no unsafe code.

use std::time::Duration;

/// The CPU time of the calling thread (user + system), in nanoseconds of
/// `/proc/thread-self/schedstat`.
///
/// The kernel adds a running thread's time to that counter only at scheduler events (a tick,
/// 4 ms here): read bare, a loop of 4 ms measured 4 ms whatever it did. A `sched_yield` first
/// (`yield_now`) brings the caller's counter up to date.
pub fn thread() -> Duration {
    std::thread::yield_now();
    schedstat("/proc/thread-self/schedstat")
}

/// The CPU time of this process so far: the sum over its live threads (the runtimes measured
/// keep theirs alive while they run).
pub fn process() -> Duration {
    // Up to date for the caller (see `thread`); the runtime's other threads are parked when this
    // is read, and a parked thread's counter is current.
    std::thread::yield_now();
    let mut total = Duration::ZERO;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            total += schedstat(&format!("{}/schedstat", t.path().display()));
        }
    }
    total
}

/// The CPU time of another process so far (the sum over its threads), read from
/// `/proc/<pid>/task/*/schedstat`. Its running threads' counters may lag by one tick (4 ms),
/// nothing over a slice of thousands of requests.
pub fn of_process(pid: u32) -> Duration {
    let mut total = Duration::ZERO;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            total += schedstat(&format!("{}/schedstat", t.path().display()));
        }
    }
    total
}

fn schedstat(path: &str) -> Duration {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// The resident set size of this process, in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The CPU model and the number of cores, for the report.
pub fn machine() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    (model, std::thread::available_parallelism().map_or(1, |n| n.get()))
}
