//! The world: every live record, kept in memory, with the indices the
//! scheduler and the queries need.
//!
//! The log is the truth; the world is its fold, kept current event by event
//! ([`World::apply`]). Two indices ride along, each a function of the
//! records: the listing of each account's instances, disks and snapshots in
//! creation order (Describe* pages over it), and the timers (which instance
//! has a platform transition due when, so the scheduler never scans).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, DiskId, InstanceId, SnapshotId};
use crate::model::state::{Disk, Inconsistent, Instance, Snapshot, State, evolve};
use crate::model::time::Timestamp;

/// Records of one kind by account and creation seq (each record is created by
/// an event of its own, so the seq is unique within a kind).
type Listing<Id> = BTreeMap<(Account, u64), Id>;

/// Every live record, with its indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct World {
    state: State,
    instances: Listing<InstanceId>,
    disks: Listing<DiskId>,
    snapshots: Listing<SnapshotId>,
    by_due: BTreeSet<(Timestamp, InstanceId)>,
    due_of: HashMap<InstanceId, Timestamp>,
}

impl World {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// The world of `state`, its indices built.
    pub fn from_state(state: State) -> Self {
        let mut world = Self {
            state,
            ..Self::default()
        };
        for i in world.state.instances.values() {
            world
                .instances
                .insert((i.account.clone(), i.created_seq), i.id.clone());
        }
        for d in world.state.disks.values() {
            world
                .disks
                .insert((d.account.clone(), d.created_seq), d.id.clone());
        }
        for s in world.state.snapshots.values() {
            world
                .snapshots
                .insert((s.account.clone(), s.created_seq), s.id.clone());
        }
        let ids: Vec<InstanceId> = world.state.instances.keys().cloned().collect();
        for id in ids {
            world.refresh_timer(&id);
        }
        world
    }

    /// The records.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The records, without the indices.
    pub fn into_state(self) -> State {
        self.state
    }

    /// Folds one recorded event in, keeping the indices current; refuses
    /// (changing nothing) an event that does not fit the records.
    pub fn apply(&mut self, recorded: &Recorded) -> Result<(), Inconsistent> {
        let leaving = self.leaving(&recorded.event);
        evolve(&mut self.state, recorded)?;
        match leaving {
            Some(Leaving::Instance(key)) => {
                self.instances.remove(&key);
            }
            Some(Leaving::Disk(key)) => {
                self.disks.remove(&key);
            }
            Some(Leaving::Snapshot(key)) => {
                self.snapshots.remove(&key);
            }
            None => {}
        }
        let (account, seq) = (&recorded.account, recorded.seq);
        match &recorded.event {
            Event::InstanceCreated(e) => {
                self.instances
                    .insert((account.clone(), seq), e.instance_id.clone());
            }
            Event::DiskCreated(e) => {
                self.disks.insert((account.clone(), seq), e.disk_id.clone());
            }
            Event::SnapshotCreated(e) => {
                self.snapshots
                    .insert((account.clone(), seq), e.snapshot_id.clone());
            }
            _ => {}
        }
        if let Some(id) = scheduled(&recorded.event) {
            let id = id.clone();
            self.refresh_timer(&id);
        }
        Ok(())
    }

    /// The listing entry an event removes, read before the record goes.
    fn leaving(&self, event: &Event) -> Option<Leaving> {
        match event {
            Event::InstanceReleased(e) => self
                .state
                .instances
                .get(&e.instance_id)
                .map(|i| Leaving::Instance((i.account.clone(), i.created_seq))),
            Event::DiskReleased(e) => self
                .state
                .disks
                .get(&e.disk_id)
                .map(|d| Leaving::Disk((d.account.clone(), d.created_seq))),
            Event::SnapshotReleased(e) => self
                .state
                .snapshots
                .get(&e.snapshot_id)
                .map(|s| Leaving::Snapshot((s.account.clone(), s.created_seq))),
            _ => None,
        }
    }

    /// Sets an instance's timer to its next due time (none once released).
    fn refresh_timer(&mut self, id: &InstanceId) {
        let next = self.state.instances.get(id).and_then(Instance::next_due);
        let old = self.due_of.get(id).copied();
        if old == next {
            return;
        }
        if let Some(old) = old {
            self.by_due.remove(&(old, id.clone()));
            self.due_of.remove(id);
        }
        if let Some(next) = next {
            self.by_due.insert((next, id.clone()));
            self.due_of.insert(id.clone(), next);
        }
    }

    /// The earliest transition due at or before `t`: its time and instance
    /// (ties go to the smaller id).
    pub fn next_due(&self, t: Timestamp) -> Option<(Timestamp, InstanceId)> {
        self.by_due.first().filter(|(due, _)| *due <= t).cloned()
    }

    /// Every instance with a transition due at or before `t`.
    pub fn due_by(&self, t: Timestamp) -> Vec<InstanceId> {
        self.by_due
            .iter()
            .take_while(|(due, _)| *due <= t)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// Number of instances with a timer set.
    pub fn timers(&self) -> usize {
        self.due_of.len()
    }

    /// An account's instances, oldest first.
    pub fn instances_of<'a>(&'a self, account: &'a Account) -> impl Iterator<Item = &'a Instance> {
        listed(&self.instances, account).filter_map(|id| self.state.instances.get(id))
    }

    /// An account's disks, oldest first.
    pub fn disks_of<'a>(&'a self, account: &'a Account) -> impl Iterator<Item = &'a Disk> {
        listed(&self.disks, account).filter_map(|id| self.state.disks.get(id))
    }

    /// An account's snapshots, oldest first.
    pub fn snapshots_of<'a>(&'a self, account: &'a Account) -> impl Iterator<Item = &'a Snapshot> {
        listed(&self.snapshots, account).filter_map(|id| self.state.snapshots.get(id))
    }

    /// How many instances, disks and snapshots an account has.
    pub fn counts_of(&self, account: &Account) -> (usize, usize, usize) {
        (
            listed(&self.instances, account).count(),
            listed(&self.disks, account).count(),
            listed(&self.snapshots, account).count(),
        )
    }
}

enum Leaving {
    Instance((Account, u64)),
    Disk((Account, u64)),
    Snapshot((Account, u64)),
}

/// The ids listed for `account`, in creation order.
fn listed<'a, Id: 'a>(
    listing: &'a Listing<Id>,
    account: &'a Account,
) -> impl Iterator<Item = &'a Id> {
    listing
        .range((account.clone(), 0)..=(account.clone(), u64::MAX))
        .map(|(_, id)| id)
}

/// The instance whose schedule an event may change.
fn scheduled(event: &Event) -> Option<&InstanceId> {
    match event {
        Event::InstanceCreated(e) => Some(&e.instance_id),
        Event::InstanceStatusChanged(e) => Some(&e.instance_id),
        Event::InstanceExpired(e) => Some(&e.instance_id),
        Event::InstanceRenewed(e) => Some(&e.instance_id),
        Event::InstanceReleased(e) => Some(&e.instance_id),
        Event::AutoReleaseTimeChanged(e) => Some(&e.instance_id),
        Event::InstanceChargeTypeChanged(e) => Some(&e.instance_id),
        _ => None,
    }
}
