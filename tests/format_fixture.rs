//! The on-disk format is a public contract: a log written by each format
//! version (committed under tests/fixtures/format-v1 and format-v2, never
//! regenerated) must stay readable, verifiable and writable by every later
//! build.

mod common;

use std::path::Path;

use common::cli::run;

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

fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v1");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    copy_dir(&root.join("ledger"), &dir);
    (tmp, root)
}

#[test]
fn a_format_v1_log_reads_back_exactly() {
    let (_tmp, root) = fixture();
    let dir = _tmp.path().join("ledger");
    let expected = std::fs::read_to_string(root.join("log.jsonl")).unwrap();
    let out = run(&dir, &["log", "--json"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, expected);
}

#[test]
fn a_format_v1_log_verifies_with_its_original_head_hash() {
    let (_tmp, root) = fixture();
    let dir = _tmp.path().join("ledger");
    let expected = std::fs::read_to_string(root.join("verify.txt")).unwrap();
    let out = run(&dir, &["verify"], "");
    assert_eq!(out.code, 0, "{}", out.stdout);
    // The records and the head hash are those version 1 wrote (later builds
    // report other things besides: format 2 has no tag index to count).
    let head = &expected[expected.find("head seq").unwrap()..].trim_end();
    assert!(out.stdout.starts_with("ok: 51 records"), "{}", out.stdout);
    assert!(out.stdout.contains(head), "{}\nexpected {head}", out.stdout);
    // Reading does not upgrade: the store is still format 1.
    let db = sled::open(&dir).unwrap();
    assert_eq!(db.get(b"mformat").unwrap().unwrap().as_ref(), [1u8]);
}

#[test]
fn a_format_v1_log_accepts_new_commands_and_keeps_its_history() {
    let (_tmp, root) = fixture();
    let dir = _tmp.path().join("ledger");
    let out = run(
        &dir,
        &["exec"],
        r#"{"Action":"CreateDisk","Size":20,"At":"2026-02-01T00:00:00Z"}"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(r#""Status":200"#), "{}", out.stdout);
    let expected = std::fs::read_to_string(root.join("log.jsonl")).unwrap();
    let now = run(&dir, &["log", "--json"], "").stdout;
    assert!(now.starts_with(&expected), "history changed");
    assert_eq!(run(&dir, &["verify"], "").code, 0);
    // Opened to write, it was upgraded in place to format 2: chunks, no
    // per-record keys, no tag index, and the same hash chain (verify passed
    // with the original head hash in it, below).
    let verify = run(&dir, &["verify"], "").stdout;
    let original = std::fs::read_to_string(root.join("verify.txt")).unwrap();
    let hash51 = original.split("hash ").nth(1).unwrap().trim();
    let log = run(&dir, &["log", "--json", "--from", "51"], "").stdout;
    assert!(log.contains("\"Seq\":51"), "{log}");
    assert!(verify.starts_with("ok: 52 records"), "{verify}");
    let db = sled::open(&dir).unwrap();
    assert_eq!(db.get(b"mformat").unwrap().unwrap().as_ref(), [2u8]);
    assert!(
        db.scan_prefix(b"e").next().is_none(),
        "format 1 records are gone"
    );
    assert!(
        db.scan_prefix(b"t").next().is_none(),
        "the tag index is gone"
    );
    assert!(db.scan_prefix(b"l").next().is_some(), "chunks are there");
    drop(db);
    // Record 51 still carries the hash format 1 gave it.
    let storage = ecs_ledger::storage::sled_store::SledStorage::open(&dir, 8 << 20).unwrap();
    let inspected = ecs_ledger::log::EventLog::inspect(storage).unwrap();
    let mut hash = None;
    inspected
        .log
        .for_each_raw(51, |seq, bytes| -> Result<(), ecs_ledger::log::LogError> {
            if seq == 51 {
                hash = Some(hex::encode(
                    ecs_ledger::log::record::split(bytes).unwrap().hash,
                ));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(hash.as_deref(), Some(hash51));
}

#[test]
fn a_format_v1_log_without_an_inventory_gets_one_built_at_open() {
    let (_tmp, _root) = fixture();
    let dir = _tmp.path().join("ledger");
    // The fixture predates nothing of the inventory's keys it needs: opening
    // catches the inventory up from the log, and Describe sees the kept disk.
    let out = run(
        &dir,
        &["exec"],
        r#"{"Action":"DescribeDisks","At":"2026-02-01T00:00:00Z"}"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let body: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(body["Body"]["TotalCount"], 1, "{body}");
    assert_eq!(body["Body"]["Disks"]["Disk"][0]["Status"], "Available");
}

/// A copy of `tests/fixtures/format-v2` (the quickstart, `exec --seed 1`,
/// written by the first build of format 2 and never regenerated).
fn fixture_v2() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v2");
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root.join("ledger"), &tmp.path().join("ledger"));
    (tmp, root)
}

#[test]
fn a_format_v2_log_reads_back_exactly_with_its_state() {
    let (tmp, root) = fixture_v2();
    let dir = tmp.path().join("ledger");
    let log = run(&dir, &["log", "--json"], "");
    assert_eq!(log.code, 0, "{}", log.stderr);
    assert_eq!(
        log.stdout,
        std::fs::read_to_string(root.join("log.jsonl")).unwrap()
    );
    let state = run(&dir, &["replay", "--json"], "");
    assert_eq!(state.code, 0, "{}", state.stderr);
    assert_eq!(
        state.stdout,
        std::fs::read_to_string(root.join("state.json")).unwrap()
    );
}

#[test]
fn a_format_v2_log_verifies_with_its_original_head_hash_and_takes_new_commands() {
    let (tmp, root) = fixture_v2();
    let dir = tmp.path().join("ledger");
    let expected = std::fs::read_to_string(root.join("verify.txt")).unwrap();
    let head = expected[expected.find("head seq").unwrap()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let verify = run(&dir, &["verify"], "");
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(
        verify.stdout.contains(&head),
        "{}\nexpected {head}",
        verify.stdout
    );
    let out = run(
        &dir,
        &["exec"],
        r#"{"Action":"CreateDisk","Size":20,"At":"2026-02-01T00:00:00Z"}"#,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(r#""Status":200"#), "{}", out.stdout);
    let now = run(&dir, &["log", "--json"], "").stdout;
    let original = std::fs::read_to_string(root.join("log.jsonl")).unwrap();
    assert!(now.starts_with(&original), "history changed");
    assert!(
        run(&dir, &["verify"], "")
            .stdout
            .starts_with("ok: 52 records")
    );
}
