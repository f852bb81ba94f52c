//! `checkpoint`: a signed checkpoint of the log; and the publisher that
//! `serve --checkpoint-key KEY --checkpoint-dir DIR` runs on a schedule.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use ecs_ledger::audit::checkpoint::Checkpoint;
use ecs_ledger::audit::{keys, tree_head};
use ecs_ledger::ledger::Ledger;
use ecs_ledger::log::EventLog;
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::storage::Storage;
use ed25519_dalek::SigningKey;

use super::audit_cli::{emit, write_replacing};
use super::{Place, open_log};

pub fn run(place: &Place, key: &Path, out: Option<&Path>) -> Result<ExitCode, String> {
    let key = keys::read_private(key).map_err(|e| e.to_string())?;
    let log = open_log(place)?;
    let checkpoint = sign(&log, &key)?;
    emit(&checkpoint.to_json(), out)?;
    eprintln!(
        "checkpoint: {} records, root {}",
        checkpoint.tree_size,
        hex::encode(checkpoint.root)
    );
    Ok(ExitCode::SUCCESS)
}

/// Signs the log's tree head as it is now, at the stored ledger clock.
fn sign<S: Storage>(log: &EventLog<S>, key: &SigningKey) -> Result<Checkpoint, String> {
    let (size, root) = tree_head(log).map_err(|e| e.to_string())?;
    let time = log
        .stored_clock()
        .map_err(|e| e.to_string())?
        .unwrap_or(Timestamp::EPOCH);
    Ok(Checkpoint::sign(size, root, time, key))
}

/// The options of `serve` that publish checkpoints.
#[derive(Debug, clap::Args)]
pub struct PublishOpts {
    /// Sign checkpoints with this private key (from keygen) and publish
    /// them to --checkpoint-dir.
    #[arg(long, value_name = "KEY", requires = "checkpoint_dir")]
    pub checkpoint_key: Option<PathBuf>,
    /// Where to publish: checkpoint-<TreeSize>.json for each new tree size,
    /// and latest.json (replaced whole).
    #[arg(long, value_name = "DIR", requires = "checkpoint_key")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Seconds between two checkpoints (one is also published at start and at shutdown).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub checkpoint_every: u64,
}

/// A running publisher: stopped (with a last checkpoint) by [`Publisher::stop`].
pub struct Publisher {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Publisher {
    /// Starts publishing for `ledger`, when the options ask for it.
    pub fn start<S: Storage + Clone>(
        ledger: &Arc<Ledger<S>>,
        opts: &PublishOpts,
    ) -> Result<Option<Self>, String> {
        let (Some(key), Some(dir)) = (&opts.checkpoint_key, &opts.checkpoint_dir) else {
            return Ok(None);
        };
        let key = keys::read_private(key).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let storage = ledger.storage().clone();
        let dir = dir.clone();
        let every = Duration::from_secs(opts.checkpoint_every);
        let (stop, stopped) = mpsc::channel::<()>();
        let mut last = None;
        publish(&storage, &key, &dir, &mut last)?;
        let thread = std::thread::Builder::new()
            .name("ecs-ledger-checkpoints".into())
            .spawn(move || {
                loop {
                    let done =
                        !matches!(stopped.recv_timeout(every), Err(RecvTimeoutError::Timeout));
                    if let Err(e) = publish(&storage, &key, &dir, &mut last) {
                        tracing::error!(error = %e, "cannot publish a checkpoint");
                    }
                    if done {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot start the checkpoint publisher: {e}"))?;
        Ok(Some(Self { stop, thread }))
    }

    /// Publishes a last checkpoint and stops.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// Publishes a checkpoint of what `storage` holds, unless the tree has not
/// grown since `last`.
fn publish<S: Storage + Clone>(
    storage: &S,
    key: &SigningKey,
    dir: &Path,
    last: &mut Option<u64>,
) -> Result<(), String> {
    let log = EventLog::inspect(storage.clone())
        .map_err(|e| e.to_string())?
        .log;
    if *last == Some(log.head().seq) {
        return Ok(());
    }
    let checkpoint = sign(&log, key)?;
    let text = checkpoint.to_json();
    let named = dir.join(format!("checkpoint-{}.json", checkpoint.tree_size));
    write_replacing(&named, text.as_bytes())?;
    write_replacing(&dir.join("latest.json"), text.as_bytes())?;
    tracing::info!(size = checkpoint.tree_size, "checkpoint published");
    *last = Some(checkpoint.tree_size);
    Ok(())
}
