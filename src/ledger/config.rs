//! How a ledger is opened: durability, ids, time, limits.

use crate::core::machine::{ClockMode, Settings};
use crate::ledger::LedgerError;
use crate::model::ctx::Durations;
use crate::model::time::Timestamp;
use crate::storage::sled_store::DEFAULT_CACHE_BYTES;

/// When a command's records are made durable, before its caller is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Flushed (sled `flush`, `sync_file_range`) before answering: survives
    /// kill -9 of the process, not power loss. The default.
    #[default]
    Flush,
    /// Flushed and `fdatasync`ed before answering: survives power loss.
    Sync,
    /// Not flushed before answering (sled flushes in the background every
    /// 500 ms): for bulk loads and tests; a crash may lose the last writes.
    None,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flush" => Ok(Self::Flush),
            "sync" => Ok(Self::Sync),
            "none" => Ok(Self::None),
            _ => Err(format!("unknown durability {s:?}: use flush, sync or none")),
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flush => "flush",
            Self::Sync => "sync",
            Self::None => "none",
        })
    }
}

/// How a ledger is opened.
#[derive(Debug, Clone)]
pub struct Config {
    /// Durability of each acknowledged command.
    pub durability: Durability,
    /// With a seed, every generated id is a function of the seed and the log position.
    pub seed: Option<u64>,
    /// Transition durations.
    pub durations: Durations,
    /// Clock source.
    pub clock: ClockMode,
    /// sled page cache, bytes (default 64 MiB).
    pub sled_cache_bytes: u64,
    /// Most requests in one group commit.
    pub max_batch: usize,
    /// Fewest records between two state checkpoints (see
    /// [`crate::ledger::checkpoint`]; at least as many as there are live records).
    pub checkpoint_events: u64,
    /// Where a fresh ledger's clock starts (default: the system time for a
    /// manual clock). Simulations set it so nothing reads the wall clock.
    pub start_clock: Option<Timestamp>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            durability: Durability::Flush,
            seed: None,
            durations: Durations::default(),
            clock: ClockMode::System,
            sled_cache_bytes: DEFAULT_CACHE_BYTES,
            max_batch: 512,
            checkpoint_events: crate::ledger::checkpoint::EVENTS_MIN,
            start_clock: None,
        }
    }
}

impl Config {
    /// The default config with a seed (deterministic ids).
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed: Some(seed),
            ..Self::default()
        }
    }

    /// What the state machine needs of it.
    pub fn settings(&self) -> Settings {
        Settings {
            durations: self.durations,
            clock: self.clock,
            seed: self.seed,
        }
    }

    /// Checks the values a ledger cannot run with: transition durations over
    /// [`crate::model::limits::DURATION_MAX_SECS`], a sled cache under 1 MiB,
    /// an empty group commit.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let d = self.durations;
        let max = crate::model::limits::DURATION_MAX_SECS;
        if [d.create_secs, d.start_secs, d.stop_secs]
            .iter()
            .any(|s| *s > max)
        {
            return Err(LedgerError::Config(format!(
                "transition durations must be at most {max} seconds"
            )));
        }
        if self.sled_cache_bytes < 1024 * 1024 {
            return Err(LedgerError::Config(
                "the sled cache must be at least 1 MiB".into(),
            ));
        }
        if self.max_batch == 0 {
            return Err(LedgerError::Config("max_batch must be at least 1".into()));
        }
        Ok(())
    }
}
