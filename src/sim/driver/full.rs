//! Checks of everything at once. The live check compares every live record
//! (oracle, fold of the log, the ledger's inventory): it costs the live
//! population, which upkeep bounds. The full check adds the whole log, read
//! once: Seq gapless from 1, the hash chain, every record decoded and folded
//! from scratch into the live fold, the state checkpoint equal to the fold
//! at its seq. It costs the log's length, so a run does it at doubling
//! intervals (see [`crate::sim::SimConfig::full_check_first_steps`]); the last
//! one also runs the product's own `verify` and checkpoint check.

use super::Driver;
use crate::ledger::checkpoint::{self, Manifest};
use crate::log::{EventLog, Head, LogError, record};
use crate::model::State;
use crate::model::state::evolve;
use crate::sim::failure::Failure;
use crate::storage::memory::MemoryStorage;

/// The log as one pass over it found it.
struct Replayed {
    state: State,
    head: Head,
}

impl Driver {
    /// Every live record: oracle == fold of the log == inventory.
    pub fn live_check(&mut self) -> Result<(), Failure> {
        let o = &self.oracle;
        let f = &self.folded;
        let ids: Vec<String> = o
            .instances
            .keys()
            .chain(o.disks.keys())
            .chain(o.snapshots.keys())
            .chain(o.tables.keys())
            .chain(o.lbs.keys())
            .cloned()
            .chain(f.instances.keys().map(|k| k.to_string()))
            .chain(f.disks.keys().map(|k| k.to_string()))
            .chain(f.snapshots.keys().map(|k| k.to_string()))
            .chain(f.route_tables.keys().map(|k| k.to_string()))
            .chain(f.load_balancers.keys().map(|k| k.to_string()))
            .collect();
        for id in &ids {
            self.agree(id)?;
        }
        let Some(ledger) = &self.ledger else {
            return Err(Failure::Ledger("the ledger is not open".into()));
        };
        if ledger.world().state() != &self.folded {
            return Err(Failure::invariant(
                "the live records are not the fold of the log",
            ));
        }
        self.counters.checks += ids.len() as u64 + 1;
        Ok(())
    }

    /// The live check, and the whole log read once (see the module). With
    /// `last`, also the product's `verify` and checkpoint check.
    pub fn full_check(&mut self, last: bool) -> Result<(), Failure> {
        self.live_check()?;
        // Opened afresh: a checkpoint and `verify` are held to the head
        // found at opening.
        let log = EventLog::inspect(self.storage.clone())?.log;
        let checkpoint = match checkpoint::read(&log) {
            Ok(found) => found,
            Err(e) => return Err(Failure::invariant(format!("the state checkpoint: {e}"))),
        };
        let replayed = replay_log(&log, checkpoint.as_ref())?;
        if replayed.head != self.head {
            let what = format!(
                "the log ends at {}, the head is {}",
                replayed.head.seq, self.head.seq
            );
            return Err(Failure::invariant(what));
        }
        if replayed.state != self.folded {
            return Err(Failure::invariant(
                "a replay of the stored log differs from the live fold",
            ));
        }
        if last {
            self.product_checks(&log)?;
        }
        self.counters.checks += replayed.head.seq + 1;
        self.counters.full_checks += 1;
        Ok(())
    }

    /// The checks `ecs-ledger verify` runs, as the product runs them.
    fn product_checks(&self, log: &EventLog<MemoryStorage>) -> Result<(), Failure> {
        let broken = |e: String| Failure::invariant(e);
        let report = crate::log::verify::verify(log, |_| {}).map_err(|e| broken(e.to_string()))?;
        if report.head != self.head {
            return Err(broken("verify's head is not the ledger's".into()));
        }
        crate::projection::check::check_state(log).map_err(|e| broken(e.to_string()))?;
        Ok(())
    }
}

/// Reads the whole log once: gapless, chained, decoded and folded from
/// scratch; the checkpoint compared with the fold at its seq.
fn replay_log(
    log: &EventLog<MemoryStorage>,
    checkpoint: Option<&(Manifest, State)>,
) -> Result<Replayed, Failure> {
    let mut state = State::new();
    let mut head = Head::EMPTY;
    log.for_each_raw(1, |seq, bytes| -> Result<(), Failure> {
        if seq != head.seq + 1 {
            return Err(Failure::invariant(format!(
                "seq {} is missing",
                head.seq + 1
            )));
        }
        let broken = |e: record::RecordError| Failure::invariant(format!("record {seq}: {e}"));
        let hash = record::check_chain(&head.hash, bytes).map_err(broken)?;
        let (recorded, _) = record::decode(seq, bytes).map_err(broken)?;
        evolve(&mut state, &recorded)
            .map_err(|e| Failure::invariant(format!("the log does not fold: {e}")))?;
        head = Head { seq, hash };
        match checkpoint {
            Some((m, stored)) if m.head.seq == seq && (m.head != head || stored != &state) => {
                let what = format!("the state checkpoint at seq {seq} is not the fold of the log");
                Err(Failure::invariant(what))
            }
            _ => Ok(()),
        }
    })?;
    Ok(Replayed { state, head })
}

impl From<LogError> for Failure {
    fn from(e: LogError) -> Self {
        Failure::Invariant(e.to_string())
    }
}
