//! The backend-generic suite: the same checks on sled and on PostgreSQL
//! (when `ECS_LEDGER_TEST_POSTGRES` names a server; see
//! `scripts/postgres_cluster.sh`): the release rules through `exec`, restart
//! and kill -9, ClientToken idempotency, the release report (a projection),
//! and `verify` finding a hand-edited or removed row.

mod common;

use common::backend::Backend;
use common::cli::json_lines;
use ecs_ledger::storage::Storage;
use serde_json::{Value, json};

fn lines(requests: &[Value]) -> String {
    requests.iter().map(|r| format!("{r}\n")).collect()
}

/// Runs `exec` over `requests` and returns its answers (the run must exit 0).
fn exec(backend: &Backend, args: &[&str], requests: &[Value]) -> Vec<Value> {
    let mut all = vec!["exec"];
    all.extend_from_slice(args);
    let out = backend.run(&all, &lines(requests));
    assert_eq!(
        out.code,
        0,
        "{}: exec failed: {}",
        backend.name(),
        out.stderr
    );
    json_lines(&out.stdout)
}

fn code(answer: &Value) -> &str {
    answer["Body"]["Code"].as_str().unwrap_or("")
}

fn types(answer: &Value) -> Vec<String> {
    answer["Events"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["Type"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn log_of(backend: &Backend) -> Vec<Value> {
    let out = backend.run(&["log", "--json"], "");
    assert_eq!(out.code, 0, "{}: log: {}", backend.name(), out.stderr);
    json_lines(&out.stdout)
}

fn verify(backend: &Backend) -> (i32, String) {
    let out = backend.run(&["verify"], "");
    (out.code, format!("{}{}", out.stdout, out.stderr))
}

/// docs/BEHAVIOUR.md §4.1 rows 4 and 8 (Pending; Running without Force),
/// and the release itself: the same
/// answers and events whichever storage holds the log.
#[test]
fn delete_instance_rules_hold_through_exec_on_every_backend() {
    let mut logs = Vec::new();
    for backend in Backend::all("rules") {
        let created = exec(
            &backend,
            &["--clock", "manual", "--seed", "7"],
            &[json!({"Action": "CreateInstance", "DataDisk.1.Size": 40})],
        );
        let id = created[0]["Body"]["InstanceId"]
            .as_str()
            .unwrap()
            .to_owned();
        let answers = exec(
            &backend,
            &["--clock", "manual", "--seed", "7"],
            &[
                json!({"Action": "DeleteInstance", "InstanceId": id}),
                json!({"Action": "AdvanceClock", "Seconds": 10}),
                json!({"Action": "StartInstance", "InstanceId": id}),
                json!({"Action": "AdvanceClock", "Seconds": 10}),
                json!({"Action": "DeleteInstance", "InstanceId": id}),
                json!({"Action": "DeleteInstance", "InstanceId": id, "Force": true}),
                json!({"Action": "DescribeInstances"}),
            ],
        );
        let name = backend.name();
        assert_eq!(
            code(&answers[0]),
            "IncorrectInstanceStatus.Initializing",
            "{name}"
        );
        assert_eq!(types(&answers[1]), ["InstanceStatusChanged"], "{name}");
        assert_eq!(answers[2]["Status"], 200, "{name}: {}", answers[2]);
        assert_eq!(code(&answers[4]), "IncorrectInstanceStatus", "{name}");
        assert_eq!(answers[5]["Status"], 200, "{name}: {}", answers[5]);
        assert_eq!(
            types(&answers[5]),
            ["InstanceReleased", "DiskReleased", "DiskReleased"],
            "{name}"
        );
        assert_eq!(answers[6]["Body"]["TotalCount"], 0, "{name}");
        let log = log_of(&backend);
        let kinds: Vec<String> = log
            .iter()
            .map(|e| e["Type"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(verify(&backend).0, 0, "{name}");
        logs.push(kinds);
    }
    assert!(logs.windows(2).all(|w| w[0] == w[1]), "{logs:?}");
}

/// A reopened ledger goes on from its log (Seq gapless across processes);
/// after kill -9 every acknowledged command is there exactly, and verify
/// passes.
#[test]
fn a_reopened_or_killed_ledger_keeps_everything_acknowledged_on_every_backend() {
    for backend in Backend::all("restart") {
        let name = backend.name();
        exec(
            &backend,
            &[],
            &[
                json!({"Action": "CreateDisk", "Size": 20}),
                json!({"Action": "CreateDisk", "Size": 30}),
            ],
        );
        let again = exec(
            &backend,
            &[],
            &[json!({"Action": "CreateDisk", "Size": 40})],
        );
        assert_eq!(again[0]["Events"][0]["Seq"], 3, "{name}");

        let mut running = backend.exec(&[]);
        let mut acked = Vec::new();
        for size in 0..10 {
            let answer = running
                .send(&json!({"Action": "CreateDisk", "Size": 20 + size}).to_string())
                .expect("an answer");
            acked.push(answer);
        }
        // More in flight, unanswered, when the process dies.
        for size in 0..20 {
            running.write(&json!({"Action": "CreateDisk", "Size": 50 + size}).to_string());
        }
        running.kill();

        assert_eq!(verify(&backend).0, 0, "{name}");
        let log = log_of(&backend);
        for (n, e) in log.iter().enumerate() {
            assert_eq!(e["Seq"], n as u64 + 1, "{name}: gapless");
        }
        for answer in &acked {
            let event = &answer["Events"][0];
            let seq = event["Seq"].as_u64().unwrap() as usize;
            assert_eq!(&log[seq - 1], event, "{name}: acknowledged event {seq}");
        }
        // And it takes commands again.
        let after = exec(
            &backend,
            &[],
            &[json!({"Action": "CreateDisk", "Size": 20})],
        );
        assert_eq!(after[0]["Events"][0]["Seq"], log.len() as u64 + 1, "{name}");
    }
}

/// docs/BEHAVIOUR.md §6: the same ClientToken returns the first answer
/// (same RequestId, nothing appended), across a restart; other parameters
/// with it are IdempotentParameterMismatch.
#[test]
fn a_client_token_answers_once_on_every_backend() {
    for backend in Backend::all("token") {
        let name = backend.name();
        let first = exec(
            &backend,
            &[],
            &[json!({"Action": "CreateDisk", "Size": 20, "ClientToken": "t-1"})],
        );
        let answers = exec(
            &backend,
            &[],
            &[
                json!({"Action": "CreateDisk", "Size": 20, "ClientToken": "t-1"}),
                json!({"Action": "CreateDisk", "Size": 30, "ClientToken": "t-1"}),
            ],
        );
        assert_eq!(answers[0]["Body"], first[0]["Body"], "{name}");
        assert_eq!(types(&answers[0]), Vec::<String>::new(), "{name}");
        assert_eq!(code(&answers[1]), "IdempotentParameterMismatch", "{name}");
        assert_eq!(log_of(&backend).len(), 1, "{name}");
    }
}

/// The release report (a projection kept in the ledger's own store) counts
/// each release once, however often it is caught up or rebuilt, and agrees
/// with a fold of the log (verify checks it).
#[test]
fn the_release_report_counts_each_release_once_on_every_backend() {
    for backend in Backend::all("report") {
        let name = backend.name();
        let created = exec(
            &backend,
            &["--clock", "manual"],
            &[
                json!({"Action": "CreateInstance", "DataDisk.1.Size": 40}),
                json!({"Action": "CreateInstance"}),
            ],
        );
        let ids: Vec<String> = created
            .iter()
            .map(|a| a["Body"]["InstanceId"].as_str().unwrap().to_owned())
            .collect();
        let report = |backend: &Backend| -> u64 {
            let out = backend.run(&["report", "--json"], "");
            assert_eq!(out.code, 0, "{}", out.stderr);
            let v: Value = serde_json::from_str(&out.stdout).unwrap();
            v["Accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["InstancesReleased"].as_u64().unwrap())
                .sum()
        };
        exec(
            &backend,
            &["--clock", "manual"],
            &[
                json!({"Action": "AdvanceClock", "Seconds": 10}),
                json!({"Action": "DeleteInstance", "InstanceId": ids[0], "Force": true}),
            ],
        );
        assert_eq!(report(&backend), 1, "{name}");
        assert_eq!(report(&backend), 1, "{name}: caught up again");
        exec(
            &backend,
            &["--clock", "manual"],
            &[json!({"Action": "DeleteInstance", "InstanceId": ids[1], "Force": true})],
        );
        assert_eq!(report(&backend), 2, "{name}");
        let rebuilt = backend.run(&["rebuild", "report"], "");
        assert_eq!(rebuilt.code, 0, "{name}: {}", rebuilt.stderr);
        assert_eq!(report(&backend), 2, "{name}: rebuilt");
        let (status, said) = verify(&backend);
        assert_eq!(status, 0, "{name}: {said}");
    }
}

/// The keys of the stored chunks, in order.
fn chunk_keys(backend: &Backend) -> Vec<Vec<u8>> {
    let storage = backend.storage();
    storage
        .scan_prefix(b"l")
        .map(|item| item.unwrap().0.as_ref().to_vec())
        .collect()
}

/// A byte changed by hand in a stored record (a row edited in the
/// database, a bit flipped on disk) is reported by verify with exit 1,
/// naming the record, and the ledger takes no writes until a verify passes.
#[test]
fn a_hand_edited_record_is_reported_by_verify_on_every_backend() {
    for backend in Backend::all("edited") {
        let name = backend.name();
        exec(
            &backend,
            &[],
            &[
                json!({"Action": "CreateDisk", "Size": 20}),
                json!({"Action": "CreateDisk", "Size": 30}),
            ],
        );
        let key = chunk_keys(&backend)[0].clone();
        let mut value = backend
            .storage()
            .get(&key)
            .unwrap()
            .unwrap()
            .as_ref()
            .to_vec();
        let last = value.len() - 1;
        value[last] ^= 0x55;
        backend.overwrite(&key, &value);
        let (status, said) = verify(&backend);
        assert_eq!(status, 1, "{name}: {said}");
        assert!(
            said.contains("BROKEN") && said.contains("record"),
            "{name}: {said}"
        );
        let refused = backend.run(&["exec"], "{\"Action\":\"CreateDisk\",\"Size\":20}\n");
        assert_eq!(refused.code, 2, "{name}: {}", refused.stdout);
        assert!(
            refused.stderr.contains("cannot open the ledger"),
            "{name}: {}",
            refused.stderr
        );
    }
}

/// A row removed by hand from the end of the log (the log cut back under
/// the ledger) is reported by verify: the head witness names a later record.
#[test]
fn a_removed_last_row_is_reported_by_verify_on_every_backend() {
    for backend in Backend::all("removed") {
        let name = backend.name();
        exec(
            &backend,
            &[],
            &[json!({"Action": "CreateDisk", "Size": 20})],
        );
        exec(
            &backend,
            &[],
            &[json!({"Action": "CreateDisk", "Size": 30})],
        );
        let keys = chunk_keys(&backend);
        assert_eq!(keys.len(), 2, "{name}: one chunk per commit");
        backend.remove(&keys[1]);
        let (status, said) = verify(&backend);
        assert_eq!(status, 1, "{name}: {said}");
        assert!(said.contains("missing"), "{name}: {said}");
    }
}
