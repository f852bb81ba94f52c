//! CreateSnapshot (manual, `user`) and CreateAutoSnapshot (the automatic
//! snapshot policy, `auto`, a platform action).

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, SnapshotCreated};
use crate::model::id::{DiskId, SnapshotId};
use crate::model::limits;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{InstanceStatus, SnapshotType};

/// Take a snapshot of a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSnapshot {
    /// The disk.
    pub disk_id: DiskId,
    /// Kept: `SnapshotName`.
    pub snapshot_name: String,
}

impl CreateSnapshot {
    /// Parses `DiskId` and `SnapshotName`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            disk_id: params.disk_id("DiskId")?,
            snapshot_name: params.text("SnapshotName")?.unwrap_or_default(),
        })
    }

    /// A `user` snapshot. Not found; when the disk is attached: security lock,
    /// instance not Running/Stopped; the per-disk snapshot limit.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let disk = lookup::disk(state, ctx, &self.disk_id)?;
        if let Some(instance_id) = &disk.instance_id {
            let instance = state
                .instances
                .get(instance_id)
                .ok_or_else(|| lookup::not_loaded("instance", instance_id.as_str()))?;
            if instance.security_locked() {
                return Err(EcsError::new(Code::InstanceLockedForSecurity));
            }
            if !matches!(
                instance.status,
                InstanceStatus::Running | InstanceStatus::Stopped
            ) {
                return Err(EcsError::new(Code::IncorrectInstanceStatus));
            }
        }
        snapshot(
            state,
            ctx,
            &self.disk_id,
            SnapshotType::User,
            &self.snapshot_name,
        )
    }
}

/// The automatic snapshot policy takes an `auto` snapshot (platform action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAutoSnapshot {
    /// The disk.
    pub disk_id: DiskId,
}

impl CreateAutoSnapshot {
    /// Parses `DiskId`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            disk_id: params.disk_id("DiskId")?,
        })
    }

    /// An `auto` snapshot. Not found; the per-disk snapshot limit. The policy
    /// runs whatever the instance's status or locks.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        snapshot(state, ctx, &self.disk_id, SnapshotType::Auto, "")
    }
}

fn snapshot(
    state: &State,
    ctx: &Ctx,
    disk_id: &DiskId,
    snapshot_type: SnapshotType,
    name: &str,
) -> Result<Vec<Event>, EcsError> {
    let disk = lookup::disk(state, ctx, disk_id)?;
    if disk.snapshots.len() >= limits::SNAPSHOTS_PER_DISK_MAX {
        return Err(EcsError::new(Code::SnapshotQuotaExceeded));
    }
    Ok(vec![Event::SnapshotCreated(SnapshotCreated {
        snapshot_id: SnapshotId::generate(&ctx.ids),
        disk_id: disk.id.clone(),
        snapshot_type,
        source_disk_type: disk.disk_type,
        source_disk_size: disk.size,
        snapshot_name: name.to_owned(),
    })])
}
