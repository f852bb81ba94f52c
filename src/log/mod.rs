//! The append-only event log: gapless `Seq` from 1, one record per event with
//! a checksum and a hash chain, a tag index, conditional appends.
//!
//! An [`Append`] stages one or more commands' events (plus any other keys the
//! ledger writes with them) and [`EventLog::commit`] writes it as one atomic
//! storage batch together with the new head.
//!
//! ```
//! use ecs_ledger::log::EventLog;
//! use ecs_ledger::storage::memory::MemoryStorage;
//! let log = EventLog::open(MemoryStorage::new()).unwrap();
//! assert_eq!(log.head().seq, 0);
//! ```

pub mod condition;
pub mod keys;
pub mod record;
pub mod verify;
pub mod witness;

use std::collections::{BTreeSet, HashMap};

use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, EventId, RequestId};
use crate::model::time::Timestamp;
use crate::storage::{Batch, Storage, StorageError};

pub use condition::{Condition, Conflict};
use record::RecordError;

/// The position and hash of the last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Seq of the last record (0 when empty).
    pub seq: u64,
    /// Its chain hash ([`record::GENESIS`] when empty).
    pub hash: [u8; 32],
}

impl Head {
    /// 40 bytes: seq (u64 BE), then the hash (the `m head` value).
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

/// Records checked when a log is opened: the tail must verify (checksums,
/// payloads, the hash chain up to the head) before anything is appended.
pub const TAIL_CHECKED: u64 = 64;

/// The event log over a storage.
#[derive(Debug)]
pub struct EventLog<S: Storage> {
    storage: S,
    head: Head,
    last_commit: (usize, usize),
    /// The witness as last read or written.
    witness: Option<witness::Mark>,
}

impl<S: Storage> EventLog<S> {
    /// Opens the log to append to it. Refuses a log that is not fit to
    /// extend: an unknown format, a head that is not the last record, a tail
    /// (the last [`TAIL_CHECKED`] records) that does not verify, a store
    /// shorter than its witness or rewritten under it, or a ledger `verify`
    /// has marked damaged. Never panics on bad bytes.
    pub fn open(storage: S) -> Result<Self, LogError> {
        let mut log = Self::load(storage, true)?;
        check_tail(&log.storage, log.head, TAIL_CHECKED)?;
        let witness_bytes = log.storage.witness_read()?;
        log.witness = check_witness(&log.storage, log.head, &witness_bytes)?;
        if let Some(reason) = witness::damage(&witness_bytes) {
            return Err(LogError::MarkedDamaged(reason));
        }
        Ok(log)
    }

    /// Opens the log to look at it (`verify`, `log`, `replay`): writes
    /// nothing, and reports what the witness and the damage mark say instead
    /// of refusing, so the whole log can still be read and checked.
    pub fn inspect(storage: S) -> Result<Inspected<S>, LogError> {
        let mut log = Self::load(storage, false)?;
        let witness_bytes = log.storage.witness_read()?;
        let witness = match check_witness(&log.storage, log.head, &witness_bytes) {
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

    /// Checks the format version (writing it into a fresh store when
    /// `create`), and that the head metadata names the last record.
    fn load(storage: S, create: bool) -> Result<Self, LogError> {
        match storage.get(keys::META_FORMAT)? {
            Some(v) => {
                let found = v.as_ref().first().copied().unwrap_or(0);
                if found > record::FORMAT_VERSION || found == 0 {
                    return Err(LogError::Format {
                        found,
                        supported: record::FORMAT_VERSION,
                    });
                }
            }
            None if create => {
                let mut b = Batch::new();
                b.put(keys::META_FORMAT.to_vec(), vec![record::FORMAT_VERSION]);
                storage.apply(&b)?;
            }
            None => {}
        }
        let head = match storage.get(keys::META_HEAD)? {
            Some(v) => Head::decode(v.as_ref())
                .ok_or_else(|| LogError::Inconsistent("head metadata is malformed".into()))?,
            None => Head {
                seq: 0,
                hash: record::GENESIS,
            },
        };
        // The last record must be the head, with the head's hash; nothing after it.
        if head.seq > 0 {
            let bytes = storage.get(&keys::event(head.seq))?.ok_or_else(|| {
                LogError::Inconsistent(format!("head record {} is missing", head.seq))
            })?;
            let parts = record::split(bytes.as_ref()).map_err(|source| LogError::Record {
                seq: head.seq,
                source,
            })?;
            if parts.hash != head.hash {
                return Err(LogError::Inconsistent(format!(
                    "head record {} does not carry the head hash",
                    head.seq
                )));
            }
        }
        let after = keys::event(head.seq.saturating_add(1));
        let end = [keys::EVENT + 1];
        if let Some((k, _)) = storage.last_in(&after, &end)? {
            return Err(LogError::Inconsistent(format!(
                "records after the head {}: {:?}",
                head.seq,
                keys::event_seq(k.as_ref())
            )));
        }
        Ok(Self {
            storage,
            head,
            last_commit: (0, 0),
            witness: None,
        })
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
        let previous = witness::read(&self.storage.witness_read()?);
        let previous = match previous {
            witness::Reading::Valid(m) => Some(m),
            _ => None,
        };
        let (offset, bytes) = witness::next(previous, self.head);
        self.storage.witness_write(offset, &bytes, true)?;
        // The other slot may hold a later head than the one accepted.
        let (other, bytes_again) = witness::next(witness::Mark::decode(&bytes), self.head);
        self.storage.witness_write(other, &bytes_again, true)?;
        self.witness = witness::Mark::decode(&bytes_again);
        Ok(())
    }

    /// Records the current head in the witness (after a durable commit;
    /// `durable`: make the witness write itself survive power loss too).
    pub fn witness(&mut self, durable: bool) -> Result<(), LogError> {
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

    /// The storage underneath.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The event at `seq`.
    pub fn read(&self, seq: u64) -> Result<Option<Recorded>, LogError> {
        match self.storage.get(&keys::event(seq))? {
            None => Ok(None),
            Some(bytes) => record::decode(seq, bytes.as_ref())
                .map(|(r, _)| Some(r))
                .map_err(|source| LogError::Record { seq, source }),
        }
    }

    /// Events from `from` (inclusive) to the end, in order.
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = Result<Recorded, LogError>> + '_ {
        let start = keys::event(from.max(1));
        self.storage
            .range(&start, Some(&[keys::EVENT + 1]))
            .map(|item| {
                let (k, v) = item?;
                let seq = keys::event_seq(k.as_ref()).ok_or_else(|| {
                    LogError::Inconsistent("an event key of the wrong length".into())
                })?;
                record::decode(seq, v.as_ref())
                    .map(|(r, _)| r)
                    .map_err(|source| LogError::Record { seq, source })
            })
    }

    /// The seqs of the events carrying `tag`, in order.
    pub fn tag_seqs(&self, tag: &str) -> Result<Vec<u64>, LogError> {
        let prefix = keys::tag_prefix(tag);
        let mut seqs = Vec::new();
        for item in self.storage.scan_prefix(&prefix) {
            let (k, _) = item?;
            let k = k.as_ref();
            if k.len() == prefix.len() + 8 {
                let mut s = [0u8; 8];
                s.copy_from_slice(&k[prefix.len()..]);
                seqs.push(u64::from_be_bytes(s));
            }
        }
        Ok(seqs)
    }

    /// The latest seq carrying `tag`, if any.
    pub fn latest_for_tag(&self, tag: &str) -> Result<Option<u64>, LogError> {
        let prefix = keys::tag_prefix(tag);
        let end = crate::storage::prefix_end(&prefix).unwrap_or_else(|| vec![u8::MAX; 9]);
        Ok(self
            .storage
            .last_in(&prefix, &end)?
            .and_then(|(k, _)| keys::tag_entry(k.as_ref()).map(|(_, s)| s)))
    }

    /// Every event carrying any of `tags`, each once, in seq order.
    pub fn read_tags<'t>(
        &self,
        tags: impl IntoIterator<Item = &'t str>,
    ) -> Result<Vec<Recorded>, LogError> {
        let mut seqs = BTreeSet::new();
        for tag in tags {
            seqs.extend(self.tag_seqs(tag)?);
        }
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            match self.read(seq)? {
                Some(r) => out.push(r),
                None => {
                    return Err(LogError::Inconsistent(format!(
                        "the tag index names seq {seq}, which is missing"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The ledger clock stored with the last commit.
    pub fn stored_clock(&self) -> Result<Option<Timestamp>, LogError> {
        Ok(self.storage.get(keys::META_CLOCK)?.and_then(|v| {
            let b: [u8; 8] = v.as_ref().try_into().ok()?;
            Timestamp::from_unix(i64::from_be_bytes(b))
        }))
    }

    /// Keys and bytes of the last commit's batch.
    pub fn last_commit_size(&self) -> (usize, usize) {
        self.last_commit
    }

    /// Starts staging an append at the current head.
    pub fn begin(&self) -> Append {
        Append {
            head: self.head,
            batch: Batch::new(),
            latest: HashMap::new(),
            records: 0,
            clock: None,
        }
    }

    /// Checks `condition` against the stored log and what `append` has staged.
    pub fn check(&self, append: &Append, condition: &Condition) -> Result<(), Conflict> {
        for tag in &condition.tags {
            if let Some(&seq) = append.latest.get(tag.as_str())
                && seq > condition.after
            {
                return Err(Conflict {
                    tag: tag.clone(),
                    expected: condition.after,
                    actual: seq,
                });
            }
            // Nothing stored can be newer than a position at or past the head.
            if condition.after >= self.head.seq {
                continue;
            }
            if let Ok(Some(seq)) = self.latest_for_tag(tag)
                && seq > condition.after
            {
                return Err(Conflict {
                    tag: tag.clone(),
                    expected: condition.after,
                    actual: seq,
                });
            }
        }
        Ok(())
    }

    /// Writes everything staged in `append`, atomically, and moves the head.
    /// Nothing is written when the append is empty.
    pub fn commit(&mut self, mut append: Append) -> Result<Head, LogError> {
        if append.records > 0 {
            append
                .batch
                .put(keys::META_HEAD.to_vec(), append.head.encode());
        }
        if let Some(clock) = append.clock {
            append.batch.put(
                keys::META_CLOCK.to_vec(),
                clock.unix().to_be_bytes().to_vec(),
            );
        }
        if append.batch.is_empty() {
            self.last_commit = (0, 0);
            return Ok(self.head);
        }
        self.last_commit = (append.batch.len(), append.batch.byte_size());
        self.storage.apply(&append.batch)?;
        self.head = append.head;
        Ok(self.head)
    }
}

/// Checks the last `n` records: each well formed with its checksum, gapless,
/// and chained up to the head's hash.
fn check_tail<S: Storage>(storage: &S, head: Head, n: u64) -> Result<(), LogError> {
    if head.seq == 0 {
        return Ok(());
    }
    let first = head.seq.saturating_sub(n).max(1);
    let mut prev = if first == 1 {
        record::GENESIS
    } else {
        let seq = first - 1;
        let bytes = storage
            .get(&keys::event(seq))?
            .ok_or_else(|| LogError::Inconsistent(format!("record {seq} is missing")))?;
        record::split(bytes.as_ref())
            .map_err(|source| LogError::Record { seq, source })?
            .hash
    };
    for seq in first..=head.seq {
        let bytes = storage
            .get(&keys::event(seq))?
            .ok_or_else(|| LogError::Inconsistent(format!("record {seq} is missing")))?;
        let bytes = bytes.as_ref();
        record::decode(seq, bytes).map_err(|source| LogError::Record { seq, source })?;
        prev =
            record::check_chain(&prev, bytes).map_err(|source| LogError::Record { seq, source })?;
    }
    if prev != head.hash {
        return Err(LogError::Inconsistent(format!(
            "the chain does not end at the head hash of seq {}",
            head.seq
        )));
    }
    Ok(())
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

/// Compares the store's head with its witness: the store may be ahead by the
/// commit a crash interrupted, never behind, and the record the witness
/// names must carry the hash it recorded.
fn check_witness<S: Storage>(
    storage: &S,
    head: Head,
    bytes: &[u8],
) -> Result<Option<witness::Mark>, LogError> {
    let reading = witness::read(bytes);
    let mark = match reading {
        witness::Reading::Absent => {
            if storage.get(keys::META_WITNESSED)?.is_some() {
                return Err(LogError::Witness(WITNESS_NAME, "missing"));
            }
            return Ok(None);
        }
        witness::Reading::Unreadable => return Err(LogError::Witness(WITNESS_NAME, "unreadable")),
        witness::Reading::Valid(mark) => mark,
    };
    if mark.head.seq > head.seq {
        return Err(LogError::Missing {
            stored: head.seq,
            witnessed: mark.head.seq,
        });
    }
    if mark.head.seq > 0 {
        let seq = mark.head.seq;
        let bytes = storage
            .get(&keys::event(seq))?
            .ok_or(LogError::Rewritten { seq })?;
        let parts =
            record::split(bytes.as_ref()).map_err(|source| LogError::Record { seq, source })?;
        if parts.hash != mark.head.hash {
            return Err(LogError::Rewritten { seq });
        }
    }
    Ok(Some(mark))
}

/// How errors name the witness.
const WITNESS_NAME: &str = "head.witness";

/// Records staged for one atomic commit.
#[derive(Debug)]
pub struct Append {
    head: Head,
    batch: Batch,
    latest: HashMap<String, u64>,
    records: usize,
    clock: Option<Timestamp>,
}

impl Append {
    /// The head as it will be after the staged records.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The seq the next staged event will get.
    pub fn next_seq(&self) -> u64 {
        self.head.seq + 1
    }

    /// Number of staged event records.
    pub fn records(&self) -> usize {
        self.records
    }

    /// True when nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty() && self.clock.is_none()
    }

    /// Keys staged so far (events, index entries and everything else).
    pub fn keys(&self) -> usize {
        self.batch.len()
    }

    /// Bytes of keys and values staged so far.
    pub fn bytes(&self) -> usize {
        self.batch.byte_size()
    }

    /// Stages one event: assigns the next seq, encodes, chains, indexes its tags.
    pub fn event(
        &mut self,
        time: Timestamp,
        request_id: RequestId,
        event_id: EventId,
        account: Account,
        event: Event,
    ) -> Result<Recorded, LogError> {
        let seq = self.next_seq();
        let recorded = Recorded {
            seq,
            time,
            request_id,
            event_id,
            account,
            event,
        };
        let (bytes, hash) = record::encode(&recorded, &self.head.hash)
            .map_err(|source| LogError::Record { seq, source })?;
        self.batch.put(keys::event(seq).to_vec(), bytes);
        for tag in recorded.event.tags().into_iter().flatten() {
            self.batch.put(keys::tag(tag, seq), Vec::new());
            self.latest.insert(tag.to_owned(), seq);
        }
        self.head = Head { seq, hash };
        self.records += 1;
        Ok(recorded)
    }

    /// Stages any other key written with the events (idempotency records,
    /// timers, projections and their checkpoints).
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
}
