//! Transitions, expiries and the platform's releases: what falls due as
//! the clock moves.

use std::collections::btree_map::Entry;

use super::network::{lb_id, table_id};
use super::{Due, GRACE_SECS, OInstance, Oracle, iid};
use crate::model::event::{
    BackendServerRemoved, Event, InstanceExpired, InstanceLocked, InstanceReleaseTriggered,
    InstanceStatusChanged, RouteEntryDeleted,
};
use crate::model::id::RequestId;
use crate::model::scheduler::EXPIRY_LOCK_MSG;
use crate::model::time::Timestamp;
use crate::model::values::{InstanceStatus, LockReason, ReleaseTrigger, StatusReason};

/// What falls due for an instance. At one and the same moment they come in
/// this order: a transitional status ends, the subscription expires, the
/// automatic release time arrives, the 15 days after expiry end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Falls {
    Transition,
    Expiry,
    AutoRelease,
    EndOfGrace,
}

/// An instance's next due moment, and what falls due then.
fn next_due(i: &OInstance) -> Option<(Timestamp, Falls)> {
    let transition = match i.status {
        InstanceStatus::Pending | InstanceStatus::Starting | InstanceStatus::Stopping => i.until,
        _ => None,
    };
    let expiry = (i.prepaid && !i.expired).then_some(i.expiry).flatten();
    let grace = (i.prepaid && i.expired)
        .then_some(i.expiry)
        .flatten()
        .and_then(|e| e.add_secs(GRACE_SECS));
    [
        transition.map(|t| (t, Falls::Transition)),
        expiry.map(|t| (t, Falls::Expiry)),
        i.auto_release.map(|t| (t, Falls::AutoRelease)),
        grace.map(|t| (t, Falls::EndOfGrace)),
    ]
    .into_iter()
    .flatten()
    .min()
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
            // then its subscription expires): walk a copy forward, until
            // nothing more is due or the platform released it.
            let mut i = original.clone();
            while let Some((at, falls)) = next_due(&i).filter(|(t, _)| *t <= now) {
                let (events, released) = self.falls_due(id, &mut i, at, falls);
                out.push((at, id, i.account.clone(), events));
                if released {
                    break;
                }
            }
        }
        out.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out.into_iter()
            .map(|(at, _, account, events)| (at, account, events))
            .collect()
    }

    /// The events of what falls due for `i` at `at`, and whether the
    /// platform released it.
    fn falls_due(
        &self,
        id: &str,
        i: &mut OInstance,
        at: Timestamp,
        falls: Falls,
    ) -> (Vec<Event>, bool) {
        // A release the platform carries out powers off what is not stopped.
        let forced = i.status != InstanceStatus::Stopped;
        match falls {
            Falls::Transition => {
                let stopping = i.status == InstanceStatus::Stopping;
                let mut events = finish_transition(id, i);
                // The stop an orderly forced release waited for: the release
                // goes ahead (it was asked for with Force=true).
                match i.pending.filter(|_| stopping) {
                    Some(request) => {
                        let trigger = ReleaseTrigger::Request;
                        events.extend(self.platform_release(id, i, trigger, Some(request), true));
                        (events, true)
                    }
                    None => (events, false),
                }
            }
            Falls::Expiry => (expire(id, i, at), false),
            Falls::AutoRelease => {
                let trigger = ReleaseTrigger::AutoReleaseTime;
                (self.platform_release(id, i, trigger, None, forced), true)
            }
            Falls::EndOfGrace => {
                let trigger = ReleaseTrigger::SubscriptionEnded;
                (self.platform_release(id, i, trigger, None, forced), true)
            }
        }
    }

    /// A release by the platform: what set it off, then the route entries
    /// and backend-server memberships naming the instance removed, then the
    /// release as DeleteInstance makes it.
    fn platform_release(
        &self,
        id: &str,
        i: &OInstance,
        trigger: ReleaseTrigger,
        caused_by: Option<RequestId>,
        forced: bool,
    ) -> Vec<Event> {
        let mut events = vec![Event::InstanceReleaseTriggered(InstanceReleaseTriggered {
            instance_id: iid(id),
            trigger,
            caused_by,
        })];
        for (table, cidr) in &i.routes {
            events.push(Event::RouteEntryDeleted(RouteEntryDeleted {
                route_table_id: table_id(table),
                destination_cidr_block: cidr.clone(),
                next_hop_id: iid(id),
            }));
        }
        for lb in &i.lbs {
            events.push(Event::BackendServerRemoved(BackendServerRemoved {
                load_balancer_id: lb_id(lb),
                server_id: iid(id),
            }));
        }
        events.extend(self.release_of(id, i, forced));
        events
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
