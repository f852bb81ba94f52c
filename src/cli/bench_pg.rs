//! `bench --postgres URL`: the PostgreSQL figures. The release workload
//! (DeleteInstance of instances with two disks and three snapshots each) on
//! scratch databases created through URL (and dropped after):
//!
//! * four processes on one database against one process, 16 callers each
//!   (target: at least 2x);
//! * one process on PostgreSQL against sled in `sync` mode, 16 callers
//!   (target: within 3x);
//! * one process on a ledger of 20,000 instances against one of 2,000
//!   (target: flat, at least 0.8x).
//!
//! The four processes are this program again (`bench --pg-worker FILE`,
//! hidden): each opens the ledger, says it is ready, and releases its share
//! of the instances when told to; the figure is all their releases over the
//! time from the first start to the last end.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ecs_ledger::bench::fixture::{Made, fill, fill_config, sled_with_instances};
use ecs_ledger::bench::measure::{self, Figure, against, info, versus};
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{Config, Durability, Ledger};
use ecs_ledger::storage::postgres::{PgStorage, ScratchDatabase};

/// Callers per process.
const CALLERS: usize = 16;
/// Processes of the multi-process figure.
const PROCESSES: usize = 4;

struct Sizes {
    instances: usize,
    warmup: usize,
    timed: usize,
    flat_small: usize,
    flat_large: usize,
    flat_timed: usize,
}

const QUICK: Sizes = Sizes {
    instances: 5_000,
    warmup: 200,
    timed: 2_000,
    flat_small: 2_000,
    flat_large: 20_000,
    flat_timed: 1_000,
};

const FULL: Sizes = Sizes {
    instances: 20_000,
    warmup: 500,
    timed: 8_000,
    flat_small: 2_000,
    flat_large: 20_000,
    flat_timed: 1_500,
};

fn say(json: bool, what: &str) {
    if !json {
        eprintln!("  {what}");
    }
}

/// A scratch database for one figure, named after this process.
fn scratch(admin: &str, tag: &str) -> Result<ScratchDatabase, String> {
    let name = format!("ecs_ledger_bench_{}_{tag}", std::process::id());
    ScratchDatabase::create(admin, &name)
        .map_err(|e| format!("cannot create the scratch database {name}: {e}"))
}

/// A database holding a ledger of `n` fixture instances.
fn filled(admin: &str, tag: &str, n: usize) -> Result<(ScratchDatabase, Vec<Made>), String> {
    let db = scratch(admin, tag)?;
    let storage = PgStorage::connect(db.url()).map_err(|e| e.to_string())?;
    let mut ledger =
        Inline::open(storage, fill_config(Durability::None)).map_err(|e| e.to_string())?;
    let made = fill(&mut ledger, n).map_err(|e| e.to_string())?;
    ledger.close().map_err(|e| e.to_string())?;
    Ok((db, made))
}

fn open(url: &str) -> Result<Arc<Ledger<PgStorage>>, String> {
    let storage = PgStorage::connect(url).map_err(|e| e.to_string())?;
    Ledger::with_storage(storage, Config::default())
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Releases per second of one process with [`CALLERS`] callers.
fn one_process(url: &str, warm: &[Made], timed: &[Made]) -> Result<f64, String> {
    let ledger = open(url)?;
    measure::release(&ledger, warm, CALLERS)?;
    let secs = measure::release(&ledger, timed, CALLERS)?.as_secs_f64();
    ledger.close().map_err(|e| e.to_string())?;
    Ok(timed.len() as f64 / secs)
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Releases per second of [`PROCESSES`] processes on one database.
fn many_processes(url: &str, warm: &[Made], timed: &[Made]) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let dir = tempfile_dir()?;
    let warm_each = warm.len().div_ceil(PROCESSES).max(1);
    let timed_each = timed.len().div_ceil(PROCESSES).max(1);
    let mut workers = Vec::new();
    for (i, (w, t)) in warm
        .chunks(warm_each)
        .zip(timed.chunks(timed_each))
        .enumerate()
    {
        let file = dir.join(format!("worker-{i}"));
        let mut text = String::new();
        for m in w {
            text.push_str(&format!("w {}\n", m.instance));
        }
        for m in t {
            text.push_str(&format!("t {}\n", m.instance));
        }
        std::fs::write(&file, text).map_err(|e| e.to_string())?;
        let mut child = Command::new(&exe)
            .arg("--postgres")
            .arg(url)
            .arg("bench")
            .arg("--pg-worker")
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        let stdout = child.stdout.take().ok_or("a worker without stdout")?;
        workers.push((child, BufReader::new(stdout)));
    }
    for (_, out) in &mut workers {
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err(format!("a worker did not start: {line:?}"));
        }
    }
    for (child, _) in &mut workers {
        if let Some(stdin) = child.stdin.as_mut() {
            writeln!(stdin, "go").map_err(|e| e.to_string())?;
        }
    }
    let (mut first, mut last, mut total) = (u128::MAX, 0u128, 0u64);
    for (mut child, mut out) in workers {
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        let fields: Vec<u128> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [start, end, n] = fields.as_slice() else {
            return Err(format!("a worker failed: {line:?}"));
        };
        first = first.min(*start);
        last = last.max(*end);
        total += *n as u64;
        let _ = child.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    let secs = (last.saturating_sub(first)) as f64 / 1e9;
    Ok(total as f64 / secs.max(1e-9))
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("ecs-ledger-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// One of the four processes: releases the instances in `file` (`w ID`
/// warm-up, `t ID` timed) once told to on stdin; prints `start end count`
/// (nanoseconds since the epoch).
pub fn worker(url: &str, file: &Path) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let made = |kind: &str| -> Vec<Made> {
        text.lines()
            .filter_map(|l| l.strip_prefix(kind))
            .map(|id| Made {
                instance: id.trim().to_owned(),
                system: String::new(),
                data: String::new(),
            })
            .collect()
    };
    let (warm, timed) = (made("w "), made("t "));
    let ledger = open(url)?;
    measure::release(&ledger, &warm, CALLERS)?;
    out!("ready");
    let mut go = String::new();
    std::io::stdin()
        .read_line(&mut go)
        .map_err(|e| e.to_string())?;
    let start = unix_nanos();
    measure::release(&ledger, &timed, CALLERS)?;
    let end = unix_nanos();
    ledger.close().map_err(|e| e.to_string())?;
    out!("{start} {end} {}", timed.len());
    Ok(ExitCode::SUCCESS)
}

/// The PostgreSQL figures.
pub fn run(
    admin: &str,
    quick: bool,
    json: bool,
    base: Option<&Path>,
) -> Result<(Vec<Figure>, f64), String> {
    let sizes = if quick { &QUICK } else { &FULL };
    let started = Instant::now();
    let mut figures = Vec::new();
    let one = process_figures(admin, sizes, json, &mut figures)?;
    say(json, "sled sync: DeleteInstance, 16 callers...");
    let (dir, sled_made) = sled_with_instances(base, sizes.warmup + sizes.timed)?;
    let (warm, timed) = sled_made.split_at(sizes.warmup);
    let sled = measure::command(&dir.0, warm, timed, Durability::Sync, CALLERS)?.per_sec;
    drop(dir);
    figures.push(info(
        "sled DeleteInstance, sync, 16 callers",
        sled,
        "commands/s",
    ));
    figures.push(against(
        "sled sync / PostgreSQL (1 process), 16 callers",
        sled / one,
        "x",
        3.0,
        true,
    ));
    flat_figures(admin, sizes, json, &mut figures)?;
    Ok((figures, started.elapsed().as_secs_f64()))
}

/// One process against four on one database; returns one process's rate.
fn process_figures(
    admin: &str,
    sizes: &Sizes,
    json: bool,
    figures: &mut Vec<Figure>,
) -> Result<f64, String> {
    say(
        json,
        &format!(
            "PostgreSQL: filling a ledger with {} instances...",
            sizes.instances
        ),
    );
    let (db, made) = filled(admin, "procs", sizes.instances)?;
    let need = 2 * (sizes.warmup + sizes.timed);
    if made.len() < need {
        return Err("fixture too small".into());
    }
    let (one_warm, rest) = made.split_at(sizes.warmup);
    let (one_timed, rest) = rest.split_at(sizes.timed);
    let (many_warm, rest) = rest.split_at(sizes.warmup);
    let many_timed = &rest[..sizes.timed];
    say(json, "PostgreSQL: DeleteInstance, 1 process, 16 callers...");
    let one = one_process(db.url(), one_warm, one_timed)?;
    say(
        json,
        "PostgreSQL: DeleteInstance, 4 processes, 16 callers each...",
    );
    let many = many_processes(db.url(), many_warm, many_timed)?;
    figures.push(info(
        "PostgreSQL DeleteInstance, 1 process, 16 callers",
        one,
        "commands/s",
    ));
    figures.push(versus(
        "PostgreSQL DeleteInstance, 4 processes x 16 callers, one database",
        many,
        "commands/s",
        "1 process, 16 callers",
        one,
        2.0,
    ));
    Ok(one)
}

/// A release in a small ledger against one in a ledger ten times larger.
fn flat_figures(
    admin: &str,
    sizes: &Sizes,
    json: bool,
    figures: &mut Vec<Figure>,
) -> Result<(), String> {
    let mut flat = Vec::new();
    for n in [sizes.flat_small, sizes.flat_large] {
        say(
            json,
            &format!("PostgreSQL: DeleteInstance with {n} instances in the ledger..."),
        );
        let (db, made) = filled(admin, &format!("flat{n}"), n)?;
        let warm = &made[..sizes.warmup.min(made.len() / 4)];
        let timed = &made[warm.len()..(warm.len() + sizes.flat_timed).min(made.len())];
        flat.push(one_process(db.url(), warm, timed)?);
    }
    figures.push(info(
        &format!(
            "PostgreSQL DeleteInstance, {} instances, 16 callers",
            sizes.flat_small
        ),
        flat[0],
        "commands/s",
    ));
    figures.push(versus(
        &format!(
            "PostgreSQL DeleteInstance, {} instances, 16 callers",
            sizes.flat_large
        ),
        flat[1],
        "commands/s",
        &format!("{} instances", sizes.flat_small),
        flat[0],
        0.8,
    ));
    Ok(())
}
