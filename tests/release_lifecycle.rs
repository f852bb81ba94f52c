//! docs/BEHAVIOUR.md §7: the release lifecycle around a DeleteInstance call.
//! ForceStop (§7.1), the automatic release time (§7.2), the end of an
//! unrenewed subscription (§7.3), ModifyInstanceChargeType (§7.4) and
//! DescribeInstanceHistoryEvents (§7.5). Each test sets up its world from
//! events (given), runs the one request under test (when), and checks the
//! answer and the events (then).

use ecs_ledger::core::testing::{Scenario, types};
use ecs_ledger::model::Code;
use ecs_ledger::model::event::{Event, Recorded};
use ecs_ledger::model::id::{InstanceId, RouteTableId};
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::model::values::{ChargeType, InstanceStatus, LockReason, ReleaseTrigger};

const DAY: i64 = 24 * 60 * 60;

/// A request's parameters.
type Params<'a> = &'a [(&'a str, &'a str)];

fn released(s: &Scenario, id: &InstanceId) -> bool {
    !s.state().instances.contains_key(id)
}

fn status(s: &Scenario, id: &InstanceId) -> InstanceStatus {
    s.state().instances[id].status
}

fn trigger_of(events: &[Recorded]) -> Option<(ReleaseTrigger, Option<String>)> {
    events.iter().find_map(|r| match &r.event {
        Event::InstanceReleaseTriggered(e) => Some((e.trigger, e.caused_by.map(|c| c.to_string()))),
        _ => None,
    })
}

/// A time `secs` after the scenario's clock, in the request's form.
fn after(s: &Scenario, secs: i64) -> String {
    s.now().add_secs(secs).unwrap().to_string()
}

// ---------------------------------------------------------------- §7.1

#[test]
fn force_stop_false_stops_a_running_instance_first_and_releases_it_when_the_stop_completes() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("DataDisk.1.Size", "40")]);
    let accepted = s
        .when(
            "DeleteInstance",
            &[
                ("InstanceId", id.as_str()),
                ("Force", "true"),
                ("ForceStop", "false"),
            ],
        )
        .then_types(&["InstanceStatusChanged", "InstanceReleasePending"]);
    assert_eq!(status(&s, &id), InstanceStatus::Stopping);
    let request = accepted[0].request_id.to_string();
    let later = s.advance(3);
    assert_eq!(
        types(&later),
        [
            "InstanceStatusChanged",
            "InstanceReleaseTriggered",
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased"
        ]
    );
    assert!(
        later.iter().all(|r| r.request_id == later[0].request_id),
        "one atomic append"
    );
    assert_eq!(later[0].time, s.now(), "stamped when the stop completed");
    assert_eq!(
        trigger_of(&later),
        Some((ReleaseTrigger::Request, Some(request)))
    );
    match &later[2].event {
        Event::InstanceReleased(e) => {
            assert_eq!(e.previous_status, InstanceStatus::Stopped);
            assert!(e.forced);
        }
        other => panic!("{other:?}"),
    }
    assert!(released(&s, &id));
}

#[test]
fn force_stop_defaults_to_true_a_forced_release_powers_off_at_once() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[]);
    s.when(
        "DeleteInstance",
        &[("InstanceId", id.as_str()), ("Force", "true")],
    )
    .then_types(&["InstanceReleased", "DiskReleased"]);
    assert!(released(&s, &id));
}

#[test]
fn force_stop_false_matters_only_for_a_forced_release_of_a_running_instance() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[]);
    s.when(
        "DeleteInstance",
        &[
            ("InstanceId", id.as_str()),
            ("Force", "true"),
            ("ForceStop", "false"),
        ],
    )
    .then_types(&["InstanceReleased", "DiskReleased"]);
    let running = s.given_running_instance(&[]);
    s.when(
        "DeleteInstance",
        &[("InstanceId", running.as_str()), ("ForceStop", "false")],
    )
    .then_error(Code::IncorrectInstanceStatus);
}

#[test]
fn a_second_release_of_an_instance_stopping_to_be_released_is_refused_by_row_8() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[]);
    let params = [
        ("InstanceId", id.as_str()),
        ("Force", "true"),
        ("ForceStop", "false"),
    ];
    s.when("DeleteInstance", &params).then_ok();
    s.when("DeleteInstance", &params)
        .then_error(Code::IncorrectInstanceStatus);
}

#[test]
fn an_instance_stopping_to_be_released_takes_no_new_route_entry_or_backend_server() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[]);
    s.when(
        "DeleteInstance",
        &[
            ("InstanceId", id.as_str()),
            ("Force", "true"),
            ("ForceStop", "false"),
        ],
    )
    .then_ok();
    s.when(
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-lifecycle01"),
            ("DestinationCidrBlock", "10.0.0.0/24"),
            ("NextHopId", id.as_str()),
        ],
    )
    .then_error(Code::IncorrectInstanceStatus);
    let servers = format!(r#"[{{"ServerId":"{id}","Weight":"100"}}]"#);
    s.when(
        "AddBackendServers",
        &[
            ("LoadBalancerId", "lb-lifecycle01"),
            ("BackendServers", &servers),
        ],
    )
    .then_error(Code::IncorrectInstanceStatus);
}

#[test]
fn a_security_lock_added_while_stopping_releases_every_disk_with_the_instance() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteWithInstance", "false"),
    ]);
    s.when(
        "DeleteInstance",
        &[
            ("InstanceId", id.as_str()),
            ("Force", "true"),
            ("ForceStop", "false"),
        ],
    )
    .then_ok();
    s.given_lock(&id, LockReason::Security);
    let later = s.advance(3);
    let kept = later
        .iter()
        .filter(|r| matches!(r.event, Event::DiskDetached(_)))
        .count();
    assert_eq!(kept, 0, "{:?}", types(&later));
    assert_eq!(
        later
            .iter()
            .filter(|r| matches!(r.event, Event::DiskReleased(_)))
            .count(),
        2
    );
}

#[test]
fn delete_instances_with_force_stop_false_stops_every_running_instance_first() {
    let mut s = Scenario::new();
    let a = s.given_running_instance(&[]);
    let b = s.given_stopped_instance(&[]);
    s.when(
        "DeleteInstances",
        &[
            ("InstanceId.1", a.as_str()),
            ("InstanceId.2", b.as_str()),
            ("Force", "true"),
            ("ForceStop", "false"),
        ],
    )
    .then_types(&[
        "InstanceStatusChanged",
        "InstanceReleasePending",
        "InstanceReleased",
        "DiskReleased",
    ]);
    assert_eq!(status(&s, &a), InstanceStatus::Stopping);
    assert!(released(&s, &b));
    s.advance(3);
    assert!(released(&s, &a));
}

#[test]
fn describe_instances_shows_an_instance_stopping_to_be_released_as_stopping() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[]);
    s.when(
        "DeleteInstance",
        &[
            ("InstanceId", id.as_str()),
            ("Force", "true"),
            ("ForceStop", "false"),
        ],
    )
    .then_ok();
    let body = s.describe("DescribeInstances", &[]);
    assert_eq!(body["Instances"]["Instance"][0]["Status"], "Stopping");
}

// ---------------------------------------------------------------- §7.2

#[test]
fn modify_instance_auto_release_time_checks_in_order() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[]);
    let prepaid = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let soon = after(&s, 60 * 60);
    let cases: [(Params, Code); 7] = [
        (&[("AutoReleaseTime", &soon)], Code::MissingParameter),
        (&[("InstanceId", "i-NOPE")], Code::InvalidParameter),
        (
            &[("InstanceId", "i-doesnotexist01")],
            Code::InstanceNotFound,
        ),
        (
            &[
                ("InstanceId", prepaid.as_str()),
                ("AutoReleaseTime", "junk"),
            ],
            Code::ChargeTypeViolation,
        ),
        (
            &[("InstanceId", id.as_str()), ("AutoReleaseTime", "junk")],
            Code::AutoReleaseTimeMalformed,
        ),
        (
            &[
                ("InstanceId", id.as_str()),
                ("AutoReleaseTime", &after(&s, 29 * 60)),
            ],
            Code::AutoReleaseTimeMalformed,
        ),
        (
            &[
                ("InstanceId", id.as_str()),
                ("AutoReleaseTime", &after(&s, 3 * 366 * DAY)),
            ],
            Code::AutoReleaseTimeMalformed,
        ),
    ];
    for (params, code) in cases {
        s.when("ModifyInstanceAutoReleaseTime", params)
            .then_error(code);
    }
    assert_eq!(
        Code::AutoReleaseTimeMalformed.as_str(),
        "InvalidAutoReleaseTime.Malformed"
    );
}

#[test]
fn auto_release_time_drops_seconds_takes_the_minute_form_and_shows_in_describe_instances() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[]);
    let body = s.describe("DescribeInstances", &[]);
    assert_eq!(body["Instances"]["Instance"][0]["AutoReleaseTime"], "");
    s.when(
        "ModifyInstanceAutoReleaseTime",
        &[
            ("InstanceId", id.as_str()),
            ("AutoReleaseTime", "2026-01-02T03:04:59Z"),
        ],
    )
    .then_types(&["AutoReleaseTimeChanged"]);
    let body = s.describe("DescribeInstances", &[]);
    assert_eq!(
        body["Instances"]["Instance"][0]["AutoReleaseTime"],
        "2026-01-02T03:04:00Z"
    );
    // The same time in the minute form changes nothing and records nothing.
    s.when(
        "ModifyInstanceAutoReleaseTime",
        &[
            ("InstanceId", id.as_str()),
            ("AutoReleaseTime", "2026-01-02T03:04Z"),
        ],
    )
    .then_types(&[]);
}

#[test]
fn an_absent_or_empty_auto_release_time_cancels_the_automatic_release() {
    for cancel in [None, Some("")] {
        let mut s = Scenario::new();
        let id = s.given_stopped_instance(&[]);
        let t = after(&s, DAY);
        s.when(
            "ModifyInstanceAutoReleaseTime",
            &[("InstanceId", id.as_str()), ("AutoReleaseTime", &t)],
        )
        .then_ok();
        let mut params = vec![("InstanceId", id.as_str())];
        if let Some(v) = cancel {
            params.push(("AutoReleaseTime", v));
        }
        s.when("ModifyInstanceAutoReleaseTime", &params)
            .then_types(&["AutoReleaseTimeChanged"]);
        s.advance(2 * DAY);
        assert!(!released(&s, &id), "cancelled ({cancel:?})");
    }
}

#[test]
fn at_its_auto_release_time_the_platform_removes_dependencies_and_releases_despite_deletion_protection()
 {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("DeletionProtection", "true"), ("DataDisk.1.Size", "40")]);
    s.given_route("vtb-lifecycle01", "10.0.0.0/24", &id);
    s.given_backend("lb-lifecycle01", &id);
    let t = after(&s, DAY);
    s.when(
        "ModifyInstanceAutoReleaseTime",
        &[("InstanceId", id.as_str()), ("AutoReleaseTime", &t)],
    )
    .then_ok();
    assert!(s.advance(DAY - 1).is_empty(), "not before its time");
    let release = s.advance(1);
    assert_eq!(
        types(&release),
        [
            "InstanceReleaseTriggered",
            "RouteEntryDeleted",
            "BackendServerRemoved",
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased"
        ]
    );
    assert!(
        release
            .iter()
            .all(|r| r.request_id == release[0].request_id)
    );
    assert_eq!(release[0].time.to_string(), t);
    assert_eq!(
        trigger_of(&release),
        Some((ReleaseTrigger::AutoReleaseTime, None))
    );
    assert!(released(&s, &id));
    let table = RouteTableId::parse("vtb-lifecycle01").unwrap();
    assert!(s.state().route_tables[&table].entries.is_empty());
}

// ---------------------------------------------------------------- §7.3

/// A one-month subscription that expired unrenewed: released 15 days after
/// its `ExpiredTime`, with its dependencies removed first.
#[test]
fn an_expired_subscription_not_renewed_within_15_days_is_released_by_the_platform() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.given_route("vtb-lifecycle01", "10.0.0.0/24", &id);
    let expiry = s.state().instances[&id].expired_time.unwrap();
    let to_expiry = expiry.unix() - s.now().unix();
    let expired = s.advance(to_expiry);
    assert_eq!(
        types(&expired),
        ["InstanceExpired", "InstanceStatusChanged", "InstanceLocked"]
    );
    assert!(s.advance(15 * DAY - 1).is_empty(), "kept for 15 days");
    let release = s.advance(1);
    assert_eq!(
        types(&release)[..3],
        [
            "InstanceReleaseTriggered",
            "RouteEntryDeleted",
            "InstanceReleased"
        ]
    );
    assert_eq!(
        trigger_of(&release),
        Some((ReleaseTrigger::SubscriptionEnded, None))
    );
    assert_eq!(
        release[0].time,
        Timestamp::from_unix(expiry.unix() + 15 * DAY).unwrap()
    );
    assert!(released(&s, &id));
}

#[test]
fn renewing_an_expired_subscription_within_15_days_prevents_its_release() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.advance(40 * DAY);
    s.when(
        "RenewInstance",
        &[("InstanceId", id.as_str()), ("Period", "1")],
    )
    .then_ok();
    s.advance(10 * DAY);
    assert!(!released(&s, &id));
}

// ---------------------------------------------------------------- §7.4

#[test]
fn prepaid_to_postpaid_clears_expired_time_and_the_instance_is_released_like_any_postpaid_one() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.when(
        "DeleteInstance",
        &[("InstanceId", id.as_str()), ("Force", "true")],
    )
    .then_error(Code::ChargeTypeViolation);
    let ids = format!(r#"["{id}"]"#);
    s.when(
        "ModifyInstanceChargeType",
        &[("InstanceIds", &ids), ("InstanceChargeType", "PostPaid")],
    )
    .then_types(&["InstanceChargeTypeChanged", "DiskChargeTypeChanged"]);
    let instance = &s.state().instances[&id];
    assert_eq!(instance.charge_type, ChargeType::PostPaid);
    assert_eq!(instance.expired_time, None);
    let body = s.describe("DescribeInstances", &[]);
    assert_eq!(
        body["Instances"]["Instance"][0]["InstanceChargeType"],
        "PostPaid"
    );
    s.when(
        "DeleteInstance",
        &[("InstanceId", id.as_str()), ("Force", "true")],
    )
    .then_ok();
}

#[test]
fn an_expired_subscription_cannot_become_postpaid() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.advance(32 * DAY);
    let ids = format!(r#"["{id}"]"#);
    let e = s
        .when(
            "ModifyInstanceChargeType",
            &[("InstanceIds", &ids), ("InstanceChargeType", "PostPaid")],
        )
        .then_error(Code::InstanceExpiredOrInArrears);
    assert!(e.message().contains(id.as_str()), "{}", e.message());
}

#[test]
fn postpaid_to_prepaid_sets_expired_time_from_the_period_and_clears_auto_release_time() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    s.when(
        "ModifyInstanceAutoReleaseTime",
        &[
            ("InstanceId", id.as_str()),
            ("AutoReleaseTime", &after(&s, DAY)),
        ],
    )
    .then_ok();
    let ids = format!(r#"["{id}"]"#);
    let events = s
        .when(
            "ModifyInstanceChargeType",
            &[("InstanceIds", &ids), ("Period", "2")],
        )
        .then_types(&["InstanceChargeTypeChanged", "DiskChargeTypeChanged"]);
    let instance = &s.state().instances[&id];
    assert_eq!(
        instance.charge_type,
        ChargeType::PrePaid,
        "PrePaid is the default"
    );
    assert_eq!(
        instance.expired_time,
        s.now().add_months(2),
        "{:?}",
        types(&events)
    );
    assert_eq!(instance.auto_release_time, None);
    // Only the system disk followed: data disks need IncludeDataDisks.
    let disks = s.disks_of(&id);
    assert_eq!(s.state().disks[&disks[0]].charge_type, ChargeType::PrePaid);
    assert_eq!(s.state().disks[&disks[1]].charge_type, ChargeType::PostPaid);
}

#[test]
fn modify_instance_charge_type_is_all_or_nothing_and_the_first_failure_names_its_instance() {
    let mut s = Scenario::new();
    let good = s.given_stopped_instance(&[]);
    let starting = s.given_stopped_instance(&[]);
    s.given_status(&starting, InstanceStatus::Starting);
    let already = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let ids = format!(r#"["{good}","{starting}","{already}"]"#);
    let e = s
        .when(
            "ModifyInstanceChargeType",
            &[("InstanceIds", &ids), ("Period", "1")],
        )
        .then_error(Code::IncorrectInstanceStatus);
    assert!(e.message().contains(starting.as_str()), "{}", e.message());
    assert_eq!(s.state().instances[&good].charge_type, ChargeType::PostPaid);
    let ids = format!(r#"["{good}","{already}"]"#);
    let e = s
        .when(
            "ModifyInstanceChargeType",
            &[("InstanceIds", &ids), ("Period", "1")],
        )
        .then_error(Code::InvalidParameter);
    assert!(
        e.message().contains("InstanceChargeType"),
        "{}",
        e.message()
    );
    assert!(e.message().contains(already.as_str()), "{}", e.message());
}

#[test]
fn modify_instance_charge_type_parameters_are_checked() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[]);
    let one = format!(r#"["{id}"]"#);
    let many: Vec<String> = (0..21)
        .map(|n| format!("\"i-manyinstance{n:03}\""))
        .collect();
    let many = format!("[{}]", many.join(","));
    let twice = format!(r#"["{id}","{id}"]"#);
    let cases: [(Params, Code, &str); 5] = [
        (&[("Period", "1")], Code::MissingParameter, "InstanceIds"),
        (
            &[("InstanceIds", "i-1234"), ("Period", "1")],
            Code::InvalidParameter,
            "InstanceIds",
        ),
        (
            &[("InstanceIds", &many), ("Period", "1")],
            Code::InvalidParameter,
            "InstanceIds",
        ),
        (
            &[("InstanceIds", &twice), ("Period", "1")],
            Code::InvalidParameter,
            "InstanceIds",
        ),
        (&[("InstanceIds", &one)], Code::MissingParameter, "Period"),
    ];
    for (params, code, named) in cases {
        let e = s.when("ModifyInstanceChargeType", params).then_error(code);
        assert!(e.message().contains(named), "{}", e.message());
    }
    s.when(
        "ModifyInstanceChargeType",
        &[("InstanceIds", &one), ("Period", "1"), ("DryRun", "true")],
    )
    .then_error(Code::DryRunOperation);
    assert_eq!(s.state().instances[&id].charge_type, ChargeType::PostPaid);
}

// ---------------------------------------------------------------- §7.5

#[test]
fn describe_instance_history_events_lists_expiry_stops_and_deletes_and_keeps_them_after_release() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let other = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.advance(31 * DAY + 15 * DAY + 1);
    assert!(released(&s, &id) && released(&s, &other));
    let body = s.describe("DescribeInstanceHistoryEvents", &[]);
    let list = body["InstanceSystemEventSet"]["InstanceSystemEventType"]
        .as_array()
        .unwrap();
    let names: Vec<(&str, &str)> = list
        .iter()
        .map(|e| {
            (
                e["InstanceId"].as_str().unwrap(),
                e["EventType"]["Name"].as_str().unwrap(),
            )
        })
        .collect();
    // The running one was stopped by its expiry; the stopped one was not.
    assert_eq!(
        names,
        [
            (id.as_str(), "InstanceExpiration.Stop"),
            (id.as_str(), "InstanceExpiration.Delete"),
            (other.as_str(), "InstanceExpiration.Delete"),
        ]
    );
    assert_eq!(body["TotalCount"], 3);
    let e = &list[0];
    assert_eq!(e["EventCycleStatus"]["Name"], "Executed");
    assert!(e["EventId"].as_str().unwrap().starts_with("e-"));
    for field in ["NotBefore", "EventPublishTime", "EventFinishTime"] {
        assert!(e[field].as_str().unwrap().ends_with('Z'), "{field}");
    }
    let only = s.describe(
        "DescribeInstanceHistoryEvents",
        &[
            ("InstanceId", id.as_str()),
            ("EventType", "InstanceExpiration.Delete"),
        ],
    );
    assert_eq!(only["TotalCount"], 1);
    let page = s.describe(
        "DescribeInstanceHistoryEvents",
        &[("PageSize", "2"), ("PageNumber", "2")],
    );
    assert_eq!(
        page["InstanceSystemEventSet"]["InstanceSystemEventType"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.as_account("someone-else");
    let theirs = s.describe("DescribeInstanceHistoryEvents", &[]);
    assert_eq!(theirs["TotalCount"], 0, "other accounts see nothing");
}

/// As in ECS, the system events completed within the last 30 days are
/// listed; older ones are dropped (so they do not pile up in the ledger).
#[test]
fn describe_instance_history_events_lists_only_the_last_30_days() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.advance(31 * DAY + 15 * DAY + 1);
    assert!(released(&s, &id));
    let total =
        |s: &mut Scenario| s.describe("DescribeInstanceHistoryEvents", &[])["TotalCount"].clone();
    assert_eq!(total(&mut s), 2);
    // 30 days after the expiry stopped it, only the release is listed.
    s.advance(16 * DAY);
    assert_eq!(total(&mut s), 1);
    s.advance(15 * DAY);
    assert_eq!(total(&mut s), 0);
}

// ---------------------------------------------------------------- timers that coincide

/// Advances the scenario's clock to `t` (applying what fell due on the way).
fn advance_to(s: &mut Scenario, t: Timestamp) -> Vec<Recorded> {
    let secs = t.unix() - s.now().unix();
    s.advance(secs)
}

/// A start that completes at the very time the platform releases the
/// instance: the status ends first, then the release, each the platform's
/// own request at that time (two transitions of one instance due at once
/// must not stop the machine).
#[test]
fn a_start_completing_at_the_auto_release_time_is_followed_by_the_release() {
    let mut s = Scenario::new();
    let id = s.given_stopped_instance(&[]);
    let t = Timestamp::parse_rfc3339("2026-01-01T02:00:00Z").unwrap();
    s.when(
        "ModifyInstanceAutoReleaseTime",
        &[
            ("InstanceId", id.as_str()),
            ("AutoReleaseTime", &t.to_string()),
        ],
    )
    .then_ok();
    advance_to(&mut s, Timestamp::from_unix(t.unix() - 3).unwrap());
    s.when("StartInstance", &[("InstanceId", id.as_str())])
        .then_types(&["InstanceStatusChanged"]);
    let due = s.advance(3);
    assert_eq!(
        types(&due),
        [
            "InstanceStatusChanged",
            "InstanceReleaseTriggered",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
    assert!(due.iter().all(|r| r.time == t), "all at the release time");
    assert_ne!(due[0].request_id, due[1].request_id, "two requests");
    match &due[2].event {
        Event::InstanceReleased(e) => {
            assert_eq!(e.previous_status, InstanceStatus::Running);
            assert!(e.forced);
        }
        other => panic!("{other:?}"),
    }
    assert!(released(&s, &id));
}

/// A stop that completes at the very time a subscription expires: the stop
/// first, then the expiry (the lock; no second stop).
#[test]
fn a_stop_completing_at_the_expiry_is_followed_by_the_expiry() {
    let mut s = Scenario::new();
    let id = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let expiry = s.state().instances[&id].expired_time.unwrap();
    advance_to(&mut s, Timestamp::from_unix(expiry.unix() - 3).unwrap());
    s.when("StopInstance", &[("InstanceId", id.as_str())])
        .then_types(&["InstanceStatusChanged"]);
    let due = s.advance(3);
    assert_eq!(
        types(&due),
        ["InstanceStatusChanged", "InstanceExpired", "InstanceLocked"]
    );
    assert!(due.iter().all(|r| r.time == expiry));
    assert_eq!(status(&s, &id), InstanceStatus::Stopped);
    assert!(s.state().instances[&id].expired);
}
