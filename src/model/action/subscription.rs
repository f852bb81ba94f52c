//! Subscription periods: `Period` + `PeriodUnit`, and the expiry they give.

use crate::model::error::EcsError;
use crate::model::limits;
use crate::model::params::Params;
use crate::model::time::Timestamp;
use crate::model::values::PeriodUnit;

/// A subscription length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// How many units.
    pub count: u32,
    /// Week or Month.
    pub unit: PeriodUnit,
}

impl Period {
    /// Parses `Period` (mandatory) and `PeriodUnit` (default Month): Month 1-60,
    /// Week 1-4.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let unit = match params.choice("PeriodUnit", &["Week", "Month"])? {
            Some("Week") => PeriodUnit::Week,
            _ => PeriodUnit::Month,
        };
        let range = match unit {
            PeriodUnit::Week => limits::PERIOD_WEEKS,
            PeriodUnit::Month => limits::PERIOD_MONTHS,
        };
        params.required("Period")?;
        let count = params.u32_in("Period", range)?.unwrap_or(1);
        Ok(Self { count, unit })
    }

    /// `from` plus this period (calendar months clamp to the month's end).
    pub fn after(self, from: Timestamp) -> Result<Timestamp, EcsError> {
        match self.unit {
            PeriodUnit::Week => from.add_weeks(self.count),
            PeriodUnit::Month => from.add_months(self.count),
        }
        .filter(|t| t.unix() <= limits::EXPIRY_MAX)
        .ok_or_else(|| {
            EcsError::invalid_because(
                "Period",
                "The expiry would be later than the ledger supports.",
            )
        })
    }
}
