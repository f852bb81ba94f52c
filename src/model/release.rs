//! What releasing a disk does to it and its snapshots (docs/BEHAVIOUR.md §3.3).
//!
//! Shared by DeleteInstance (a disk released with its instance) and DeleteDisk
//! ("same snapshot rule as a disk released with its instance").

use crate::model::error::{Code, EcsError};
use crate::model::event::{DiskReleased, Event, SnapshotReleased, SnapshotRetained};
use crate::model::id::InstanceId;
use crate::model::state::{Disk, State};
use crate::model::values::{DiskReleaseReason, SnapshotReleaseReason, SnapshotType};

/// `DiskReleased`, then for each of the disk's snapshots in creation order:
/// `SnapshotReleased` (Reason `DeleteAutoSnapshot`) for an `auto` snapshot when
/// the disk's `DeleteAutoSnapshot` is true, otherwise `SnapshotRetained`
/// (manual snapshots are always retained).
pub fn release_disk(
    state: &State,
    disk: &Disk,
    instance_id: Option<&InstanceId>,
    reason: DiskReleaseReason,
    out: &mut Vec<Event>,
) -> Result<(), EcsError> {
    out.push(Event::DiskReleased(DiskReleased {
        disk_id: disk.id.clone(),
        instance_id: instance_id.cloned(),
        reason,
    }));
    for snapshot_id in &disk.snapshots {
        // A disk's events rebuild its snapshots, so a missing record means the
        // state handed to the model is incomplete: refuse rather than release half.
        let snapshot = state.snapshots.get(snapshot_id).ok_or_else(|| {
            EcsError::with_message(
                Code::InternalError,
                format!("snapshot {snapshot_id} of disk {} is not loaded", disk.id),
            )
        })?;
        let released = snapshot.snapshot_type == SnapshotType::Auto && disk.delete_auto_snapshot;
        out.push(if released {
            Event::SnapshotReleased(SnapshotReleased {
                snapshot_id: snapshot_id.clone(),
                disk_id: disk.id.clone(),
                reason: SnapshotReleaseReason::DeleteAutoSnapshot,
            })
        } else {
            Event::SnapshotRetained(SnapshotRetained {
                snapshot_id: snapshot_id.clone(),
                disk_id: disk.id.clone(),
                snapshot_type: snapshot.snapshot_type,
            })
        });
    }
    Ok(())
}
