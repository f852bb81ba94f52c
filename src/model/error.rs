//! Every error code the product returns, with its message.
//!
//! This file is the one place that lists them (the `codes!` table below);
//! their HTTP statuses are listed, in the same order, in
//! [`crate::api::status`]. The DeleteInstance codes and messages are exactly
//! those of its rule table (docs/BEHAVIOUR.md); the
//! supporting actions use the real ECS/VPC/SLB codes where one exists. Codes
//! marked *own* have no ECS counterpart and follow ECS's naming style; they are
//! listed in README.md as well.

use std::fmt;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $message:literal), )*) => {
        /// An error code: its wire string and default message (its HTTP
        /// status is the wire's business: [`crate::api::status`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as it appears on the wire, e.g. `InvalidInstanceId.NotFound`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The message template; `{0}` is replaced by the subject (a
            /// parameter name or an id) where the code has one.
            pub fn template(self) -> &'static str {
                match self { $( Code::$variant => $message, )* }
            }

            /// Looks a code up by its wire string.
            pub fn from_wire(s: &str) -> Option<Code> {
                Self::ALL.iter().copied().find(|c| c.as_str() == s)
            }
        }
    };
}

codes! {
    // ---- DeleteInstance, docs/BEHAVIOUR.md §3 (rows in order) ----
    /// Row 1: a mandatory parameter is absent or empty.
    MissingParameter => ("MissingParameter", "The input parameter \"{0}\" that is mandatory for processing this request is not supplied."),
    /// Row 2 (and every bad parameter value): names the parameter.
    InvalidParameter => ("InvalidParameter", "The input parameter {0} is invalid."),
    /// Row 3: no such instance for this account.
    InstanceNotFound => ("InvalidInstanceId.NotFound", "The specified InstanceId does not exist."),
    /// Row 4: the instance is still being created.
    InstanceInitializing => ("IncorrectInstanceStatus.Initializing", "The specified instance status does not support this operation."),
    /// Row 5: deletion protection is on; `{0}` is the InstanceId.
    DeletionProtection => ("InvalidOperation.DeletionProtection", "The operation is not allowed due to \u{201c}{0}\u{201d} is protected by deletion protection."),
    /// Row 6: an unexpired subscription instance (also RenewInstance on PostPaid).
    ChargeTypeViolation => ("ChargeTypeViolation", "The operation is not permitted due to charge type of the instance."),
    /// Row 7 (and the security-lock refusals of other actions).
    InstanceLockedForSecurity => ("InstanceLockedForSecurity", "The specified operation is denied as your instance is locked for security reasons."),
    /// Row 8 (and the status refusals of other actions).
    IncorrectInstanceStatus => ("IncorrectInstanceStatus", "The current status of the resource does not support this operation."),
    /// Row 9: a route entry points at the instance.
    DependencyRouteEntry => ("DependencyViolation.RouteEntry", "Specified instance is used by route entry."),
    /// Row 10: the instance is a load balancer backend.
    DependencySlb => ("DependencyViolation.SLBConfiguring", "Specified operation is denied as your instance is using by another product."),
    /// Row 11: DryRun passed every check.
    DryRunOperation => ("DryRunOperation", "Request validation has been passed with DryRun flag set."),

    // ---- DeleteInstances, docs/BEHAVIOUR.md §3 ----
    /// More than 100 ids in one DeleteInstances.
    TooManyInstanceIds => ("InvalidParameter.TooManyInstanceIds", "Instance ids cannot be more than 100."),
    /// DeleteInstances DryRun passed.
    DryRunSuccess => ("DRYRUN.SUCCESS", "This request is a dryrun request with successful result."),

    // ---- idempotency, docs/BEHAVIOUR.md §6 ----
    /// Same ClientToken, different request.
    IdempotentParameterMismatch => ("IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request."),

    // ---- supporting ECS actions, docs/BEHAVIOUR.md §4 (real ECS codes) ----
    /// StartInstance (or AttachDisk) on an expired or financially locked instance.
    InstanceExpiredOrInArrears => ("InstanceExpiredOrInArrears", "The specified operation is denied as your prepay instance is expired (prepay mode) or in arrears (afterpay mode)."),
    /// No such disk for this account.
    DiskNotFound => ("InvalidDiskId.NotFound", "The specified disk does not exist."),
    /// No such snapshot for this account.
    SnapshotNotFound => ("InvalidSnapshotId.NotFound", "The specified SnapshotId does not exist."),
    /// The disk's status does not allow the action.
    IncorrectDiskStatus => ("IncorrectDiskStatus", "The current disk status does not support this operation."),
    /// AttachDisk beyond the data disk limit.
    InstanceDiskLimitExceeded => ("InstanceDiskLimitExceeded", "The amount of the disk on instance in question reach its limits."),
    /// DetachDisk on a system disk.
    DiskTypeViolation => ("DiskTypeViolation", "The specified disk is a system disk and cannot support the operation."),
    /// DetachDisk with a disk that is not attached to the named instance.
    DiskNotAttachedToInstance => ("DependencyViolation", "The specified disk has not been attached on the specified instance."),
    /// CreateSnapshot/CreateAutoSnapshot beyond the per-disk snapshot limit.
    SnapshotQuotaExceeded => ("QuotaExceed.Snapshot", "The number of snapshots of the disk has reached the maximum of 256."),
    /// ModifyInstanceAutoReleaseTime: a time that does not parse or is out of range.
    AutoReleaseTimeMalformed => ("InvalidAutoReleaseTime.Malformed", "The specified parameter autoReleaseTime is not valid."),

    // ---- platform actions: VPC and SLB codes ----
    /// DeleteRouteEntry on an unknown route table.
    RouteTableNotFound => ("InvalidRouteTableId.NotFound", "Specified route table does not exist."),
    /// DeleteRouteEntry on an entry that is not there.
    RouteEntryNotFound => ("InvalidRouteEntry.NotFound", "Route entry not exists."),
    /// CreateRouteEntry whose next hop instance does not exist.
    NextHopNotFound => ("InvalidNextHopId.NotFound", "Specified next hop does not exist."),
    /// CreateRouteEntry for a destination already in the table.
    CidrBlockDuplicate => ("InvalidCIDRBlock.Duplicate", "Specified CIDR block is already exists."),
    /// A destination that is not an IPv4 CIDR block.
    CidrBlockMalformed => ("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid."),
    /// *Own*: a route table already holds 200 custom entries.
    RouteEntryQuotaExceeded => ("QuotaExceeded.RouteEntry", "The route table already holds the maximum of 200 custom route entries."),
    /// RemoveBackendServers on an unknown load balancer.
    LoadBalancerNotFound => ("InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist."),
    /// AddBackendServers naming an instance that does not exist.
    BackendServerNotFound => ("ObtainIpFail", "The specified BackendServers is invalid; some of the specified backend servers do not exist or are not running."),
    /// RemoveBackendServers naming an instance that is not a backend.
    ServerIdNotFound => ("InvalidServerId.NotFound", "The specified server is not found."),
    /// More than 20 servers in one call, or 200 on one load balancer.
    TooManyBackendServers => ("TooManyBackendServers", "The total number of input real servers exceeds max supported number: 20"),
    /// BackendServers is not a JSON array of {ServerId, Weight}.
    BackendServersMalformed => ("BackendServersMalformed", "the specified parameter BackendServers is unavailable."),
    /// A weight outside 0-100.
    WeightMalformed => ("InvalidWeight.Malformed", "A specified weight is not valid."),
    /// *Own*: UnlockInstance for a lock the instance does not have.
    LockNotFound => ("InvalidLockReason.NotFound", "The specified lock reason is not set on the instance."),
    /// *Own*: AdvanceClock on a ledger whose clock is not manual.
    ClockNotManual => ("InvalidOperation.ClockNotManual", "AdvanceClock is only allowed when the ledger clock is manual."),

    // ---- request level (exec lines and HTTP) ----
    /// Unknown Action.
    InvalidActionNotFound => ("InvalidAction.NotFound", "Specified api is not found, please check your url and method."),
    /// *Own*: an exec line that is not a JSON object of scalar values.
    MalformedRequest => ("InvalidRequest.Malformed", "The request is not a JSON object of parameter names to string, number or boolean values."),
    /// HTTP: signature parameters or headers are missing.
    IncompleteSignature => ("IncompleteSignature", "The request signature does not conform to Aliyun standards."),
    /// HTTP: the signature does not verify.
    SignatureDoesNotMatch => ("SignatureDoesNotMatch", "Specified signature is not matched with our calculation."),
    /// HTTP: unknown AccessKeyId.
    AccessKeyNotFound => ("InvalidAccessKeyId.NotFound", "Specified access key is not found."),
    /// HTTP: a timestamp that is not ISO 8601 UTC.
    TimestampFormat => ("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."),
    /// HTTP: timestamp too far from server time.
    TimestampExpired => ("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."),
    /// HTTP: a signature nonce seen before.
    SignatureNonceUsed => ("SignatureNonceUsed", "Specified signature nonce was used already."),
    /// HTTP: a non-admin key called a platform action.
    Forbidden => ("Forbidden", "User not authorized to operate on the specified resource."),
    /// *Own*: HTTP body not sent in time.
    RequestTimeout => ("RequestTimeout", "The request body was not received in time."),
    /// *Own*: HTTP body over the limit.
    RequestTooLarge => ("RequestEntityTooLarge", "The request body is larger than the server accepts."),
    /// *Own*: the ledger stopped after a storage failure and refuses writes.
    ServiceUnavailable => ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
    /// An unexpected internal failure (never a panic).
    InternalError => ("InternalError", "The request processing has failed due to some unknown error, exception or failure."),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: a [`Code`] and the message sent with it.
///
/// ```
/// use ecs_ledger::model::error::{Code, EcsError};
/// let e = EcsError::invalid("InstanceId");
/// assert_eq!(e.code(), Code::InvalidParameter);
/// assert_eq!(e.message(), "The input parameter InstanceId is invalid.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EcsError {
    code: Code,
    message: String,
}

impl EcsError {
    /// The code with its default message (any `{0}` left as is).
    pub fn new(code: Code) -> Self {
        Self {
            code,
            message: code.template().to_owned(),
        }
    }

    /// The code with `{0}` in its template replaced by `subject`.
    pub fn about(code: Code, subject: &str) -> Self {
        Self {
            code,
            message: code.template().replace("{0}", subject),
        }
    }

    /// The code with a message of the caller's choosing.
    pub fn with_message(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `MissingParameter` naming `param`.
    pub fn missing(param: &str) -> Self {
        Self::about(Code::MissingParameter, param)
    }

    /// `InvalidParameter` naming `param`.
    pub fn invalid(param: &str) -> Self {
        Self::about(Code::InvalidParameter, param)
    }

    /// `InvalidParameter` naming `param`, with a sentence saying why.
    pub fn invalid_because(param: &str, why: impl fmt::Display) -> Self {
        let mut e = Self::invalid(param);
        e.message = format!("{} {why}", e.message);
        e
    }

    /// The same error with `suffix` appended to the message (DeleteInstances
    /// uses it to name the instance that failed).
    pub fn suffixed(mut self, suffix: impl fmt::Display) -> Self {
        self.message = format!("{} {suffix}", self.message);
        self
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_looks_like_an_ecs_code() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} listed twice", code);
            assert!(!code.template().is_empty());
            assert_eq!(Code::from_wire(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn deletion_protection_message_names_the_instance() {
        let e = EcsError::about(Code::DeletionProtection, "i-12345678");
        assert_eq!(
            e.message(),
            "The operation is not allowed due to \u{201c}i-12345678\u{201d} is protected by deletion protection."
        );
    }
}
