//! The append-only event log: gapless `Seq` from 1, one record per event with
//! a checksum and a hash chain, each group commit's records in one chunk.
//!
//! An [`Append`] stages one commit's records (plus the few other keys the
//! ledger writes with them: idempotency records, nonces, the clock) and
//! [`EventLog::commit`] writes it as one atomic storage batch. Everything
//! else the ledger knows (the live records, the timers, the projections) is
//! derived from the log and kept elsewhere.
//!
//! ```
//! use ecs_ledger::log::EventLog;
//! use ecs_ledger::storage::memory::MemoryStorage;
//! let log = EventLog::open(MemoryStorage::new()).unwrap();
//! assert_eq!(log.head().seq, 0);
//! ```

pub mod append;
pub mod chunk;
pub mod condition;
pub mod frontier;
pub mod keys;
pub mod merkle;
pub mod migrate;
pub mod record;
pub mod schema;
pub mod tree;
pub mod verify;
pub mod witness;

use crate::model::event::Recorded;
use crate::model::time::Timestamp;
use crate::storage::{Batch, Storage, StorageError};

pub use append::Append;
use chunk::ChunkError;
pub use condition::{Condition, Conflict};
use record::RecordError;

/// The format this build writes: 2 (chunks). It reads 1 and 2, and upgrades
/// a format-1 log when it opens one to write ([`migrate`]).
pub const FORMAT: u8 = 2;

/// The position and hash of the last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Seq of the last record (0 when empty).
    pub seq: u64,
    /// Its chain hash ([`record::GENESIS`] when empty).
    pub hash: [u8; 32],
}

impl Head {
    /// The head of an empty log.
    pub const EMPTY: Head = Head {
        seq: 0,
        hash: record::GENESIS,
    };

    /// 40 bytes: seq (u64 BE), then the hash (format 1's `m head` value).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.seq.to_be_bytes().to_vec();
        v.extend_from_slice(&self.hash);
        v
    }

    /// Decodes [`Head::encode`]'s bytes; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 40 {
            return None;
        }
        let seq = u64::from_be_bytes(bytes[..8].try_into().ok()?);
        let hash: [u8; 32] = bytes[8..].try_into().ok()?;
        Some(Self { seq, hash })
    }

    /// The hash as lower-case hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// A log failure.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored record is invalid.
    #[error("record {seq}: {source}")]
    Record {
        /// Its seq.
        seq: u64,
        /// What is wrong.
        source: RecordError,
    },
    /// A stored chunk is invalid.
    #[error("the chunk at seq {seq}: {source}")]
    Chunk {
        /// The seq its key names.
        seq: u64,
        /// What is wrong.
        source: ChunkError,
    },
    /// The log was written by a newer format than this build reads.
    #[error("the log has format version {found}; this build reads up to {supported}")]
    Format {
        /// Version found.
        found: u8,
        /// Newest version this build reads.
        supported: u8,
    },
    /// The metadata and the records disagree.
    #[error("the log is inconsistent: {0} (run `ecs-ledger verify`)")]
    Inconsistent(String),
    /// A record handed to an append is not the next one.
    #[error("record {got} staged after seq {head}: the log only takes the next seq")]
    OutOfOrder {
        /// The head at the time.
        head: u64,
        /// The seq handed in.
        got: u64,
    },
    /// A conditional append was refused.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The store holds fewer records than its witness says were durable: its
    /// files were cut back or replaced by an earlier copy.
    #[error(
        "the log ends at seq {stored} but its head witness says seq {witnessed} was durable: records {first_missing}..={witnessed} are missing",
        first_missing = stored + 1
    )]
    Missing {
        /// The last record the store holds.
        stored: u64,
        /// The last record the witness saw durable.
        witnessed: u64,
    },
    /// The record the witness names is not the one it saw: history was rewritten.
    #[error(
        "record {seq} does not carry the hash the head witness recorded for it: the log was rewritten"
    )]
    Rewritten {
        /// The record.
        seq: u64,
    },
    /// The witness itself is gone or damaged.
    #[error("the head witness ({0}) is {1}")]
    Witness(&'static str, &'static str),
    /// `verify` found the ledger damaged; it stays closed to writes until
    /// a later `verify` finds it intact.
    #[error(
        "`verify` marked this ledger damaged ({0}); it is not written to until `ecs-ledger verify` finds it intact (restore it from a copy, or see `verify --accept-loss`)"
    )]
    MarkedDamaged(String),
}

impl LogError {
    /// The seq of the record at fault, when one is.
    pub fn seq(&self) -> Option<u64> {
        match self {
            LogError::Record { seq, .. } | LogError::Rewritten { seq } => Some(*seq),
            LogError::Chunk { seq, source } => Some(source.seq(*seq)),
            LogError::Missing { stored, .. } => Some(stored + 1),
            _ => None,
        }
    }
}

/// Records checked when a log is opened: the tail must verify (checksums,
/// payloads, the hash chain up to the head) before anything is appended.
pub const TAIL_CHECKED: u64 = 64;

/// The event log over a storage.
#[derive(Debug)]
pub struct EventLog<S: Storage> {
    storage: S,
    head: Head,
    format: u8,
    last_commit: (usize, usize),
    /// The witness as last read or written.
    witness: Option<witness::Mark>,
    /// The Merkle tree's frontier (kept from [`EventLog::open`] on).
    tree: Option<frontier::Frontier>,
}

impl<S: Storage> EventLog<S> {
    /// Opens the log to append to it (upgrading a format-1 log first).
    /// Refuses a log that is not fit to extend: an unknown format, a tail
    /// (the last [`TAIL_CHECKED`] records) that does not verify, a store
    /// shorter than its witness or rewritten under it, or a ledger `verify`
    /// has marked damaged. Never panics on bad bytes.
    pub fn open(storage: S) -> Result<Self, LogError> {
        // The witness before the head: on a store other processes append
        // to, a witness read after the head could name a later record.
        let witness_bytes = storage.witness_read()?;
        let mut log = Self::load(storage, true)?;
        let (checked, witness_bytes) = log.check_witness_again(witness_bytes)?;
        log.witness = checked?;
        if let Some(reason) = witness::damage(&witness_bytes) {
            return Err(LogError::MarkedDamaged(reason));
        }
        log.check_tail(TAIL_CHECKED)?;
        if log.format == 1 {
            migrate::to_format_2(&log.storage, log.head)?;
            log.format = FORMAT;
        } else if log
            .storage
            .range(&[keys::EVENT], Some(&[keys::EVENT + 1]))
            .next()
            .is_some()
        {
            // An upgrade was interrupted after the switch: finish it.
            migrate::remove_format_1_keys(&log.storage)?;
        }
        let (frontier, missing) = tree::resume(&log, log.head.seq)?;
        tree::store_blocks(&log.storage, &missing)?;
        log.tree = Some(frontier);
        Ok(log)
    }

    /// Opens the log to look at it (`verify`, `log`, `replay`): writes
    /// nothing, and reports what the witness and the damage mark say instead
    /// of refusing, so the whole log can still be read and checked.
    pub fn inspect(storage: S) -> Result<Inspected<S>, LogError> {
        let witness_bytes = storage.witness_read()?;
        let mut log = Self::load(storage, false)?;
        let (checked, witness_bytes) = log.check_witness_again(witness_bytes)?;
        let witness = match checked {
            Ok(mark) => {
                log.witness = mark;
                Ok(())
            }
            Err(e) => Err(e),
        };
        let damage_mark = witness::damage(&witness_bytes);
        Ok(Inspected {
            log,
            witness,
            damage_mark,
        })
    }

    /// Checks the witness against the head. On a store other processes
    /// write, a witness that looks missing may have been written, with its
    /// marker, between the two reads: the witness and the head are read
    /// again (in that order) a few times before it counts.
    #[allow(clippy::type_complexity)]
    fn check_witness_again(
        &mut self,
        mut bytes: Vec<u8>,
    ) -> Result<(Result<Option<witness::Mark>, LogError>, Vec<u8>), LogError> {
        let mut tries = 0;
        loop {
            let checked = check_witness(self, &bytes);
            let racy = matches!(
                checked,
                Err(LogError::Witness(_, "missing") | LogError::Missing { .. })
            );
            if !(racy && self.storage.shared() && self.format == FORMAT && tries < 3) {
                return Ok((checked, bytes));
            }
            tries += 1;
            bytes = self.storage.witness_read()?;
            self.head = last_chunk_head(&self.storage)?;
        }
    }

    /// Reads the format (writing it into a fresh store when `create`) and the head.
    fn load(storage: S, create: bool) -> Result<Self, LogError> {
        let format = match storage.get(keys::META_FORMAT)? {
            Some(v) => {
                let found = v.as_ref().first().copied().unwrap_or(0);
                if found > FORMAT || found == 0 {
                    return Err(LogError::Format {
                        found,
                        supported: FORMAT,
                    });
                }
                found
            }
            None if create => {
                let mut b = Batch::new();
                b.put(keys::META_FORMAT.to_vec(), vec![FORMAT]);
                storage.apply(&b)?;
                FORMAT
            }
            None => FORMAT,
        };
        let head = match format {
            1 => migrate::v1_head(&storage)?,
            _ => last_chunk_head(&storage)?,
        };
        Ok(Self {
            storage,
            head,
            format,
            last_commit: (0, 0),
            witness: None,
            tree: None,
        })
    }

    /// The format of the stored log (1 only while inspecting an old log).
    pub fn format(&self) -> u8 {
        self.format
    }

    /// Marks the ledger damaged (in its witness): it will not open for
    /// writing until [`EventLog::clear_damage_mark`], which `verify` calls
    /// once the whole ledger verifies again.
    pub fn mark_damaged(&self, reason: &str) -> Result<(), LogError> {
        let mark = witness::damage_mark(reason);
        self.storage
            .witness_write(witness::MARK_OFFSET, &mark, true)?;
        Ok(())
    }

    /// Clears the damage mark.
    pub fn clear_damage_mark(&self) -> Result<(), LogError> {
        let clear = witness::no_damage_mark();
        self.storage
            .witness_write(witness::MARK_OFFSET, &clear, true)?;
        Ok(())
    }

    /// Accepts the log as it is: records its present head as the durable
    /// one, whatever the witness said (after a loss an operator accepts).
    pub fn reanchor_witness(&mut self) -> Result<(), LogError> {
        let previous = match witness::read(&self.storage.witness_read()?) {
            witness::Reading::Valid(m) => Some(m),
            _ => None,
        };
        let (offset, bytes) = witness::next(previous, self.head);
        self.storage.witness_write(offset, &bytes, true)?;
        // The other slot may hold a later head than the one accepted.
        let (other, again) = witness::next(witness::Mark::decode(&bytes), self.head);
        self.storage.witness_write(other, &again, true)?;
        self.witness = witness::Mark::decode(&again);
        Ok(())
    }

    /// Records the current head in the witness (after a durable commit;
    /// `durable`: make the witness write itself survive power loss too).
    pub fn witness(&mut self, durable: bool) -> Result<(), LogError> {
        if self.storage.shared() {
            // Other processes write the witness too: go on from the newest
            // one, and never move it back to an earlier head.
            if let witness::Reading::Valid(stored) = witness::read(&self.storage.witness_read()?)
                && self.witness.is_none_or(|m| stored.counter > m.counter)
            {
                self.witness = Some(stored);
            }
            if self.witness.is_some_and(|m| m.head.seq >= self.head.seq) {
                return Ok(());
            }
        }
        if self.witness.is_some_and(|m| m.head == self.head) {
            return Ok(());
        }
        let (offset, bytes) = witness::next(self.witness, self.head);
        self.storage.witness_write(offset, &bytes, durable)?;
        if self.witness.is_none() && self.storage.get(keys::META_WITNESSED)?.is_none() {
            // From now on a missing witness file is damage. Written after
            // the file, so the marker never exists without it.
            let mut b = Batch::new();
            b.put(keys::META_WITNESSED.to_vec(), vec![1]);
            self.storage.apply(&b)?;
        }
        self.witness = witness::Mark::decode(&bytes);
        Ok(())
    }

    /// The last record's position and hash.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The Merkle tree of the records so far, kept as they are appended
    /// (`None` for a log opened to look at: see [`tree::resume`]).
    pub fn frontier(&self) -> Option<&frontier::Frontier> {
        self.tree.as_ref()
    }

    /// The storage underneath.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Calls `f` with every record from `from` (inclusive) on, as stored
    /// (split and checksum-checked, not decoded), in order; stops at the
    /// first error, `f`'s included.
    pub fn for_each_raw<E: From<LogError>>(
        &self,
        from: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.format == 1 {
            return migrate::v1_for_each_raw(&self.storage, from, f);
        }
        let from = from.max(1);
        let start = chunk_start(&self.storage, from)?;
        for item in self
            .storage
            .range(&keys::chunk(start), Some(&[keys::LOG + 1]))
        {
            let (k, v) = item.map_err(LogError::from)?;
            let key_seq = keys::chunk_seq(k.as_ref())
                .ok_or_else(|| LogError::Inconsistent("a chunk key of the wrong length".into()))?;
            let chunk_error = |source| LogError::Chunk {
                seq: key_seq,
                source,
            };
            let header = chunk::header(v.as_ref(), key_seq).map_err(chunk_error)?;
            if header.last() < from {
                continue;
            }
            let body = chunk::body(v.as_ref(), header).map_err(chunk_error)?;
            for record in chunk::records(&body, header) {
                let (seq, bytes) = record.map_err(chunk_error)?;
                if seq >= from {
                    f(seq, bytes)?;
                }
            }
        }
        Ok(())
    }

    /// Calls `f` with every record from `from` on, decoded, in order.
    pub fn for_each<E: From<LogError>>(
        &self,
        from: u64,
        mut f: impl FnMut(Recorded) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_raw(from, |seq, bytes| {
            let (recorded, _) =
                record::decode(seq, bytes).map_err(|source| LogError::Record { seq, source })?;
            f(recorded)
        })
    }

    /// The event at `seq`.
    pub fn read(&self, seq: u64) -> Result<Option<Recorded>, LogError> {
        if seq == 0 || seq > self.head.seq {
            return Ok(None);
        }
        let mut found = None;
        let result = self.for_each_raw(seq, |s, bytes| {
            let (recorded, _) =
                record::decode(s, bytes).map_err(|source| LogError::Record { seq: s, source })?;
            found = Some(recorded);
            Err(Stop::Found)
        });
        match result {
            Ok(()) | Err(Stop::Found) => Ok(found),
            Err(Stop::Log(e)) => Err(e),
        }
    }

    /// Events from `from` (inclusive) to the end, in order, read a chunk at a
    /// time (memory is bounded by one chunk, not the log).
    pub fn iter_from(&self, from: u64) -> Iter<'_, S> {
        Iter {
            log: self,
            next: from.max(1),
            buffered: std::collections::VecDeque::new(),
            pending: None,
            done: false,
        }
    }

    /// The ledger clock as of the last commit: the later of the last chunk's
    /// and the stored clock (kept when a commit moved time but wrote no record).
    pub fn stored_clock(&self) -> Result<Option<Timestamp>, LogError> {
        let stored = self.storage.get(keys::META_CLOCK)?.and_then(|v| {
            let b: [u8; 8] = v.as_ref().try_into().ok()?;
            Timestamp::from_unix(i64::from_be_bytes(b))
        });
        let last = match self.format {
            1 => None,
            _ => last_chunk_header(&self.storage)?.and_then(|h| Timestamp::from_unix(h.clock)),
        };
        Ok(stored.max(last))
    }

    /// Checks a conditional append's condition against the stored log: no
    /// record after `condition.after` carries one of its tags (the Dynamic
    /// Consistency Boundary check). A single writer never needs it (nothing
    /// it did not decide is appended); writers sharing a log do.
    pub fn check(&self, condition: &Condition) -> Result<(), LogError> {
        if condition.after >= self.head.seq {
            return Ok(());
        }
        self.for_each(condition.after + 1, |recorded| -> Result<(), LogError> {
            let tags = recorded.event.tags();
            match condition
                .tags
                .iter()
                .find(|t| tags.contains(&Some(t.as_str())))
            {
                Some(tag) => Err(Conflict {
                    tag: tag.clone(),
                    expected: condition.after,
                    actual: recorded.seq,
                }
                .into()),
                None => Ok(()),
            }
        })
    }

    /// Keys and bytes of the last commit's batch.
    pub fn last_commit_size(&self) -> (usize, usize) {
        self.last_commit
    }

    /// Starts staging an append at the current head.
    pub fn begin(&self) -> Append {
        Append::new(self.head, self.tree.clone())
    }

    /// Writes everything staged in `append`, atomically, and moves the head.
    /// Nothing is written when the append is empty.
    pub fn commit(&mut self, append: Append) -> Result<Head, LogError> {
        assert!(
            self.format == FORMAT,
            "a log is upgraded before it is written"
        );
        let (batch, head, tree) = append.into_batch();
        if batch.is_empty() {
            self.last_commit = (0, 0);
            return Ok(self.head);
        }
        assert!(head.seq >= self.head.seq, "the head never moves backwards");
        self.last_commit = (batch.len(), batch.byte_size());
        self.storage.apply(&batch)?;
        self.head = head;
        self.tree = tree;
        Ok(self.head)
    }

    /// Reads what other processes appended after this log's head (a store
    /// several processes append to: see [`Storage::shared`]), checks it
    /// (chunk headers, record checksums and payloads, gapless seqs, the hash
    /// chain from this log's head hash), and moves the head and the Merkle
    /// frontier past it. Returns the records, in order, and the clock of the
    /// last chunk read. Called with the append lock held, so that nothing
    /// is appended meanwhile; the caller folds the records into its state.
    ///
    /// ```
    /// use ecs_ledger::ledger::{Config, Request, inline::Inline};
    /// use ecs_ledger::log::EventLog;
    /// use ecs_ledger::storage::memory::MemoryStorage;
    /// let storage = MemoryStorage::new();
    /// let mut behind = EventLog::open(storage.clone()).unwrap();
    /// let mut ledger = Inline::open(storage, Config::seeded(1)).unwrap();
    /// ledger.execute(Request::new("CreateDisk", [("Size", "20")])).unwrap();
    /// let (records, _) = behind.catch_up().unwrap();
    /// assert_eq!(records.len(), 1);
    /// assert_eq!(behind.head(), ledger.head());
    /// ```
    pub fn catch_up(&mut self) -> Result<(Vec<Recorded>, Option<Timestamp>), LogError> {
        let mut records = Vec::new();
        if self.format != FORMAT {
            return Ok((records, None));
        }
        let mut head = self.head;
        let mut tree = self.tree.clone();
        let mut clock = None;
        // Chunks hold whole commits and this head ends one: the next
        // chunk's key is the next seq.
        let start = keys::chunk(head.seq + 1);
        for item in self.storage.range(&start, Some(&[keys::LOG + 1])) {
            let (k, v) = item?;
            let key_seq = keys::chunk_seq(k.as_ref())
                .ok_or_else(|| LogError::Inconsistent("a chunk key of the wrong length".into()))?;
            let chunk_error = |source| LogError::Chunk {
                seq: key_seq,
                source,
            };
            if key_seq != head.seq + 1 {
                return Err(LogError::Inconsistent(format!(
                    "record {} is missing (the next chunk starts at {key_seq})",
                    head.seq + 1
                )));
            }
            let header = chunk::header(v.as_ref(), key_seq).map_err(chunk_error)?;
            let body = chunk::body(v.as_ref(), header).map_err(chunk_error)?;
            for record in chunk::records(&body, header) {
                let (seq, bytes) = record.map_err(chunk_error)?;
                if seq != head.seq + 1 {
                    return Err(LogError::Inconsistent(format!(
                        "record {} is missing (found {seq})",
                        head.seq + 1
                    )));
                }
                let (recorded, _) = record::decode(seq, bytes)
                    .map_err(|source| LogError::Record { seq, source })?;
                let hash = record::check_chain(&head.hash, bytes)
                    .map_err(|source| LogError::Record { seq, source })?;
                if let Some(frontier) = &mut tree {
                    // The writer that completed a block stored its root.
                    let _ = frontier.push(merkle::leaf_hash(bytes), tree::BLOCK_HEIGHT);
                }
                head = Head { seq, hash };
                records.push(recorded);
            }
            clock = clock.max(Timestamp::from_unix(header.clock));
        }
        self.head = head;
        self.tree = tree;
        Ok((records, clock))
    }

    /// Checks the last `n` records: each well formed with its checksum,
    /// gapless, and chained up to the head's hash.
    fn check_tail(&self, n: u64) -> Result<(), LogError> {
        if self.head.seq == 0 {
            return Ok(());
        }
        let first = self.head.seq.saturating_sub(n).max(1);
        let mut prev: Option<[u8; 32]> = (first == 1).then_some(record::GENESIS);
        let mut expected = first.saturating_sub(1).max(1);
        let head = self.head.seq;
        self.for_each_raw(expected, |seq, bytes| {
            if seq > head {
                // Appended since the head was read (another process).
                return Ok(());
            }
            if seq != expected {
                return Err(LogError::Inconsistent(format!(
                    "record {expected} is missing"
                )));
            }
            expected += 1;
            match prev {
                // The record before the checked ones: only its hash is needed.
                None => {
                    let parts =
                        record::split(bytes).map_err(|source| LogError::Record { seq, source })?;
                    prev = Some(parts.hash);
                }
                Some(p) => {
                    record::decode(seq, bytes)
                        .map_err(|source| LogError::Record { seq, source })?;
                    prev = Some(
                        record::check_chain(&p, bytes)
                            .map_err(|source| LogError::Record { seq, source })?,
                    );
                }
            }
            Ok(())
        })?;
        if prev != Some(self.head.hash) || expected != self.head.seq + 1 {
            return Err(LogError::Inconsistent(format!(
                "the chain does not end at the head hash of seq {}",
                self.head.seq
            )));
        }
        Ok(())
    }
}

/// Ends a scan early.
enum Stop {
    Found,
    Log(LogError),
}

impl From<LogError> for Stop {
    fn from(e: LogError) -> Self {
        Stop::Log(e)
    }
}

/// The events of a log from some seq on, read [`ITER_BATCH`] at a time.
#[derive(Debug)]
pub struct Iter<'a, S: Storage> {
    log: &'a EventLog<S>,
    next: u64,
    buffered: std::collections::VecDeque<Recorded>,
    pending: Option<LogError>,
    done: bool,
}

/// Records decoded per step of an [`Iter`].
pub const ITER_BATCH: usize = 1024;

impl<S: Storage> Iter<'_, S> {
    /// Decodes the next records into the buffer; an error is handed out
    /// after the records that decoded before it.
    fn fill(&mut self) {
        let mut batch = std::collections::VecDeque::with_capacity(ITER_BATCH);
        let result = self.log.for_each_raw(self.next, |seq, bytes| {
            let (recorded, _) =
                record::decode(seq, bytes).map_err(|source| LogError::Record { seq, source })?;
            batch.push_back(recorded);
            if batch.len() >= ITER_BATCH {
                return Err(Stop::Found);
            }
            Ok(())
        });
        if let Err(Stop::Log(e)) = result {
            self.pending = Some(e);
        }
        match batch.back() {
            Some(last) => self.next = last.seq + 1,
            None => self.done = true,
        }
        self.buffered = batch;
    }
}

impl<S: Storage> Iterator for Iter<'_, S> {
    type Item = Result<Recorded, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buffered.pop_front() {
                return Some(Ok(r));
            }
            if let Some(e) = self.pending.take() {
                self.done = true;
                return Some(Err(e));
            }
            if self.done || self.next > self.log.head.seq {
                return None;
            }
            self.fill();
        }
    }
}

/// A log opened to be looked at, with what its witness says.
#[derive(Debug)]
pub struct Inspected<S: Storage> {
    /// The log.
    pub log: EventLog<S>,
    /// Whether the store agrees with its witness (the error says how not).
    pub witness: Result<(), LogError>,
    /// The damage an earlier `verify` recorded, if any.
    pub damage_mark: Option<String>,
}

/// The first seq of the chunk holding `seq` (or of the first chunk after it).
fn chunk_start<S: Storage>(storage: &S, seq: u64) -> Result<u64, LogError> {
    let end = keys::chunk(seq.saturating_add(1));
    Ok(storage
        .last_in(&keys::chunk(0), &end)?
        .and_then(|(k, _)| keys::chunk_seq(k.as_ref()))
        .unwrap_or(seq))
}

/// The header of the last chunk, if any.
fn last_chunk_header<S: Storage>(storage: &S) -> Result<Option<chunk::Header>, LogError> {
    let Some((k, v)) = storage.last_in(&keys::chunk(0), &[keys::LOG + 1])? else {
        return Ok(None);
    };
    let seq = keys::chunk_seq(k.as_ref())
        .ok_or_else(|| LogError::Inconsistent("a chunk key of the wrong length".into()))?;
    chunk::header(v.as_ref(), seq)
        .map(Some)
        .map_err(|source| LogError::Chunk { seq, source })
}

/// The head of a format-2 log: the last record of its last chunk.
fn last_chunk_head<S: Storage>(storage: &S) -> Result<Head, LogError> {
    let Some((k, v)) = storage.last_in(&keys::chunk(0), &[keys::LOG + 1])? else {
        return Ok(Head::EMPTY);
    };
    let key_seq = keys::chunk_seq(k.as_ref())
        .ok_or_else(|| LogError::Inconsistent("a chunk key of the wrong length".into()))?;
    let chunk_error = |source| LogError::Chunk {
        seq: key_seq,
        source,
    };
    let header = chunk::header(v.as_ref(), key_seq).map_err(chunk_error)?;
    let body = chunk::body(v.as_ref(), header).map_err(chunk_error)?;
    let mut head = None;
    for record in chunk::records(&body, header) {
        let (seq, bytes) = record.map_err(chunk_error)?;
        let parts = record::split(bytes).map_err(|source| LogError::Record { seq, source })?;
        head = Some(Head {
            seq,
            hash: parts.hash,
        });
    }
    head.ok_or_else(|| LogError::Inconsistent("the last chunk holds no record".into()))
}

/// Compares the store's head with its witness: the store may be ahead by the
/// commit a crash interrupted, never behind, and the record the witness
/// names must carry the hash it recorded.
fn check_witness<S: Storage>(
    log: &EventLog<S>,
    bytes: &[u8],
) -> Result<Option<witness::Mark>, LogError> {
    let storage = &log.storage;
    let mark = match witness::read(bytes) {
        witness::Reading::Absent => {
            if storage.get(keys::META_WITNESSED)?.is_some() {
                return Err(LogError::Witness(WITNESS_NAME, "missing"));
            }
            return Ok(None);
        }
        witness::Reading::Unreadable => return Err(LogError::Witness(WITNESS_NAME, "unreadable")),
        witness::Reading::Valid(mark) => mark,
    };
    if mark.head.seq > log.head.seq {
        return Err(LogError::Missing {
            stored: log.head.seq,
            witnessed: mark.head.seq,
        });
    }
    if mark.head.seq > 0 {
        let seq = mark.head.seq;
        let mut hash = None;
        log.for_each_raw(seq, |s, bytes| {
            if s == seq {
                hash = Some(
                    record::split(bytes)
                        .map_err(|source| LogError::Record { seq, source })?
                        .hash,
                );
            }
            Err(Stop::Found)
        })
        .or_else(|e| match e {
            Stop::Found => Ok(()),
            Stop::Log(e) => Err(e),
        })?;
        if hash != Some(mark.head.hash) {
            return Err(LogError::Rewritten { seq });
        }
    }
    Ok(Some(mark))
}

/// How errors name the witness.
const WITNESS_NAME: &str = "head.witness";
