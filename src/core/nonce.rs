//! A signature nonce as a request carries it: a digest of the access key
//! id and the nonce, and when it was first seen. The ledger remembers nonces
//! ([`crate::ledger::nonce::Nonces`]) in the same atomic write as the
//! request's effects.

use sha2::{Digest, Sha256};

use crate::model::time::Timestamp;

/// Largest allowed difference between a request's timestamp and the server clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// How long a nonce is refused after its first use (at least: see
/// [`Nonce::expires`]).
pub const REMEMBER_SECS: i64 = MAX_SKEW_SECS;

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
    signed: i64,
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
            signed: seen.unix(),
        }
    }

    /// The same nonce, from a request whose signature is dated `signed` (its
    /// `Timestamp` or `x-acs-date`).
    pub fn signed_at(self, signed: Timestamp) -> Self {
        Self {
            signed: signed.unix(),
            ..self
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

    /// Seconds since the epoch until which it is refused: 15 minutes after
    /// its first use, or after the request's own date when that is later. A
    /// request dated up to 15 minutes ahead of the server clock is accepted
    /// until 15 minutes after its date: its nonce is remembered that long,
    /// or it could be replayed once forgotten.
    ///
    /// ```
    /// use ecs_ledger::core::nonce::{Nonce, REMEMBER_SECS};
    /// use ecs_ledger::model::time::Timestamp;
    /// let now = Timestamp::from_unix(1_767_225_600).unwrap();
    /// let ahead = Timestamp::from_unix(1_767_225_600 + 600).unwrap();
    /// assert_eq!(Nonce::new("k", "n", now).expires(), now.unix() + REMEMBER_SECS);
    /// assert_eq!(Nonce::new("k", "n", now).signed_at(ahead).expires(), ahead.unix() + REMEMBER_SECS);
    /// ```
    pub fn expires(&self) -> i64 {
        self.seen.max(self.signed).saturating_add(REMEMBER_SECS)
    }
}
