//! `baseline`: the limit of the storage on this machine. Raw sled insert,
//! apply_batch of batches shaped like one DeleteInstance's (same key count,
//! same bytes) in every durability mode, and iteration of event records.

mod common;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecs_ledger::bench::fixture::{Scratch, sled_with_log};
use ecs_ledger::bench::measure::{CACHE_BYTES, iterate_and_decode, release_shape};
use ecs_ledger::ledger::Durability;
use ecs_ledger::storage::sled_store::SledStorage;
use ecs_ledger::storage::{Batch, Storage};

fn key(n: u64) -> [u8; 9] {
    let mut k = [b'x'; 9];
    k[1..].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    k
}

fn baseline(c: &mut Criterion) {
    let (keys, bytes) = common::or_exit("shape", release_shape(None));
    let mut group = c.benchmark_group("baseline");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    let dir = common::or_exit(
        "dir",
        Scratch::new(None, "insert").map_err(|e| e.to_string()),
    );
    let db = common::or_exit(
        "open",
        SledStorage::open(&dir.0, CACHE_BYTES).map_err(|e| e.to_string()),
    );
    let value = vec![7u8; 200];
    let mut n = 0u64;
    group.throughput(Throughput::Elements(1));
    group.bench_function("insert/200B", |b| {
        b.iter(|| {
            n += 1;
            common::or_exit(
                "insert",
                db.db()
                    .insert(key(n), value.as_slice())
                    .map_err(|e| e.to_string()),
            )
        })
    });

    let per_key = (bytes / keys.max(1)).saturating_sub(9).max(1);
    for durability in [Durability::Flush, Durability::Sync, Durability::None] {
        group.bench_function(
            format!("apply_batch/{keys}-keys-{bytes}B/{durability}"),
            |b| {
                b.iter(|| {
                    let mut batch = Batch::new();
                    for _ in 0..keys {
                        n += 1;
                        batch.put(key(n).to_vec(), vec![7u8; per_key]);
                    }
                    common::or_exit("apply", db.apply(&batch).map_err(|e| e.to_string()));
                    let durable = match durability {
                        Durability::Flush => db.flush(),
                        Durability::Sync => db.sync(),
                        Durability::None => Ok(()),
                    };
                    common::or_exit("durable", durable.map_err(|e| e.to_string()));
                })
            },
        );
    }
    drop(db);
    drop(dir);

    let (log_dir, _) = common::or_exit("fill", sled_with_log(None, common::size(1_000_000)));
    let storage = common::or_exit(
        "open",
        SledStorage::open(&log_dir.0, CACHE_BYTES).map_err(|e| e.to_string()),
    );
    let records = common::or_exit("warm", iterate_and_decode(&storage));
    group.throughput(Throughput::Elements(records));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(format!("iterate-decode/{records}-records"), |b| {
        b.iter(|| common::or_exit("iterate", iterate_and_decode(&storage)))
    });
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
