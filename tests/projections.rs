//! Projections: every projection equals a fold of the log up to its
//! checkpoint; a rebuild equals the incrementally kept state; an outside
//! subscriber loses nothing across a crash and, dropping by Seq, duplicates
//! nothing; Describe* shows exactly what docs/BEHAVIOUR.md §3 says after each kind
//! of release.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::workload::{Pools, Step, op, step};
use ecs_ledger::core::testing::START;
use ecs_ledger::ledger::checkpoint;
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{Config, Durability, Ledger, Request};
use ecs_ledger::log::{EventLog, keys};
use ecs_ledger::model::State;
use ecs_ledger::model::event::{Event, Recorded};
use ecs_ledger::model::id::Account;
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::model::values::{
    DetachReason, DiskReleaseReason, ReleaseTrigger, SnapshotReleaseReason,
};
use ecs_ledger::projection::check;
use ecs_ledger::projection::report::{self, ReleaseReport};
use ecs_ledger::projection::runner::Runner;
use ecs_ledger::projection::{Projection, Subscriber};
use ecs_ledger::storage::Storage;
use ecs_ledger::storage::memory::{Crash, MemoryStorage};
use proptest::prelude::*;
use serde_json::{Value, json};

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix(START + secs).unwrap()
}

/// Runs a random workload on a ledger over memory storage; returns the storage.
fn workload(ops: &[common::workload::Op]) -> MemoryStorage {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(
        storage.clone(),
        Config {
            seed: Some(3),
            durability: Durability::None,
            checkpoint_events: 7,
            ..Config::default()
        },
    )
    .unwrap();
    let mut pools = Pools::default();
    let mut account = Account::default();
    let mut now = t(0);
    for op in ops {
        match step(op, &pools) {
            Step::Advance(secs) => now = now.add_secs(i64::from(secs)).unwrap(),
            Step::Account(a) => account = Account::parse(a).unwrap(),
            Step::Request { action, params } => {
                let reply = ledger
                    .execute(
                        Request::new(action, params)
                            .as_account(account.clone())
                            .at(now),
                    )
                    .unwrap();
                pools.learn(reply.events());
            }
        }
    }
    ledger.close().unwrap();
    storage
}

fn log_of(storage: &MemoryStorage) -> Vec<Recorded> {
    EventLog::inspect(storage.clone())
        .unwrap()
        .log
        .iter_from(1)
        .map(Result::unwrap)
        .collect()
}

fn projection_bytes(storage: &MemoryStorage, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    storage
        .scan_prefix(&keys::projection_prefix(name))
        .map(|i| i.unwrap())
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

/// The release report, computed independently by one plain pass over the log.
fn expected_report(
    log: &[Recorded],
) -> BTreeMap<String, (report::Counters, BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (report::Counters, BTreeSet<String>, BTreeSet<String>)> =
        BTreeMap::new();
    for r in log {
        let entry = || r.account.to_string();
        match &r.event {
            Event::InstanceReleased(_) => out.entry(entry()).or_default().0.instances_released += 1,
            // The platform's releases, by what set them off (docs/BEHAVIOUR.md §7).
            Event::InstanceReleaseTriggered(e) => {
                let c = &mut out.entry(entry()).or_default().0;
                match e.trigger {
                    ReleaseTrigger::Request => c.released_after_stop += 1,
                    ReleaseTrigger::AutoReleaseTime => c.released_at_auto_release_time += 1,
                    ReleaseTrigger::SubscriptionEnded => c.released_at_subscription_end += 1,
                }
            }
            Event::DiskReleased(e) => {
                let a = out.entry(entry()).or_default();
                a.2.remove(e.disk_id.as_str());
                if e.reason == DiskReleaseReason::DeleteDisk {
                    a.0.disks_deleted += 1;
                } else {
                    a.0.disks_released += 1;
                }
            }
            Event::DiskDetached(e) if e.reason == DetachReason::InstanceReleased => {
                let a = out.entry(entry()).or_default();
                a.0.disks_kept += 1;
                a.2.insert(e.disk_id.to_string());
            }
            Event::SnapshotRetained(e) => {
                let a = out.entry(entry()).or_default();
                a.0.snapshots_retained += 1;
                a.1.insert(e.snapshot_id.to_string());
            }
            Event::SnapshotReleased(e) => {
                let a = out.entry(entry()).or_default();
                a.1.remove(e.snapshot_id.as_str());
                if e.reason == SnapshotReleaseReason::DeleteAutoSnapshot {
                    a.0.snapshots_released += 1;
                }
            }
            _ => {}
        }
    }
    out.retain(|_, (c, s, d)| *c != report::Counters::default() || !s.is_empty() || !d.is_empty());
    out
}

fn check_report(storage: &MemoryStorage, log: &[Recorded]) -> Result<(), TestCaseError> {
    let got: BTreeMap<String, (report::Counters, BTreeSet<String>, BTreeSet<String>)> =
        report::read(storage)
            .unwrap()
            .into_iter()
            .map(|a| {
                let snaps: BTreeSet<String> =
                    a.retained.iter().map(|r| r.snapshot_id.clone()).collect();
                let disks: BTreeSet<String> = a.kept.iter().map(|k| k.disk_id.clone()).collect();
                (a.account, (a.counters, snaps, disks))
            })
            .filter(|(_, (c, s, d))| {
                *c != report::Counters::default() || !s.is_empty() || !d.is_empty()
            })
            .collect();
    prop_assert_eq!(got, expected_report(log));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn every_projection_equals_a_fold_of_the_log_up_to_its_checkpoint(ops in proptest::collection::vec(op(), 1..60)) {
        let storage = workload(&ops);
        let log = log_of(&storage);
        let runner = Runner::new(storage.clone());
        // The live records' checkpoint, written when the ledger closed.
        let inspected = EventLog::inspect(storage.clone()).unwrap().log;
        let (seq, _) = check::check_state(&inspected).unwrap();
        prop_assert_eq!(seq, log.len() as u64);
        if !log.is_empty() {
            let (_, state) = checkpoint::read(&inspected).unwrap().unwrap();
            prop_assert_eq!(state, State::fold(&log));
        }
        // The release report, caught up in two steps (half, then the rest).
        let half = &log[..log.len() / 2];
        let mut partial = ReleaseReport;
        catch_up_to(&storage, &mut partial, half.len() as u64);
        prop_assert_eq!(runner.checkpoint(report::NAME).unwrap().seq, half.len() as u64);
        check_report(&storage, half)?;
        runner.catch_up(&mut ReleaseReport, |_| {}).unwrap();
        check_report(&storage, &log)?;
    }

    #[test]
    fn a_rebuild_equals_the_incrementally_kept_state(ops in proptest::collection::vec(op(), 1..60)) {
        let storage = workload(&ops);
        let runner = Runner::new(storage.clone());
        // The live records' checkpoint, dropped and rebuilt from the whole log.
        let state_bytes = |s: &MemoryStorage| -> Vec<(Vec<u8>, Vec<u8>)> {
            s.scan_prefix(&[keys::STATE])
                .chain(s.scan_prefix(keys::META_STATE))
                .map(|i| i.unwrap())
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect()
        };
        let incremental = state_bytes(&storage);
        checkpoint::drop_all(&storage).unwrap();
        Inline::open(storage.clone(), Config::seeded(3)).unwrap().close().unwrap();
        let rebuilt = state_bytes(&storage);
        // Same records, same encoding; only the generation may differ.
        prop_assert_eq!(rebuilt.len(), incremental.len());
        for ((k1, v1), (k2, v2)) in rebuilt.iter().zip(&incremental) {
            prop_assert_eq!(&k1[..1], &k2[..1]);
            if k1.as_slice() != keys::META_STATE {
                prop_assert_eq!(v1, v2);
            }
        }
        runner.catch_up(&mut ReleaseReport, |_| {}).unwrap();
        let report_incremental = projection_bytes(&storage, report::NAME);
        runner.rebuild(&mut ReleaseReport, |_| {}).unwrap();
        prop_assert_eq!(projection_bytes(&storage, report::NAME), report_incremental);
    }
}

/// Catches a projection up to exactly `seq` by running it over a copy of the
/// log truncated there, then copying its data back (the runner always goes to
/// the head; this checks a checkpoint in the middle).
fn catch_up_to<P: Projection>(storage: &MemoryStorage, p: &mut P, seq: u64) {
    let prefix = MemoryStorage::new();
    let mut copy = EventLog::open(prefix.clone()).unwrap();
    let mut append = copy.begin();
    for r in log_of(storage).into_iter().take_while(|r| r.seq <= seq) {
        append.record(&r).unwrap();
    }
    copy.commit(append).unwrap();
    Runner::new(prefix.clone()).catch_up(p, |_| {}).unwrap();
    for prefix_key in [
        keys::projection_prefix(p.name()),
        keys::checkpoint(p.name()),
    ] {
        for item in prefix.scan_prefix(&prefix_key) {
            let (k, v) = item.unwrap();
            storage.corrupt(&k, &v);
        }
    }
}

/// An outside system: it remembers what it received, dropping repeats by Seq.
#[derive(Default)]
struct Outside {
    received: Vec<u64>,
    kept: BTreeMap<u64, Value>,
    fail_at: Option<u64>,
}

impl Subscriber for Outside {
    fn name(&self) -> &str {
        "outside"
    }
    fn handle(&mut self, event: &Recorded) -> Result<(), String> {
        if self.fail_at == Some(event.seq) {
            self.fail_at = None;
            return Err("webhook answered 503".into());
        }
        self.received.push(event.seq);
        self.kept
            .entry(event.seq)
            .or_insert_with(|| event.to_json());
        Ok(())
    }
}

#[test]
fn a_crash_between_writing_and_handling_loses_nothing_and_dedup_by_seq_duplicates_nothing() {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(storage.clone(), Config::seeded(8)).unwrap();
    for n in 0..30 {
        ledger
            .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(n)))
            .unwrap();
    }
    let head = ledger.head().seq;
    let runner = Runner::new(storage.clone());
    let mut outside = Outside {
        fail_at: Some(17),
        ..Outside::default()
    };
    // The webhook fails at seq 17: delivery stops, the checkpoint stays before it.
    assert!(runner.deliver(&mut outside, 5).is_err());
    assert_eq!(runner.checkpoint("outside").unwrap().seq, 16);
    // Delivery resumes at 17; then the process crashes before the last
    // checkpoints reach the disk: they were never flushed.
    storage.flush().unwrap();
    runner.deliver(&mut outside, 5).unwrap();
    assert_eq!(runner.checkpoint("outside").unwrap().seq, head);
    storage.crash(Crash::LoseUnflushed);
    let after_crash = runner.checkpoint("outside").unwrap().seq;
    assert!(
        after_crash < head,
        "the crash must lose checkpoints for this test to mean anything"
    );
    // Restarted: everything after the surviving checkpoint comes again.
    runner.deliver(&mut outside, 5).unwrap();
    let received: BTreeSet<u64> = outside.received.iter().copied().collect();
    assert_eq!(received, (1..=head).collect(), "nothing lost");
    assert!(
        outside.received.len() as u64 > head,
        "some events were delivered twice"
    );
    assert_eq!(
        outside.kept.len() as u64,
        head,
        "dropping by Seq leaves each event once"
    );
    let log = log_of(&storage);
    for r in &log {
        assert_eq!(outside.kept[&r.seq], r.to_json());
    }
}

#[test]
fn a_stored_projection_is_exactly_once_across_a_crash() {
    let storage = MemoryStorage::new();
    let config = Config {
        durability: Durability::None,
        durations: ecs_ledger::model::ctx::Durations::INSTANT,
        ..Config::seeded(8)
    };
    let ledger = Ledger::with_storage(storage.clone(), config).unwrap();
    for n in 0..450 {
        let created = ledger
            .execute(
                Request::new(
                    "CreateInstance",
                    [
                        ("DataDisk.1.Size", "20"),
                        (
                            "DataDisk.1.DeleteWithInstance",
                            if n % 3 == 0 { "false" } else { "true" },
                        ),
                    ],
                )
                .at(t(2 * n)),
            )
            .unwrap();
        let id = created.body()["InstanceId"].as_str().unwrap().to_owned();
        ledger
            .execute(Request::new("DeleteInstance", [("InstanceId", id.as_str())]).at(t(2 * n + 1)))
            .unwrap();
    }
    ledger.close().unwrap();
    storage.flush().unwrap();
    let log = log_of(&storage);
    assert!(
        log.len() > 2 * ecs_ledger::projection::runner::CHUNK,
        "{} events",
        log.len()
    );
    let runner = Runner::new(storage.clone());
    // The projection commits chunk by chunk; the final flush fails, and the
    // crash keeps the first chunk's batch and tears the second.
    storage.fail_next_flushes(1);
    assert!(runner.catch_up(&mut ReleaseReport, |_| {}).is_err());
    storage.crash(Crash::KeepPrefixTearNext { kept: 1 });
    let cp = runner.checkpoint(report::NAME).unwrap().seq;
    assert_eq!(cp, ecs_ledger::projection::runner::CHUNK as u64);
    // Its data is exactly the first chunk's: checkpoint and writes agree.
    check_report(&storage, &log[..cp as usize]).unwrap();
    // Catching up again applies the rest once.
    runner.catch_up(&mut ReleaseReport, |_| {}).unwrap();
    check_report(&storage, &log).unwrap();
}

#[test]
fn following_a_live_ledger_keeps_a_projection_current() {
    let storage = MemoryStorage::new();
    let ledger = Arc::new(Ledger::with_storage(storage.clone(), Config::seeded(4)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (ledger, stop) = (ledger.clone(), stop.clone());
        std::thread::spawn(move || {
            Runner::new(ledger.storage().clone()).follow(&ledger, &mut ReleaseReport, &stop)
        })
    };
    for n in 0..10 {
        let d = ledger
            .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(2 * n)))
            .unwrap();
        let id = d.body()["DiskId"].as_str().unwrap().to_owned();
        ledger
            .execute(Request::new("CreateAutoSnapshot", [("DiskId", id.as_str())]).at(t(2 * n + 1)))
            .unwrap();
    }
    let runner = Runner::new(storage.clone());
    let head = ledger.head().seq;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while runner.checkpoint(report::NAME).unwrap().seq < head {
        assert!(
            std::time::Instant::now() < deadline,
            "the follower did not catch up"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    assert_eq!(follower.join().unwrap().unwrap(), head);
}

// ---------------------------------------------------------------- Describe*

struct Api {
    ledger: Ledger<MemoryStorage>,
    now: i64,
}

impl Api {
    fn new() -> Self {
        Self {
            ledger: Ledger::with_storage(MemoryStorage::new(), Config::seeded(11)).unwrap(),
            now: 0,
        }
    }
    fn call(&mut self, action: &str, params: &[(&str, &str)]) -> Value {
        self.now += 10; // every call 10 s later: transitions complete in between
        let r = self
            .ledger
            .execute(Request::new(action, params.iter().copied()).at(t(self.now)))
            .unwrap();
        let mut body = r.body();
        body["_status"] = json!(r.status());
        body
    }
    fn ok(&mut self, action: &str, params: &[(&str, &str)]) -> Value {
        let body = self.call(action, params);
        assert_eq!(body["_status"], 200, "{action}: {body}");
        body
    }
}

fn ids(body: &Value, outer: &str, inner: &str, key: &str) -> Vec<String> {
    body[outer][inner]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn describe_after_each_kind_of_release_shows_what_the_release_rules_say() {
    let mut api = Api::new();
    let created = api.ok(
        "CreateInstance",
        &[
            ("DataDisk.1.Size", "40"),
            ("DataDisk.1.DeleteAutoSnapshot", "true"),
            ("DataDisk.2.Size", "50"),
            ("DataDisk.2.DeleteWithInstance", "false"),
        ],
    );
    let i = created["InstanceId"].as_str().unwrap().to_owned();
    let disks = ids(
        &api.ok("DescribeDisks", &[("InstanceId", &i)]),
        "Disks",
        "Disk",
        "DiskId",
    );
    assert_eq!(disks.len(), 3);
    let auto = api.ok("CreateAutoSnapshot", &[("DiskId", &disks[1])])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = api.ok("CreateSnapshot", &[("DiskId", &disks[1])])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept_snap = api.ok("CreateSnapshot", &[("DiskId", &disks[2])])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = api.ok("DescribeInstances", &[]);
    assert_eq!(described["TotalCount"], 1);
    assert_eq!(described["Instances"]["Instance"][0]["Status"], "Stopped");
    api.ok("DeleteInstance", &[("InstanceId", &i)]);
    // The instance is gone.
    assert_eq!(api.ok("DescribeInstances", &[])["TotalCount"], 0);
    let by_id = api.ok(
        "DescribeInstances",
        &[("InstanceIds", &format!(r#"["{i}"]"#))],
    );
    assert_eq!(by_id["TotalCount"], 0);
    // Released disks are gone; the kept one is Available with no InstanceId.
    let all_disks = api.ok("DescribeDisks", &[]);
    assert_eq!(
        ids(&all_disks, "Disks", "Disk", "DiskId"),
        vec![disks[2].clone()]
    );
    let kept = &all_disks["Disks"]["Disk"][0];
    assert_eq!(kept["Status"], "Available");
    assert_eq!(kept["InstanceId"], "");
    assert_eq!(kept["DiskChargeType"], "PostPaid");
    // The released auto snapshot is gone; the retained manual one is listed
    // with its SourceDiskId; the kept disk's snapshot is untouched.
    let snaps = api.ok("DescribeSnapshots", &[]);
    let listed = ids(&snaps, "Snapshots", "Snapshot", "SnapshotId");
    assert!(!listed.contains(&auto));
    assert!(listed.contains(&user) && listed.contains(&kept_snap));
    let retained = snaps["Snapshots"]["Snapshot"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["SnapshotId"] == user.as_str())
        .unwrap();
    assert_eq!(retained["SourceDiskId"], disks[1].as_str());
    assert_eq!(retained["Status"], "accomplished");
    let by_disk = api.ok("DescribeSnapshots", &[("DiskId", &disks[1])]);
    assert_eq!(
        ids(&by_disk, "Snapshots", "Snapshot", "SnapshotId"),
        vec![user.clone()]
    );
}

#[test]
fn describe_after_a_security_locked_release_shows_every_disk_gone() {
    let mut api = Api::new();
    let i = api.ok(
        "CreateInstance",
        &[
            ("DataDisk.1.Size", "40"),
            ("DataDisk.1.DeleteWithInstance", "false"),
        ],
    )["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    api.ok(
        "LockInstance",
        &[("InstanceId", &i), ("LockReason", "security")],
    );
    let locked = api.ok("DescribeInstances", &[]);
    assert_eq!(
        locked["Instances"]["Instance"][0]["OperationLocks"]["LockReason"][0]["LockReason"],
        "security"
    );
    api.ok("DeleteInstance", &[("InstanceId", &i)]);
    assert_eq!(api.ok("DescribeDisks", &[])["TotalCount"], 0);
}

#[test]
fn describe_filters_page_and_isolate_accounts() {
    let mut api = Api::new();
    let mut made = Vec::new();
    for _ in 0..12 {
        made.push(
            api.ok("CreateInstance", &[])["InstanceId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    api.ok("StartInstance", &[("InstanceId", &made[3])]);
    let page1 = api.ok("DescribeInstances", &[("PageSize", "5")]);
    assert_eq!(page1["TotalCount"], 12);
    assert_eq!(page1["PageSize"], 5);
    assert_eq!(
        ids(&page1, "Instances", "Instance", "InstanceId"),
        made[..5]
    );
    let page3 = api.ok(
        "DescribeInstances",
        &[("PageSize", "5"), ("PageNumber", "3")],
    );
    assert_eq!(
        ids(&page3, "Instances", "Instance", "InstanceId"),
        made[10..]
    );
    let running = api.ok("DescribeInstances", &[("Status", "Running")]);
    assert_eq!(
        ids(&running, "Instances", "Instance", "InstanceId"),
        vec![made[3].clone()]
    );
    let two = api.ok(
        "DescribeInstances",
        &[("InstanceIds", &format!(r#"["{}","{}"]"#, made[7], made[1]))],
    );
    assert_eq!(
        ids(&two, "Instances", "Instance", "InstanceId"),
        vec![made[1].clone(), made[7].clone()]
    );
    let shape = &page1["Instances"]["Instance"][0];
    for key in [
        "InstanceId",
        "Status",
        "InstanceChargeType",
        "ExpiredTime",
        "DeletionProtection",
        "OperationLocks",
        "CreationTime",
    ] {
        assert!(shape.get(key).is_some(), "{key}");
    }
    assert_eq!(
        api.ok("DescribeDisks", &[("DiskType", "system")])["TotalCount"],
        12
    );
    assert_eq!(
        api.ok("DescribeDisks", &[("DiskType", "data")])["TotalCount"],
        0
    );
    for (k, v) in [
        ("PageSize", "101"),
        ("Status", "Sleeping"),
        ("InstanceIds", "i-notjson"),
        ("InstanceIds", r#"["bad"]"#),
    ] {
        let e = api.call("DescribeInstances", &[(k, v)]);
        assert_eq!(e["Code"], "InvalidParameter", "{k}={v}");
        assert!(e["Message"].as_str().unwrap().contains(k));
    }
    // Another account sees none of it.
    let other = api
        .ledger
        .execute(
            Request::new("DescribeInstances", Vec::<(String, String)>::new())
                .as_account(Account::parse("other").unwrap()),
        )
        .unwrap();
    assert_eq!(other.body()["TotalCount"], 0);
    let theirs = api
        .ledger
        .execute(
            Request::new("DescribeDisks", [("InstanceId", made[0].as_str())])
                .as_account(Account::parse("other").unwrap()),
        )
        .unwrap();
    assert_eq!(theirs.body()["TotalCount"], 0);
}

#[test]
fn a_query_applies_due_transitions_first_and_reads_its_own_writes() {
    let mut api = Api::new();
    api.now = 0;
    let i = api
        .ledger
        .execute(Request::new("CreateInstance", Vec::<(String, String)>::new()).at(t(0)))
        .unwrap();
    let i = i.body()["InstanceId"].as_str().unwrap().to_owned();
    let pending = api
        .ledger
        .execute(Request::new("DescribeInstances", Vec::<(String, String)>::new()).at(t(1)))
        .unwrap();
    assert_eq!(
        pending.body()["Instances"]["Instance"][0]["Status"],
        "Pending"
    );
    // Six seconds later the query itself applies the due creation first.
    let stopped = api
        .ledger
        .execute(
            Request::new(
                "DescribeInstances",
                [("InstanceIds", format!(r#"["{i}"]"#))],
            )
            .at(t(6)),
        )
        .unwrap();
    assert_eq!(
        stopped.body()["Instances"]["Instance"][0]["Status"],
        "Stopped"
    );
}
