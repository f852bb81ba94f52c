//! The writer's cache of records, and how records are loaded into it.
//!
//! A decision needs the records of the resources it names: an instance with
//! its disks and their snapshots, a disk with its instance. Two ways to load
//! one, with the same result (tests check they agree, and that both equal a
//! fold of the whole log):
//!
//! * [`Load::Snapshot`] (the default) reads the resource's record from the
//!   inventory: the fold of the events carrying its tag, kept current in the
//!   same atomic batch as those events (a per-resource snapshot in
//!   event-sourcing terms). One read per resource, whatever the length of the
//!   log or of the resource's own history.
//! * [`Load::TagIndex`] folds the events carrying the resource's tag, read
//!   through the tag index. Route tables and load balancers (which the
//!   inventory does not hold) always load this way.
//!
//! Loading follows an instance to its disks, a disk to its instance and its
//! snapshots. Invariant kept by the writer: every tag of every event staged
//! but not yet committed is loaded, so a record read from storage is never
//! stale. The cache is cleared between batches when it outgrows its capacity.

use std::collections::{BTreeSet, HashSet};

use crate::log::{EventLog, LogError};
use crate::model::State;
use crate::projection::inventory::{Reader, Record};
use crate::storage::Storage;

/// Where records are loaded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Load {
    /// The inventory's per-resource record (one read each).
    #[default]
    Snapshot,
    /// A fold of the resource's events through the tag index.
    TagIndex,
}

/// Records the writer has loaded, and which tags they came from.
#[derive(Debug, Default)]
pub struct StateCache {
    /// The loaded records.
    pub state: State,
    loaded: HashSet<String>,
    capacity: usize,
    load: Load,
    loads: u64,
}

fn has_snapshot(tag: &str) -> bool {
    tag.starts_with("i-") || tag.starts_with("d-") || tag.starts_with("s-")
}

impl StateCache {
    /// An empty cache that is cleared past `capacity` records, loading from the snapshots.
    pub fn new(capacity: usize) -> Self {
        Self::with_load(capacity, Load::Snapshot)
    }

    /// An empty cache loading records `load`'s way.
    pub fn with_load(capacity: usize, load: Load) -> Self {
        Self {
            capacity: capacity.max(1),
            load,
            ..Self::default()
        }
    }

    /// True when `tag`'s record is loaded (or known not to exist).
    pub fn is_loaded(&self, tag: &str) -> bool {
        self.loaded.contains(tag)
    }

    /// Tag loads from storage so far.
    pub fn loads(&self) -> u64 {
        self.loads
    }

    /// Loads the records of `tags` that are not loaded yet, following
    /// instances to their disks and disks to their instances and snapshots.
    pub fn ensure<S: Storage>(
        &mut self,
        log: &EventLog<S>,
        tags: impl IntoIterator<Item = String>,
    ) -> Result<(), LogError> {
        let mut want: BTreeSet<String> = tags
            .into_iter()
            .filter(|t| !self.loaded.contains(t))
            .collect();
        while !want.is_empty() {
            self.loads += want.len() as u64;
            let mut next = BTreeSet::new();
            let (snapshot, fold): (Vec<String>, Vec<String>) = want
                .into_iter()
                .partition(|t| self.load == Load::Snapshot && has_snapshot(t));
            if !snapshot.is_empty() {
                self.read_snapshots(log, snapshot, &mut next)?;
            }
            if !fold.is_empty() {
                self.fold_tags(log, fold.into_iter().collect(), &mut next)?;
            }
            want = next
                .into_iter()
                .filter(|t| !self.loaded.contains(t))
                .collect();
        }
        Ok(())
    }

    fn read_snapshots<S: Storage>(
        &mut self,
        log: &EventLog<S>,
        tags: Vec<String>,
        next: &mut BTreeSet<String>,
    ) -> Result<(), LogError> {
        let reader = Reader::new(log.storage());
        for tag in tags {
            let record = reader
                .get(&tag)
                .map_err(|e| LogError::Inconsistent(format!("inventory record of {tag}: {e}")))?;
            self.loaded.insert(tag);
            // Never overwrite a cached record: the cache may hold staged changes.
            match record {
                Some(Record::Instance(i)) => {
                    next.extend(i.disks.iter().map(|d| d.to_string()));
                    self.state.instances.entry(i.id.clone()).or_insert(i);
                }
                Some(Record::Disk(d)) => {
                    next.extend(d.instance_id.iter().map(|i| i.to_string()));
                    next.extend(d.snapshots.iter().map(|s| s.to_string()));
                    self.state.disks.entry(d.id.clone()).or_insert(d);
                }
                Some(Record::Snapshot(s)) => {
                    self.state.snapshots.entry(s.id.clone()).or_insert(s);
                }
                None => {}
            }
        }
        Ok(())
    }

    fn fold_tags<S: Storage>(
        &mut self,
        log: &EventLog<S>,
        want: BTreeSet<String>,
        next: &mut BTreeSet<String>,
    ) -> Result<(), LogError> {
        let events = log.read_tags(want.iter().map(String::as_str))?;
        let mut fresh = State::fold(&events);
        fresh.retain_tags(&want);
        self.loaded.extend(want.iter().cloned());
        for (id, instance) in fresh.instances {
            next.extend(instance.disks.iter().map(|d| d.to_string()));
            self.state.instances.entry(id).or_insert(instance);
        }
        for (id, disk) in fresh.disks {
            next.extend(disk.instance_id.iter().map(|i| i.to_string()));
            self.state.disks.entry(id).or_insert(disk);
        }
        // A disk's events rebuild its snapshots completely.
        for (id, snapshot) in fresh.snapshots {
            self.loaded.insert(id.to_string());
            self.state.snapshots.entry(id).or_insert(snapshot);
        }
        for (id, table) in fresh.route_tables {
            self.state.route_tables.entry(id).or_insert(table);
        }
        for (id, lb) in fresh.load_balancers {
            self.state.load_balancers.entry(id).or_insert(lb);
        }
        Ok(())
    }

    /// Marks a tag loaded without reading (a resource created by staged events).
    pub fn mark_loaded(&mut self, tag: &str) {
        self.loaded.insert(tag.to_owned());
    }

    /// Clears the cache if it holds more than its capacity. Only call between
    /// batches, when nothing is staged.
    pub fn trim(&mut self) {
        if self.state.len() > self.capacity {
            self.state = State::new();
            self.loaded.clear();
        }
    }

    /// Drops everything (after a failed commit).
    pub fn clear(&mut self) {
        self.state = State::new();
        self.loaded.clear();
    }
}
