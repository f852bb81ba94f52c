//! docs/BEHAVIOUR.md §2 and §4: the supporting actions' rules: status requirements,
//! locks, transitions and their timing, expiry and renewal, account isolation.

use ecs_ledger::core::testing::{Scenario, types};
use ecs_ledger::model::Code;
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::model::values::{DiskStatus, InstanceStatus, LockReason};

fn status(s: &Scenario, id: &ecs_ledger::model::id::InstanceId) -> InstanceStatus {
    s.state().instances[id].status
}

// ------------------------------------------------------------ transitions

#[test]
fn create_instance_is_pending_then_stopped_after_5_seconds_stamped_with_the_due_time() {
    let mut s = Scenario::new();
    let created = s.given_request("CreateInstance", &[]);
    let id = s.state().instances.keys().next().unwrap().clone();
    assert_eq!(status(&s, &id), InstanceStatus::Pending);
    assert!(s.advance(4).is_empty());
    // Jump well past the due time: the event carries the due time, not now.
    let applied = s.advance(100);
    assert_eq!(types(&applied), ["InstanceStatusChanged"]);
    let json = applied[0].to_json();
    assert_eq!(json["From"], "Pending");
    assert_eq!(json["To"], "Stopped");
    assert_eq!(json["Reason"], "Created");
    assert_eq!(applied[0].time, created[0].time.add_secs(5).unwrap());
    assert_eq!(status(&s, &id), InstanceStatus::Stopped);
}

#[test]
fn start_takes_3_seconds_and_stop_takes_3_seconds() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    let started = s.given_request("StartInstance", &[("InstanceId", i.as_str())]);
    assert_eq!(started[0].to_json()["To"], "Starting");
    assert_eq!(status(&s, &i), InstanceStatus::Starting);
    assert!(s.advance(2).is_empty());
    assert_eq!(types(&s.advance(1)), ["InstanceStatusChanged"]);
    assert_eq!(status(&s, &i), InstanceStatus::Running);
    s.given_request(
        "StopInstance",
        &[("InstanceId", i.as_str()), ("ForceStop", "true")],
    );
    assert_eq!(status(&s, &i), InstanceStatus::Stopping);
    s.advance(3);
    assert_eq!(status(&s, &i), InstanceStatus::Stopped);
}

#[test]
fn transitions_are_applied_before_the_action_that_follows_them() {
    let mut s = Scenario::new();
    let events = s.given_request("CreateInstance", &[]);
    let id = events[0].event.tags()[0].unwrap().to_owned();
    s.set_now(s.now().add_secs(5).unwrap());
    // No advance(): the StartInstance itself must first apply Pending -> Stopped.
    let before = s.log.len();
    s.given_request("StartInstance", &[("InstanceId", &id)]);
    assert_eq!(
        types(&s.log[before..]),
        ["InstanceStatusChanged", "InstanceStatusChanged"]
    );
}

#[test]
fn durations_are_configurable_and_zero_is_allowed() {
    let mut s = Scenario::new();
    s.durations.create_secs = 0;
    s.durations.start_secs = 60;
    let i = s.given_stopped_instance(&[]);
    assert_eq!(status(&s, &i), InstanceStatus::Stopped);
    s.given_request("StartInstance", &[("InstanceId", i.as_str())]);
    s.advance(59);
    assert_eq!(status(&s, &i), InstanceStatus::Starting);
    s.advance(1);
    assert_eq!(status(&s, &i), InstanceStatus::Running);
}

// ------------------------------------------------------------ Start / Stop

#[test]
fn start_instance_requires_stopped() {
    let mut s = Scenario::new();
    let created = s.given_request("CreateInstance", &[]);
    let id = created[0].event.tags()[0].unwrap().to_owned();
    s.when("StartInstance", &[("InstanceId", &id)])
        .then_error(Code::InstanceInitializing);
    s.advance(5);
    s.given_request("StartInstance", &[("InstanceId", &id)]);
    s.when("StartInstance", &[("InstanceId", &id)])
        .then_error(Code::IncorrectInstanceStatus);
    s.advance(3);
    s.when("StartInstance", &[("InstanceId", &id)])
        .then_error(Code::IncorrectInstanceStatus);
}

#[test]
fn start_instance_is_refused_when_security_locked() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.given_request(
        "LockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "security")],
    );
    s.when("StartInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::InstanceLockedForSecurity);
    s.given_request(
        "UnlockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "security")],
    );
    s.when("StartInstance", &[("InstanceId", i.as_str())])
        .then_ok();
}

#[test]
fn start_instance_is_refused_with_a_financial_lock() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.given_request(
        "LockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "financial")],
    );
    let e = s
        .when("StartInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::InstanceExpiredOrInArrears);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
}

#[test]
fn stop_instance_requires_running_and_is_not_blocked_by_locks() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.when("StopInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::IncorrectInstanceStatus);
    s.given_request("StartInstance", &[("InstanceId", i.as_str())]);
    s.when("StopInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::IncorrectInstanceStatus);
    s.advance(3);
    for reason in ["security", "financial", "Recycling"] {
        s.given_request(
            "LockInstance",
            &[("InstanceId", i.as_str()), ("LockReason", reason)],
        );
    }
    s.when("StopInstance", &[("InstanceId", i.as_str())])
        .then_ok();
}

#[test]
fn dry_run_start_and_stop_append_nothing() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    let before = s.log.len();
    s.when(
        "StartInstance",
        &[("InstanceId", i.as_str()), ("DryRun", "true")],
    )
    .then_error(Code::DryRunOperation);
    assert_eq!(s.log.len(), before);
}

// ------------------------------------------------------------ locks

#[test]
fn a_lock_does_not_change_the_status() {
    let mut s = Scenario::new();
    let i = s.given_running_instance(&[]);
    for reason in LockReason::ALL {
        s.given_request(
            "LockInstance",
            &[("InstanceId", i.as_str()), ("LockReason", reason.as_str())],
        );
        assert_eq!(status(&s, &i), InstanceStatus::Running);
    }
    assert_eq!(s.state().instances[&i].locks.len(), LockReason::ALL.len());
}

#[test]
fn lock_reasons_are_validated_and_unlocking_a_missing_lock_is_an_error() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.when(
        "LockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "Security")],
    )
    .then_error(Code::InvalidParameter);
    s.when("LockInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::MissingParameter);
    s.when(
        "UnlockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "security")],
    )
    .then_error(Code::LockNotFound);
}

#[test]
fn security_lock_refuses_modify_attach_detach_and_snapshot() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let disks = s.disks_of(&i);
    let spare = s.given_request("CreateDisk", &[("Size", "20")])[0]
        .event
        .tags()[0]
        .unwrap()
        .to_owned();
    s.given_request(
        "LockInstance",
        &[("InstanceId", i.as_str()), ("LockReason", "security")],
    );
    s.when(
        "ModifyInstanceAttribute",
        &[("InstanceId", i.as_str()), ("InstanceName", "x")],
    )
    .then_error(Code::InstanceLockedForSecurity);
    s.when(
        "AttachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", &spare)],
    )
    .then_error(Code::InstanceLockedForSecurity);
    s.when(
        "DetachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", disks[1].as_str())],
    )
    .then_error(Code::InstanceLockedForSecurity);
    s.when("CreateSnapshot", &[("DiskId", disks[1].as_str())])
        .then_error(Code::InstanceLockedForSecurity);
    // Not blocked: ModifyDiskAttribute, and the platform's auto snapshot.
    s.when(
        "ModifyDiskAttribute",
        &[
            ("DiskId", disks[1].as_str()),
            ("DeleteWithInstance", "false"),
        ],
    )
    .then_ok();
    s.when("CreateAutoSnapshot", &[("DiskId", disks[1].as_str())])
        .then_ok();
}

// ------------------------------------------------------------ expiry and renewal

#[test]
fn expiry_stops_a_running_subscription_and_adds_a_financial_lock() {
    let mut s = Scenario::new();
    let i = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let expires = s.state().instances[&i].expired_time.unwrap();
    assert_eq!(
        expires,
        Timestamp::parse_rfc3339("2026-02-01T00:00:00Z").unwrap()
    );
    let applied = s.advance(40 * 24 * 3600);
    assert_eq!(
        types(&applied),
        ["InstanceExpired", "InstanceStatusChanged", "InstanceLocked"]
    );
    assert!(
        applied.iter().all(|r| r.time == expires),
        "stamped with the expiry time"
    );
    assert_eq!(applied[1].to_json()["Reason"], "Expired");
    assert_eq!(applied[2].to_json()["LockReason"], "financial");
    assert_eq!(status(&s, &i), InstanceStatus::Stopped);
    s.when("StartInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::InstanceExpiredOrInArrears);
    // An expired subscription can be released (row 6 no longer applies).
    s.when(
        "DeleteInstance",
        &[("InstanceId", i.as_str()), ("DryRun", "true")],
    )
    .then_error(Code::DryRunOperation);
}

#[test]
fn expiry_of_a_stopped_subscription_only_locks() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("InstanceChargeType", "PrePaid"),
        ("Period", "2"),
        ("PeriodUnit", "Week"),
    ]);
    let applied = s.advance(15 * 24 * 3600);
    assert_eq!(types(&applied), ["InstanceExpired", "InstanceLocked"]);
    assert_eq!(status(&s, &i), InstanceStatus::Stopped);
}

#[test]
fn renew_extends_expiry_lifts_the_financial_lock_and_start_works_again() {
    let mut s = Scenario::new();
    let i = s.given_running_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.advance(31 * 24 * 3600);
    let renewed = s
        .when(
            "RenewInstance",
            &[("InstanceId", i.as_str()), ("Period", "2")],
        )
        .then_types(&["InstanceRenewed", "InstanceUnlocked"]);
    // Expired: the renewal runs from now (given running at 00:00:00, +31
    // days), not from the past expiry.
    assert_eq!(s.now().to_string(), "2026-02-01T00:00:00Z");
    assert_eq!(renewed[0].to_json()["ExpiredTime"], "2026-04-01T00:00:00Z");
    assert!(
        !s.state().instances[&i]
            .locks
            .contains_key(&LockReason::Financial)
    );
    assert_eq!(
        status(&s, &i),
        InstanceStatus::Stopped,
        "renewal does not start it"
    );
    s.when("StartInstance", &[("InstanceId", i.as_str())])
        .then_ok();
    // Unexpired again: ChargeTypeViolation for a release.
    s.advance(3);
    s.given_request("StopInstance", &[("InstanceId", i.as_str())]);
    s.advance(3);
    s.when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::ChargeTypeViolation);
}

#[test]
fn renew_before_expiry_extends_from_the_current_expiry() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    let renewed = s
        .when(
            "RenewInstance",
            &[
                ("InstanceId", i.as_str()),
                ("Period", "1"),
                ("PeriodUnit", "Week"),
            ],
        )
        .then_types(&["InstanceRenewed"]);
    assert_eq!(renewed[0].to_json()["ExpiredTime"], "2026-02-08T00:00:00Z");
}

#[test]
fn renew_of_a_pay_as_you_go_instance_is_charge_type_violation() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.when(
        "RenewInstance",
        &[("InstanceId", i.as_str()), ("Period", "1")],
    )
    .then_error(Code::ChargeTypeViolation);
}

#[test]
fn calendar_months_clamp_to_the_end_of_the_month() {
    let mut s = Scenario::new();
    s.set_now(Timestamp::parse_rfc3339("2026-01-31T12:00:00Z").unwrap());
    let i = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    assert_eq!(
        s.state().instances[&i].expired_time.unwrap().to_string(),
        "2026-02-28T12:00:00Z"
    );
}

// ------------------------------------------------------------ CreateInstance parameters

#[test]
fn create_instance_parameters_are_validated_and_named() {
    let mut s = Scenario::new();
    type Case<'a> = (&'a [(&'a str, &'a str)], Code, &'a str);
    let cases: &[Case] = &[
        (
            &[("InstanceChargeType", "Spot")],
            Code::InvalidParameter,
            "InstanceChargeType",
        ),
        (
            &[("InstanceChargeType", "PrePaid")],
            Code::MissingParameter,
            "Period",
        ),
        (
            &[("InstanceChargeType", "PrePaid"), ("Period", "61")],
            Code::InvalidParameter,
            "Period",
        ),
        (
            &[("InstanceChargeType", "PrePaid"), ("Period", "0")],
            Code::InvalidParameter,
            "Period",
        ),
        (
            &[
                ("InstanceChargeType", "PrePaid"),
                ("Period", "5"),
                ("PeriodUnit", "Week"),
            ],
            Code::InvalidParameter,
            "Period",
        ),
        (
            &[
                ("InstanceChargeType", "PrePaid"),
                ("Period", "1"),
                ("PeriodUnit", "Year"),
            ],
            Code::InvalidParameter,
            "PeriodUnit",
        ),
        (
            &[
                ("InstanceChargeType", "PrePaid"),
                ("Period", "1"),
                ("DeletionProtection", "true"),
            ],
            Code::InvalidParameter,
            "DeletionProtection",
        ),
        (
            &[("DeletionProtection", "yes")],
            Code::InvalidParameter,
            "DeletionProtection",
        ),
        (
            &[("SystemDisk.Size", "10")],
            Code::InvalidParameter,
            "SystemDisk.Size",
        ),
        (
            &[("DataDisk.1.Size", "10")],
            Code::InvalidParameter,
            "DataDisk.1.Size",
        ),
        (
            &[("DataDisk.1.DeleteWithInstance", "false")],
            Code::MissingParameter,
            "DataDisk.1.Size",
        ),
        (
            &[("DataDisk.17.Size", "20")],
            Code::InvalidParameter,
            "DataDisk.17",
        ),
        (
            &[("DataDisk.x.Size", "20")],
            Code::InvalidParameter,
            "DataDisk.x.Size",
        ),
    ];
    for (params, code, named) in cases {
        let e = s.when("CreateInstance", params).then_error(*code);
        assert!(e.message().contains(named), "{params:?}: {}", e.message());
    }
    assert!(s.log.is_empty());
}

#[test]
fn create_instance_makes_system_and_data_disks_with_their_flags() {
    let mut s = Scenario::new();
    let events = s
        .when(
            "CreateInstance",
            &[
                ("SystemDisk.Size", "80"),
                ("DataDisk.1.Size", "100"),
                ("DataDisk.2.Size", "200"),
                ("DataDisk.2.DeleteWithInstance", "FALSE"),
                ("DataDisk.2.DeleteAutoSnapshot", "True"),
                ("InstanceName", "web-1"),
                ("RegionId", "cn-hangzhou"),
                ("SecurityGroupId", "sg-ignored"),
            ],
        )
        .then_types(&[
            "InstanceCreated",
            "DiskCreated",
            "DiskCreated",
            "DiskCreated",
        ]);
    let i = &s.state().instances.values().next().unwrap().clone();
    assert_eq!(i.attributes.instance_name, "web-1");
    let disks: Vec<_> = i.disks.iter().map(|d| s.state().disks[d].clone()).collect();
    assert_eq!(disks[0].size, 80);
    assert!(disks[0].delete_with_instance);
    assert_eq!(disks[1].size, 100);
    assert!(disks[1].delete_with_instance && !disks[1].delete_auto_snapshot);
    assert!(!disks[2].delete_with_instance && disks[2].delete_auto_snapshot);
    assert!(disks.iter().all(|d| d.status == DiskStatus::InUse));
    assert_eq!(events[0].to_json()["InstanceChargeType"], "PostPaid");
}

#[test]
fn sixteen_data_disks_are_the_limit_for_attach_too() {
    let mut s = Scenario::new();
    let params: Vec<(String, String)> = (1..=16)
        .map(|n| (format!("DataDisk.{n}.Size"), "20".into()))
        .collect();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let i = s.given_stopped_instance(&refs);
    let spare = s.given_request("CreateDisk", &[("Size", "20")])[0]
        .event
        .tags()[0]
        .unwrap()
        .to_owned();
    s.when(
        "AttachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", &spare)],
    )
    .then_error(Code::InstanceDiskLimitExceeded);
}

// ------------------------------------------------------------ disks

#[test]
fn attach_disk_requires_running_or_stopped_and_an_available_disk() {
    let mut s = Scenario::new();
    let created = s.given_request("CreateInstance", &[("DataDisk.1.Size", "40")]);
    let id = created[0].event.tags()[0].unwrap().to_owned();
    let spare = s.given_request("CreateDisk", &[("Size", "20")])[0]
        .event
        .tags()[0]
        .unwrap()
        .to_owned();
    s.when("AttachDisk", &[("InstanceId", &id), ("DiskId", &spare)])
        .then_error(Code::IncorrectInstanceStatus);
    s.advance(5);
    let attached = s
        .when("AttachDisk", &[("InstanceId", &id), ("DiskId", &spare)])
        .then_types(&["DiskAttached"]);
    assert_eq!(attached[0].to_json()["DeleteWithInstance"], false);
    s.when("AttachDisk", &[("InstanceId", &id), ("DiskId", &spare)])
        .then_error(Code::IncorrectDiskStatus);
}

#[test]
fn detach_disk_rules() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let other = s.given_stopped_instance(&[]);
    let disks = s.disks_of(&i);
    let e = s
        .when(
            "DetachDisk",
            &[("InstanceId", i.as_str()), ("DiskId", disks[0].as_str())],
        )
        .then_error(Code::DiskTypeViolation);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    s.when(
        "DetachDisk",
        &[
            ("InstanceId", other.as_str()),
            ("DiskId", disks[1].as_str()),
        ],
    )
    .then_error(Code::DiskNotAttachedToInstance);
    s.when(
        "DetachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", disks[1].as_str())],
    )
    .then_types(&["DiskDetached"]);
    let disk = &s.state().disks[&disks[1]];
    assert_eq!(disk.status, DiskStatus::Available);
    assert!(!disk.delete_with_instance);
    s.when(
        "DetachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", disks[1].as_str())],
    )
    .then_error(Code::IncorrectDiskStatus);
}

#[test]
fn delete_disk_only_available_with_the_release_snapshot_rule() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteAutoSnapshot", "true"),
    ]);
    let data = s.disks_of(&i)[1].clone();
    let auto = s.given_snapshot(&data, true);
    let user = s.given_snapshot(&data, false);
    s.when("DeleteDisk", &[("DiskId", data.as_str())])
        .then_error(Code::IncorrectDiskStatus);
    s.given_request(
        "DetachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", data.as_str())],
    );
    let events = s
        .when("DeleteDisk", &[("DiskId", data.as_str())])
        .then_types(&["DiskReleased", "SnapshotReleased", "SnapshotRetained"]);
    assert_eq!(events[0].to_json()["Reason"], "DeleteDisk");
    assert_eq!(events[0].to_json()["InstanceId"], serde_json::Value::Null);
    assert!(!s.state().snapshots.contains_key(&auto));
    assert!(s.state().snapshots.contains_key(&user));
}

#[test]
fn create_disk_is_standalone_available_and_requires_a_valid_size() {
    let mut s = Scenario::new();
    s.when("CreateDisk", &[]).then_error(Code::MissingParameter);
    s.when("CreateDisk", &[("Size", "big")])
        .then_error(Code::InvalidParameter);
    s.when("CreateDisk", &[("Size", "32769")])
        .then_error(Code::InvalidParameter);
    s.when("CreateDisk", &[("Size", "32768")])
        .then_types(&["DiskCreated"]);
    let disk = s.state().disks.values().next().unwrap();
    assert_eq!(disk.status, DiskStatus::Available);
    assert!(!disk.delete_with_instance);
    assert_eq!(disk.instance_id, None);
}

#[test]
fn snapshots_require_a_running_or_stopped_instance_and_have_a_limit() {
    let mut s = Scenario::new();
    let created = s.given_request("CreateInstance", &[]);
    let disk = created[1].event.tags()[0].unwrap().to_owned();
    s.when("CreateSnapshot", &[("DiskId", &disk)])
        .then_error(Code::IncorrectInstanceStatus);
    s.advance(5);
    for _ in 0..256 {
        s.given_request("CreateAutoSnapshot", &[("DiskId", &disk)]);
    }
    s.when("CreateSnapshot", &[("DiskId", &disk)])
        .then_error(Code::SnapshotQuotaExceeded);
}

#[test]
fn delete_snapshot_releases_retained_snapshots_of_released_disks() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    let sys = s.disks_of(&i)[0].clone();
    let snap = s.given_snapshot(&sys, false);
    s.given_request("DeleteInstance", &[("InstanceId", i.as_str())]);
    let events = s
        .when("DeleteSnapshot", &[("SnapshotId", snap.as_str())])
        .then_types(&["SnapshotReleased"]);
    assert_eq!(events[0].to_json()["Reason"], "DeleteSnapshot");
    assert!(s.state().snapshots.is_empty());
}

// ------------------------------------------------------------ routes and load balancers

#[test]
fn route_entries_are_validated() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    let route = |cidr: &'static str| {
        vec![
            ("RouteTableId", "vtb-table00001"),
            ("DestinationCidrBlock", cidr),
            ("NextHopId", i.as_str()),
        ]
    };
    s.when("CreateRouteEntry", &route("10.0.0.0/99"))
        .then_error(Code::CidrBlockMalformed);
    s.when(
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-table00001"),
            ("DestinationCidrBlock", "10.0.0.0/8"),
            ("NextHopId", "i-nothere00001"),
        ],
    )
    .then_error(Code::NextHopNotFound);
    s.when("CreateRouteEntry", &route("10.0.0.0/8"))
        .then_types(&["RouteEntryCreated"]);
    s.when("CreateRouteEntry", &route("10.0.0.0/8"))
        .then_error(Code::CidrBlockDuplicate);
    s.when(
        "DeleteRouteEntry",
        &[
            ("RouteTableId", "vtb-table00001"),
            ("DestinationCidrBlock", "10.1.0.0/16"),
        ],
    )
    .then_error(Code::RouteEntryNotFound);
    s.when(
        "DeleteRouteEntry",
        &[
            ("RouteTableId", "vtb-unknown0001"),
            ("DestinationCidrBlock", "10.0.0.0/8"),
        ],
    )
    .then_error(Code::RouteTableNotFound);
    s.when(
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-table00001"),
            ("DestinationCidrBlock", "10.2.0.0/16"),
            ("NextHopId", i.as_str()),
            ("NextHopType", "RouterInterface"),
        ],
    )
    .then_error(Code::InvalidParameter);
}

#[test]
fn backend_servers_are_validated() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    let lb = ("LoadBalancerId", "lb-balancer0001");
    for (servers, code) in [
        ("not json", Code::BackendServersMalformed),
        ("[]", Code::BackendServersMalformed),
        (r#"[{"Weight":"5"}]"#, Code::BackendServersMalformed),
        (
            r#"[{"ServerId":"i-nothere00001"}]"#,
            Code::BackendServerNotFound,
        ),
    ] {
        s.when("AddBackendServers", &[lb, ("BackendServers", servers)])
            .then_error(code);
    }
    let weight = format!(r#"[{{"ServerId":"{i}","Weight":"101"}}]"#);
    s.when("AddBackendServers", &[lb, ("BackendServers", &weight)])
        .then_error(Code::WeightMalformed);
    let many: Vec<String> = (0..21).map(|n| format!(r#""i-{n:010}""#)).collect();
    let many = format!("[{}]", many.join(","));
    s.when("AddBackendServers", &[lb, ("BackendServers", &many)])
        .then_error(Code::TooManyBackendServers);
    let ok = format!(r#"[{{"ServerId":"{i}","Weight":50}}]"#);
    s.when("AddBackendServers", &[lb, ("BackendServers", &ok)])
        .then_types(&["BackendServerAdded"]);
    let other = s.given_stopped_instance(&[]);
    let not_member = format!(r#"["{other}"]"#);
    s.when(
        "RemoveBackendServers",
        &[lb, ("BackendServers", &not_member)],
    )
    .then_error(Code::ServerIdNotFound);
    s.when(
        "RemoveBackendServers",
        &[
            ("LoadBalancerId", "lb-unknown00001"),
            ("BackendServers", &not_member),
        ],
    )
    .then_error(Code::LoadBalancerNotFound);
}

// ------------------------------------------------------------ account isolation

#[test]
fn every_action_sees_another_accounts_resources_as_missing() {
    let mut s = Scenario::new();
    s.as_account("alice");
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let disks = s.disks_of(&i);
    let snap = s.given_snapshot(&disks[1], false);
    s.given_request(
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-alice00001"),
            ("DestinationCidrBlock", "10.0.0.0/8"),
            ("NextHopId", i.as_str()),
        ],
    );
    s.as_account("bob");
    let id = i.as_str();
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Code);
    let cases: Vec<Case> = vec![
        (
            "DeleteInstance",
            vec![("InstanceId", id)],
            Code::InstanceNotFound,
        ),
        (
            "StartInstance",
            vec![("InstanceId", id)],
            Code::InstanceNotFound,
        ),
        (
            "StopInstance",
            vec![("InstanceId", id)],
            Code::InstanceNotFound,
        ),
        (
            "ModifyInstanceAttribute",
            vec![("InstanceId", id), ("DeletionProtection", "true")],
            Code::InstanceNotFound,
        ),
        (
            "RenewInstance",
            vec![("InstanceId", id), ("Period", "1")],
            Code::InstanceNotFound,
        ),
        (
            "LockInstance",
            vec![("InstanceId", id), ("LockReason", "security")],
            Code::InstanceNotFound,
        ),
        (
            "UnlockInstance",
            vec![("InstanceId", id), ("LockReason", "security")],
            Code::InstanceNotFound,
        ),
        (
            "AttachDisk",
            vec![("InstanceId", id), ("DiskId", disks[1].as_str())],
            Code::InstanceNotFound,
        ),
        (
            "DetachDisk",
            vec![("InstanceId", id), ("DiskId", disks[1].as_str())],
            Code::InstanceNotFound,
        ),
        (
            "ModifyDiskAttribute",
            vec![
                ("DiskId", disks[1].as_str()),
                ("DeleteWithInstance", "true"),
            ],
            Code::DiskNotFound,
        ),
        (
            "CreateSnapshot",
            vec![("DiskId", disks[1].as_str())],
            Code::DiskNotFound,
        ),
        (
            "CreateAutoSnapshot",
            vec![("DiskId", disks[1].as_str())],
            Code::DiskNotFound,
        ),
        (
            "DeleteDisk",
            vec![("DiskId", disks[1].as_str())],
            Code::DiskNotFound,
        ),
        (
            "DeleteSnapshot",
            vec![("SnapshotId", snap.as_str())],
            Code::SnapshotNotFound,
        ),
        (
            "DeleteRouteEntry",
            vec![
                ("RouteTableId", "vtb-alice00001"),
                ("DestinationCidrBlock", "10.0.0.0/8"),
            ],
            Code::RouteTableNotFound,
        ),
    ];
    for (action, params, code) in cases {
        let e = s.when(action, &params).then_error(code);
        assert!(!e.message().contains("alice"), "{action} leaked the owner");
    }
}
