//! A storage wrapper that records every batch written through it, so a
//! benchmark can write exactly the same batches to raw sled afterwards.

use std::sync::{Arc, Mutex};

use crate::storage::{Batch, Entries, Entry, Storage, StorageError};

/// Delegates to `S` and keeps a copy of every applied batch.
#[derive(Debug, Clone)]
pub struct Recording<S: Storage> {
    inner: S,
    batches: Arc<Mutex<Vec<Batch>>>,
}

impl<S: Storage> Recording<S> {
    /// Wraps a storage.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            batches: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The batches applied so far.
    pub fn take(&self) -> Vec<Batch> {
        std::mem::take(&mut *self.batches.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl<S: Storage> Storage for Recording<S> {
    type Bytes = S::Bytes;

    fn get(&self, key: &[u8]) -> Result<Option<S::Bytes>, StorageError> {
        self.inner.get(key)
    }

    fn range<'a>(&'a self, start: &[u8], end: Option<&[u8]>) -> Entries<'a, S::Bytes> {
        self.inner.range(start, end)
    }

    fn last_in(&self, start: &[u8], end: &[u8]) -> Result<Option<Entry<S::Bytes>>, StorageError> {
        self.inner.last_in(start, end)
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        self.inner.apply(batch)?;
        self.batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(batch.clone());
        Ok(())
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.inner.flush()
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.inner.sync()
    }

    fn witness_read(&self) -> Result<Vec<u8>, StorageError> {
        self.inner.witness_read()
    }

    fn witness_write(
        &self,
        offset: usize,
        bytes: &[u8],
        durable: bool,
    ) -> Result<(), StorageError> {
        self.inner.witness_write(offset, bytes, durable)
    }
}
