//! DetachDisk: a data disk off its instance; it becomes `Available` (PostPaid,
//! `DeleteWithInstance` false) and keeps its snapshots.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{DiskDetached, Event};
use crate::model::id::{DiskId, InstanceId};
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{DetachReason, DiskStatus, DiskType, InstanceStatus};

/// Detach a data disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachDisk {
    /// The instance.
    pub instance_id: InstanceId,
    /// The disk.
    pub disk_id: DiskId,
}

impl DetachDisk {
    /// Parses `InstanceId` and `DiskId`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            disk_id: params.disk_id("DiskId")?,
        })
    }

    /// Instance, then disk, not found; security lock; system disk
    /// (`DiskTypeViolation`); disk not In_use; attached elsewhere
    /// (`DependencyViolation`); instance not Running/Stopped.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        let disk = lookup::disk(state, ctx, &self.disk_id)?;
        if instance.security_locked() {
            return Err(EcsError::new(Code::InstanceLockedForSecurity));
        }
        if disk.disk_type == DiskType::System {
            return Err(EcsError::new(Code::DiskTypeViolation));
        }
        if disk.status != DiskStatus::InUse {
            return Err(EcsError::new(Code::IncorrectDiskStatus));
        }
        if disk.instance_id.as_ref() != Some(&instance.id) {
            return Err(EcsError::new(Code::DiskNotAttachedToInstance));
        }
        if !matches!(
            instance.status,
            InstanceStatus::Running | InstanceStatus::Stopped
        ) {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        Ok(vec![Event::DiskDetached(DiskDetached {
            disk_id: disk.id.clone(),
            instance_id: instance.id.clone(),
            reason: DetachReason::DetachDisk,
        })])
    }
}
