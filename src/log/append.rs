//! Staging one commit: its records (encoded, chained, packed into a chunk)
//! and the few other keys written with them.

use super::frontier::Frontier;
use super::record::{self};
use super::{Head, LogError, chunk, keys, merkle, tree};
use crate::model::event::Recorded;
use crate::model::time::Timestamp;
use crate::storage::Batch;

/// Records and keys staged for one atomic commit.
#[derive(Debug)]
pub struct Append {
    head: Head,
    /// The chunk being filled: its bytes, first seq and record count.
    open: Option<(Vec<u8>, u64, u32)>,
    /// Time of the last record staged.
    last_time: Option<Timestamp>,
    batch: Batch,
    clock: Option<Timestamp>,
    records: usize,
    /// The Merkle frontier, with the staged records' leaves.
    tree: Option<Frontier>,
}

impl Append {
    /// An append at `head`.
    pub(crate) fn new(head: Head, tree: Option<Frontier>) -> Self {
        Self {
            tree,
            head,
            open: None,
            last_time: None,
            batch: Batch::new(),
            clock: None,
            records: 0,
        }
    }

    /// The head as it will be after the staged records.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Number of staged records.
    pub fn records(&self) -> usize {
        self.records
    }

    /// True when nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.records == 0 && self.batch.is_empty() && self.clock.is_none()
    }

    /// Keys staged so far (chunks sealed, other keys).
    pub fn keys(&self) -> usize {
        self.batch.len() + usize::from(self.open.is_some())
    }

    /// Stages one record: it must be the next `Seq`. Encodes it, chains it
    /// to the one before, and packs it into the commit's chunk.
    pub fn record(&mut self, recorded: &Recorded) -> Result<(), LogError> {
        if recorded.seq != self.head.seq + 1 {
            return Err(LogError::OutOfOrder {
                head: self.head.seq,
                got: recorded.seq,
            });
        }
        let seq = recorded.seq;
        let (bytes, hash) = record::encode(recorded, &self.head.hash)
            .map_err(|source| LogError::Record { seq, source })?;
        let (chunk_bytes, _, count) = self.open.get_or_insert_with(|| (Vec::new(), seq, 0));
        chunk_bytes.extend_from_slice(&bytes);
        *count += 1;
        if let Some(frontier) = &mut self.tree
            && let Some(block) = frontier.push(merkle::leaf_hash(&bytes), tree::BLOCK_HEIGHT)
        {
            let index = frontier.size() / tree::BLOCK_LEAVES - 1;
            self.batch
                .put(tree::block_key(index).to_vec(), block.to_vec());
        }
        let full =
            *count as usize >= chunk::RECORDS_MAX || chunk_bytes.len() >= chunk::BYTES_TARGET;
        self.head = Head { seq, hash };
        self.last_time = Some(recorded.time);
        self.records += 1;
        if full {
            self.seal(recorded.time);
        }
        Ok(())
    }

    /// Seals the open chunk into the batch.
    fn seal(&mut self, clock: Timestamp) {
        if let Some((records, first, count)) = self.open.take() {
            let bytes = chunk::seal(first, count, clock.unix(), &records);
            self.batch.create(keys::chunk(first).to_vec(), bytes);
        }
    }

    /// Stages any other key written with the records (idempotency records,
    /// nonces).
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.batch.put(key, value);
    }

    /// Stages the removal of a key.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.batch.remove(key);
    }

    /// Stages the ledger clock.
    pub fn set_clock(&mut self, clock: Timestamp) {
        self.clock = Some(clock);
    }

    /// The batch to write, the head after it, and the Merkle frontier. The
    /// clock travels in the last chunk's header, or alone when the commit
    /// wrote no record.
    pub(crate) fn into_batch(mut self) -> (Batch, Head, Option<Frontier>) {
        let clock = self.clock.max(self.last_time);
        match (self.open.is_some(), clock) {
            (true, Some(clock)) => self.seal(clock),
            (false, Some(clock)) => {
                self.batch.put(
                    keys::META_CLOCK.to_vec(),
                    clock.unix().to_be_bytes().to_vec(),
                );
            }
            (_, None) => {}
        }
        (self.batch, self.head, self.tree)
    }
}
