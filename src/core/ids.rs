//! Where each decision's fresh ids come from.
//!
//! With a seed, the ids of a decision are a function of the seed, the log
//! position it is decided at, and how many decisions were already drawn at
//! that position (a refused request appends nothing, so several can share a
//! position): the same requests on an empty ledger give the same log, byte for
//! byte, however they were batched. Without a seed, fresh randomness: the one
//! place the core is not a function of its inputs, and only when the
//! caller asked for no determinism.

use crate::model::ctx::IdSource;

/// The id counter: seed, and (position, decisions drawn at it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    seed: Option<u64>,
    /// Without a seed: a random key drawn once, standing in for it (fresh
    /// randomness per decision would cost a system call each).
    key: [u8; 32],
    position: u64,
    attempt: u64,
}

impl Ids {
    /// A counter for a log whose head is at `position`.
    pub fn new(seed: Option<u64>, position: u64) -> Self {
        let mut key = [0u8; 32];
        if seed.is_none() {
            key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        Self {
            seed,
            key,
            position,
            attempt: 0,
        }
    }

    /// The id source of the next decision, made at log `position`.
    ///
    /// ```
    /// use ecs_ledger::core::ids::Ids;
    /// let mut a = Ids::new(Some(7), 0);
    /// let mut b = Ids::new(Some(7), 0);
    /// assert_eq!(a.next(0).next_request_id(), b.next(0).next_request_id());
    /// // a second decision at the same position draws other ids
    /// assert_ne!(a.next(0).next_request_id(), Ids::new(Some(7), 0).next(0).next_request_id());
    /// ```
    pub fn next(&mut self, position: u64) -> IdSource {
        if self.position != position {
            self.position = position;
            self.attempt = 0;
        }
        let attempt = self.attempt;
        self.attempt += 1;
        match self.seed {
            Some(seed) => IdSource::seeded(seed, position, attempt),
            None => IdSource::keyed(&self.key, position, attempt),
        }
    }
}
