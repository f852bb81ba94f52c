//! `ecs-ledger exec`, `log`, `replay` and `verify`, driven as a user would.

mod common;

use common::cli::{Exec, json_lines, run};
use serde_json::{Value, json};

const QUICKSTART: &str = include_str!("../examples/quickstart.jsonl");

fn code(line: &Value) -> &str {
    line["Body"]["Code"].as_str().unwrap_or("")
}

/// Every row of the DeleteInstance table, and every release outcome, through
/// exec: the README's quickstart walkthrough, line by line.
#[test]
fn every_delete_instance_row_and_outcome_through_exec() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = json_lines(&out.stdout);
    assert_eq!(
        lines.len(),
        QUICKSTART.lines().count(),
        "one output line per input line"
    );
    let expect = |n: usize, status: u64, code_: &str, message: &str| {
        let line = &lines[n - 1];
        assert_eq!(line["Status"], status, "line {n}: {line}");
        assert_eq!(code(line), code_, "line {n}");
        if !message.is_empty() {
            assert_eq!(line["Body"]["Message"], message, "line {n}");
        }
        assert!(
            line["Body"]["RequestId"]
                .as_str()
                .is_some_and(|r| r.len() == 36 && r == r.to_uppercase()),
            "line {n}: RequestId"
        );
        if status != 200 {
            assert_eq!(
                line["Events"],
                json!([]),
                "line {n}: an error appends nothing"
            );
        }
    };
    // Row 4: still Pending.
    expect(
        2,
        403,
        "IncorrectInstanceStatus.Initializing",
        "The specified instance status does not support this operation.",
    );
    // Row 8: Running without Force.
    expect(
        9,
        403,
        "IncorrectInstanceStatus",
        "The current status of the resource does not support this operation.",
    );
    // Row 9, then row 10 once the route entry is gone.
    expect(
        13,
        400,
        "DependencyViolation.RouteEntry",
        "Specified instance is used by route entry.",
    );
    expect(
        15,
        400,
        "DependencyViolation.SLBConfiguring",
        "Specified operation is denied as your instance is using by another product.",
    );
    // Row 5.
    let web = lines[0]["Body"]["InstanceId"].as_str().unwrap();
    expect(
        18,
        400,
        "InvalidOperation.DeletionProtection",
        &format!(
            "The operation is not allowed due to \u{201c}{web}\u{201d} is protected by deletion protection."
        ),
    );
    // Row 11.
    expect(
        20,
        400,
        "DryRunOperation",
        "Request validation has been passed with DryRun flag set.",
    );
    // Success: the full release sequence.
    expect(21, 200, "", "");
    let types: Vec<&str> = lines[20]["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "InstanceReleased",
            "DiskReleased",
            "DiskReleased",
            "SnapshotRetained",
            "SnapshotReleased",
            "DiskDetached",
            "DiskReleased"
        ]
    );
    assert_eq!(
        lines[20]["Body"],
        json!({"RequestId": lines[20]["Body"]["RequestId"]})
    );
    // Row 3: released.
    expect(
        22,
        404,
        "InvalidInstanceId.NotFound",
        "The specified InstanceId does not exist.",
    );
    // Row 7: forced release of a security-locked, running instance.
    expect(26, 403, "InstanceLockedForSecurity", "");
    expect(
        27,
        403,
        "InstanceLockedForSecurity",
        "The specified operation is denied as your instance is locked for security reasons.",
    );
    // Stopped, locked: released with every disk (SecurityLock).
    expect(29, 200, "", "");
    assert_eq!(lines[28]["Events"][2]["Reason"], "SecurityLock");
    assert_eq!(lines[28]["Events"][0]["SecurityLocked"], true);
    // Row 6, then released once expired.
    expect(
        31,
        403,
        "ChargeTypeViolation",
        "The operation is not permitted due to charge type of the instance.",
    );
    expect(32, 200, "", "");
    // Row 3: another account's instance; and DeleteInstances.
    expect(34, 404, "InvalidInstanceId.NotFound", "");
    expect(35, 404, "InvalidInstanceId.NotFound", "");
    assert!(
        lines[34]["Body"]["Message"]
            .as_str()
            .unwrap()
            .contains("i-doesnotexist01")
    );
    expect(
        36,
        400,
        "DRYRUN.SUCCESS",
        "This request is a dryrun request with successful result.",
    );
    expect(37, 200, "", "");
    // Rows 1 and 2.
    expect(
        38,
        400,
        "MissingParameter",
        "The input parameter \"InstanceId\" that is mandatory for processing this request is not supplied.",
    );
    expect(
        39,
        400,
        "InvalidParameter",
        "The input parameter InstanceId is invalid.",
    );
}

#[test]
fn bad_lines_get_an_error_line_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = [
        "not json",
        "[1,2]",
        "",
        r#"{"InstanceId":"i-12345678"}"#,
        r#"{"Action":"LaunchMissiles"}"#,
        r#"{"Action":"CreateDisk","Size":{"x":1}}"#,
        r#"{"Action":"CreateDisk","Size":20,"Account":"bad account!"}"#,
        r#"{"Action":"CreateDisk","Size":20,"At":"yesterday"}"#,
        r#"{"Action":"CreateDisk","Size":20}"#,
    ]
    .join("\n");
    let out = run(dir.path(), &["exec"], &input);
    assert_eq!(out.code, 0);
    let lines = json_lines(&out.stdout);
    let got: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| (l["Status"].as_u64().unwrap(), code(l)))
        .collect();
    assert_eq!(
        got,
        [
            (400, "InvalidRequest.Malformed"),
            (400, "InvalidRequest.Malformed"),
            (400, "InvalidRequest.Malformed"),
            (400, "MissingParameter"),
            (404, "InvalidAction.NotFound"),
            (400, "InvalidRequest.Malformed"),
            (400, "InvalidParameter"),
            (400, "InvalidParameter"),
            (200, ""),
        ]
    );
    assert!(
        lines[6]["Body"]["Message"]
            .as_str()
            .unwrap()
            .contains("Account")
    );
    assert!(lines[7]["Body"]["Message"].as_str().unwrap().contains("At"));
}

#[test]
fn exec_answers_each_line_before_reading_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut exec = Exec::spawn(dir.path(), &["--seed", "4"]);
    // Each answer arrives while stdin is still open: exec does not wait for EOF.
    let created = exec
        .send(r#"{"Action":"CreateDisk","Size":20,"At":"2026-01-01T00:00:00Z"}"#)
        .unwrap();
    let disk = created["Body"]["DiskId"].as_str().unwrap().to_owned();
    let snap = exec
        .send(
            &json!({"Action":"CreateSnapshot","DiskId":disk,"At":"2026-01-01T00:00:01Z"})
                .to_string(),
        )
        .unwrap();
    assert_eq!(snap["Status"], 200);
    assert_eq!(snap["Events"][0]["DiskId"], disk.as_str());
    assert_eq!(exec.finish(), 0);
}

#[test]
fn the_same_seeded_input_gives_the_same_log_and_head_hash() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        assert_eq!(
            run(dir.path(), &["exec", "--seed", "1"], QUICKSTART).code,
            0
        );
    }
    let log_a = run(a.path(), &["log", "--json"], "").stdout;
    let log_b = run(b.path(), &["log", "--json"], "").stdout;
    assert!(!log_a.is_empty());
    assert_eq!(log_a, log_b);
    let verify_a = run(a.path(), &["verify"], "");
    let verify_b = run(b.path(), &["verify"], "");
    assert_eq!(verify_a.code, 0, "{}", verify_a.stdout);
    assert_eq!(verify_a.stdout, verify_b.stdout, "same head seq and hash");
    // A different seed gives different ids.
    let c = tempfile::tempdir().unwrap();
    run(c.path(), &["exec", "--seed", "2"], QUICKSTART);
    assert_ne!(run(c.path(), &["log", "--json"], "").stdout, log_a);
}

/// docs/BEHAVIOUR.md §6: the log does not depend on how input was batched.
/// The quickstart piped at once (exec reads ahead and group-commits what
/// has arrived) and sent one line at a time, each answer awaited (one
/// request per commit), give the same answers, log and head hash.
#[test]
fn the_log_does_not_depend_on_how_input_was_batched() {
    let piped = tempfile::tempdir().unwrap();
    let out = run(piped.path(), &["exec", "--seed", "1"], QUICKSTART);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stepped = tempfile::tempdir().unwrap();
    let mut exec = Exec::spawn(stepped.path(), &["--seed", "1"]);
    let answers: Vec<Value> = QUICKSTART
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| exec.send(line).expect("an answer per line"))
        .collect();
    assert_eq!(exec.finish(), 0);
    assert_eq!(json_lines(&out.stdout), answers);
    let log = |dir: &std::path::Path| run(dir, &["log", "--json"], "").stdout;
    assert_eq!(log(piped.path()), log(stepped.path()));
    let verify = |dir: &std::path::Path| run(dir, &["verify"], "").stdout;
    assert_eq!(verify(piped.path()), verify(stepped.path()), "same head");
}

#[test]
fn log_json_is_flat_pascal_case_with_gapless_seq() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    let events = json_lines(&run(dir.path(), &["log", "--json"], "").stdout);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e["Seq"], n as u64 + 1);
        for key in ["Time", "Type", "RequestId", "Account", "EventId"] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }
    let released = events.iter().find(|e| e["Type"] == "DiskReleased").unwrap();
    assert!(released["DiskId"].as_str().unwrap().starts_with("d-"));
    assert!(released["Reason"].is_string());
    // --resource: one resource's history through the tag index.
    let web = events[0]["InstanceId"].as_str().unwrap();
    let history = json_lines(&run(dir.path(), &["log", "--json", "--resource", web], "").stdout);
    assert!(history.iter().all(|e| e.to_string().contains(web)));
    assert_eq!(history.first().unwrap()["Type"], "InstanceCreated");
    assert_eq!(history.last().unwrap()["Type"], "DiskReleased");
    assert!(history.iter().any(|e| e["Type"] == "InstanceReleased"));
    // --from
    let tail = json_lines(&run(dir.path(), &["log", "--json", "--from", "10"], "").stdout);
    assert_eq!(tail[0]["Seq"], 10);
    // text form
    let text = run(dir.path(), &["log"], "").stdout;
    assert_eq!(text.lines().count(), events.len());
}

#[test]
fn replay_shows_the_state_at_any_seq_or_time() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    let events = json_lines(&run(dir.path(), &["log", "--json"], "").stdout);
    let web = events[0]["InstanceId"].as_str().unwrap();
    let released_at = events
        .iter()
        .find(|e| e["Type"] == "InstanceReleased")
        .unwrap()["Seq"]
        .as_u64()
        .unwrap();
    let before = json_lines(
        &run(
            dir.path(),
            &[
                "replay",
                "--json",
                "--until",
                &(released_at - 1).to_string(),
            ],
            "",
        )
        .stdout,
    );
    let instances = before[0]["Instances"].as_array().unwrap();
    assert!(instances.iter().any(|i| i["InstanceId"] == web));
    assert_eq!(before[0]["Seq"], released_at - 1);
    let after = json_lines(
        &run(
            dir.path(),
            &["replay", "--json", "--until", &released_at.to_string()],
            "",
        )
        .stdout,
    );
    assert!(
        !after[0]["Instances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["InstanceId"] == web)
    );
    // --at: one second after creation the instance exists and is Pending.
    let at = json_lines(
        &run(
            dir.path(),
            &["replay", "--json", "--at", "2026-01-01T00:00:01Z"],
            "",
        )
        .stdout,
    );
    assert_eq!(at[0]["Instances"][0]["Status"], "Pending");
    // The whole log: every disk kept by a release is Available, retained snapshots listed.
    let end = json_lines(&run(dir.path(), &["replay", "--json"], "").stdout);
    assert!(
        end[0]["Disks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["Status"] == "Available" && d["InstanceId"] == "")
    );
    assert!(
        end[0]["Snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Retained"] == true)
    );
    assert_eq!(run(dir.path(), &["replay"], "").code, 0);
}

#[test]
fn client_token_is_remembered_across_exec_runs() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"Action":"CreateInstance","ClientToken":"abc-123","At":"2026-01-01T00:00:00Z"}"#;
    let first = json_lines(&run(dir.path(), &["exec"], line).stdout);
    let line2 =
        r#"{"Action":"CreateInstance","ClientToken":"abc-123","At":"2026-01-01T01:00:00Z"}"#;
    let second = json_lines(&run(dir.path(), &["exec"], line2).stdout);
    assert_eq!(
        second[0]["Body"], first[0]["Body"],
        "same RequestId and InstanceId"
    );
    assert_eq!(second[0]["Events"], json!([]));
    let count = run(dir.path(), &["log", "--json"], "").stdout;
    assert_eq!(
        json_lines(&count)
            .iter()
            .filter(|e| e["Type"] == "InstanceCreated")
            .count(),
        1
    );
}

#[test]
fn read_commands_on_a_missing_ledger_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    for args in [&["log"][..], &["replay"], &["verify"]] {
        let out = run(&missing, args, "");
        assert_ne!(out.code, 0);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!((out.stdout + &out.stderr).contains("no ledger"), "{args:?}");
    }
}

#[test]
fn history_lists_one_resources_events_with_request_and_account() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    let events = json_lines(&run(dir.path(), &["log", "--json"], "").stdout);
    let kept = events.iter().find(|e| e["Type"] == "DiskDetached").unwrap()["DiskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let history = json_lines(&run(dir.path(), &["history", &kept, "--json"], "").stdout);
    let types: Vec<&str> = history
        .iter()
        .map(|e| e["Type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["DiskCreated", "SnapshotCreated", "DiskDetached"]);
    assert!(
        history.iter().all(|e| e["RequestId"].is_string()
            && e["Account"] == "default"
            && e["Time"].is_string())
    );
    let text = run(dir.path(), &["history", &kept], "");
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("request="));
    let none = run(dir.path(), &["history", "i-nosuchthing01"], "");
    assert_eq!(none.code, 1);
}

#[test]
fn report_counts_releases_per_account_and_lists_what_still_costs_money() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    let report: Value =
        serde_json::from_str(&run(dir.path(), &["report", "--json"], "").stdout).unwrap();
    let default = &report["Accounts"][0];
    assert_eq!(default["Account"], "default");
    // The walkthrough's three releases, and the platform's two: one at its
    // automatic release time, one at the end of an unrenewed subscription.
    assert_eq!(default["InstancesReleased"], 5);
    assert_eq!(default["ReleasedAtAutoReleaseTime"], 1);
    assert_eq!(default["ReleasedAtSubscriptionEnd"], 1);
    assert_eq!(default["DisksReleased"], 8);
    assert_eq!(default["DisksDetachedKept"], 1);
    assert_eq!(default["SnapshotsReleased"], 1);
    assert_eq!(default["SnapshotsRetained"], 1);
    assert_eq!(default["RetainedSnapshots"].as_array().unwrap().len(), 1);
    assert_eq!(default["KeptDisks"][0]["Size"], 50);
    assert_eq!(report["Accounts"][1]["Account"], "team-b");
    assert_eq!(report["Accounts"][1]["InstancesReleased"], 1);
    // Deleting the retained snapshot and the kept disk takes them off the
    // list; the kept disk's own automatic snapshot is retained by DeleteDisk
    // (its DeleteAutoSnapshot is false) and now costs money in its turn.
    let snap = default["RetainedSnapshots"][0]["SnapshotId"]
        .as_str()
        .unwrap();
    let disk = default["KeptDisks"][0]["DiskId"].as_str().unwrap();
    let cleanup = format!(
        "{}\n{}\n",
        json!({"Action":"DeleteSnapshot","SnapshotId":snap,"At":"2026-03-01T00:00:00Z"}),
        json!({"Action":"DeleteDisk","DiskId":disk,"At":"2026-03-01T00:00:01Z"})
    );
    let out = json_lines(&run(dir.path(), &["exec"], &cleanup).stdout);
    assert!(out.iter().all(|l| l["Status"] == 200), "{out:?}");
    let after: Value =
        serde_json::from_str(&run(dir.path(), &["report", "--json"], "").stdout).unwrap();
    let retained = after["Accounts"][0]["RetainedSnapshots"]
        .as_array()
        .unwrap();
    assert_eq!(retained.len(), 1);
    assert_ne!(retained[0]["SnapshotId"], snap);
    assert_eq!(retained[0]["SourceDiskId"], disk);
    assert_eq!(retained[0]["SnapshotType"], "auto");
    assert_eq!(after["Accounts"][0]["KeptDisks"], json!([]));
    assert_eq!(after["Accounts"][0]["DisksDeleted"], 1);
    assert_eq!(
        after["Accounts"][0]["SnapshotsRetained"], 2,
        "the counters are history"
    );
    assert!(
        run(dir.path(), &["report"], "")
            .stdout
            .contains("release report as of seq")
    );
}

#[test]
fn rebuild_recreates_a_projection_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["exec", "--seed", "1"], QUICKSTART);
    let describe = r#"{"Action":"DescribeSnapshots","At":"2026-06-01T00:00:00Z"}"#;
    let before = json_lines(&run(dir.path(), &["exec"], describe).stdout);
    for name in ["inventory", "report"] {
        let out = run(dir.path(), &["rebuild", name], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("rebuilt"));
    }
    let describe2 = r#"{"Action":"DescribeSnapshots","At":"2026-06-01T00:00:01Z"}"#;
    let after = json_lines(&run(dir.path(), &["exec"], describe2).stdout);
    assert_eq!(
        after[0]["Body"]["Snapshots"],
        before[0]["Body"]["Snapshots"]
    );
    assert_ne!(run(dir.path(), &["rebuild", "nonsense"], "").code, 0);
}
