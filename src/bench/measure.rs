//! The measurements, each with the raw sled baseline it is compared to.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bincode::Options;
use serde::Serialize;

use super::fixture::{Made, Scratch};
use crate::ledger::{Config, Durability, Ledger, Request};
use crate::log::{EventLog, keys, record};
use crate::replay::{Until, replay as replay_log};
use crate::storage::Storage;
use crate::storage::sled_store::SledStorage;

/// sled page cache used by every measurement (ledger and baseline alike).
pub const CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The figure.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// The baseline it is compared to, if any.
    pub baseline: Option<String>,
    /// The baseline's value, same unit.
    pub baseline_value: Option<f64>,
    /// value / baseline (or the stated comparison).
    pub ratio: Option<f64>,
    /// The target, as text.
    pub target: String,
    /// Whether the target is met.
    pub met: Option<bool>,
}

impl Figure {
    fn plain(name: impl Into<String>, value: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            baseline: None,
            baseline_value: None,
            ratio: None,
            target: String::new(),
            met: None,
        }
    }
}

/// Throughput of DeleteInstance, end to end, and what each command wrote.
#[derive(Debug, Clone, Serialize)]
pub struct CommandRun {
    /// Commands per second.
    pub per_sec: f64,
    /// Storage keys written per command (events, tag index, inventory, metadata).
    pub keys_per_command: f64,
    /// Bytes written per command.
    pub bytes_per_command: f64,
    /// Requests per group commit.
    pub per_batch: f64,
    /// The batches the ledger wrote, to write again raw for the baseline.
    #[serde(skip)]
    pub batches: Vec<crate::storage::Batch>,
    /// The batches of the untimed warm-up, written untimed before the baseline too.
    #[serde(skip)]
    pub warmup_batches: Vec<crate::storage::Batch>,
}

/// Releases `instances` (each in its own request) with `callers` threads,
/// after releasing `warmup` instances untimed on the same open ledger (a
/// freshly opened sled database starts with a cold page cache).
pub fn command(
    dir: &Path,
    warmup: &[Made],
    instances: &[Made],
    durability: Durability,
    callers: usize,
) -> Result<CommandRun, String> {
    let storage = super::recording::Recording::new(
        SledStorage::open(dir, CACHE_BYTES).map_err(|e| e.to_string())?,
    );
    let config = Config {
        durability,
        sled_cache_bytes: CACHE_BYTES,
        ..Config::default()
    };
    let ledger =
        Arc::new(Ledger::with_storage(storage.clone(), config).map_err(|e| e.to_string())?);
    release(&ledger, warmup, 1)?;
    let warm_batches: Vec<crate::storage::Batch> = storage
        .take()
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect();
    let before = ledger.stats();
    let elapsed = release(&ledger, instances, callers)?.as_secs_f64();
    let after = ledger.stats();
    ledger.close().map_err(|e| e.to_string())?;
    let n = instances.len() as f64;
    Ok(CommandRun {
        per_sec: n / elapsed,
        keys_per_command: (after.keys - before.keys) as f64 / n,
        bytes_per_command: (after.bytes - before.bytes) as f64 / n,
        per_batch: n / ((after.batches - before.batches).max(1) as f64),
        batches: storage
            .take()
            .into_iter()
            .filter(|b| !b.is_empty())
            .collect(),
        warmup_batches: warm_batches,
    })
}

/// Releases each of `instances` with its own DeleteInstance request, from
/// `callers` threads at once; returns the wall time. Every release must
/// succeed.
pub fn release<S: Storage + Clone>(
    ledger: &Arc<Ledger<S>>,
    instances: &[Made],
    callers: usize,
) -> Result<Duration, String> {
    let started = Instant::now();
    std::thread::scope(|s| {
        let per_caller = instances.len().div_ceil(callers.max(1)).max(1);
        let handles: Vec<_> = instances
            .chunks(per_caller)
            .map(|chunk| {
                let ledger = ledger.clone();
                s.spawn(move || -> Result<(), String> {
                    for m in chunk {
                        let reply = ledger
                            .execute(Request::new(
                                "DeleteInstance",
                                [("InstanceId", m.instance.as_str())],
                            ))
                            .map_err(|e| e.to_string())?;
                        if let Some(e) = reply.error() {
                            return Err(format!("{}: {e}", m.instance));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| "a caller panicked".to_owned())?)
    })?;
    Ok(started.elapsed())
}

/// Raw sled: the very batches a command run wrote, applied to `dir` (a copy
/// of the database the run started from), made durable like the ledger's
/// after every `group` batches; batches per second.
pub fn replay_batches(
    dir: &Path,
    warmup: &[crate::storage::Batch],
    batches: &[crate::storage::Batch],
    durability: Durability,
    group: usize,
) -> Result<f64, String> {
    let db = SledStorage::open(dir, CACHE_BYTES).map_err(|e| e.to_string())?;
    for batch in warmup {
        db.apply(batch).map_err(|e| e.to_string())?;
        durable(&db, durability)?;
    }
    let started = Instant::now();
    for chunk in batches.chunks(group.max(1)) {
        for batch in chunk {
            db.apply(batch).map_err(|e| e.to_string())?;
        }
        durable(&db, durability)?;
    }
    Ok(batches.len() as f64 / started.elapsed().as_secs_f64())
}

/// Copies a directory tree (a sled database) to `to`, and makes the copy
/// durable, so the kernel is not still writing it back while the next
/// measurement runs.
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    super::fixture::settle(to)
}

fn durable(db: &SledStorage, durability: Durability) -> Result<(), String> {
    match durability {
        Durability::Flush => db.flush(),
        Durability::Sync => db.sync(),
        Durability::None => Ok(()),
    }
    .map_err(|e| e.to_string())
}

/// Raw sled: `batches` apply_batch calls of `keys` keys of `bytes` bytes in
/// all, each made durable like the ledger's; batches per second.
pub fn apply_batch(
    base: Option<&Path>,
    keys: usize,
    bytes: usize,
    batches: usize,
    durability: Durability,
) -> Result<f64, String> {
    let dir = Scratch::new(base, "raw-batch").map_err(|e| e.to_string())?;
    let db = SledStorage::open(&dir.0, CACHE_BYTES).map_err(|e| e.to_string())?;
    let value = vec![7u8; (bytes / keys.max(1)).saturating_sub(17).max(1)];
    let started = Instant::now();
    for b in 0..batches {
        let mut batch = crate::storage::Batch::new();
        for k in 0..keys {
            let mut key = vec![b'x'];
            key.extend_from_slice(
                &((b * keys + k) as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .to_be_bytes(),
            );
            key.extend_from_slice(&(b as u64).to_be_bytes());
            batch.put(key, value.clone());
        }
        db.apply(&batch).map_err(|e| e.to_string())?;
        durable(&db, durability)?;
    }
    Ok(batches as f64 / started.elapsed().as_secs_f64())
}

/// Raw sled: `n` single inserts of `bytes` bytes; inserts per second.
pub fn insert(base: Option<&Path>, n: usize, bytes: usize) -> Result<f64, String> {
    let dir = Scratch::new(base, "raw-insert").map_err(|e| e.to_string())?;
    let db = sled::Config::new()
        .path(&dir.0)
        .cache_capacity(CACHE_BYTES)
        .open()
        .map_err(|e| e.to_string())?;
    let value = vec![7u8; bytes];
    let started = Instant::now();
    for i in 0..n as u64 {
        db.insert(
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes(),
            value.as_slice(),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Full replay of the log in `dir` (decode, checksum, seq check, fold) and,
/// on the same open database, the raw baseline: sled iteration over the same
/// records plus bincode decode of each payload (no checksum, no fold). Both
/// warmed the same way, alternated, best of three. Returns (replay events/s,
/// raw records/s, events).
pub fn replay(dir: &Path) -> Result<(f64, f64, u64), String> {
    let storage = SledStorage::open(dir, CACHE_BYTES).map_err(|e| e.to_string())?;
    let log = EventLog::open(storage.clone()).map_err(|e| e.to_string())?;
    let raw_pass = || -> Result<f64, String> {
        let started = Instant::now();
        let n = iterate_and_decode(&storage)?;
        Ok(n as f64 / started.elapsed().as_secs_f64())
    };
    let replay_pass = || -> Result<(f64, u64), String> {
        let started = Instant::now();
        let events = replay_once(&log)?;
        Ok((events as f64 / started.elapsed().as_secs_f64(), events))
    };
    raw_pass()?; // warm sled's page cache
    let (mut best_replay, mut best_raw, mut events) = (0f64, 0f64, 0);
    for _ in 0..3 {
        let (r, n) = replay_pass()?;
        best_replay = best_replay.max(r);
        events = n;
        best_raw = best_raw.max(raw_pass()?);
    }
    Ok((best_replay, best_raw, events))
}

/// One full replay of `log` (decode, checksum, seq check, fold to the
/// state at the end); returns the events replayed.
pub fn replay_once<S: Storage>(log: &EventLog<S>) -> Result<u64, String> {
    let point = replay_log(log, Until::End, |_| {}).map_err(|e| e.to_string())?;
    std::hint::black_box(&point.state);
    Ok(point.seq)
}

/// The raw baseline of a replay: sled iteration over every chunk, its
/// decompression, and the bincode decode of each record's payload into its
/// stored form (no checksum, no chain, no conversion, no fold); returns the
/// records read.
pub fn iterate_and_decode(storage: &SledStorage) -> Result<u64, String> {
    use crate::log::chunk;
    let mut n = 0u64;
    for item in storage.db().scan_prefix([keys::LOG]) {
        let (k, v) = item.map_err(|e| e.to_string())?;
        let first = keys::chunk_seq(&k).unwrap_or(0);
        let header = chunk::header(&v, first).map_err(|e| e.to_string())?;
        let body = chunk::body(&v, header).map_err(|e| e.to_string())?;
        let mut rest = body.as_slice();
        while let Some(len) = record::stored_len(rest) {
            let payload = &rest[5..len - 36];
            let r: crate::log::schema::RecordV2 = record::codec_v2()
                .deserialize(payload)
                .map_err(|e| e.to_string())?;
            std::hint::black_box(&r);
            n += 1;
            rest = &rest[len..];
        }
    }
    Ok(n)
}

/// The shape of what one DeleteInstance of a fixture instance writes:
/// (storage keys, bytes), measured on a small scratch ledger. The raw
/// baselines write batches of this shape.
pub fn release_shape(base: Option<&Path>) -> Result<(usize, usize), String> {
    let dir = Scratch::new(base, "shape").map_err(|e| e.to_string())?;
    let storage = super::recording::Recording::new(
        SledStorage::open(&dir.0, CACHE_BYTES).map_err(|e| e.to_string())?,
    );
    let mut ledger = crate::ledger::inline::Inline::open(
        storage.clone(),
        super::fixture::fill_config(Durability::None),
    )
    .map_err(|e| e.to_string())?;
    let made = super::fixture::fill(&mut ledger, 1).map_err(|e| e.to_string())?;
    let m = made.first().ok_or("the fixture made no instance")?;
    storage.take();
    let reply = ledger
        .execute(Request::new(
            "DeleteInstance",
            [("InstanceId", m.instance.as_str())],
        ))
        .map_err(|e| e.to_string())?;
    if let Some(e) = reply.error() {
        return Err(e.to_string());
    }
    let batches = storage.take();
    ledger.close().map_err(|e| e.to_string())?;
    let keys = batches.iter().map(|b| b.len()).sum();
    let bytes = batches.iter().map(|b| b.byte_size()).sum();
    Ok((keys, bytes))
}

/// Peak RSS (KiB) of this process after replaying the log in `dir` once
/// with a sled page cache of `cache_bytes`.
pub fn replay_rss(dir: &Path, cache_bytes: u64) -> Result<u64, String> {
    let storage = SledStorage::open(dir, cache_bytes).map_err(|e| e.to_string())?;
    let log = EventLog::open(storage).map_err(|e| e.to_string())?;
    let point = replay_log(&log, Until::End, |_| {}).map_err(|e| e.to_string())?;
    std::hint::black_box(&point.state);
    Ok(peak_rss_kib())
}

/// Timed rounds of the load measurements; the best counts.
const ROUNDS: usize = 5;

/// Untimed warm-up before the load measurements. Measured here: on a
/// just-written database the first second or so of reads runs 5-15x slower
/// (sled settling pages after recovery), however many passes it is given.
pub const LOAD_WARMUP: Duration = Duration::from_secs(3);

/// Loading one instance's read set at one log size.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Loads {
    /// One instance with its 2 disks and 3 snapshots, copied out of the live
    /// records (what a decision reads: nothing comes from storage).
    pub read_set: Duration,
    /// Opening the ledger at this size (checkpoint plus tail), for reference.
    pub open: Duration,
    /// One raw sled `get` of one log chunk.
    pub raw_get: Duration,
}

/// Average times to gather one instance's read set (the instance, its disks,
/// their snapshots) from the live records, each the best of five passes over
/// `samples` instances; and of one raw sled get of a chunk.
pub fn loads(
    dir: &Path,
    instances: &[Made],
    samples: usize,
    warmup: Duration,
) -> Result<Loads, String> {
    let opened = Instant::now();
    let storage = SledStorage::open(dir, CACHE_BYTES).map_err(|e| e.to_string())?;
    let ledger = crate::ledger::inline::Inline::open(storage.clone(), Config::default())
        .map_err(|e| e.to_string())?;
    let open_time = opened.elapsed();
    let world = ledger.world();
    let step = (instances.len() / samples.max(1)).max(1);
    let picks: Vec<crate::model::id::InstanceId> = instances
        .iter()
        .step_by(step)
        .take(samples)
        .filter_map(|m| crate::model::id::InstanceId::parse(&m.instance).ok())
        .collect();
    let load_pass = || -> Result<Duration, String> {
        let started = Instant::now();
        for id in &picks {
            let loaded = read_set(world.state(), id);
            if loaded.disks.len() != 2 {
                return Err(format!("{id} loaded {} disks", loaded.disks.len()));
            }
            std::hint::black_box(&loaded);
        }
        Ok(started.elapsed() / picks.len().max(1) as u32)
    };
    let chunk_keys: Vec<Vec<u8>> = storage
        .scan_prefix(&[keys::LOG])
        .filter_map(Result::ok)
        .step_by(7)
        .take(samples)
        .map(|(k, _)| k.as_ref().to_vec())
        .collect();
    let get_pass = || -> Result<Duration, String> {
        let started = Instant::now();
        for k in &chunk_keys {
            if storage.get(k).map_err(|e| e.to_string())?.is_none() {
                return Err("a chunk is missing".into());
            }
        }
        Ok(started.elapsed() / chunk_keys.len().max(1) as u32)
    };
    let warm = Instant::now();
    while warm.elapsed() < warmup {
        load_pass()?;
        get_pass()?;
    }
    let mut best = Loads {
        read_set: Duration::MAX,
        open: open_time,
        raw_get: Duration::MAX,
    };
    for _ in 0..ROUNDS {
        best.read_set = best.read_set.min(load_pass()?);
        best.raw_get = best.raw_get.min(get_pass()?);
    }
    Ok(best)
}

/// An instance's read set copied out of `state`: the instance, its disks,
/// their snapshots.
fn read_set(state: &crate::model::State, id: &crate::model::id::InstanceId) -> crate::model::State {
    let mut out = crate::model::State::new();
    if let Some(i) = state.instances.get(id) {
        for d in &i.disks {
            if let Some(disk) = state.disks.get(d) {
                for s in &disk.snapshots {
                    if let Some(snap) = state.snapshots.get(s) {
                        out.snapshots.insert(s.clone(), snap.clone());
                    }
                }
                out.disks.insert(d.clone(), disk.clone());
            }
        }
        out.instances.insert(id.clone(), i.clone());
    }
    out
}

/// Time to open the ledger in `dir` (sled, log head check, inventory
/// checkpoint, timers) and close it again.
pub fn open(dir: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let ledger = Ledger::open(
        dir,
        Config {
            sled_cache_bytes: CACHE_BYTES,
            ..Config::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    ledger.close().map_err(|e| e.to_string())?;
    Ok(elapsed)
}

/// This process's peak resident set size, KiB (Linux; 0 elsewhere).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Compares `value` to `baseline` as a ratio against a minimum.
pub fn versus(
    name: &str,
    value: f64,
    unit: &str,
    baseline: &str,
    base: f64,
    min_ratio: f64,
) -> Figure {
    let ratio = value / base;
    Figure {
        baseline: Some(baseline.into()),
        baseline_value: Some(base),
        ratio: Some(ratio),
        target: format!(">= {min_ratio:.2} x"),
        met: Some(ratio >= min_ratio),
        ..Figure::plain(name, value, unit)
    }
}

/// A figure with an absolute target (`at_most`: lower is better).
pub fn against(name: &str, value: f64, unit: &str, limit: f64, at_most: bool) -> Figure {
    Figure {
        target: format!("{} {limit} {unit}", if at_most { "<=" } else { ">=" }),
        met: Some(if at_most {
            value <= limit
        } else {
            value >= limit
        }),
        ..Figure::plain(name, value, unit)
    }
}

/// A figure shown for information.
pub fn info(name: &str, value: f64, unit: &str) -> Figure {
    Figure::plain(name, value, unit)
}
