//! LockInstance / UnlockInstance (platform). A lock never changes the status.
//! Locking again with the same reason replaces the message.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, InstanceLocked, InstanceUnlocked};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::LockReason;

fn lock_reason(params: &Params) -> Result<LockReason, EcsError> {
    let raw = params.required("LockReason")?;
    LockReason::parse(raw).ok_or_else(|| {
        EcsError::invalid_because(
            "LockReason",
            format!("Valid values: {}.", LockReason::wire_names().join(", ")),
        )
    })
}

/// Put an operation lock on an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// The lock.
    pub lock_reason: LockReason,
    /// Its message.
    pub lock_msg: String,
}

impl LockInstance {
    /// Parses `InstanceId`, `LockReason`, `LockMsg`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            lock_reason: lock_reason(params)?,
            lock_msg: params.text("LockMsg")?.unwrap_or_default(),
        })
    }

    /// Not found; otherwise `InstanceLocked`.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        Ok(vec![Event::InstanceLocked(InstanceLocked {
            instance_id: instance.id.clone(),
            lock_reason: self.lock_reason,
            lock_msg: self.lock_msg.clone(),
        })])
    }
}

/// Lift an operation lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// The lock.
    pub lock_reason: LockReason,
}

impl UnlockInstance {
    /// Parses `InstanceId`, `LockReason`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            lock_reason: lock_reason(params)?,
        })
    }

    /// Not found; lock not set (`InvalidLockReason.NotFound`).
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if !instance.locks.contains_key(&self.lock_reason) {
            return Err(EcsError::new(Code::LockNotFound));
        }
        Ok(vec![Event::InstanceUnlocked(InstanceUnlocked {
            instance_id: instance.id.clone(),
            lock_reason: self.lock_reason,
        })])
    }
}
