//! docs/BEHAVIOUR.md §3, DeleteInstances: limits, repeats, all-or-nothing, request
//! order, DRYRUN.SUCCESS.

use ecs_ledger::core::testing::{Scenario, types};
use ecs_ledger::model::Code;
use ecs_ledger::model::id::InstanceId;
use ecs_ledger::model::values::InstanceStatus;

fn batch(ids: &[&str]) -> Vec<(String, String)> {
    ids.iter()
        .enumerate()
        .map(|(n, id)| (format!("InstanceId.{}", n + 1), (*id).to_owned()))
        .collect()
}

fn run(s: &mut Scenario, params: &[(String, String)]) -> ecs_ledger::core::testing::Then {
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.when("DeleteInstances", &borrowed)
}

fn stopped(s: &mut Scenario, n: usize) -> Vec<InstanceId> {
    (0..n).map(|_| s.given_stopped_instance(&[])).collect()
}

#[test]
fn more_than_100_ids_is_too_many_instance_ids() {
    let mut s = Scenario::new();
    let ids: Vec<String> = (0..101).map(|n| format!("i-{n:010}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let e = run(&mut s, &batch(&refs)).then_error(Code::TooManyInstanceIds);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    assert_eq!(e.code().as_str(), "InvalidParameter.TooManyInstanceIds");
    assert_eq!(e.message(), "Instance ids cannot be more than 100.");
}

#[test]
fn exactly_100_ids_are_accepted() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 100);
    let refs: Vec<&str> = ids.iter().map(InstanceId::as_str).collect();
    let events = run(&mut s, &batch(&refs)).then_ok();
    assert_eq!(events.len(), 200);
    assert!(s.state().instances.is_empty());
}

#[test]
fn no_ids_is_missing_parameter() {
    let mut s = Scenario::new();
    run(&mut s, &[]).then_error(Code::MissingParameter);
}

#[test]
fn a_repeated_id_is_invalid_parameter() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 2);
    let e = run(
        &mut s,
        &batch(&[ids[0].as_str(), ids[1].as_str(), ids[0].as_str()]),
    )
    .then_error(Code::InvalidParameter);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert!(e.message().contains(ids[0].as_str()), "{}", e.message());
    assert_eq!(s.state().instances.len(), 2);
}

#[test]
fn all_or_nothing_the_first_failure_names_its_instance_and_nothing_is_appended() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 3);
    s.given_status(&ids[1], InstanceStatus::Starting);
    let before = s.log.len();
    let e = run(
        &mut s,
        &batch(&[ids[0].as_str(), ids[1].as_str(), ids[2].as_str()]),
    )
    .then_error(Code::IncorrectInstanceStatus);
    assert!(
        e.message()
            .starts_with("The current status of the resource does not support this operation.")
    );
    assert!(e.message().contains(ids[1].as_str()), "{}", e.message());
    assert_eq!(s.log.len(), before);
    assert_eq!(s.state().instances.len(), 3);
}

#[test]
fn the_first_failing_instance_in_request_order_gives_the_answer() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 1);
    // Request order: a malformed id first, then an unknown one: row 2 answers.
    let e = run(
        &mut s,
        &batch(&["i-BAD", "i-unknown00001", ids[0].as_str()]),
    )
    .then_error(Code::InvalidParameter);
    assert!(e.message().contains("i-BAD"));
    // Swapped: the unknown one comes first and answers with row 3.
    let e = run(
        &mut s,
        &batch(&["i-unknown00001", "i-BAD", ids[0].as_str()]),
    )
    .then_error(Code::InstanceNotFound);
    assert!(e.message().contains("i-unknown00001"));
    // An empty value in its turn is row 1.
    run(&mut s, &batch(&[ids[0].as_str(), ""])).then_error(Code::MissingParameter);
}

#[test]
fn events_follow_request_order_not_id_order() {
    let mut s = Scenario::new();
    let mut ids = stopped(&mut s, 3);
    ids.sort();
    ids.reverse();
    let refs: Vec<&str> = ids.iter().map(InstanceId::as_str).collect();
    let events = run(&mut s, &batch(&refs)).then_ok();
    let released: Vec<String> = events
        .iter()
        .filter(|r| r.event.type_name() == "InstanceReleased")
        .map(|r| r.to_json()["InstanceId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(released, refs);
    // Each instance's events are together, InstanceReleased first.
    assert_eq!(
        types(&events),
        [
            "InstanceReleased",
            "DiskReleased",
            "InstanceReleased",
            "DiskReleased",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
}

#[test]
fn index_order_not_parameter_text_order_decides_request_order() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 3);
    // InstanceId.10 sorts before InstanceId.2 as text; N decides.
    let params = vec![
        ("InstanceId.1".to_owned(), ids[0].to_string()),
        ("InstanceId.2".to_owned(), ids[1].to_string()),
        ("InstanceId.10".to_owned(), ids[2].to_string()),
    ];
    let events = run(&mut s, &params).then_ok();
    let released: Vec<String> = events
        .iter()
        .filter(|r| r.event.type_name() == "InstanceReleased")
        .map(|r| r.to_json()["InstanceId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        released,
        vec![ids[0].to_string(), ids[1].to_string(), ids[2].to_string()]
    );
}

#[test]
fn dry_run_success_is_dryrun_success_and_appends_nothing() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 2);
    let before = s.log.len();
    let mut params = batch(&[ids[0].as_str(), ids[1].as_str()]);
    params.push(("DryRun".into(), "true".into()));
    let e = run(&mut s, &params).then_error(Code::DryRunSuccess);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert_eq!(e.code().as_str(), "DRYRUN.SUCCESS");
    assert_eq!(
        e.message(),
        "This request is a dryrun request with successful result."
    );
    assert_eq!(s.log.len(), before);
}

#[test]
fn dry_run_still_reports_the_first_failure() {
    let mut s = Scenario::new();
    let ids = stopped(&mut s, 1);
    let mut params = batch(&[ids[0].as_str(), "i-unknown00001"]);
    params.push(("DryRun".into(), "true".into()));
    run(&mut s, &params).then_error(Code::InstanceNotFound);
}

#[test]
fn force_applies_to_every_instance_of_the_batch() {
    let mut s = Scenario::new();
    let a = s.given_running_instance(&[]);
    let b = s.given_stopped_instance(&[]);
    let mut params = batch(&[a.as_str(), b.as_str()]);
    run(&mut s, &params).then_error(Code::IncorrectInstanceStatus);
    params.push(("Force".into(), "true".into()));
    let events = run(&mut s, &params).then_ok();
    assert_eq!(events[0].to_json()["Forced"], true);
    assert!(s.state().instances.is_empty());
}

#[test]
fn another_accounts_instance_in_a_batch_is_not_found() {
    let mut s = Scenario::new();
    s.as_account("other");
    let theirs = s.given_stopped_instance(&[]);
    s.as_account("default");
    let mine = s.given_stopped_instance(&[]);
    run(&mut s, &batch(&[mine.as_str(), theirs.as_str()])).then_error(Code::InstanceNotFound);
    assert_eq!(s.state().instances.len(), 2);
}
