//! The audit formats (docs/FORMAT.md, "Audit") checked by an independent
//! checker: tests/audit/check.py, Python with hashlib and the pinned
//! `cryptography` package for Ed25519, sharing no code with the crate. The
//! harness (tests/audit/run.py) installs it into target/audit-venv on first
//! use.
//!
//! Set ECS_LEDGER_SKIP_SDK=1 to skip on a machine without network access
//! (CI never sets it).

mod common;

use common::python::run_harness;

#[test]
fn an_independent_python_checker_accepts_the_proofs_and_rejects_tampered_ones() {
    let Some(ran) = run_harness("audit/run.py", &[]) else {
        return;
    };
    let (stdout, stderr) = (&ran.stdout, &ran.stderr);
    assert!(
        ran.success,
        "the independent checker disagreed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("checks by the independent checker agree"),
        "{stdout}\n{stderr}"
    );
}
