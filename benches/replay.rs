//! `replay`: a full replay of a 1M-event log (decode, checksum, sequence
//! check, fold), events/s, beside sled iteration plus bincode decode of the
//! same records.

mod common;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecs_ledger::bench::fixture::sled_with_log;
use ecs_ledger::bench::measure::{CACHE_BYTES, iterate_and_decode, replay_once};
use ecs_ledger::log::EventLog;
use ecs_ledger::storage::sled_store::SledStorage;

fn replay(c: &mut Criterion) {
    let (dir, _) = common::or_exit("fill", sled_with_log(None, common::size(1_000_000)));
    let storage = common::or_exit(
        "open",
        SledStorage::open(&dir.0, CACHE_BYTES).map_err(|e| e.to_string()),
    );
    let log = common::or_exit(
        "log",
        EventLog::open(storage.clone()).map_err(|e| e.to_string()),
    );
    let events = common::or_exit("warm", iterate_and_decode(&storage));
    let mut group = c.benchmark_group("replay");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(events));
    group.bench_function(format!("full/{events}-events"), |b| {
        b.iter(|| common::or_exit("replay", replay_once(&log)))
    });
    group.bench_function(format!("raw-sled-iterate-decode/{events}-records"), |b| {
        b.iter(|| common::or_exit("iterate", iterate_and_decode(&storage)))
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
