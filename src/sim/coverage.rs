//! Coverage: a simulator that silently stops exercising a path must fail.
//! Across the seeds CI runs, every error code of the actions of docs/BEHAVIOUR.md and every
//! fault kind must occur at least once.

use std::collections::BTreeMap;

use super::faults::FaultKind;
use crate::model::error::Code;

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
];

/// What a run (or several) reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Answers by code (`OK` for success).
    pub codes: BTreeMap<String, u64>,
    /// Faults that actually fired, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
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
