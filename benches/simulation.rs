//! `simulation`: steps/s of the deterministic simulator with faults, for a
//! run of 10,000 steps and one of 100,000 (seed 7). The two throughputs
//! must match: the cost of a step may not grow with the steps before it.
//! (`ecs-ledger simulate --measure --steps 1000000 --faults` adds the
//! 1,000,000-step run and prints the ratios.)
//!
//! `ECS_LEDGER_BENCH_SMALL=1` runs 100 and 1,000 steps (a smoke run).

mod common;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecs_ledger::sim::{SimConfig, run};

fn simulation(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate-with-faults");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for full in [10_000u64, 100_000] {
        let steps = if common::small() { full / 100 } else { full };
        let config = SimConfig {
            seed: 7,
            steps,
            faults: true,
            ..SimConfig::default()
        };
        group.throughput(Throughput::Elements(steps));
        group.bench_with_input(BenchmarkId::new("steps", steps), &config, |b, config| {
            b.iter(|| common::or_exit("run", run(config).map_err(|f| f.to_string())))
        });
    }
    group.finish();
}

criterion_group!(benches, simulation);
criterion_main!(benches);
