//! A signature nonce as a request carries it: a digest of the access key
//! id and the nonce, and when it was first seen. The ledger remembers nonces
//! ([`crate::ledger::nonce::Nonces`]) in the same atomic write as the
//! request's effects.

use sha2::{Digest, Sha256};

use crate::model::time::Timestamp;

/// Largest allowed difference between a request's timestamp and the server clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// How long a nonce is refused after its first use.
pub const REMEMBER_SECS: i64 = 2 * MAX_SKEW_SECS;

/// A signature nonce, as the ledger remembers it.
///
/// ```
/// use ecs_ledger::core::nonce::Nonce;
/// use ecs_ledger::model::time::Timestamp;
/// let now = Timestamp::from_unix(1_767_225_600).unwrap();
/// let a = Nonce::new("alice-key", "n-1", now);
/// assert_eq!(a, Nonce::new("alice-key", "n-1", now));
/// assert_ne!(a.digest(), Nonce::new("bob-key", "n-1", now).digest(), "nonces are per key");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nonce {
    digest: [u8; 16],
    seen: i64,
}

impl Nonce {
    /// The nonce `value` sent with access key `scope`, first seen at server time `seen`.
    pub fn new(scope: &str, value: &str, seen: Timestamp) -> Self {
        let mut h = Sha256::new();
        h.update(b"ecs-ledger/nonce/v1");
        h.update((scope.len() as u64).to_le_bytes());
        h.update(scope.as_bytes());
        h.update(value.as_bytes());
        let full: [u8; 32] = h.finalize().into();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        Self {
            digest,
            seen: seen.unix(),
        }
    }

    /// What identifies it: a digest of the key id and the nonce.
    pub fn digest(&self) -> [u8; 16] {
        self.digest
    }

    /// When it was first seen, seconds since the epoch.
    pub fn seen(&self) -> i64 {
        self.seen
    }

    /// Seconds since the epoch until which it is refused.
    pub fn expires(&self) -> i64 {
        self.seen.saturating_add(REMEMBER_SECS)
    }
}
