//! RenewInstance: extends a subscription and lifts the `financial` lock.
//!
//! The new `ExpiredTime` is the later of the old one and now, plus the period:
//! renewing an expired subscription starts from the renewal, not from the past.
//! Renewal does not start a stopped instance.

use crate::model::action::lookup;
use crate::model::action::subscription::Period;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, InstanceRenewed, InstanceUnlocked};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::values::{ChargeType, LockReason};

/// Renew a subscription instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// The renewal length.
    pub period: Period,
}

impl RenewInstance {
    /// Parses `InstanceId`, `Period`, `PeriodUnit`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: params.instance_id("InstanceId")?,
            period: Period::parse(params)?,
        })
    }

    /// Not found; PostPaid is `ChargeTypeViolation`.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if instance.charge_type != ChargeType::PrePaid {
            return Err(EcsError::new(Code::ChargeTypeViolation));
        }
        let from = instance.expired_time.map_or(ctx.now, |t| t.max(ctx.now));
        let mut events = vec![Event::InstanceRenewed(InstanceRenewed {
            instance_id: instance.id.clone(),
            period: self.period.count,
            period_unit: self.period.unit,
            expired_time: self.period.after(from)?,
        })];
        if instance.locks.contains_key(&LockReason::Financial) {
            events.push(Event::InstanceUnlocked(InstanceUnlocked {
                instance_id: instance.id.clone(),
                lock_reason: LockReason::Financial,
            }));
        }
        Ok(events)
    }
}
