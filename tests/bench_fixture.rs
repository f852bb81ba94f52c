//! The benchmark fixtures and measurements measure what they claim: the
//! fixture has the documented shape, a replay reads every record the raw
//! baseline reads, and a release writes the batch shape the baselines copy.

use ecs_ledger::bench::fixture::{sled_with_instances, sled_with_log};
use ecs_ledger::bench::measure::{self, CACHE_BYTES};
use ecs_ledger::log::EventLog;
use ecs_ledger::storage::sled_store::SledStorage;

#[test]
fn bench_replay_reads_every_record_the_raw_baseline_reads() {
    let (dir, alive) = sled_with_log(None, 3_000).expect("fixture");
    let storage = SledStorage::open(&dir.0, CACHE_BYTES).expect("open");
    let log = EventLog::open(storage.clone()).expect("log");
    let replayed = measure::replay_once(&log).expect("replay");
    let raw = measure::iterate_and_decode(&storage).expect("iterate");
    assert_eq!(replayed, raw);
    // 13 events per released fixture instance, 7 per live one, half released.
    assert!(replayed > 2_900 && replayed <= 3_000, "{replayed} events");
    assert_eq!(alive.len() as u64 * 20, replayed - replayed % 20);
    drop(log);
    drop(storage);
    // loads() checks each loaded instance has its two disks.
    let l = measure::loads(&dir.0, &alive, 10, std::time::Duration::ZERO).expect("load");
    assert!(l.read_set > std::time::Duration::ZERO, "{l:?}");
    assert!(
        l.open > l.read_set,
        "opening costs more than one load: {l:?}"
    );
}

#[test]
fn bench_release_shape_counts_the_keys_one_delete_writes() {
    let (keys, bytes) = measure::release_shape(None).expect("shape");
    // 6 events (instance, 2 disks, 3 snapshots) in one compressed chunk: one key.
    assert_eq!(keys, 1, "{keys} keys");
    assert!(bytes > 6 * 40, "{bytes} bytes");
}

#[test]
fn bench_command_path_releases_every_instance_and_records_its_batches() {
    let (dir, made) = sled_with_instances(None, 60).expect("fixture");
    let (warm, rest) = made.split_at(10);
    let run = measure::command(&dir.0, warm, rest, ecs_ledger::ledger::Durability::None, 4)
        .expect("command");
    assert!(!run.batches.is_empty() && !run.warmup_batches.is_empty());
    assert!(run.per_batch >= 1.0 && run.keys_per_command > 0.0 && run.keys_per_command <= 1.0);
    // Every release happened: a second run over the same instances fails.
    assert!(measure::command(&dir.0, &[], rest, ecs_ledger::ledger::Durability::None, 1).is_err());
}
