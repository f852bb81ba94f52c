//! ModifyInstanceChargeType: pay-as-you-go to subscription and back
//! (docs/BEHAVIOUR.md §7.4).
//!
//! All or nothing: the instances are checked in request order and the first
//! failure answers, naming its InstanceId. Each must exist, be `Running` or
//! `Stopped` (`IncorrectInstanceStatus`) and have the other charge type
//! (`InvalidParameter` naming InstanceChargeType). PrePaid to PostPaid is
//! refused for an expired subscription (`InstanceExpiredOrInArrears`) and
//! clears `ExpiredTime`: from then on the instance is released like any
//! pay-as-you-go one (how Terraform's `force_delete` releases a
//! subscription). PostPaid to PrePaid sets `ExpiredTime` to now plus the
//! period and clears `AutoReleaseTime`. The system disk follows the
//! instance; data disks follow it to PostPaid, and to PrePaid only with
//! `IncludeDataDisks=true`.

use std::collections::BTreeSet;

use crate::model::action::lookup;
use crate::model::action::subscription::Period;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{DiskChargeTypeChanged, Event, InstanceChargeTypeChanged};
use crate::model::id::InstanceId;
use crate::model::params::{Params, json_id_list};
use crate::model::state::{Instance, State};
use crate::model::values::{ChargeType, DiskType, InstanceStatus};

/// Most instances in one request.
pub const INSTANCES_MAX: usize = 20;

/// Change the billing of up to 20 instances, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyInstanceChargeType {
    /// The instances, in request order.
    pub instance_ids: Vec<InstanceId>,
    /// The billing wanted (default PrePaid, as ECS).
    pub charge_type: ChargeType,
    /// The subscription length (PrePaid only).
    pub period: Option<Period>,
    /// Convert pay-as-you-go data disks to subscription too.
    pub include_data_disks: bool,
}

impl ModifyInstanceChargeType {
    /// Parses `InstanceIds` (a JSON array, 1-20, no repeats),
    /// `InstanceChargeType`, `Period`/`PeriodUnit` (required for PrePaid),
    /// `IncludeDataDisks`; `AutoPay` is accepted (nothing is paid here).
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        params.required("InstanceIds")?;
        let instance_ids =
            json_id_list(params, "InstanceIds", InstanceId::parse)?.unwrap_or_default();
        let distinct: BTreeSet<&InstanceId> = instance_ids.iter().collect();
        if instance_ids.is_empty()
            || instance_ids.len() > INSTANCES_MAX
            || distinct.len() != instance_ids.len()
        {
            return Err(EcsError::invalid_because(
                "InstanceIds",
                format!("It must name 1 to {INSTANCES_MAX} instances, each once."),
            ));
        }
        let charge_type = match params.choice("InstanceChargeType", &["PrePaid", "PostPaid"])? {
            Some("PostPaid") => ChargeType::PostPaid,
            _ => ChargeType::PrePaid,
        };
        let period = match charge_type {
            ChargeType::PrePaid => Some(Period::parse(params)?),
            ChargeType::PostPaid => None,
        };
        params.bool_or("AutoPay", true)?;
        Ok(Self {
            instance_ids,
            charge_type,
            period,
            include_data_disks: params.bool_or("IncludeDataDisks", false)?,
        })
    }

    /// Every instance checked in request order, then every instance's events.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let mut checked = Vec::with_capacity(self.instance_ids.len());
        for id in &self.instance_ids {
            let name_it = |e: EcsError| e.suffixed(format!("(InstanceId: {id})"));
            checked.push(self.check(state, ctx, id).map_err(name_it)?);
        }
        let expired_time = match self.period {
            Some(period) => Some(period.after(ctx.now)?),
            None => None,
        };
        let mut events = Vec::new();
        for instance in checked {
            events.push(Event::InstanceChargeTypeChanged(
                InstanceChargeTypeChanged {
                    instance_id: instance.id.clone(),
                    instance_charge_type: self.charge_type,
                    expired_time,
                },
            ));
            self.disks_follow(state, instance, &mut events);
        }
        Ok(events)
    }

    /// One instance: it exists, is Running or Stopped, has the other charge
    /// type, and (to PostPaid) is not expired.
    fn check<'s>(
        &self,
        state: &'s State,
        ctx: &Ctx,
        id: &InstanceId,
    ) -> Result<&'s Instance, EcsError> {
        let instance = lookup::instance(state, ctx, id)?;
        if !matches!(
            instance.status,
            InstanceStatus::Running | InstanceStatus::Stopped
        ) {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        if instance.charge_type == self.charge_type {
            return Err(EcsError::invalid_because(
                "InstanceChargeType",
                format!("The instance is already {}.", self.charge_type),
            ));
        }
        let expired = instance.expired || instance.is_expired_at(ctx.now);
        if self.charge_type == ChargeType::PostPaid && expired {
            return Err(EcsError::new(Code::InstanceExpiredOrInArrears));
        }
        Ok(instance)
    }

    /// The disks whose billing follows the instance's.
    fn disks_follow(&self, state: &State, instance: &Instance, out: &mut Vec<Event>) {
        for disk in instance.disks.iter().filter_map(|d| state.disks.get(d)) {
            let follows = disk.disk_type == DiskType::System
                || self.charge_type == ChargeType::PostPaid
                || self.include_data_disks;
            if follows && disk.charge_type != self.charge_type {
                out.push(Event::DiskChargeTypeChanged(DiskChargeTypeChanged {
                    disk_id: disk.id.clone(),
                    instance_id: instance.id.clone(),
                    disk_charge_type: self.charge_type,
                }));
            }
        }
    }
}
