//! What a decision reads, declared before it decides (in the spirit of
//! disintegrate's state queries): the records a command names, and the
//! records they lead to.
//!
//! The request core copies exactly these records out of the live ones and
//! decides against the copy ([`ReadSet::load`]), so a decision cannot read
//! what it did not declare; a property test checks that every command decides
//! the same on its read set as on the whole world. The read set's tags are
//! also what a conditional append checks when writers share a log: a
//! decision is stale when a record it read changed after it was made.
//!
//! ```
//! use ecs_ledger::model::read_set::ReadSet;
//! use ecs_ledger::model::id::InstanceId;
//! let i = InstanceId::parse("i-12345678").unwrap();
//! let rs = ReadSet::default().instance(i);
//! assert_eq!(rs.tags(&ecs_ledger::model::State::new()), vec!["i-12345678".to_owned()]);
//! ```

use std::collections::BTreeSet;

use crate::model::id::{DiskId, InstanceId, LoadBalancerId, RouteTableId, SnapshotId};
use crate::model::state::State;

/// The records a decision reads. Each named record brings the records it
/// leads to: an instance its disks and their snapshots; a disk its instance
/// (with that instance's disks) and its snapshots; a snapshot its disk; a
/// route table or load balancer the instances it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSet {
    /// Instances named.
    pub instances: Vec<InstanceId>,
    /// Disks named.
    pub disks: Vec<DiskId>,
    /// Snapshots named.
    pub snapshots: Vec<SnapshotId>,
    /// Route tables named.
    pub route_tables: Vec<RouteTableId>,
    /// Load balancers named.
    pub load_balancers: Vec<LoadBalancerId>,
}

impl ReadSet {
    /// Adds an instance.
    pub fn instance(mut self, id: InstanceId) -> Self {
        self.instances.push(id);
        self
    }

    /// Adds a disk.
    pub fn disk(mut self, id: DiskId) -> Self {
        self.disks.push(id);
        self
    }

    /// Adds a snapshot.
    pub fn snapshot(mut self, id: SnapshotId) -> Self {
        self.snapshots.push(id);
        self
    }

    /// Adds a route table.
    pub fn route_table(mut self, id: RouteTableId) -> Self {
        self.route_tables.push(id);
        self
    }

    /// Adds a load balancer.
    pub fn load_balancer(mut self, id: LoadBalancerId) -> Self {
        self.load_balancers.push(id);
        self
    }

    /// Copies the records this read set covers out of `world`.
    pub fn load(&self, world: &State) -> State {
        let mut out = State::new();
        let mut instances: BTreeSet<&InstanceId> = self.instances.iter().collect();
        let mut disks: BTreeSet<&DiskId> = self.disks.iter().collect();
        let mut snapshots: BTreeSet<&SnapshotId> = self.snapshots.iter().collect();
        for id in &self.route_tables {
            if let Some(t) = world.route_tables.get(id) {
                instances.extend(t.entries.values());
                out.route_tables.insert(id.clone(), t.clone());
            }
        }
        for id in &self.load_balancers {
            if let Some(lb) = world.load_balancers.get(id) {
                instances.extend(lb.servers.keys());
                out.load_balancers.insert(id.clone(), lb.clone());
            }
        }
        for id in &self.snapshots {
            if let Some(s) = world.snapshots.get(id) {
                disks.insert(&s.source_disk_id);
            }
        }
        // A disk brings its instance (and so the instance's other disks).
        for id in disks.clone() {
            if let Some(i) = world.disks.get(id).and_then(|d| d.instance_id.as_ref()) {
                instances.insert(i);
            }
        }
        for id in &instances {
            if let Some(i) = world.instances.get(*id) {
                disks.extend(i.disks.iter());
                out.instances.insert((*id).clone(), i.clone());
            }
        }
        for id in &disks {
            if let Some(d) = world.disks.get(*id) {
                snapshots.extend(d.snapshots.iter());
                out.disks.insert((*id).clone(), d.clone());
            }
        }
        for id in snapshots {
            if let Some(s) = world.snapshots.get(id) {
                out.snapshots.insert(id.clone(), s.clone());
            }
        }
        out
    }

    /// The tags of every record the read set covers in `world` (what a
    /// conditional append checks), sorted.
    pub fn tags(&self, world: &State) -> Vec<String> {
        let loaded = self.load(world);
        let mut tags: BTreeSet<String> = BTreeSet::new();
        tags.extend(self.instances.iter().map(|i| i.to_string()));
        tags.extend(self.disks.iter().map(|i| i.to_string()));
        tags.extend(self.snapshots.iter().map(|i| i.to_string()));
        tags.extend(self.route_tables.iter().map(|i| i.to_string()));
        tags.extend(self.load_balancers.iter().map(|i| i.to_string()));
        tags.extend(loaded.instances.keys().map(|i| i.to_string()));
        tags.extend(loaded.disks.keys().map(|i| i.to_string()));
        tags.extend(loaded.snapshots.keys().map(|i| i.to_string()));
        tags.into_iter().collect()
    }
}
