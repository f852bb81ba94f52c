//! Deterministic simulation: the same seed gives the same log; a few hundred
//! seeds with faults pass against the oracle and reach every error code of docs/BEHAVIOUR.md
//! and every fault kind; a planted bug is caught, shrunk and replayed; traces
//! shrunk from real failures stay fixed.

mod common;

use common::cli::run as cli;
use ecs_ledger::sim::coverage::Coverage;
use ecs_ledger::sim::shrink::shrink;
use ecs_ledger::sim::workload::Op;
use ecs_ledger::sim::{SimConfig, run, run_trace};

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        steps: 300,
        faults: true,
        accounts: 1 + (seed % 3) as u8,
        ..SimConfig::default()
    }
}

#[test]
fn the_same_seed_gives_the_same_head_hash() {
    let a = run(&config(42)).unwrap();
    let b = run(&config(42)).unwrap();
    assert_eq!(a.head_hash, b.head_hash);
    assert_eq!(a.events, b.events);
    assert_eq!(a.coverage, b.coverage);
    let c = run(&config(43)).unwrap();
    assert_ne!(a.head_hash, c.head_hash);
}

/// CI's seeds: every one must pass, and together they must reach every
/// required code, fault kind and release trigger, or the simulator has
/// stopped exercising a path.
#[test]
fn three_hundred_seeds_pass_and_cover_every_code_fault_and_release_trigger() {
    let seeds: Vec<u64> = (1..=300).collect();
    let coverage = std::thread::scope(|s| {
        let handles: Vec<_> = seeds
            .chunks(75)
            .map(|chunk| {
                s.spawn(move || {
                    let mut coverage = Coverage::default();
                    for &seed in chunk {
                        let cfg = SimConfig {
                            faults: seed % 5 != 0,
                            ..config(seed)
                        };
                        match run(&cfg) {
                            Ok(report) => coverage.merge(&report.coverage),
                            Err(failure) => panic!("{failure}\nreproduce: {}", cfg.command()),
                        }
                    }
                    coverage
                })
            })
            .collect();
        let mut all = Coverage::default();
        for h in handles {
            all.merge(&h.join().unwrap());
        }
        all
    });
    assert_eq!(
        coverage.missing_codes(),
        Vec::<&str>::new(),
        "codes never reached"
    );
    assert_eq!(coverage.missing_faults(), vec![], "fault kinds never fired");
    assert_eq!(
        coverage.missing_triggers(),
        Vec::<&str>::new(),
        "release triggers never seen"
    );
    assert_eq!(
        coverage.missing_lifecycle_answers(),
        Vec::<String>::new(),
        "answers of the lifecycle actions never given"
    );
}

#[test]
fn a_planted_bug_is_caught_shrunk_and_replayed() {
    let failure = (1..200)
        .find_map(|seed| {
            run(&SimConfig {
                plant_forget_row_7: true,
                ..config(seed)
            })
            .err()
            .map(|f| (seed, f))
        })
        .expect("some seed reaches row 7");
    let (seed, failure) = failure;
    assert!(
        failure.to_string().contains("InstanceLockedForSecurity"),
        "{failure}"
    );
    let cfg = SimConfig {
        plant_forget_row_7: true,
        ..config(seed)
    };
    let shrunk = shrink(&cfg, &failure);
    let ops = &shrunk.trace;
    assert!(ops.len() <= 12, "shrunk to {} steps: {ops:?}", ops.len());
    assert!(ops.len() < failure.trace.len());
    assert_eq!(shrunk.failure.signature(), failure.failure.signature());
    // The shrunk trace reproduces the failure, and passes without the planted bug.
    let replayed = run_trace(&cfg, ops).unwrap_err();
    assert!(replayed.to_string().contains("InstanceLockedForSecurity"));
    run_trace(
        &SimConfig {
            plant_forget_row_7: false,
            ..cfg
        },
        ops,
    )
    .unwrap();
}

fn trace(name: &str) -> Vec<Op> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/sim/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Shrunk from seed 9: a query in the same group commit as a creation after
/// it. Format 1 answered queries after the whole batch (they saw the later
/// creation); queries now run in their turn and see only what came before,
/// so the answer no longer depends on how requests were batched.
#[test]
fn regression_query_in_a_batch_sees_what_came_before() {
    run_trace(
        &SimConfig {
            seed: 9,
            ..SimConfig::default()
        },
        &trace("query-in-a-batch-sees-what-came-before.trace"),
    )
    .unwrap();
}

/// Shrunk (by deleting creations) from seed 7 at 100,000 steps: a target
/// resolves modulo the pool's size, and a request later in a group commit
/// was expected against ids created earlier in the same commit. The
/// expectation now uses the ids the request was sent with.
#[test]
fn regression_a_batch_is_expected_with_the_ids_its_requests_named() {
    run_trace(
        &SimConfig {
            seed: 7,
            ..SimConfig::default()
        },
        &trace("batch-expects-the-ids-its-requests-named.trace"),
    )
    .unwrap();
}

/// The divergence seed 7 found at 108,816 operations of the old workload
/// ("expected success, got TooManyBackendServers"): the ledger holds a load
/// balancer to 200 backend servers (docs/BEHAVIOUR.md §4), the oracle did not
/// know the quota. Written by hand to reach it at once: 201 instances joined
/// to one load balancer; the 201st is refused and the oracle predicts it.
#[test]
fn regression_a_load_balancer_holds_at_most_200_servers() {
    run_trace(
        &SimConfig {
            seed: 7,
            ..SimConfig::default()
        },
        &trace("load-balancer-holds-at-most-200-servers.trace"),
    )
    .unwrap();
}

/// Shrunk from seed 2: a due transition and a command in one batch; the
/// inventory holds the state after both.
#[test]
fn regression_transition_then_command_in_one_batch() {
    run_trace(
        &SimConfig {
            seed: 2,
            ..SimConfig::default()
        },
        &trace("transition-then-command-in-one-batch.trace"),
    )
    .unwrap();
}

/// Written by hand: each rule of the release lifecycle (docs/BEHAVIOUR.md
/// §7) the workload reaches at random, in one short trace checked against
/// the oracle: an orderly forced release (ForceStop=false) refuses new route
/// entries and backend servers while it stops (the divergence CI's seeds 57
/// and 276 found: the oracle did not know that rule) and is released by the
/// platform when the stop completes; an automatic release time too soon,
/// malformed, too far, then set, and the release at that time despite
/// deletion protection, route entries and backend servers removed first; a
/// subscription that expires, cannot become pay-as-you-go, and is released
/// 15 days later, the history counting both system events; billing changed
/// both ways, the automatic release time cleared.
#[test]
fn every_release_trigger_is_predicted_by_the_oracle() {
    let report = run_trace(
        &SimConfig {
            seed: 7,
            ..SimConfig::default()
        },
        &trace("lifecycle-every-release-trigger.trace"),
    )
    .unwrap();
    let triggers: Vec<&str> = report
        .coverage
        .triggers
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        triggers,
        ["AutoReleaseTime", "Request", "SubscriptionEnded"],
        "{:?}",
        report.coverage
    );
    for code in [
        "IncorrectInstanceStatus",
        "InvalidAutoReleaseTime.Malformed",
        "InstanceExpiredOrInArrears",
        "InvalidParameter",
    ] {
        assert!(
            report.coverage.codes.contains_key(code),
            "{code}: {:?}",
            report.coverage
        );
    }
}

#[test]
fn the_simulate_command_reports_reproduces_and_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let ok = cli(
        dir.path(),
        &[
            "simulate", "--seed", "5", "--steps", "150", "--faults", "--json",
        ],
        "",
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let summary: serde_json::Value = serde_json::from_str(ok.stdout.trim()).unwrap();
    assert_eq!(summary["Seed"], 5);
    assert_eq!(summary["HeadHash"].as_str().unwrap().len(), 64);
    assert!(summary["Codes"]["OK"].as_u64().unwrap() > 0);
    // A failing run prints the one line that reproduces it, and a shrunk trace.
    let saved = dir.path().join("failure.trace");
    let failed = cli(
        dir.path(),
        &[
            "simulate",
            "--seeds",
            "1..200",
            "--steps",
            "300",
            "--faults",
            "--plant-forget-row-7",
            "--shrink",
            saved.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(failed.code, 1);
    let reproduce = failed
        .stderr
        .lines()
        .find(|l| l.starts_with("reproduce: "))
        .unwrap();
    assert!(
        reproduce.contains("--seed ") && reproduce.contains("--plant-forget-row-7"),
        "{reproduce}"
    );
    assert!(failed.stderr.contains("shrunk to "), "{}", failed.stderr);
    let replay = failed
        .stderr
        .lines()
        .find(|l| l.starts_with("replay:"))
        .unwrap();
    let args: Vec<&str> = replay
        .trim_start_matches("replay:")
        .split_whitespace()
        .skip(1)
        .collect();
    let mut args: Vec<&str> = args;
    args.push("--plant-forget-row-7");
    let again = cli(dir.path(), &args, "");
    assert_eq!(
        again.code, 1,
        "the shrunk trace must fail again: {}",
        again.stderr
    );
}
