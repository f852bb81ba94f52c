//! DeleteInstance: the central rule table of docs/BEHAVIOUR.md §3.
//!
//! Rows 1-2 are checked while parsing ([`DeleteInstance::parse`]), rows 3-11 by
//! [`check`] and [`DeleteInstance::decide`], in the table's order: the first
//! row that applies is the answer. [`release`] builds the event sequence of a
//! successful release; [`release_or_stop`] the orderly stop a forced
//! release with `ForceStop=false` begins with.

use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{
    DiskDetached, Event, InstanceReleasePending, InstanceReleased, InstanceStatusChanged,
};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::release::release_disk;
use crate::model::state::{Instance, State};
use crate::model::values::{DetachReason, DiskReleaseReason, InstanceStatus, StatusReason};

/// Release one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteInstance {
    /// The instance.
    pub instance_id: InstanceId,
    /// Release a `Running` instance without stopping it first.
    pub force: bool,
    /// With `force`, power a `Running` instance off (true, the default)
    /// rather than stop it in an orderly way and release it once stopped.
    pub force_stop: bool,
    /// Check only; answer `DryRunOperation` if every check passes.
    pub dry_run: bool,
}

/// Rows 1-2: the `InstanceId` value itself.
pub fn parse_instance_id(value: Option<&str>, param: &str) -> Result<InstanceId, EcsError> {
    match value {
        None | Some("") => Err(EcsError::about(Code::MissingParameter, "InstanceId")),
        Some(v) => InstanceId::parse(v).map_err(|_| EcsError::invalid(param)),
    }
}

impl DeleteInstance {
    /// Parses `InstanceId` (rows 1-2), then `Force`, `ForceStop` and `DryRun`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let instance_id = parse_instance_id(params.get("InstanceId"), "InstanceId")?;
        Ok(Self {
            instance_id,
            force: params.bool_or("Force", false)?,
            force_stop: params.bool_or("ForceStop", true)?,
            dry_run: params.bool_or("DryRun", false)?,
        })
    }

    /// Rows 3-11, then the release events (or, for an orderly forced
    /// release, the stop it waits for).
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = check(state, ctx, &self.instance_id, self.force)?;
        if self.dry_run {
            return Err(EcsError::new(Code::DryRunOperation)); // row 11
        }
        release_or_stop(state, ctx, instance, self.force, self.force_stop)
    }
}

/// The release of an instance that passed the checks: at once, or (`Force`
/// with `ForceStop=false` on a `Running` instance, docs/BEHAVIOUR.md §7.1)
/// an orderly stop first, the release following when it completes.
pub fn release_or_stop(
    state: &State,
    ctx: &Ctx,
    instance: &Instance,
    force: bool,
    force_stop: bool,
) -> Result<Vec<Event>, EcsError> {
    if !(force && !force_stop && instance.status == InstanceStatus::Running) {
        return release(state, instance, force);
    }
    Ok(vec![
        Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: instance.id.clone(),
            from: InstanceStatus::Running,
            to: InstanceStatus::Stopping,
            reason: StatusReason::StopForRelease,
            until: Some(ctx.after_secs(ctx.durations.stop_secs)?),
        }),
        Event::InstanceReleasePending(InstanceReleasePending {
            instance_id: instance.id.clone(),
        }),
    ])
}

/// Rows 3-10 for one instance: the instance if it may be released.
pub fn check<'s>(
    state: &'s State,
    ctx: &Ctx,
    id: &InstanceId,
    force: bool,
) -> Result<&'s Instance, EcsError> {
    // Row 3: no such instance for this account, or already released.
    let instance = lookup::instance(state, ctx, id)?;
    // Row 4: still being created, even with Force.
    if instance.status == InstanceStatus::Pending {
        return Err(EcsError::new(Code::InstanceInitializing));
    }
    // Row 5: deletion protection.
    if instance.deletion_protection {
        return Err(EcsError::about(Code::DeletionProtection, id.as_str()));
    }
    // Row 6: a subscription that has not expired.
    if instance.charge_type == crate::model::values::ChargeType::PrePaid
        && !(instance.expired || instance.is_expired_at(ctx.now))
    {
        return Err(EcsError::new(Code::ChargeTypeViolation));
    }
    // Row 7: a forced release of a security-locked instance that is not Stopped.
    if instance.security_locked() && force && instance.status != InstanceStatus::Stopped {
        return Err(EcsError::new(Code::InstanceLockedForSecurity));
    }
    // Row 8: only Stopped, or Running with Force.
    let releasable = instance.status == InstanceStatus::Stopped
        || (instance.status == InstanceStatus::Running && force);
    if !releasable {
        return Err(EcsError::new(Code::IncorrectInstanceStatus));
    }
    // Row 9: a route entry points at it.
    if !instance.routes.is_empty() {
        return Err(EcsError::new(Code::DependencyRouteEntry));
    }
    // Row 10: a load balancer uses it.
    if !instance.load_balancers.is_empty() {
        return Err(EcsError::new(Code::DependencySlb));
    }
    Ok(instance)
}

/// The events of a release, in the order of docs/BEHAVIOUR.md §3.3: `InstanceReleased`; then each
/// attached disk (system first, then data disks in attach order) released with
/// its snapshots when `DeleteWithInstance` is true or the instance has a
/// `security` lock, otherwise detached and kept.
pub fn release(state: &State, instance: &Instance, forced: bool) -> Result<Vec<Event>, EcsError> {
    let security_locked = instance.security_locked();
    let mut events = vec![Event::InstanceReleased(InstanceReleased {
        instance_id: instance.id.clone(),
        previous_status: instance.status,
        forced,
        security_locked,
    })];
    for disk_id in &instance.disks {
        let disk = state
            .disks
            .get(disk_id)
            .ok_or_else(|| lookup::not_loaded("disk", disk_id.as_str()))?;
        if disk.delete_with_instance || security_locked {
            let reason = if disk.delete_with_instance {
                DiskReleaseReason::DeleteWithInstance
            } else {
                DiskReleaseReason::SecurityLock
            };
            release_disk(state, disk, Some(&instance.id), reason, &mut events)?;
        } else {
            events.push(Event::DiskDetached(DiskDetached {
                disk_id: disk.id.clone(),
                instance_id: instance.id.clone(),
                reason: DetachReason::InstanceReleased,
            }));
        }
    }
    Ok(events)
}
