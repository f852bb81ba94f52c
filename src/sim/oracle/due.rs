//! Transitions and expiries: what falls due as the clock moves.

use std::collections::btree_map::Entry;

use super::{Due, OInstance, Oracle, iid};
use crate::model::event::{Event, InstanceExpired, InstanceLocked, InstanceStatusChanged};
use crate::model::scheduler::EXPIRY_LOCK_MSG;
use crate::model::time::Timestamp;
use crate::model::values::{InstanceStatus, LockReason, StatusReason};

/// An instance's next due moment: when, and whether it is its expiry (an
/// expiry before the end of a transition comes first).
fn next_due(i: &OInstance) -> Option<(Timestamp, bool)> {
    let transition = match i.status {
        InstanceStatus::Pending | InstanceStatus::Starting | InstanceStatus::Stopping => i.until,
        _ => None,
    };
    let expiry = if i.prepaid && !i.expired {
        i.expiry
    } else {
        None
    };
    match (transition, expiry) {
        (Some(t), Some(e)) if e < t => Some((e, true)),
        (Some(t), _) => Some((t, false)),
        (None, Some(e)) => Some((e, true)),
        (None, None) => None,
    }
}

/// The end of a transition: the status it leads to, and its events.
fn finish_transition(id: &str, i: &mut OInstance) -> Vec<Event> {
    let to = match i.status {
        InstanceStatus::Starting => InstanceStatus::Running,
        _ => InstanceStatus::Stopped,
    };
    let reason = match i.status {
        InstanceStatus::Pending => StatusReason::Created,
        InstanceStatus::Starting => StatusReason::Started,
        _ => StatusReason::Stopped,
    };
    let event = Event::InstanceStatusChanged(InstanceStatusChanged {
        instance_id: iid(id),
        from: i.status,
        to,
        reason,
        until: None,
    });
    i.status = to;
    i.until = None;
    vec![event]
}

/// An expiry: expired, stopped if it ran, and locked `financial` unless it is.
fn expire(id: &str, i: &mut OInstance, at: Timestamp) -> Vec<Event> {
    let mut events = vec![Event::InstanceExpired(InstanceExpired {
        instance_id: iid(id),
        expired_time: at,
    })];
    if matches!(i.status, InstanceStatus::Running | InstanceStatus::Starting) {
        events.push(Event::InstanceStatusChanged(InstanceStatusChanged {
            instance_id: iid(id),
            from: i.status,
            to: InstanceStatus::Stopped,
            reason: StatusReason::Expired,
            until: None,
        }));
        i.status = InstanceStatus::Stopped;
        i.until = None;
    }
    if let Entry::Vacant(slot) = i.locks.entry(LockReason::Financial) {
        events.push(Event::InstanceLocked(InstanceLocked {
            instance_id: iid(id),
            lock_reason: LockReason::Financial,
            lock_msg: EXPIRY_LOCK_MSG.to_owned(),
        }));
        slot.insert(EXPIRY_LOCK_MSG.to_owned());
    }
    i.expired = true;
    events
}

impl Oracle {
    /// The transitions due by `now`: (due time, owner, events), in order of
    /// due time then instance id.
    pub fn due(&self, now: Timestamp) -> Vec<Due> {
        let mut out = Vec::new();
        for (_, id) in self.timers.iter().take_while(|(at, _)| *at <= now) {
            let Some(original) = self.instances.get(id) else {
                continue;
            };
            // One instance can fall due more than once (its transition ends,
            // then its subscription expires): walk a copy forward.
            let mut i = original.clone();
            while let Some((at, is_expiry)) = next_due(&i).filter(|(t, _)| *t <= now) {
                let events = if is_expiry {
                    expire(id, &mut i, at)
                } else {
                    finish_transition(id, &mut i)
                };
                out.push((at, id, i.account.clone(), events));
            }
        }
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out.into_iter()
            .map(|(at, _, account, events)| (at, account, events))
            .collect()
    }

    /// Moves an instance's entry in the timers to its next due time.
    pub(super) fn retime(&mut self, id: &str) {
        let Some(i) = self.instances.get_mut(id) else {
            return;
        };
        let next = next_due(i).map(|(at, _)| at);
        if i.timer == next {
            return;
        }
        let old = std::mem::replace(&mut i.timer, next);
        if let Some(at) = old {
            self.timers.remove(&(at, id.to_owned()));
        }
        if let Some(at) = next {
            self.timers.insert((at, id.to_owned()));
        }
    }

    /// Forgets a released instance's timer.
    pub(super) fn untime(&mut self, id: &str, timer: Option<Timestamp>) {
        if let Some(at) = timer {
            self.timers.remove(&(at, id.to_owned()));
        }
    }
}
