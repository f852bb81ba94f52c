//! Predictions for the release lifecycle (docs/BEHAVIOUR.md §7): the orderly
//! forced release (`ForceStop=false`), ModifyInstanceAutoReleaseTime,
//! ModifyInstanceChargeType and DescribeInstanceHistoryEvents. The releases
//! the platform carries out are in `due`.

use super::{
    AUTO_RELEASE_FARTHEST_MONTHS, AUTO_RELEASE_NEAREST_SECS, CHARGE_TYPE_INSTANCES_MAX, Expect,
    HISTORY_KEPT_SECS, History, Oracle, did, iid, plus,
};
use crate::model::error::Code;
use crate::model::event::*;
use crate::model::time::Timestamp;
use crate::model::values::{ChargeType, InstanceStatus, PeriodUnit, StatusReason};
use crate::sim::workload::ReleaseAt;

/// How a DeleteInstance(s) asks for a release: `Force`, and `ForceStop=false`
/// (an orderly stop first) when `orderly`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// `Force=true`.
    pub force: bool,
    /// `ForceStop=false`.
    pub orderly: bool,
}

fn charge(prepaid: bool) -> ChargeType {
    if prepaid {
        ChargeType::PrePaid
    } else {
        ChargeType::PostPaid
    }
}

impl Oracle {
    /// A release that passed the checks: at once, or (forced, orderly, of a
    /// running instance) a stop first, the platform releasing it when the
    /// stop completes.
    pub(super) fn release_or_stop(&self, id: &str, how: Release, now: Timestamp) -> Vec<Event> {
        let Some(i) = self.instances.get(id) else {
            return Vec::new();
        };
        if !(how.force && how.orderly && i.status == InstanceStatus::Running) {
            return self.release_of(id, i, how.force);
        }
        vec![
            Event::InstanceStatusChanged(InstanceStatusChanged {
                instance_id: iid(id),
                from: InstanceStatus::Running,
                to: InstanceStatus::Stopping,
                reason: StatusReason::StopForRelease,
                until: plus(now, self.durations.stop_secs),
            }),
            Event::InstanceReleasePending(InstanceReleasePending {
                instance_id: iid(id),
            }),
        ]
    }

    /// ModifyInstanceAutoReleaseTime: not found, a subscription, then the
    /// time (seconds dropped; 30 minutes to 36 months ahead). No time
    /// cancels; the time it already has records nothing.
    pub fn auto_release(&self, acct: &str, id: &str, at: &ReleaseAt, now: Timestamp) -> Expect {
        let Some(i) = self.inst(id, acct) else {
            return Expect::Error(Code::InstanceNotFound);
        };
        if i.prepaid {
            return Expect::Error(Code::ChargeTypeViolation);
        }
        let wanted = match at {
            ReleaseAt::Clear => None,
            ReleaseAt::Malformed(_) => return Expect::Error(Code::AutoReleaseTimeMalformed),
            ReleaseAt::In { secs, .. } => {
                let Some(t) = now.add_secs(i64::from(*secs)) else {
                    return Expect::Error(Code::AutoReleaseTimeMalformed);
                };
                let t = Timestamp::from_unix(t.unix() - t.unix().rem_euclid(60));
                let nearest = now.add_secs(AUTO_RELEASE_NEAREST_SECS);
                let farthest = now.add_months(AUTO_RELEASE_FARTHEST_MONTHS);
                match (t, nearest, farthest) {
                    (Some(t), Some(n), Some(f)) if t >= n && t <= f => Some(t),
                    _ => return Expect::Error(Code::AutoReleaseTimeMalformed),
                }
            }
        };
        if wanted == i.auto_release {
            return Expect::Events(Vec::new());
        }
        Expect::Events(vec![Event::AutoReleaseTimeChanged(
            AutoReleaseTimeChanged {
                instance_id: iid(id),
                auto_release_time: wanted,
            },
        )])
    }

    /// ModifyInstanceChargeType to PrePaid for `period` (or to PostPaid
    /// without one), all or nothing.
    pub fn charge_type(
        &self,
        acct: &str,
        ids: &[String],
        period: Option<(u32, PeriodUnit)>,
        include_data: bool,
        now: Timestamp,
    ) -> Expect {
        if ids.is_empty() || ids.len() > CHARGE_TYPE_INSTANCES_MAX {
            return Expect::Error(Code::InvalidParameter);
        }
        let to_prepaid = period.is_some();
        let expiry = match period {
            None => None,
            Some((n, PeriodUnit::Week)) if (1..=4).contains(&n) => now.add_weeks(n),
            Some((n, PeriodUnit::Month)) if (1..=60).contains(&n) => now.add_months(n),
            Some(_) => return Expect::Error(Code::InvalidParameter),
        };
        if let Some(code) = ids
            .iter()
            .find_map(|id| self.charge_blocker(acct, id, to_prepaid, now))
        {
            return Expect::Error(code);
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(Event::InstanceChargeTypeChanged(
                InstanceChargeTypeChanged {
                    instance_id: iid(id),
                    instance_charge_type: charge(to_prepaid),
                    expired_time: expiry,
                },
            ));
            let disks = self.instances.get(id).map(|i| i.disks.as_slice());
            for d in disks.unwrap_or_default() {
                let Some(disk) = self.disks.get(d) else {
                    continue;
                };
                // The system disk follows its instance, data disks follow it
                // to pay-as-you-go, and to a subscription only when asked.
                let follows = disk.system || !to_prepaid || include_data;
                if follows && disk.prepaid != to_prepaid {
                    out.push(Event::DiskChargeTypeChanged(DiskChargeTypeChanged {
                        disk_id: did(d),
                        instance_id: iid(id),
                        disk_charge_type: charge(to_prepaid),
                    }));
                }
            }
        }
        Expect::Events(out)
    }

    /// Why one instance's billing cannot change, if it cannot.
    fn charge_blocker(
        &self,
        acct: &str,
        id: &str,
        to_prepaid: bool,
        now: Timestamp,
    ) -> Option<Code> {
        let Some(i) = self.inst(id, acct) else {
            return Some(Code::InstanceNotFound);
        };
        if !matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped) {
            return Some(Code::IncorrectInstanceStatus);
        }
        if i.prepaid == to_prepaid {
            return Some(Code::InvalidParameter);
        }
        let expired = i.expired_at(now);
        if !to_prepaid && expired {
            return Some(Code::InstanceExpiredOrInArrears);
        }
        None
    }

    /// How many system events DescribeInstanceHistoryEvents lists for
    /// `acct` at `now` (of one kind, or all): those of the last 30 days.
    pub fn history_count(&self, acct: &str, kind: Option<History>, now: Timestamp) -> u64 {
        let Some(kept) = self.history.get(acct) else {
            return 0;
        };
        kept.iter()
            .filter(|(at, k)| {
                let listed = at.add_secs(HISTORY_KEPT_SECS).is_none_or(|end| end >= now);
                listed && kind.is_none_or(|wanted| wanted == *k)
            })
            .count() as u64
    }
}
