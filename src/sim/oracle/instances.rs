//! Predictions for the instance actions: DeleteInstance(s) and the release
//! it makes, CreateInstance, Start/Stop, attributes, renewal, locks and
//! DescribeInstances.

use super::{
    Expect, OInstance, Oracle, Release, iid, placeholder_disk, placeholder_instance, plus,
};
use crate::model::error::Code;
use crate::model::event::*;
use crate::model::time::Timestamp;
use crate::model::values::*;

impl Oracle {
    /// A disk's release: the disk, then each of its snapshots released
    /// (automatic ones of a DeleteAutoSnapshot disk) or retained.
    pub(super) fn release_disk_events(
        &self,
        d: &str,
        instance: Option<&str>,
        reason: DiskReleaseReason,
        out: &mut Vec<Event>,
    ) {
        out.push(Event::DiskReleased(DiskReleased {
            disk_id: super::did(d),
            instance_id: instance.map(iid),
            reason,
        }));
        let Some(disk) = self.disks.get(d) else {
            return;
        };
        for s in &disk.snapshots {
            let auto = self.snapshots.get(s).is_some_and(|snap| snap.auto);
            out.push(if auto && disk.das {
                Event::SnapshotReleased(SnapshotReleased {
                    snapshot_id: super::sid(s),
                    disk_id: super::did(d),
                    reason: SnapshotReleaseReason::DeleteAutoSnapshot,
                })
            } else {
                Event::SnapshotRetained(SnapshotRetained {
                    snapshot_id: super::sid(s),
                    disk_id: super::did(d),
                    snapshot_type: if auto {
                        SnapshotType::Auto
                    } else {
                        SnapshotType::User
                    },
                })
            });
        }
    }

    /// An instance's release: the instance, then each disk released with it
    /// (DeleteWithInstance, or a security lock) or detached.
    pub(super) fn release_of(&self, id: &str, i: &OInstance, force: bool) -> Vec<Event> {
        let security = i.locks.contains_key(&LockReason::Security);
        let mut out = vec![Event::InstanceReleased(InstanceReleased {
            instance_id: iid(id),
            previous_status: i.status,
            forced: force,
            security_locked: security,
        })];
        for d in &i.disks {
            let dwi = self.disks.get(d).is_some_and(|disk| disk.dwi);
            if dwi {
                let reason = DiskReleaseReason::DeleteWithInstance;
                self.release_disk_events(d, Some(id), reason, &mut out);
            } else if security {
                let reason = DiskReleaseReason::SecurityLock;
                self.release_disk_events(d, Some(id), reason, &mut out);
            } else {
                out.push(Event::DiskDetached(DiskDetached {
                    disk_id: super::did(d),
                    instance_id: iid(id),
                    reason: DetachReason::InstanceReleased,
                }));
            }
        }
        out
    }

    /// Rows 3-10 of the DeleteInstance table for one instance: the first
    /// reason it cannot be released, if any.
    pub fn delete_blocker(
        &self,
        acct: &str,
        id: &str,
        force: bool,
        now: Timestamp,
    ) -> Option<Code> {
        let Some(i) = self.inst(id, acct) else {
            return Some(Code::InstanceNotFound);
        };
        if i.status == InstanceStatus::Pending {
            return Some(Code::InstanceInitializing);
        }
        if i.protection {
            return Some(Code::DeletionProtection);
        }
        let expired = i.expired_at(now);
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

    /// DeleteInstance (`how`: Force, and ForceStop unless `orderly`).
    pub fn delete_instance(
        &self,
        acct: &str,
        id: &str,
        how: Release,
        dry: bool,
        now: Timestamp,
    ) -> Expect {
        if let Some(code) = self.delete_blocker(acct, id, how.force, now) {
            return Expect::Error(code);
        }
        if dry {
            return Expect::Error(Code::DryRunOperation);
        }
        Expect::Events(self.release_or_stop(id, how, now))
    }

    /// DeleteInstances (ids already valid and distinct).
    pub fn delete_instances(
        &self,
        acct: &str,
        ids: &[String],
        how: Release,
        dry: bool,
        now: Timestamp,
    ) -> Expect {
        let force = how.force;
        if let Some(code) = ids
            .iter()
            .find_map(|id| self.delete_blocker(acct, id, force, now))
        {
            return Expect::Error(code);
        }
        if dry {
            return Expect::Error(Code::DryRunSuccess);
        }
        let events = ids
            .iter()
            .flat_map(|id| self.release_or_stop(id, how, now))
            .collect();
        Expect::Events(events)
    }

    /// CreateInstance: the instance, its system disk, then its data disks
    /// (size, DeleteWithInstance, DeleteAutoSnapshot).
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
        let expired = i.expired_at(now);
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
}
