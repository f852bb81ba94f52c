//! The HTTP status of every error code: the wire's business, not the
//! model's (the model knows codes and messages). The DeleteInstance rows keep
//! the statuses of the original API page (docs/BEHAVIOUR.md); the supporting
//! actions use ECS's, VPC's and SLB's own.

use crate::core::answer::Reply;
use crate::model::error::Code;

impl Reply {
    /// 200 on success, else the error's HTTP status ([`of`]).
    pub fn status(&self) -> u16 {
        match self.error() {
            None => 200,
            Some(e) => of(e.code()),
        }
    }
}

/// The HTTP status that goes with `code`.
///
/// ```
/// use ecs_ledger::api::status;
/// use ecs_ledger::model::Code;
/// assert_eq!(status::of(Code::InstanceNotFound), 404);
/// assert_eq!(status::of(Code::DeletionProtection), 400);
/// ```
pub fn of(code: Code) -> u16 {
    match code {
        Code::MissingParameter => 400,
        Code::InvalidParameter => 400,
        Code::InstanceNotFound => 404,
        Code::InstanceInitializing => 403,
        Code::DeletionProtection => 400,
        Code::ChargeTypeViolation => 403,
        Code::InstanceLockedForSecurity => 403,
        Code::IncorrectInstanceStatus => 403,
        Code::DependencyRouteEntry => 400,
        Code::DependencySlb => 400,
        Code::DryRunOperation => 400,
        Code::TooManyInstanceIds => 403,
        Code::DryRunSuccess => 400,
        Code::IdempotentParameterMismatch => 400,
        Code::InstanceExpiredOrInArrears => 403,
        Code::DiskNotFound => 404,
        Code::SnapshotNotFound => 404,
        Code::IncorrectDiskStatus => 403,
        Code::InstanceDiskLimitExceeded => 403,
        Code::DiskTypeViolation => 403,
        Code::DiskNotAttachedToInstance => 403,
        Code::SnapshotQuotaExceeded => 403,
        Code::AutoReleaseTimeMalformed => 400,
        Code::RouteTableNotFound => 404,
        Code::RouteEntryNotFound => 400,
        Code::NextHopNotFound => 404,
        Code::CidrBlockDuplicate => 400,
        Code::CidrBlockMalformed => 400,
        Code::RouteEntryQuotaExceeded => 400,
        Code::LoadBalancerNotFound => 404,
        Code::BackendServerNotFound => 400,
        Code::ServerIdNotFound => 400,
        Code::TooManyBackendServers => 400,
        Code::BackendServersMalformed => 400,
        Code::WeightMalformed => 400,
        Code::LockNotFound => 404,
        Code::ClockNotManual => 403,
        Code::InvalidActionNotFound => 404,
        Code::MalformedRequest => 400,
        Code::IncompleteSignature => 400,
        Code::SignatureDoesNotMatch => 400,
        Code::AccessKeyNotFound => 404,
        Code::TimestampFormat => 400,
        Code::TimestampExpired => 400,
        Code::SignatureNonceUsed => 400,
        Code::Forbidden => 403,
        Code::RequestTimeout => 408,
        Code::RequestTooLarge => 413,
        Code::ServiceUnavailable => 503,
        Code::InternalError => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_error_status() {
        for code in Code::ALL {
            assert!((400..600).contains(&of(*code)), "{code}");
        }
    }
}
