//! Crash safety under kill -9 (default durability `flush`): a child process
//! executing commands is SIGKILLed at random moments, 60 times; after each,
//! the ledger is reopened and checked: `verify` passes, Seq is gapless, every
//! acknowledged command's events are there exactly, and no command is
//! half-written.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::cli::{Exec, json_lines, run};
use serde_json::{Value, json};

/// xorshift64*: a reproducible stream of choices for the test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The next request: mostly creations (whose InstanceName says how many data
/// disks they have), releases of instances seen acknowledged, and snapshots.
fn request(rng: &mut Rng, known: &[String], disks: &[String]) -> String {
    match rng.below(10) {
        0..=4 => {
            let k = rng.below(4);
            let mut req = json!({"Action": "CreateInstance", "InstanceName": format!("k{k}")});
            for n in 1..=k {
                req[format!("DataDisk.{n}.Size")] = json!(20);
                req[format!("DataDisk.{n}.DeleteWithInstance")] = json!(rng.below(2) == 0);
            }
            req.to_string()
        }
        5..=7 if !known.is_empty() => {
            let id = &known[rng.below(known.len() as u64) as usize];
            json!({"Action": "DeleteInstance", "InstanceId": id}).to_string()
        }
        _ if !disks.is_empty() => {
            let d = &disks[rng.below(disks.len() as u64) as usize];
            json!({"Action": "CreateAutoSnapshot", "DiskId": d}).to_string()
        }
        _ => json!({"Action": "CreateDisk", "Size": 20}).to_string(),
    }
}

/// Checks the log after a crash against what was acknowledged.
fn check(dir: &std::path::Path, acked: &[Value]) {
    let verify = run(dir, &["verify"], "");
    if acked.is_empty() && verify.code == 2 && verify.stdout.contains("no ledger") {
        return; // killed before the ledger existed: nothing to lose
    }
    assert_eq!(
        verify.code, 0,
        "verify after kill -9: {}{}",
        verify.stdout, verify.stderr
    );
    let log = json_lines(&run(dir, &["log", "--json"], "").stdout);
    for (n, e) in log.iter().enumerate() {
        assert_eq!(e["Seq"], n as u64 + 1, "gapless");
    }
    // Every acknowledged event is there, exactly.
    for reply in acked {
        for event in reply["Events"].as_array().unwrap() {
            let seq = event["Seq"].as_u64().unwrap() as usize;
            assert!(
                seq <= log.len(),
                "acknowledged event {seq} lost: the log ends at {}",
                log.len()
            );
            assert_eq!(
                &log[seq - 1],
                event,
                "acknowledged event {seq} lost or changed"
            );
        }
    }
    // No half-written command: group by RequestId and check each group whole.
    let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in &log {
        groups
            .entry(e["RequestId"].as_str().unwrap().to_owned())
            .or_default()
            .push(e);
    }
    let mut disks_of: BTreeMap<String, usize> = BTreeMap::new();
    for e in &log {
        let group = &groups[e["RequestId"].as_str().unwrap()];
        match e["Type"].as_str().unwrap() {
            "InstanceCreated" => {
                let id = e["InstanceId"].as_str().unwrap();
                let k: usize = e["InstanceName"].as_str().unwrap()[1..].parse().unwrap();
                let created = group
                    .iter()
                    .filter(|g| g["Type"] == "DiskCreated" && g["InstanceId"] == id)
                    .count();
                assert_eq!(
                    created,
                    k + 1,
                    "instance {id} created with {created} of {} disks",
                    k + 1
                );
                disks_of.insert(id.to_owned(), k + 1);
            }
            "InstanceReleased" => {
                let id = e["InstanceId"].as_str().unwrap();
                let handled = group
                    .iter()
                    .filter(|g| {
                        (g["Type"] == "DiskReleased" || g["Type"] == "DiskDetached")
                            && g["InstanceId"] == id
                    })
                    .count();
                assert_eq!(
                    Some(&handled),
                    disks_of.get(id),
                    "release of {id} half written"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn sixty_kill_9s_at_random_moments_lose_nothing_acknowledged_and_tear_nothing() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut kills = 0;
    for _round in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let mut acked: Vec<Value> = Vec::new();
        let mut known: Vec<String> = Vec::new();
        let mut disks: Vec<String> = Vec::new();
        for _ in 0..10 {
            let mut exec = Exec::spawn(dir.path(), &["--durations", "0,0,0"]);
            // Some requests answered one by one...
            for _ in 0..rng.below(12) {
                let line = request(&mut rng, &known, &disks);
                let Some(reply) = exec.send(&line) else { break };
                for e in reply["Events"].as_array().unwrap() {
                    if e["Type"] == "InstanceCreated" {
                        known.push(e["InstanceId"].as_str().unwrap().to_owned());
                    }
                    if e["Type"] == "DiskCreated" {
                        disks.push(e["DiskId"].as_str().unwrap().to_owned());
                    }
                }
                acked.push(reply);
            }
            // ...then a burst in flight, killed at a random moment.
            for _ in 0..rng.below(40) {
                let line = request(&mut rng, &known, &disks);
                if !exec.write(&line) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.below(20_000)));
            exec.kill();
            kills += 1;
            check(dir.path(), &acked);
        }
    }
    assert!(kills >= 50);
}
