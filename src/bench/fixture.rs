//! Ledgers of a known shape for the benchmarks.
//!
//! An instance of the fixture has a system disk and a data disk
//! (`DeleteAutoSnapshot` true) and three snapshots (two automatic on the data
//! disk, one manual on the system disk): seven events. Releasing it appends
//! six more. `fill_log` releases every other instance, so a log of n events
//! holds n/10 instances created and n/20 still alive.

use std::path::{Path, PathBuf};

use crate::ledger::inline::Inline;
use crate::ledger::{ClockMode, Config, Durability, LedgerError, Request};
use crate::model::ctx::Durations;
use crate::model::event::Event;
use crate::model::time::Timestamp;
use crate::storage::Storage;
use crate::storage::sled_store::SledStorage;

/// Requests per group commit while filling.
pub const FILL_BATCH: usize = 2000;

/// A scratch directory removed when dropped.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory under the system temp dir (or `base`).
    pub fn new(base: Option<&Path>, name: &str) -> std::io::Result<Self> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = base
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let dir = root.join(format!(
            "ecs-ledger-bench-{}-{name}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The config used to fill: no flush per batch, instant transitions, a
/// manual clock from 2026-01-01.
pub fn fill_config(durability: Durability) -> Config {
    Config {
        seed: Some(1),
        durability,
        clock: ClockMode::Manual,
        durations: Durations::INSTANT,
        start_clock: Timestamp::from_unix(1_767_225_600),
        ..Config::default()
    }
}

/// One fixture instance's ids.
#[derive(Debug, Clone)]
pub struct Made {
    /// The instance.
    pub instance: String,
    /// Its system disk.
    pub system: String,
    /// Its data disk.
    pub data: String,
}

/// Creates `n` fixture instances with their snapshots; returns their ids.
pub fn fill<S: Storage + Clone>(
    ledger: &mut Inline<S>,
    n: usize,
) -> Result<Vec<Made>, LedgerError> {
    let mut made = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 {
        let k = left.min(FILL_BATCH / 4);
        left -= k;
        let creates = (0..k)
            .map(|_| {
                Request::new(
                    "CreateInstance",
                    [
                        ("DataDisk.1.Size", "40"),
                        ("DataDisk.1.DeleteAutoSnapshot", "true"),
                    ],
                )
            })
            .collect();
        let mut batch = Vec::with_capacity(k);
        for reply in ledger.execute_batch(creates)? {
            let mut ids = reply.events().iter().filter_map(|r| match &r.event {
                Event::InstanceCreated(e) => Some(e.instance_id.to_string()),
                Event::DiskCreated(e) => Some(e.disk_id.to_string()),
                _ => None,
            });
            if let (Some(instance), Some(system), Some(data)) = (ids.next(), ids.next(), ids.next())
            {
                batch.push(Made {
                    instance,
                    system,
                    data,
                });
            }
        }
        let snapshots = batch
            .iter()
            .flat_map(|m| {
                [
                    Request::new("CreateAutoSnapshot", [("DiskId", m.data.as_str())]),
                    Request::new("CreateAutoSnapshot", [("DiskId", m.data.as_str())]),
                    Request::new("CreateSnapshot", [("DiskId", m.system.as_str())]),
                ]
            })
            .collect();
        ledger.execute_batch(snapshots)?;
        made.extend(batch);
    }
    Ok(made)
}

/// Fills a ledger to about `events` events: fixture instances, every other
/// one released. Returns the instances still alive.
pub fn fill_log<S: Storage + Clone>(
    ledger: &mut Inline<S>,
    events: u64,
) -> Result<Vec<Made>, LedgerError> {
    let mut alive = Vec::new();
    while ledger.head().seq + 20 <= events {
        let want = (((events - ledger.head().seq) / 10) as usize).clamp(2, FILL_BATCH);
        let made = fill(ledger, want)?;
        let (release, keep): (Vec<_>, Vec<_>) =
            made.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        for chunk in release.chunks(FILL_BATCH) {
            let deletes = chunk
                .iter()
                .map(|(_, m)| Request::new("DeleteInstance", [("InstanceId", m.instance.as_str())]))
                .collect();
            ledger.execute_batch(deletes)?;
        }
        alive.extend(keep.into_iter().map(|(_, m)| m));
    }
    Ok(alive)
}

/// Waits until every file under `dir` is on disk (fsync), so the kernel is
/// not still writing a fresh fixture back while the next figure is measured.
pub fn settle(dir: &Path) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            settle(&entry.path())?;
        } else {
            std::fs::File::open(entry.path())
                .and_then(|f| f.sync_all())
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// A sled ledger directory filled with `instances` fixture instances (none
/// released); returns the directory and the instances.
pub fn sled_with_instances(
    base: Option<&Path>,
    instances: usize,
) -> Result<(Scratch, Vec<Made>), String> {
    sled_filled(base, "instances", |ledger| fill(ledger, instances))
}

/// A sled ledger directory with a log of about `events` events; returns the
/// directory and the instances still alive.
pub fn sled_with_log(base: Option<&Path>, events: u64) -> Result<(Scratch, Vec<Made>), String> {
    sled_filled(base, "log", |ledger| fill_log(ledger, events))
}

/// A fresh sled ledger directory filled by `how` (durability none), closed,
/// flushed and settled on disk.
fn sled_filled(
    base: Option<&Path>,
    name: &str,
    how: impl FnOnce(&mut Inline<SledStorage>) -> Result<Vec<Made>, LedgerError>,
) -> Result<(Scratch, Vec<Made>), String> {
    let dir = Scratch::new(base, name).map_err(|e| e.to_string())?;
    let storage =
        SledStorage::open(&dir.0, super::measure::CACHE_BYTES).map_err(|e| e.to_string())?;
    let mut ledger =
        Inline::open(storage.clone(), fill_config(Durability::None)).map_err(|e| e.to_string())?;
    let made = how(&mut ledger).map_err(|e| e.to_string())?;
    ledger.close().map_err(|e| e.to_string())?;
    storage.flush().map_err(|e| e.to_string())?;
    drop(storage);
    settle(&dir.0)?;
    Ok((dir, made))
}
