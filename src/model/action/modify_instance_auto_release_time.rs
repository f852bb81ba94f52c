//! ModifyInstanceAutoReleaseTime: when the platform releases a pay-as-you-go
//! instance by itself (docs/BEHAVIOUR.md §7.2).
//!
//! Checks in order: `InstanceId` missing (`MissingParameter`) or malformed
//! (`InvalidParameter`); no such instance (`InvalidInstanceId.NotFound`); a
//! subscription (`ChargeTypeViolation`); an `AutoReleaseTime` that does not
//! parse, is less than 30 minutes after the ledger time, or more than three
//! years after it (`InvalidAutoReleaseTime.Malformed`). An absent or empty
//! `AutoReleaseTime` cancels the automatic release. At that time the
//! platform releases the instance whatever its status, deletion protection
//! included (it guards manual releases only): see the scheduler.

use crate::model::action::delete_instance::parse_instance_id;
use crate::model::action::lookup;
use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{AutoReleaseTimeChanged, Event};
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::state::State;
use crate::model::time::Timestamp;
use crate::model::values::ChargeType;

/// The nearest automatic release time allowed: 30 minutes ahead.
pub const AUTO_RELEASE_MIN_SECS: i64 = 30 * 60;
/// The farthest automatic release time allowed: three years ahead.
pub const AUTO_RELEASE_MAX_MONTHS: u32 = 36;

/// Set or cancel an instance's automatic release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyInstanceAutoReleaseTime {
    /// The instance.
    pub instance_id: InstanceId,
    /// The time as sent (checked after the instance, in the order of the
    /// checks); `None` or empty cancels.
    pub auto_release_time: Option<String>,
}

impl ModifyInstanceAutoReleaseTime {
    /// Parses `InstanceId` and `AutoReleaseTime`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            instance_id: parse_instance_id(params.get("InstanceId"), "InstanceId")?,
            auto_release_time: params
                .optional("AutoReleaseTime")
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        })
    }

    /// Not found; PrePaid; a malformed or out-of-range time. Setting the
    /// time the instance already has records nothing.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let instance = lookup::instance(state, ctx, &self.instance_id)?;
        if instance.charge_type == ChargeType::PrePaid {
            return Err(EcsError::new(Code::ChargeTypeViolation));
        }
        let wanted = match &self.auto_release_time {
            None => None,
            Some(raw) => Some(release_time(raw, ctx.now)?),
        };
        if wanted == instance.auto_release_time {
            return Ok(Vec::new());
        }
        Ok(vec![Event::AutoReleaseTimeChanged(
            AutoReleaseTimeChanged {
                instance_id: instance.id.clone(),
                auto_release_time: wanted,
            },
        )])
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ` or `yyyy-MM-ddTHH:mmZ` (UTC), seconds dropped,
/// within 30 minutes to three years of `now`.
///
/// ```
/// use ecs_ledger::model::action::modify_instance_auto_release_time::release_time;
/// use ecs_ledger::model::time::Timestamp;
/// let now = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
/// let t = release_time("2026-01-01T01:00:59Z", now).unwrap();
/// assert_eq!(t.to_string(), "2026-01-01T01:00:00Z");
/// assert_eq!(release_time("2026-01-01T01:00Z", now).unwrap(), t);
/// assert!(release_time("2026-01-01T00:29:00Z", now).is_err()); // too soon
/// assert!(release_time("2029-01-01T00:01:00Z", now).is_err()); // too far
/// assert!(release_time("tomorrow", now).is_err());
/// ```
pub fn release_time(raw: &str, now: Timestamp) -> Result<Timestamp, EcsError> {
    let malformed = || EcsError::new(Code::AutoReleaseTimeMalformed);
    let parsed = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%SZ")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%MZ"))
        .map_err(|_| malformed())?;
    let secs = parsed.and_utc().timestamp();
    let t = Timestamp::from_unix(secs - secs.rem_euclid(60)).ok_or_else(malformed)?;
    let earliest = now.add_secs(AUTO_RELEASE_MIN_SECS).ok_or_else(malformed)?;
    let latest = now
        .add_months(AUTO_RELEASE_MAX_MONTHS)
        .ok_or_else(malformed)?;
    if t < earliest || t > latest {
        return Err(malformed());
    }
    Ok(t)
}
