//! The oracle: a deliberately simple reference model of docs/BEHAVIOUR.md §2-§4,
//! written separately from `model::decide` (its own plain records, its own
//! rule code, its own fold), that predicts every request's outcome: the error
//! code, or the exact events. New resources' ids cannot be predicted without
//! copying the id scheme, so a prediction names them with placeholders
//! (`i-0new…`, `d-0new…`, `s-0new…`) that the comparison binds to the ids the
//! ledger generated (checking they are fresh).
//!
//! Two implementations agreeing on millions of generated requests is the
//! evidence; keep this one obvious rather than clever.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::ctx::Durations;
use crate::model::error::Code;
use crate::model::event::*;
use crate::model::id::{DiskId, InstanceId, LoadBalancerId, RouteTableId, SnapshotId};
use crate::model::scheduler::EXPIRY_LOCK_MSG;
use crate::model::time::Timestamp;
use crate::model::values::*;

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
    /// Route entries pointing here.
    pub routes: BTreeSet<(String, String)>,
    /// Load balancers using it.
    pub lbs: BTreeSet<String>,
    /// Creation order, for Describe.
    pub born: u64,
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
    /// Size.
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

/// What the oracle expects of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// This error code.
    Error(Code),
    /// Success with exactly these events (placeholder ids for new resources).
    Events(Vec<Event>),
}

/// The reference model.
#[derive(Debug, Clone, Default)]
pub struct Oracle {
    /// Instances.
    pub instances: BTreeMap<String, OInstance>,
    /// Disks.
    pub disks: BTreeMap<String, ODisk>,
    /// Snapshots.
    pub snapshots: BTreeMap<String, OSnapshot>,
    /// Route tables: owner and entries (cidr -> instance).
    pub tables: BTreeMap<String, (String, BTreeMap<String, String>)>,
    /// Load balancers: owner and servers (instance -> weight).
    pub lbs: BTreeMap<String, (String, BTreeMap<String, u32>)>,
    /// Transition durations.
    pub durations: Durations,
    born: u64,
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

/// True for a placeholder id.
pub fn is_placeholder(s: &str) -> bool {
    ["i-0new", "d-0new", "s-0new"]
        .iter()
        .any(|p| s.starts_with(p))
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

    // ------------------------------------------------------------ transitions

    fn next_due(i: &OInstance) -> Option<(Timestamp, bool)> {
        let transition = match i.status {
            InstanceStatus::Pending | InstanceStatus::Starting | InstanceStatus::Stopping => {
                i.until
            }
            _ => None,
        };
        let expiry = if i.prepaid && !i.expired {
            i.expiry
        } else {
            None
        };
        match (transition, expiry) {
            (Some(t), Some(e)) if e < t => Some((e, true)),
            (Some(t), _) => Some((t, false)),
            (None, Some(e)) => Some((e, true)),
            (None, None) => None,
        }
    }

    /// The transitions due by `now`: (due time, owner, events), in order of
    /// due time then instance id.
    pub fn due(&self, now: Timestamp) -> Vec<(Timestamp, String, Vec<Event>)> {
        let mut out = Vec::new();
        for (id, original) in &self.instances {
            let mut i = original.clone();
            while let Some((at, is_expiry)) = Self::next_due(&i).filter(|(t, _)| *t <= now) {
                let mut events = Vec::new();
                if !is_expiry {
                    let to = match i.status {
                        InstanceStatus::Starting => InstanceStatus::Running,
                        _ => InstanceStatus::Stopped,
                    };
                    let reason = match i.status {
                        InstanceStatus::Pending => StatusReason::Created,
                        InstanceStatus::Starting => StatusReason::Started,
                        _ => StatusReason::Stopped,
                    };
                    events.push(Event::InstanceStatusChanged(InstanceStatusChanged {
                        instance_id: iid(id),
                        from: i.status,
                        to,
                        reason,
                        until: None,
                    }));
                    i.status = to;
                    i.until = None;
                } else {
                    events.push(Event::InstanceExpired(InstanceExpired {
                        instance_id: iid(id),
                        expired_time: at,
                    }));
                    if matches!(i.status, InstanceStatus::Running | InstanceStatus::Starting) {
                        events.push(Event::InstanceStatusChanged(InstanceStatusChanged {
                            instance_id: iid(id),
                            from: i.status,
                            to: InstanceStatus::Stopped,
                            reason: StatusReason::Expired,
                            until: None,
                        }));
                        i.status = InstanceStatus::Stopped;
                        i.until = None;
                    }
                    if let std::collections::btree_map::Entry::Vacant(slot) =
                        i.locks.entry(LockReason::Financial)
                    {
                        events.push(Event::InstanceLocked(InstanceLocked {
                            instance_id: iid(id),
                            lock_reason: LockReason::Financial,
                            lock_msg: EXPIRY_LOCK_MSG.to_owned(),
                        }));
                        slot.insert(EXPIRY_LOCK_MSG.to_owned());
                    }
                    i.expired = true;
                }
                out.push((at, id.clone(), i.account.clone(), events));
            }
        }
        out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        out.into_iter()
            .map(|(t, _, acct, e)| (t, acct, e))
            .collect()
    }

    // ------------------------------------------------------------ releases

    fn release_disk_events(
        &self,
        d: &str,
        instance: Option<&str>,
        reason: DiskReleaseReason,
        out: &mut Vec<Event>,
    ) {
        let disk = &self.disks[d];
        out.push(Event::DiskReleased(DiskReleased {
            disk_id: did(d),
            instance_id: instance.map(iid),
            reason,
        }));
        for s in &disk.snapshots {
            let snap = &self.snapshots[s];
            if snap.auto && disk.das {
                out.push(Event::SnapshotReleased(SnapshotReleased {
                    snapshot_id: sid(s),
                    disk_id: did(d),
                    reason: SnapshotReleaseReason::DeleteAutoSnapshot,
                }));
            } else {
                out.push(Event::SnapshotRetained(SnapshotRetained {
                    snapshot_id: sid(s),
                    disk_id: did(d),
                    snapshot_type: if snap.auto {
                        SnapshotType::Auto
                    } else {
                        SnapshotType::User
                    },
                }));
            }
        }
    }

    fn release_events(&self, id: &str, force: bool) -> Vec<Event> {
        let i = &self.instances[id];
        let security = i.locks.contains_key(&LockReason::Security);
        let mut out = vec![Event::InstanceReleased(InstanceReleased {
            instance_id: iid(id),
            previous_status: i.status,
            forced: force,
            security_locked: security,
        })];
        for d in &i.disks {
            let disk = &self.disks[d];
            if disk.dwi {
                self.release_disk_events(
                    d,
                    Some(id),
                    DiskReleaseReason::DeleteWithInstance,
                    &mut out,
                );
            } else if security {
                self.release_disk_events(d, Some(id), DiskReleaseReason::SecurityLock, &mut out);
            } else {
                out.push(Event::DiskDetached(DiskDetached {
                    disk_id: did(d),
                    instance_id: iid(id),
                    reason: DetachReason::InstanceReleased,
                }));
            }
        }
        out
    }

    /// Rows 3-10 of the DeleteInstance table for one instance.
    fn delete_check(&self, id: &str, acct: &str, force: bool, now: Timestamp) -> Option<Code> {
        let Some(i) = self.inst(id, acct) else {
            return Some(Code::InstanceNotFound);
        };
        if i.status == InstanceStatus::Pending {
            return Some(Code::InstanceInitializing);
        }
        if i.protection {
            return Some(Code::DeletionProtection);
        }
        let expired = i.expired || i.expiry.is_some_and(|e| now >= e);
        if i.prepaid && !expired {
            return Some(Code::ChargeTypeViolation);
        }
        let stopped = i.status == InstanceStatus::Stopped;
        if !self.forget_row_7 && i.locks.contains_key(&LockReason::Security) && force && !stopped {
            return Some(Code::InstanceLockedForSecurity);
        }
        if !(stopped || (i.status == InstanceStatus::Running && force)) {
            return Some(Code::IncorrectInstanceStatus);
        }
        if !i.routes.is_empty() {
            return Some(Code::DependencyRouteEntry);
        }
        if !i.lbs.is_empty() {
            return Some(Code::DependencySlb);
        }
        None
    }

    // ------------------------------------------------------------ predictions

    /// DeleteInstance.
    pub fn delete_instance(
        &self,
        acct: &str,
        id: &str,
        force: bool,
        dry: bool,
        now: Timestamp,
    ) -> Expect {
        if let Some(code) = self.delete_check(id, acct, force, now) {
            return Expect::Error(code);
        }
        if dry {
            return Expect::Error(Code::DryRunOperation);
        }
        Expect::Events(self.release_events(id, force))
    }

    /// DeleteInstances (ids already valid and distinct).
    pub fn delete_instances(
        &self,
        acct: &str,
        ids: &[String],
        force: bool,
        dry: bool,
        now: Timestamp,
    ) -> Expect {
        for id in ids {
            if let Some(code) = self.delete_check(id, acct, force, now) {
                return Expect::Error(code);
            }
        }
        if dry {
            return Expect::Error(Code::DryRunSuccess);
        }
        Expect::Events(
            ids.iter()
                .flat_map(|id| self.release_events(id, force))
                .collect(),
        )
    }

    /// CreateInstance.
    pub fn create_instance(
        &self,
        data: &[(u32, bool, bool)],
        prepaid: Option<(u32, PeriodUnit)>,
        protection: bool,
        now: Timestamp,
    ) -> Expect {
        let expiry = match prepaid {
            None => None,
            Some((n, PeriodUnit::Week)) => now.add_weeks(n),
            Some((n, PeriodUnit::Month)) => now.add_months(n),
        };
        let charge = if prepaid.is_some() {
            ChargeType::PrePaid
        } else {
            ChargeType::PostPaid
        };
        let Some(ready) = plus(now, self.durations.create_secs) else {
            return Expect::Error(Code::InternalError);
        };
        let i = placeholder_instance(0);
        let mut out = vec![Event::InstanceCreated(InstanceCreated {
            instance_id: i.clone(),
            instance_charge_type: charge,
            expired_time: expiry,
            deletion_protection: protection,
            ready_at: ready,
            instance_name: String::new(),
            instance_type: String::new(),
            image_id: String::new(),
            region_id: String::new(),
            zone_id: String::new(),
            description: String::new(),
        })];
        let disk = |n: usize, kind, size, dwi, das| {
            Event::DiskCreated(DiskCreated {
                disk_id: placeholder_disk(n),
                instance_id: Some(i.clone()),
                disk_type: kind,
                size,
                category: "cloud_efficiency".into(),
                delete_with_instance: dwi,
                delete_auto_snapshot: das,
                disk_charge_type: charge,
                disk_name: String::new(),
            })
        };
        out.push(disk(0, DiskType::System, 40, true, false));
        for (n, (size, dwi, das)) in data.iter().enumerate() {
            out.push(disk(n + 1, DiskType::Data, *size, *dwi, *das));
        }
        Expect::Events(out)
    }

    /// StartInstance.
    pub fn start(&self, acct: &str, id: &str, now: Timestamp) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if i.status == InstanceStatus::Pending {
            return Expect::Error(Code::InstanceInitializing);
        }
        if i.locks.contains_key(&LockReason::Security) {
            return Expect::Error(Code::InstanceLockedForSecurity);
        }
        let expired = i.expired || (i.prepaid && i.expiry.is_some_and(|e| now >= e));
        if expired || i.locks.contains_key(&LockReason::Financial) {
            return Expect::Error(Code::InstanceExpiredOrInArrears);
        }
        if i.status != InstanceStatus::Stopped {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        Expect::Events(vec![Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: iid(id),
            from: InstanceStatus::Stopped,
            to: InstanceStatus::Starting,
            reason: StatusReason::StartInstance,
            until: plus(now, self.durations.start_secs),
        })])
    }

    /// StopInstance.
    pub fn stop(&self, acct: &str, id: &str, now: Timestamp) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if i.status == InstanceStatus::Pending {
            return Expect::Error(Code::InstanceInitializing);
        }
        if i.status != InstanceStatus::Running {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        Expect::Events(vec![Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: iid(id),
            from: InstanceStatus::Running,
            to: InstanceStatus::Stopping,
            reason: StatusReason::StopInstance,
            until: plus(now, self.durations.stop_secs),
        })])
    }

    /// ModifyInstanceAttribute with DeletionProtection.
    pub fn modify_instance(&self, acct: &str, id: &str, protection: bool) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if i.locks.contains_key(&LockReason::Security) {
            return Expect::Error(Code::InstanceLockedForSecurity);
        }
        if i.prepaid {
            return Expect::Error(Code::InvalidParameter);
        }
        if i.protection == protection {
            return Expect::Events(Vec::new());
        }
        Expect::Events(vec![Event::InstanceAttributeChanged(
            InstanceAttributeChanged {
                instance_id: iid(id),
                deletion_protection: Some(protection),
                instance_name: None,
                description: None,
            },
        )])
    }

    /// RenewInstance by `months`.
    pub fn renew(&self, acct: &str, id: &str, months: u32, now: Timestamp) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if !i.prepaid {
            return Expect::Error(Code::ChargeTypeViolation);
        }
        let from = i.expiry.map_or(now, |e| e.max(now));
        let Some(new) = from.add_months(months) else {
            return Expect::Error(Code::InvalidParameter);
        };
        let mut out = vec![Event::InstanceRenewed(InstanceRenewed {
            instance_id: iid(id),
            period: months,
            period_unit: PeriodUnit::Month,
            expired_time: new,
        })];
        if i.locks.contains_key(&LockReason::Financial) {
            out.push(Event::InstanceUnlocked(InstanceUnlocked {
                instance_id: iid(id),
                lock_reason: LockReason::Financial,
            }));
        }
        Expect::Events(out)
    }

    /// CreateDisk.
    pub fn create_disk(&self, size: u32) -> Expect {
        Expect::Events(vec![Event::DiskCreated(DiskCreated {
            disk_id: placeholder_disk(0),
            instance_id: None,
            disk_type: DiskType::Data,
            size,
            category: "cloud_efficiency".into(),
            delete_with_instance: false,
            delete_auto_snapshot: false,
            disk_charge_type: ChargeType::PostPaid,
            disk_name: String::new(),
        })])
    }

    /// AttachDisk.
    pub fn attach(
        &self,
        acct: &str,
        disk: &str,
        instance: &str,
        dwi: bool,
        now: Timestamp,
    ) -> Expect {
        let Some(i) = self.inst(instance, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        let Some(d) = self.disk(disk, acct) else {
            return Expect::Error(Code::DiskNotFound);
        };
        if i.locks.contains_key(&LockReason::Security) {
            return Expect::Error(Code::InstanceLockedForSecurity);
        }
        let expired = i.expired || (i.prepaid && i.expiry.is_some_and(|e| now >= e));
        if expired || i.locks.contains_key(&LockReason::Financial) {
            return Expect::Error(Code::InstanceExpiredOrInArrears);
        }
        if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        if d.instance.is_some() {
            return Expect::Error(Code::IncorrectDiskStatus);
        }
        let data = i.disks.iter().filter(|x| !self.disks[*x].system).count();
        if data >= 16 {
            return Expect::Error(Code::InstanceDiskLimitExceeded);
        }
        Expect::Events(vec![Event::DiskAttached(DiskAttached {
            disk_id: did(disk),
            instance_id: iid(instance),
            delete_with_instance: dwi,
        })])
    }

    /// DetachDisk.
    pub fn detach(&self, acct: &str, disk: &str, instance: &str) -> Expect {
        let Some(i) = self.inst(instance, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        let Some(d) = self.disk(disk, acct) else {
            return Expect::Error(Code::DiskNotFound);
        };
        if i.locks.contains_key(&LockReason::Security) {
            return Expect::Error(Code::InstanceLockedForSecurity);
        }
        if d.system {
            return Expect::Error(Code::DiskTypeViolation);
        }
        let Some(on) = &d.instance else {
            return Expect::Error(Code::IncorrectDiskStatus);
        };
        if on != instance {
            return Expect::Error(Code::DiskNotAttachedToInstance);
        }
        if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        Expect::Events(vec![Event::DiskDetached(DiskDetached {
            disk_id: did(disk),
            instance_id: iid(instance),
            reason: DetachReason::DetachDisk,
        })])
    }

    /// ModifyDiskAttribute.
    pub fn modify_disk(
        &self,
        acct: &str,
        disk: &str,
        dwi: Option<bool>,
        das: Option<bool>,
    ) -> Expect {
        let Some(d) = self.disk(disk, acct) else {
            return Expect::Error(Code::DiskNotFound);
        };
        let dwi = dwi.filter(|v| *v != d.dwi);
        let das = das.filter(|v| *v != d.das);
        if dwi.is_none() && das.is_none() {
            return Expect::Events(Vec::new());
        }
        Expect::Events(vec![Event::DiskAttributeChanged(DiskAttributeChanged {
            disk_id: did(disk),
            delete_with_instance: dwi,
            delete_auto_snapshot: das,
        })])
    }

    /// CreateSnapshot (`auto` false) or CreateAutoSnapshot (`auto` true).
    pub fn snapshot(&self, acct: &str, disk: &str, auto: bool) -> Expect {
        let Some(d) = self.disk(disk, acct) else {
            return Expect::Error(Code::DiskNotFound);
        };
        if !auto && let Some(on) = &d.instance {
            let i = &self.instances[on];
            if i.locks.contains_key(&LockReason::Security) {
                return Expect::Error(Code::InstanceLockedForSecurity);
            }
            if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
                return Expect::Error(Code::IncorrectInstanceStatus);
            }
        }
        if d.snapshots.len() >= 256 {
            return Expect::Error(Code::SnapshotQuotaExceeded);
        }
        Expect::Events(vec![Event::SnapshotCreated(SnapshotCreated {
            snapshot_id: placeholder_snapshot(0),
            disk_id: did(disk),
            snapshot_type: if auto {
                SnapshotType::Auto
            } else {
                SnapshotType::User
            },
            source_disk_type: if d.system {
                DiskType::System
            } else {
                DiskType::Data
            },
            source_disk_size: d.size,
            snapshot_name: String::new(),
        })])
    }

    /// DeleteSnapshot.
    pub fn delete_snapshot(&self, acct: &str, s: &str) -> Expect {
        let Some(snap) = self.snap(s, acct) else {
            return Expect::Error(Code::SnapshotNotFound);
        };
        Expect::Events(vec![Event::SnapshotReleased(SnapshotReleased {
            snapshot_id: sid(s),
            disk_id: did(&snap.disk),
            reason: SnapshotReleaseReason::DeleteSnapshot,
        })])
    }

    /// DeleteDisk.
    pub fn delete_disk(&self, acct: &str, d: &str) -> Expect {
        let Some(disk) = self.disk(d, acct) else {
            return Expect::Error(Code::DiskNotFound);
        };
        if disk.instance.is_some() {
            return Expect::Error(Code::IncorrectDiskStatus);
        }
        let mut out = Vec::new();
        self.release_disk_events(d, None, DiskReleaseReason::DeleteDisk, &mut out);
        Expect::Events(out)
    }

    /// CreateRouteEntry.
    pub fn create_route(&self, acct: &str, table: &str, cidr: &str, instance: &str) -> Expect {
        let existing = self.tables.get(table);
        if existing.is_some_and(|(owner, _)| owner != acct) {
            return Expect::Error(Code::RouteTableNotFound);
        }
        if self.inst(instance, acct).is_none() {
            return Expect::Error(Code::NextHopNotFound);
        }
        if existing.is_some_and(|(_, e)| e.contains_key(cidr)) {
            return Expect::Error(Code::CidrBlockDuplicate);
        }
        Expect::Events(vec![Event::RouteEntryCreated(RouteEntryCreated {
            route_table_id: RouteTableId::parse(table)
                .unwrap_or_else(|_| unreachable!("generated")),
            destination_cidr_block: cidr.to_owned(),
            next_hop_id: iid(instance),
            next_hop_type: NextHopType::Instance,
        })])
    }

    /// DeleteRouteEntry.
    pub fn delete_route(&self, acct: &str, table: &str, cidr: &str) -> Expect {
        let Some((owner, entries)) = self.tables.get(table) else {
            return Expect::Error(Code::RouteTableNotFound);
        };
        if owner != acct {
            return Expect::Error(Code::RouteTableNotFound);
        }
        let Some(hop) = entries.get(cidr) else {
            return Expect::Error(Code::RouteEntryNotFound);
        };
        Expect::Events(vec![Event::RouteEntryDeleted(RouteEntryDeleted {
            route_table_id: RouteTableId::parse(table)
                .unwrap_or_else(|_| unreachable!("generated")),
            destination_cidr_block: cidr.to_owned(),
            next_hop_id: iid(hop),
        })])
    }

    /// AddBackendServers with one server.
    pub fn add_backend(&self, acct: &str, lb: &str, instance: &str, weight: u32) -> Expect {
        if self.lbs.get(lb).is_some_and(|(owner, _)| owner != acct) {
            return Expect::Error(Code::LoadBalancerNotFound);
        }
        if self.inst(instance, acct).is_none() {
            return Expect::Error(Code::BackendServerNotFound);
        }
        Expect::Events(vec![Event::BackendServerAdded(BackendServerAdded {
            load_balancer_id: LoadBalancerId::parse(lb)
                .unwrap_or_else(|_| unreachable!("generated")),
            server_id: iid(instance),
            weight,
        })])
    }

    /// RemoveBackendServers with one server.
    pub fn remove_backend(&self, acct: &str, lb: &str, instance: &str) -> Expect {
        let Some((owner, servers)) = self.lbs.get(lb) else {
            return Expect::Error(Code::LoadBalancerNotFound);
        };
        if owner != acct {
            return Expect::Error(Code::LoadBalancerNotFound);
        }
        if !servers.contains_key(instance) {
            return Expect::Error(Code::ServerIdNotFound);
        }
        Expect::Events(vec![Event::BackendServerRemoved(BackendServerRemoved {
            load_balancer_id: LoadBalancerId::parse(lb)
                .unwrap_or_else(|_| unreachable!("generated")),
            server_id: iid(instance),
        })])
    }

    /// LockInstance.
    pub fn lock(&self, acct: &str, id: &str, reason: LockReason, msg: &str) -> Expect {
        if self.inst(id, acct).is_none() {
            return Expect::Error(Code::InstanceNotFound);
        }
        Expect::Events(vec![Event::InstanceLocked(InstanceLocked {
            instance_id: iid(id),
            lock_reason: reason,
            lock_msg: msg.to_owned(),
        })])
    }

    /// UnlockInstance.
    pub fn unlock(&self, acct: &str, id: &str, reason: LockReason) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if !i.locks.contains_key(&reason) {
            return Expect::Error(Code::LockNotFound);
        }
        Expect::Events(vec![Event::InstanceUnlocked(InstanceUnlocked {
            instance_id: iid(id),
            lock_reason: reason,
        })])
    }

    /// The ids DescribeInstances lists for `acct` (optionally one status), oldest first.
    pub fn describe_instances(&self, acct: &str, status: Option<InstanceStatus>) -> Vec<String> {
        let mut list: Vec<(u64, &String)> = self
            .instances
            .iter()
            .filter(|(_, i)| i.account == acct && status.is_none_or(|s| s == i.status))
            .map(|(id, i)| (i.born, id))
            .collect();
        list.sort();
        list.into_iter().map(|(_, id)| id.clone()).collect()
    }

    // ------------------------------------------------------------ fold

    /// Folds one event (as the ledger recorded it) into the oracle's records.
    pub fn apply(&mut self, account: &str, event: &Event) {
        match event {
            Event::InstanceCreated(e) => {
                self.born += 1;
                self.instances.insert(
                    e.instance_id.to_string(),
                    OInstance {
                        account: account.to_owned(),
                        status: InstanceStatus::Pending,
                        until: Some(e.ready_at),
                        prepaid: e.instance_charge_type == ChargeType::PrePaid,
                        expiry: e.expired_time,
                        expired: false,
                        protection: e.deletion_protection,
                        locks: BTreeMap::new(),
                        disks: Vec::new(),
                        routes: BTreeSet::new(),
                        lbs: BTreeSet::new(),
                        born: self.born,
                    },
                );
            }
            Event::DiskCreated(e) => {
                let on = e.instance_id.as_ref().map(|i| i.to_string());
                if let Some(i) = on.as_ref().and_then(|i| self.instances.get_mut(i)) {
                    i.disks.push(e.disk_id.to_string());
                }
                self.disks.insert(
                    e.disk_id.to_string(),
                    ODisk {
                        account: account.to_owned(),
                        system: e.disk_type == DiskType::System,
                        instance: on,
                        size: e.size,
                        dwi: e.delete_with_instance,
                        das: e.delete_auto_snapshot,
                        prepaid: e.disk_charge_type == ChargeType::PrePaid,
                        snapshots: Vec::new(),
                    },
                );
            }
            Event::InstanceStatusChanged(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.status = e.to;
                    i.until = e.until;
                }
            }
            Event::InstanceExpired(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.expired = true;
                }
            }
            Event::InstanceLocked(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.locks.insert(e.lock_reason, e.lock_msg.clone());
                }
            }
            Event::InstanceUnlocked(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.locks.remove(&e.lock_reason);
                }
            }
            Event::InstanceAttributeChanged(e) => {
                if let (Some(i), Some(p)) = (
                    self.instances.get_mut(e.instance_id.as_str()),
                    e.deletion_protection,
                ) {
                    i.protection = p;
                }
            }
            Event::InstanceRenewed(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.expiry = Some(e.expired_time);
                    i.expired = false;
                }
            }
            Event::InstanceReleased(e) => {
                self.instances.remove(e.instance_id.as_str());
            }
            Event::DiskAttached(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.instance = Some(e.instance_id.to_string());
                    d.dwi = e.delete_with_instance;
                }
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.disks.push(e.disk_id.to_string());
                }
            }
            Event::DiskDetached(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.instance = None;
                    d.dwi = false;
                    d.prepaid = false;
                }
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.disks.retain(|x| x != e.disk_id.as_str());
                }
            }
            Event::DiskAttributeChanged(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    if let Some(v) = e.delete_with_instance {
                        d.dwi = v;
                    }
                    if let Some(v) = e.delete_auto_snapshot {
                        d.das = v;
                    }
                }
            }
            Event::DiskReleased(e) => {
                self.disks.remove(e.disk_id.as_str());
                if let Some(i) = e
                    .instance_id
                    .as_ref()
                    .and_then(|i| self.instances.get_mut(i.as_str()))
                {
                    i.disks.retain(|x| x != e.disk_id.as_str());
                }
            }
            Event::SnapshotCreated(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.snapshots.push(e.snapshot_id.to_string());
                }
                self.snapshots.insert(
                    e.snapshot_id.to_string(),
                    OSnapshot {
                        account: account.to_owned(),
                        auto: e.snapshot_type == SnapshotType::Auto,
                        disk: e.disk_id.to_string(),
                        retained: false,
                    },
                );
            }
            Event::SnapshotReleased(e) => {
                self.snapshots.remove(e.snapshot_id.as_str());
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.snapshots.retain(|x| x != e.snapshot_id.as_str());
                }
            }
            Event::SnapshotRetained(e) => {
                if let Some(s) = self.snapshots.get_mut(e.snapshot_id.as_str()) {
                    s.retained = true;
                }
            }
            Event::RouteEntryCreated(e) => {
                let t = e.route_table_id.to_string();
                self.tables
                    .entry(t.clone())
                    .or_insert_with(|| (account.to_owned(), BTreeMap::new()))
                    .1
                    .insert(e.destination_cidr_block.clone(), e.next_hop_id.to_string());
                if let Some(i) = self.instances.get_mut(e.next_hop_id.as_str()) {
                    i.routes.insert((t, e.destination_cidr_block.clone()));
                }
            }
            Event::RouteEntryDeleted(e) => {
                let t = e.route_table_id.to_string();
                if let Some((_, entries)) = self.tables.get_mut(&t) {
                    entries.remove(&e.destination_cidr_block);
                }
                if let Some(i) = self.instances.get_mut(e.next_hop_id.as_str()) {
                    i.routes.remove(&(t, e.destination_cidr_block.clone()));
                }
            }
            Event::BackendServerAdded(e) => {
                let lb = e.load_balancer_id.to_string();
                self.lbs
                    .entry(lb.clone())
                    .or_insert_with(|| (account.to_owned(), BTreeMap::new()))
                    .1
                    .insert(e.server_id.to_string(), e.weight);
                if let Some(i) = self.instances.get_mut(e.server_id.as_str()) {
                    i.lbs.insert(lb);
                }
            }
            Event::BackendServerRemoved(e) => {
                let lb = e.load_balancer_id.to_string();
                if let Some((_, servers)) = self.lbs.get_mut(&lb) {
                    servers.remove(e.server_id.as_str());
                }
                if let Some(i) = self.instances.get_mut(e.server_id.as_str()) {
                    i.lbs.remove(&lb);
                }
            }
            // The lifecycle actions (docs/BEHAVIOUR.md §7): not generated by
            // the workload yet.
            Event::InstanceReleasePending(_)
            | Event::InstanceReleaseTriggered(_)
            | Event::AutoReleaseTimeChanged(_)
            | Event::InstanceChargeTypeChanged(_)
            | Event::DiskChargeTypeChanged(_) => {}
        }
    }
}
