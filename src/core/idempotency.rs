//! `ClientToken` idempotency (docs/BEHAVIOUR.md §6).
//!
//! The same token, account, action and parameters within 24 hours of ledger
//! time returns the original response (same RequestId) and appends nothing;
//! the same token with another action or other parameters is
//! `IdempotentParameterMismatch`. Records are written in the same batch as the
//! command's events, so they survive restarts exactly when the events do.
//! Only successful commands are remembered: a refused request may be retried.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::id::RequestId;
use crate::model::limits;
use crate::model::params::Params;
use crate::model::time::Timestamp;

/// Parameters that describe the transport, not the request: left out of the
/// fingerprint so a retry through another path still matches.
const NOT_FINGERPRINTED: &[&str] = &[
    "ClientToken",
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
];

/// What is remembered of a successful request with a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// The action.
    pub action: String,
    /// SHA-256 of the action's parameters.
    pub fingerprint: [u8; 32],
    /// The original RequestId.
    pub request_id: RequestId,
    /// Ledger time of the original request.
    pub time: Timestamp,
    /// The original response body (without RequestId), as JSON text.
    pub body: String,
}

impl Remembered {
    /// Still within the 24 h window at `now`.
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        now.unix() - self.time.unix() < limits::CLIENT_TOKEN_TTL_SECS
    }

    /// Same action and parameters.
    pub fn matches(&self, action: &str, fingerprint: &[u8; 32]) -> bool {
        self.action == action && &self.fingerprint == fingerprint
    }
}

/// SHA-256 over the parameters that define the request.
pub fn fingerprint(params: &Params) -> [u8; 32] {
    let mut h = Sha256::new();
    for (k, v) in params.iter() {
        if NOT_FINGERPRINTED.contains(&k) {
            continue;
        }
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_parameters_do_not_change_the_fingerprint() {
        let a = Params::from_pairs([("InstanceId", "i-12345678"), ("ClientToken", "t1")]);
        let b = Params::from_pairs([
            ("InstanceId", "i-12345678"),
            ("Signature", "xyz"),
            ("Timestamp", "2026-01-01T00:00:00Z"),
        ]);
        let c = Params::from_pairs([("InstanceId", "i-87654321")]);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn name_value_boundaries_are_unambiguous() {
        let a = Params::from_pairs([("ab", "c")]);
        let b = Params::from_pairs([("a", "bc")]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
