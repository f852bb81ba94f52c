//! Predictions for the disk and snapshot actions.

use super::{DATA_DISKS_MAX, Expect, Oracle, SNAPSHOTS_PER_DISK_MAX, did, iid, placeholder_disk};
use super::{placeholder_snapshot, sid};
use crate::model::error::Code;
use crate::model::event::*;
use crate::model::time::Timestamp;
use crate::model::values::*;

impl Oracle {
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
        let expired = i.expired_at(now);
        if expired || i.locks.contains_key(&LockReason::Financial) {
            return Expect::Error(Code::InstanceExpiredOrInArrears);
        }
        if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        if d.instance.is_some() {
            return Expect::Error(Code::IncorrectDiskStatus);
        }
        let is_data = |x: &&String| self.disks.get(*x).is_some_and(|d| !d.system);
        if i.disks.iter().filter(is_data).count() >= DATA_DISKS_MAX {
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
        let on = d.instance.as_ref().and_then(|i| self.instances.get(i));
        if let (false, Some(i)) = (auto, on) {
            if i.locks.contains_key(&LockReason::Security) {
                return Expect::Error(Code::InstanceLockedForSecurity);
            }
            if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
                return Expect::Error(Code::IncorrectInstanceStatus);
            }
        }
        if d.snapshots.len() >= SNAPSHOTS_PER_DISK_MAX {
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
}
