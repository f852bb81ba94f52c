//! The audit formats (docs/FORMAT.md, "Audit") checked by an independent
//! checker: tests/audit/check.py, Python with hashlib and the pinned
//! `cryptography` package for Ed25519, sharing no code with the crate. The
//! harness (tests/audit/run.py) installs it into target/audit-venv on first
//! use.
//!
//! Set ECS_LEDGER_SKIP_SDK=1 to skip on a machine without network access
//! (CI never sets it).

use std::process::Command;

#[test]
fn an_independent_python_checker_accepts_the_proofs_and_rejects_tampered_ones() {
    if std::env::var_os("ECS_LEDGER_SKIP_SDK").is_some() {
        eprintln!("skipped: ECS_LEDGER_SKIP_SDK is set");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/audit/run.py"))
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_ecs-ledger"))
        .output()
        .expect("python3 must be installed to run the audit checker");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the independent checker disagreed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("checks by the independent checker agree"),
        "{stdout}\n{stderr}"
    );
}
