//! The platform's own transitions, as a pure function of state and time.
//!
//! Given a state and a time T, [`due`] returns every transition due at or
//! before T, in due order, each stamped with the time it was due (docs/BEHAVIOUR.md
//! §2): creation (`Pending -> Stopped`), start (`Starting -> Running`),
//! stop (`Stopping -> Stopped`) and subscription expiry (a `Running`/`Starting`
//! instance is stopped and a `financial` lock added).

use crate::model::event::{
    Event, InstanceExpired, InstanceLocked, InstanceStatusChanged, Recorded,
};
use crate::model::id::{Account, EventId, RequestId};
use crate::model::state::{Instance, State, evolve_partial};
use crate::model::time::Timestamp;
use crate::model::values::{ChargeType, InstanceStatus, LockReason, StatusReason};

/// The message of the `financial` lock the platform adds at expiry.
pub const EXPIRY_LOCK_MSG: &str = "The subscription has expired.";

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

/// Every transition due at or before `until`, ordered by (due time, instance id).
///
/// ```
/// use ecs_ledger::model::{scheduler, State};
/// use ecs_ledger::model::time::Timestamp;
/// assert!(scheduler::due(&State::new(), Timestamp::EPOCH).is_empty());
/// ```
pub fn due(state: &State, until: Timestamp) -> Vec<Due> {
    let mut all = Vec::new();
    for instance in state.instances.values() {
        if instance.next_due().is_some_and(|t| t <= until) {
            due_for(instance, until, &mut all);
        }
    }
    all.sort_by(|a, b| (a.at, instance_of(a)).cmp(&(b.at, instance_of(b))));
    all
}

fn instance_of(d: &Due) -> &str {
    d.events
        .first()
        .and_then(|e| e.tags()[0])
        .unwrap_or_default()
}

/// The transitions of one instance up to `until`, applied one after another to
/// a private copy so each sees the effect of the one before.
pub fn due_for(instance: &Instance, until: Timestamp, out: &mut Vec<Due>) {
    let mut scratch = State::new();
    scratch
        .instances
        .insert(instance.id.clone(), instance.clone());
    // Each step either ends a transitional status or marks expiry, so the loop
    // ends: at most three status steps and one expiry before nothing is due.
    for _ in 0..8 {
        let Some(current) = scratch.instances.get(&instance.id) else {
            return;
        };
        let Some(at) = current.next_due().filter(|t| *t <= until) else {
            return;
        };
        let events = transition(current, at);
        if events.is_empty() {
            return;
        }
        for event in &events {
            evolve_partial(&mut scratch, &placeholder(at, event.clone()));
        }
        out.push(Due {
            at,
            account: instance.account.clone(),
            events,
        });
    }
}

/// What happens to `instance` at `at`, its next due time: the end of its
/// transitional status first, expiry otherwise.
fn transition(instance: &Instance, at: Timestamp) -> Vec<Event> {
    let id = instance.id.clone();
    let finished = match instance.status {
        InstanceStatus::Pending => Some((InstanceStatus::Stopped, StatusReason::Created)),
        InstanceStatus::Starting => Some((InstanceStatus::Running, StatusReason::Started)),
        InstanceStatus::Stopping => Some((InstanceStatus::Stopped, StatusReason::Stopped)),
        InstanceStatus::Running | InstanceStatus::Stopped => None,
    };
    if let Some((to, reason)) = finished.filter(|_| instance.status_until == Some(at)) {
        return vec![Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: id,
            from: instance.status,
            to,
            reason,
            until: None,
        })];
    }
    let expiring = instance.charge_type == ChargeType::PrePaid
        && !instance.expired
        && instance.expired_time == Some(at);
    if !expiring {
        return Vec::new();
    }
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
