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
//! [`LIVE_CHECK_STEPS`] steps, every live record at once; after
//! [`SimConfig::full_check_first_steps`] steps and then after twice as many
//! as the time before, and at the end, the whole log too (`verify` and a
//! replay from scratch). No check scans more than what the step touched but
//! these, so the cost of a step does not grow with the steps before it.
//!
//! ```
//! use ecs_ledger::sim::{SimConfig, run};
//! let report = run(&SimConfig { seed: 7, steps: 200, faults: true, ..SimConfig::default() }).unwrap();
//! assert_eq!(report.steps, 200);
//! assert!(report.requests > 100);
//! let again = run(&SimConfig { seed: 7, steps: 200, faults: true, ..SimConfig::default() }).unwrap();
//! assert_eq!(report.head_hash, again.head_hash);
//! ```

pub mod coverage;
pub mod driver;
pub mod failure;
pub mod faults;
pub mod oracle;
pub mod shrink;
pub mod workload;

use serde::{Deserialize, Serialize};

use coverage::Coverage;
use driver::{Counters, Driver};
pub use failure::Failure;
use workload::{Generator, Op};

/// Steps between two checks of every live record.
pub const LIVE_CHECK_STEPS: u64 = 1024;
/// Steps between two calls of a run's progress callback.
pub const PROGRESS_STEPS: u64 = 4096;

/// How a simulation runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seeds the workload, the faults and the ledger's ids.
    pub seed: u64,
    /// Generated operations (clock drift between them is not counted).
    pub steps: u64,
    /// Inject faults.
    pub faults: bool,
    /// Accounts the workload acts as.
    pub accounts: u8,
    /// The first full check comes after this many steps, each next one
    /// after twice as many as the one before (and one at the end): the
    /// whole log is read a bounded number of times per doubling of the run.
    pub full_check_first_steps: u64,
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
            full_check_first_steps: 256,
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
    /// Generated operations run (what `--steps` asks for).
    pub steps: u64,
    /// Requests sent (a batch sends several, a retry or a lost answer one more).
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
    /// Full checks (the whole log verified and replayed).
    pub full_checks: u64,
    /// Ledger restarts after faults.
    pub restarts: u64,
    /// Live instances, disks and snapshots at the end.
    pub live: (usize, usize, usize),
}

/// A failed run: what went wrong, where, and how to run it again.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRun {
    /// The failing operation's position in the trace (0-based).
    pub step: usize,
    /// What failed.
    pub failure: Failure,
    /// Every operation up to and including the failing one.
    pub trace: Vec<Op>,
}

impl std::fmt::Display for FailedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {}: {}", self.step, self.failure)
    }
}

/// How far a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Steps done.
    pub steps: u64,
    /// Steps asked for.
    pub of: u64,
    /// Requests sent so far.
    pub requests: u64,
}

/// Where a run failed: the trace position, and how many steps a run must
/// take to fail there again.
struct FailedAt {
    op: usize,
    steps: u64,
    failure: Failure,
}

/// A generated run in progress.
struct Run {
    config: SimConfig,
    generator: Generator,
    driver: Driver,
    /// Operations so far, when they are being kept (to reproduce a failure).
    trace: Option<Vec<Op>>,
    ops: usize,
    step: u64,
    next_full_check: u64,
}

impl Run {
    fn new(config: &SimConfig, keep_trace: bool) -> Result<Self, FailedAt> {
        let driver = Driver::new(config.clone()).map_err(|failure| FailedAt {
            op: 0,
            steps: 1,
            failure,
        })?;
        Ok(Self {
            config: config.clone(),
            generator: Generator::new(config.seed, config.accounts, config.faults),
            driver,
            trace: keep_trace.then(Vec::new),
            ops: 0,
            step: 0,
            next_full_check: config.full_check_first_steps.max(1),
        })
    }

    /// A failure in the step under way (`during`), or in the checks after
    /// the last one.
    fn fail(&self, failure: Failure, during: bool) -> FailedAt {
        FailedAt {
            op: self.ops.saturating_sub(1),
            steps: self.step + u64::from(during),
            failure,
        }
    }

    fn apply(&mut self, op: Op) -> Result<(), FailedAt> {
        self.ops += 1;
        let result = self.driver.step(&op);
        if let Some(trace) = &mut self.trace {
            trace.push(op);
        }
        result.map_err(|f| self.fail(f, true))
    }

    /// One generated step: clock drift, then the operation; checks when due.
    fn step(&mut self) -> Result<(), FailedAt> {
        let drift = self.generator.drift();
        if drift > 0 {
            self.apply(Op::Advance { secs: drift })?;
        }
        let op = self.generator.next(&self.driver.view());
        self.apply(op)?;
        self.step += 1;
        let checked = if self.step == self.next_full_check {
            self.next_full_check = self.next_full_check.saturating_mul(2);
            self.driver.full_check(false)
        } else if self.step % LIVE_CHECK_STEPS == 0 {
            self.driver.live_check()
        } else {
            Ok(())
        };
        checked.map_err(|f| self.fail(f, false))
    }

    /// Every step, then a full check.
    fn go(&mut self, progress: &mut dyn FnMut(&Progress)) -> Result<(), FailedAt> {
        while self.step < self.config.steps {
            self.step()?;
            if self.step % PROGRESS_STEPS == 0 {
                progress(&Progress {
                    steps: self.step,
                    of: self.config.steps,
                    requests: self.driver.counters.requests,
                });
            }
        }
        self.driver
            .full_check(true)
            .map_err(|f| self.fail(f, false))
    }

    fn report(self) -> Result<Report, FailedAt> {
        let (op, steps) = (self.ops.saturating_sub(1), self.step);
        finish(self.driver, &self.config, steps).map_err(|failure| FailedAt { op, steps, failure })
    }
}

fn finish(driver: Driver, config: &SimConfig, steps: u64) -> Result<Report, Failure> {
    let Counters {
        coverage,
        checks,
        full_checks,
        requests,
        restarts,
    } = driver.counters.clone();
    let report = Report {
        seed: config.seed,
        steps,
        requests,
        events: driver.head().seq,
        head_hash: driver.head().hash_hex(),
        coverage,
        checks,
        full_checks,
        restarts,
        live: driver.live(),
    };
    driver.close()?;
    Ok(report)
}

/// Runs a generated workload.
pub fn run(config: &SimConfig) -> Result<Report, FailedRun> {
    run_with_progress(config, &mut |_| {})
}

/// Runs a generated workload, calling `progress` every [`PROGRESS_STEPS`]
/// steps.
///
/// The operations are not kept as they run (a long run would hold millions):
/// when the run fails, the seed is run again up to the failure, keeping them,
/// and the failure must repeat exactly (else it is reported as
/// [`Failure::Nondeterministic`]).
pub fn run_with_progress(
    config: &SimConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Report, FailedRun> {
    let result = Run::new(config, false).and_then(|mut run| {
        run.go(progress)?;
        run.report()
    });
    result.map_err(|first| reproduce(config, first))
}

/// Runs a failed configuration again, keeping its operations this time.
fn reproduce(config: &SimConfig, first: FailedAt) -> FailedRun {
    let again = SimConfig {
        steps: first.steps,
        ..config.clone()
    };
    let (second, mut trace) = match Run::new(&again, true) {
        Ok(mut run) => (
            run.go(&mut |_| {}).err(),
            run.trace.take().unwrap_or_default(),
        ),
        Err(at) => (Some(at), Vec::new()),
    };
    let same = second
        .as_ref()
        .is_some_and(|s| s.op == first.op && s.failure == first.failure);
    trace.truncate(first.op + 1);
    let failure = if same {
        first.failure
    } else {
        let again = second.map_or("passed".to_owned(), |s| {
            format!("failed at step {}: {}", s.op, s.failure)
        });
        Failure::Nondeterministic(format!(
            "failed at step {}: {}; run again, it {again}",
            first.op, first.failure
        ))
    };
    FailedRun {
        step: first.op,
        failure,
        trace,
    }
}

/// Runs a given trace (a saved or shrunk failure) instead of a generated one.
pub fn run_trace(config: &SimConfig, ops: &[Op]) -> Result<Report, FailedRun> {
    let fail = |step: usize, failure: Failure| FailedRun {
        step,
        failure,
        trace: ops[..(step + 1).min(ops.len())].to_vec(),
    };
    let mut driver = Driver::new(config.clone()).map_err(|f| fail(0, f))?;
    for (n, op) in ops.iter().enumerate() {
        driver.step(op).map_err(|f| fail(n, f))?;
    }
    let last = ops.len().saturating_sub(1);
    driver.full_check(true).map_err(|f| fail(last, f))?;
    finish(driver, config, ops.len() as u64).map_err(|f| fail(last, f))
}
