//! Bad input gets a clear answer and loses nothing: a line that is not UTF-8,
//! times the ledger cannot carry, DryRun on every action, options that would
//! break the storage, a reader that goes away (docs/BEHAVIOUR.md §2, §5 and §6).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::cli::{BIN, json_lines, run, run_bytes};
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{ClockMode, Config, Request};
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::storage::memory::MemoryStorage;
use serde_json::Value;

fn code(line: &Value) -> &str {
    line["Body"]["Code"].as_str().unwrap_or("")
}

#[test]
fn a_line_that_is_not_utf8_gets_its_error_line_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = b"{\"Action\":\"CreateDisk\",\"Size\":20}\n\xff\n{\"Action\":\"CreateDisk\",\"Size\":20}\n\xc3\x28\r\n{\"Action\":\"CreateDisk\",\"Size\":20}";
    let out = run_bytes(dir.path(), &["exec"], input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 5, "one line out per line in: {}", out.stdout);
    let codes: Vec<&str> = lines.iter().map(code).collect();
    assert_eq!(
        codes,
        [
            "",
            "InvalidRequest.Malformed",
            "",
            "InvalidRequest.Malformed",
            ""
        ]
    );
    assert_eq!(lines[1]["Status"], 400);
    assert!(
        lines[1]["Body"]["Message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    let log = run(dir.path(), &["log", "--json"], "");
    assert_eq!(
        json_lines(&log.stdout).len(),
        3,
        "three disks, nothing lost"
    );
}

#[test]
fn an_at_past_the_latest_ledger_time_is_refused_and_the_ledger_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = [
        // Once accepted, these left every later CreateInstance answering 500.
        r#"{"Action":"CreateInstance","At":"9999-12-31T23:59:56Z"}"#,
        r#"{"Action":"CreateDisk","Size":20,"At":"9999-12-31T23:59:59Z"}"#,
        r#"{"Action":"AdvanceClock","To":"9999-12-31T23:59:59Z"}"#,
        r#"{"Action":"StartInstance","InstanceId":"i-12345678abc","At":"9999-12-31T23:59:58Z"}"#,
        r#"{"Action":"CreateInstance"}"#,
        // The last accepted time: transitions from it still fit.
        r#"{"Action":"CreateInstance","At":"9900-01-01T00:00:00Z"}"#,
        r#"{"Action":"CreateInstance","At":"9900-01-01T00:00:00Z","InstanceChargeType":"PrePaid","Period":60}"#,
    ]
    .join("\n");
    let out = run(dir.path(), &["exec", "--clock", "manual"], &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = json_lines(&out.stdout);
    for (n, line) in lines[..4].iter().enumerate() {
        assert_eq!(line["Status"], 400, "line {}: {line}", n + 1);
        assert_eq!(code(line), "InvalidParameter", "line {}", n + 1);
        assert!(
            line["Body"]["Message"]
                .as_str()
                .unwrap()
                .contains("latest ledger time"),
            "{line}"
        );
    }
    for line in &lines[4..] {
        assert_eq!(line["Status"], 200, "{line}");
    }
    assert_eq!(run(dir.path(), &["verify"], "").code, 0);
}

#[test]
fn a_transition_started_at_the_latest_time_completes_and_a_forced_release_works() {
    let storage = MemoryStorage::new();
    let t0 = Timestamp::parse_rfc3339("9899-12-31T23:59:40Z").unwrap();
    let config = Config {
        seed: Some(3),
        clock: ClockMode::Manual,
        start_clock: Some(t0),
        ..Config::default()
    };
    let mut ledger = Inline::open(storage, config).unwrap();
    let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
    let created = ledger
        .execute(Request::new("CreateInstance", [("InstanceName", "late")]).at(t0))
        .unwrap();
    let id = created.body()["InstanceId"].as_str().unwrap().to_owned();
    let started = ledger
        .execute(
            Request::new("StartInstance", [("InstanceId", id.as_str())])
                .at(at("9899-12-31T23:59:50Z")),
        )
        .unwrap();
    assert_eq!(started.status(), 200, "{}", started.body());
    // Starting -> Running completes, and the forced release goes through.
    let released = ledger
        .execute(
            Request::new(
                "DeleteInstance",
                [("InstanceId", id.as_str()), ("Force", "true")],
            )
            .at(at("9900-01-01T00:00:00Z")),
        )
        .unwrap();
    assert_eq!(released.status(), 200, "{}", released.body());
}

/// A ledger with one of everything, on a manual clock.
struct World {
    ledger: Inline<MemoryStorage>,
    t: i64,
}

impl World {
    fn new() -> Self {
        let config = Config {
            seed: Some(11),
            clock: ClockMode::Manual,
            start_clock: Timestamp::from_unix(1_767_225_600),
            ..Config::default()
        };
        Self {
            ledger: Inline::open(MemoryStorage::new(), config).unwrap(),
            t: 1_767_225_600,
        }
    }

    fn run(&mut self, action: &str, params: &[(&str, &str)]) -> ecs_ledger::ledger::Reply {
        self.t += 10;
        let request =
            Request::new(action, params.iter().copied()).at(Timestamp::from_unix(self.t).unwrap());
        self.ledger.execute(request).unwrap()
    }

    fn ok(&mut self, action: &str, params: &[(&str, &str)]) -> Value {
        let reply = self.run(action, params);
        assert_eq!(reply.status(), 200, "{action}: {}", reply.body());
        reply.body()
    }
}

#[test]
fn dry_run_on_every_action_validates_and_writes_nothing() {
    let mut w = World::new();
    let body = w.ok(
        "CreateInstance",
        &[("DataDisk.1.Size", "40"), ("DataDisk.2.Size", "40")],
    );
    let stopped = body["InstanceId"].as_str().unwrap().to_owned();
    let running = w.ok("CreateInstance", &[])["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let prepaid = w.ok(
        "CreateInstance",
        &[("InstanceChargeType", "PrePaid"), ("Period", "1")],
    )["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok("StartInstance", &[("InstanceId", &running)]);
    let disk = w.ok("CreateDisk", &[("Size", "20")])["DiskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let snapshot = w.ok("CreateSnapshot", &[("DiskId", &disk)])["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let attached = w.ok("CreateDisk", &[("Size", "30")])["DiskId"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok(
        "AttachDisk",
        &[("InstanceId", &running), ("DiskId", &attached)],
    );
    w.ok(
        "CreateRouteEntry",
        &[
            ("RouteTableId", "vtb-dryrun0001"),
            ("DestinationCidrBlock", "10.1.0.0/16"),
            ("NextHopId", &running),
        ],
    );
    let servers = format!(r#"[{{"ServerId":"{running}","Weight":"100"}}]"#);
    w.ok(
        "AddBackendServers",
        &[
            ("LoadBalancerId", "lb-dryrun0001"),
            ("BackendServers", &servers),
        ],
    );
    w.ok(
        "LockInstance",
        &[("InstanceId", &running), ("LockReason", "financial")],
    );
    let add_servers = format!(r#"[{{"ServerId":"{stopped}","Weight":"50"}}]"#);
    let charge_ids = format!(r#"["{stopped}"]"#);
    let remove_servers = format!(r#"["{running}"]"#);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("DeleteInstance", vec![("InstanceId", &stopped)]),
        ("CreateInstance", vec![]),
        ("StartInstance", vec![("InstanceId", &stopped)]),
        ("StopInstance", vec![("InstanceId", &running)]),
        (
            "ModifyInstanceAttribute",
            vec![("InstanceId", &stopped), ("DeletionProtection", "true")],
        ),
        (
            "RenewInstance",
            vec![("InstanceId", &prepaid), ("Period", "1")],
        ),
        ("CreateDisk", vec![("Size", "20")]),
        (
            "AttachDisk",
            vec![("InstanceId", &stopped), ("DiskId", &disk)],
        ),
        (
            "DetachDisk",
            vec![("InstanceId", &running), ("DiskId", &attached)],
        ),
        (
            "ModifyDiskAttribute",
            vec![("DiskId", &disk), ("DeleteWithInstance", "true")],
        ),
        ("CreateSnapshot", vec![("DiskId", &disk)]),
        ("DeleteSnapshot", vec![("SnapshotId", &snapshot)]),
        ("DeleteDisk", vec![("DiskId", &disk)]),
        (
            "CreateRouteEntry",
            vec![
                ("RouteTableId", "vtb-dryrun0001"),
                ("DestinationCidrBlock", "10.2.0.0/16"),
                ("NextHopId", &stopped),
            ],
        ),
        (
            "DeleteRouteEntry",
            vec![
                ("RouteTableId", "vtb-dryrun0001"),
                ("DestinationCidrBlock", "10.1.0.0/16"),
            ],
        ),
        (
            "AddBackendServers",
            vec![
                ("LoadBalancerId", "lb-dryrun0001"),
                ("BackendServers", &add_servers),
            ],
        ),
        (
            "RemoveBackendServers",
            vec![
                ("LoadBalancerId", "lb-dryrun0001"),
                ("BackendServers", &remove_servers),
            ],
        ),
        (
            "LockInstance",
            vec![("InstanceId", &stopped), ("LockReason", "security")],
        ),
        (
            "UnlockInstance",
            vec![("InstanceId", &running), ("LockReason", "financial")],
        ),
        ("CreateAutoSnapshot", vec![("DiskId", &disk)]),
        ("DescribeInstances", vec![]),
        ("DescribeDisks", vec![]),
        ("DescribeSnapshots", vec![]),
        ("DescribeInstanceHistoryEvents", vec![]),
        (
            "ModifyInstanceAutoReleaseTime",
            vec![
                ("InstanceId", &stopped),
                ("AutoReleaseTime", "2027-01-01T00:00:00Z"),
            ],
        ),
        (
            "ModifyInstanceChargeType",
            vec![
                ("InstanceIds", &charge_ids),
                ("InstanceChargeType", "PrePaid"),
                ("Period", "1"),
            ],
        ),
        ("AdvanceClock", vec![("Seconds", "60")]),
    ];
    let mut covered: Vec<&str> = Vec::new();
    for (action, mut params) in cases {
        let head = w.ledger.head().seq;
        let clock = w.ledger.clock();
        params.push(("DryRun", "true"));
        let reply = w.run(action, &params);
        assert_eq!(
            reply.error().map(|e| e.code().as_str()),
            Some("DryRunOperation"),
            "{action}: {}",
            reply.body()
        );
        assert!(reply.events().is_empty(), "{action} appended events");
        assert_eq!(w.ledger.head().seq, head, "{action} wrote to the log");
        if action == "AdvanceClock" {
            assert!(w.ledger.clock() <= Timestamp::from_unix(w.t).unwrap());
            assert!(w.ledger.clock() >= clock);
        }
        covered.push(action);
    }
    // DeleteInstances answers its own code, as docs/BEHAVIOUR.md §3 says.
    let reply = w.run(
        "DeleteInstances",
        &[("InstanceId.1", &stopped), ("DryRun", "true")],
    );
    assert_eq!(reply.error().unwrap().code().as_str(), "DRYRUN.SUCCESS");
    covered.push("DeleteInstances");
    for action in ecs_ledger::model::Command::ACTIONS
        .iter()
        .chain(ecs_ledger::core::query::Query::ACTIONS)
    {
        assert!(covered.contains(action), "{action} has no DryRun case");
    }
    // A DryRun value that is not a boolean names the parameter.
    let reply = w.run("CreateDisk", &[("Size", "20"), ("DryRun", "maybe")]);
    assert!(reply.error().unwrap().message().contains("DryRun"));
}

#[test]
fn a_cache_of_zero_is_refused_clearly_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &["exec"],
        r#"{"Action":"CreateDisk","Size":20}"#,
    );
    for args in [
        &["--cache-mb", "0", "verify"][..],
        &["--cache-mb", "0", "exec"],
        &["--cache-mb", "0", "replay"],
    ] {
        let out = run(dir.path(), args, "");
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(out.stderr.contains("cache-mb"), "{}", out.stderr);
    }
}

#[test]
fn a_reader_that_goes_away_ends_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..400)
        .map(|_| "{\"Action\":\"CreateDisk\",\"Size\":20}\n")
        .collect();
    assert_eq!(run(dir.path(), &["exec"], &many).code, 0);
    for args in [
        &["replay"][..],
        &["replay", "--json"],
        &["log"],
        &["log", "--json"],
    ] {
        for _ in 0..5 {
            // `ecs-ledger replay | head -1`: read one line, close the pipe.
            let mut child = Command::new(BIN)
                .arg("--data")
                .arg(dir.path())
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut first = String::new();
            let stdout = child.stdout.take().unwrap();
            BufReader::new(stdout).read_line(&mut first).unwrap();
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        }
    }
}
