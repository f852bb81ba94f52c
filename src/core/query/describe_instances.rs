//! DescribeInstances: filters `InstanceIds` (JSON array), `Status`; paging.

use serde_json::{Map, Value, json};

use super::NO_EXPIRY;
use super::paging::Paging;
use crate::core::world::World;
use crate::model::error::EcsError;
use crate::model::id::{Account, InstanceId};
use crate::model::params::{Params, json_id_list};
use crate::model::state::Instance;
use crate::model::values::{ChargeType, InstanceStatus};

/// The query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeInstances {
    /// Only these instances.
    pub instance_ids: Option<Vec<InstanceId>>,
    /// Only this status.
    pub status: Option<InstanceStatus>,
    /// Which page.
    pub paging: Paging,
}

impl DescribeInstances {
    /// Parses the parameters.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let status = match params.optional("Status") {
            None => None,
            Some(s) => Some(InstanceStatus::parse(s).ok_or_else(|| {
                EcsError::invalid_because(
                    "Status",
                    format!("Valid values: {}.", InstanceStatus::wire_names().join(", ")),
                )
            })?),
        };
        Ok(Self {
            instance_ids: json_id_list(params, "InstanceIds", InstanceId::parse)?,
            status,
            paging: Paging::parse(params)?,
        })
    }

    /// Runs it over the live records.
    pub fn run(&self, world: &World, account: &Account) -> Map<String, Value> {
        let keep =
            |i: &&Instance| &i.account == account && self.status.is_none_or(|s| s == i.status);
        let (total, page): (usize, Vec<&Instance>) = match (&self.instance_ids, self.status) {
            (Some(ids), _) => {
                let mut found: Vec<&Instance> = ids
                    .iter()
                    .filter_map(|id| world.state().instances.get(id))
                    .filter(keep)
                    .collect();
                found.sort_by_key(|r| r.created_seq);
                found.dedup_by(|a, b| a.id == b.id);
                let total = found.len();
                (total, found.drain(self.paging.range(total)).collect())
            }
            (None, None) => {
                // No filter on the record: page over the listing.
                let total = world.counts_of(account).0;
                let range = self.paging.range(total);
                let page = world
                    .instances_of(account)
                    .skip(range.start)
                    .take(range.len())
                    .collect();
                (total, page)
            }
            (None, Some(_)) => {
                let mut found: Vec<&Instance> = world.instances_of(account).filter(keep).collect();
                let total = found.len();
                (total, found.drain(self.paging.range(total)).collect())
            }
        };
        let items = page.into_iter().map(render).collect();
        self.paging.body(total, "Instances", "Instance", items)
    }
}

/// One instance in ECS's DescribeInstances shape.
pub fn render(i: &Instance) -> Value {
    let locks: Vec<Value> = i
        .locks
        .iter()
        .map(|(reason, msg)| json!({"LockReason": reason.as_str(), "LockMsg": msg}))
        .collect();
    let expired_time = match (i.charge_type, i.expired_time) {
        (ChargeType::PrePaid, Some(t)) => t.to_ecs_minutes(),
        _ => NO_EXPIRY.to_owned(),
    };
    json!({
        "InstanceId": i.id.as_str(),
        "InstanceName": i.attributes.instance_name,
        "Description": i.attributes.description,
        "Status": i.status.as_str(),
        "InstanceChargeType": i.charge_type.as_str(),
        "ExpiredTime": expired_time,
        "DeletionProtection": i.deletion_protection,
        "AutoReleaseTime": i.auto_release_time.map(|t| t.to_string()).unwrap_or_default(),
        "OperationLocks": {"LockReason": locks},
        "CreationTime": i.creation_time.to_ecs_minutes(),
        "RegionId": i.attributes.region_id,
        "ZoneId": i.attributes.zone_id,
        "InstanceType": i.attributes.instance_type,
        "ImageId": i.attributes.image_id,
    })
}
