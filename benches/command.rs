//! `command`: DeleteInstance end to end (parse, load state, decide, append,
//! project) on a ledger pre-filled with 100k fixture instances (2 disks and
//! 3 snapshots each); every durability mode; 1 and 16 concurrent callers.
//!
//! One criterion iteration is one released instance. When the fixture runs
//! out of live instances it is rebuilt, untimed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecs_ledger::bench::fixture::{Made, Scratch, sled_with_instances};
use ecs_ledger::bench::measure::{CACHE_BYTES, release};
use ecs_ledger::ledger::{Config, Durability, Ledger};
use ecs_ledger::storage::sled_store::SledStorage;

/// A fixture ledger and the instances on it not yet released.
struct Pool {
    ledger: Option<Arc<Ledger<SledStorage>>>,
    left: Vec<Made>,
    dir: Option<Scratch>,
    durability: Durability,
}

impl Pool {
    fn new(durability: Durability) -> Self {
        Self {
            ledger: None,
            left: Vec::new(),
            dir: None,
            durability,
        }
    }

    /// `n` live instances and the ledger they live on; rebuilds the fixture
    /// when fewer than `n` are left.
    fn take(&mut self, n: usize) -> (Arc<Ledger<SledStorage>>, Vec<Made>) {
        if self.left.len() < n || self.ledger.is_none() {
            if let Some(l) = self.ledger.take() {
                common::or_exit("close", l.close().map_err(|e| e.to_string()));
            }
            self.dir = None;
            let want = (common::size(100_000) as usize).max(n);
            let (dir, made) = common::or_exit("fill", sled_with_instances(None, want));
            let config = Config {
                durability: self.durability,
                sled_cache_bytes: CACHE_BYTES,
                ..Config::default()
            };
            let ledger = common::or_exit(
                "open",
                Ledger::open(&dir.0, config).map_err(|e| e.to_string()),
            );
            self.ledger = Some(Arc::new(ledger));
            self.left = made;
            self.dir = Some(dir);
        }
        let at = self.left.len() - n;
        let batch = self.left.split_off(at);
        match &self.ledger {
            Some(l) => (l.clone(), batch),
            None => common::or_exit("pool", Err("no ledger".into())),
        }
    }
}

fn command(c: &mut Criterion) {
    let mut group = c.benchmark_group("command/DeleteInstance");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(1));
    for durability in [Durability::Flush, Durability::Sync, Durability::None] {
        let mut pool = Pool::new(durability);
        for callers in [1usize, 16] {
            group.bench_function(format!("{durability}/{callers}-callers"), |b| {
                b.iter_custom(|iters| {
                    let (ledger, batch) = pool.take(iters as usize);
                    common::or_exit("release", release(&ledger, &batch, callers))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, command);
criterion_main!(benches);
