//! DeleteInstances: the batch form of DeleteInstance (docs/BEHAVIOUR.md §3).
//!
//! Batch checks first (at least one id, at most 100, no repeats), then every
//! instance through the DeleteInstance table in request order; the first
//! failure is the answer, naming its InstanceId, and nothing is released. On
//! success every instance's release events follow one another in request order.

use std::collections::BTreeSet;

use crate::model::action::delete_instance::{self, parse_instance_id};
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::Event;
use crate::model::limits;
use crate::model::params::Params;
use crate::model::state::State;

/// Release up to 100 instances, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteInstances {
    /// `InstanceId.N` values in order of N, unparsed: each is checked with the
    /// table's rows 1-2 in its turn, so request order decides which error wins.
    pub instance_ids: Vec<(u32, String)>,
    /// Release `Running` instances without stopping them.
    pub force: bool,
    /// With `force`: power off (true) or stop in an orderly way first.
    pub force_stop: bool,
    /// Check only; answer `DRYRUN.SUCCESS` if every instance passes.
    pub dry_run: bool,
}

impl DeleteInstances {
    /// Parses `InstanceId.N`, `Force`, `ForceStop`, `DryRun`, and applies the batch checks.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let indices = params.indices("InstanceId")?;
        if indices.is_empty() {
            return Err(EcsError::missing("InstanceId.1"));
        }
        if indices.len() > limits::DELETE_INSTANCES_MAX {
            return Err(EcsError::new(Code::TooManyInstanceIds));
        }
        let mut instance_ids = Vec::with_capacity(indices.len());
        let mut seen = BTreeSet::new();
        for n in indices {
            let value = params.get(&format!("InstanceId.{n}")).unwrap_or_default();
            if !value.is_empty() && !seen.insert(value.to_owned()) {
                return Err(EcsError::invalid_because(
                    &format!("InstanceId.{n}"),
                    format!("The InstanceId {value} is repeated."),
                ));
            }
            instance_ids.push((n, value.to_owned()));
        }
        Ok(Self {
            instance_ids,
            force: params.bool_or("Force", false)?,
            force_stop: params.bool_or("ForceStop", true)?,
            dry_run: params.bool_or("DryRun", false)?,
        })
    }

    /// Every instance through rows 1-10 in request order, then DryRun or the releases.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let mut checked = Vec::with_capacity(self.instance_ids.len());
        for (n, raw) in &self.instance_ids {
            let name_it = |e: EcsError| e.suffixed(format!("(InstanceId: {raw})"));
            let id = parse_instance_id(Some(raw), &format!("InstanceId.{n}")).map_err(name_it)?;
            let instance = delete_instance::check(state, ctx, &id, self.force).map_err(name_it)?;
            checked.push(instance);
        }
        if self.dry_run {
            return Err(EcsError::new(Code::DryRunSuccess));
        }
        let mut events = Vec::new();
        for instance in checked {
            events.extend(delete_instance::release_or_stop(
                state,
                ctx,
                instance,
                self.force,
                self.force_stop,
            )?);
        }
        Ok(events)
    }
}
