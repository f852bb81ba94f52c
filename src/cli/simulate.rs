//! `simulate`: deterministic simulation from the command line.
//!
//! The library runs the simulation; this file only parses, reports and
//! draws progress (indicatif stays out of the library: it gets a callback).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ecs_ledger::bench::measure::peak_rss_kib;
use ecs_ledger::sim::coverage::Coverage;
use ecs_ledger::sim::shrink::shrink_with_progress;
use ecs_ledger::sim::workload::Op;
use ecs_ledger::sim::{FailedRun, PROGRESS_STEPS, Report, SimConfig, run_trace, run_with_progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// `simulate`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Seed of the workload, the faults and the ids.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run every seed of START..END (END excluded) instead, with a progress
    /// line; each failure is printed with its reproduce line.
    #[arg(long, value_name = "START..END")]
    pub seeds: Option<String>,
    /// Generated operations per seed (requests are counted apart: a batch
    /// sends several).
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// Inject faults: crashes, torn and unacknowledged writes, failed writes, lost answers.
    #[arg(long)]
    pub faults: bool,
    /// Accounts the workload acts as.
    #[arg(long, default_value_t = 2)]
    pub accounts: u8,
    /// On failure, shrink the trace (generated, or given by --replay) and
    /// save it to this file.
    #[arg(long)]
    pub shrink: Option<PathBuf>,
    /// Run a saved trace (from --shrink) instead of generating one.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Measure steps/s at a hundredth, a tenth and all of --steps, and
    /// how close to linear the cost is.
    #[arg(long)]
    pub measure: bool,
    /// Test the simulator itself: the oracle forgets row 7, so runs must fail.
    #[arg(long = "plant-forget-row-7", hide = true)]
    pub plant: bool,
}

/// `START..END`, END excluded; an empty or reversed range is an error.
fn seeds(spec: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = spec.split_once("..").ok_or("--seeds takes START..END")?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|e| format!("--seeds {spec}: {e}"))?;
    let b: u64 = b
        .trim()
        .parse()
        .map_err(|e| format!("--seeds {spec}: {e}"))?;
    if a >= b {
        return Err(format!(
            "--seeds {spec} is empty: START..END runs START up to END-1, so END must be above START"
        ));
    }
    Ok(a..b)
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn counts<K: std::fmt::Display>(map: impl Iterator<Item = (K, u64)>) -> String {
    map.map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_json(r: &Report) {
    let codes: serde_json::Map<String, serde_json::Value> = r
        .coverage
        .codes
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let faults: serde_json::Map<String, serde_json::Value> = r
        .coverage
        .faults
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let (instances, disks, snapshots) = r.live;
    out!(
        "{}",
        json!({
            "Seed": r.seed, "Steps": r.steps, "Requests": r.requests, "Events": r.events,
            "HeadHash": r.head_hash, "Checks": r.checks, "FullChecks": r.full_checks,
            "Restarts": r.restarts, "Codes": codes, "Faults": faults,
            "Triggers": r.coverage.triggers,
            "Live": { "Instances": instances, "Disks": disks, "Snapshots": snapshots },
        })
    );
}

fn print_report(r: &Report, json_out: bool) {
    if json_out {
        return print_json(r);
    }
    out!(
        "seed {}: {} steps, {} requests, {} events, head {}, {} invariant checks ({} full), {} restarts",
        r.seed,
        r.steps,
        r.requests,
        r.events,
        r.head_hash,
        r.checks,
        r.full_checks,
        r.restarts
    );
    let (instances, disks, snapshots) = r.live;
    out!("  live at the end: {instances} instances, {disks} disks, {snapshots} snapshots");
    out!(
        "  outcomes: {}",
        counts(r.coverage.codes.iter().map(|(k, v)| (k, *v)))
    );
    if !r.coverage.faults.is_empty() {
        out!(
            "  faults:   {}",
            counts(r.coverage.faults.iter().map(|(k, v)| (k, *v)))
        );
    }
    if !r.coverage.triggers.is_empty() {
        out!(
            "  platform releases by trigger: {}",
            counts(r.coverage.triggers.iter().map(|(k, v)| (k, *v)))
        );
    }
}

/// Prints a failure and the line that reproduces it.
fn print_failure(failed: &FailedRun, reproduce: &str) {
    eprintln!("FAILED at {failed}");
    eprintln!("reproduce: {reproduce}");
}

/// The command line that runs the saved trace at `path` again.
fn replay_command(config: &SimConfig, path: &Path) -> String {
    format!(
        "ecs-ledger simulate --seed {} --accounts {} --replay {}",
        config.seed,
        config.accounts,
        path.display()
    )
}

/// Shrinks a failure's trace and saves it as JSON lines.
fn save_shrunk(config: &SimConfig, failed: &FailedRun, path: &PathBuf) -> Result<(), String> {
    eprintln!("shrinking {} steps...", failed.trace.len());
    let spinner = ProgressBar::new_spinner();
    let shrunk = shrink_with_progress(config, failed, &mut |runs, best| {
        spinner.set_message(format!("{runs} runs, shortest failing trace {best} steps"));
        spinner.tick();
    });
    spinner.finish_and_clear();
    let mut text = String::new();
    for op in &shrunk.trace {
        let line = serde_json::to_string(op).map_err(|e| format!("cannot write a trace: {e}"))?;
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!(
        "shrunk to {} steps ({}), saved to {}",
        shrunk.trace.len(),
        shrunk.failure,
        path.display()
    );
    eprintln!("replay:    {}", replay_command(config, path));
    Ok(())
}

/// Runs a saved trace; a failure is shrunk further when `--shrink` is given.
fn replay(base: &SimConfig, path: &PathBuf, args: &Args) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let ops: Vec<Op> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match run_trace(base, &ops) {
        Ok(report) => {
            print_report(&report, args.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(failed) => {
            print_failure(&failed, &replay_command(base, path));
            if let Some(out) = &args.shrink {
                save_shrunk(base, &failed, out)?;
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// One seed, with a progress line on long runs.
fn one_seed(config: &SimConfig, args: &Args) -> Result<ExitCode, String> {
    let bar = if config.steps >= 2 * PROGRESS_STEPS {
        bar(
            config.steps,
            "{bar:40} {pos}/{len} steps ({per_sec}, eta {eta}) {msg}",
        )
    } else {
        ProgressBar::hidden()
    };
    let result = run_with_progress(config, &mut |p| {
        bar.set_position(p.steps);
        bar.set_message(format!("{} requests", p.requests));
    });
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            print_report(&report, args.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(failed) => {
            print_failure(&failed, &config.command());
            if let Some(path) = &args.shrink {
                save_shrunk(config, &failed, path)?;
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Every seed of a range, with a progress line (seeds/s, failures so far).
/// Each failure is printed with its reproduce line; the first is shrunk.
fn many_seeds(
    base: &SimConfig,
    range: std::ops::Range<u64>,
    args: &Args,
) -> Result<ExitCode, String> {
    let template = "{elapsed_precise} {bar:40} {pos}/{len} seeds ({per_sec}, eta {eta}) {msg}";
    let bar = bar(range.end - range.start, template);
    bar.set_message("0 failed");
    let mut total = Coverage::default();
    let mut failures = 0u64;
    for seed in range {
        let config = SimConfig {
            seed,
            ..base.clone()
        };
        match run_with_progress(&config, &mut |_| {}) {
            Ok(report) => total.merge(&report.coverage),
            Err(failed) => {
                failures += 1;
                bar.suspend(|| print_failure(&failed, &config.command()));
                bar.set_message(format!("{failures} failed"));
                if let (1, Some(path)) = (failures, &args.shrink) {
                    bar.suspend(|| save_shrunk(&config, &failed, path))?;
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if failures > 0 {
        eprintln!("{failures} seeds failed");
        return Ok(ExitCode::from(1));
    }
    out!(
        "all seeds passed; outcomes: {}",
        counts(total.codes.iter().map(|(k, v)| (k, *v)))
    );
    out!(
        "platform releases by trigger: {}",
        counts(total.triggers.iter().map(|(k, v)| (k, *v)))
    );
    let missing = total.missing_codes();
    if !missing.is_empty() {
        out!("never reached: {}", missing.join(", "));
    }
    out!(
        "answers of the lifecycle actions: {}",
        counts(total.lifecycle.iter().map(|(k, v)| (k, *v)))
    );
    let missing = total.missing_triggers();
    if !missing.is_empty() {
        out!("release triggers never seen: {}", missing.join(", "));
    }
    let missing = total.missing_lifecycle_answers();
    if !missing.is_empty() {
        out!("lifecycle answers never given: {}", missing.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// Steps/s at a hundredth, a tenth and all of `--steps`, and how far from
/// linear the longest run is.
fn measure(base: &SimConfig) -> Result<ExitCode, String> {
    if base.steps < 100 {
        return Err("--measure needs --steps of at least 100".into());
    }
    let mut times = Vec::new();
    for steps in [base.steps / 100, base.steps / 10, base.steps] {
        let config = SimConfig {
            steps,
            ..base.clone()
        };
        let started = Instant::now();
        let result = run_with_progress(&config, &mut |_| {});
        let elapsed = started.elapsed();
        if let Err(failed) = result {
            print_failure(&failed, &config.command());
            return Ok(ExitCode::from(1));
        }
        let per_sec = steps as f64 / elapsed.as_secs_f64().max(1e-9);
        let rss_mib = peak_rss_kib() / 1024;
        out!(
            "{steps:>9} steps: {:>8.2} s, {per_sec:>8.0} steps/s, peak RSS so far {rss_mib} MiB",
            elapsed.as_secs_f64()
        );
        times.push(elapsed);
    }
    let ratio = |long: Duration, short: Duration, k: f64| {
        long.as_secs_f64() / (k * short.as_secs_f64()).max(1e-9)
    };
    out!(
        "linearity: {} steps took {:.2} x 10 runs of {}, {:.2} x 100 runs of {}",
        base.steps,
        ratio(times[2], times[1], 10.0),
        base.steps / 10,
        ratio(times[2], times[0], 100.0),
        base.steps / 100
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run_cli(args: Args) -> Result<ExitCode, String> {
    let base = SimConfig {
        seed: args.seed,
        steps: args.steps,
        faults: args.faults,
        accounts: args.accounts,
        plant_forget_row_7: args.plant,
        ..SimConfig::default()
    };
    if let Some(path) = &args.replay {
        return replay(&base, path, &args);
    }
    if args.measure {
        return measure(&base);
    }
    match &args.seeds {
        Some(spec) => many_seeds(&base, seeds(spec)?, &args),
        None => one_seed(&base, &args),
    }
}
