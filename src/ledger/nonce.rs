//! Signature nonces: a signed request's nonce is accepted once.
//!
//! A nonce is refused for [`REMEMBER_SECS`] after its first use, and while
//! the request it came with could still be accepted (a request may be dated
//! up to [`MAX_SKEW_SECS`] ahead of the server clock): see
//! [`Nonce::expires`].
//! The ledger checks the nonce and stages it in the **same atomic write** as
//! the request's effects, so a replay is refused after a restart exactly when
//! the original request survived it (a nonce is never forgotten while the
//! request it came with is on disk).
//!
//! Stored under the `n` prefix: `n`, expiry (seconds since the epoch, u64 BE),
//! and the first 16 bytes of SHA-256 over the key id and the nonce; in memory
//! a map from digest to expiry. Expired entries are removed in later batches.

use std::collections::{BTreeSet, HashMap};

use crate::log::{Append, EventLog, LogError, keys};
use crate::storage::Storage;

pub use crate::core::nonce::{MAX_SKEW_SECS, Nonce, REMEMBER_SECS};

/// The nonces seen within their window.
#[derive(Debug, Default)]
pub struct Nonces {
    expiry_of: HashMap<[u8; 16], i64>,
    by_expiry: BTreeSet<(i64, [u8; 16])>,
}

impl Nonces {
    /// Loads the stored nonces.
    pub fn load<S: Storage>(log: &EventLog<S>) -> Result<Self, LogError> {
        let mut nonces = Self::default();
        for item in log.storage().scan_prefix(&[keys::NONCE]) {
            let (k, _) = item?;
            let (expires, digest) = keys::nonce_entry(k.as_ref())
                .ok_or_else(|| LogError::Inconsistent("a malformed nonce key".into()))?;
            nonces.expiry_of.insert(digest, expires);
            nonces.by_expiry.insert((expires, digest));
        }
        Ok(nonces)
    }

    /// Accepts `nonce` (staging it in `append`) unless it was seen within its
    /// window; first drops, and stages the removal of, every nonce that
    /// expired before `nonce` was seen. On a `shared` store (several
    /// processes appending) the nonce is also staged under its digest
    /// (`N` key), where the other processes look it up ([`Nonces::learn`]).
    pub fn admit(&mut self, nonce: &Nonce, append: &mut Append, shared: bool) -> bool {
        while let Some(&(expires, digest)) = self.by_expiry.first() {
            if expires > nonce.seen() {
                break;
            }
            self.by_expiry.remove(&(expires, digest));
            self.expiry_of.remove(&digest);
            append.remove(keys::nonce(expires, &digest));
            if shared {
                append.remove(keys::nonce_digest(&digest));
            }
        }
        if self.expiry_of.contains_key(&nonce.digest()) {
            return false;
        }
        let expires = nonce.expires();
        self.expiry_of.insert(nonce.digest(), expires);
        self.by_expiry.insert((expires, nonce.digest()));
        append.put(keys::nonce(expires, &nonce.digest()), Vec::new());
        if shared {
            append.put(
                keys::nonce_digest(&nonce.digest()),
                (expires.max(0) as u64).to_be_bytes().to_vec(),
            );
        }
        true
    }

    /// True when the nonce with this digest is remembered here.
    pub fn knows(&self, digest: &[u8; 16]) -> bool {
        self.expiry_of.contains_key(digest)
    }

    /// Remembers a nonce another process admitted (read from its `N` key
    /// under the append lock), so that it is refused here too.
    pub fn learn(&mut self, digest: [u8; 16], expires: i64) {
        if let Some(old) = self.expiry_of.insert(digest, expires) {
            self.by_expiry.remove(&(old, digest));
        }
        self.by_expiry.insert((expires, digest));
    }

    /// Number of nonces remembered.
    pub fn len(&self) -> usize {
        self.expiry_of.len()
    }

    /// True when none is remembered.
    pub fn is_empty(&self) -> bool {
        self.expiry_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::Timestamp;
    use crate::storage::memory::MemoryStorage;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix(secs).unwrap()
    }

    #[test]
    fn a_nonce_is_refused_within_its_window_and_forgotten_after_it() {
        let log = EventLog::open(MemoryStorage::new()).unwrap();
        let mut append = log.begin();
        let mut n = Nonces::default();
        assert!(n.admit(&Nonce::new("k", "n1", at(1000)), &mut append, false));
        assert!(!n.admit(&Nonce::new("k", "n1", at(1001)), &mut append, false));
        assert!(n.admit(&Nonce::new("other", "n1", at(1001)), &mut append, false));
        assert!(!n.admit(
            &Nonce::new("k", "n1", at(1000 + REMEMBER_SECS - 1)),
            &mut append,
            false
        ));
        assert!(n.admit(
            &Nonce::new("k", "n1", at(1000 + REMEMBER_SECS)),
            &mut append,
            false
        ));
    }

    /// A request dated ahead of the server clock stays acceptable until 15
    /// minutes after its date: its nonce is refused that long.
    #[test]
    fn a_nonce_dated_ahead_is_refused_until_its_request_expires() {
        let log = EventLog::open(MemoryStorage::new()).unwrap();
        let mut append = log.begin();
        let mut n = Nonces::default();
        let ahead = Nonce::new("k", "n1", at(1000)).signed_at(at(1000 + MAX_SKEW_SECS));
        assert!(n.admit(&ahead, &mut append, false));
        let later = 1000 + MAX_SKEW_SECS + REMEMBER_SECS;
        assert!(!n.admit(&Nonce::new("k", "n1", at(later - 1)), &mut append, false));
        assert!(n.admit(&Nonce::new("k", "n1", at(later)), &mut append, false));
    }

    #[test]
    fn stored_nonces_are_remembered_after_a_reopen() {
        let storage = MemoryStorage::new();
        let mut log = EventLog::open(storage.clone()).unwrap();
        let mut append = log.begin();
        let mut n = Nonces::default();
        assert!(n.admit(&Nonce::new("k", "n1", at(1000)), &mut append, false));
        log.commit(append).unwrap();
        let log = EventLog::open(storage).unwrap();
        let mut again = Nonces::load(&log).unwrap();
        assert_eq!(again.len(), 1);
        let mut append = log.begin();
        assert!(!again.admit(&Nonce::new("k", "n1", at(1500)), &mut append, false));
    }
}
