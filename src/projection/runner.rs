//! Runs projections and subscribers: catch-up from a checkpoint, rebuild from
//! scratch, and following a live ledger.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Checkpoint, Projection, ProjectionError, Store, Subscriber};
use crate::ledger::Ledger;
use crate::log::{EventLog, keys};
use crate::storage::{Batch, Storage, StorageError};

/// Events applied per atomic commit of a projection.
pub const CHUNK: usize = 1000;

/// Runs projections over a storage.
#[derive(Debug, Clone)]
pub struct Runner<S: Storage> {
    storage: S,
}

impl<S: Storage + Clone> Runner<S> {
    /// A runner over the ledger's storage.
    pub fn new(storage: S) -> Self {
        Self { storage }
    }

    /// The stored checkpoint of `name` (zero when none).
    pub fn checkpoint(&self, name: &str) -> Result<Checkpoint, ProjectionError> {
        match self.storage.get(&keys::checkpoint(name))? {
            None => Ok(Checkpoint::default()),
            Some(v) => Checkpoint::decode(v.as_ref()).ok_or_else(|| ProjectionError::Corrupt {
                name: name.to_owned(),
                why: "malformed checkpoint".into(),
            }),
        }
    }

    /// The last seq in the log.
    pub fn head(&self) -> Result<u64, ProjectionError> {
        Ok(self.log()?.head().seq)
    }

    fn log(&self) -> Result<EventLog<S>, ProjectionError> {
        Ok(EventLog::inspect(self.storage.clone())?.log)
    }

    /// Applies every event after the projection's checkpoint, committing each
    /// chunk's writes with the checkpoint atomically. A projection whose stored
    /// version differs is rebuilt. Returns the new checkpoint.
    ///
    /// Runs under the storage's exclusive lock of the projection (across
    /// processes on a shared store, [`Storage::exclusive`]): two processes
    /// catching up one projection take turns, and the second starts from the
    /// first one's checkpoint, so every event is applied exactly once.
    pub fn catch_up<P: Projection + ?Sized>(
        &self,
        projection: &mut P,
        progress: impl FnMut(u64),
    ) -> Result<u64, ProjectionError> {
        let name = lock_name(projection.name());
        self.storage
            .exclusive(&name, || self.catch_up_locked(projection, progress))?
    }

    fn catch_up_locked<P: Projection + ?Sized>(
        &self,
        projection: &mut P,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ProjectionError> {
        let cp = self.checkpoint(projection.name())?;
        if cp.version != projection.version() && (cp.seq > 0 || cp.version != 0) {
            return self.rebuild_locked(projection, progress);
        }
        let name = projection.name().to_owned();
        let read = |k: &[u8]| -> Result<Option<Vec<u8>>, StorageError> {
            Ok(self.storage.get(k)?.map(|v| v.as_ref().to_vec()))
        };
        let mut last = cp.seq;
        let mut store = Store::new(&name, &read);
        let mut in_chunk = 0;
        let log = self.log()?;
        for event in log.iter_from(cp.seq + 1) {
            let event = event?;
            projection.apply(&event, &mut store)?;
            last = event.seq;
            in_chunk += 1;
            if in_chunk == CHUNK {
                self.commit(&name, projection.version(), store, last)?;
                store = Store::new(&name, &read);
                in_chunk = 0;
                progress(last);
            }
        }
        if in_chunk > 0 || cp.seq == 0 && cp.version != projection.version() {
            self.commit(&name, projection.version(), store, last)?;
        }
        progress(last);
        self.storage.flush()?;
        Ok(last)
    }

    fn commit(
        &self,
        name: &str,
        version: u32,
        store: Store<'_>,
        seq: u64,
    ) -> Result<(), ProjectionError> {
        let mut batch = Batch::new();
        for (k, v) in store.into_writes() {
            match v {
                Some(v) => batch.put(k, v),
                None => batch.remove(k),
            }
        }
        batch.put(keys::checkpoint(name), Checkpoint { seq, version }.encode());
        self.storage.apply(&batch)?;
        Ok(())
    }

    /// Drops the projection's data and checkpoint, then replays the whole
    /// log (under the projection's exclusive lock, as [`Runner::catch_up`]).
    pub fn rebuild<P: Projection + ?Sized>(
        &self,
        projection: &mut P,
        progress: impl FnMut(u64),
    ) -> Result<u64, ProjectionError> {
        let name = lock_name(projection.name());
        self.storage
            .exclusive(&name, || self.rebuild_locked(projection, progress))?
    }

    fn rebuild_locked<P: Projection + ?Sized>(
        &self,
        projection: &mut P,
        progress: impl FnMut(u64),
    ) -> Result<u64, ProjectionError> {
        let name = projection.name().to_owned();
        let mut batch = Batch::new();
        for item in self.storage.scan_prefix(&keys::projection_prefix(&name)) {
            let (k, _) = item?;
            batch.remove(k.as_ref().to_vec());
            if batch.len() >= 10_000 {
                self.storage.apply(&batch)?;
                batch = Batch::new();
            }
        }
        batch.put(
            keys::checkpoint(&name),
            Checkpoint {
                seq: 0,
                version: projection.version(),
            }
            .encode(),
        );
        self.storage.apply(&batch)?;
        self.catch_up_locked(projection, progress)
    }

    /// Hands every event after the subscriber's checkpoint to it, in order,
    /// recording the checkpoint after every `every` events and at the end. A
    /// crash between handling and recording hands events over again: at least
    /// once. Returns the number of events handled.
    pub fn deliver<T: Subscriber + ?Sized>(
        &self,
        subscriber: &mut T,
        every: usize,
    ) -> Result<u64, ProjectionError> {
        let name = subscriber.name().to_owned();
        let start = self.checkpoint(&name)?.seq;
        let mut last = start;
        let mut since = 0;
        let save = |seq: u64| -> Result<(), ProjectionError> {
            let mut batch = Batch::new();
            batch.put(
                keys::checkpoint(&name),
                Checkpoint { seq, version: 0 }.encode(),
            );
            self.storage.apply(&batch)?;
            Ok(())
        };
        let log = self.log()?;
        for event in log.iter_from(start + 1) {
            let event = event?;
            if let Err(why) = subscriber.handle(&event) {
                if last > start {
                    save(last)?;
                }
                return Err(ProjectionError::Subscriber {
                    name,
                    seq: event.seq,
                    why,
                });
            }
            last = event.seq;
            since += 1;
            if since >= every.max(1) {
                save(last)?;
                since = 0;
            }
        }
        if since > 0 {
            save(last)?;
        }
        Ok(last - start)
    }
}

/// The exclusive lock a projection is caught up under.
fn lock_name(projection: &str) -> String {
    format!("projection/{projection}")
}

impl<S: Storage + Clone> Runner<S> {
    /// Keeps a projection caught up with a live ledger until `stop` is set:
    /// catch up, wait for new commits, repeat.
    pub fn follow<P: Projection + ?Sized>(
        &self,
        ledger: &Ledger<S>,
        projection: &mut P,
        stop: &AtomicBool,
    ) -> Result<u64, ProjectionError> {
        let mut seq = self.catch_up(projection, |_| {})?;
        while !stop.load(Ordering::Relaxed) {
            if ledger.wait_for_head(seq, Duration::from_millis(100)).seq > seq {
                seq = self.catch_up(projection, |_| {})?;
            }
        }
        Ok(seq)
    }

    /// Keeps a subscriber fed from a live ledger until `stop` is set.
    pub fn follow_subscriber<T: Subscriber + ?Sized>(
        &self,
        ledger: &Ledger<S>,
        subscriber: &mut T,
        every: usize,
        stop: &AtomicBool,
    ) -> Result<(), ProjectionError> {
        self.deliver(subscriber, every)?;
        while !stop.load(Ordering::Relaxed) {
            let seen = self.checkpoint(subscriber.name())?.seq;
            if ledger.wait_for_head(seen, Duration::from_millis(100)).seq > seen {
                self.deliver(subscriber, every)?;
            }
        }
        Ok(())
    }
}
