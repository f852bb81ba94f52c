//! CreateDisk: a standalone data disk, `Available`, `DeleteWithInstance` false.

use crate::model::ctx::Ctx;
use crate::model::error::EcsError;
use crate::model::event::{DiskCreated, Event};
use crate::model::id::DiskId;
use crate::model::limits;
use crate::model::params::Params;
use crate::model::values::{ChargeType, DiskType};

/// Create a standalone pay-as-you-go data disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateDisk {
    /// Size, GiB (20-32768).
    pub size: u32,
    /// Kept: `DiskCategory`.
    pub category: String,
    /// Kept: `DiskName`.
    pub disk_name: String,
}

impl CreateDisk {
    /// Parses `Size` (mandatory), `DiskCategory`, `DiskName`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        params.required("Size")?;
        Ok(Self {
            size: params
                .u32_in("Size", limits::DATA_DISK_SIZE)?
                .unwrap_or_default(),
            category: params
                .text("DiskCategory")?
                .unwrap_or_else(|| "cloud_efficiency".to_owned()),
            disk_name: params.text("DiskName")?.unwrap_or_default(),
        })
    }

    /// One `DiskCreated`.
    pub fn decide(&self, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        Ok(vec![Event::DiskCreated(DiskCreated {
            disk_id: DiskId::generate(&ctx.ids),
            instance_id: None,
            disk_type: DiskType::Data,
            size: self.size,
            category: self.category.clone(),
            delete_with_instance: false,
            delete_auto_snapshot: false,
            disk_charge_type: ChargeType::PostPaid,
            disk_name: self.disk_name.clone(),
        })])
    }
}
