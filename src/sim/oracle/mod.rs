//! The oracle: a deliberately simple reference model of the behaviour
//! reference (DeleteInstance's table, the supporting actions, transitions
//! and expiry), written separately from `model::decide` (its own plain
//! records, its own rule code, its own fold, its own limits), that predicts
//! every request's outcome: the error code, or the exact events. New
//! resources' ids cannot be predicted without copying the id scheme, so a
//! prediction names them with placeholders (`i-0new…`, `d-0new…`, `s-0new…`)
//! that the comparison binds to the ids the ledger generated (checking they
//! are fresh).
//!
//! The release lifecycle (docs/BEHAVIOUR.md §7) is restated here too: an
//! orderly forced release (`ForceStop=false`) stops first and is released by
//! the platform when the stop completes; the automatic release time; the
//! release of a subscription 15 days after it expired unrenewed; the change
//! of billing; the history of the platform's system events (a count).
//!
//! Two implementations agreeing on millions of generated requests is the
//! evidence; keep this one obvious rather than clever. It holds live
//! resources only: a released one is forgotten at once.

mod due;
mod fold;
mod instances;
mod lifecycle;
mod network;
mod storage;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use lifecycle::Release;

use crate::model::ctx::Durations;
use crate::model::error::Code;
use crate::model::event::Event;
use crate::model::id::{DiskId, InstanceId, RequestId, SnapshotId};
use crate::model::time::Timestamp;
use crate::model::values::{InstanceStatus, LockReason};

/// Most data disks on one instance (ECS).
pub const DATA_DISKS_MAX: usize = 16;
/// Most snapshots of one disk (ECS).
pub const SNAPSHOTS_PER_DISK_MAX: usize = 256;
/// Most custom entries in one route table (VPC).
pub const ROUTE_ENTRIES_MAX: usize = 200;
/// Most backend servers on one load balancer (SLB's quota; one
/// AddBackendServers call takes at most 20, more is a malformed request).
pub const LB_SERVERS_MAX: usize = 200;
/// The nearest automatic release time: 30 minutes after the request.
pub const AUTO_RELEASE_NEAREST_SECS: i64 = 1800;
/// The farthest automatic release time: three years (36 calendar months)
/// after the request.
pub const AUTO_RELEASE_FARTHEST_MONTHS: u32 = 36;
/// An expired subscription not renewed is released this long after its
/// expiry: 15 days.
pub const GRACE_SECS: i64 = 15 * 86_400;
/// How long DescribeInstanceHistoryEvents lists a system event: 30 days
/// (ECS lists the events completed within the last 30 days).
pub const HISTORY_KEPT_SECS: i64 = 30 * 86_400;
/// Most instances one ModifyInstanceChargeType names.
pub const CHARGE_TYPE_INSTANCES_MAX: usize = 20;

/// The platform's system events DescribeInstanceHistoryEvents lists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum History {
    /// `InstanceExpiration.Stop`: expiry stopped a running subscription.
    ExpirationStop,
    /// `InstanceExpiration.Delete`: a subscription not renewed in time was
    /// released.
    ExpirationDelete,
}

impl History {
    /// Its `EventType` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            History::ExpirationStop => "InstanceExpiration.Stop",
            History::ExpirationDelete => "InstanceExpiration.Delete",
        }
    }
}

/// An instance as the oracle sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OInstance {
    /// Owner.
    pub account: String,
    /// Status.
    pub status: InstanceStatus,
    /// End of a transitional status.
    pub until: Option<Timestamp>,
    /// PrePaid.
    pub prepaid: bool,
    /// Subscription end.
    pub expiry: Option<Timestamp>,
    /// Expiry reached and not renewed.
    pub expired: bool,
    /// Deletion protection.
    pub protection: bool,
    /// Locks.
    pub locks: BTreeMap<LockReason, String>,
    /// Attached disks in order.
    pub disks: Vec<String>,
    /// Route entries pointing here: (table, destination).
    pub routes: BTreeSet<(String, String)>,
    /// Load balancers using it.
    pub lbs: BTreeSet<String>,
    /// Creation order, for Describe.
    pub born: u64,
    /// When its next transition or expiry is due (its key in the timers).
    pub timer: Option<Timestamp>,
    /// When the platform releases it (ModifyInstanceAutoReleaseTime).
    pub auto_release: Option<Timestamp>,
    /// The DeleteInstance(s) request whose orderly release waits for its stop.
    pub pending: Option<RequestId>,
}

impl OInstance {
    /// A subscription past its end at `now`, whether or not the expiry has
    /// been applied yet (it is applied in its own request at that time).
    pub fn expired_at(&self, now: Timestamp) -> bool {
        self.expired || (self.prepaid && self.expiry.is_some_and(|e| now >= e))
    }
}

/// A disk as the oracle sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ODisk {
    /// Owner.
    pub account: String,
    /// A system disk.
    pub system: bool,
    /// Attached to.
    pub instance: Option<String>,
    /// Size, GiB.
    pub size: u32,
    /// DeleteWithInstance.
    pub dwi: bool,
    /// DeleteAutoSnapshot.
    pub das: bool,
    /// PrePaid billing.
    pub prepaid: bool,
    /// Live snapshots in creation order.
    pub snapshots: Vec<String>,
}

/// A snapshot as the oracle sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OSnapshot {
    /// Owner.
    pub account: String,
    /// Taken by the automatic policy.
    pub auto: bool,
    /// Source disk.
    pub disk: String,
    /// Retained when its disk was released.
    pub retained: bool,
}

/// A route table or a load balancer: its owner and its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owned<V> {
    /// The account that created it (with its first entry).
    pub owner: String,
    /// Route table: destination -> instance; load balancer: instance -> weight.
    pub entries: BTreeMap<String, V>,
}

/// What the oracle expects of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// This error code.
    Error(Code),
    /// Success with exactly these events (placeholder ids for new resources).
    Events(Vec<Event>),
}

/// A transition the oracle expects the ledger to apply before a request:
/// when it was due, the owner, and its events.
pub type Due = (Timestamp, String, Vec<Event>);

/// The reference model.
#[derive(Debug, Clone, Default)]
pub struct Oracle {
    /// Instances.
    pub instances: BTreeMap<String, OInstance>,
    /// Disks.
    pub disks: BTreeMap<String, ODisk>,
    /// Snapshots.
    pub snapshots: BTreeMap<String, OSnapshot>,
    /// Route tables.
    pub tables: BTreeMap<String, Owned<String>>,
    /// Load balancers.
    pub lbs: BTreeMap<String, Owned<u32>>,
    /// Transition durations.
    pub durations: Durations,
    /// Every instance with a transition or an expiry ahead, by when it is
    /// due: `due` looks at the instances due, not at every instance.
    timers: BTreeSet<(Timestamp, String)>,
    born: u64,
    /// The platform's system events of the last 30 days, by account, oldest
    /// first (they stay after their instance is released).
    pub history: BTreeMap<String, VecDeque<(Timestamp, History)>>,
    /// Plant a wrong rule (tests of the simulator itself): row 7 forgotten.
    pub forget_row_7: bool,
}

fn iid(s: &str) -> InstanceId {
    InstanceId::parse(s).unwrap_or_else(|_| placeholder_instance(0))
}
fn did(s: &str) -> DiskId {
    DiskId::parse(s).unwrap_or_else(|_| placeholder_disk(0))
}
fn sid(s: &str) -> SnapshotId {
    SnapshotId::parse(s).unwrap_or_else(|_| placeholder_snapshot(0))
}

/// The n-th placeholder instance id of a prediction.
pub fn placeholder_instance(n: usize) -> InstanceId {
    InstanceId::parse(&format!("i-0new{n:010}")).unwrap_or_else(|_| unreachable!("valid id syntax"))
}
/// The n-th placeholder disk id of a prediction.
pub fn placeholder_disk(n: usize) -> DiskId {
    DiskId::parse(&format!("d-0new{n:010}")).unwrap_or_else(|_| unreachable!("valid id syntax"))
}
/// The n-th placeholder snapshot id of a prediction.
pub fn placeholder_snapshot(n: usize) -> SnapshotId {
    SnapshotId::parse(&format!("s-0new{n:010}")).unwrap_or_else(|_| unreachable!("valid id syntax"))
}

/// True for a placeholder id: a kind's prefix, `0new` and exactly ten
/// digits. The ledger's ids have twenty characters after the prefix, so one
/// that happens to start with `0new` is never taken for a placeholder.
pub fn is_placeholder(s: &str) -> bool {
    let Some(digits) = ["i-0new", "d-0new", "s-0new"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
    else {
        return false;
    };
    digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn plus(t: Timestamp, secs: u32) -> Option<Timestamp> {
    t.add_secs(i64::from(secs))
}

impl Oracle {
    /// An empty world with these transition durations.
    pub fn new(durations: Durations) -> Self {
        Self {
            durations,
            ..Self::default()
        }
    }

    fn inst(&self, id: &str, acct: &str) -> Option<&OInstance> {
        self.instances.get(id).filter(|i| i.account == acct)
    }
    fn disk(&self, id: &str, acct: &str) -> Option<&ODisk> {
        self.disks.get(id).filter(|d| d.account == acct)
    }
    fn snap(&self, id: &str, acct: &str) -> Option<&OSnapshot> {
        self.snapshots.get(id).filter(|s| s.account == acct)
    }

    /// Live instances, disks and snapshots.
    pub fn live(&self) -> (usize, usize, usize) {
        (self.instances.len(), self.disks.len(), self.snapshots.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_id_starting_like_a_placeholder_is_not_one() {
        assert!(is_placeholder(placeholder_instance(3).as_str()));
        assert!(is_placeholder(placeholder_disk(0).as_str()));
        assert!(is_placeholder(placeholder_snapshot(12).as_str()));
        // Seed 7 of the old workload: the ledger generated this id at 158,206
        // operations, and a prediction naming it was taken for one to bind.
        assert!(!is_placeholder("i-0newg99qwnf1885gdczv"));
        assert!(!is_placeholder("d-0new12345678901234567890"));
    }
}
