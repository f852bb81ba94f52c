//! Ledger time: whole seconds since the Unix epoch, UTC.
//!
//! The model never reads a clock: time arrives in [`crate::model::Ctx`].
//! Seconds are the resolution of the ledger's transitions and of ECS's own
//! timestamps; finer input (`At` with fractions) is truncated.

use std::fmt;

use chrono::{DateTime, Months, TimeDelta, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::model::limits;

/// A point in ledger time.
///
/// ```
/// use ecs_ledger::model::time::Timestamp;
/// let t = Timestamp::parse_rfc3339("2026-01-31T10:00:00Z").unwrap();
/// assert_eq!(t.to_string(), "2026-01-31T10:00:00Z");
/// // calendar months clamp to the end of the month
/// assert_eq!(t.add_months(1).unwrap().to_string(), "2026-02-28T10:00:00Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// Why a time value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not RFC 3339.
    #[error("not an RFC 3339 date-time: {0}")]
    Syntax(String),
    /// Before 1970 or after 9999.
    #[error("outside the supported range 1970-01-01..9999-12-31")]
    Range,
}

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// From seconds since the epoch; `None` outside 1970..=9999.
    pub fn from_unix(secs: i64) -> Option<Self> {
        (0..=limits::TIME_MAX).contains(&secs).then_some(Self(secs))
    }

    /// Seconds since the epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2026-01-01T00:00:05Z`, offsets allowed, fractions truncated).
    pub fn parse_rfc3339(value: &str) -> Result<Self, TimeError> {
        let parsed =
            DateTime::parse_from_rfc3339(value).map_err(|e| TimeError::Syntax(e.to_string()))?;
        Self::from_unix(parsed.timestamp()).ok_or(TimeError::Range)
    }

    /// `self + secs`, or `None` past the supported range.
    pub fn add_secs(self, secs: i64) -> Option<Self> {
        self.0.checked_add(secs).and_then(Self::from_unix)
    }

    /// Adds calendar months (the day clamps to the month's end).
    pub fn add_months(self, months: u32) -> Option<Self> {
        let dt = self
            .to_datetime()?
            .checked_add_months(Months::new(months))?;
        Self::from_unix(dt.timestamp())
    }

    /// Adds whole weeks.
    pub fn add_weeks(self, weeks: u32) -> Option<Self> {
        let dt = self
            .to_datetime()?
            .checked_add_signed(TimeDelta::try_weeks(i64::from(weeks))?)?;
        Self::from_unix(dt.timestamp())
    }

    fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.0, 0)
    }

    /// ECS's minute format for `CreationTime`/`ExpiredTime`: `2017-12-10T04:04Z`.
    pub fn to_ecs_minutes(self) -> String {
        match self.to_datetime() {
            Some(dt) => dt.format("%Y-%m-%dT%H:%MZ").to_string(),
            None => String::new(),
        }
    }
}

/// RFC 3339 with a `Z`, to the second.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike, Timelike};
        match self.to_datetime() {
            // Field by field: formatting is on the hot path of every answer.
            Some(dt) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            ),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// RFC 3339 in human-readable formats (JSON), an `i64` in bincode.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Timestamp::from_unix(v).ok_or_else(|| E::custom(TimeError::Range))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Timestamp::from_unix)
                    .ok_or_else(|| E::custom(TimeError::Range))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(v).map_err(E::custom)
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(V)
        } else {
            d.deserialize_i64(V)
        }
    }
}
