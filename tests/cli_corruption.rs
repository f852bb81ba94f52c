//! Corruption: records changed underneath (through sled directly) are caught
//! by `verify` with their Seq, and nothing panics on bad bytes.

mod common;

use std::path::Path;

use common::cli::run;
use ecs_ledger::log::{keys, record};
use ecs_ledger::model::event::Recorded;

const QUICKSTART: &str = include_str!("../examples/quickstart.jsonl");

fn ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(dir.path(), &["exec", "--seed", "1"], QUICKSTART).code,
        0
    );
    dir
}

/// Opens the sled database directly, changes it, and closes it.
fn tamper(dir: &Path, f: impl FnOnce(&sled::Db)) {
    let db = sled::open(dir).unwrap();
    f(&db);
    db.flush().unwrap();
}

fn assert_no_panic(dir: &Path) {
    for args in [
        &["log", "--json"][..],
        &["log"],
        &["replay"],
        &["replay", "--json"],
        &["verify"],
    ] {
        let out = run(dir, args, "");
        assert!(
            !out.stderr.contains("panicked"),
            "{args:?} panicked: {}",
            out.stderr
        );
    }
    let exec = run(dir, &["exec"], r#"{"Action":"CreateDisk","Size":20}"#);
    assert!(
        !exec.stderr.contains("panicked"),
        "exec panicked: {}",
        exec.stderr
    );
}

#[test]
fn verify_passes_on_an_untouched_log() {
    let dir = ledger();
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("ok: "), "{}", out.stdout);
    assert!(out.stdout.contains("head seq "));
}

#[test]
fn a_flipped_byte_is_caught_with_its_seq() {
    let dir = ledger();
    tamper(dir.path(), |db| {
        let key = keys::event(17);
        let mut bytes = db.get(key).unwrap().unwrap().to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        db.insert(key, bytes).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("record 17"), "{}", out.stdout);
    assert!(out.stdout.contains("checksum"), "{}", out.stdout);
    assert_no_panic(dir.path());
}

#[test]
fn a_rewritten_record_with_a_valid_checksum_breaks_the_chain() {
    let dir = ledger();
    tamper(dir.path(), |db| {
        // Rewrite history properly encoded: the checksum is right, the
        // payload decodes, but the chain no longer follows.
        let key = keys::event(5);
        let old = db.get(key).unwrap().unwrap();
        let (mut recorded, _): (Recorded, _) = record::decode(5, &old).unwrap();
        recorded.account = ecs_ledger::model::id::Account::parse("mallory").unwrap();
        let (bytes, _) = record::encode(&recorded, &[7u8; 32]).unwrap();
        db.insert(key, bytes).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("record 5"), "{}", out.stdout);
    assert!(out.stdout.contains("chain"), "{}", out.stdout);
    assert_no_panic(dir.path());
}

#[test]
fn a_deleted_record_is_named_as_missing() {
    let dir = ledger();
    tamper(dir.path(), |db| {
        db.remove(keys::event(9)).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("record 9"), "{}", out.stdout);
    assert_no_panic(dir.path());
}

#[test]
fn garbage_in_place_of_a_record_never_panics() {
    for garbage in [
        vec![],
        vec![1u8],
        vec![1, 255, 255, 255, 255],
        vec![9u8; 100],
        vec![1, 200, 0, 0, 0, 0, 0, 0, 0],
    ] {
        let dir = ledger();
        tamper(dir.path(), |db| {
            db.insert(keys::event(3), garbage.clone()).unwrap();
        });
        let out = run(dir.path(), &["verify"], "");
        assert_eq!(out.code, 1, "{garbage:?}");
        assert!(
            out.stdout.contains("record 3"),
            "{garbage:?}: {}",
            out.stdout
        );
        assert_no_panic(dir.path());
    }
}

#[test]
fn a_broken_head_record_is_refused_when_opening_without_panicking() {
    let dir = ledger();
    let head = run(dir.path(), &["verify"], "").stdout;
    let seq: u64 = head
        .split("head seq ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    tamper(dir.path(), |db| {
        db.insert(keys::event(seq), vec![0u8; 3]).unwrap();
    });
    let out = run(
        dir.path(),
        &["exec"],
        r#"{"Action":"CreateDisk","Size":20}"#,
    );
    assert_ne!(
        out.code, 0,
        "exec must refuse a ledger whose head is broken"
    );
    assert!(out.stderr.contains("record"), "{}", out.stderr);
    assert_no_panic(dir.path());
}

#[test]
fn a_missing_tag_index_entry_is_caught() {
    let dir = ledger();
    tamper(dir.path(), |db| {
        let key = db.scan_prefix([keys::TAG]).next().unwrap().unwrap().0;
        db.remove(key).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("tag index"), "{}", out.stdout);
}

#[test]
fn a_newer_format_version_is_refused_clearly() {
    let dir = ledger();
    tamper(dir.path(), |db| {
        db.insert(keys::META_FORMAT, vec![99u8]).unwrap();
    });
    let out = run(dir.path(), &["log"], "");
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("format version 99"), "{}", out.stderr);
}
