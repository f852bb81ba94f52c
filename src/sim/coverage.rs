//! Coverage: a simulator that silently stops exercising a path must fail.
//! Across the seeds CI runs, every error code of the actions of docs/BEHAVIOUR.md, every
//! fault kind and every trigger of a release by the platform must occur at
//! least once.

use std::collections::BTreeMap;

use super::faults::FaultKind;
use crate::model::error::Code;
use crate::model::values::ReleaseTrigger;

/// The codes the actions of docs/BEHAVIOUR.md answer with (§3 DeleteInstance's
/// table, §4 the supporting actions and their quotas), which the simulation must
/// reach. The quotas are reached by the workload's rare fills of one disk or one
/// route table (see [`super::workload::upkeep`]). Left out on purpose: the
/// request-level codes the simulator's library calls cannot meet (signatures,
/// nonces, timestamps, access keys, `Forbidden`, body size and timeout, a
/// line that is not JSON: tested by the server's and exec's tests),
/// `InvalidOperation.ClockNotManual` (the simulator's clock is manual; tested
/// by the clock's tests) and the ledger's own failure codes.
pub const REQUIRED_CODES: &[Code] = &[
    Code::MissingParameter,
    Code::InvalidParameter,
    Code::InstanceNotFound,
    Code::InstanceInitializing,
    Code::DeletionProtection,
    Code::ChargeTypeViolation,
    Code::InstanceLockedForSecurity,
    Code::IncorrectInstanceStatus,
    Code::DependencyRouteEntry,
    Code::DependencySlb,
    Code::DryRunOperation,
    Code::TooManyInstanceIds,
    Code::DryRunSuccess,
    Code::IdempotentParameterMismatch,
    Code::InstanceExpiredOrInArrears,
    Code::DiskNotFound,
    Code::SnapshotNotFound,
    Code::IncorrectDiskStatus,
    Code::InstanceDiskLimitExceeded,
    Code::DiskTypeViolation,
    Code::DiskNotAttachedToInstance,
    Code::RouteTableNotFound,
    Code::RouteEntryNotFound,
    Code::NextHopNotFound,
    Code::CidrBlockDuplicate,
    Code::LoadBalancerNotFound,
    Code::BackendServerNotFound,
    Code::ServerIdNotFound,
    Code::LockNotFound,
    Code::InvalidActionNotFound,
    Code::SnapshotQuotaExceeded,
    Code::RouteEntryQuotaExceeded,
    Code::TooManyBackendServers,
    Code::CidrBlockMalformed,
    Code::BackendServersMalformed,
    Code::WeightMalformed,
    // docs/BEHAVIOUR.md §7 (the others it answers with are above):
    // ModifyInstanceAutoReleaseTime's malformed, too soon or too far time.
    Code::AutoReleaseTimeMalformed,
];

/// What sets off a release by the platform (docs/BEHAVIOUR.md §7): each must
/// occur, as the trigger of an `InstanceReleaseTriggered`.
pub const REQUIRED_TRIGGERS: &[ReleaseTrigger] = &[
    ReleaseTrigger::Request,
    ReleaseTrigger::AutoReleaseTime,
    ReleaseTrigger::SubscriptionEnded,
];

/// The answers each action of docs/BEHAVIOUR.md §7 must give (`OK`: a
/// success), so that the workload's lifecycle operations cannot stop reaching
/// a rule while the same codes still come from other actions.
pub const REQUIRED_LIFECYCLE_ANSWERS: &[(&str, &str)] = &[
    ("ModifyInstanceAutoReleaseTime", "OK"),
    ("ModifyInstanceAutoReleaseTime", "MissingParameter"),
    (
        "ModifyInstanceAutoReleaseTime",
        "InvalidInstanceId.NotFound",
    ),
    ("ModifyInstanceAutoReleaseTime", "ChargeTypeViolation"),
    (
        "ModifyInstanceAutoReleaseTime",
        "InvalidAutoReleaseTime.Malformed",
    ),
    ("ModifyInstanceChargeType", "OK"),
    ("ModifyInstanceChargeType", "MissingParameter"),
    ("ModifyInstanceChargeType", "InvalidParameter"),
    ("ModifyInstanceChargeType", "InvalidInstanceId.NotFound"),
    ("ModifyInstanceChargeType", "IncorrectInstanceStatus"),
    ("ModifyInstanceChargeType", "InstanceExpiredOrInArrears"),
    ("DescribeInstanceHistoryEvents", "OK"),
    ("DescribeInstanceHistoryEvents", "InvalidParameter"),
];

/// The actions of [`REQUIRED_LIFECYCLE_ANSWERS`].
const LIFECYCLE_ACTIONS: [&str; 3] = [
    "ModifyInstanceAutoReleaseTime",
    "ModifyInstanceChargeType",
    "DescribeInstanceHistoryEvents",
];

/// What a run (or several) reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Answers by code (`OK` for success).
    pub codes: BTreeMap<String, u64>,
    /// Faults that actually fired, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Releases by the platform, by trigger.
    pub triggers: BTreeMap<String, u64>,
    /// Answers of the §7 actions, by `Action Code`.
    pub lifecycle: BTreeMap<String, u64>,
}

impl Coverage {
    /// Adds another run's coverage.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.codes {
            *self.codes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.faults {
            *self.faults.entry(*k).or_default() += v;
        }
        for (k, v) in &other.triggers {
            *self.triggers.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.lifecycle {
            *self.lifecycle.entry(k.clone()).or_default() += v;
        }
    }

    /// Counts an answer of `action` when it is one of the §7 actions.
    pub fn lifecycle_answer(&mut self, action: &str, code: &str) {
        if LIFECYCLE_ACTIONS.contains(&action) {
            *self
                .lifecycle
                .entry(format!("{action} {code}"))
                .or_default() += 1;
        }
    }

    /// Required answers of the §7 actions never given, as `Action Code`.
    pub fn missing_lifecycle_answers(&self) -> Vec<String> {
        REQUIRED_LIFECYCLE_ANSWERS
            .iter()
            .map(|(action, code)| format!("{action} {code}"))
            .filter(|k| !self.lifecycle.contains_key(k))
            .collect()
    }

    /// Counts one release by the platform.
    pub fn triggered(&mut self, trigger: ReleaseTrigger) {
        match self.triggers.get_mut(trigger.as_str()) {
            Some(n) => *n += 1,
            None => {
                self.triggers.insert(trigger.as_str().to_owned(), 1);
            }
        }
    }

    /// Release triggers that never occurred.
    pub fn missing_triggers(&self) -> Vec<&'static str> {
        REQUIRED_TRIGGERS
            .iter()
            .map(|t| t.as_str())
            .filter(|t| !self.triggers.contains_key(*t))
            .collect()
    }

    /// Required codes never answered.
    pub fn missing_codes(&self) -> Vec<&'static str> {
        REQUIRED_CODES
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !self.codes.contains_key(*c))
            .collect()
    }

    /// Fault kinds that never fired.
    pub fn missing_faults(&self) -> Vec<FaultKind> {
        FaultKind::ALL
            .iter()
            .copied()
            .filter(|k| !self.faults.contains_key(k))
            .collect()
    }
}
