//! CreateInstance: an instance in `Pending` with its system disk and data disks.

use crate::model::action::subscription::Period;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{DiskCreated, Event, InstanceCreated};
use crate::model::id::{DiskId, InstanceId};
use crate::model::limits;
use crate::model::params::{Params, conflict};
use crate::model::values::{ChargeType, DiskType};

/// One `DataDisk.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDiskSpec {
    /// Size, GiB.
    pub size: u32,
    /// Released with the instance (default true).
    pub delete_with_instance: bool,
    /// Auto snapshots released with the disk (default false).
    pub delete_auto_snapshot: bool,
    /// Kept: category.
    pub category: String,
    /// Kept: name.
    pub disk_name: String,
}

/// Create an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInstance {
    /// PostPaid (default) or PrePaid.
    pub charge_type: ChargeType,
    /// The subscription length (PrePaid only).
    pub period: Option<Period>,
    /// Deletion protection (PostPaid only).
    pub deletion_protection: bool,
    /// System disk size, GiB.
    pub system_disk_size: u32,
    /// System disk category (kept).
    pub system_disk_category: String,
    /// Data disks in order of N.
    pub data_disks: Vec<DataDiskSpec>,
    /// Check only.
    pub dry_run: bool,
    /// Kept attributes: InstanceName, InstanceType, ImageId, RegionId, ZoneId, Description.
    pub kept: [String; 6],
}

const DEFAULT_CATEGORY: &str = "cloud_efficiency";

impl CreateInstance {
    /// Parses the parameters of docs/BEHAVIOUR.md §4.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let charge_type = match params.choice("InstanceChargeType", &["PostPaid", "PrePaid"])? {
            Some("PrePaid") => ChargeType::PrePaid,
            _ => ChargeType::PostPaid,
        };
        let period = match charge_type {
            ChargeType::PrePaid => Some(Period::parse(params)?),
            ChargeType::PostPaid => None,
        };
        let deletion_protection = params.bool_or("DeletionProtection", false)?;
        if deletion_protection && charge_type == ChargeType::PrePaid {
            return Err(conflict(
                "DeletionProtection",
                "Deletion protection is only for pay-as-you-go (PostPaid) instances.",
            ));
        }
        let system_disk_size = params
            .u32_in("SystemDisk.Size", limits::SYSTEM_DISK_SIZE)?
            .unwrap_or(limits::SYSTEM_DISK_SIZE_DEFAULT);
        let system_disk_category = params
            .text("SystemDisk.Category")?
            .unwrap_or_else(|| DEFAULT_CATEGORY.to_owned());
        let indices = params.indices("DataDisk")?;
        if let Some(n) = indices
            .iter()
            .find(|n| **n as usize > limits::DATA_DISKS_MAX)
        {
            return Err(EcsError::invalid_because(
                &format!("DataDisk.{n}"),
                format!(
                    "At most {} data disks (N from 1 to 16).",
                    limits::DATA_DISKS_MAX
                ),
            ));
        }
        let mut data_disks = Vec::with_capacity(indices.len());
        for n in indices {
            let name = |field: &str| format!("DataDisk.{n}.{field}");
            params.required(&name("Size"))?;
            data_disks.push(DataDiskSpec {
                size: params
                    .u32_in(&name("Size"), limits::DATA_DISK_SIZE)?
                    .unwrap_or_default(),
                delete_with_instance: params.bool_or(&name("DeleteWithInstance"), true)?,
                delete_auto_snapshot: params.bool_or(&name("DeleteAutoSnapshot"), false)?,
                category: params
                    .text(&name("Category"))?
                    .unwrap_or_else(|| DEFAULT_CATEGORY.to_owned()),
                disk_name: params.text(&name("DiskName"))?.unwrap_or_default(),
            });
        }
        let kept = [
            "InstanceName",
            "InstanceType",
            "ImageId",
            "RegionId",
            "ZoneId",
            "Description",
        ]
        .map(|k| params.text(k).map(Option::unwrap_or_default));
        let [a, b, c, d, e, f] = kept;
        Ok(Self {
            charge_type,
            period,
            deletion_protection,
            system_disk_size,
            system_disk_category,
            data_disks,
            dry_run: params.bool_or("DryRun", false)?,
            kept: [a?, b?, c?, d?, e?, f?],
        })
    }

    /// `InstanceCreated`, then `DiskCreated` for the system disk and each data disk.
    pub fn decide(&self, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let expired_time = self.period.map(|p| p.after(ctx.now)).transpose()?;
        let ready_at = ctx.after_secs(ctx.durations.create_secs)?;
        if self.dry_run {
            return Err(EcsError::new(Code::DryRunOperation));
        }
        let instance_id = InstanceId::generate(&ctx.ids);
        let [name, instance_type, image, region, zone, description] = self.kept.clone();
        let mut events = vec![Event::InstanceCreated(InstanceCreated {
            instance_id: instance_id.clone(),
            instance_charge_type: self.charge_type,
            expired_time,
            deletion_protection: self.deletion_protection,
            ready_at,
            instance_name: name,
            instance_type,
            image_id: image,
            region_id: region,
            zone_id: zone,
            description,
        })];
        events.push(Event::DiskCreated(DiskCreated {
            disk_id: DiskId::generate(&ctx.ids),
            instance_id: Some(instance_id.clone()),
            disk_type: DiskType::System,
            size: self.system_disk_size,
            category: self.system_disk_category.clone(),
            delete_with_instance: true,
            delete_auto_snapshot: false,
            disk_charge_type: self.charge_type,
            disk_name: String::new(),
        }));
        for spec in &self.data_disks {
            events.push(Event::DiskCreated(DiskCreated {
                disk_id: DiskId::generate(&ctx.ids),
                instance_id: Some(instance_id.clone()),
                disk_type: DiskType::Data,
                size: spec.size,
                category: spec.category.clone(),
                delete_with_instance: spec.delete_with_instance,
                delete_auto_snapshot: spec.delete_auto_snapshot,
                disk_charge_type: self.charge_type,
                disk_name: spec.disk_name.clone(),
            }));
        }
        Ok(events)
    }
}
