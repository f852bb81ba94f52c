//! `load`: gathering one instance's read set (the instance, its 2 disks,
//! their 3 snapshots) from the live records at log sizes 1e3, 1e5 and 1e6
//! events, beside a raw sled get of one log chunk. Nothing a decision reads
//! comes from storage: the ledger keeps the live records in memory.

mod common;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ecs_ledger::bench::fixture::sled_with_log;
use ecs_ledger::bench::measure::CACHE_BYTES;
use ecs_ledger::ledger::Config;
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::log::keys;
use ecs_ledger::model::id::InstanceId;
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
        let ledger = common::or_exit(
            "ledger",
            Inline::open(storage.clone(), Config::default()).map_err(|e| e.to_string()),
        );
        let ids: Vec<InstanceId> = alive
            .iter()
            .filter_map(|m| InstanceId::parse(&m.instance).ok())
            .collect();
        let mut next = 0usize;
        group.bench_function(BenchmarkId::new("read-set", size), |b| {
            b.iter(|| {
                next = (next + 7919) % ids.len().max(1);
                let state = ledger.world().state();
                let Some(i) = ids.get(next).and_then(|id| state.instances.get(id)) else {
                    return 0;
                };
                let mut n = 1;
                for d in &i.disks {
                    if let Some(disk) = state.disks.get(d) {
                        n += 1 + disk
                            .snapshots
                            .iter()
                            .filter(|s| state.snapshots.contains_key(*s))
                            .count();
                    }
                }
                n
            })
        });
        let chunks: Vec<Vec<u8>> = storage
            .scan_prefix(&[keys::LOG])
            .filter_map(Result::ok)
            .map(|(k, _)| k.as_ref().to_vec())
            .collect();
        let mut next = 0usize;
        group.bench_function(BenchmarkId::new("raw-sled-get", size), |b| {
            b.iter(|| {
                next = (next + 7919) % chunks.len().max(1);
                let key = chunks.get(next)?;
                common::or_exit("get", storage.get(key).map_err(|e| e.to_string()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
