//! The workload: structured operations over every action, valid and invalid,
//! and a seeded generator of them.
//!
//! Operations name resources by index into pools of every id the run has
//! created ([`Target::Known`]), so a trace stays meaningful when steps are
//! deleted from it (shrinking), and they hit live, released and foreign
//! resources alike. The generator keeps the live population bounded (see
//! [`upkeep`]), so the cost of a step does not grow with the steps before it.

mod generator;
pub mod upkeep;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::faults::FaultKind;
use super::oracle::{History, Oracle};
use crate::model::time::Timestamp;
use crate::model::values::{InstanceStatus, LockReason, PeriodUnit};

pub use generator::Generator;

/// A resource an operation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The n-th id of its kind created in this run (modulo the pool size).
    Known(u32),
    /// An id that was never created.
    Unknown(String),
}

/// How many of the latest requests with a ClientToken a [`Op::Retry`] can
/// name: a bound on what a run remembers. A token lives 24 hours of ledger
/// time, which this workload's clock passes in a few dozen steps on average,
/// so older requests would only be retried as new ones anyway.
pub const RETRY_WINDOW: u32 = 256;

/// One step of a simulation. Every operation acts as `account` (an index
/// into the run's accounts, see [`account_name`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // the fields are named after the parameters they set
pub enum Op {
    /// CreateInstance: data disks as (size GiB, DeleteWithInstance,
    /// DeleteAutoSnapshot), a PrePaid period, DeletionProtection.
    Create {
        account: u8,
        data: Vec<(u32, bool, bool)>,
        prepaid: Option<(u32, PeriodUnit)>,
        protection: bool,
        token: Option<String>,
    },
    /// DeleteInstance; `orderly` sends `ForceStop=false` (absent from
    /// traces saved before it: `ForceStop` not sent).
    Delete {
        account: u8,
        target: Target,
        force: bool,
        #[serde(default)]
        orderly: bool,
        dry: bool,
        token: Option<String>,
    },
    /// DeleteInstances; `orderly` as for [`Op::Delete`].
    DeleteMany {
        account: u8,
        targets: Vec<Target>,
        force: bool,
        #[serde(default)]
        orderly: bool,
        dry: bool,
    },
    /// ModifyInstanceAutoReleaseTime.
    AutoRelease {
        account: u8,
        target: Target,
        at: ReleaseAt,
    },
    /// ModifyInstanceChargeType: to PrePaid for `period`, or to PostPaid
    /// without one.
    ChargeType {
        account: u8,
        targets: Vec<Target>,
        period: Option<(u32, PeriodUnit)>,
        include_data: bool,
    },
    /// DescribeInstanceHistoryEvents, optionally of one `EventType`.
    History { account: u8, kind: Option<History> },
    /// StartInstance.
    Start { account: u8, target: Target },
    /// StopInstance.
    Stop { account: u8, target: Target },
    /// ModifyInstanceAttribute setting DeletionProtection.
    Protect {
        account: u8,
        target: Target,
        on: bool,
    },
    /// RenewInstance by whole months.
    Renew {
        account: u8,
        target: Target,
        months: u32,
    },
    /// CreateDisk of `size` GiB.
    CreateDisk {
        account: u8,
        size: u32,
        token: Option<String>,
    },
    /// AttachDisk.
    Attach {
        account: u8,
        disk: Target,
        instance: Target,
        dwi: bool,
    },
    /// DetachDisk.
    Detach {
        account: u8,
        disk: Target,
        instance: Target,
    },
    /// ModifyDiskAttribute.
    ModifyDisk {
        account: u8,
        disk: Target,
        dwi: Option<bool>,
        das: Option<bool>,
    },
    /// CreateSnapshot, or CreateAutoSnapshot when `auto`.
    Snapshot {
        account: u8,
        disk: Target,
        auto: bool,
    },
    /// DeleteSnapshot.
    DeleteSnapshot { account: u8, snapshot: Target },
    /// DeleteDisk.
    DeleteDisk { account: u8, disk: Target },
    /// CreateRouteEntry in table `table` (of [`TABLES`]) to destination
    /// `cidr` (see [`cidr_block`]).
    Route {
        account: u8,
        table: u8,
        cidr: u8,
        instance: Target,
    },
    /// DeleteRouteEntry.
    Unroute { account: u8, table: u8, cidr: u8 },
    /// AddBackendServers with one server, to load balancer `lb` (of [`LBS`]).
    Backend {
        account: u8,
        lb: u8,
        instance: Target,
        weight: u32,
    },
    /// RemoveBackendServers with one server.
    Unbackend {
        account: u8,
        lb: u8,
        instance: Target,
    },
    /// LockInstance.
    Lock {
        account: u8,
        instance: Target,
        reason: LockReason,
    },
    /// UnlockInstance.
    Unlock {
        account: u8,
        instance: Target,
        reason: LockReason,
    },
    /// DescribeInstances, 100 a page, optionally of one status.
    Describe {
        account: u8,
        status: Option<InstanceStatus>,
    },
    /// One of a fixed list of malformed requests ([`super::driver::INVALID`]).
    Invalid { account: u8, case: u8 },
    /// Send again one of the last [`RETRY_WINDOW`] requests that carried a
    /// ClientToken (the n-th, modulo how many there are, oldest first: a
    /// retry after a lost answer), unchanged or with a parameter changed.
    Retry { nth: u32, changed: bool },
    /// Move the clock forward.
    Advance { secs: u32 },
    /// Several requests in one group commit (racing callers).
    Batch { ops: Vec<Op> },
    /// Inject a fault.
    Fault { kind: FaultKind },
}

/// The `AutoReleaseTime` a [`Op::AutoRelease`] sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)] // the fields are documented with their variant
pub enum ReleaseAt {
    /// None: cancels the automatic release.
    Clear,
    /// `secs` after the ledger time, as `yyyy-MM-ddTHH:mm:ssZ`, or
    /// `yyyy-MM-ddTHH:mmZ` when `minutes`.
    In { secs: u32, minutes: bool },
    /// The n-th of a fixed list of malformed times (see [`malformed_time`]).
    Malformed(u8),
}

/// Malformed `AutoReleaseTime` values.
const MALFORMED_TIMES: [&str; 5] = [
    "tomorrow",
    "2026-02-30T10:00:00Z",
    "2026-06-01 10:00:00",
    "2026-06-01T10:00:00+08:00",
    "2026-06-01",
];

/// The n-th malformed `AutoReleaseTime` (modulo the list).
pub fn malformed_time(n: u8) -> &'static str {
    MALFORMED_TIMES[n as usize % MALFORMED_TIMES.len()]
}

/// Every id of one kind the run created, in creation order, with its
/// owner's account index, and which of them are live.
///
/// Kept compactly (one string of all the ids and where each ends): a long
/// run creates hundreds of thousands of ids and a trace may name any of them.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    text: String,
    ends: Vec<usize>,
    owners: Vec<u8>,
    /// Indices of the live ids, in no particular (but deterministic) order.
    live: Vec<u32>,
    /// For each live id: its index, and its position in `live`.
    live_at: HashMap<String, (u32, usize)>,
}

impl Pool {
    /// Ids created.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when none was created.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The n-th id created.
    pub fn id(&self, n: usize) -> &str {
        let start = n.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.text[start..self.ends[n]]
    }

    /// The account index of the n-th id's owner.
    pub fn owner(&self, n: usize) -> u8 {
        self.owners[n]
    }

    /// Records a new id, live.
    pub fn created(&mut self, id: &str, owner: u8) {
        let n = self.ends.len() as u32;
        self.text.push_str(id);
        self.ends.push(self.text.len());
        self.owners.push(owner);
        self.live_at.insert(id.to_owned(), (n, self.live.len()));
        self.live.push(n);
    }

    /// Records that an id was released.
    pub fn released(&mut self, id: &str) {
        let Some((_, at)) = self.live_at.remove(id) else {
            return;
        };
        self.live.swap_remove(at);
        if let Some(&moved) = self.live.get(at) {
            let moved_id = self.id(moved as usize).to_owned();
            if let Some(slot) = self.live_at.get_mut(&moved_id) {
                slot.1 = at;
            }
        }
    }

    /// Live ids.
    pub fn live_len(&self) -> usize {
        self.live.len()
    }

    /// The index of the k-th live id (k below [`Pool::live_len`]).
    pub fn live(&self, k: usize) -> u32 {
        self.live[k]
    }

    /// The index of a live id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.live_at.get(id).map(|(n, _)| *n)
    }

    /// The id a target names (a known one modulo the pool's size; `kind`
    /// makes an id that does not exist when the pool is empty).
    pub fn resolve(&self, t: &Target, kind: &str) -> String {
        match t {
            Target::Known(n) if !self.is_empty() => self.id(*n as usize % self.len()).to_owned(),
            Target::Known(n) => format!("{kind}-nothing{n:08}"),
            Target::Unknown(id) => id.clone(),
        }
    }
}

/// Ids created so far, by kind.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// Instances.
    pub instances: Pool,
    /// Disks.
    pub disks: Pool,
    /// Snapshots.
    pub snapshots: Pool,
}

/// What the generator may look at: the ids, the oracle's records and the
/// ledger clock (to keep the live population in bounds).
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Ids created so far.
    pub pools: &'a Pools,
    /// The oracle's records.
    pub oracle: &'a Oracle,
    /// The ledger clock.
    pub now: Timestamp,
}

/// The route tables the workload uses.
pub const TABLES: [&str; 3] = ["vtb-simtable0001", "vtb-simtable0002", "vtb-simtable0003"];
/// The load balancers the workload uses.
pub const LBS: [&str; 3] = ["lb-simbalance001", "lb-simbalance002", "lb-simbalance003"];
/// The destinations of everyday route entries; entries 4-255 exist to fill
/// a table to its quota.
const CIDRS: [&str; 4] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.100.0.0/16",
];

/// The destination a route operation's `cidr` names.
pub fn cidr_block(n: u8) -> String {
    match CIDRS.get(n as usize) {
        Some(c) => (*c).to_owned(),
        None => format!("100.64.{n}.0/24"),
    }
}

/// The `cidr` that names a destination (the inverse of [`cidr_block`]).
pub fn cidr_index(block: &str) -> Option<u8> {
    if let Some(n) = CIDRS.iter().position(|c| *c == block) {
        return u8::try_from(n).ok();
    }
    let n: u8 = block
        .strip_prefix("100.64.")?
        .strip_suffix(".0/24")?
        .parse()
        .ok()?;
    (n as usize >= CIDRS.len()).then_some(n)
}

/// The name of the n-th account.
pub fn account_name(n: u8) -> String {
    if n == 0 {
        "default".to_owned()
    } else {
        format!("acct-{n}")
    }
}

/// The index of an account name (the inverse of [`account_name`]).
pub fn account_index(name: &str) -> Option<u8> {
    match name {
        "default" => Some(0),
        _ => name.strip_prefix("acct-")?.parse().ok(),
    }
}

impl Op {
    /// The operation's kind: its variant's name, as in a trace.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Create { .. } => "Create",
            Op::Delete { .. } => "Delete",
            Op::DeleteMany { .. } => "DeleteMany",
            Op::AutoRelease { .. } => "AutoRelease",
            Op::ChargeType { .. } => "ChargeType",
            Op::History { .. } => "History",
            Op::Start { .. } => "Start",
            Op::Stop { .. } => "Stop",
            Op::Protect { .. } => "Protect",
            Op::Renew { .. } => "Renew",
            Op::CreateDisk { .. } => "CreateDisk",
            Op::Attach { .. } => "Attach",
            Op::Detach { .. } => "Detach",
            Op::ModifyDisk { .. } => "ModifyDisk",
            Op::Snapshot { .. } => "Snapshot",
            Op::DeleteSnapshot { .. } => "DeleteSnapshot",
            Op::DeleteDisk { .. } => "DeleteDisk",
            Op::Route { .. } => "Route",
            Op::Unroute { .. } => "Unroute",
            Op::Backend { .. } => "Backend",
            Op::Unbackend { .. } => "Unbackend",
            Op::Lock { .. } => "Lock",
            Op::Unlock { .. } => "Unlock",
            Op::Describe { .. } => "Describe",
            Op::Invalid { .. } => "Invalid",
            Op::Retry { .. } => "Retry",
            Op::Advance { .. } => "Advance",
            Op::Batch { .. } => "Batch",
            Op::Fault { .. } => "Fault",
        }
    }

    /// True for an operation that is one request.
    pub fn is_request(&self) -> bool {
        !matches!(
            self,
            Op::Advance { .. } | Op::Batch { .. } | Op::Fault { .. } | Op::Retry { .. }
        )
    }
}
