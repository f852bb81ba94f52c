//! DeleteDisk: releases an `Available` disk, with the same snapshot rule as a
//! disk released with its instance.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::Event;
use crate::model::id::DiskId;
use crate::model::params::Params;
use crate::model::release::release_disk;
use crate::model::state::State;
use crate::model::values::{DiskReleaseReason, DiskStatus};

/// Release a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteDisk {
    /// The disk.
    pub disk_id: DiskId,
}

impl DeleteDisk {
    /// Parses `DiskId`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            disk_id: params.disk_id("DiskId")?,
        })
    }

    /// Not found; In_use is `IncorrectDiskStatus`; otherwise `DiskReleased`
    /// (Reason `DeleteDisk`) and its snapshots released or retained.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let disk = lookup::disk(state, ctx, &self.disk_id)?;
        if disk.status != DiskStatus::Available {
            return Err(EcsError::new(Code::IncorrectDiskStatus));
        }
        let mut events = Vec::new();
        release_disk(
            state,
            disk,
            None,
            DiskReleaseReason::DeleteDisk,
            &mut events,
        )?;
        Ok(events)
    }
}
