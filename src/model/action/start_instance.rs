//! StartInstance: `Stopped -> Starting`, then `Running` after the start duration.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, InstanceStatusChanged};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{InstanceStatus, StatusReason};

/// Start a stopped instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// Check only.
    pub dry_run: bool,
}

impl StartInstance {
    /// Parses `InstanceId` and `DryRun`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            dry_run: params.bool_or("DryRun", false)?,
        })
    }

    /// Not found; still creating; security lock; expired or in arrears; not Stopped.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if instance.status == InstanceStatus::Pending {
            return Err(EcsError::new(Code::InstanceInitializing));
        }
        if instance.security_locked() {
            return Err(EcsError::new(Code::InstanceLockedForSecurity));
        }
        if instance.in_arrears() || instance.is_expired_at(ctx.now) {
            return Err(EcsError::new(Code::InstanceExpiredOrInArrears));
        }
        if instance.status != InstanceStatus::Stopped {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        if self.dry_run {
            return Err(EcsError::new(Code::DryRunOperation));
        }
        Ok(vec![Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: instance.id.clone(),
            from: InstanceStatus::Stopped,
            to: InstanceStatus::Starting,
            reason: StatusReason::StartInstance,
            until: Some(ctx.after_secs(ctx.durations.start_secs)?),
        })])
    }
}
