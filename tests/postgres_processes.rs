//! Several processes writing one log in PostgreSQL (docs/ARCHITECTURE.md,
//! "PostgreSQL: many processes, one log"): `serve` and `exec` processes on
//! one database, concurrent clients, races on one instance, ClientTokens and
//! nonces across processes, due transitions applied once, kill -9 of one
//! process. Each test has a database of its own; all are skipped unless
//! `ECS_LEDGER_TEST_POSTGRES` is set (`scripts/postgres_cluster.sh start`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::cli::{Exec, json_lines, run_with};
use common::http::{KEYS, Server, nonce, now_iso, try_get, v1_query};
use common::pg::{TestDb, skipped};
use serde_json::{Value, json};

fn database(test: &str) -> Option<TestDb> {
    let db = TestDb::create(test);
    if db.is_none() {
        skipped(test);
    }
    db
}

fn place(db: &TestDb) -> Vec<String> {
    vec!["--postgres".into(), db.url().to_owned()]
}

fn run(db: &TestDb, args: &[&str]) -> common::cli::Output {
    let mut all = place(db);
    all.extend(args.iter().map(|s| s.to_string()));
    run_with(&all, b"")
}

fn log_of(db: &TestDb) -> Vec<Value> {
    let out = run(db, &["log", "--json"]);
    assert_eq!(out.code, 0, "log: {}", out.stderr);
    let log = json_lines(&out.stdout);
    for (n, e) in log.iter().enumerate() {
        assert_eq!(e["Seq"], n as u64 + 1, "Seq is gapless");
    }
    log
}

fn verify_passes(db: &TestDb) {
    let out = run(db, &["verify"]);
    assert_eq!(out.code, 0, "verify: {}{}", out.stdout, out.stderr);
}

/// `serve` on the test's database, with the test keys.
fn serve(db: &TestDb, extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, KEYS).unwrap();
    let mut args = place(db);
    args.extend(
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--access-keys",
            &keys.display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    Server::spawn(args, dir)
}

/// A v1-signed GET as alice (JSON); `None` when the server did not answer.
fn alice(addr: &str, params: &[(&str, &str)]) -> Option<(u16, Value)> {
    let mut p = params.to_vec();
    p.push(("Format", "JSON"));
    let q = v1_query("GET", "alice-key", "alice-secret", &p, &now_iso(), &nonce());
    call(addr, &q)
}

fn call(addr: &str, query: &str) -> Option<(u16, Value)> {
    let (status, _, body) = try_get(&format!("http://{addr}/?{query}"))?;
    Some((status, serde_json::from_str(&body).ok()?))
}

fn disks_created(log: &[Value]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for e in log.iter().filter(|e| e["Type"] == "DiskCreated") {
        *seen
            .entry(e["DiskId"].as_str().unwrap_or("").to_owned())
            .or_insert(0) += 1;
    }
    seen
}

/// Three `serve` processes on one database, eight clients spread over them:
/// every answer is a success, the log is gapless and holds every
/// acknowledged disk exactly once, the release report is caught up from two
/// processes at once without counting anything twice, and verify passes.
#[test]
fn three_serve_processes_append_one_gapless_log_with_every_acknowledged_command() {
    let Some(db) = database("three_serve") else {
        return;
    };
    let servers: Vec<Server> = (0..3).map(|_| serve(&db, &[])).collect();
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let acked = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for client in 0..8 {
            let addrs = &addrs;
            let acked = &acked;
            s.spawn(move || {
                for n in 0..25 {
                    let addr = &addrs[(client + n) % addrs.len()];
                    let (status, body) =
                        alice(addr, &[("Action", "CreateDisk"), ("Size", "20")]).expect("answer");
                    assert_eq!(status, 200, "{body}");
                    let disk = body["DiskId"].as_str().unwrap().to_owned();
                    acked.lock().unwrap().push(disk);
                }
            });
        }
    });
    let acked = acked.into_inner().unwrap();
    assert_eq!(acked.len(), 200);
    // Every process reads every other's writes: a Describe on each sees all.
    for addr in &addrs {
        let (_, body) = alice(addr, &[("Action", "DescribeDisks"), ("PageSize", "10")]).unwrap();
        assert_eq!(body["TotalCount"], 200, "{addr}: {body}");
    }
    let reports: Vec<_> = std::thread::scope(|s| {
        let a = s.spawn(|| run(&db, &["report", "--json"]));
        let b = s.spawn(|| run(&db, &["report", "--json"]));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    for r in &reports {
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let log = log_of(&db);
    let created = disks_created(&log);
    assert_eq!(created.len(), 200);
    for disk in &acked {
        assert_eq!(created.get(disk), Some(&1), "{disk} once");
    }
    verify_passes(&db);
    for server in servers {
        assert_eq!(server.stop().0, 0);
    }
    verify_passes(&db);
}

/// Two processes race DeleteInstance and AttachDisk on the same instances
/// (ten pairs): for each, exactly one consistent outcome. Either the disk
/// was attached first (both succeed, and the attach precedes the release in
/// the log), or the release came first (the attach is refused with
/// InvalidInstanceId.NotFound and no attach is logged). Never a decision on
/// a state the other process had already changed.
#[test]
fn a_race_of_delete_and_attach_on_one_instance_has_one_outcome_across_processes() {
    let Some(db) = database("race") else {
        return;
    };
    let mut setup = Vec::new();
    for _ in 0..10 {
        setup.push(json!({"Action": "CreateInstance"}).to_string());
        setup.push(json!({"Action": "CreateDisk", "Size": 20}).to_string());
    }
    setup.push(json!({"Action": "AdvanceClock", "Seconds": 10}).to_string());
    let mut all = place(&db);
    all.extend(["exec".to_owned(), "--clock".into(), "manual".into()]);
    let out = run_with(&all, (setup.join("\n") + "\n").as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let answers = json_lines(&out.stdout);
    let pairs: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                answers[2 * i]["Body"]["InstanceId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                answers[2 * i + 1]["Body"]["DiskId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();

    let mut deleter = Exec::spawn_at(&place(&db), &["--clock", "manual"]);
    let mut attacher = Exec::spawn_at(&place(&db), &["--clock", "manual"]);
    for (instance, disk) in &pairs {
        deleter.write(&json!({"Action": "DeleteInstance", "InstanceId": instance}).to_string());
        attacher.write(
            &json!({"Action": "AttachDisk", "InstanceId": instance, "DiskId": disk}).to_string(),
        );
    }
    let deletes: Vec<Value> = (0..10).map(|_| deleter.read().expect("answer")).collect();
    let attaches: Vec<Value> = (0..10).map(|_| attacher.read().expect("answer")).collect();
    assert_eq!(deleter.finish(), 0);
    assert_eq!(attacher.finish(), 0);

    let log = log_of(&db);
    let seq_of = |kind: &str, field: &str, id: &str| -> Option<u64> {
        log.iter()
            .find(|e| e["Type"] == kind && e[field] == id)
            .and_then(|e| e["Seq"].as_u64())
    };
    for (i, (instance, disk)) in pairs.iter().enumerate() {
        assert_eq!(deletes[i]["Status"], 200, "{}", deletes[i]);
        let released = seq_of("InstanceReleased", "InstanceId", instance).expect("released");
        let attached = log
            .iter()
            .find(|e| e["Type"] == "DiskAttached" && e["DiskId"] == disk.as_str())
            .and_then(|e| e["Seq"].as_u64());
        if attaches[i]["Status"] == 200 {
            let attached = attached.expect("an acknowledged attach is logged");
            assert!(
                attached < released,
                "attach {attached} after release {released}"
            );
        } else {
            assert_eq!(
                attaches[i]["Body"]["Code"], "InvalidInstanceId.NotFound",
                "{}",
                attaches[i]
            );
            assert_eq!(attached, None, "a refused attach is not logged");
        }
    }
    verify_passes(&db);
}

/// A ClientToken is honoured whichever process sees the retry: sent to one
/// process and then another, or to both at once, one disk is created and
/// both answers are the first one (same RequestId and DiskId).
#[test]
fn a_client_token_is_honoured_across_processes() {
    let Some(db) = database("token") else {
        return;
    };
    let mut a = Exec::spawn_at(&place(&db), &[]);
    let mut b = Exec::spawn_at(&place(&db), &[]);
    let line = |t: usize| {
        json!({"Action": "CreateDisk", "Size": 20, "ClientToken": format!("tok-{t}")}).to_string()
    };
    let first = a.send(&line(0)).unwrap();
    let again = b.send(&line(0)).unwrap();
    assert_eq!(first["Body"], again["Body"]);
    for t in 1..=8 {
        a.write(&line(t));
        b.write(&line(t));
    }
    for _ in 1..=8 {
        let (x, y) = (a.read().unwrap(), b.read().unwrap());
        assert_eq!(x["Body"], y["Body"], "the same answer from both");
    }
    assert_eq!(a.finish(), 0);
    assert_eq!(b.finish(), 0);
    let created = disks_created(&log_of(&db));
    assert_eq!(created.len(), 9, "one disk per token");
    assert!(created.values().all(|n| *n == 1));
    verify_passes(&db);
}

/// Due transitions are the platform's own requests: whichever process runs
/// a request at or after the due time first applies them, and the other
/// folds them in instead of applying them again.
#[test]
fn due_transitions_are_applied_once_across_processes() {
    let Some(db) = database("due") else {
        return;
    };
    let mut a = Exec::spawn_at(&place(&db), &["--clock", "manual"]);
    let mut b = Exec::spawn_at(&place(&db), &["--clock", "manual"]);
    for _ in 0..5 {
        let created = a
            .send(&json!({"Action": "CreateInstance"}).to_string())
            .unwrap();
        assert_eq!(created["Status"], 200);
    }
    let advanced = b
        .send(&json!({"Action": "AdvanceClock", "Seconds": 10}).to_string())
        .unwrap();
    assert_eq!(
        advanced["Events"].as_array().unwrap().len(),
        5,
        "{advanced}"
    );
    let again = a
        .send(&json!({"Action": "AdvanceClock", "Seconds": 10}).to_string())
        .unwrap();
    assert_eq!(again["Events"].as_array().unwrap().len(), 0, "{again}");
    let described = a
        .send(&json!({"Action": "DescribeInstances"}).to_string())
        .unwrap();
    let statuses: BTreeSet<&str> = described["Body"]["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, BTreeSet::from(["Stopped"]));
    assert_eq!(a.finish(), 0);
    assert_eq!(b.finish(), 0);
    let changed = log_of(&db)
        .iter()
        .filter(|e| e["Type"] == "InstanceStatusChanged")
        .count();
    assert_eq!(changed, 5);
    verify_passes(&db);
}

/// A signed request's nonce is accepted once across every process: the
/// same signed request replayed to another server is SignatureNonceUsed.
#[test]
fn a_signature_nonce_is_refused_by_every_process() {
    let Some(db) = database("nonce") else {
        return;
    };
    let one = serve(&db, &[]);
    let two = serve(&db, &[]);
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "JSON")],
        &now_iso(),
        &nonce(),
    );
    let (status, body) = call(&one.addr, &q).unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&two.addr, &q).unwrap();
    assert_eq!(body["Code"], "SignatureNonceUsed", "{status} {body}");
    let (_, body) = call(&one.addr, &q).unwrap();
    assert_eq!(body["Code"], "SignatureNonceUsed", "{body}");
    assert_eq!(disks_created(&log_of(&db)).len(), 1);
}

/// kill -9 of one of three `serve` processes while clients keep writing to
/// all three: the other two keep answering, nothing acknowledged (by any of
/// them) is lost, and verify passes.
#[test]
fn kill_9_of_one_serve_process_loses_nothing_acknowledged_and_the_others_keep_serving() {
    let Some(db) = database("kill") else {
        return;
    };
    let mut servers: Vec<Option<Server>> = (0..3).map(|_| Some(serve(&db, &[]))).collect();
    let addrs: Vec<String> = servers
        .iter()
        .map(|s| s.as_ref().unwrap().addr.clone())
        .collect();
    let acked = Mutex::new(Vec::new());
    let answered = AtomicUsize::new(0);
    let killed = AtomicBool::new(false);
    let after_kill = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for client in 0..6 {
            let (addrs, acked, answered, killed, after_kill) =
                (&addrs, &acked, &answered, &killed, after_kill.clone());
            s.spawn(move || {
                let mut n = 0;
                // Until each survivor has answered enough after the kill.
                while after_kill.load(Ordering::SeqCst) < 60 && n < 2_000 {
                    let target = (client + n) % addrs.len();
                    n += 1;
                    let Some((status, body)) =
                        alice(&addrs[target], &[("Action", "CreateDisk"), ("Size", "20")])
                    else {
                        // Only the killed server may fail to answer.
                        assert_eq!(target, 0, "a surviving server stopped answering");
                        continue;
                    };
                    assert_eq!(status, 200, "{body}");
                    acked
                        .lock()
                        .unwrap()
                        .push(body["DiskId"].as_str().unwrap().to_owned());
                    answered.fetch_add(1, Ordering::SeqCst);
                    if killed.load(Ordering::SeqCst) && target != 0 {
                        after_kill.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        // Mid-stream: once a first stretch of requests has been answered.
        while answered.load(Ordering::SeqCst) < 60 {
            std::thread::yield_now();
        }
        if let Some(mut victim) = servers[0].take() {
            let _ = victim.child.kill();
            let _ = victim.child.wait();
        }
        killed.store(true, Ordering::SeqCst);
    });
    let acked = acked.into_inner().unwrap();
    assert!(after_kill.load(Ordering::SeqCst) >= 60);
    let created = disks_created(&log_of(&db));
    for disk in &acked {
        assert_eq!(
            created.get(disk),
            Some(&1),
            "acknowledged {disk} is logged once"
        );
    }
    verify_passes(&db);
    for server in servers.into_iter().flatten() {
        assert_eq!(server.stop().0, 0);
    }
    verify_passes(&db);
}
