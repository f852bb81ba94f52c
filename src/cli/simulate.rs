//! `simulate`: deterministic simulation from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use ecs_ledger::sim::coverage::Coverage;
use ecs_ledger::sim::shrink::shrink;
use ecs_ledger::sim::workload::Op;
use ecs_ledger::sim::{Failure, Report, SimConfig, run, run_trace};
use indicatif::ProgressBar;
use serde_json::json;

pub struct Args {
    pub seed: u64,
    pub seeds: Option<String>,
    pub steps: u64,
    pub faults: bool,
    pub accounts: u8,
    pub shrink: Option<PathBuf>,
    pub replay: Option<PathBuf>,
    pub json: bool,
    pub plant: bool,
}

fn seeds(spec: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = spec.split_once("..").ok_or("--seeds takes START..END")?;
    let a: u64 = a.parse().map_err(|e| format!("--seeds: {e}"))?;
    let b: u64 = b.parse().map_err(|e| format!("--seeds: {e}"))?;
    Ok(a..b)
}

fn print_report(r: &Report, json_out: bool) {
    if json_out {
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
        out!(
            "{}",
            json!({
                "Seed": r.seed, "Steps": r.steps, "Requests": r.requests, "Events": r.events,
                "HeadHash": r.head_hash, "Checks": r.checks, "Restarts": r.restarts,
                "Codes": codes, "Faults": faults,
            })
        );
        return;
    }
    out!(
        "seed {}: {} steps, {} requests, {} events, head {}, {} invariant checks, {} restarts",
        r.seed,
        r.steps,
        r.requests,
        r.events,
        r.head_hash,
        r.checks,
        r.restarts
    );
    let codes: Vec<String> = r
        .coverage
        .codes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    out!("  outcomes: {}", codes.join(", "));
    if !r.coverage.faults.is_empty() {
        let faults: Vec<String> = r
            .coverage
            .faults
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out!("  faults:   {}", faults.join(", "));
    }
}

fn report_failure(
    config: &SimConfig,
    failure: &Failure,
    save: Option<&PathBuf>,
) -> Result<ExitCode, String> {
    eprintln!("FAILED at {failure}");
    eprintln!("reproduce: {}", config.command());
    if let Some(path) = save {
        eprintln!("shrinking {} steps...", failure.trace.len());
        let (ops, shrunk) = shrink(config, failure);
        let text: Vec<String> = ops
            .iter()
            .map(|op| serde_json::to_string(op).unwrap_or_default())
            .collect();
        std::fs::write(path, text.join("\n") + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!(
            "shrunk to {} steps ({}), saved to {}",
            ops.len(),
            shrunk.message,
            path.display()
        );
        eprintln!(
            "replay:    ecs-ledger simulate --seed {} --accounts {} --replay {}",
            config.seed,
            config.accounts,
            path.display()
        );
    }
    Ok(ExitCode::from(1))
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let ops: Vec<Op> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        return match run_trace(&base, &ops) {
            Ok(report) => {
                print_report(&report, args.json);
                Ok(ExitCode::SUCCESS)
            }
            Err(failure) => report_failure(&base, &failure, None),
        };
    }
    let range = match &args.seeds {
        Some(spec) => seeds(spec)?,
        None => args.seed..args.seed + 1,
    };
    let many = range.end - range.start > 1;
    let bar = if many {
        ProgressBar::new(range.end - range.start)
    } else {
        ProgressBar::hidden()
    };
    let mut total = Coverage::default();
    for seed in range {
        let config = SimConfig {
            seed,
            ..base.clone()
        };
        match run(&config) {
            Ok(report) => {
                total.merge(&report.coverage);
                if !many {
                    print_report(&report, args.json);
                }
            }
            Err(failure) => {
                bar.finish_and_clear();
                return report_failure(&config, &failure, args.shrink.as_ref());
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if many {
        let codes: Vec<String> = total
            .codes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out!("all seeds passed; outcomes: {}", codes.join(", "));
        let missing = total.missing_codes();
        if !missing.is_empty() {
            out!("never reached: {}", missing.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
