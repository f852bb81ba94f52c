//! ModifyDiskAttribute: `DeleteWithInstance` and `DeleteAutoSnapshot`
//! (absent = unchanged). Locks do not block it.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::EcsError;
use crate::model::event::{DiskAttributeChanged, Event};
use crate::model::id::DiskId;
use crate::model::params::Params;
use crate::model::state::State;

/// Change disk attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyDiskAttribute {
    /// The disk.
    pub disk_id: DiskId,
    /// New `DeleteWithInstance`.
    pub delete_with_instance: Option<bool>,
    /// New `DeleteAutoSnapshot`.
    pub delete_auto_snapshot: Option<bool>,
}

impl ModifyDiskAttribute {
    /// Parses `DiskId`, `DeleteWithInstance`, `DeleteAutoSnapshot`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            disk_id: params.disk_id("DiskId")?,
            delete_with_instance: params.bool_opt("DeleteWithInstance")?,
            delete_auto_snapshot: params.bool_opt("DeleteAutoSnapshot")?,
        })
    }

    /// Not found; otherwise the changed values (nothing recorded when nothing changes).
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let disk = lookup::disk(state, ctx, &self.disk_id)?;
        let dwi = self
            .delete_with_instance
            .filter(|v| *v != disk.delete_with_instance);
        let das = self
            .delete_auto_snapshot
            .filter(|v| *v != disk.delete_auto_snapshot);
        if dwi.is_none() && das.is_none() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::DiskAttributeChanged(DiskAttributeChanged {
            disk_id: disk.id.clone(),
            delete_with_instance: dwi,
            delete_auto_snapshot: das,
        })])
    }
}
