//! StopInstance: `Running -> Stopping`, then `Stopped` after the stop duration.
//! Locks do not block it (a security-locked instance can be stopped, then released).

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, InstanceStatusChanged};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{InstanceStatus, StatusReason};

/// Stop a running instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// `ForceStop` (accepted; the model stops the same way).
    pub force_stop: bool,
    /// Check only.
    pub dry_run: bool,
}

impl StopInstance {
    /// Parses `InstanceId`, `ForceStop`, `DryRun`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            force_stop: params.bool_or("ForceStop", false)?,
            dry_run: params.bool_or("DryRun", false)?,
        })
    }

    /// Not found; still creating; not Running.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if instance.status == InstanceStatus::Pending {
            return Err(EcsError::new(Code::InstanceInitializing));
        }
        if instance.status != InstanceStatus::Running {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        if self.dry_run {
            return Err(EcsError::new(Code::DryRunOperation));
        }
        Ok(vec![Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: instance.id.clone(),
            from: InstanceStatus::Running,
            to: InstanceStatus::Stopping,
            reason: StatusReason::StopInstance,
            until: Some(ctx.after_secs(ctx.durations.stop_secs)?),
        })])
    }
}
