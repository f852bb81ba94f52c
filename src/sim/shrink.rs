//! Shrinking a failing trace by deleting steps (delta debugging), so a
//! failure becomes a short regression test.

use super::workload::Op;
use super::{Failure, SimConfig, run_trace};

/// Most trace runs a shrink may spend.
pub const BUDGET: usize = 4000;

/// The smallest trace found that still fails the same way (same
/// [`Failure::kind`]), with its failure.
pub fn shrink(config: &SimConfig, failure: &Failure) -> (Vec<Op>, Failure) {
    let kind = failure.kind().to_owned();
    let mut best = failure.trace.clone();
    let mut best_failure = failure.clone();
    let mut runs = 0;
    let still_fails = |ops: &[Op], runs: &mut usize| -> Option<Failure> {
        *runs += 1;
        match run_trace(config, ops) {
            Err(f) if f.kind() == kind => Some(f),
            _ => None,
        }
    };
    // Batches first become their requests, one by one.
    let flat: Vec<Op> = best
        .iter()
        .flat_map(|op| match op {
            Op::Batch { ops } => ops.clone(),
            other => vec![other.clone()],
        })
        .collect();
    if flat.len() != best.len()
        && let Some(f) = still_fails(&flat, &mut runs)
    {
        best = f.trace.clone();
        best_failure = f;
    }
    let mut chunk = best.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        let mut progressed = false;
        while i < best.len() && runs < BUDGET {
            let end = (i + chunk).min(best.len());
            let candidate: Vec<Op> = best[..i].iter().chain(&best[end..]).cloned().collect();
            match still_fails(&candidate, &mut runs) {
                Some(f) => {
                    best = f.trace.clone();
                    best_failure = f;
                    progressed = true;
                }
                None => i += chunk,
            }
        }
        if runs >= BUDGET || (chunk == 1 && !progressed) {
            break;
        }
        if !progressed {
            chunk = (chunk / 2).max(1);
        }
    }
    (best, best_failure)
}
