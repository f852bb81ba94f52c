//! DescribeSnapshots: filters `DiskId`, `InstanceId`, `SnapshotIds` (JSON
//! array), `SnapshotType` (`auto`/`user`/`all`); paging. Retained snapshots of
//! released disks are listed with their `SourceDiskId`.

use serde_json::{Map, Value, json};

use super::paging::Paging;
use crate::model::error::EcsError;
use crate::model::id::{Account, DiskId, InstanceId, SnapshotId};
use crate::model::params::{Params, json_id_list};
use crate::model::state::Snapshot;
use crate::model::values::SnapshotType;
use crate::projection::ProjectionError;
use crate::projection::inventory::{Kind, Reader, Record};
use crate::storage::Storage;

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

    /// Runs it over the inventory.
    pub fn run<S: Storage>(
        &self,
        inv: &Reader<'_, S>,
        account: &Account,
    ) -> Result<Map<String, Value>, ProjectionError> {
        let instance_disks: Option<Vec<DiskId>> = match &self.instance_id {
            None => None,
            Some(i) => Some(match inv.get(i.as_str())? {
                Some(Record::Instance(i)) if &i.account == account => i.disks,
                _ => Vec::new(),
            }),
        };
        let keep = |s: &Snapshot| {
            &s.account == account
                && self.snapshot_type.is_none_or(|t| t == s.snapshot_type)
                && self.disk_id.as_ref().is_none_or(|d| d == &s.source_disk_id)
                && self
                    .snapshot_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&s.id))
                && instance_disks
                    .as_ref()
                    .is_none_or(|ds| ds.contains(&s.source_disk_id))
        };
        let candidates: Vec<String> = match (&self.snapshot_ids, &self.disk_id) {
            (Some(ids), _) => ids.iter().map(|s| s.to_string()).collect(),
            (None, Some(disk)) => match inv.get(disk.as_str())? {
                // A live disk lists its snapshots; a released one's are found by scanning.
                Some(Record::Disk(d)) if &d.account == account => {
                    d.snapshots.iter().map(|s| s.to_string()).collect()
                }
                _ => inv.list(account, Kind::Snapshot)?,
            },
            (None, None) => inv.list(account, Kind::Snapshot)?,
        };
        let mut found = Vec::new();
        for id in candidates {
            if let Some(Record::Snapshot(s)) = inv.get(&id)?
                && keep(&s)
            {
                found.push(s);
            }
        }
        found.sort_by_key(|r| r.created_seq);
        found.dedup_by(|a, b| a.id == b.id);
        let total = found.len();
        let items = found[self.paging.range(total)].iter().map(render).collect();
        Ok(self.paging.body(total, "Snapshots", "Snapshot", items))
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
