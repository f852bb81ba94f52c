//! The writer's cache of records, loaded through the tag index.
//!
//! A record is loaded by folding the events that carry its tag (and no
//! others), so the cost of loading one instance does not grow with the length
//! of the log. Loading follows an instance to its disks and a disk to its
//! instance, so a decision sees the whole boundary it needs. A loaded disk
//! brings its snapshots with it (every snapshot event carries its disk's tag).
//!
//! Invariant kept by the writer: every tag of every event staged but not yet
//! committed is loaded, so a record read from storage is never stale. The cache
//! is cleared between batches when it outgrows its capacity.

use std::collections::{BTreeSet, HashSet};

use crate::log::{EventLog, LogError};
use crate::model::State;
use crate::storage::Storage;

/// Records the writer has loaded, and which tags they came from.
#[derive(Debug, Default)]
pub struct StateCache {
    /// The loaded records.
    pub state: State,
    loaded: HashSet<String>,
    capacity: usize,
    loads: u64,
}

impl StateCache {
    /// An empty cache that is cleared past `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
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
    /// instances to their disks and disks to their instances.
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
            let events = log.read_tags(want.iter().map(String::as_str))?;
            let mut fresh = State::fold(&events);
            fresh.retain_tags(&want);
            self.loaded.extend(want.iter().cloned());
            let mut next = BTreeSet::new();
            // Never overwrite a cached record: the cache may hold staged changes.
            for (id, instance) in fresh.instances {
                next.extend(instance.disks.iter().map(|d| d.to_string()));
                self.state.instances.entry(id).or_insert(instance);
            }
            for (id, disk) in fresh.disks {
                next.extend(disk.instance_id.iter().map(|i| i.to_string()));
                self.state.disks.entry(id).or_insert(disk);
            }
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
            want = next
                .into_iter()
                .filter(|t| !self.loaded.contains(t))
                .collect();
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
