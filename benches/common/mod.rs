//! Shared by the criterion benches: sizes, and a clean exit on fixture errors.
//!
//! `ECS_LEDGER_BENCH_SMALL=1` shrinks every fixture (100x) for a smoke run.

#![allow(dead_code)] // each bench uses part of this

/// True when a smoke run was asked for (`ECS_LEDGER_BENCH_SMALL`).
pub fn small() -> bool {
    std::env::var_os("ECS_LEDGER_BENCH_SMALL").is_some()
}

/// Scales a fixture size down when a smoke run was asked for.
pub fn size(full: u64) -> u64 {
    if small() {
        (full / 100).max(1_000)
    } else {
        full
    }
}

/// Unwraps a fixture step, or stops the bench run with the reason.
pub fn or_exit<T>(what: &str, r: Result<T, String>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bench fixture failed ({what}): {e}");
            std::process::exit(1)
        }
    }
}
