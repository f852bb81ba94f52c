//! Shrinking a failing trace by deleting operations, so a failure becomes a
//! short regression test: batches become their requests, then whole kinds of
//! operation go at once, then chunks of halving size (delta debugging). A
//! candidate is kept when it fails with the same [`crate::sim::failure::Failure::signature`].

use super::workload::Op;
use super::{FailedRun, SimConfig, run_trace};

/// Most trace runs a shrink may spend.
pub const BUDGET: usize = 4000;

/// The kinds of operation, in the order the shrinker tries to drop them all:
/// faults first (recovery is the slowest part of a run), then what most
/// failures need least.
const KINDS: &[&str] = &[
    "Fault",
    "Retry",
    "Describe",
    "Invalid",
    "Lock",
    "Unlock",
    "Renew",
    "Protect",
    "Snapshot",
    "DeleteSnapshot",
    "ModifyDisk",
    "Attach",
    "Detach",
    "CreateDisk",
    "DeleteDisk",
    "Route",
    "Unroute",
    "Backend",
    "Unbackend",
    "DeleteMany",
    "Delete",
    "Start",
    "Stop",
    "Advance",
    "Create",
];

struct Shrinker<'a> {
    config: &'a SimConfig,
    signature: String,
    best: FailedRun,
    runs: usize,
    progress: &'a mut dyn FnMut(usize, usize),
}

impl Shrinker<'_> {
    /// Runs a candidate; keeps it when it fails the same way.
    fn attempt(&mut self, candidate: &[Op]) -> bool {
        if self.runs >= BUDGET || candidate.len() >= self.best.trace.len() {
            return false;
        }
        self.runs += 1;
        let kept = match run_trace(self.config, candidate) {
            Err(f) if f.failure.signature() == self.signature => {
                self.best = f;
                true
            }
            _ => false,
        };
        (self.progress)(self.runs, self.best.trace.len());
        kept
    }

    /// Batches become their requests, one by one.
    fn flatten(&mut self) {
        let flat: Vec<Op> = self
            .best
            .trace
            .iter()
            .flat_map(|op| match op {
                Op::Batch { ops } => ops.clone(),
                other => vec![other.clone()],
            })
            .collect();
        if flat.len() != self.best.trace.len() {
            // Longer, but simpler: accepted on its own terms.
            self.runs += 1;
            if let Err(f) = run_trace(self.config, &flat)
                && f.failure.signature() == self.signature
            {
                self.best = f;
            }
        }
    }

    /// Every operation of one kind at once: a long trace loses the kinds
    /// the failure does not need in a few runs instead of thousands.
    fn drop_kinds(&mut self) {
        for kind in KINDS {
            let candidate: Vec<Op> = self
                .best
                .trace
                .iter()
                .filter(|op| op.kind() != *kind)
                .cloned()
                .collect();
            self.attempt(&candidate);
        }
    }

    /// Chunks of halving size, each deleted if the failure stays.
    fn delete_chunks(&mut self) {
        let mut chunk = self.best.trace.len().div_ceil(2).max(1);
        loop {
            let mut i = 0;
            let mut progressed = false;
            while i < self.best.trace.len() && self.runs < BUDGET {
                let trace = &self.best.trace;
                let end = (i + chunk).min(trace.len());
                let candidate: Vec<Op> = trace[..i].iter().chain(&trace[end..]).cloned().collect();
                if self.attempt(&candidate) {
                    progressed = true;
                } else {
                    i += chunk;
                }
            }
            if self.runs >= BUDGET || (chunk == 1 && !progressed) {
                break;
            }
            if !progressed {
                chunk = (chunk / 2).max(1);
            }
        }
    }
}

/// The smallest trace found (within [`BUDGET`] runs) that still fails the
/// same way, with its failure.
pub fn shrink(config: &SimConfig, failed: &FailedRun) -> FailedRun {
    shrink_with_progress(config, failed, &mut |_, _| {})
}

/// [`shrink`], calling `progress` with the runs so far and the length of the
/// shortest failing trace after each run.
pub fn shrink_with_progress(
    config: &SimConfig,
    failed: &FailedRun,
    progress: &mut dyn FnMut(usize, usize),
) -> FailedRun {
    let mut shrinker = Shrinker {
        config,
        signature: failed.failure.signature(),
        best: failed.clone(),
        runs: 0,
        progress,
    };
    shrinker.flatten();
    shrinker.drop_kinds();
    shrinker.delete_chunks();
    shrinker.best
}
