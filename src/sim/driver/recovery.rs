//! Faults and recovery: the process dies, a write fails or is torn, an
//! unacknowledged write survives, an answer is lost. Whatever happens,
//! nothing acknowledged may be lost, and nothing unacknowledged may be
//! half there.

use std::sync::Arc;

use super::request::Sent;
use super::tokens::key;
use super::{Driver, ledger_config};
use crate::ledger::inline::Inline;
use crate::log::{LogError, record};
use crate::sim::failure::Failure;
use crate::sim::faults::FaultKind;
use crate::sim::oracle::Due;
use crate::sim::workload::Op;
use crate::storage::memory::Crash;

impl Driver {
    fn reopen(&mut self) -> Result<(), Failure> {
        self.ledger = None;
        let ledger = Inline::open(self.storage.clone(), ledger_config(self.config.seed))
            .map_err(|e| Failure::Ledger(format!("reopen after a crash failed: {e}")))?;
        self.ledger = Some(ledger);
        self.counters.restarts += 1;
        Ok(())
    }

    fn count_fault(&mut self, kind: FaultKind) {
        *self.counters.coverage.faults.entry(kind).or_default() += 1;
    }

    /// The process dies between requests: every acknowledged record must
    /// be there after recovery, unchanged, and nothing more.
    pub(super) fn crash(&mut self) -> Result<(), Failure> {
        let acked = self.head;
        self.ledger = None;
        self.storage.crash(Crash::KeepPrefixTearNext { kept: 0 });
        self.reopen()?;
        self.count_fault(FaultKind::Crash);
        let head = self.ledger()?.head();
        if head.seq < acked.seq {
            let what = format!(
                "a crash lost acknowledged events: head {} < {}",
                head.seq, acked.seq
            );
            return Err(Failure::Lost(what));
        }
        if acked.seq > 0 {
            let lost =
                || Failure::Lost(format!("acknowledged record {} lost in a crash", acked.seq));
            let bytes = self.stored_record(acked.seq)?.ok_or_else(lost)?;
            let parts = record::split(&bytes).map_err(|e| Failure::invariant(e.to_string()))?;
            if parts.hash != acked.hash {
                let what = format!("acknowledged record {} changed in a crash", acked.seq);
                return Err(Failure::Lost(what));
            }
        }
        if head != acked {
            let what = format!(
                "a crash changed the head from {} to {}",
                acked.seq, head.seq
            );
            return Err(Failure::invariant(what));
        }
        Ok(())
    }

    /// Arms the storage for a fault that strikes the next commit.
    pub(super) fn storage_faults(&self, fault: Option<FaultKind>) {
        match fault {
            Some(FaultKind::FailedWrite) => self.storage.fail_next_writes(1),
            Some(FaultKind::TornWrite | FaultKind::UnackedWrite) => {
                self.storage.fail_next_flushes(1)
            }
            _ => {}
        }
    }

    /// A lost answer is retried with the same ClientToken: a request that
    /// has none gets one (queries and malformed requests are not retried).
    pub(super) fn ensure_token(&mut self, sent: &mut Sent) {
        let skip = matches!(
            sent.op,
            Op::Invalid { .. } | Op::Describe { .. } | Op::History { .. }
        );
        if skip || key(&sent.request).is_some() {
            return;
        }
        self.lost_tokens += 1;
        let token = format!("lost-{}", self.lost_tokens);
        sent.request.params.insert("ClientToken", token);
    }

    /// The ledger stopped on an injected storage fault: the process dies and
    /// recovers. A torn or failed write leaves nothing of the request; an
    /// unacknowledged one that reached the disk is there whole, as predicted.
    pub(super) fn recover(
        &mut self,
        fault: Option<FaultKind>,
        sent: &Sent,
        transitions: &[Due],
        why: &Arc<LogError>,
    ) -> Result<(), Failure> {
        let Some(kind) = fault.filter(|k| *k != FaultKind::LostAnswer) else {
            return Err(Failure::Ledger(format!(
                "the ledger stopped without a fault: {why}"
            )));
        };
        self.count_fault(kind);
        let keep = match kind {
            FaultKind::UnackedWrite => Crash::KeepPrefixTearNext { kept: 1 },
            FaultKind::TornWrite => Crash::KeepPrefixTearNext { kept: 0 },
            _ => Crash::LoseUnflushed,
        };
        self.ledger = None;
        self.storage.crash(keep);
        self.reopen()?;
        let records = self.new_records()?;
        if kind != FaultKind::UnackedWrite {
            if !records.is_empty() {
                let what = format!(
                    "{kind} left {} records of an unacknowledged request",
                    records.len()
                );
                return Err(Failure::invariant(what));
            }
            return Ok(());
        }
        let rest = self.check_transitions(transitions, &records)?;
        let expected = self.expect(sent);
        self.check_unacked(sent, expected, rest)
    }
}
