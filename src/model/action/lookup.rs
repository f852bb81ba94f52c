//! Finding the records an action names, as the command's account sees them.
//!
//! A resource of another account is reported exactly as a missing one
//! (docs/BEHAVIOUR.md §1: no existence leak).

use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::id::{DiskId, InstanceId, SnapshotId};
use crate::model::state::{Disk, Instance, Snapshot, State};

/// The instance, or `InvalidInstanceId.NotFound`.
pub fn instance<'s>(
    state: &'s State,
    ctx: &Ctx,
    id: &InstanceId,
) -> Result<&'s Instance, EcsError> {
    state
        .instance(&ctx.account, id)
        .ok_or_else(|| EcsError::new(Code::InstanceNotFound))
}

/// The disk, or `InvalidDiskId.NotFound`.
pub fn disk<'s>(state: &'s State, ctx: &Ctx, id: &DiskId) -> Result<&'s Disk, EcsError> {
    state
        .disk(&ctx.account, id)
        .ok_or_else(|| EcsError::new(Code::DiskNotFound))
}

/// The snapshot, or `InvalidSnapshotId.NotFound`.
pub fn snapshot<'s>(
    state: &'s State,
    ctx: &Ctx,
    id: &SnapshotId,
) -> Result<&'s Snapshot, EcsError> {
    state
        .snapshot(&ctx.account, id)
        .ok_or_else(|| EcsError::new(Code::SnapshotNotFound))
}

/// The record a decision needs but the state handed to the model lacks: a bug
/// in whoever loaded the state, answered as an internal error, never a panic.
pub fn not_loaded(what: &str, id: &str) -> EcsError {
    EcsError::with_message(Code::InternalError, format!("{what} {id} is not loaded"))
}
