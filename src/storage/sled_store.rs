//! The default storage: one sled tree.
//!
//! Everything goes in sled's default tree under key prefixes, so one group
//! commit is one `apply_batch` (atomic, and about 4x cheaper than a multi-tree
//! transaction; see ARCHITECTURE.md). sled's `flush` is `sync_file_range` on
//! Linux: it survives kill -9 but not power loss, so [`SledStorage::sync`] also
//! `fdatasync`s sled's files.

use std::path::{Path, PathBuf};

use super::{Batch, Storage, StorageError};

/// Default sled page cache: 64 MiB (sled's own default is 1 GiB).
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A sled database used as the ledger's storage.
#[derive(Clone)]
pub struct SledStorage {
    db: sled::Db,
    path: PathBuf,
}

impl std::fmt::Debug for SledStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStorage")
            .field("path", &self.path)
            .finish()
    }
}

impl SledStorage {
    /// Opens (or creates) the database in `dir` with a page cache of `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StorageError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        Ok(Self {
            db,
            path: dir.to_path_buf(),
        })
    }

    /// The directory it lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sled database itself (tests use it to corrupt records on purpose).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Approximate bytes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StorageError> {
        Ok(self.db.size_on_disk()?)
    }
}

type Item = Result<(sled::IVec, sled::IVec), StorageError>;

impl Storage for SledStorage {
    type Bytes = sled::IVec;

    fn get(&self, key: &[u8]) -> Result<Option<sled::IVec>, StorageError> {
        Ok(self.db.get(key)?)
    }

    fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Box<dyn Iterator<Item = Item> + Send + 'a> {
        let iter = match end {
            Some(end) => self.db.range(start.to_vec()..end.to_vec()),
            None => self.db.range(start.to_vec()..),
        };
        Box::new(iter.map(|r| r.map_err(StorageError::from)))
    }

    fn last_in(
        &self,
        start: &[u8],
        end: &[u8],
    ) -> Result<Option<(sled::IVec, sled::IVec)>, StorageError> {
        Ok(self
            .db
            .range(start.to_vec()..end.to_vec())
            .next_back()
            .transpose()?)
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops() {
            match v {
                Some(v) => b.insert(k.as_slice(), v.as_slice()),
                None => b.remove(k.as_slice()),
            }
        }
        Ok(self.db.apply_batch(b)?)
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.db.flush()?;
        Ok(())
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.db.flush()?;
        // sled 0.34 does not fsync; sync_file_range alone does not survive power
        // loss (sled issue #1452). fdatasync every file sled keeps in its directory.
        sync_dir(&self.path)
    }
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_dir(&path)?;
        } else {
            std::fs::File::open(&path)?.sync_data()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
