//! Where the log's bytes live: an ordered key-value store with atomic batches.
//!
//! Three implementations: [`sled_store::SledStorage`] (the default, on disk),
//! [`memory::MemoryStorage`] (in memory, for simulation and fast tests, with
//! fault injection) and, with the `postgres` feature,
//! [`postgres::PgStorage`] (one table in a PostgreSQL database that several
//! processes append to at once). Everything the ledger writes for one group
//! commit goes in one [`Batch`], applied atomically: all of it is visible
//! after a crash, or none of it.
//!
//! A store several processes write at once ([`Storage::shared`]) also
//! serialises appends: the writer calls [`Storage::begin_append`] before it
//! decides a batch (a lock across processes, held until
//! [`Storage::commit_append`] or [`Storage::abort_append`]) and catches up
//! with what the others appended before deciding anything.

#[cfg(feature = "postgres")]
pub mod any;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sled_store;

use std::fmt;

/// One atomic write: puts and removes, applied in order.
///
/// A key written with [`Batch::create`] must not exist yet: a store that
/// several processes append to refuses the whole batch when it does (the
/// log's chunks are created this way, so two writers can never both commit
/// at one Seq); a store only one process writes treats it as a put.
///
/// ```
/// use ecs_ledger::storage::Batch;
/// let mut b = Batch::new();
/// b.put(b"k".to_vec(), b"v".to_vec());
/// b.create(b"c".to_vec(), b"chunk".to_vec());
/// assert!(b.is_created(b"c") && !b.is_created(b"k"));
/// assert_eq!(b.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Keys written by `create`, in order.
    created: Vec<Vec<u8>>,
    bytes: usize,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.bytes += key.len() + value.len();
        self.ops.push((key, Some(value)));
    }

    /// Sets `key`, which must not exist yet, to `value`.
    pub fn create(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.created.push(key.clone());
        self.put(key, value);
    }

    /// True when `key` was written by [`Batch::create`].
    pub fn is_created(&self, key: &[u8]) -> bool {
        self.created.iter().any(|k| k == key)
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.bytes += key.len();
        self.ops.push((key, None));
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[(Vec<u8>, Option<Vec<u8>>)] {
        &self.ops
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Total bytes of keys and values.
    pub fn byte_size(&self) -> usize {
        self.bytes
    }
}

/// A storage failure. The ledger stops on any write failure rather than carry
/// on with a state the storage may not hold.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// sled reported an error.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// Another process holds the store (sled allows one process per directory).
    #[error("{path} is in use by another process (a running exec or serve?)")]
    Locked {
        /// The store's directory.
        path: String,
    },
    /// The store's files are damaged: its engine failed (or panicked) reading them.
    #[error("the storage files in {path} are damaged: {why}")]
    Damaged {
        /// The store's directory.
        path: String,
        /// What failed.
        why: String,
    },
    /// A file operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A fault injected on purpose (simulation).
    #[error("injected fault: {0}")]
    Injected(String),
    /// There is no ledger where one was expected (PostgreSQL: a database
    /// without the ledger's tables, opened to read).
    #[error("{0}")]
    NoLedger(String),
    /// The database failed or cannot be reached (PostgreSQL).
    #[error("{0}")]
    Database(String),
    /// The database holds a schema this build does not know (PostgreSQL).
    #[error(
        "the database has ledger schema version {found}; this build knows up to {supported} (a newer ecs-ledger made it)"
    )]
    Schema {
        /// Version found.
        found: i32,
        /// Newest version this build knows.
        supported: i32,
    },
    /// Another writer appended at the same place: the batch was not written
    /// (a writer that did not hold the append lock; reopen to go on).
    #[error("another process appended at the same position: {0}")]
    Conflict(String),
}

/// One key/value pair, as a storage hands it out.
pub type Entry<B> = (B, B);

/// An iterator over entries in key order.
pub type Entries<'a, B> = Box<dyn Iterator<Item = Result<Entry<B>, StorageError>> + Send + 'a>;

/// The most bytes of a head witness the storage reads back, whatever the
/// file holds (the log's witness is smaller).
pub const WITNESS_BYTES_MAX: usize = 4096;

/// An ordered key-value store with atomic batches.
pub trait Storage: Send + Sync + 'static {
    /// A value (or key) as the store hands it out.
    type Bytes: AsRef<[u8]> + Clone + Send + Sync + fmt::Debug;

    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Self::Bytes>, StorageError>;

    /// Entries with `start <= key < end` (no end: to the last key), in key order.
    fn range<'a>(&'a self, start: &[u8], end: Option<&[u8]>) -> Entries<'a, Self::Bytes>;

    /// The last entry with `start <= key < end`, if any.
    fn last_in(&self, start: &[u8], end: &[u8])
    -> Result<Option<Entry<Self::Bytes>>, StorageError>;

    /// Applies every operation of `batch` atomically.
    fn apply(&self, batch: &Batch) -> Result<(), StorageError>;

    /// Makes every applied batch survive a process crash (kill -9).
    fn flush(&self) -> Result<(), StorageError>;

    /// Makes every applied batch survive power loss (flush plus fdatasync).
    fn sync(&self) -> Result<(), StorageError>;

    /// The head witness's bytes, kept apart from the store (see
    /// [`crate::log::witness`]); empty when none was ever written.
    fn witness_read(&self) -> Result<Vec<u8>, StorageError>;

    /// Writes `bytes` at `offset` of the head witness; `durable` also makes
    /// the write survive power loss. Called after the commit it describes is
    /// durable, so a crash between the two leaves the witness one commit behind.
    fn witness_write(&self, offset: usize, bytes: &[u8], durable: bool)
    -> Result<(), StorageError>;

    /// The values of several keys, in order (one round trip on a database).
    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Self::Bytes>>, StorageError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// True when other processes may append to this store while this one
    /// does (PostgreSQL). The writer then takes the append lock for every
    /// batch and catches up with the log before deciding it. False for sled
    /// (one process per directory) and the in-memory store.
    fn shared(&self) -> bool {
        false
    }

    /// Starts an append: on a shared store, waits for the append lock (held
    /// across processes until [`Storage::commit_append`] or
    /// [`Storage::abort_append`]) and groups this thread's
    /// [`Storage::apply`] calls until then into one transaction. Nothing on
    /// a store with one writer: its applies are atomic one by one.
    fn begin_append(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Commits what was applied since [`Storage::begin_append`], atomically,
    /// and releases the append lock. Nothing on a store with one writer.
    fn commit_append(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Discards what was applied since [`Storage::begin_append`] and releases
    /// the append lock (after a failure). Nothing on a store with one writer.
    fn abort_append(&self) {}

    /// Runs `f` holding the exclusive lock `name` (across processes on a
    /// shared store; projections are caught up under it so that two
    /// processes never apply the same events to one projection). Runs `f`
    /// at once on a store with one writer.
    fn exclusive<T>(&self, name: &str, f: impl FnOnce() -> T) -> Result<T, StorageError> {
        let _ = name;
        Ok(f())
    }

    /// Entries whose key starts with `prefix`.
    fn scan_prefix<'a>(&'a self, prefix: &[u8]) -> Entries<'a, Self::Bytes> {
        match prefix_end(prefix) {
            Some(end) => self.range(prefix, Some(&end)),
            None => self.range(prefix, None),
        }
    }
}

/// The smallest key greater than every key starting with `prefix`, if any.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255, 255]), None);
    }
}
