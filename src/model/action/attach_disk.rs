//! AttachDisk: an `Available` disk onto a `Running` or `Stopped` instance.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{DiskAttached, Event};
use crate::model::id::{DiskId, InstanceId};
use crate::model::limits;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{DiskStatus, InstanceStatus};

/// Attach a disk as a data disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachDisk {
    /// The instance.
    pub instance_id: InstanceId,
    /// The disk.
    pub disk_id: DiskId,
    /// Release the disk with the instance (default false).
    pub delete_with_instance: bool,
}

impl AttachDisk {
    /// Parses `InstanceId`, `DiskId`, `DeleteWithInstance`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            disk_id: params.disk_id("DiskId")?,
            delete_with_instance: params.bool_or("DeleteWithInstance", false)?,
        })
    }

    /// Instance, then disk, not found; security lock; expired or in arrears;
    /// instance not Running/Stopped; disk not Available; data disk limit.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        let disk = lookup::disk(state, ctx, &self.disk_id)?;
        if instance.security_locked() {
            return Err(EcsError::new(Code::InstanceLockedForSecurity));
        }
        if instance.in_arrears() || instance.is_expired_at(ctx.now) {
            return Err(EcsError::new(Code::InstanceExpiredOrInArrears));
        }
        if !matches!(
            instance.status,
            InstanceStatus::Running | InstanceStatus::Stopped
        ) {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        if disk.status != DiskStatus::Available {
            return Err(EcsError::new(Code::IncorrectDiskStatus));
        }
        if instance.data_disk_count(state) >= limits::DATA_DISKS_MAX {
            return Err(EcsError::new(Code::InstanceDiskLimitExceeded));
        }
        Ok(vec![Event::DiskAttached(DiskAttached {
            disk_id: disk.id.clone(),
            instance_id: instance.id.clone(),
            delete_with_instance: self.delete_with_instance,
        })])
    }
}
