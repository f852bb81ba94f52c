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
/// route table (see [`super::workload::upkeep`]). Left out on purpose: the HTTP
/// protocol codes (tested by the server's tests) and the ledger's own
/// failure codes.
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

/// What a run (or several) reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Answers by code (`OK` for success).
    pub codes: BTreeMap<String, u64>,
    /// Faults that actually fired, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Releases by the platform, by trigger.
    pub triggers: BTreeMap<String, u64>,
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
