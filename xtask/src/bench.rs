//! `cargo xtask bench`: benchmarks that print numbers (never tests that fail on timing).
//!
//! - `generate`: the whole pipeline (load + validate + emit + format, in memory) over a spec
//!   folder, against the bare cost of parsing the same YAML files with serde_yaml. Runs in release.
//! - `build`: cold builds of the client crate in a fresh target folder: with `full`, with one
//!   group (`pay`) and with no group (the runtime alone), with wall time and peak memory.
//! - `client`: the client's CPU per request against its floors (the crate `wechatpay-bench`,
//!   run in release); writes `BENCHMARKS.md`. `--quick` for a short run.
//!
//! `cargo xtask bench` alone runs the quick ones: `generate` and `client --quick`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wechatpay_codegen::{generate, Options};

pub fn run(args: &[String]) -> Result<(), String> {
    let root = super::workspace_root();
    let mut what = "quick";
    let mut quick = false;
    let mut spec = root.join("spec");
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "generate" | "build" | "client" | "sandbox" | "bill" | "generate-inner" => what = a.as_str(),
            "--quick" => quick = true,
            "--spec" => spec = it.next().map(PathBuf::from).ok_or("--spec needs a folder")?,
            "--only" => only = Some(it.next().ok_or("--only needs one of: none, pay, full")?.clone()),
            _ => return Err(super::USAGE.to_string()),
        }
    }
    match what {
        // Re-run in release: generation speed in debug says little.
        "generate" => {
            let status = Command::new(env!("CARGO"))
                .args([
                    "run",
                    "--release",
                    "--quiet",
                    "-p",
                    "xtask",
                    "--",
                    "bench",
                    "generate-inner",
                    "--spec",
                ])
                .arg(&spec)
                .current_dir(&root)
                .status()
                .map_err(|e| format!("cargo: {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err("the release benchmark failed".into())
            }
        }
        "generate-inner" => bench_generate(&spec),
        "client" => bench_client(&root, quick),
        "sandbox" => bench_sandbox(&root, quick),
        "bill" => bench_bill(&root, quick),
        "quick" => {
            run(&["generate".to_string(), "--spec".to_string(), spec.display().to_string()])?;
            bench_client(&root, true)
        }
        _ => bench_build(&root, only.as_deref()),
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn bench_generate(spec: &Path) -> Result<(), String> {
    let files = wechatpay_codegen::load::files_with_extension(spec, "yaml").map_err(|e| e.to_string())?;
    let runs = 7;
    // Bare parse: read every file and parse it into serde_yaml::Value.
    let mut parse = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let v: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            std::hint::black_box(v);
        }
        parse.push(t.elapsed());
    }
    // The whole generator, in memory.
    let options = Options {
        features: true,
        ..Options::default()
    };
    let mut gen = Vec::new();
    let mut out_files = 0;
    let mut out_bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = generate(spec, &options).map_err(|e| e.to_string())?;
        gen.push(t.elapsed());
        out_files = out.files.len();
        out_bytes = out.files.values().map(String::len).sum::<usize>();
        std::hint::black_box(out);
    }
    // Stages, once.
    let t = Instant::now();
    let loaded = wechatpay_codegen::load::load_dir(spec).map_err(|e| e.to_string())?;
    let t_load = t.elapsed();
    let t = Instant::now();
    let api = wechatpay_codegen::ir::build(&loaded).map_err(|e| e.to_string())?;
    let t_ir = t.elapsed();
    let t = Instant::now();
    let aliases = wechatpay_codegen::share::Aliases::find(&api).map_err(|e| e.to_string())?;
    let t_share = t.elapsed();
    let t = Instant::now();
    let _ = wechatpay_codegen::emit::emit(&api, &options).map_err(|e| e.to_string())?;
    let t_emit = t.elapsed();
    println!(
        "stages: load+parse {:.0} ms, validate+IR {:.0} ms, emit+format {:.0} ms (of which finding {} repeated shapes {:.0} ms)",
        t_load.as_secs_f64() * 1e3,
        t_ir.as_secs_f64() * 1e3,
        t_emit.as_secs_f64() * 1e3,
        aliases.len(),
        t_share.as_secs_f64() * 1e3
    );
    let [tokens, syn_parse, pretty] =
        wechatpay_codegen::emit::profile_groups(&api, &options).map_err(|e| e.to_string())?;
    println!(
        "group files on one thread: tokens {:.0} ms, syn parse {:.0} ms, prettyplease {:.0} ms",
        tokens.as_secs_f64() * 1e3,
        syn_parse.as_secs_f64() * 1e3,
        pretty.as_secs_f64() * 1e3
    );
    let (p, g) = (median(parse), median(gen));
    let ops = count_ops(&files);
    println!("spec: {} ({} files, {ops} operations)", spec.display(), files.len());
    println!(
        "bare serde_yaml parse:  {:8.1} ms (median of {runs})",
        p.as_secs_f64() * 1e3
    );
    println!(
        "whole generation:       {:8.1} ms (median of {runs}; {out_files} files, {:.1} MB of Rust)",
        g.as_secs_f64() * 1e3,
        out_bytes as f64 / 1e6
    );
    println!("generation / parse:     {:8.2}x", g.as_secs_f64() / p.as_secs_f64());
    Ok(())
}

fn count_ops(files: &[PathBuf]) -> usize {
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|t| {
            t.lines()
                .filter(|l| matches!(*l, "get:" | "post:" | "put:" | "patch:" | "delete:"))
                .count()
        })
        .sum()
}

/// A project of a user's, outside this workspace, depending on the client by path: the build
/// sees none of this workspace's profile settings (opt-level for the generator's syn, no
/// debuginfo for dependencies), only cargo's defaults, as a user's project would. The lock file
/// is this workspace's, so the versions are the ones CI tests.
fn user_project(root: &Path, dir: &Path, features: &[&str]) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let features = features.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ");
    let manifest = format!(
        "[package]\nname = \"bench-user\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nwechatpay = {{ package = \"wechatpay-client\", path = {:?}, default-features = false, features = [{features}] }}\n\n[workspace]\n",
        root.join("generated").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/lib.rs"), "pub use wechatpay;\n").map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(())
}

/// `cargo build` of the user project, under `/usr/bin/time -v` when `timed` (for the peak
/// memory); `CARGO_INCREMENTAL=0` as for a dependency from crates.io.
fn user_build(dir: &Path, timed: bool) -> Command {
    let mut cmd = if timed {
        let mut time = Command::new("/usr/bin/time");
        time.arg("-v").arg(env!("CARGO"));
        time
    } else {
        Command::new(env!("CARGO"))
    };
    cmd.args(["build", "--quiet"])
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .current_dir(dir);
    cmd
}

/// One cold build in a fresh user project; returns (wall time, peak RSS in MB) from /usr/bin/time.
fn cold_build(root: &Path, dir: &Path, features: &[&str]) -> Result<(Duration, u64), String> {
    user_project(root, dir, features)?;
    let t = Instant::now();
    let out = user_build(dir, true)
        .output()
        .map_err(|e| format!("/usr/bin/time: {e} (install the `time` package)"))?;
    let wall = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("build failed:\n{stderr}"));
    }
    let peak_kb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok((wall, peak_kb / 1024))
}

/// Rebuild only the client crate (dependencies already built): touch its lib.rs and build again.
fn crate_only_build(root: &Path, dir: &Path) -> Result<Duration, String> {
    let lib = root.join("generated/src/lib.rs");
    let text = std::fs::read(&lib).map_err(|e| e.to_string())?;
    std::fs::write(&lib, &text).map_err(|e| e.to_string())?; // new mtime, same content
    let t = Instant::now();
    let status = user_build(dir, false).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("build failed".into());
    }
    Ok(t.elapsed())
}

fn bench_build(root: &Path, only: Option<&str>) -> Result<(), String> {
    let target = root.join("target/bench-build");
    println!(
        "cold `cargo build` (dev profile, cargo's defaults) of a new project depending on the client, {} cores:",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let cases: [(&str, &str, &[&str]); 4] = [
        ("none", "runtime only", &[]),
        ("pay", "one group (pay)", &["pay"]),
        ("full", "full", &["full"]),
        ("v2", "APIv2 (v2)", &["v2"]),
    ];
    let mut crate_only = Vec::new();
    for (key, name, features) in cases {
        if only.is_some_and(|o| o != key) {
            continue;
        }
        let (wall, mb) = cold_build(root, &target, features)?;
        let again = crate_only_build(root, &target)?;
        println!(
            "  {name:18} cold {:7.1} s, peak {mb:5} MB; the client crate alone {:6.1} s",
            wall.as_secs_f64(),
            again.as_secs_f64()
        );
        crate_only.push((wall, again));
    }
    if let [none, pay, ..] = crate_only[..] {
        println!(
            "  one group / runtime only: cold {:.2}x, the client crate alone {:.2}x",
            pay.0.as_secs_f64() / none.0.as_secs_f64(),
            pay.1.as_secs_f64() / none.1.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&target);
    Ok(())
}

/// `cargo run --release -p wechatpay-bench`: the client benchmark, in release, written to
/// `BENCHMARKS.md` (a full run only).
fn bench_client(root: &Path, quick: bool) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["run", "--release", "--quiet", "-p", "wechatpay-bench", "--", "run"])
        .current_dir(root);
    if quick {
        cmd.arg("--quick");
    } else {
        cmd.arg("--write").arg(root.join("BENCHMARKS.md"));
    }
    let status = cmd.status().map_err(|e| format!("cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the client benchmark failed".into())
    }
}

/// `cargo xtask bench bill`: a trade bill of 1,000,000 rows read from a gzip stream against the
/// `csv` crate reading the same bytes, and the reader's peak memory (`bench/src/bin/bills.rs`);
/// written to the bills' section of `BENCHMARKS.md` unless `--quick`.
fn bench_bill(root: &Path, quick: bool) -> Result<(), String> {
    release_build(root, &["-p", "wechatpay-bench", "--bin", "wechatpay-bench-bills"])?;
    let cmd = Command::new(root.join("target/release/wechatpay-bench-bills"));
    run_release_bench(root, cmd, quick, "the bills benchmark")
}

/// `cargo xtask bench sandbox`: the release CLI's `wechatpay sandbox` under a load of 64 client
/// tasks, its CPU per request against its RSA floor (`bench/src/sandbox.rs`); written to the
/// sandbox's section of `BENCHMARKS.md` unless `--quick`.
fn bench_sandbox(root: &Path, quick: bool) -> Result<(), String> {
    release_build(root, &["-p", "wechatpay-cli", "-p", "wechatpay-bench"])?;
    let release = root.join("target").join("release");
    let mut cmd = Command::new(release.join("wechatpay-bench"));
    cmd.arg("sandbox").arg(release.join("wechatpay"));
    run_release_bench(root, cmd, quick, "the sandbox benchmark")
}

/// `cargo build --release --quiet` of `packages` (`-p …`, `--bin …`).
fn release_build(root: &Path, packages: &[&str]) -> Result<(), String> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet"])
        .args(packages)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the release build of {} failed", packages.join(" ")))
    }
}

/// Runs a benchmark binary: `--quick`, or writing its section of `BENCHMARKS.md`.
fn run_release_bench(root: &Path, mut cmd: Command, quick: bool, what: &str) -> Result<(), String> {
    cmd.current_dir(root);
    if quick {
        cmd.arg("--quick");
    } else {
        cmd.arg("--write").arg(root.join("BENCHMARKS.md"));
    }
    let status = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed"))
    }
}
