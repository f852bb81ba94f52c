//! DescribeSnapshots: filters `DiskId`, `InstanceId`, `SnapshotIds` (JSON
//! array), `SnapshotType` (`auto`/`user`/`all`); paging. Retained snapshots of
//! released disks are listed with their `SourceDiskId`.

use serde_json::{Map, Value, json};

use super::paging::Paging;
use crate::core::world::World;
use crate::model::error::EcsError;
use crate::model::id::{Account, DiskId, InstanceId, SnapshotId};
use crate::model::params::{Params, json_id_list};
use crate::model::state::Snapshot;
use crate::model::values::SnapshotType;

/// The query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeSnapshots {
    /// Only snapshots of this disk.
    pub disk_id: Option<DiskId>,
    /// Only snapshots of the disks attached to this instance.
    pub instance_id: Option<InstanceId>,
    /// Only these snapshots.
    pub snapshot_ids: Option<Vec<SnapshotId>>,
    /// Only this type (`all`: any).
    pub snapshot_type: Option<SnapshotType>,
    /// Which page.
    pub paging: Paging,
}

impl DescribeSnapshots {
    /// Parses the parameters.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let snapshot_type = match params.choice("SnapshotType", &["auto", "user", "all"])? {
            Some("auto") => Some(SnapshotType::Auto),
            Some("user") => Some(SnapshotType::User),
            _ => None,
        };
        Ok(Self {
            disk_id: params.disk_id_opt("DiskId")?,
            instance_id: params.instance_id_opt("InstanceId")?,
            snapshot_ids: json_id_list(params, "SnapshotIds", SnapshotId::parse)?,
            snapshot_type,
            paging: Paging::parse(params)?,
        })
    }

    /// Runs it over the live records.
    pub fn run(&self, world: &World, account: &Account) -> Map<String, Value> {
        let state = world.state();
        let instance_disks: Option<&[DiskId]> = self.instance_id.as_ref().map(|i| {
            state
                .instance(account, i)
                .map(|i| i.disks.as_slice())
                .unwrap_or(&[])
        });
        let keep = |s: &&Snapshot| {
            &s.account == account
                && self.snapshot_type.is_none_or(|t| t == s.snapshot_type)
                && self.disk_id.as_ref().is_none_or(|d| d == &s.source_disk_id)
                && self
                    .snapshot_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&s.id))
                && instance_disks.is_none_or(|ds| ds.contains(&s.source_disk_id))
        };
        let mut found: Vec<&Snapshot> = match (&self.snapshot_ids, &self.disk_id) {
            (Some(ids), _) => ids
                .iter()
                .filter_map(|s| state.snapshots.get(s))
                .filter(keep)
                .collect(),
            (None, Some(disk)) => match state.disk(account, disk) {
                // A live disk lists its snapshots; a released one's are found by scanning.
                Some(d) => d
                    .snapshots
                    .iter()
                    .filter_map(|s| state.snapshots.get(s))
                    .filter(keep)
                    .collect(),
                None => world.snapshots_of(account).filter(keep).collect(),
            },
            (None, None) => world.snapshots_of(account).filter(keep).collect(),
        };
        found.sort_by_key(|r| r.created_seq);
        found.dedup_by(|a, b| a.id == b.id);
        let total = found.len();
        let items = found[self.paging.range(total)]
            .iter()
            .map(|s| render(s))
            .collect();
        self.paging.body(total, "Snapshots", "Snapshot", items)
    }
}

/// One snapshot in ECS's DescribeSnapshots shape.
pub fn render(s: &Snapshot) -> Value {
    json!({
        "SnapshotId": s.id.as_str(),
        "SnapshotName": s.name,
        "SourceDiskId": s.source_disk_id.as_str(),
        "SourceDiskType": s.source_disk_type.as_str(),
        "SourceDiskSize": s.source_disk_size.to_string(),
        "SnapshotType": s.snapshot_type.as_str(),
        "Status": "accomplished",
        "Progress": "100%",
        "CreationTime": s.creation_time.to_ecs_minutes(),
    })
}
