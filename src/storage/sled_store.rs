//! The default storage: one sled tree.
//!
//! Everything goes in sled's default tree under key prefixes, so one group
//! commit is one `apply_batch` (atomic, and about 4x cheaper than a multi-tree
//! transaction; see docs/ARCHITECTURE.md). sled's `flush` is `sync_file_range` on
//! Linux: it survives kill -9 but not power loss, so [`SledStorage::sync`] also
//! `fdatasync`s sled's files.

use std::io::{Read, Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Batch, Storage, StorageError};

/// The head witness's file name, beside sled's own files.
pub const WITNESS_FILE: &str = "head.witness";

/// Default sled page cache: 64 MiB (sled's own default is 1 GiB).
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// sled's segment size for a new store: 64 KiB (sled's default is 512 KiB).
///
/// sled keeps a value larger than a quarter of a segment in a file of its
/// own and every smaller one inline in its tree's leaves, which hold up to 16
/// keys and are rewritten as they change. Log chunks of tens of kilobytes
/// inline made leaves of megabytes, rewritten over and over: measured on the
/// release workload, twice the bytes on disk. With 64 KiB segments a chunk
/// over 16 KiB is a file of its own and leaves stay small.
pub const SEGMENT_BYTES: usize = 512 * 1024;

/// The segment size a store in `dir` was created with (sled refuses to open
/// one with another), or [`SEGMENT_BYTES`] for a new one.
fn segment_size_of(dir: &Path) -> usize {
    std::fs::read(dir.join("conf"))
        .ok()
        .and_then(|bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            text.lines()
                .find_map(|l| l.strip_prefix("segment_size: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .filter(|n| n.is_power_of_two() && (256..=1 << 24).contains(n))
        .unwrap_or(SEGMENT_BYTES)
}

/// A sled database used as the ledger's storage.
#[derive(Clone)]
pub struct SledStorage {
    db: sled::Db,
    path: PathBuf,
    witness: Arc<Mutex<Option<std::fs::File>>>,
    poisoned: Arc<AtomicBool>,
}

/// Panics seen on sled's own threads (its I/O pool, its flusher) in this
/// process. sled catches some of them, but each one kills a pool thread for
/// good; once they are gone its calls would wait forever. A program's panic
/// hook reports them here ([`record_background_panic`]), and every sled call
/// then fails at once instead of hanging.
static BACKGROUND_PANICS: AtomicU64 = AtomicU64::new(0);

/// Records a panic on one of sled's own threads (call it from a panic hook:
/// see the `ecs-ledger` binary's). From then on this process's sled stores
/// refuse every call with a clear error.
pub fn record_background_panic() {
    BACKGROUND_PANICS.fetch_add(1, Ordering::Relaxed);
}

/// True for the names of sled's own threads.
pub fn is_sled_thread(name: &str) -> bool {
    name.starts_with("sled-io") || name == "log flusher"
}

fn background_check(path: &Path) -> Result<(), StorageError> {
    match BACKGROUND_PANICS.load(Ordering::Relaxed) {
        0 => Ok(()),
        n => Err(StorageError::Damaged {
            path: path.display().to_string(),
            why: format!(
                "{n} of sled's own threads panicked in this process (a damaged file?); restart the program"
            ),
        }),
    }
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
    ///
    /// A directory another process holds is [`StorageError::Locked`]; files
    /// sled cannot read (it may panic on damaged ones: the panic is contained
    /// here) are [`StorageError::Damaged`].
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StorageError> {
        let path = dir.to_path_buf();
        background_check(&path)?;
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes.max(1024 * 1024))
            .segment_size(segment_size_of(dir))
            .mode(sled::Mode::LowSpace);
        // sled may not have released its file lock yet when this process
        // dropped the same database a moment ago: retry briefly.
        let mut attempt = 0;
        let db = loop {
            attempt += 1;
            match catch_unwind(AssertUnwindSafe(|| config.open())) {
                Ok(Ok(db)) => break db,
                Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
                    if attempt < 5 {
                        std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
                        continue;
                    }
                    return Err(StorageError::Locked {
                        path: path.display().to_string(),
                    });
                }
                Ok(Err(e)) => return Err(damaged_or(&path, e)),
                Err(panic) => return Err(panicked(&path, "opening", panic)),
            }
        };
        Ok(Self {
            db,
            path,
            witness: Arc::new(Mutex::new(None)),
            poisoned: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Runs one sled call, turning its panics (sled 0.34 panics on some
    /// damaged files) and corruption errors into [`StorageError::Damaged`].
    /// After a panic the handle is poisoned: sled may hold a half-applied
    /// batch in memory, so nothing more is read or written through it.
    fn guard<T>(&self, what: &str, f: impl FnOnce() -> sled::Result<T>) -> Result<T, StorageError> {
        if self.poisoned.load(Ordering::Relaxed) {
            return Err(StorageError::Damaged {
                path: self.path.display().to_string(),
                why: "an earlier sled call panicked; reopen the ledger".into(),
            });
        }
        background_check(&self.path)?;
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(damaged_or(&self.path, e)),
            Err(panic) => {
                self.poisoned.store(true, Ordering::Relaxed);
                Err(panicked(&self.path, what, panic))
            }
        }
    }

    /// Writes `bytes` at `offset` of the head witness of the ledger in
    /// `dir`, durably, without opening its store (for a store too damaged
    /// to open).
    pub fn witness_write_at(dir: &Path, offset: usize, bytes: &[u8]) -> Result<(), StorageError> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(WITNESS_FILE))?;
        file.seek(SeekFrom::Start(offset as u64))?;
        file.write_all(bytes)?;
        file.sync_data()?;
        Ok(())
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
        self.guard("measuring", || self.db.size_on_disk())
    }
}

type Item = Result<(sled::IVec, sled::IVec), StorageError>;

/// sled's corruption errors name damaged files; every other error is passed on.
fn damaged_or(path: &Path, e: sled::Error) -> StorageError {
    match e {
        sled::Error::Corruption { .. } => StorageError::Damaged {
            path: path.display().to_string(),
            why: e.to_string(),
        },
        e => StorageError::Sled(e),
    }
}

/// A contained sled panic, as the damage it means.
fn panicked(path: &Path, what: &str, panic: Box<dyn std::any::Any + Send>) -> StorageError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    StorageError::Damaged {
        path: path.display().to_string(),
        why: format!("sled panicked while {what}: {message}"),
    }
}

/// A sled iterator whose every step is guarded like a single call.
struct Guarded {
    inner: Option<sled::Iter>,
    reverse: bool,
    path: PathBuf,
}

impl Iterator for Guarded {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let inner = self.inner.as_mut()?;
        let reverse = self.reverse;
        let step = catch_unwind(AssertUnwindSafe(|| {
            if reverse {
                inner.next_back()
            } else {
                inner.next()
            }
        }));
        match step {
            Ok(None) => None,
            Ok(Some(Ok(kv))) => Some(Ok(kv)),
            Ok(Some(Err(e))) => {
                self.inner = None;
                Some(Err(damaged_or(&self.path, e)))
            }
            Err(panic) => {
                self.inner = None;
                Some(Err(panicked(&self.path, "reading", panic)))
            }
        }
    }
}

impl SledStorage {
    fn iter(&self, start: &[u8], end: Option<&[u8]>, reverse: bool) -> Guarded {
        let made = catch_unwind(AssertUnwindSafe(|| match end {
            Some(end) => self.db.range(start.to_vec()..end.to_vec()),
            None => self.db.range(start.to_vec()..),
        }));
        Guarded {
            inner: made.ok(),
            reverse,
            path: self.path.clone(),
        }
    }

    fn witness_file(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, Option<std::fs::File>>, StorageError> {
        let mut file = self.witness.lock().unwrap_or_else(|p| p.into_inner());
        if file.is_none() {
            let path = self.path.join(WITNESS_FILE);
            let created = !path.exists();
            *file = Some(
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)?,
            );
            if created {
                // The new file's name must survive a power loss too.
                std::fs::File::open(&self.path)?.sync_all()?;
            }
        }
        Ok(file)
    }
}

impl Storage for SledStorage {
    type Bytes = sled::IVec;

    fn get(&self, key: &[u8]) -> Result<Option<sled::IVec>, StorageError> {
        self.guard("reading", || self.db.get(key))
    }

    fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Box<dyn Iterator<Item = Item> + Send + 'a> {
        Box::new(self.iter(start, end, false))
    }

    fn last_in(
        &self,
        start: &[u8],
        end: &[u8],
    ) -> Result<Option<(sled::IVec, sled::IVec)>, StorageError> {
        self.iter(start, Some(end), true).next().transpose()
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops() {
            match v {
                Some(v) => b.insert(k.as_slice(), v.as_slice()),
                None => b.remove(k.as_slice()),
            }
        }
        self.guard("writing", || self.db.apply_batch(b))
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.guard("flushing", || self.db.flush())?;
        Ok(())
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.flush()?;
        // sled 0.34 does not fsync; sync_file_range alone does not survive power
        // loss (sled issue #1452). fdatasync every file sled keeps in its directory.
        sync_dir(&self.path)
    }

    fn witness_read(&self) -> Result<Vec<u8>, StorageError> {
        let path = self.path.join(WITNESS_FILE);
        let mut bytes = Vec::new();
        match std::fs::File::open(&path) {
            Ok(f) => {
                // Never more than a witness holds, whatever the file says.
                f.take(super::WITNESS_BYTES_MAX as u64)
                    .read_to_end(&mut bytes)?;
                Ok(bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(bytes),
            Err(e) => Err(e.into()),
        }
    }

    fn witness_write(
        &self,
        offset: usize,
        bytes: &[u8],
        durable: bool,
    ) -> Result<(), StorageError> {
        let mut guard = self.witness_file()?;
        let Some(file) = guard.as_mut() else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(offset as u64))?;
        file.write_all(bytes)?;
        if durable {
            file.sync_data()?;
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // sled renames and removes its own files (snapshots, blobs) as it
        // goes: one gone between listing and opening needs no sync.
        let synced = match entry.file_type() {
            Ok(t) if t.is_dir() => sync_dir(&path),
            Ok(_) => std::fs::File::open(&path)
                .and_then(|f| f.sync_data())
                .map_err(StorageError::from),
            Err(e) => Err(e.into()),
        };
        match synced {
            Err(StorageError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
