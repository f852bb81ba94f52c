//! Either storage, chosen at run time: sled in a directory, or a PostgreSQL
//! database (the command line's `--data` or `--postgres`).
//!
//! ```
//! use ecs_ledger::storage::Storage;
//! use ecs_ledger::storage::any::AnyStorage;
//! use ecs_ledger::storage::sled_store::SledStorage;
//! let dir = tempfile::tempdir().unwrap();
//! let storage = AnyStorage::from(SledStorage::open(dir.path(), 1 << 20).unwrap());
//! assert!(!storage.shared());
//! ```

use super::postgres::PgStorage;
use super::sled_store::SledStorage;
use super::{Batch, Entries, Entry, Storage, StorageError};

/// sled or PostgreSQL, each call handed to the one it is.
#[derive(Debug, Clone)]
pub enum AnyStorage {
    /// A sled directory (one process at a time).
    Sled(SledStorage),
    /// A PostgreSQL database (several processes at once).
    Postgres(PgStorage),
}

/// A value as either storage hands it out.
#[derive(Debug, Clone)]
pub enum AnyBytes {
    /// sled's.
    Sled(sled::IVec),
    /// PostgreSQL's.
    Postgres(Vec<u8>),
}

impl AsRef<[u8]> for AnyBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            AnyBytes::Sled(b) => b.as_ref(),
            AnyBytes::Postgres(b) => b.as_slice(),
        }
    }
}

impl From<SledStorage> for AnyStorage {
    fn from(s: SledStorage) -> Self {
        AnyStorage::Sled(s)
    }
}

impl From<PgStorage> for AnyStorage {
    fn from(s: PgStorage) -> Self {
        AnyStorage::Postgres(s)
    }
}

fn sled_entry(e: Result<Entry<sled::IVec>, StorageError>) -> Result<Entry<AnyBytes>, StorageError> {
    e.map(|(k, v)| (AnyBytes::Sled(k), AnyBytes::Sled(v)))
}

fn pg_entry(e: Result<Entry<Vec<u8>>, StorageError>) -> Result<Entry<AnyBytes>, StorageError> {
    e.map(|(k, v)| (AnyBytes::Postgres(k), AnyBytes::Postgres(v)))
}

impl Storage for AnyStorage {
    type Bytes = AnyBytes;

    fn get(&self, key: &[u8]) -> Result<Option<AnyBytes>, StorageError> {
        Ok(match self {
            AnyStorage::Sled(s) => s.get(key)?.map(AnyBytes::Sled),
            AnyStorage::Postgres(s) => s.get(key)?.map(AnyBytes::Postgres),
        })
    }

    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<AnyBytes>>, StorageError> {
        Ok(match self {
            AnyStorage::Sled(s) => s
                .get_many(keys)?
                .into_iter()
                .map(|v| v.map(AnyBytes::Sled))
                .collect(),
            AnyStorage::Postgres(s) => s
                .get_many(keys)?
                .into_iter()
                .map(|v| v.map(AnyBytes::Postgres))
                .collect(),
        })
    }

    fn range<'a>(&'a self, start: &[u8], end: Option<&[u8]>) -> Entries<'a, AnyBytes> {
        match self {
            AnyStorage::Sled(s) => Box::new(s.range(start, end).map(sled_entry)),
            AnyStorage::Postgres(s) => Box::new(s.range(start, end).map(pg_entry)),
        }
    }

    fn last_in(&self, start: &[u8], end: &[u8]) -> Result<Option<Entry<AnyBytes>>, StorageError> {
        match self {
            AnyStorage::Sled(s) => s.last_in(start, end)?.map(Ok).map(sled_entry).transpose(),
            AnyStorage::Postgres(s) => s.last_in(start, end)?.map(Ok).map(pg_entry).transpose(),
        }
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.apply(batch),
            AnyStorage::Postgres(s) => s.apply(batch),
        }
    }

    fn flush(&self) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.flush(),
            AnyStorage::Postgres(s) => s.flush(),
        }
    }

    fn sync(&self) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.sync(),
            AnyStorage::Postgres(s) => s.sync(),
        }
    }

    fn witness_read(&self) -> Result<Vec<u8>, StorageError> {
        match self {
            AnyStorage::Sled(s) => s.witness_read(),
            AnyStorage::Postgres(s) => s.witness_read(),
        }
    }

    fn witness_write(
        &self,
        offset: usize,
        bytes: &[u8],
        durable: bool,
    ) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.witness_write(offset, bytes, durable),
            AnyStorage::Postgres(s) => s.witness_write(offset, bytes, durable),
        }
    }

    fn shared(&self) -> bool {
        match self {
            AnyStorage::Sled(s) => s.shared(),
            AnyStorage::Postgres(s) => s.shared(),
        }
    }

    fn begin_append(&self) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.begin_append(),
            AnyStorage::Postgres(s) => s.begin_append(),
        }
    }

    fn commit_append(&self) -> Result<(), StorageError> {
        match self {
            AnyStorage::Sled(s) => s.commit_append(),
            AnyStorage::Postgres(s) => s.commit_append(),
        }
    }

    fn abort_append(&self) {
        match self {
            AnyStorage::Sled(s) => s.abort_append(),
            AnyStorage::Postgres(s) => s.abort_append(),
        }
    }

    fn exclusive<T>(&self, name: &str, f: impl FnOnce() -> T) -> Result<T, StorageError> {
        match self {
            AnyStorage::Sled(s) => s.exclusive(name, f),
            AnyStorage::Postgres(s) => s.exclusive(name, f),
        }
    }
}
