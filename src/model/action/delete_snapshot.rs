//! DeleteSnapshot: releases one snapshot, `auto` or `user`, of a live or a
//! released disk.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::EcsError;
use crate::model::event::{Event, SnapshotReleased};
use crate::model::id::SnapshotId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::SnapshotReleaseReason;

/// Release a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSnapshot {
    /// The snapshot.
    pub snapshot_id: SnapshotId,
}

impl DeleteSnapshot {
    /// Parses `SnapshotId` (`Force` is accepted and ignored).
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        params.bool_opt("Force")?;
        Ok(Self {
            snapshot_id: params.snapshot_id("SnapshotId")?,
        })
    }

    /// Not found; otherwise `SnapshotReleased` with Reason `DeleteSnapshot`.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let snapshot = lookup::snapshot(state, ctx, &self.snapshot_id)?;
        Ok(vec![Event::SnapshotReleased(SnapshotReleased {
            snapshot_id: snapshot.id.clone(),
            disk_id: snapshot.source_disk_id.clone(),
            reason: SnapshotReleaseReason::DeleteSnapshot,
        })])
    }
}
