//! `load`: loading one instance's state (the instance, its 2 disks, their
//! 3 snapshots) into an empty cache, at log sizes 1e3, 1e5 and 1e6 events;
//! both load paths, beside a raw sled get of one record.

mod common;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ecs_ledger::bench::fixture::sled_with_log;
use ecs_ledger::bench::measure::CACHE_BYTES;
use ecs_ledger::ledger::cache::{Load, StateCache};
use ecs_ledger::log::{EventLog, keys};
use ecs_ledger::projection::inventory;
use ecs_ledger::storage::Storage;
use ecs_ledger::storage::sled_store::SledStorage;

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    let mut sizes: Vec<u64> = [1_000, 100_000, 1_000_000]
        .into_iter()
        .map(|n| if n == 1_000 { n } else { common::size(n) })
        .collect();
    sizes.dedup();
    for size in sizes {
        let (dir, alive) = common::or_exit("fill", sled_with_log(None, size));
        let storage = common::or_exit(
            "open",
            SledStorage::open(&dir.0, CACHE_BYTES).map_err(|e| e.to_string()),
        );
        let log = common::or_exit(
            "log",
            EventLog::open(storage.clone()).map_err(|e| e.to_string()),
        );
        for (name, how) in [("snapshot", Load::Snapshot), ("tag-index", Load::TagIndex)] {
            let mut next = 0usize;
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter(|| {
                    next = (next + 7919) % alive.len().max(1);
                    let Some(m) = alive.get(next) else { return 0 };
                    let mut cache = StateCache::with_load(1000, how);
                    common::or_exit(
                        "load",
                        cache
                            .ensure(&log, [m.instance.clone()])
                            .map_err(|e| e.to_string()),
                    );
                    cache.state.disks.len()
                })
            });
        }
        let mut next = 0usize;
        group.bench_function(BenchmarkId::new("raw-sled-get", size), |b| {
            b.iter(|| {
                next = (next + 7919) % alive.len().max(1);
                let m = alive.get(next)?;
                let key = keys::projection(inventory::NAME, &inventory::record_key(&m.instance));
                common::or_exit("get", storage.get(&key).map_err(|e| e.to_string()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
