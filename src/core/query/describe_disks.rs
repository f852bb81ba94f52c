//! DescribeDisks: filters `InstanceId`, `DiskIds` (JSON array), `Status`,
//! `DiskType`; paging.

use serde_json::{Map, Value, json};

use super::paging::Paging;
use crate::core::world::World;
use crate::model::error::EcsError;
use crate::model::id::{Account, DiskId, InstanceId};
use crate::model::params::{Params, json_id_list};
use crate::model::state::Disk;
use crate::model::values::{DiskStatus, DiskType};

/// The query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeDisks {
    /// Only the disks attached to this instance.
    pub instance_id: Option<InstanceId>,
    /// Only these disks.
    pub disk_ids: Option<Vec<DiskId>>,
    /// Only this status (`All`: any).
    pub status: Option<DiskStatus>,
    /// Only this type (`all`: any).
    pub disk_type: Option<DiskType>,
    /// Which page.
    pub paging: Paging,
}

impl DescribeDisks {
    /// Parses the parameters.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let status = match params.choice("Status", &["In_use", "Available", "All"])? {
            Some("In_use") => Some(DiskStatus::InUse),
            Some("Available") => Some(DiskStatus::Available),
            _ => None,
        };
        let disk_type = match params.choice("DiskType", &["system", "data", "all"])? {
            Some("system") => Some(DiskType::System),
            Some("data") => Some(DiskType::Data),
            _ => None,
        };
        Ok(Self {
            instance_id: params.instance_id_opt("InstanceId")?,
            disk_ids: json_id_list(params, "DiskIds", DiskId::parse)?,
            status,
            disk_type,
            paging: Paging::parse(params)?,
        })
    }

    /// Runs it over the live records.
    pub fn run(&self, world: &World, account: &Account) -> Map<String, Value> {
        let keep = |d: &&Disk| {
            &d.account == account
                && self.status.is_none_or(|s| s == d.status)
                && self.disk_type.is_none_or(|t| t == d.disk_type)
                && self
                    .instance_id
                    .as_ref()
                    .is_none_or(|i| d.instance_id.as_ref() == Some(i))
                && self.disk_ids.as_ref().is_none_or(|ids| ids.contains(&d.id))
        };
        let state = world.state();
        // Narrow the candidates by the most selective filter given.
        let mut found: Vec<&Disk> = if let Some(ids) = &self.disk_ids {
            ids.iter()
                .filter_map(|d| state.disks.get(d))
                .filter(keep)
                .collect()
        } else if let Some(instance) = &self.instance_id {
            match state.instance(account, instance) {
                Some(i) => i
                    .disks
                    .iter()
                    .filter_map(|d| state.disks.get(d))
                    .filter(keep)
                    .collect(),
                None => Vec::new(),
            }
        } else {
            world.disks_of(account).filter(keep).collect()
        };
        // An instance's disks keep its order (system disk first, then data
        // disks in attach order); anything else is listed oldest first.
        if self.disk_ids.is_some() || self.instance_id.is_none() {
            found.sort_by_key(|r| r.created_seq);
            found.dedup_by(|a, b| a.id == b.id);
        }
        let total = found.len();
        let items = found[self.paging.range(total)]
            .iter()
            .map(|d| render(d))
            .collect();
        self.paging.body(total, "Disks", "Disk", items)
    }
}

/// One disk in ECS's DescribeDisks shape.
pub fn render(d: &Disk) -> Value {
    json!({
        "DiskId": d.id.as_str(),
        "DiskName": d.name,
        "InstanceId": d.instance_id.as_ref().map(|i| i.as_str()).unwrap_or_default(),
        "Status": d.status.as_str(),
        "Type": d.disk_type.as_str(),
        "Category": d.category,
        "Size": d.size,
        "DeleteWithInstance": d.delete_with_instance,
        "DeleteAutoSnapshot": d.delete_auto_snapshot,
        "DiskChargeType": d.charge_type.as_str(),
        "Portable": d.disk_type == DiskType::Data,
        "CreationTime": d.creation_time.to_ecs_minutes(),
    })
}
