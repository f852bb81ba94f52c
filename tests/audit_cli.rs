//! `keygen`, `checkpoint`, `prove`, `check-proof`, `verify --checkpoint` and
//! `serve --checkpoint-key`, driven as an operator and an auditor would.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{Output, run};
use common::http::{Server, get};
use serde_json::Value;

const CREATE: &str = "{\"Action\":\"CreateDisk\",\"Size\":20}\n";

fn creates(n: usize) -> String {
    CREATE.repeat(n)
}

/// Runs a command that needs no ledger (`--data` names none).
fn offline(dir: &Path, args: &[&str]) -> Output {
    run(&dir.join("no-ledger"), args, "")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A ledger of `records` records, a key pair and a checkpoint of it.
struct Setup {
    tmp: tempfile::TempDir,
    data: PathBuf,
    key: PathBuf,
    public: PathBuf,
}

impl Setup {
    fn new(records: usize) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("ledger");
        assert_eq!(
            run(&data, &["exec", "--seed", "4"], &creates(records)).code,
            0
        );
        let key = tmp.path().join("audit.key");
        let out = offline(tmp.path(), &["keygen", "--out", p(&key)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let public = tmp.path().join("audit.key.pub");
        assert_eq!(
            out.stdout.trim(),
            std::fs::read_to_string(&public).unwrap().trim()
        );
        Self {
            tmp,
            data,
            key,
            public,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn checkpoint(&self, data: &Path, name: &str) -> PathBuf {
        let out_path = self.file(name);
        let out = run(
            data,
            &["checkpoint", "--key", p(&self.key), "--out", p(&out_path)],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out_path
    }

    fn prove(&self, seq: u64, checkpoint: &Path) -> PathBuf {
        let out_path = self.file(&format!("proof-{seq}.json"));
        let seq = seq.to_string();
        let args = [
            "prove",
            "--seq",
            &seq,
            "--checkpoint",
            p(checkpoint),
            "--out",
            p(&out_path),
        ];
        let out = run(&self.data, &args, "");
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        out_path
    }

    fn check(&self, proof: &Path, checkpoints: &[&Path], extra: &[&str]) -> Output {
        let mut args = vec!["check-proof", "--proof", p(proof)];
        for c in checkpoints {
            args.extend(["--checkpoint", p(c)]);
        }
        args.extend(["--public-key", p(&self.public)]);
        args.extend(extra);
        offline(self.tmp.path(), &args)
    }

    fn verify(&self, data: &Path, checkpoint: &Path, public: &Path) -> Output {
        let args = [
            "verify",
            "--checkpoint",
            p(checkpoint),
            "--public-key",
            p(public),
        ];
        run(data, &args, "")
    }
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Flips the lowest bit of the hex digit at `at` of a hex string.
fn flip_hex(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let digit = u8::from_str_radix(&text[at..at + 1], 16).unwrap() ^ 1;
    bytes[at] = format!("{digit:x}").as_bytes()[0];
    String::from_utf8(bytes).unwrap()
}

#[test]
fn an_inclusion_proof_verifies_for_every_seq_offline() {
    let s = Setup::new(24);
    let c = s.checkpoint(&s.data, "c.json");
    assert_eq!(json_file(&c)["TreeSize"], 24);
    for seq in 1..=24 {
        let proof = s.prove(seq, &c);
        let out = s.check(&proof, &[&c], &[]);
        assert_eq!(out.code, 0, "seq {seq}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains(&format!("\"Seq\":{seq}")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn a_tampered_proof_record_checkpoint_or_key_fails() {
    let s = Setup::new(20);
    let c = s.checkpoint(&s.data, "c.json");
    let proof = s.prove(7, &c);
    let good = json_file(&proof);
    let tampered = s.file("tampered.json");
    let expect_fail = |file: &Path, cps: &[&Path], extra: &[&str], what: &str| {
        let out = s.check(file, cps, extra);
        assert_eq!(out.code, 1, "{what}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("FAILED"), "{what}: {}", out.stdout);
    };
    // A hash of the audit path changed.
    let mut v = good.clone();
    let h = v["AuditPath"][1].as_str().unwrap().to_owned();
    v["AuditPath"][1] = Value::from(flip_hex(&h, 10));
    write_json(&tampered, &v);
    expect_fail(&tampered, &[&c], &[], "path");
    // The record changed (and its leaf hash dropped, so only the path can tell).
    let mut v = good.clone();
    let r = v["Record"].as_str().unwrap().to_owned();
    v["Record"] = Value::from(flip_hex(&r, 40));
    v.as_object_mut().unwrap().remove("LeafHash");
    write_json(&tampered, &v);
    expect_fail(&tampered, &[&c], &[], "record");
    // Another record given with --record.
    let other = json_file(&s.prove(8, &c))["Record"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("Record");
    v.as_object_mut().unwrap().remove("LeafHash");
    write_json(&tampered, &v);
    let record = s.file("record.hex");
    std::fs::write(&record, &other).unwrap();
    expect_fail(&tampered, &[&c], &["--record", p(&record)], "--record");
    std::fs::write(&record, good["Record"].as_str().unwrap()).unwrap();
    assert_eq!(s.check(&tampered, &[&c], &["--record", p(&record)]).code, 0);
    // The proof moved to another seq.
    let mut v = good.clone();
    v["Seq"] = Value::from(8);
    v["LeafIndex"] = Value::from(7);
    write_json(&tampered, &v);
    expect_fail(&tampered, &[&c], &[], "seq");
    // The checkpoint's root or size changed: its signature fails.
    let cp = json_file(&c);
    let bad_cp = s.file("bad-checkpoint.json");
    let mut v = cp.clone();
    v["RootHash"] = Value::from(flip_hex(cp["RootHash"].as_str().unwrap(), 0));
    write_json(&bad_cp, &v);
    expect_fail(&proof, &[&bad_cp], &[], "checkpoint root");
    let mut v = cp.clone();
    v["TreeSize"] = Value::from(21);
    write_json(&bad_cp, &v);
    expect_fail(&proof, &[&bad_cp], &[], "checkpoint size");
    // Another key: its own id does not match, and a forged id does not verify.
    let other_key = s.file("other.key");
    assert_eq!(
        offline(s.tmp.path(), &["keygen", "--out", p(&other_key)]).code,
        0
    );
    let other_pub = s.file("other.key.pub");
    let args = [
        "check-proof",
        "--proof",
        p(&proof),
        "--checkpoint",
        p(&c),
        "--public-key",
        p(&other_pub),
    ];
    assert_eq!(offline(s.tmp.path(), &args).code, 1);
    let forged = s.checkpoint(&s.data, "forged.json");
    let mut v = json_file(&forged);
    let out = run(&s.data, &["checkpoint", "--key", p(&other_key)], "");
    v["KeyId"] = serde_json::from_str::<Value>(&out.stdout).unwrap()["KeyId"].clone();
    write_json(&forged, &v);
    assert_eq!(s.verify(&s.data, &forged, &other_pub).code, 1);
    // Unreadable files are status 2, not a verdict.
    let missing = s.file("missing.json");
    assert_eq!(s.check(&missing, &[&c], &[]).code, 2);
}

#[test]
fn a_consistency_proof_links_two_checkpoints() {
    let s = Setup::new(13);
    let c1 = s.checkpoint(&s.data, "c1.json");
    assert_eq!(run(&s.data, &["exec"], &creates(9)).code, 0);
    let c2 = s.checkpoint(&s.data, "c2.json");
    let proof = s.file("consistency.json");
    let args = [
        "prove",
        "--from",
        p(&c1),
        "--to",
        p(&c2),
        "--out",
        p(&proof),
    ];
    assert_eq!(run(&s.data, &args, "").code, 0);
    let out = s.check(&proof, &[&c1, &c2], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(s.check(&proof, &[&c2, &c1], &[]).code, 1);
    let mut v = json_file(&proof);
    let h = v["ConsistencyPath"][0].as_str().unwrap().to_owned();
    v["ConsistencyPath"][0] = Value::from(flip_hex(&h, 3));
    write_json(&proof, &v);
    assert_eq!(s.check(&proof, &[&c1, &c2], &[]).code, 1);
    let backwards = ["prove", "--from", p(&c2), "--to", p(&c1)];
    assert_eq!(run(&s.data, &backwards, "").code, 2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn verify_checkpoint_fails_on_a_cut_back_or_rewritten_log_and_passes_an_extended_one() {
    let s = Setup::new(30);
    let early = s.file("early");
    copy_dir(&s.data, &early);
    assert_eq!(run(&s.data, &["exec"], &creates(30)).code, 0);
    let c = s.checkpoint(&s.data, "c.json");
    let ok = s.verify(&s.data, &c, &s.public);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    // Extended: still holds the signed tree.
    assert_eq!(run(&s.data, &["exec"], &creates(5)).code, 0);
    let extended = s.verify(&s.data, &c, &s.public);
    assert_eq!(extended.code, 0, "{}", extended.stdout);
    assert!(
        extended.stdout.contains("(65 records)"),
        "{}",
        extended.stdout
    );
    // Cut back to the early copy.
    let cut = s.verify(&early, &c, &s.public);
    assert_eq!(cut.code, 1, "{}", cut.stdout);
    assert!(cut.stdout.contains("cut back"), "{}", cut.stdout);
    // Rewritten: the copy goes its own way past the signed size, with a
    // fresh, valid hash chain (its own `verify` finds nothing wrong).
    let other = "{\"Action\":\"CreateDisk\",\"Size\":30}\n".repeat(40);
    assert_eq!(run(&early, &["exec"], &other).code, 0);
    assert_eq!(run(&early, &["verify"], "").code, 0);
    let rewritten = s.verify(&early, &c, &s.public);
    assert_eq!(rewritten.code, 1, "{}", rewritten.stdout);
    assert!(
        rewritten.stdout.contains("rewritten"),
        "{}",
        rewritten.stdout
    );
    let prove = run(&early, &["prove", "--seq", "3", "--checkpoint", p(&c)], "");
    assert_eq!(prove.code, 1, "{}", prove.stdout);
    // A tampered checkpoint is refused before the log is looked at.
    let mut v = json_file(&c);
    v["TreeSize"] = Value::from(31);
    let bad = s.file("bad.json");
    write_json(&bad, &v);
    assert_eq!(s.verify(&s.data, &bad, &s.public).code, 1);
}

#[test]
fn serve_publishes_signed_checkpoints_to_a_directory() {
    let s = Setup::new(5);
    let dir = s.file("published");
    let args: Vec<String> = [
        "--data",
        p(&s.data),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--checkpoint-key",
        p(&s.key),
        "--checkpoint-dir",
        p(&dir),
        "--checkpoint-every",
        "1",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let server = Server::spawn(args, tempfile::tempdir().unwrap());
    assert!(dir.join("checkpoint-5.json").exists());
    let url = format!(
        "http://{}/?Action=CreateDisk&Size=20&Format=JSON",
        server.addr
    );
    assert_eq!(get(&url, &[]).0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !dir.join("checkpoint-6.json").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint of 6 records published"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (code, _) = server.stop();
    assert_eq!(code, 0);
    let latest = dir.join("latest.json");
    assert_eq!(json_file(&latest)["TreeSize"], 6);
    let out = s.verify(&s.data, &latest, &s.public);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let early = dir.join("checkpoint-5.json");
    let proof = s.file("p.json");
    let args = [
        "prove",
        "--from",
        p(&early),
        "--to",
        p(&latest),
        "--out",
        p(&proof),
    ];
    assert_eq!(run(&s.data, &args, "").code, 0);
    assert_eq!(s.check(&proof, &[&early, &latest], &[]).code, 0);
}
