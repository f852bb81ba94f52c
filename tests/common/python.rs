//! Running the Python harnesses under tests/ (the official SDKs, the
//! independent audit checker) against this build's `ecs-ledger`.
#![allow(dead_code)]

use std::process::Command;

/// What a harness printed, and whether it exited 0.
pub struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `python3 tests/SCRIPT --bin <ecs-ledger> ARGS...`; `None` (and a
/// note) when ECS_LEDGER_SKIP_SDK is set, for machines without network
/// access to install the harness's packages (CI never sets it).
pub fn run_harness(script: &str, args: &[&str]) -> Option<Ran> {
    if std::env::var_os("ECS_LEDGER_SKIP_SDK").is_some() {
        eprintln!("skipped: ECS_LEDGER_SKIP_SDK is set");
        return None;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/{script}"))
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_ecs-ledger"))
        .args(args)
        .output()
        .expect("python3 must be installed to run the Python harnesses");
    Some(Ran {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
