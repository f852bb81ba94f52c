//! The state the rules are checked against, and `evolve`, which folds events into it.
//!
//! [`State`] holds one record per live resource. `evolve` is pure and total: it
//! changes the records an event names and skips records that are not loaded,
//! which is what lets the ledger rebuild just the records a command needs (from
//! the events carrying their tags) instead of the whole world. Each record is
//! changed only by events that carry its tag (see [`crate::model::event`]);
//! snapshot events also always carry their disk's tag, so a disk's events
//! rebuild its snapshots too.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

use crate::model::event::{self, Event, Recorded};
use crate::model::id::{
    Account, DiskId, InstanceId, LoadBalancerId, RequestId, RouteTableId, SnapshotId,
};
use crate::model::time::Timestamp;
use crate::model::values::{
    ChargeType, DiskStatus, DiskType, InstanceStatus, LockReason, ReleaseTrigger, SnapshotType,
    StatusReason, SystemEventType,
};

/// How long an expired subscription is kept before the platform releases
/// it, unless renewed (docs/BEHAVIOUR.md §7.3).
pub const END_OF_LIFE_SECS: i64 = 15 * 24 * 60 * 60;

/// How long a completed system event stays listed by
/// DescribeInstanceHistoryEvents: 30 days, as in ECS ("system events that
/// were completed within the last 30 days"). Older ones are dropped, so the
/// kept events are bounded however long the ledger runs.
pub const SYSTEM_EVENTS_KEPT_SECS: i64 = 30 * 24 * 60 * 60;

/// True when a system event that happened at `at` is still listed at `now`.
pub fn system_event_kept(at: Timestamp, now: Timestamp) -> bool {
    at.add_secs(SYSTEM_EVENTS_KEPT_SECS)
        .is_none_or(|until| until >= now)
}

/// An instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// Its id.
    pub id: InstanceId,
    /// Its account.
    pub account: Account,
    /// Current status.
    pub status: InstanceStatus,
    /// When the current transitional status (Pending, Starting, Stopping) completes.
    pub status_until: Option<Timestamp>,
    /// Billing.
    pub charge_type: ChargeType,
    /// End of the subscription (PrePaid).
    pub expired_time: Option<Timestamp>,
    /// The subscription has expired and not been renewed since.
    pub expired: bool,
    /// Deletion protection.
    pub deletion_protection: bool,
    /// Operation locks and their messages.
    pub locks: BTreeMap<LockReason, String>,
    /// Attached disks: the system disk first, then data disks in attach order.
    pub disks: Vec<DiskId>,
    /// Route entries whose next hop is this instance: (route table, destination).
    pub routes: BTreeSet<(RouteTableId, String)>,
    /// Load balancers that have this instance as a backend server.
    pub load_balancers: BTreeSet<LoadBalancerId>,
    /// When it was created.
    pub creation_time: Timestamp,
    /// The seq of the event that created it (creation order).
    pub created_seq: u64,
    /// Kept ECS attributes.
    pub attributes: InstanceAttributes,
    /// When the platform releases it (ModifyInstanceAutoReleaseTime).
    pub auto_release_time: Option<Timestamp>,
    /// A forced release with `ForceStop=false` waits for its stop: the
    /// request that asked for it.
    pub pending_release: Option<RequestId>,
}

/// ECS attributes the ledger keeps and shows but does not reason about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceAttributes {
    /// InstanceName.
    pub instance_name: String,
    /// InstanceType.
    pub instance_type: String,
    /// ImageId.
    pub image_id: String,
    /// RegionId.
    pub region_id: String,
    /// ZoneId.
    pub zone_id: String,
    /// Description.
    pub description: String,
}

impl Instance {
    /// Has a `security` lock.
    pub fn security_locked(&self) -> bool {
        self.locks.contains_key(&LockReason::Security)
    }

    /// Expired subscription or a `financial` lock: StartInstance refuses it.
    pub fn in_arrears(&self) -> bool {
        self.expired || self.locks.contains_key(&LockReason::Financial)
    }

    /// PrePaid and ledger time `now` >= ExpiredTime (docs/BEHAVIOUR.md §1).
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        self.charge_type == ChargeType::PrePaid && self.expired_time.is_some_and(|t| now >= t)
    }

    /// The earliest platform transition this instance is waiting for, if any:
    /// the end of a transitional status, subscription expiry, the automatic
    /// release, or the release of a subscription not renewed in time.
    pub fn next_due(&self) -> Option<Timestamp> {
        let transition = match self.status {
            InstanceStatus::Pending | InstanceStatus::Starting | InstanceStatus::Stopping => {
                self.status_until
            }
            InstanceStatus::Running | InstanceStatus::Stopped => None,
        };
        let expiry = match (self.charge_type, self.expired) {
            (ChargeType::PrePaid, false) => self.expired_time,
            _ => None,
        };
        [
            transition,
            expiry,
            self.auto_release_time,
            self.end_of_life(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// When the platform releases an expired subscription that was not
    /// renewed: 15 days after its `ExpiredTime`.
    pub fn end_of_life(&self) -> Option<Timestamp> {
        match (self.charge_type, self.expired, self.expired_time) {
            (ChargeType::PrePaid, true, Some(t)) => t.add_secs(END_OF_LIFE_SECS),
            _ => None,
        }
    }

    /// Number of data disks attached.
    pub fn data_disk_count(&self, state: &State) -> usize {
        self.disks
            .iter()
            .filter(|d| {
                state
                    .disks
                    .get(*d)
                    .is_none_or(|disk| disk.disk_type == DiskType::Data)
            })
            .count()
    }
}

/// A disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disk {
    /// Its id.
    pub id: DiskId,
    /// Its account.
    pub account: Account,
    /// system or data.
    pub disk_type: DiskType,
    /// In_use or Available.
    pub status: DiskStatus,
    /// Size, GiB.
    pub size: u32,
    /// Kept: category.
    pub category: String,
    /// Kept: name.
    pub name: String,
    /// Released with its instance.
    pub delete_with_instance: bool,
    /// Its auto snapshots are released with it.
    pub delete_auto_snapshot: bool,
    /// The instance it is attached to.
    pub instance_id: Option<InstanceId>,
    /// Billing.
    pub charge_type: ChargeType,
    /// Its live snapshots, in creation order.
    pub snapshots: Vec<SnapshotId>,
    /// When it was created.
    pub creation_time: Timestamp,
    /// The seq of the event that created it (creation order).
    pub created_seq: u64,
}

/// A snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Its id.
    pub id: SnapshotId,
    /// Its account.
    pub account: Account,
    /// auto or user.
    pub snapshot_type: SnapshotType,
    /// The disk it was taken of (kept after that disk is released).
    pub source_disk_id: DiskId,
    /// That disk's type.
    pub source_disk_type: DiskType,
    /// That disk's size, GiB.
    pub source_disk_size: u32,
    /// Kept: name.
    pub name: String,
    /// Retained when its disk was released.
    pub retained: bool,
    /// When it was taken.
    pub creation_time: Timestamp,
    /// The seq of the event that created it (creation order).
    pub created_seq: u64,
}

/// A VPC route table, as far as the ledger models it: entries pointing at instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    /// Its id.
    pub id: RouteTableId,
    /// The account that first used it.
    pub account: Account,
    /// Destination CIDR block -> next hop instance.
    pub entries: BTreeMap<String, InstanceId>,
}

/// A load balancer, as far as the ledger models it: its backend servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// Its id.
    pub id: LoadBalancerId,
    /// The account that first used it.
    pub account: Account,
    /// Backend server -> weight.
    pub servers: BTreeMap<InstanceId, u32>,
}

/// One of the platform's system events on an instance, as
/// DescribeInstanceHistoryEvents lists it. Kept after the instance is
/// released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemEvent {
    /// `e-` and 20 characters, derived from the id of the event that
    /// recorded it.
    pub id: String,
    /// What happened.
    pub event_type: SystemEventType,
    /// The instance.
    pub instance_id: InstanceId,
    /// The instance's account.
    pub account: Account,
    /// When it happened (it is published, starts and finishes then).
    pub at: Timestamp,
}

/// Live resources by id. Released resources are absent.
///
/// The maps are hash maps with a fast hasher (a replay folds millions of
/// events into them); nothing the model decides depends on their iteration
/// order, and every output that lists them sorts first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Instances.
    pub instances: HashMap<InstanceId, Instance>,
    /// Disks.
    pub disks: HashMap<DiskId, Disk>,
    /// Snapshots.
    pub snapshots: HashMap<SnapshotId, Snapshot>,
    /// Route tables.
    pub route_tables: HashMap<RouteTableId, RouteTable>,
    /// Load balancers.
    pub load_balancers: HashMap<LoadBalancerId, LoadBalancer>,
    /// The platform's system events, in the order they happened.
    pub system_events: Vec<SystemEvent>,
}

impl State {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// The instance if it exists and belongs to `account` (others' look absent).
    pub fn instance(&self, account: &Account, id: &InstanceId) -> Option<&Instance> {
        self.instances.get(id).filter(|i| &i.account == account)
    }

    /// The disk if it exists and belongs to `account`.
    pub fn disk(&self, account: &Account, id: &DiskId) -> Option<&Disk> {
        self.disks.get(id).filter(|d| &d.account == account)
    }

    /// The snapshot if it exists and belongs to `account`.
    pub fn snapshot(&self, account: &Account, id: &SnapshotId) -> Option<&Snapshot> {
        self.snapshots.get(id).filter(|s| &s.account == account)
    }

    /// Folds a sequence of recorded events, any subset of a log (records
    /// not there are left alone: see [`evolve_partial`]).
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Recorded>) -> Self {
        let mut state = Self::new();
        for r in events {
            evolve_partial(&mut state, r);
        }
        state
    }

    /// Folds a whole log from its first event, refusing one that does not
    /// fit (see [`evolve`]).
    pub fn replay<'a>(
        events: impl IntoIterator<Item = &'a Recorded>,
    ) -> Result<Self, Inconsistent> {
        let mut state = Self::new();
        for r in events {
            evolve(&mut state, r)?;
        }
        Ok(state)
    }

    /// Keeps only the records whose tag is in `tags` (plus the snapshots of kept
    /// disks, which their disk's events rebuild completely).
    pub fn retain_tags(&mut self, tags: &BTreeSet<String>) {
        self.instances.retain(|k, _| tags.contains(k.as_str()));
        self.disks.retain(|k, _| tags.contains(k.as_str()));
        self.snapshots
            .retain(|k, s| tags.contains(k.as_str()) || tags.contains(s.source_disk_id.as_str()));
        self.route_tables.retain(|k, _| tags.contains(k.as_str()));
        self.load_balancers.retain(|k, _| tags.contains(k.as_str()));
    }

    /// A state holding copies of just the records named by `tags` (ids of
    /// any kind), for comparing parts of two states.
    pub fn clone_records<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> State {
        let mut out = State::new();
        for tag in tags {
            if let Some((k, v)) = self.instances.get_key_value(tag) {
                out.instances.insert(k.clone(), v.clone());
            }
            if let Some((k, v)) = self.disks.get_key_value(tag) {
                out.disks.insert(k.clone(), v.clone());
            }
            if let Some((k, v)) = self.snapshots.get_key_value(tag) {
                out.snapshots.insert(k.clone(), v.clone());
            }
            if let Some((k, v)) = self.route_tables.get_key_value(tag) {
                out.route_tables.insert(k.clone(), v.clone());
            }
            if let Some((k, v)) = self.load_balancers.get_key_value(tag) {
                out.load_balancers.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Total number of records.
    pub fn len(&self) -> usize {
        self.instances.len()
            + self.disks.len()
            + self.snapshots.len()
            + self.route_tables.len()
            + self.load_balancers.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An event names a record the state does not hold (or creates one it
/// already holds): the events are not a log this state is the fold of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({event}) names {what} {id}, which the state {how}")]
pub struct Inconsistent {
    /// The event's seq.
    pub seq: u64,
    /// The event's type.
    pub event: &'static str,
    /// The kind of record.
    pub what: &'static str,
    /// Its id.
    pub id: String,
    /// "does not hold" or "already holds".
    pub how: &'static str,
}

/// Applies one recorded event to a state that is the fold of every event
/// before it: each record the event changes must be there (and a record it
/// creates must not). Pure; on an inconsistency nothing is changed.
///
/// Records an event may outlive are not required: a release removes the
/// instance first, then releases or detaches its disks, then retains or
/// releases their snapshots.
pub fn evolve(state: &mut State, recorded: &Recorded) -> Result<(), Inconsistent> {
    check(state, recorded)?;
    evolve_partial(state, recorded);
    Ok(())
}

/// The records an event needs, checked (see [`evolve`]).
fn check(state: &State, r: &Recorded) -> Result<(), Inconsistent> {
    let missing = |what, id: &str| Inconsistent {
        seq: r.seq,
        event: r.event.type_name(),
        what,
        id: id.to_owned(),
        how: "does not hold",
    };
    let present = |what, id: &str| Inconsistent {
        seq: r.seq,
        event: r.event.type_name(),
        what,
        id: id.to_owned(),
        how: "already holds",
    };
    let need_instance = |id: &InstanceId| {
        state
            .instances
            .contains_key(id)
            .then_some(())
            .ok_or_else(|| missing("instance", id.as_str()))
    };
    let need_disk = |id: &DiskId| {
        state
            .disks
            .contains_key(id)
            .then_some(())
            .ok_or_else(|| missing("disk", id.as_str()))
    };
    let need_snapshot = |id: &SnapshotId| {
        state
            .snapshots
            .contains_key(id)
            .then_some(())
            .ok_or_else(|| missing("snapshot", id.as_str()))
    };
    match &r.event {
        Event::InstanceCreated(e) if state.instances.contains_key(&e.instance_id) => {
            Err(present("instance", e.instance_id.as_str()))
        }
        Event::DiskCreated(e) if state.disks.contains_key(&e.disk_id) => {
            Err(present("disk", e.disk_id.as_str()))
        }
        Event::DiskCreated(e) => e.instance_id.as_ref().map_or(Ok(()), need_instance),
        Event::SnapshotCreated(e) if state.snapshots.contains_key(&e.snapshot_id) => {
            Err(present("snapshot", e.snapshot_id.as_str()))
        }
        Event::SnapshotCreated(e) => need_disk(&e.disk_id),
        Event::InstanceStatusChanged(e) => need_instance(&e.instance_id),
        Event::InstanceExpired(e) => need_instance(&e.instance_id),
        Event::InstanceLocked(e) => need_instance(&e.instance_id),
        Event::InstanceUnlocked(e) => need_instance(&e.instance_id),
        Event::InstanceAttributeChanged(e) => need_instance(&e.instance_id),
        Event::InstanceRenewed(e) => need_instance(&e.instance_id),
        Event::InstanceReleased(e) => need_instance(&e.instance_id),
        Event::DiskAttached(e) => {
            need_disk(&e.disk_id).and_then(|()| need_instance(&e.instance_id))
        }
        Event::DiskDetached(e) => need_disk(&e.disk_id),
        Event::DiskAttributeChanged(e) => need_disk(&e.disk_id),
        Event::DiskReleased(e) => need_disk(&e.disk_id),
        Event::SnapshotReleased(e) => need_snapshot(&e.snapshot_id),
        Event::SnapshotRetained(e) => need_snapshot(&e.snapshot_id),
        Event::RouteEntryCreated(e) => need_instance(&e.next_hop_id),
        Event::BackendServerAdded(e) => need_instance(&e.server_id),
        Event::InstanceReleasePending(e) => need_instance(&e.instance_id),
        Event::InstanceReleaseTriggered(e) => need_instance(&e.instance_id),
        Event::AutoReleaseTimeChanged(e) => need_instance(&e.instance_id),
        Event::InstanceChargeTypeChanged(e) => need_instance(&e.instance_id),
        Event::DiskChargeTypeChanged(e) => need_disk(&e.disk_id),
        Event::InstanceCreated(_)
        | Event::RouteEntryDeleted(_)
        | Event::BackendServerRemoved(_) => Ok(()),
    }
}

/// Applies one recorded event to a state that holds only some records (one
/// resource's history, a scratch copy): an event about a record that is not
/// there leaves it alone. Pure and total. For the fold of a whole log, use
/// [`evolve`], which refuses an event that does not fit.
pub fn evolve_partial(state: &mut State, recorded: &Recorded) {
    match &recorded.event {
        Event::InstanceCreated(e) => instance_created(state, recorded, e),
        Event::DiskCreated(e) => disk_created(state, recorded, e),
        Event::InstanceStatusChanged(e) => instance_status_changed(state, recorded, e),
        Event::InstanceExpired(e) => instance_expired(state, recorded, e),
        Event::InstanceLocked(e) => instance_locked(state, recorded, e),
        Event::InstanceUnlocked(e) => instance_unlocked(state, recorded, e),
        Event::InstanceAttributeChanged(e) => instance_attribute_changed(state, recorded, e),
        Event::InstanceRenewed(e) => instance_renewed(state, recorded, e),
        Event::InstanceReleased(e) => instance_released(state, recorded, e),
        Event::DiskAttached(e) => disk_attached(state, recorded, e),
        Event::DiskDetached(e) => disk_detached(state, recorded, e),
        Event::DiskAttributeChanged(e) => disk_attribute_changed(state, recorded, e),
        Event::DiskReleased(e) => disk_released(state, recorded, e),
        Event::SnapshotCreated(e) => snapshot_created(state, recorded, e),
        Event::SnapshotReleased(e) => snapshot_released(state, recorded, e),
        Event::SnapshotRetained(e) => snapshot_retained(state, recorded, e),
        Event::RouteEntryCreated(e) => route_entry_created(state, recorded, e),
        Event::RouteEntryDeleted(e) => route_entry_deleted(state, recorded, e),
        Event::BackendServerAdded(e) => backend_server_added(state, recorded, e),
        Event::BackendServerRemoved(e) => backend_server_removed(state, recorded, e),
        Event::InstanceReleasePending(e) => instance_release_pending(state, recorded, e),
        Event::InstanceReleaseTriggered(e) => instance_release_triggered(state, recorded, e),
        Event::AutoReleaseTimeChanged(e) => auto_release_time_changed(state, e),
        Event::InstanceChargeTypeChanged(e) => instance_charge_type_changed(state, e),
        Event::DiskChargeTypeChanged(e) => disk_charge_type_changed(state, e),
    }
}

fn instance_created(state: &mut State, recorded: &Recorded, e: &event::InstanceCreated) {
    let at = recorded.time;
    state.instances.insert(
        e.instance_id.clone(),
        Instance {
            id: e.instance_id.clone(),
            account: recorded.account.clone(),
            status: InstanceStatus::Pending,
            status_until: Some(e.ready_at),
            charge_type: e.instance_charge_type,
            expired_time: e.expired_time,
            expired: false,
            deletion_protection: e.deletion_protection,
            locks: BTreeMap::new(),
            disks: Vec::new(),
            routes: BTreeSet::new(),
            load_balancers: BTreeSet::new(),
            creation_time: at,
            created_seq: recorded.seq,
            attributes: InstanceAttributes {
                instance_name: e.instance_name.clone(),
                instance_type: e.instance_type.clone(),
                image_id: e.image_id.clone(),
                region_id: e.region_id.clone(),
                zone_id: e.zone_id.clone(),
                description: e.description.clone(),
            },
            auto_release_time: None,
            pending_release: None,
        },
    );
}

fn disk_created(state: &mut State, recorded: &Recorded, e: &event::DiskCreated) {
    let at = recorded.time;
    state.disks.insert(
        e.disk_id.clone(),
        Disk {
            id: e.disk_id.clone(),
            account: recorded.account.clone(),
            disk_type: e.disk_type,
            status: if e.instance_id.is_some() {
                DiskStatus::InUse
            } else {
                DiskStatus::Available
            },
            size: e.size,
            category: e.category.clone(),
            name: e.disk_name.clone(),
            delete_with_instance: e.delete_with_instance,
            delete_auto_snapshot: e.delete_auto_snapshot,
            instance_id: e.instance_id.clone(),
            charge_type: e.disk_charge_type,
            snapshots: Vec::new(),
            creation_time: at,
            created_seq: recorded.seq,
        },
    );
    if let Some(i) = e
        .instance_id
        .as_ref()
        .and_then(|i| state.instances.get_mut(i))
    {
        i.disks.push(e.disk_id.clone());
    }
}

fn instance_status_changed(
    state: &mut State,
    recorded: &Recorded,
    e: &event::InstanceStatusChanged,
) {
    let Some(i) = state.instances.get_mut(&e.instance_id) else {
        return;
    };
    i.status = e.to;
    i.status_until = e.until;
    if e.reason == StatusReason::Expired {
        let account = i.account.clone();
        record_system_event(
            state,
            recorded,
            SystemEventType::ExpirationStop,
            &e.instance_id,
            account,
        );
    }
}

/// Adds one of the platform's system events (its id derived from the event
/// that recorded it, so a replay gives the same).
fn record_system_event(
    state: &mut State,
    recorded: &Recorded,
    event_type: SystemEventType,
    instance_id: &InstanceId,
    account: Account,
) {
    let digest = recorded.event_id.as_uuid().as_u128();
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let body: String = (0..20)
        .map(|k| alphabet[((digest >> (k * 6)) % 36) as usize] as char)
        .collect();
    state.system_events.push(SystemEvent {
        id: format!("e-{body}"),
        event_type,
        instance_id: instance_id.clone(),
        account,
        at: recorded.time,
    });
    let old = state
        .system_events
        .iter()
        .take_while(|e| !system_event_kept(e.at, recorded.time))
        .count();
    if old > 0 {
        state.system_events.drain(..old);
    }
}

fn instance_release_pending(
    state: &mut State,
    recorded: &Recorded,
    e: &event::InstanceReleasePending,
) {
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.pending_release = Some(recorded.request_id);
    }
}

fn instance_release_triggered(
    state: &mut State,
    recorded: &Recorded,
    e: &event::InstanceReleaseTriggered,
) {
    if e.trigger != ReleaseTrigger::SubscriptionEnded {
        return;
    }
    if let Some(account) = state
        .instances
        .get(&e.instance_id)
        .map(|i| i.account.clone())
    {
        record_system_event(
            state,
            recorded,
            SystemEventType::ExpirationDelete,
            &e.instance_id,
            account,
        );
    }
}

fn auto_release_time_changed(state: &mut State, e: &event::AutoReleaseTimeChanged) {
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.auto_release_time = e.auto_release_time;
    }
}

fn instance_charge_type_changed(state: &mut State, e: &event::InstanceChargeTypeChanged) {
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.charge_type = e.instance_charge_type;
        i.expired_time = e.expired_time;
        i.expired = false;
        if e.instance_charge_type == ChargeType::PrePaid {
            i.auto_release_time = None;
        }
    }
}

fn disk_charge_type_changed(state: &mut State, e: &event::DiskChargeTypeChanged) {
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        d.charge_type = e.disk_charge_type;
    }
}

fn instance_expired(state: &mut State, recorded: &Recorded, e: &event::InstanceExpired) {
    let _ = recorded;
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.expired = true;
    }
}

fn instance_locked(state: &mut State, recorded: &Recorded, e: &event::InstanceLocked) {
    let _ = recorded;
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.locks.insert(e.lock_reason, e.lock_msg.clone());
    }
}

fn instance_unlocked(state: &mut State, recorded: &Recorded, e: &event::InstanceUnlocked) {
    let _ = recorded;
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.locks.remove(&e.lock_reason);
    }
}

fn instance_attribute_changed(
    state: &mut State,
    recorded: &Recorded,
    e: &event::InstanceAttributeChanged,
) {
    let _ = recorded;
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        if let Some(dp) = e.deletion_protection {
            i.deletion_protection = dp;
        }
        if let Some(name) = &e.instance_name {
            i.attributes.instance_name = name.clone();
        }
        if let Some(d) = &e.description {
            i.attributes.description = d.clone();
        }
    }
}

fn instance_renewed(state: &mut State, recorded: &Recorded, e: &event::InstanceRenewed) {
    let _ = recorded;
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.expired_time = Some(e.expired_time);
        i.expired = false;
    }
}

fn instance_released(state: &mut State, recorded: &Recorded, e: &event::InstanceReleased) {
    let _ = recorded;
    state.instances.remove(&e.instance_id);
}

fn disk_attached(state: &mut State, recorded: &Recorded, e: &event::DiskAttached) {
    let _ = recorded;
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        d.status = DiskStatus::InUse;
        d.instance_id = Some(e.instance_id.clone());
        d.delete_with_instance = e.delete_with_instance;
    }
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.disks.push(e.disk_id.clone());
    }
}

fn disk_detached(state: &mut State, recorded: &Recorded, e: &event::DiskDetached) {
    let _ = recorded;
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        d.status = DiskStatus::Available;
        d.instance_id = None;
        d.charge_type = ChargeType::PostPaid;
        d.delete_with_instance = false;
    }
    if let Some(i) = state.instances.get_mut(&e.instance_id) {
        i.disks.retain(|d| d != &e.disk_id);
    }
}

fn disk_attribute_changed(state: &mut State, recorded: &Recorded, e: &event::DiskAttributeChanged) {
    let _ = recorded;
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        if let Some(v) = e.delete_with_instance {
            d.delete_with_instance = v;
        }
        if let Some(v) = e.delete_auto_snapshot {
            d.delete_auto_snapshot = v;
        }
    }
}

fn disk_released(state: &mut State, recorded: &Recorded, e: &event::DiskReleased) {
    let _ = recorded;
    state.disks.remove(&e.disk_id);
    if let Some(i) = e
        .instance_id
        .as_ref()
        .and_then(|i| state.instances.get_mut(i))
    {
        i.disks.retain(|d| d != &e.disk_id);
    }
}

fn snapshot_created(state: &mut State, recorded: &Recorded, e: &event::SnapshotCreated) {
    let at = recorded.time;
    state.snapshots.insert(
        e.snapshot_id.clone(),
        Snapshot {
            id: e.snapshot_id.clone(),
            account: recorded.account.clone(),
            snapshot_type: e.snapshot_type,
            source_disk_id: e.disk_id.clone(),
            source_disk_type: e.source_disk_type,
            source_disk_size: e.source_disk_size,
            name: e.snapshot_name.clone(),
            retained: false,
            creation_time: at,
            created_seq: recorded.seq,
        },
    );
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        d.snapshots.push(e.snapshot_id.clone());
    }
}

fn snapshot_released(state: &mut State, recorded: &Recorded, e: &event::SnapshotReleased) {
    let _ = recorded;
    state.snapshots.remove(&e.snapshot_id);
    if let Some(d) = state.disks.get_mut(&e.disk_id) {
        d.snapshots.retain(|s| s != &e.snapshot_id);
    }
}

fn snapshot_retained(state: &mut State, recorded: &Recorded, e: &event::SnapshotRetained) {
    let _ = recorded;
    if let Some(s) = state.snapshots.get_mut(&e.snapshot_id) {
        s.retained = true;
    }
}

fn route_entry_created(state: &mut State, recorded: &Recorded, e: &event::RouteEntryCreated) {
    state
        .route_tables
        .entry(e.route_table_id.clone())
        .or_insert_with(|| RouteTable {
            id: e.route_table_id.clone(),
            account: recorded.account.clone(),
            entries: BTreeMap::new(),
        })
        .entries
        .insert(e.destination_cidr_block.clone(), e.next_hop_id.clone());
    if let Some(i) = state.instances.get_mut(&e.next_hop_id) {
        i.routes
            .insert((e.route_table_id.clone(), e.destination_cidr_block.clone()));
    }
}

fn route_entry_deleted(state: &mut State, recorded: &Recorded, e: &event::RouteEntryDeleted) {
    let _ = recorded;
    if let Some(t) = state.route_tables.get_mut(&e.route_table_id) {
        t.entries.remove(&e.destination_cidr_block);
    }
    if let Some(i) = state.instances.get_mut(&e.next_hop_id) {
        i.routes
            .remove(&(e.route_table_id.clone(), e.destination_cidr_block.clone()));
    }
}

fn backend_server_added(state: &mut State, recorded: &Recorded, e: &event::BackendServerAdded) {
    state
        .load_balancers
        .entry(e.load_balancer_id.clone())
        .or_insert_with(|| LoadBalancer {
            id: e.load_balancer_id.clone(),
            account: recorded.account.clone(),
            servers: BTreeMap::new(),
        })
        .servers
        .insert(e.server_id.clone(), e.weight);
    if let Some(i) = state.instances.get_mut(&e.server_id) {
        i.load_balancers.insert(e.load_balancer_id.clone());
    }
}

fn backend_server_removed(state: &mut State, recorded: &Recorded, e: &event::BackendServerRemoved) {
    let _ = recorded;
    if let Some(lb) = state.load_balancers.get_mut(&e.load_balancer_id) {
        lb.servers.remove(&e.server_id);
    }
    if let Some(i) = state.instances.get_mut(&e.server_id) {
        i.load_balancers.remove(&e.load_balancer_id);
    }
}
