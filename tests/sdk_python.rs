//! The official Alibaba Cloud SDKs (pinned in tests/sdk/requirements.txt),
//! unchanged, against `ecs-ledger serve`: aliyun-python-sdk-core +
//! aliyun-python-sdk-ecs (v1 signatures), alibabacloud-ecs20140526 with its
//! default v3 signature and with signature_algorithm='v2'. The harness
//! (tests/sdk/run.py) installs them into target/sdk-venv on first use.
//!
//! Set ECS_LEDGER_SKIP_SDK=1 to skip on a machine without network access
//! (CI never sets it).

mod common;

use common::python::run_harness;

#[test]
fn the_official_sdks_pass_the_lifecycle_against_serve() {
    let Some(ran) = run_harness("sdk/run.py", &[]) else {
        return;
    };
    let (stdout, stderr) = (&ran.stdout, &ran.stderr);
    assert!(ran.success, "SDK suite failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("\nOK"),
        "the unittest run did not report OK:\n{stderr}"
    );
    assert!(
        stdout.contains("ok: "),
        "the log written through the SDKs was not verified:\n{stdout}"
    );
}

/// docs/BEHAVIOUR.md §6 across processes, through the official SDKs: three
/// `serve` processes on one PostgreSQL database, eight concurrent clients
/// (both SDKs) whose every instance is created, described, snapshotted and
/// released through different servers; the log verifies, is gapless, and
/// holds each acknowledged creation and release exactly once. Runs when
/// ECS_LEDGER_TEST_POSTGRES names a server (`.ci/run` starts one).
#[test]
fn the_official_sdks_release_through_several_processes_on_one_postgres_database() {
    let Some(db) = common::pg::TestDb::create("sdk_processes") else {
        common::pg::skipped("the_official_sdks_release_through_several_processes");
        return;
    };
    let Some(ran) = run_harness("sdk/pg_processes.py", &["--postgres", db.url()]) else {
        return;
    };
    let (stdout, stderr) = (&ran.stdout, &ran.stderr);
    assert!(
        ran.success,
        "SDK multi-process run failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("ok: 48 created and 48 released through 3 servers"),
        "not every release was acknowledged:\n{stdout}\n{stderr}"
    );
}
