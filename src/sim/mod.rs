//! Deterministic simulation: millions of generated requests, faults on
//! purpose, an independent oracle, and any failure reproducible from one seed.
//!
//! A run is single-threaded on the in-memory storage with a virtual clock
//! ([`crate::ledger::inline::Inline`]): the same seed gives the same requests,
//! the same faults, the same log and the same head hash. After every step the
//! driver checks: each answer and each appended event is what the
//! [`oracle`] predicted; Seq is gapless and the hash chain holds; the oracle,
//! the fold of the log and the inventory agree on every touched record; no
//! id is created twice, no resource released twice, no retained snapshot
//! released by a release; every acknowledged event survives a crash. Every
//! `full_check_every` steps, and at the end, all of it at once plus `verify`
//! and a replay from scratch.
//!
//! ```
//! use ecs_ledger::sim::{SimConfig, run};
//! let report = run(&SimConfig { seed: 7, steps: 200, faults: true, ..SimConfig::default() }).unwrap();
//! assert!(report.requests > 100);
//! let again = run(&SimConfig { seed: 7, steps: 200, faults: true, ..SimConfig::default() }).unwrap();
//! assert_eq!(report.head_hash, again.head_hash);
//! ```

pub mod coverage;
pub mod driver;
pub mod faults;
pub mod oracle;
pub mod shrink;
pub mod workload;

use serde::{Deserialize, Serialize};

use coverage::Coverage;
use driver::Driver;
use workload::{Generator, Op};

/// How a simulation runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seeds the workload, the faults and the ledger's ids.
    pub seed: u64,
    /// Generated operations.
    pub steps: u64,
    /// Inject faults.
    pub faults: bool,
    /// Accounts the workload acts as.
    pub accounts: u8,
    /// Full checks every this many steps (and at the end).
    pub full_check_every: u64,
    /// For testing the simulator itself: the oracle forgets row 7 of the
    /// DeleteInstance table, so runs that reach it must fail.
    pub plant_forget_row_7: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            steps: 1000,
            faults: false,
            accounts: 2,
            full_check_every: 250,
            plant_forget_row_7: false,
        }
    }
}

impl SimConfig {
    /// The command line that runs this configuration again.
    pub fn command(&self) -> String {
        format!(
            "ecs-ledger simulate --seed {} --steps {}{} --accounts {}{}",
            self.seed,
            self.steps,
            if self.faults { " --faults" } else { "" },
            self.accounts,
            if self.plant_forget_row_7 {
                " --plant-forget-row-7"
            } else {
                ""
            }
        )
    }
}

/// What a successful run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Operations run (clock drift included).
    pub steps: u64,
    /// Requests sent.
    pub requests: u64,
    /// Events in the log.
    pub events: u64,
    /// The head hash, hex.
    pub head_hash: String,
    /// Answers by code and faults by kind.
    #[serde(skip)]
    pub coverage: Coverage,
    /// Invariant checks performed.
    pub checks: u64,
    /// Ledger restarts after faults.
    pub restarts: u64,
}

/// A failed run: what went wrong, where, and how to run it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The failing step (0-based, in the trace).
    pub step: usize,
    /// What failed.
    pub message: String,
    /// Every operation up to and including the failing one.
    pub trace: Vec<Op>,
}

impl Failure {
    /// The first word of the message: what kind of failure it is.
    pub fn kind(&self) -> &str {
        self.message.split(':').next().unwrap_or_default()
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {}: {}", self.step, self.message)
    }
}

fn finish(driver: Driver, config: &SimConfig, steps: u64) -> Result<Report, String> {
    let report = Report {
        seed: config.seed,
        steps,
        requests: driver.requests,
        events: driver.head().seq,
        head_hash: driver.head().hash_hex(),
        coverage: driver.coverage.clone(),
        checks: driver.checks,
        restarts: driver.restarts,
    };
    driver.close()?;
    Ok(report)
}

/// Runs a generated workload.
pub fn run(config: &SimConfig) -> Result<Report, Failure> {
    let mut generator = Generator::new(config.seed, config.accounts, config.faults);
    let mut trace = Vec::new();
    let fail = |trace: &Vec<Op>, message: String| Failure {
        step: trace.len().saturating_sub(1),
        message,
        trace: trace.clone(),
    };
    let mut driver = Driver::new(config.clone()).map_err(|m| fail(&trace, m))?;
    for step in 0..config.steps {
        let drift = generator.drift();
        if drift > 0 {
            let op = Op::Advance { secs: drift };
            driver.step(&op).map_err(|m| fail(&trace, m))?;
            trace.push(op);
        }
        let op = generator.next(&driver.pools, driver.oracle());
        trace.push(op.clone());
        driver.step(&op).map_err(|m| fail(&trace, m))?;
        if (step + 1) % config.full_check_every.max(1) == 0 {
            driver.full_check().map_err(|m| fail(&trace, m))?;
        }
    }
    driver.full_check().map_err(|m| fail(&trace, m))?;
    let steps = trace.len() as u64;
    finish(driver, config, steps).map_err(|m| fail(&trace, m))
}

/// Runs a given trace (a saved or shrunk failure) instead of a generated one.
pub fn run_trace(config: &SimConfig, ops: &[Op]) -> Result<Report, Failure> {
    let fail = |step: usize, message: String| Failure {
        step,
        message,
        trace: ops[..(step + 1).min(ops.len())].to_vec(),
    };
    let mut driver = Driver::new(config.clone()).map_err(|m| fail(0, m))?;
    for (n, op) in ops.iter().enumerate() {
        driver.step(op).map_err(|m| fail(n, m))?;
    }
    driver
        .full_check()
        .map_err(|m| fail(ops.len().saturating_sub(1), m))?;
    finish(driver, config, ops.len() as u64).map_err(|m| fail(ops.len().saturating_sub(1), m))
}
