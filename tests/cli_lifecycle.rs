//! docs/BEHAVIOUR.md §7 through `ecs-ledger exec`, as a user drives it: one
//! `At`-stamped JSON line at a time (exec with a manual clock, so that
//! `AdvanceClock` shows the platform's own transitions in its `Events`, D18),
//! then `ecs-ledger history ID` and `ecs-ledger report --json` on the ledger
//! it wrote. One test per rule: ForceStop=false (§7.1), the automatic release
//! time (§7.2), the end of an unrenewed subscription (§7.3),
//! ModifyInstanceChargeType (§7.4), DescribeInstanceHistoryEvents (§7.5).

mod common;

use common::cli::{Exec, json_lines, run};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A ledger and an `exec` on it with a manual clock.
struct Session {
    dir: TempDir,
    exec: Option<Exec>,
}

/// Where every session's clock starts.
const START: &str = "2026-01-01T00:00:00Z";

impl Session {
    /// A fresh ledger whose clock is at [`START`]: a first `exec` (system
    /// clock) stores it with an `At`-stamped line, and the manual clock of
    /// the second `exec` starts from the stored clock rather than the
    /// system time.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pin = json!({"Action": "DescribeInstances", "At": START}).to_string();
        let out = run(dir.path(), &["exec"], &pin);
        assert_eq!(json_lines(&out.stdout)[0]["Status"], 200, "{}", out.stderr);
        let exec = Exec::spawn(dir.path(), &["--seed", "1", "--clock", "manual"]);
        Self {
            dir,
            exec: Some(exec),
        }
    }

    /// Sends one line (`At` added when given) and returns its output line.
    fn send(&mut self, at: &str, mut line: Value) -> Value {
        if !at.is_empty() {
            line["At"] = Value::from(at);
        }
        let exec = self.exec.as_mut().expect("exec is running");
        exec.send(&line.to_string())
            .unwrap_or_else(|| panic!("no answer to {line}"))
    }

    /// A line that must succeed: its output.
    fn ok(&mut self, at: &str, line: Value) -> Value {
        let out = self.send(at, line.clone());
        assert_eq!(out["Status"], 200, "{line} -> {out}");
        out
    }

    /// A line that must fail with `status` and `code`: its body. An error
    /// appends nothing.
    fn fails(&mut self, at: &str, line: Value, status: u64, code: &str) -> Value {
        let out = self.send(at, line.clone());
        assert_eq!(out["Status"], status, "{line} -> {out}");
        assert_eq!(out["Body"]["Code"], code, "{line} -> {out}");
        assert_eq!(out["Events"], json!([]), "{line}: an error appends nothing");
        out["Body"].clone()
    }

    /// `AdvanceClock` to `to`: the transitions it applied.
    fn advance_to(&mut self, to: &str) -> Vec<Value> {
        let out = self.ok("", json!({"Action": "AdvanceClock", "To": to}));
        assert_eq!(out["Body"]["Time"], to);
        out["Events"].as_array().unwrap().clone()
    }

    /// A new instance, `Stopped` once its creation completes (5 s).
    fn instance(&mut self, at: &str, params: Value) -> String {
        let mut line = json!({"Action": "CreateInstance"});
        for (k, v) in params.as_object().unwrap() {
            line[k] = v.clone();
        }
        let out = self.ok(at, line);
        out["Body"]["InstanceId"].as_str().unwrap().to_owned()
    }

    /// The instance as DescribeInstances shows it (Null when gone).
    fn describe(&mut self, at: &str, id: &str) -> Value {
        let out = self.ok(
            at,
            json!({"Action": "DescribeInstances", "InstanceIds": json!([id]).to_string()}),
        );
        out["Body"]["Instances"]["Instance"][0].clone()
    }

    /// Closes exec (it must exit 0; the log it wrote must verify) and
    /// returns the data directory.
    fn finish(&mut self) -> &std::path::Path {
        if let Some(exec) = self.exec.take() {
            assert_eq!(exec.finish(), 0);
            let verify = run(self.dir.path(), &["verify"], "");
            assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
        }
        self.dir.path()
    }

    /// `ecs-ledger history ID --json`.
    fn history(&mut self, id: &str) -> Vec<Value> {
        let out = run(self.finish(), &["history", id, "--json"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        json_lines(&out.stdout)
    }

    /// `ecs-ledger history ID` (text).
    fn history_text(&mut self, id: &str) -> String {
        let out = run(self.finish(), &["history", id], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    }

    /// The `default` account of `ecs-ledger report --json`.
    fn report(&mut self) -> Value {
        let out = run(self.finish(), &["report", "--json"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let report: Value = serde_json::from_str(&out.stdout).unwrap();
        report["Accounts"][0].clone()
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["Type"].as_str().unwrap()).collect()
}

fn events(out: &Value) -> Vec<Value> {
    out["Events"].as_array().unwrap().clone()
}

/// The fields of an event besides Seq, Time, Type, RequestId, Account, EventId.
fn fields(e: &Value) -> Value {
    let mut e = e.as_object().unwrap().clone();
    for k in ["Seq", "Time", "RequestId", "Account", "EventId"] {
        e.remove(k);
    }
    Value::Object(e)
}

/// Every event stamped `time` and appended by one request (not `other`).
fn one_request_at(events: &[Value], time: &str, other: &str) {
    let request = &events[0]["RequestId"];
    for e in events {
        assert_eq!(e["Time"], time, "{e}");
        assert_eq!(&e["RequestId"], request, "one atomic append: {e}");
    }
    assert_ne!(request, other);
}

fn disks_of(s: &mut Session, at: &str, id: &str) -> Vec<String> {
    let out = s.ok(at, json!({"Action": "DescribeDisks", "InstanceId": id}));
    out["Body"]["Disks"]["Disk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["DiskId"].as_str().unwrap().to_owned())
        .collect()
}

fn report_counts(r: &Value) -> [u64; 4] {
    [
        "InstancesReleased",
        "ReleasedAfterOrderlyStop",
        "ReleasedAtAutoReleaseTime",
        "ReleasedAtSubscriptionEnd",
    ]
    .map(|k| r[k].as_u64().unwrap_or_else(|| panic!("{k} in {r}")))
}

// ---------------------------------------------------------------- §7.1

#[test]
fn exec_force_stop_false_releases_after_the_stop_completes() {
    let mut s = Session::new();
    let id = s.instance(
        "2026-01-01T00:00:00Z",
        json!({"DataDisk.1.Size": 40, "DataDisk.1.DeleteWithInstance": false}),
    );
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": id}),
    );
    let disks = disks_of(&mut s, "2026-01-01T00:00:13Z", &id);
    let release =
        json!({"Action": "DeleteInstance", "InstanceId": id, "Force": true, "ForceStop": false});
    // DryRun: every row passes, nothing happens.
    let mut dry = release.clone();
    dry["DryRun"] = json!(true);
    s.fails("2026-01-01T00:00:20Z", dry, 400, "DryRunOperation");
    assert_eq!(s.describe("2026-01-01T00:00:20Z", &id)["Status"], "Running");

    // 200 at once: the instance starts an orderly stop.
    let out = s.ok("2026-01-01T00:00:21Z", release.clone());
    let request = out["Body"]["RequestId"].as_str().unwrap().to_owned();
    assert_eq!(out["Body"], json!({"RequestId": request}));
    let accepted = events(&out);
    assert_eq!(
        accepted.iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceStatusChanged", "InstanceId": id, "From": "Running", "To": "Stopping", "Reason": "StopForRelease", "Until": "2026-01-01T00:00:24Z"}),
            json!({"Type": "InstanceReleasePending", "InstanceId": id}),
        ]
    );
    for e in &accepted {
        assert_eq!(e["RequestId"], request.as_str());
        assert_eq!(e["Time"], "2026-01-01T00:00:21Z");
    }

    // Meanwhile: Stopping; no second release; no new dependency.
    let shown = s.describe("2026-01-01T00:00:22Z", &id);
    assert_eq!(shown["Status"], "Stopping");
    s.fails(
        "2026-01-01T00:00:22Z",
        release.clone(),
        403,
        "IncorrectInstanceStatus",
    );
    s.fails(
        "2026-01-01T00:00:22Z",
        json!({"Action": "DeleteInstance", "InstanceId": id}),
        403,
        "IncorrectInstanceStatus",
    );
    let batch = s.fails(
        "2026-01-01T00:00:22Z",
        json!({"Action": "DeleteInstances", "InstanceId.1": id, "Force": true}),
        403,
        "IncorrectInstanceStatus",
    );
    assert!(batch["Message"].as_str().unwrap().contains(&id), "{batch}");
    s.fails(
        "2026-01-01T00:00:23Z",
        json!({"Action": "CreateRouteEntry", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": id}),
        403,
        "IncorrectInstanceStatus",
    );
    s.fails(
        "2026-01-01T00:00:23Z",
        json!({"Action": "AddBackendServers", "LoadBalancerId": "lb-lifecycle01", "BackendServers": json!([{"ServerId": id, "Weight": "100"}]).to_string()}),
        403,
        "IncorrectInstanceStatus",
    );
    assert!(s.advance_to("2026-01-01T00:00:23Z").is_empty());

    // The stop completes: the release follows in the same append.
    let later = s.advance_to("2026-01-01T00:00:24Z");
    one_request_at(&later, "2026-01-01T00:00:24Z", &request);
    assert_eq!(
        later.iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceStatusChanged", "InstanceId": id, "From": "Stopping", "To": "Stopped", "Reason": "Stopped", "Until": null}),
            json!({"Type": "InstanceReleaseTriggered", "InstanceId": id, "Trigger": "Request", "CausedBy": request}),
            json!({"Type": "InstanceReleased", "InstanceId": id, "PreviousStatus": "Stopped", "Forced": true, "SecurityLocked": false}),
            json!({"Type": "DiskReleased", "DiskId": disks[0], "InstanceId": id, "Reason": "DeleteWithInstance"}),
            json!({"Type": "DiskDetached", "DiskId": disks[1], "InstanceId": id, "Reason": "InstanceReleased"}),
        ]
    );
    assert_eq!(s.describe("2026-01-01T00:00:25Z", &id), Value::Null);
    s.fails(
        "2026-01-01T00:00:25Z",
        release,
        404,
        "InvalidInstanceId.NotFound",
    );

    // The audit trail names the trigger and the request.
    let history = s.history(&id);
    assert_eq!(
        types(&history),
        [
            "InstanceCreated",
            "DiskCreated",
            "DiskCreated",
            "InstanceStatusChanged",
            "InstanceStatusChanged",
            "InstanceStatusChanged",
            "InstanceStatusChanged",
            "InstanceReleasePending",
            "InstanceStatusChanged",
            "InstanceReleaseTriggered",
            "InstanceReleased",
            "DiskReleased",
            "DiskDetached",
        ]
    );
    let triggered = history
        .iter()
        .find(|e| e["Type"] == "InstanceReleaseTriggered")
        .unwrap();
    assert_eq!(triggered["Trigger"], "Request");
    assert_eq!(triggered["CausedBy"], request.as_str());
    assert!(
        s.history_text(&id)
            .contains(&format!("Trigger=Request CausedBy={request}"))
    );
    assert_eq!(report_counts(&s.report()), [1, 1, 0, 0]);
}

#[test]
fn exec_force_stop_false_matters_only_for_a_forced_release_of_a_running_instance() {
    let mut s = Session::new();
    let powered_off = s.instance("2026-01-01T00:00:00Z", json!({}));
    let stopped = s.instance("2026-01-01T00:00:01Z", json!({}));
    let unforced = s.instance("2026-01-01T00:00:02Z", json!({}));
    for id in [&powered_off, &unforced] {
        s.ok(
            "2026-01-01T00:00:10Z",
            json!({"Action": "StartInstance", "InstanceId": id}),
        );
    }
    // ForceStop defaults to true: a forced release powers off at once.
    let out = s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "DeleteInstance", "InstanceId": powered_off, "Force": true}),
    );
    assert_eq!(types(&events(&out)), ["InstanceReleased", "DiskReleased"]);
    assert_eq!(out["Events"][0]["PreviousStatus"], "Running");
    // A Stopped instance is released at once.
    let out = s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "DeleteInstance", "InstanceId": stopped, "Force": true, "ForceStop": false}),
    );
    assert_eq!(types(&events(&out)), ["InstanceReleased", "DiskReleased"]);
    // Without Force, a Running instance is row 8 whatever ForceStop says.
    s.fails(
        "2026-01-01T00:00:20Z",
        json!({"Action": "DeleteInstance", "InstanceId": unforced, "ForceStop": false}),
        403,
        "IncorrectInstanceStatus",
    );
    s.fails(
        "2026-01-01T00:00:20Z",
        json!({"Action": "DeleteInstance", "InstanceId": unforced, "Force": true, "ForceStop": "maybe"}),
        400,
        "InvalidParameter",
    );
    assert!(s.advance_to("2026-01-01T00:10:00Z").is_empty());
    assert_eq!(report_counts(&s.report()), [2, 0, 0, 0]);
}

#[test]
fn exec_delete_instances_with_force_stop_false_stops_each_running_instance_first() {
    let mut s = Session::new();
    let running = s.instance("2026-01-01T00:00:00Z", json!({}));
    let stopped = s.instance("2026-01-01T00:00:01Z", json!({}));
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": running}),
    );
    let line = json!({"Action": "DeleteInstances", "InstanceId.1": running, "InstanceId.2": stopped, "Force": true, "ForceStop": false});
    let mut dry = line.clone();
    dry["DryRun"] = json!(true);
    s.fails("2026-01-01T00:00:20Z", dry, 400, "DRYRUN.SUCCESS");
    let out = s.ok("2026-01-01T00:00:20Z", line);
    let request = out["Body"]["RequestId"].as_str().unwrap().to_owned();
    assert_eq!(
        types(&events(&out)),
        [
            "InstanceStatusChanged",
            "InstanceReleasePending",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
    assert_eq!(out["Events"][2]["InstanceId"], stopped.as_str());
    assert_eq!(
        s.describe("2026-01-01T00:00:21Z", &running)["Status"],
        "Stopping"
    );
    let later = s.advance_to("2026-01-01T00:00:23Z");
    assert_eq!(
        types(&later),
        [
            "InstanceStatusChanged",
            "InstanceReleaseTriggered",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
    one_request_at(&later, "2026-01-01T00:00:23Z", &request);
    assert_eq!(later[1]["CausedBy"], request.as_str());
    assert_eq!(report_counts(&s.report()), [2, 1, 0, 0]);
}

// ---------------------------------------------------------------- §7.2

#[test]
fn exec_modify_instance_auto_release_time_checks_in_order() {
    let mut s = Session::new();
    let id = s.instance("2026-01-01T00:00:00Z", json!({}));
    let prepaid = s.instance(
        "2026-01-01T00:00:01Z",
        json!({"InstanceChargeType": "PrePaid", "Period": 1}),
    );
    let theirs = s.instance("2026-01-01T00:00:02Z", json!({"Account": "team-b"}));
    let now = "2026-01-01T01:00:00Z";
    let set = |id: &str, t: &str| json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id, "AutoReleaseTime": t});
    // In order: each line would also fail every check after its own.
    let missing = s.fails(
        now,
        json!({"Action": "ModifyInstanceAutoReleaseTime", "AutoReleaseTime": "junk"}),
        400,
        "MissingParameter",
    );
    assert!(missing["Message"].as_str().unwrap().contains("InstanceId"));
    let empty = json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": "", "AutoReleaseTime": "junk"});
    s.fails(now, empty, 400, "MissingParameter");
    let invalid = s.fails(now, set("i-NOPE", "junk"), 400, "InvalidParameter");
    assert_eq!(
        invalid["Message"],
        "The input parameter InstanceId is invalid."
    );
    s.fails(
        now,
        set("i-doesnotexist01", "junk"),
        404,
        "InvalidInstanceId.NotFound",
    );
    s.fails(now, set(&theirs, "junk"), 404, "InvalidInstanceId.NotFound");
    let prepaid_err = s.fails(now, set(&prepaid, "junk"), 403, "ChargeTypeViolation");
    assert_eq!(
        prepaid_err["Message"],
        "The operation is not permitted due to charge type of the instance."
    );
    let malformed = s.fails(
        now,
        set(&id, "junk"),
        400,
        "InvalidAutoReleaseTime.Malformed",
    );
    assert_eq!(
        malformed["Message"],
        "The specified parameter autoReleaseTime is not valid."
    );
    for bad in [
        "2026-01-01T01:29:00Z",      // less than 30 minutes ahead
        "2026-01-01T01:29Z",         // the same, minute form
        "2029-01-01T01:01:00Z",      // more than three years ahead
        "2025-12-31T00:00:00Z",      // in the past
        "2026-01-02 00:00:00",       // not ISO 8601
        "2026-01-02T00:00:00+08:00", // not UTC
        "2026-01-02T00:00:00.000Z",  // fractions
        "2026-01-02",                // no time
    ] {
        s.fails(now, set(&id, bad), 400, "InvalidAutoReleaseTime.Malformed");
    }
    let mut dry = set(&id, "2026-01-02T00:00:00Z");
    dry["DryRun"] = json!(true);
    s.fails(now, dry, 400, "DryRunOperation");
    assert_eq!(s.describe(now, &id)["AutoReleaseTime"], "");

    // The bounds are inclusive; seconds are dropped; the minute form is taken.
    let changed = |out: &Value| -> Value {
        assert_eq!(out["Body"], json!({"RequestId": out["Body"]["RequestId"]}));
        let e = events(out);
        assert_eq!(e.len(), 1, "{out}");
        assert_eq!(e[0]["Type"], "AutoReleaseTimeChanged");
        assert_eq!(e[0]["InstanceId"], id.as_str());
        e[0]["AutoReleaseTime"].clone()
    };
    let out = s.ok(now, set(&id, "2026-01-01T01:30:00Z"));
    assert_eq!(changed(&out), "2026-01-01T01:30:00Z");
    let out = s.ok(now, set(&id, "2029-01-01T01:00:00Z"));
    assert_eq!(changed(&out), "2029-01-01T01:00:00Z");
    let out = s.ok(now, set(&id, "2026-01-02T03:04:59Z"));
    assert_eq!(changed(&out), "2026-01-02T03:04:00Z");
    assert_eq!(
        s.describe(now, &id)["AutoReleaseTime"],
        "2026-01-02T03:04:00Z"
    );
    // The same time again, in the minute form: nothing to record.
    let out = s.ok(now, set(&id, "2026-01-02T03:04Z"));
    assert_eq!(out["Events"], json!([]));
    // Empty cancels; absent cancels (and a second cancel records nothing).
    let out = s.ok(now, set(&id, ""));
    assert_eq!(changed(&out), Value::Null);
    assert_eq!(s.describe(now, &id)["AutoReleaseTime"], "");
    s.ok(now, set(&id, "2026-01-02T03:04Z"));
    let cancel = json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id});
    let out = s.ok(now, cancel.clone());
    assert_eq!(changed(&out), Value::Null);
    let out = s.ok(now, cancel);
    assert_eq!(out["Events"], json!([]));
    // Cancelled: nothing happens at that time.
    assert!(s.advance_to("2026-01-03T00:00:00Z").is_empty());
    assert_eq!(s.describe("", &id)["Status"], "Stopped");
}

#[test]
fn exec_auto_release_time_releases_at_that_time_despite_deletion_protection() {
    let mut s = Session::new();
    let id = s.instance(
        "2026-01-01T00:00:00Z",
        json!({"DeletionProtection": true, "DataDisk.1.Size": 40, "DataDisk.1.DeleteWithInstance": false}),
    );
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": id}),
    );
    let disks = disks_of(&mut s, "2026-01-01T00:00:13Z", &id);
    s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "CreateRouteEntry", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": id}),
    );
    s.ok(
        "2026-01-01T00:00:21Z",
        json!({"Action": "AddBackendServers", "LoadBalancerId": "lb-lifecycle01", "BackendServers": json!([{"ServerId": id, "Weight": "100"}]).to_string()}),
    );
    let out = s.ok(
        "2026-01-01T00:01:00Z",
        json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id, "AutoReleaseTime": "2026-01-02T00:00:59Z"}),
    );
    assert_eq!(
        events(&out).iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "AutoReleaseTimeChanged", "InstanceId": id, "AutoReleaseTime": "2026-01-02T00:00:00Z"})
        ]
    );
    let shown = s.describe("2026-01-01T00:01:00Z", &id);
    assert_eq!(shown["AutoReleaseTime"], "2026-01-02T00:00:00Z");
    assert_eq!(shown["DeletionProtection"], true);
    // Deletion protection still guards a manual release.
    s.fails(
        "2026-01-01T00:02:00Z",
        json!({"Action": "DeleteInstance", "InstanceId": id, "Force": true}),
        400,
        "InvalidOperation.DeletionProtection",
    );
    assert!(s.advance_to("2026-01-01T23:59:59Z").is_empty());
    let release = s.advance_to("2026-01-02T00:00:00Z");
    one_request_at(&release, "2026-01-02T00:00:00Z", "");
    assert_eq!(
        release.iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceReleaseTriggered", "InstanceId": id, "Trigger": "AutoReleaseTime", "CausedBy": null}),
            json!({"Type": "RouteEntryDeleted", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": id}),
            json!({"Type": "BackendServerRemoved", "LoadBalancerId": "lb-lifecycle01", "ServerId": id}),
            json!({"Type": "InstanceReleased", "InstanceId": id, "PreviousStatus": "Running", "Forced": true, "SecurityLocked": false}),
            json!({"Type": "DiskReleased", "DiskId": disks[0], "InstanceId": id, "Reason": "DeleteWithInstance"}),
            json!({"Type": "DiskDetached", "DiskId": disks[1], "InstanceId": id, "Reason": "InstanceReleased"}),
        ]
    );
    assert_eq!(s.describe("", &id), Value::Null);
    // The route table and the load balancer no longer name it.
    let out = s.send(
        "2026-01-02T00:00:01Z",
        json!({"Action": "DeleteRouteEntry", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16"}),
    );
    assert_eq!(out["Status"], 400, "{out}");
    let history = s.history(&id);
    let triggered = history
        .iter()
        .find(|e| e["Type"] == "InstanceReleaseTriggered")
        .unwrap();
    assert_eq!(triggered["Trigger"], "AutoReleaseTime");
    assert_eq!(triggered["CausedBy"], Value::Null);
    assert!(s.history_text(&id).contains("Trigger=AutoReleaseTime"));
    let report = s.report();
    assert_eq!(report_counts(&report), [1, 0, 1, 0]);
    assert_eq!(report["KeptDisks"][0]["DiskId"], disks[1].as_str());
}

/// A start completing at the very time of the automatic release: the
/// start completes, then the release follows at that time (this stopped
/// exec with an internal error before).
#[test]
fn exec_a_start_completing_at_the_auto_release_time_is_followed_by_the_release() {
    let mut s = Session::new();
    let id = s.instance(START, json!({}));
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id, "AutoReleaseTime": "2026-01-01T01:00:00Z"}),
    );
    s.ok(
        "2026-01-01T00:59:57Z",
        json!({"Action": "StartInstance", "InstanceId": id}),
    );
    let due = s.advance_to("2026-01-01T01:00:00Z");
    assert_eq!(
        types(&due),
        [
            "InstanceStatusChanged",
            "InstanceReleaseTriggered",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
    assert_eq!(due[0]["To"], "Running");
    assert_eq!(due[1]["Trigger"], "AutoReleaseTime");
    assert_eq!(due[2]["PreviousStatus"], "Running");
    assert!(due.iter().all(|e| e["Time"] == "2026-01-01T01:00:00Z"));
    assert_ne!(due[0]["RequestId"], due[1]["RequestId"], "two requests");
    assert_eq!(s.describe("", &id), Value::Null);
    assert_eq!(report_counts(&s.report()), [1, 0, 1, 0]);
}

// ---------------------------------------------------------------- §7.3

#[test]
fn exec_subscription_not_renewed_is_released_15_days_after_expiry() {
    let mut s = Session::new();
    let week = json!({"InstanceChargeType": "PrePaid", "Period": 1, "PeriodUnit": "Week"});
    let lapsed = s.instance("2026-01-01T00:00:00Z", week.clone());
    let renewed = s.instance("2026-01-01T00:00:01Z", week);
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": lapsed}),
    );
    s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "CreateRouteEntry", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": lapsed}),
    );
    assert_eq!(
        s.describe("2026-01-01T00:00:20Z", &lapsed)["ExpiredTime"],
        "2026-01-08T00:00Z"
    );
    s.fails(
        "2026-01-07T00:00:00Z",
        json!({"Action": "DeleteInstance", "InstanceId": lapsed, "Force": true}),
        403,
        "ChargeTypeViolation",
    );
    // Expiry: the running one is stopped, both are locked.
    let expired = s.advance_to("2026-01-08T00:00:01Z");
    assert_eq!(
        expired.iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceExpired", "InstanceId": lapsed, "ExpiredTime": "2026-01-08T00:00:00Z"}),
            json!({"Type": "InstanceStatusChanged", "InstanceId": lapsed, "From": "Running", "To": "Stopped", "Reason": "Expired", "Until": null}),
            json!({"Type": "InstanceLocked", "InstanceId": lapsed, "LockReason": "financial", "LockMsg": "The subscription has expired."}),
            json!({"Type": "InstanceExpired", "InstanceId": renewed, "ExpiredTime": "2026-01-08T00:00:01Z"}),
            json!({"Type": "InstanceLocked", "InstanceId": renewed, "LockReason": "financial", "LockMsg": "The subscription has expired."}),
        ]
    );
    // One of them is renewed within the 15 days.
    s.ok(
        "2026-01-20T00:00:00Z",
        json!({"Action": "RenewInstance", "InstanceId": renewed, "Period": 1}),
    );
    assert!(
        s.advance_to("2026-01-22T23:59:59Z").is_empty(),
        "kept 15 days"
    );
    let release = s.advance_to("2026-01-23T00:00:00Z");
    one_request_at(&release, "2026-01-23T00:00:00Z", "");
    let system = release[3]["DiskId"].clone();
    assert_eq!(
        release.iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceReleaseTriggered", "InstanceId": lapsed, "Trigger": "SubscriptionEnded", "CausedBy": null}),
            json!({"Type": "RouteEntryDeleted", "RouteTableId": "vtb-lifecycle01", "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": lapsed}),
            json!({"Type": "InstanceReleased", "InstanceId": lapsed, "PreviousStatus": "Stopped", "Forced": false, "SecurityLocked": false}),
            json!({"Type": "DiskReleased", "DiskId": system, "InstanceId": lapsed, "Reason": "DeleteWithInstance"}),
        ][..],
        "{release:?}"
    );
    // The renewed one stays (renewed from the renewal: D1).
    assert!(s.advance_to("2026-02-19T23:59:59Z").is_empty());
    assert_eq!(s.describe("", &lapsed), Value::Null);
    let kept = s.describe("", &renewed);
    assert_eq!(kept["Status"], "Stopped");
    assert_eq!(kept["ExpiredTime"], "2026-02-20T00:00Z");
    assert_eq!(kept["OperationLocks"]["LockReason"], json!([]));
    let history = s.history(&lapsed);
    assert_eq!(
        types(&history)[history.len() - 4..],
        [
            "InstanceReleaseTriggered",
            "RouteEntryDeleted",
            "InstanceReleased",
            "DiskReleased"
        ]
    );
    assert!(
        s.history_text(&lapsed)
            .contains("Trigger=SubscriptionEnded")
    );
    assert_eq!(report_counts(&s.report()), [1, 0, 0, 1]);
}

// ---------------------------------------------------------------- §7.4

fn charge(ids: &[&str], params: Value) -> Value {
    let mut line =
        json!({"Action": "ModifyInstanceChargeType", "InstanceIds": json!(ids).to_string()});
    for (k, v) in params.as_object().unwrap() {
        line[k] = v.clone();
    }
    line
}

fn fees(ids: &[&str]) -> Value {
    json!({"FeeOfInstance": ids.iter().map(|id| json!({"InstanceId": id, "Currency": "CNY", "Fee": "0"})).collect::<Vec<_>>()})
}

#[test]
fn exec_modify_instance_charge_type_prepaid_to_postpaid_clears_expired_time_and_allows_the_release()
{
    let mut s = Session::new();
    let id = s.instance(
        "2026-01-01T00:00:00Z",
        json!({"InstanceChargeType": "PrePaid", "Period": 1, "DataDisk.1.Size": 40}),
    );
    let disks = disks_of(&mut s, "2026-01-01T00:00:10Z", &id);
    let release = json!({"Action": "DeleteInstance", "InstanceId": id});
    s.fails(
        "2026-01-01T00:00:10Z",
        release.clone(),
        403,
        "ChargeTypeViolation",
    );
    let to_postpaid = charge(&[&id], json!({"InstanceChargeType": "PostPaid"}));
    let mut dry = to_postpaid.clone();
    dry["DryRun"] = json!(true);
    s.fails("2026-01-01T00:00:20Z", dry, 400, "DryRunOperation");
    let out = s.ok("2026-01-01T00:00:21Z", to_postpaid.clone());
    assert_eq!(
        out["Body"],
        json!({"RequestId": out["Body"]["RequestId"], "FeeOfInstances": fees(&[&id])}),
        "no OrderId to pay-as-you-go"
    );
    assert_eq!(
        events(&out).iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceChargeTypeChanged", "InstanceId": id, "InstanceChargeType": "PostPaid", "ExpiredTime": null}),
            json!({"Type": "DiskChargeTypeChanged", "DiskId": disks[0], "InstanceId": id, "DiskChargeType": "PostPaid"}),
            json!({"Type": "DiskChargeTypeChanged", "DiskId": disks[1], "InstanceId": id, "DiskChargeType": "PostPaid"}),
        ]
    );
    let shown = s.describe("2026-01-01T00:00:22Z", &id);
    assert_eq!(shown["InstanceChargeType"], "PostPaid");
    assert_eq!(shown["ExpiredTime"], "2099-12-31T15:59Z");
    // The same charge type again: InvalidParameter naming InstanceChargeType.
    let again = s.fails("2026-01-01T00:00:23Z", to_postpaid, 400, "InvalidParameter");
    let message = again["Message"].as_str().unwrap();
    assert!(
        message.contains("InstanceChargeType") && message.contains(&id),
        "{message}"
    );
    // Released like any pay-as-you-go instance; nothing happens at the old expiry.
    assert!(s.advance_to("2026-02-01T00:00:00Z").is_empty());
    let out = s.ok("2026-02-01T00:00:01Z", release);
    assert_eq!(
        types(&events(&out)),
        ["InstanceReleased", "DiskReleased", "DiskReleased"]
    );
}

#[test]
fn exec_modify_instance_charge_type_postpaid_to_prepaid_sets_expired_time_and_clears_auto_release_time()
 {
    let mut s = Session::new();
    let id = s.instance("2026-01-01T00:00:00Z", json!({"DataDisk.1.Size": 40}));
    let both = s.instance("2026-01-01T00:00:01Z", json!({"DataDisk.1.Size": 40}));
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": id}),
    );
    s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id, "AutoReleaseTime": "2026-01-02T00:00:00Z"}),
    );
    let disks = disks_of(&mut s, "2026-01-01T00:00:20Z", &id);
    // PrePaid is the default; Period is required for it.
    let missing = s.fails(
        "2026-01-01T00:01:00Z",
        charge(&[&id], json!({})),
        400,
        "MissingParameter",
    );
    assert!(missing["Message"].as_str().unwrap().contains("Period"));
    let out = s.ok(
        "2026-01-01T00:01:00Z",
        charge(
            &[&id],
            json!({"Period": 1, "PeriodUnit": "Week", "AutoPay": true}),
        ),
    );
    let order = out["Body"]["OrderId"].as_str().unwrap();
    assert!(
        order.len() == 15 && order.bytes().all(|b| b.is_ascii_digit()),
        "{order}"
    );
    assert_eq!(
        out["Body"],
        json!({"RequestId": out["Body"]["RequestId"], "OrderId": order, "FeeOfInstances": fees(&[&id])})
    );
    // Only the system disk follows without IncludeDataDisks.
    assert_eq!(
        events(&out).iter().map(fields).collect::<Vec<_>>(),
        [
            json!({"Type": "InstanceChargeTypeChanged", "InstanceId": id, "InstanceChargeType": "PrePaid", "ExpiredTime": "2026-01-08T00:01:00Z"}),
            json!({"Type": "DiskChargeTypeChanged", "DiskId": disks[0], "InstanceId": id, "DiskChargeType": "PrePaid"}),
        ]
    );
    let shown = s.describe("2026-01-01T00:01:01Z", &id);
    assert_eq!(shown["InstanceChargeType"], "PrePaid");
    assert_eq!(shown["ExpiredTime"], "2026-01-08T00:01Z");
    assert_eq!(shown["AutoReleaseTime"], "", "cleared");
    let out = s.ok(
        "2026-01-01T00:01:02Z",
        charge(&[&both], json!({"Period": 2, "IncludeDataDisks": true})),
    );
    assert_eq!(
        types(&events(&out)),
        [
            "InstanceChargeTypeChanged",
            "DiskChargeTypeChanged",
            "DiskChargeTypeChanged"
        ]
    );
    assert_eq!(out["Events"][0]["ExpiredTime"], "2026-03-01T00:01:02Z");
    // Now a subscription: no automatic release, no release before expiry.
    s.fails(
        "2026-01-01T00:02:00Z",
        json!({"Action": "ModifyInstanceAutoReleaseTime", "InstanceId": id, "AutoReleaseTime": "2026-01-03T00:00:00Z"}),
        403,
        "ChargeTypeViolation",
    );
    s.fails(
        "2026-01-01T00:02:00Z",
        json!({"Action": "DeleteInstance", "InstanceId": id, "Force": true}),
        403,
        "ChargeTypeViolation",
    );
    assert!(
        s.advance_to("2026-01-07T00:00:00Z").is_empty(),
        "not released at the old automatic release time"
    );
    let expiry = s.advance_to("2026-01-08T00:01:00Z");
    assert_eq!(
        types(&expiry),
        ["InstanceExpired", "InstanceStatusChanged", "InstanceLocked"]
    );
}

#[test]
fn exec_modify_instance_charge_type_is_all_or_nothing_and_names_the_first_failure() {
    let mut s = Session::new();
    let good = s.instance("2026-01-01T00:00:00Z", json!({}));
    let starting = s.instance("2026-01-01T00:00:01Z", json!({}));
    let prepaid = s.instance(
        "2026-01-01T00:00:02Z",
        json!({"InstanceChargeType": "PrePaid", "Period": 1, "PeriodUnit": "Week"}),
    );
    let pending = s.instance("2026-01-01T00:00:20Z", json!({}));
    s.ok(
        "2026-01-01T00:00:20Z",
        json!({"Action": "StartInstance", "InstanceId": starting}),
    );
    let at = "2026-01-01T00:00:21Z";
    let period = json!({"Period": 1});
    let cases: [(Value, u64, &str, &str); 4] = [
        (
            charge(&[&good, &starting], period.clone()),
            403,
            "IncorrectInstanceStatus",
            &starting,
        ),
        (
            charge(&[&good, &pending], period.clone()),
            403,
            "IncorrectInstanceStatus",
            &pending,
        ),
        (
            charge(&[&good, "i-doesnotexist01", &starting], period.clone()),
            404,
            "InvalidInstanceId.NotFound",
            "i-doesnotexist01",
        ),
        (
            charge(&[&good, &prepaid], period.clone()),
            400,
            "InvalidParameter",
            &prepaid,
        ),
    ];
    for (line, status, code, named) in cases {
        let body = s.fails(at, line, status, code);
        assert!(
            body["Message"].as_str().unwrap().contains(named),
            "{body} names {named}"
        );
    }
    assert_eq!(s.describe(at, &good)["InstanceChargeType"], "PostPaid");
    // Parameters: checked before any instance.
    let many: Vec<String> = (0..21).map(|n| format!("i-manyinstance{n:03}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let params: [(Value, &str, &str); 8] = [
        (
            json!({"Action": "ModifyInstanceChargeType", "Period": 1}),
            "MissingParameter",
            "InstanceIds",
        ),
        (
            json!({"Action": "ModifyInstanceChargeType", "InstanceIds": "i-1234", "Period": 1}),
            "InvalidParameter",
            "InstanceIds",
        ),
        (
            charge(&[], period.clone()),
            "InvalidParameter",
            "InstanceIds",
        ),
        (
            charge(&many, period.clone()),
            "InvalidParameter",
            "InstanceIds",
        ),
        (
            charge(&[&good, &good], period.clone()),
            "InvalidParameter",
            "InstanceIds",
        ),
        (
            charge(&[&good], json!({"InstanceChargeType": "Free"})),
            "InvalidParameter",
            "InstanceChargeType",
        ),
        (
            charge(&[&good], json!({"Period": 5, "PeriodUnit": "Week"})),
            "InvalidParameter",
            "Period",
        ),
        (
            charge(&[&good], json!({"Period": 1, "IncludeDataDisks": "yes"})),
            "InvalidParameter",
            "IncludeDataDisks",
        ),
    ];
    for (line, code, named) in params {
        let body = s.fails(at, line, 400, code);
        assert!(
            body["Message"].as_str().unwrap().contains(named),
            "{body} names {named}"
        );
    }
    // An expired subscription cannot become pay-as-you-go.
    s.advance_to("2026-01-08T00:00:02Z");
    let expired = s.fails(
        "2026-01-08T00:00:03Z",
        charge(&[&prepaid], json!({"InstanceChargeType": "PostPaid"})),
        403,
        "InstanceExpiredOrInArrears",
    );
    assert!(expired["Message"].as_str().unwrap().contains(&prepaid));
    // All of them at once, in request order.
    let out = s.ok(
        "2026-01-08T00:00:04Z",
        charge(&[&starting, &good], json!({"Period": 1})),
    );
    assert_eq!(out["Body"]["FeeOfInstances"], fees(&[&starting, &good]));
    let changed: Vec<Value> = events(&out)
        .iter()
        .filter(|e| e["Type"] == "InstanceChargeTypeChanged")
        .map(|e| e["InstanceId"].clone())
        .collect();
    assert_eq!(changed, [json!(starting), json!(good)]);
}

// ---------------------------------------------------------------- §7.5

#[test]
fn exec_describe_instance_history_events_lists_expiry_stops_and_deletes_and_keeps_them_after_release()
 {
    let mut s = Session::new();
    let week = json!({"InstanceChargeType": "PrePaid", "Period": 1, "PeriodUnit": "Week"});
    let running = s.instance("2026-01-01T00:00:00Z", week.clone());
    let stopped = s.instance("2026-01-01T00:00:01Z", week);
    s.ok(
        "2026-01-01T00:00:10Z",
        json!({"Action": "StartInstance", "InstanceId": running}),
    );
    let describe = json!({"Action": "DescribeInstanceHistoryEvents"});
    let out = s.ok("2026-01-02T00:00:00Z", describe.clone());
    assert_eq!(out["Events"], json!([]));
    assert_eq!(
        out["Body"],
        json!({"RequestId": out["Body"]["RequestId"], "TotalCount": 0, "PageNumber": 1, "PageSize": 10,
               "InstanceSystemEventSet": {"InstanceSystemEventType": []}})
    );
    s.advance_to("2026-01-23T00:00:01Z");
    assert_eq!(s.describe("", &running), Value::Null);
    assert_eq!(s.describe("", &stopped), Value::Null);

    let out = s.ok("2026-01-23T00:00:02Z", describe.clone());
    let body = &out["Body"];
    let list = body["InstanceSystemEventSet"]["InstanceSystemEventType"]
        .as_array()
        .unwrap();
    let stop_reason = "The subscription expired.";
    let delete_reason = "The subscription was not renewed within 15 days of its expiry.";
    let expect = [
        (
            &running,
            "InstanceExpiration.Stop",
            "2026-01-08T00:00:00Z",
            stop_reason,
        ),
        (
            &running,
            "InstanceExpiration.Delete",
            "2026-01-23T00:00:00Z",
            delete_reason,
        ),
        (
            &stopped,
            "InstanceExpiration.Delete",
            "2026-01-23T00:00:01Z",
            delete_reason,
        ),
    ];
    assert_eq!(list.len(), expect.len(), "{body}");
    for (event, (id, name, at, reason)) in list.iter().zip(expect) {
        let event_id = event["EventId"].as_str().unwrap();
        assert!(
            event_id.len() == 22
                && event_id.starts_with("e-")
                && event_id[2..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{event_id}"
        );
        assert_eq!(
            *event,
            json!({"EventId": event_id, "EventType": {"Name": name}, "EventCycleStatus": {"Name": "Executed"},
                   "InstanceId": id, "ResourceType": "instance", "NotBefore": at, "EventPublishTime": at,
                   "EventFinishTime": at, "Reason": reason})
        );
    }
    let ids: std::collections::BTreeSet<&str> = list
        .iter()
        .map(|e| e["EventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "distinct EventIds");
    assert_eq!(body["TotalCount"], 3);
    assert_eq!(body["PageNumber"], 1);
    assert_eq!(body["PageSize"], 10);

    // Filters and paging.
    let count = |s: &mut Session, filter: Value| -> (u64, Vec<String>) {
        let mut line = describe.clone();
        for (k, v) in filter.as_object().unwrap() {
            line[k] = v.clone();
        }
        let out = s.ok("2026-01-23T00:00:03Z", line);
        let names = out["Body"]["InstanceSystemEventSet"]["InstanceSystemEventType"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["EventId"].as_str().unwrap().to_owned())
            .collect();
        (out["Body"]["TotalCount"].as_u64().unwrap(), names)
    };
    let first = list[0]["EventId"].as_str().unwrap().to_owned();
    let second = list[1]["EventId"].as_str().unwrap().to_owned();
    let third = list[2]["EventId"].as_str().unwrap().to_owned();
    assert_eq!(
        count(&mut s, json!({"InstanceId": running})),
        (2, vec![first.clone(), second.clone()])
    );
    assert_eq!(
        count(&mut s, json!({"EventType": "InstanceExpiration.Delete"})),
        (2, vec![second.clone(), third.clone()])
    );
    assert_eq!(
        count(
            &mut s,
            json!({"InstanceEventType.1": "InstanceExpiration.Stop"})
        ),
        (1, vec![first.clone()])
    );
    assert_eq!(
        count(
            &mut s,
            json!({"InstanceEventType.1": "InstanceExpiration.Stop", "InstanceEventType.2": "InstanceExpiration.Delete"})
        )
        .0,
        3
    );
    assert_eq!(
        count(&mut s, json!({"InstanceEventType.1": "InstanceExpiration.Stop", "EventType": "InstanceExpiration.Delete"})).0,
        1,
        "EventType counts only without InstanceEventType.N"
    );
    assert_eq!(
        count(&mut s, json!({"EventType": "SystemMaintenance.Reboot"})).0,
        0
    );
    assert_eq!(count(&mut s, json!({"EventCycleStatus": "Executed"})).0, 3);
    assert_eq!(count(&mut s, json!({"EventCycleStatus": "Scheduled"})).0, 0);
    assert_eq!(
        count(
            &mut s,
            json!({"InstanceId": stopped, "EventType": "InstanceExpiration.Stop"})
        )
        .0,
        0
    );
    assert_eq!(
        count(&mut s, json!({"PageSize": 2, "PageNumber": 2})),
        (3, vec![third.clone()])
    );
    assert_eq!(count(&mut s, json!({"PageSize": 2})).1.len(), 2);
    s.fails(
        "2026-01-23T00:00:04Z",
        json!({"Action": "DescribeInstanceHistoryEvents", "InstanceId": "i-BAD"}),
        400,
        "InvalidParameter",
    );
    s.fails(
        "2026-01-23T00:00:04Z",
        json!({"Action": "DescribeInstanceHistoryEvents", "DryRun": true}),
        400,
        "DryRunOperation",
    );
    let theirs = s.ok(
        "2026-01-23T00:00:04Z",
        json!({"Action": "DescribeInstanceHistoryEvents", "Account": "team-b"}),
    );
    assert_eq!(
        theirs["Body"]["TotalCount"], 0,
        "other accounts see nothing"
    );
    // Renewed in time: no Delete event.
    assert_eq!(report_counts(&s.report()), [2, 0, 0, 2]);
}
