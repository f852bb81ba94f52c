//! The commit observer: one report per group commit, with its size, the
//! records it appended and the due transitions among them.

use std::sync::{Arc, Mutex};

use ecs_ledger::ledger::{ClockMode, Commit, Config, Ledger, Observer, Request};
use ecs_ledger::storage::memory::MemoryStorage;

#[derive(Default)]
struct Recorder(Mutex<Vec<Commit>>);

impl Observer for Recorder {
    fn committed(&self, commit: &Commit) {
        self.0.lock().unwrap().push(*commit);
    }
}

fn observed() -> (Ledger<MemoryStorage>, Arc<Recorder>) {
    let config = Config {
        clock: ClockMode::Manual,
        ..Config::seeded(1)
    };
    let ledger = Ledger::with_storage(MemoryStorage::new(), config).unwrap();
    let recorder = Arc::new(Recorder::default());
    ledger.observe(recorder.clone());
    (ledger, recorder)
}

fn last(recorder: &Recorder) -> Commit {
    *recorder.0.lock().unwrap().last().unwrap()
}

#[test]
fn a_command_is_reported_with_its_records_and_no_transitions() {
    let (ledger, recorder) = observed();
    let reply = ledger
        .execute(Request::new(
            "CreateInstance",
            [("InstanceType", "ecs.g6.large")],
        ))
        .unwrap();
    let commit = last(&recorder);
    assert_eq!(commit.requests, 1);
    assert_eq!(commit.records, reply.events().len());
    assert!(commit.records > 0);
    assert_eq!(commit.transitions, 0);
    assert!(commit.wrote);
}

#[test]
fn due_transitions_are_counted_apart_from_the_requests_own_records() {
    let (ledger, recorder) = observed();
    ledger
        .execute(Request::new(
            "CreateInstance",
            [("InstanceType", "ecs.g6.large")],
        ))
        .unwrap();
    // The creation (5 s) finishes inside the clock move: one transition.
    let advanced = ledger
        .execute(Request::new("AdvanceClock", [("Seconds", "10")]))
        .unwrap();
    let commit = last(&recorder);
    assert_eq!(commit.transitions, advanced.events().len());
    assert!(commit.transitions > 0);
}

#[test]
fn a_command_that_first_applies_due_transitions_counts_only_those() {
    let (ledger, recorder) = observed();
    ledger
        .execute(Request::new(
            "CreateInstance",
            [("InstanceType", "ecs.g6.large")],
        ))
        .unwrap();
    let later = ledger.clock().add_secs(10).unwrap();
    let created = ledger
        .execute(Request::new("CreateInstance", [("InstanceType", "ecs.g6.large")]).at(later))
        .unwrap();
    let commit = last(&recorder);
    assert!(commit.transitions > 0);
    assert_eq!(commit.records, commit.transitions + created.events().len());
}

#[test]
fn a_query_is_reported_as_a_batch_that_wrote_nothing() {
    let (ledger, recorder) = observed();
    ledger
        .execute(Request::new("DescribeInstances", [("PageSize", "10")]))
        .unwrap();
    let commit = last(&recorder);
    assert_eq!(
        (commit.requests, commit.records, commit.wrote),
        (1, 0, false)
    );
}
