//! ModifyInstanceAttribute: `DeletionProtection` (PostPaid only), and the kept
//! `InstanceName` and `Description`.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, InstanceAttributeChanged};
use crate::model::id::InstanceId;
use crate::model::params::{Params, conflict};
use crate::model::state::State;
use crate::model::values::ChargeType;

/// Change instance attributes (absent = unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyInstanceAttribute {
    /// The instance.
    pub instance_id: InstanceId,
    /// New deletion protection.
    pub deletion_protection: Option<bool>,
    /// New name.
    pub instance_name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

impl ModifyInstanceAttribute {
    /// Parses the parameters.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            deletion_protection: params.bool_opt("DeletionProtection")?,
            instance_name: params.text("InstanceName")?,
            description: params.text("Description")?,
        })
    }

    /// Not found; security lock; DeletionProtection on a PrePaid instance.
    /// A request that changes nothing succeeds and records nothing.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if instance.security_locked() {
            return Err(EcsError::new(Code::InstanceLockedForSecurity));
        }
        if self.deletion_protection.is_some() && instance.charge_type == ChargeType::PrePaid {
            return Err(conflict(
                "DeletionProtection",
                "Deletion protection is only for pay-as-you-go (PostPaid) instances.",
            ));
        }
        let dp = self
            .deletion_protection
            .filter(|v| *v != instance.deletion_protection);
        let name = self
            .instance_name
            .clone()
            .filter(|v| *v != instance.attributes.instance_name);
        let description = self
            .description
            .clone()
            .filter(|v| *v != instance.attributes.description);
        if dp.is_none() && name.is_none() && description.is_none() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::InstanceAttributeChanged(
            InstanceAttributeChanged {
                instance_id: instance.id.clone(),
                deletion_protection: dp,
                instance_name: name,
                description,
            },
        )])
    }
}
