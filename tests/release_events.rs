//! docs/BEHAVIOUR.md §3.3: the exact event sequence of a release.

use ecs_ledger::core::testing::{Scenario, types};
use ecs_ledger::model::Code;
use ecs_ledger::model::id::DiskId;
use ecs_ledger::model::values::{ChargeType, DiskStatus};
use serde_json::Value;

fn field(events: &[ecs_ledger::model::Recorded], i: usize, name: &str) -> Value {
    events[i].to_json()[name].clone()
}

#[test]
fn instance_released_comes_first_then_system_disk_then_data_disks_in_attach_order() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40"), ("DataDisk.2.Size", "50")]);
    // A standalone disk attached later goes after the instance's own data disks.
    let created = s.given_request("CreateDisk", &[("Size", "60")]);
    let extra = created[0].event.tags()[0].unwrap().to_owned();
    s.given_request(
        "AttachDisk",
        &[
            ("InstanceId", i.as_str()),
            ("DiskId", &extra),
            ("DeleteWithInstance", "true"),
        ],
    );
    let disks = s.disks_of(&i);
    assert_eq!(disks.len(), 4);
    assert_eq!(disks[3].as_str(), extra);
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&[
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased",
            "DiskReleased",
            "DiskReleased",
        ]);
    assert_eq!(field(&events, 0, "InstanceId"), i.as_str());
    assert_eq!(field(&events, 0, "PreviousStatus"), "Stopped");
    assert_eq!(field(&events, 0, "Forced"), false);
    assert_eq!(field(&events, 0, "SecurityLocked"), false);
    for (n, disk) in disks.iter().enumerate() {
        assert_eq!(field(&events, n + 1, "DiskId"), disk.as_str(), "disk order");
        assert_eq!(field(&events, n + 1, "InstanceId"), i.as_str());
        assert_eq!(field(&events, n + 1, "Reason"), "DeleteWithInstance");
    }
    assert_eq!(s.state().disks.get(&disks[0]), None);
}

#[test]
fn detaching_a_data_disk_and_reattaching_moves_it_to_the_end() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40"), ("DataDisk.2.Size", "50")]);
    let disks = s.disks_of(&i);
    s.given_request(
        "DetachDisk",
        &[("InstanceId", i.as_str()), ("DiskId", disks[1].as_str())],
    );
    s.given_request(
        "AttachDisk",
        &[
            ("InstanceId", i.as_str()),
            ("DiskId", disks[1].as_str()),
            ("DeleteWithInstance", "true"),
        ],
    );
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_ok();
    let order: Vec<Value> = events[1..]
        .iter()
        .map(|e| e.to_json()["DiskId"].clone())
        .collect();
    assert_eq!(
        order,
        vec![disks[0].as_str(), disks[2].as_str(), disks[1].as_str()]
    );
}

#[test]
fn each_released_disks_snapshots_follow_it_in_creation_order() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteAutoSnapshot", "true"),
    ]);
    let disks = s.disks_of(&i);
    let sys_user = s.given_snapshot(&disks[0], false);
    let data_auto1 = s.given_snapshot(&disks[1], true);
    let data_user = s.given_snapshot(&disks[1], false);
    let data_auto2 = s.given_snapshot(&disks[1], true);
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&[
            "InstanceReleased",
            "DiskReleased",
            "SnapshotRetained",
            "DiskReleased",
            "SnapshotReleased",
            "SnapshotRetained",
            "SnapshotReleased",
        ]);
    assert_eq!(field(&events, 2, "SnapshotId"), sys_user.as_str());
    assert_eq!(field(&events, 2, "SnapshotType"), "user");
    assert_eq!(field(&events, 2, "DiskId"), disks[0].as_str());
    assert_eq!(field(&events, 4, "SnapshotId"), data_auto1.as_str());
    assert_eq!(field(&events, 4, "Reason"), "DeleteAutoSnapshot");
    assert_eq!(field(&events, 5, "SnapshotId"), data_user.as_str());
    assert_eq!(field(&events, 6, "SnapshotId"), data_auto2.as_str());
    assert!(s.state().snapshots.contains_key(&sys_user));
    assert!(s.state().snapshots.contains_key(&data_user));
    assert!(!s.state().snapshots.contains_key(&data_auto1));
    assert!(!s.state().snapshots.contains_key(&data_auto2));
    // Retained snapshots keep their source disk id.
    assert_eq!(s.state().snapshots[&data_user].source_disk_id, disks[1]);
    assert!(s.state().snapshots[&data_user].retained);
}

#[test]
fn delete_auto_snapshot_false_retains_auto_snapshots() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let data = s.disks_of(&i)[1].clone();
    let auto = s.given_snapshot(&data, true);
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&[
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased",
            "SnapshotRetained",
        ]);
    assert_eq!(field(&events, 3, "SnapshotId"), auto.as_str());
    assert_eq!(field(&events, 3, "SnapshotType"), "auto");
    assert!(s.state().snapshots.contains_key(&auto));
}

#[test]
fn delete_auto_snapshot_changed_by_modify_disk_attribute_is_honoured() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let data = s.disks_of(&i)[1].clone();
    let auto = s.given_snapshot(&data, true);
    s.given_request(
        "ModifyDiskAttribute",
        &[("DiskId", data.as_str()), ("DeleteAutoSnapshot", "true")],
    );
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_ok();
    assert_eq!(types(&events).last(), Some(&"SnapshotReleased"));
    assert!(!s.state().snapshots.contains_key(&auto));
}

#[test]
fn manual_snapshots_are_always_retained_even_with_delete_auto_snapshot() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteAutoSnapshot", "true"),
    ]);
    let data = s.disks_of(&i)[1].clone();
    let user = s.given_snapshot(&data, false);
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_ok();
    assert_eq!(types(&events).last(), Some(&"SnapshotRetained"));
    assert_eq!(events.last().unwrap().to_json()["SnapshotType"], "user");
    assert!(s.state().snapshots.contains_key(&user));
}

#[test]
fn security_lock_releases_disks_whose_delete_with_instance_is_false() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteWithInstance", "false"),
        ("DataDisk.2.Size", "40"),
    ]);
    let disks = s.disks_of(&i);
    let snap = s.given_snapshot(&disks[1], true);
    s.given_request(
        "LockInstance",
        &[
            ("InstanceId", i.as_str()),
            ("LockReason", "security"),
            ("LockMsg", "abuse"),
        ],
    );
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&[
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased",
            "SnapshotRetained",
            "DiskReleased",
        ]);
    assert_eq!(field(&events, 0, "SecurityLocked"), true);
    assert_eq!(field(&events, 1, "Reason"), "DeleteWithInstance");
    // SecurityLock only where DeleteWithInstance was false.
    assert_eq!(field(&events, 2, "DiskId"), disks[1].as_str());
    assert_eq!(field(&events, 2, "Reason"), "SecurityLock");
    assert_eq!(field(&events, 3, "SnapshotId"), snap.as_str());
    assert_eq!(field(&events, 4, "Reason"), "DeleteWithInstance");
    assert!(s.state().disks.is_empty());
}

#[test]
fn delete_with_instance_false_detaches_and_keeps_the_disk_with_its_snapshots() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("InstanceChargeType", "PrePaid"),
        ("Period", "1"),
        ("PeriodUnit", "Week"),
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteWithInstance", "false"),
        ("DataDisk.1.DeleteAutoSnapshot", "true"),
    ]);
    let kept: DiskId = s.disks_of(&i)[1].clone();
    let auto = s.given_snapshot(&kept, true);
    let user = s.given_snapshot(&kept, false);
    assert_eq!(s.state().disks[&kept].charge_type, ChargeType::PrePaid);
    s.advance(7 * 24 * 3600); // expire, so the subscription can be released
    let events = s
        .when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&["InstanceReleased", "DiskReleased", "DiskDetached"]);
    assert_eq!(field(&events, 2, "DiskId"), kept.as_str());
    assert_eq!(field(&events, 2, "InstanceId"), i.as_str());
    assert_eq!(field(&events, 2, "Reason"), "InstanceReleased");
    let disk = &s.state().disks[&kept];
    assert_eq!(disk.status, DiskStatus::Available);
    assert_eq!(disk.instance_id, None);
    assert_eq!(disk.charge_type, ChargeType::PostPaid);
    // Its snapshots are untouched: both still there, neither marked retained.
    assert_eq!(disk.snapshots, vec![auto.clone(), user.clone()]);
    assert!(!s.state().snapshots[&auto].retained);
    assert!(!s.state().snapshots[&user].retained);
}

#[test]
fn dry_run_appends_nothing_and_changes_nothing() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let before = (s.log.len(), s.state().clone());
    s.when(
        "DeleteInstance",
        &[("InstanceId", i.as_str()), ("DryRun", "true")],
    )
    .then_error(Code::DryRunOperation);
    assert_eq!((s.log.len(), s.state().clone()), before);
}

#[test]
fn released_resources_are_gone_from_every_action() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
    let disks = s.disks_of(&i);
    let auto = s.given_snapshot(&disks[1], true);
    s.given_request(
        "ModifyDiskAttribute",
        &[
            ("DiskId", disks[1].as_str()),
            ("DeleteAutoSnapshot", "true"),
        ],
    );
    s.given_request("DeleteInstance", &[("InstanceId", i.as_str())]);
    let id = i.as_str();
    for action in [
        "StartInstance",
        "StopInstance",
        "ModifyInstanceAttribute",
        "LockInstance",
        "DeleteInstance",
    ] {
        let mut params = vec![("InstanceId", id)];
        if action == "LockInstance" {
            params.push(("LockReason", "security"));
        }
        s.when(action, &params).then_error(Code::InstanceNotFound);
    }
    for action in [
        "CreateSnapshot",
        "DeleteDisk",
        "ModifyDiskAttribute",
        "CreateAutoSnapshot",
    ] {
        s.when(action, &[("DiskId", disks[1].as_str())])
            .then_error(Code::DiskNotFound);
    }
    s.when("DeleteSnapshot", &[("SnapshotId", auto.as_str())])
        .then_error(Code::SnapshotNotFound);
}
