//! The log read back as stored, independently of the ledger: the records a
//! step appended must follow the head gaplessly and extend its hash chain.

use super::Driver;
use crate::log::{Head, LogError, record};
use crate::model::event::Recorded;
use crate::sim::failure::Failure;

impl Driver {
    /// The stored records from `from` on, as stored.
    pub(super) fn stored_from(&self, from: u64) -> Result<Vec<(u64, Vec<u8>)>, Failure> {
        let mut out = Vec::new();
        self.reader
            .for_each_raw(from, |seq, bytes| -> Result<(), LogError> {
                out.push((seq, bytes.to_vec()));
                Ok(())
            })
            .map_err(|e| Failure::invariant(e.to_string()))?;
        Ok(out)
    }

    /// The stored record `seq`, as stored.
    pub(super) fn stored_record(&self, seq: u64) -> Result<Option<Vec<u8>>, Failure> {
        Ok(self
            .stored_from(seq)?
            .into_iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, b)| b))
    }

    /// The records appended since the last step: gapless, chained, ending
    /// at the ledger's head. Moves the driver's head there.
    pub(super) fn new_records(&mut self) -> Result<Vec<Recorded>, Failure> {
        let head = self.ledger()?.head();
        let mut out = Vec::new();
        let mut prev = self.head;
        self.reader
            .for_each_raw(self.head.seq + 1, |seq, bytes| -> Result<(), Failure> {
                if seq != prev.seq + 1 {
                    let what = format!("seq {} is missing (the log has a gap)", prev.seq + 1);
                    return Err(Failure::invariant(what));
                }
                let broken =
                    |e: record::RecordError| Failure::invariant(format!("record {seq}: {e}"));
                let hash = record::check_chain(&prev.hash, bytes).map_err(broken)?;
                let (recorded, _) = record::decode(seq, bytes).map_err(broken)?;
                prev = Head { seq, hash };
                out.push(recorded);
                Ok(())
            })?;
        if prev != head {
            let what = format!(
                "the head {} does not match the chain {}",
                head.seq, prev.seq
            );
            return Err(Failure::invariant(what));
        }
        self.counters.checks += out.len() as u64;
        self.head = head;
        Ok(out)
    }
}
