//! Corruption: records changed underneath (through sled directly) are caught
//! by `verify` with their Seq, and nothing panics on bad bytes.

mod common;

use std::path::Path;

use common::cli::{Exec, run};
use ecs_ledger::log::{chunk, keys, record};
use ecs_ledger::model::event::Recorded;

const QUICKSTART: &str = include_str!("../examples/quickstart.jsonl");

/// The quickstart, each request its own commit (so each chunk holds one
/// request's records).
fn ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut exec = Exec::spawn(dir.path(), &["--seed", "1"]);
    for line in QUICKSTART.lines() {
        assert!(exec.send(line).is_some());
    }
    assert_eq!(exec.finish(), 0);
    dir
}

/// Opens the sled database directly, changes it, and closes it.
fn tamper(dir: &Path, f: impl FnOnce(&sled::Db)) {
    let db = sled::open(dir).unwrap();
    f(&db);
    db.flush().unwrap();
}

/// The key of the chunk holding `seq`, and its records' bytes.
fn chunk_of(db: &sled::Db, seq: u64) -> (Vec<u8>, Vec<(u64, Vec<u8>)>) {
    let (key, value) = db
        .range(keys::chunk(0)..=keys::chunk(seq))
        .next_back()
        .unwrap()
        .unwrap();
    let first = keys::chunk_seq(&key).unwrap();
    let header = chunk::header(&value, first).unwrap();
    let body = chunk::body(&value, header).unwrap();
    let records = chunk::records(&body, header)
        .map(|r| {
            let (s, b) = r.unwrap();
            (s, b.to_vec())
        })
        .collect();
    (key.to_vec(), records)
}

/// Replaces the bytes of record `seq` inside its chunk with what `f` makes of them.
fn rewrite_record(db: &sled::Db, seq: u64, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let (key, records) = chunk_of(db, seq);
    let first = records[0].0;
    let mut body = Vec::new();
    let mut f = Some(f);
    for (s, bytes) in &records {
        let bytes = if *s == seq {
            (f.take().unwrap())(bytes.clone())
        } else {
            bytes.clone()
        };
        body.extend_from_slice(&bytes);
    }
    let value = chunk::seal(first, records.len() as u32, 1_767_225_600, &body);
    db.insert(key, value).unwrap();
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
        rewrite_record(db, 17, |mut bytes| {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x40;
            bytes
        });
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
        rewrite_record(db, 5, |old| {
            let (mut recorded, _): (Recorded, _) = record::decode(5, &old).unwrap();
            recorded.account = ecs_ledger::model::id::Account::parse("mallory").unwrap();
            record::encode(&recorded, &[7u8; 32]).unwrap().0
        });
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("record 5"), "{}", out.stdout);
    assert!(out.stdout.contains("chain"), "{}", out.stdout);
    assert_no_panic(dir.path());
}

#[test]
fn a_deleted_chunk_is_named_as_missing() {
    let dir = ledger();
    let mut first = 0;
    tamper(dir.path(), |db| {
        let (key, records) = chunk_of(db, 9);
        first = records[0].0;
        db.remove(key).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains(&format!("record {first}")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("missing"), "{}", out.stdout);
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
            rewrite_record(db, 3, |_| garbage.clone());
        });
        let out = run(dir.path(), &["verify"], "");
        assert_eq!(out.code, 1, "{garbage:?}");
        assert!(
            out.stdout.contains("record 3") || out.stdout.contains("chunk at seq"),
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
        rewrite_record(db, seq, |mut bytes| {
            let last = bytes.len() - 40;
            bytes[last] ^= 1;
            bytes
        });
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
fn a_damaged_chunk_header_is_caught_with_its_seq() {
    let dir = ledger();
    let mut first = 0;
    tamper(dir.path(), |db| {
        let (key, records) = chunk_of(db, 9);
        first = records[0].0;
        let mut value = db.get(&key).unwrap().unwrap().to_vec();
        value[13] ^= 0x01; // the record count
        db.insert(key, value).unwrap();
    });
    let out = run(dir.path(), &["verify"], "");
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains(&format!("chunk at seq {first}")),
        "{}",
        out.stdout
    );
    assert_no_panic(dir.path());
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
