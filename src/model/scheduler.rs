//! The platform's own transitions, as a pure function of state and time.
//!
//! Given a state and a time T, [`due`] returns every transition due at or
//! before T, in due order, each stamped with the time it was due (docs/BEHAVIOUR.md
//! §2): creation (`Pending -> Stopped`), start (`Starting -> Running`),
//! stop (`Stopping -> Stopped`, followed by the release an orderly
//! DeleteInstance waited for), subscription expiry (a `Running`/`Starting`
//! instance is stopped and a `financial` lock added), and the releases the
//! platform carries out (§7): at the automatic release time, and 15 days
//! after a subscription expired unrenewed.

use crate::model::action::delete_instance::release;
use crate::model::event::{
    BackendServerRemoved, Event, InstanceExpired, InstanceLocked, InstanceReleaseTriggered,
    InstanceStatusChanged, Recorded, RouteEntryDeleted,
};
use crate::model::id::{Account, EventId, RequestId};
use crate::model::state::{Instance, State, evolve_partial};
use crate::model::time::Timestamp;
use crate::model::values::{ChargeType, InstanceStatus, LockReason, ReleaseTrigger, StatusReason};

/// The message of the `financial` lock the platform adds at expiry.
pub const EXPIRY_LOCK_MSG: &str = "The subscription has expired.";

/// The most transitions one instance may have due at one and the same time:
/// its transitional status ends, then its subscription expires or the
/// platform releases it (see [`transition`]).
pub const SAME_TIME_MAX: usize = 3;

/// One transition: what happens to one instance at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// When it was due (the events' time).
    pub at: Timestamp,
    /// The instance's account.
    pub account: Account,
    /// What happens.
    pub events: Vec<Event>,
}

/// Every transition due at or before `until`, ordered by (due time, instance
/// id), each computed against the state the ones before it left.
///
/// ```
/// use ecs_ledger::model::{scheduler, State};
/// use ecs_ledger::model::time::Timestamp;
/// assert!(scheduler::due(&State::new(), Timestamp::EPOCH).is_empty());
/// ```
pub fn due(state: &State, until: Timestamp) -> Vec<Due> {
    let mut scratch = state.clone();
    let mut all = Vec::new();
    loop {
        let next = scratch
            .instances
            .values()
            .filter_map(|i| {
                i.next_due()
                    .filter(|t| *t <= until)
                    .map(|t| (t, i.id.clone()))
            })
            .min();
        let Some((at, id)) = next else {
            return all;
        };
        let Some(instance) = scratch.instances.get(&id) else {
            return all;
        };
        let due = Due {
            at,
            account: instance.account.clone(),
            events: transition(&scratch, instance, at),
        };
        assert!(!due.events.is_empty(), "a due instance has a transition");
        for event in &due.events {
            evolve_partial(&mut scratch, &placeholder(at, event.clone()));
        }
        all.push(due);
    }
}

/// What happens to `instance` at `at`, its next due time (see
/// [`Instance::next_due`]), in this order of precedence: its transitional
/// status ends (and an orderly release waiting for that stop goes ahead),
/// its subscription expires, or the platform releases it (automatic release
/// time, or a subscription not renewed within 15 days). Never empty when
/// `at` is the instance's next due time, and each outcome moves that time
/// on (or removes the instance), so a scheduler always makes progress.
pub fn transition(state: &State, instance: &Instance, at: Timestamp) -> Vec<Event> {
    if instance.status_until == Some(at) && instance.status.is_transitional() {
        return status_ends(state, instance);
    }
    let expiring = instance.charge_type == ChargeType::PrePaid
        && !instance.expired
        && instance.expired_time == Some(at);
    if expiring {
        return expiry(instance, at);
    }
    if instance.auto_release_time == Some(at) {
        let forced = instance.status != InstanceStatus::Stopped;
        return platform_release(
            state,
            instance,
            ReleaseTrigger::AutoReleaseTime,
            None,
            forced,
        );
    }
    if instance.end_of_life() == Some(at) {
        let forced = instance.status != InstanceStatus::Stopped;
        return platform_release(
            state,
            instance,
            ReleaseTrigger::SubscriptionEnded,
            None,
            forced,
        );
    }
    Vec::new()
}

/// A transitional status ends; a stop an orderly release waited for is
/// followed by that release.
fn status_ends(state: &State, instance: &Instance) -> Vec<Event> {
    let (to, reason) = match instance.status {
        InstanceStatus::Pending => (InstanceStatus::Stopped, StatusReason::Created),
        InstanceStatus::Starting => (InstanceStatus::Running, StatusReason::Started),
        _ => (InstanceStatus::Stopped, StatusReason::Stopped),
    };
    let mut events = vec![Event::InstanceStatusChanged(InstanceStatusChanged {
        instance_id: instance.id.clone(),
        from: instance.status,
        to,
        reason,
        until: None,
    })];
    if let (Some(request), InstanceStatus::Stopping) = (instance.pending_release, instance.status) {
        let mut stopped = instance.clone();
        stopped.status = InstanceStatus::Stopped;
        stopped.status_until = None;
        // The request asked for a forced release (`Force=true`).
        events.extend(platform_release(
            state,
            &stopped,
            ReleaseTrigger::Request,
            Some(request),
            true,
        ));
    }
    events
}

/// A subscription reaches its `ExpiredTime`: a running instance is stopped
/// and a `financial` lock added.
fn expiry(instance: &Instance, at: Timestamp) -> Vec<Event> {
    let id = instance.id.clone();
    let mut events = vec![Event::InstanceExpired(InstanceExpired {
        instance_id: id.clone(),
        expired_time: at,
    })];
    if matches!(
        instance.status,
        InstanceStatus::Running | InstanceStatus::Starting
    ) {
        events.push(Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: id.clone(),
            from: instance.status,
            to: InstanceStatus::Stopped,
            reason: StatusReason::Expired,
            until: None,
        }));
    }
    if !instance.locks.contains_key(&LockReason::Financial) {
        events.push(Event::InstanceLocked(InstanceLocked {
            instance_id: id,
            lock_reason: LockReason::Financial,
            lock_msg: EXPIRY_LOCK_MSG.to_owned(),
        }));
    }
    events
}

/// A release the platform carries out (docs/BEHAVIOUR.md §7): whatever the
/// instance's status and deletion protection, it says what set it off,
/// removes the route entries and backend-server memberships naming the
/// instance (each with the event of its removal action), then releases it
/// as DeleteInstance does (`forced`: powered off rather than stopped).
pub fn platform_release(
    state: &State,
    instance: &Instance,
    trigger: ReleaseTrigger,
    caused_by: Option<RequestId>,
    forced: bool,
) -> Vec<Event> {
    let mut events = vec![Event::InstanceReleaseTriggered(InstanceReleaseTriggered {
        instance_id: instance.id.clone(),
        trigger,
        caused_by,
    })];
    for (table, cidr) in &instance.routes {
        events.push(Event::RouteEntryDeleted(RouteEntryDeleted {
            route_table_id: table.clone(),
            destination_cidr_block: cidr.clone(),
            next_hop_id: instance.id.clone(),
        }));
    }
    for lb in &instance.load_balancers {
        events.push(Event::BackendServerRemoved(BackendServerRemoved {
            load_balancer_id: lb.clone(),
            server_id: instance.id.clone(),
        }));
    }
    match release(state, instance, forced) {
        Ok(released) => events.extend(released),
        // The state is a whole fold: an instance's disks and their
        // snapshots are all in it.
        Err(e) => panic!("invariant broken: releasing {}: {e}", instance.id),
    }
    events
}

fn placeholder(at: Timestamp, event: Event) -> Recorded {
    Recorded {
        seq: 0,
        time: at,
        request_id: RequestId::from_uuid(uuid::Uuid::nil()),
        event_id: EventId::from_uuid(uuid::Uuid::nil()),
        account: Account::default(),
        event,
    }
}
