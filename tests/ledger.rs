//! The ledger over real and in-memory storage: it must decide exactly as the
//! pure model does, survive restarts, and stay consistent under threads and
//! storage failures.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::workload::{Pools, Step, op, step};
use ecs_ledger::core::testing::{START, Scenario};
use ecs_ledger::ledger::{ClockMode, Config, Durability, Ledger, LedgerError, Request};
use ecs_ledger::log::{Condition, EventLog, LogError};
use ecs_ledger::model::Code;
use ecs_ledger::model::ctx::Durations;
use ecs_ledger::model::event::Recorded;
use ecs_ledger::model::id::{Account, EventId};
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::storage::Storage;
use ecs_ledger::storage::memory::MemoryStorage;
use proptest::prelude::*;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix(START + secs).unwrap()
}

fn log_of<S: Storage>(storage: S) -> Vec<Recorded> {
    let log = EventLog::open(storage).unwrap();
    log.iter_from(1).map(Result::unwrap).collect()
}

/// The ledger (storage, chunks, state checkpoints, reopening) and the bare
/// state machine in memory fed the same seeded requests write the same log,
/// answer the same, and draw the same ids. `reopen_every`: close and reopen
/// the ledger after that many requests (recovery from a checkpoint and the
/// log after it).
fn differential(
    ops: &[common::workload::Op],
    checkpoint_events: u64,
    reopen_every: Option<usize>,
) -> Result<(), TestCaseError> {
    let storage = MemoryStorage::new();
    let config = Config {
        seed: Some(1),
        checkpoint_events,
        durability: Durability::None,
        ..Config::default()
    };
    let mut ledger = Ledger::with_storage(storage.clone(), config.clone()).unwrap();
    let mut requests = 0usize;
    let mut model = Scenario::new().with_seed(1);
    let mut pools = Pools::default();
    let mut account = "default";
    for op in ops {
        match step(op, &pools) {
            Step::Advance(secs) => model.set_now(model.now().add_secs(i64::from(secs)).unwrap()),
            Step::Account(a) => {
                account = a;
                model.as_account(a);
            }
            Step::Request { action, params } => {
                let borrowed: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let before = model.log.len();
                let expected = model.run(action, &borrowed);
                let request = Request::new(action, params.clone())
                    .as_account(Account::parse(account).unwrap())
                    .at(model.now());
                let reply = ledger.execute(request).unwrap();
                requests += 1;
                if reopen_every.is_some_and(|n| requests % n == 0) {
                    ledger.close().unwrap();
                    ledger = Ledger::with_storage(storage.clone(), config.clone()).unwrap();
                    model.restart();
                }
                match &expected {
                    Ok(events) => {
                        prop_assert_eq!(
                            reply.status(),
                            200,
                            "{} {:?}: {:?}",
                            action,
                            params,
                            reply.error()
                        );
                        prop_assert_eq!(reply.events(), events.as_slice());
                    }
                    Err(e) => {
                        prop_assert_eq!(
                            reply.error().map(|e| e.code()),
                            Some(e.code()),
                            "{} {:?}",
                            action,
                            params
                        );
                        prop_assert_eq!(
                            reply.error().map(|e| e.message().to_owned()),
                            Some(e.message().to_owned())
                        );
                    }
                }
                pools.learn(&model.log[before..]);
            }
        }
    }
    // One last request makes both apply whatever is still due.
    let last = model.run("DeleteInstance", &[("InstanceId", "i-nothingyet01")]);
    prop_assert!(last.is_err());
    let reply = ledger
        .execute(
            Request::new("DeleteInstance", [("InstanceId", "i-nothingyet01")])
                .as_account(Account::parse(account).unwrap())
                .at(model.now()),
        )
        .unwrap();
    prop_assert_eq!(
        reply.error().map(|e| e.code()),
        Some(Code::InstanceNotFound)
    );
    ledger.close().unwrap();
    prop_assert_eq!(log_of(storage), model.log);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn the_ledger_writes_exactly_what_the_pure_model_decides(ops in proptest::collection::vec(op(), 1..50)) {
        differential(&ops, 100_000, None)?;
    }

    /// Closed and reopened every few requests, with a state checkpoint every
    /// 3 records: each reopen rebuilds the live records from a checkpoint and
    /// the log after it, and nothing changes.
    #[test]
    fn reopening_from_checkpoints_changes_nothing(ops in proptest::collection::vec(op(), 1..50)) {
        differential(&ops, 3, Some(4))?;
    }

    /// Reopened every request, with a checkpoint seldom: each reopen folds
    /// the whole log again, and nothing changes.
    #[test]
    fn reopening_from_the_whole_log_changes_nothing(ops in proptest::collection::vec(op(), 1..50)) {
        differential(&ops, 100_000, Some(1))?;
    }
}

#[test]
fn eight_threads_racing_delete_instance_release_each_instance_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        durations: Durations::INSTANT,
        ..Config::default()
    };
    let ledger = Arc::new(Ledger::open(dir.path(), config).unwrap());
    let ids: Vec<String> = (0..40)
        .map(|_| {
            let r = ledger
                .execute(Request::new("CreateInstance", [("DataDisk.1.Size", "20")]))
                .unwrap();
            r.body()["InstanceId"].as_str().unwrap().to_owned()
        })
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let ledger = ledger.clone();
            let mut ids = ids.clone();
            ids.rotate_left(n * 5);
            std::thread::spawn(move || {
                ids.iter()
                    .map(|id| {
                        let r = ledger
                            .execute(Request::new(
                                "DeleteInstance",
                                [("InstanceId", id.as_str())],
                            ))
                            .unwrap();
                        (id.clone(), r.error().map(|e| e.code()))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut released: BTreeMap<String, usize> = BTreeMap::new();
    for thread in threads {
        for (id, outcome) in thread.join().unwrap() {
            match outcome {
                None => *released.entry(id).or_default() += 1,
                Some(code) => assert_eq!(code, Code::InstanceNotFound, "{id}"),
            }
        }
    }
    assert_eq!(released.len(), 40);
    assert!(released.values().all(|n| *n == 1), "{released:?}");
    ledger.close().unwrap();
    let log = log_of(ledger.storage().clone());
    let in_log = log
        .iter()
        .filter(|r| r.event.type_name() == "InstanceReleased")
        .count();
    assert_eq!(in_log, 40);
}

#[test]
fn client_token_returns_the_original_response_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let create = |token: &str, size: &str| {
        Request::new(
            "CreateInstance",
            [("ClientToken", token), ("DataDisk.1.Size", size)],
        )
        .at(t(0))
    };
    let first = {
        let ledger = Ledger::open(dir.path(), Config::default()).unwrap();
        let r = ledger.execute(create("token-1", "20")).unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.events().len(), 3);
        ledger.close().unwrap();
        r
    };
    let ledger = Ledger::open(dir.path(), Config::default()).unwrap();
    // Let the instance's creation transition (due at t(5)) happen first: it is
    // the platform's own request, not part of the replay.
    ledger
        .execute(Request::new("DeleteInstance", [("InstanceId", "i-nothere00001")]).at(t(60)))
        .unwrap();
    let head = ledger.head();
    let again = ledger.execute(create("token-1", "20").at(t(60))).unwrap();
    assert_eq!(again.request_id, first.request_id, "same RequestId");
    assert_eq!(again.body(), first.body(), "same response body");
    assert!(again.events().is_empty());
    assert_eq!(ledger.head(), head, "nothing appended");
    // Same token, other parameters.
    let e = ledger.execute(create("token-1", "30").at(t(61))).unwrap();
    assert_eq!(e.error().unwrap().code(), Code::IdempotentParameterMismatch);
    assert_eq!(e.status(), 400);
    // Same token, other action.
    let e = ledger
        .execute(Request::new("CreateDisk", [("ClientToken", "token-1"), ("Size", "20")]).at(t(62)))
        .unwrap();
    assert_eq!(e.error().unwrap().code(), Code::IdempotentParameterMismatch);
    // Same token, another account: independent.
    let other = ledger
        .execute(
            create("token-1", "20")
                .as_account(Account::parse("other").unwrap())
                .at(t(63)),
        )
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_ne!(other.request_id, first.request_id);
    // After 24 hours of ledger time the token is forgotten.
    let later = ledger
        .execute(create("token-1", "20").at(t(24 * 3600 + 1)))
        .unwrap();
    assert_eq!(later.status(), 200);
    assert_ne!(later.body()["InstanceId"], first.body()["InstanceId"]);
    ledger.close().unwrap();
}

#[test]
fn refused_requests_are_not_remembered_by_their_token() {
    let ledger = Ledger::with_storage(MemoryStorage::new(), Config::default()).unwrap();
    let r = ledger
        .execute(Request::new(
            "DeleteInstance",
            [("ClientToken", "x"), ("InstanceId", "i-nothere00001")],
        ))
        .unwrap();
    assert_eq!(r.error().unwrap().code(), Code::InstanceNotFound);
    let r = ledger
        .execute(Request::new("CreateInstance", [("ClientToken", "x")]))
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn a_client_token_over_64_characters_is_invalid() {
    let ledger = Ledger::with_storage(MemoryStorage::new(), Config::default()).unwrap();
    let long = "x".repeat(65);
    let r = ledger
        .execute(Request::new(
            "CreateInstance",
            [("ClientToken", long.as_str())],
        ))
        .unwrap();
    assert_eq!(r.error().unwrap().code(), Code::InvalidParameter);
    assert!(r.error().unwrap().message().contains("ClientToken"));
}

#[test]
fn the_ledger_clock_never_goes_backwards_even_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = Ledger::open(dir.path(), Config::default()).unwrap();
        assert_eq!(
            ledger
                .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(100)))
                .unwrap()
                .status(),
            200
        );
        let r = ledger
            .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(99)))
            .unwrap();
        let e = r.error().unwrap();
        assert_eq!(e.code(), Code::InvalidParameter);
        assert!(e.message().contains("At"), "{}", e.message());
        assert!(r.events().is_empty());
        ledger.close().unwrap();
    }
    let ledger = Ledger::open(dir.path(), Config::default()).unwrap();
    assert_eq!(ledger.clock(), t(100));
    let r = ledger
        .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(50)))
        .unwrap();
    assert_eq!(r.error().unwrap().code(), Code::InvalidParameter);
    // Without At, time is max(system clock, ledger time): never before t(100).
    let r = ledger
        .execute(Request::new("CreateDisk", [("Size", "20")]))
        .unwrap();
    assert!(r.events()[0].time >= t(100));
}

#[test]
fn due_transitions_survive_a_restart_and_are_stamped_with_their_due_time() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let ledger = Ledger::open(dir.path(), Config::seeded(3)).unwrap();
        let r = ledger
            .execute(Request::new("CreateInstance", Vec::<(String, String)>::new()).at(t(0)))
            .unwrap();
        ledger.close().unwrap();
        r.body()["InstanceId"].as_str().unwrap().to_owned()
    };
    let ledger = Ledger::open(dir.path(), Config::seeded(3)).unwrap();
    let head = ledger.head().seq;
    let r = ledger
        .execute(Request::new("DeleteInstance", [("InstanceId", id.as_str())]).at(t(60)))
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.error());
    ledger.close().unwrap();
    let log = log_of(ledger.storage().clone());
    let transition = &log[head as usize];
    assert_eq!(transition.event.type_name(), "InstanceStatusChanged");
    assert_eq!(
        transition.time,
        t(5),
        "stamped with the due time, not t(60)"
    );
    assert_eq!(log[head as usize + 1].event.type_name(), "InstanceReleased");
    assert_eq!(log[head as usize + 1].time, t(60));
}

#[test]
fn advance_clock_moves_a_manual_clock_and_applies_transitions() {
    let config = Config {
        clock: ClockMode::Manual,
        ..Config::seeded(5)
    };
    let ledger = Ledger::with_storage(MemoryStorage::new(), config).unwrap();
    let start = ledger.clock();
    let r = ledger
        .execute(Request::new(
            "CreateInstance",
            Vec::<(String, String)>::new(),
        ))
        .unwrap();
    assert_eq!(
        r.events()[0].time,
        start,
        "a manual clock does not follow the system clock"
    );
    let r = ledger
        .execute(Request::new("AdvanceClock", [("Seconds", "10")]))
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.events().len(), 1, "Pending -> Stopped was due");
    assert_eq!(ledger.clock(), start.add_secs(10).unwrap());
    let r = ledger
        .execute(Request::new(
            "AdvanceClock",
            [("To", "2000-01-01T00:00:00Z")],
        ))
        .unwrap();
    assert_eq!(r.error().unwrap().code(), Code::InvalidParameter);
    let system = Ledger::with_storage(MemoryStorage::new(), Config::default()).unwrap();
    let r = system
        .execute(Request::new("AdvanceClock", [("Seconds", "10")]))
        .unwrap();
    assert_eq!(r.error().unwrap().code(), Code::ClockNotManual);
}

#[test]
fn a_failing_write_stops_the_ledger_and_writes_nothing() {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(storage.clone(), Config::seeded(9)).unwrap();
    assert_eq!(
        ledger
            .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(0)))
            .unwrap()
            .status(),
        200
    );
    let head = ledger.head();
    storage.fail_next_writes(1);
    let r = ledger.execute(Request::new("CreateDisk", [("Size", "20")]).at(t(1)));
    assert!(matches!(r, Err(LedgerError::Stopped(_))), "{r:?}");
    // It stays stopped: no partial state carries on.
    let r = ledger.execute(Request::new("CreateDisk", [("Size", "20")]).at(t(2)));
    assert!(matches!(r, Err(LedgerError::Stopped(_))));
    assert!(ledger.close().is_err());
    // Reopening finds exactly the committed log.
    let reopened = Ledger::with_storage(storage.clone(), Config::seeded(9)).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(
        reopened
            .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(3)))
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn a_failing_flush_is_not_acknowledged() {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(storage.clone(), Config::default()).unwrap();
    storage.fail_next_flushes(1);
    let r = ledger.execute(Request::new("CreateDisk", [("Size", "20")]));
    assert!(matches!(r, Err(LedgerError::Stopped(_))));
}

#[test]
fn every_durability_mode_commits() {
    for durability in [Durability::Flush, Durability::Sync, Durability::None] {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            durability,
            ..Config::default()
        };
        let ledger = Ledger::open(dir.path(), config).unwrap();
        assert_eq!(
            ledger
                .execute(Request::new("CreateDisk", [("Size", "20")]))
                .unwrap()
                .status(),
            200
        );
        ledger.close().unwrap();
        let log = log_of(ledger.storage().clone());
        assert_eq!(log.len(), 1, "{durability}");
    }
}

#[test]
fn a_conditional_append_is_refused_with_expected_and_actual_positions() {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(storage.clone(), Config::seeded(2)).unwrap();
    let r = ledger
        .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(0)))
        .unwrap();
    let disk = r.body()["DiskId"].as_str().unwrap().to_owned();
    ledger
        .execute(Request::new("CreateAutoSnapshot", [("DiskId", disk.as_str())]).at(t(1)))
        .unwrap();
    ledger.close().unwrap();
    let log = EventLog::open(storage).unwrap();
    // A decision that saw the log at seq 1 is stale: seq 2 touched the disk.
    let Err(LogError::Conflict(conflict)) = log.check(&Condition::new([disk.clone()], 1)) else {
        panic!("a stale decision must conflict");
    };
    assert_eq!((conflict.expected, conflict.actual), (1, 2));
    assert_eq!(conflict.tag, disk);
    log.check(&Condition::new([disk.clone()], 2)).unwrap();
    log.check(&Condition::new(["d-untouched0001"], 0)).unwrap();
}

/// Evolve is strict: a log holding an event that does not fit the records
/// before it (here a disk created twice) was not written by this model, and
/// opening it fails with the seq and the reason instead of folding on.
#[test]
fn a_log_whose_events_do_not_fit_is_refused_when_opened() {
    let storage = MemoryStorage::new();
    let ledger = Ledger::with_storage(storage.clone(), Config::seeded(3)).unwrap();
    ledger
        .execute(Request::new("CreateDisk", [("Size", "20")]).at(t(0)))
        .unwrap();
    ledger.close().unwrap();
    let mut log = EventLog::open(storage.clone()).unwrap();
    let mut again = log.read(1).unwrap().unwrap();
    again.seq = 2;
    again.event_id = EventId::derived(&again.request_id, 2);
    let mut append = log.begin();
    append.record(&again).unwrap();
    log.commit(append).unwrap();
    drop(log);
    let Err(e) = Ledger::with_storage(storage, Config::seeded(3)) else {
        panic!("a log that does not fold must not open");
    };
    let message = e.to_string();
    assert!(message.contains("event 2 (DiskCreated)"), "{message}");
    assert!(message.contains("already holds"), "{message}");
}
