//! Maintainer commands: `cargo xtask generate [--check]`, `cargo xtask import …`.
//!
//! `generate` turns `spec/` into `generated/src/api/`, and each fixture spec in
//! `tests/fixtures/<name>/spec/` into `tests/src/fixtures/<name>/api/` (compiled by the tests).

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use wechatpay_codegen::{generate, generate_loaded, load, output, Options};

mod bench;
mod embed;

// Generation allocates many small token trees; mimalloc makes that markedly cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub(crate) const USAGE: &str = "usage:
  cargo xtask generate [--check]   regenerate the client from spec/ (--check: fail if stale)
  cargo xtask generate --spec DIR --out DIR
                                   generate from another spec folder (a trial import) into DIR
  cargo xtask bench [generate|build|client] [--spec DIR] [--only none|pay|full|v2] [--quick]
                                   generate: whole-spec generation vs bare YAML parsing (release);
                                   build: cold builds of the client (full / one group / runtime)
  cargo xtask import --from DIR --to DIR [--official DIR] [--force] [--verbose]
                                   convert the Swagger-2 description at DIR (wechatpay-openapi)
                                   into spec files; --official: the official Go SDK's services/
                                   folder, whose models are applied as evidence; --force
                                   overwrites hand-edited files, --verbose prints every repair line
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => match &args[1..] {
            [] => run_generate(false),
            [flag] if flag == "--check" => run_generate(true),
            [a, spec, b, out] if a == "--spec" && b == "--out" => run_generate_into(spec, out),
            _ => Err(USAGE.to_string()),
        },
        Some("import") => run_import(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_path_buf()
}

/// One generation job: a spec folder, an output folder and the paths the output uses.
struct Job {
    spec: PathBuf,
    out: PathBuf,
    options: Options,
    /// The Cargo.toml whose generated `[features]` block lists the API groups.
    manifest: Option<PathBuf>,
    /// Where the sandbox's copy of the spec goes (see `embed`).
    embed: Option<PathBuf>,
}

fn jobs(root: &Path) -> Result<Vec<Job>, String> {
    let mut jobs = vec![Job {
        spec: root.join("spec"),
        out: root.join("generated/src/api"),
        options: Options {
            features: true,
            ..Options::default()
        },
        manifest: Some(root.join("generated/Cargo.toml")),
        embed: Some(root.join(embed::EMBEDDED_SPEC)),
    }];
    let fixtures = root.join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .map_err(|e| format!("{}: {e}", fixtures.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("spec").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        jobs.push(Job {
            spec: fixtures.join(&name).join("spec"),
            out: root.join("tests/src/fixtures").join(&name).join("api"),
            options: Options {
                root: format!("crate::fixtures::{name}::api"),
                client: format!("crate::fixtures::{name}::Client"),
                ..Options::default()
            },
            manifest: None,
            embed: None,
        });
    }
    Ok(jobs)
}

fn run_generate(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let start = Instant::now();
    // Generate everything in memory first: a spec error leaves every output folder untouched.
    let mut outputs = Vec::new();
    let mut embedded = Vec::new();
    for job in jobs(&root)? {
        let loaded = load::load_dir(&job.spec).map_err(|e| e.to_string())?;
        let out = generate_loaded(&loaded, &job.options).map_err(|e| e.to_string())?;
        if let Some(to) = &job.embed {
            // The sandbox's copy of the spec, now known to be valid.
            embedded.push((to.clone(), embed::embedded_spec(&job.spec, &loaded)?));
        }
        outputs.push((job, out));
    }
    let elapsed = start.elapsed();
    let mut stale_all = Vec::new();
    for (to, content) in &embedded {
        if embed::update(to, content, check)? {
            stale_all.push(format!("{} (changed)", rel(&root, to)));
        }
    }
    for (job, out) in &outputs {
        if let Some(manifest) = &job.manifest {
            let old = std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
            let new = with_features(&old, &out.features).map_err(|e| format!("{}: {e}", manifest.display()))?;
            if new != old {
                stale_all.push(format!("{} (changed features)", rel(&root, manifest)));
                if !check {
                    std::fs::write(manifest, new).map_err(|e| format!("{}: {e}", manifest.display()))?;
                }
            }
        }
        let files = &out.files;
        let stale = if check {
            output::diff(&job.out, files)
        } else {
            output::write(&job.out, files)
        }
        .map_err(|e| e.to_string())?;
        for p in stale.changed.iter() {
            stale_all.push(format!("{} (changed)", rel(&root, p)));
        }
        for p in stale.removed.iter() {
            stale_all.push(format!("{} (no longer generated)", rel(&root, p)));
        }
    }
    let count: usize = outputs.iter().map(|(_, o)| o.files.len()).sum();
    if check {
        if stale_all.is_empty() {
            println!("generated code is current ({count} files)");
            Ok(())
        } else {
            let mut msg = String::from("generated code is stale:\n");
            for s in &stale_all {
                msg.push_str(&format!("  {s}\n"));
            }
            msg.push_str("run `cargo xtask generate` and commit the result\n");
            Err(msg)
        }
    } else {
        for s in &stale_all {
            println!("wrote {s}");
        }
        println!(
            "{count} files generated in {:.0} ms, {} updated",
            elapsed.as_secs_f64() * 1000.0,
            stale_all.len()
        );
        Ok(())
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn run_import(args: &[String]) -> Result<(), String> {
    let mut from = None;
    let mut to = None;
    let mut force = false;
    let mut verbose = false;
    let mut official = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--from" => from = it.next().map(PathBuf::from),
            "--to" => to = it.next().map(PathBuf::from),
            "--force" => force = true,
            "--official" => official = it.next().map(PathBuf::from),
            "--verbose" => verbose = true,
            _ => return Err(USAGE.to_string()),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(USAGE.to_string());
    };
    let start = Instant::now();
    let summary = wechatpay_import::import(&from, &to, &wechatpay_import::ImportOptions { force, official })
        .map_err(|e| e.to_string())?;
    if verbose {
        for line in &summary.repair_lines {
            println!("{line}");
        }
    }
    print!("{summary}");
    println!("took {:.0} ms", start.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}

fn run_generate_into(spec: &str, out: &str) -> Result<(), String> {
    let start = Instant::now();
    let options = Options {
        features: true,
        ..Options::default()
    };
    let files = generate(Path::new(spec), &options).map_err(|e| e.to_string())?.files;
    let elapsed = start.elapsed();
    let stale = output::write(Path::new(out), &files).map_err(|e| e.to_string())?;
    println!(
        "{} files generated in {:.0} ms, {} updated",
        files.len(),
        elapsed.as_secs_f64() * 1000.0,
        stale.changed.len() + stale.removed.len()
    );
    Ok(())
}

const BEGIN_FEATURES: &str = "# BEGIN generated features";
const END_FEATURES: &str = "# END generated features";

/// The manifest with its generated features block set to `full` plus one feature per group.
fn with_features(manifest: &str, features: &[String]) -> Result<String, String> {
    let (Some(b), Some(e)) = (manifest.find(BEGIN_FEATURES), manifest.find(END_FEATURES)) else {
        return Err(format!(
            "the markers `{BEGIN_FEATURES}` and `{END_FEATURES}` are missing"
        ));
    };
    let start = b + BEGIN_FEATURES.len();
    let mut block = String::from("\n");
    let list: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    block.push_str(&format!("full = [{}]\n", list.join(", ")));
    for f in features {
        block.push_str(&format!("{f} = []\n"));
    }
    Ok(format!("{}{}{}", &manifest[..start], block, &manifest[e..]))
}
