//! `audit`: the Merkle tree at 1M records: the tree head for a checkpoint
//! (rebuilt from the stored block roots), an inclusion and a consistency
//! proof (with their sizes), checking a proof, and the auditor's full
//! recomputation of the root from the records (`verify --checkpoint`, and
//! what a proof would cost without stored block roots).

mod common;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ecs_ledger::audit::proof::{Consistency, Inclusion};
use ecs_ledger::bench::fixture::sled_with_log;
use ecs_ledger::bench::measure::CACHE_BYTES;
use ecs_ledger::log::EventLog;
use ecs_ledger::log::merkle::{self, leaf_hash};
use ecs_ledger::log::tree::{self, LogTree};
use ecs_ledger::storage::sled_store::SledStorage;

fn ok<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    common::or_exit(what, r.map_err(|e| e.to_string()))
}

/// Prints the proofs' sizes (hashes, and bytes of their files).
fn sizes(log: &EventLog<SledStorage>, n: u64) {
    let mut source = ok("tree", LogTree::new(log));
    let root = ok("root", merkle::root(&mut source, n));
    let seq = n / 2 + 1;
    let path = ok("path", merkle::inclusion_path(&mut source, seq - 1, n));
    let record = ok("record", tree::record_bytes(log, seq));
    let hashes = path.len();
    let file = Inclusion {
        seq,
        tree_size: n,
        root,
        record,
        path,
    }
    .to_json();
    let first = n / 3;
    let path = ok(
        "consistency",
        merkle::consistency_path(&mut source, first, n),
    );
    let first_root = ok("root", merkle::root(&mut source, first));
    let consistency_hashes = path.len();
    let consistency = Consistency {
        first_size: first,
        first_root,
        second_size: n,
        second_root: root,
        path,
    }
    .to_json();
    eprintln!(
        "audit sizes at {n} records: inclusion proof {hashes} hashes ({} bytes of JSON with its record), consistency proof {consistency_hashes} hashes ({} bytes)",
        file.len(),
        consistency.len()
    );
}

fn audit(c: &mut Criterion) {
    let (dir, _) = common::or_exit("fill", sled_with_log(None, common::size(1_000_000)));
    let storage = ok("open", SledStorage::open(&dir.0, CACHE_BYTES));
    let log = ok("log", EventLog::open(storage));
    let n = log.head().seq;
    sizes(&log, n);
    let mut group = c.benchmark_group("audit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function(format!("tree-head-from-blocks/{n}-records"), |b| {
        b.iter(|| ok("resume", tree::resume(&log, n)))
    });
    let mut seq = 0u64;
    group.bench_function(format!("prove-inclusion/{n}-records"), |b| {
        b.iter(|| {
            seq = (seq + 7919 * 4099) % n;
            let mut source = ok("tree", LogTree::new(&log));
            let path = ok("path", merkle::inclusion_path(&mut source, seq, n));
            (path, ok("record", tree::record_bytes(&log, seq + 1)))
        })
    });
    group.bench_function(format!("prove-consistency/{}-to-{n}-records", n / 3), |b| {
        b.iter(|| {
            let mut source = ok("tree", LogTree::new(&log));
            ok("path", merkle::consistency_path(&mut source, n / 3, n))
        })
    });
    let mut source = ok("tree", LogTree::new(&log));
    let root = ok("root", merkle::root(&mut source, n));
    let path = ok("path", merkle::inclusion_path(&mut source, 12_345 % n, n));
    let record = ok("record", tree::record_bytes(&log, 12_345 % n + 1)).unwrap_or_default();
    group.bench_function(format!("check-inclusion/{n}-records"), |b| {
        b.iter(|| merkle::verify_inclusion(12_345 % n, n, &leaf_hash(&record), &path, &root))
    });
    group.bench_function(format!("root-from-records/{n}-records"), |b| {
        b.iter(|| ok("root", tree::root_from_records(&log, n)))
    });
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);
