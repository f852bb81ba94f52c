//! Damage is detected, never absorbed (docs/BEHAVIOUR.md §6): a real ledger's files
//! are damaged in many ways (bit flips, truncation at many points, deleted
//! files, a store cut back to an earlier copy, a corrupt projection record)
//! and every command must then: never panic, never hang, never call the log
//! intact when records are gone, and `exec` must refuse to append to a log
//! `verify` rejects. `verify` exits 0 (intact), 1 (damaged), 2 (could not look).
//!
//! `ECS_LEDGER_DAMAGE_TRIALS=N` runs N bit-flip trials instead of 40.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::{BIN, Exec, json_lines, run};

/// What one command did.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs a command with a time limit; a hang fails the test.
fn run_bounded(dir: &Path, args: &[&str], stdin: &str) -> Ran {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin.as_bytes());
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} hung on the damaged ledger in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let ran = Ran {
        code: status.code().unwrap_or(-1),
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    };
    assert!(
        !ran.stderr.contains("panicked") && ran.code != 101,
        "{args:?} panicked: {}",
        ran.stderr
    );
    ran
}

const CREATE: &str = r#"{"Action":"CreateDisk","Size":20}"#;

/// A ledger as `exec` leaves it: 300 CreateDisk in one run.
fn base() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let input: String = (0..300).map(|_| format!("{CREATE}\n")).collect();
    assert_eq!(run(&dir, &["exec", "--seed", "5"], &input).code, 0);
    let log = run(&dir, &["log", "--json"], "").stdout;
    assert_eq!(json_lines(&log).len(), 300);
    (tmp, log)
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

/// A fresh copy of the base ledger to damage.
fn copy_of(base: &tempfile::TempDir, name: &str) -> PathBuf {
    let dir = base.path().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&base.path().join("ledger"), &dir);
    dir
}

/// After damage: verify never says intact unless every record is there, and
/// exec appends nothing to a log verify rejects. Returns verify's exit code.
fn judge(dir: &Path, original_log: &str) -> i32 {
    let verify = run_bounded(dir, &["verify"], "");
    assert!(
        verify.code == 0 || verify.code == 1,
        "verify exit {}: {}{}",
        verify.code,
        verify.stdout,
        verify.stderr
    );
    if verify.code == 0 {
        assert!(verify.stdout.starts_with("ok: "), "{}", verify.stdout);
        let log = run_bounded(dir, &["log", "--json"], "");
        assert_eq!(log.code, 0);
        assert_eq!(
            log.stdout, original_log,
            "verify said intact but the log differs"
        );
    } else {
        assert!(verify.stdout.starts_with("BROKEN: "), "{}", verify.stdout);
    }
    let exec = run_bounded(dir, &["exec"], CREATE);
    if verify.code == 1 {
        assert_ne!(
            exec.code, 0,
            "exec opened a ledger verify rejects ({}): {}",
            verify.stdout, exec.stdout
        );
        assert!(
            !exec.stdout.contains("\"Status\":200"),
            "exec appended to a damaged log: {}",
            exec.stdout
        );
        // And it stays rejected: nothing above repaired it behind our back.
        assert_eq!(run_bounded(dir, &["verify"], "").code, 1);
    }
    for args in [&["replay"][..], &["report"], &["history", "d-12345678"]] {
        run_bounded(dir, args, "");
    }
    verify.code
}

#[test]
fn truncating_the_store_at_any_point_is_never_reported_intact() {
    let (base, original) = base();
    // sled preallocates its file: cut within the part that holds data.
    let bytes = std::fs::read(base.path().join("ledger/db")).unwrap();
    let used = bytes.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1) as u64;
    let mut caught = 0;
    for percent in (0..100).step_by(5) {
        let dir = copy_of(&base, "cut");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("db"))
            .unwrap();
        file.set_len(used * percent / 100).unwrap();
        drop(file);
        // Intact only when the part cut off held nothing live (judge checks).
        caught += judge(&dir, &original);
    }
    assert!(caught >= 15, "only {caught} of 20 cuts were noticed");
}

#[test]
fn deleted_files_are_reported_or_harmless() {
    let (base, original) = base();
    // The store's data and the witness are essential: deleting either is damage.
    for essential in ["db", "head.witness"] {
        let dir = copy_of(&base, "deleted");
        std::fs::remove_file(dir.join(essential)).unwrap();
        assert_eq!(judge(&dir, &original), 1, "{essential} deleted");
    }
    // sled rebuilds its snapshot from its log: losing it loses nothing.
    let dir = copy_of(&base, "deleted");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("snap."))
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    judge(&dir, &original);
    // conf or blobs gone: whatever sled makes of it, never intact with loss.
    for other in ["conf", "blobs"] {
        let dir = copy_of(&base, "deleted");
        let path = dir.join(other);
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
        judge(&dir, &original);
    }
}

/// xorshift64*, for reproducible damage.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn flip(path: &Path, rng: &mut Rng) {
    let mut bytes = std::fs::read(path).unwrap();
    if bytes.is_empty() {
        return;
    }
    let at = rng.below(bytes.len() as u64) as usize;
    bytes[at] ^= 1 << rng.below(8);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn bit_flips_never_panic_hang_or_pass_with_records_missing() {
    let trials: u64 = std::env::var("ECS_LEDGER_DAMAGE_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let (base, original) = base();
    let mut rng = Rng(0x5eed_0000_0000_0001);
    let mut verdicts = [0u32; 2];
    for trial in 0..trials {
        let dir = copy_of(&base, "flipped");
        // Mostly the store; sometimes the witness or sled's conf; sometimes several bits.
        let target = match rng.below(10) {
            0 => "head.witness",
            1 => "conf",
            _ => "db",
        };
        for _ in 0..=rng.below(3) {
            flip(&dir.join(target), &mut rng);
        }
        let code = judge(&dir, &original);
        verdicts[code as usize] += 1;
        eprintln!("trial {trial}: {target} -> verify {code}");
    }
    eprintln!(
        "{trials} trials: {} intact (bit in unused space), {} damaged",
        verdicts[0], verdicts[1]
    );
}

#[test]
fn a_store_cut_back_to_an_earlier_copy_is_caught_by_the_witness() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    let input: String = (0..150).map(|_| format!("{CREATE}\n")).collect();
    assert_eq!(run(&live, &["exec", "--seed", "5"], &input).code, 0);
    // An operator's copy at 150 records ...
    let early = tmp.path().join("early");
    copy_dir(&live, &early);
    // ... the live ledger goes on to 300 ...
    assert_eq!(run(&live, &["exec", "--seed", "5"], &input).code, 0);
    let witness_at_300 = std::fs::read(live.join("head.witness")).unwrap();
    // ... and its store files are put back from the copy: every record
    // checks out, but 151..300 are gone.
    let restored = tmp.path().join("restored");
    copy_dir(&early, &restored);
    std::fs::write(restored.join("head.witness"), &witness_at_300).unwrap();
    let verify = run_bounded(&restored, &["verify"], "");
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(
        verify.stdout.contains("records 151..=300 are missing"),
        "{}",
        verify.stdout
    );
    let exec = run_bounded(&restored, &["exec"], CREATE);
    assert_ne!(exec.code, 0, "exec must not reuse Seq 151..300");
    assert!(exec.stderr.contains("missing"), "{}", exec.stderr);
    // An operator who accepts the loss says so; the ledger then goes on.
    let accepted = run_bounded(&restored, &["verify", "--accept-loss"], "");
    assert_eq!(accepted.code, 0, "{}", accepted.stdout);
    assert!(
        accepted.stdout.contains("--accept-loss"),
        "{}",
        accepted.stdout
    );
    let exec = run_bounded(&restored, &["exec"], CREATE);
    assert_eq!(exec.code, 0, "{}", exec.stderr);
    assert!(exec.stdout.contains("\"Seq\":151"), "{}", exec.stdout);
    assert_eq!(run_bounded(&restored, &["verify"], "").code, 0);
    // Rewritten instead: the copy goes its own way to 300 records.
    let other: String = (0..150)
        .map(|_| "{\"Action\":\"CreateDisk\",\"Size\":30}\n".to_owned())
        .collect();
    assert_eq!(run(&early, &["exec"], &other).code, 0);
    std::fs::write(early.join("head.witness"), &witness_at_300).unwrap();
    let verify = run_bounded(&early, &["verify"], "");
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(verify.stdout.contains("rewritten"), "{}", verify.stdout);
}

#[test]
fn damage_found_by_verify_keeps_exec_out_until_a_verify_passes() {
    let (base, original) = base();
    let dir = copy_of(&base, "marked");
    assert_eq!(run(&dir, &["report"], "").code, 0);
    // Damage that opening a ledger to write never reads: a record of the
    // release report. Only a full verify finds it ...
    corrupt_first(&dir, b"preport\0");
    assert_eq!(run_bounded(&dir, &["verify"], "").code, 1);
    // ... and from then on exec stays out.
    let exec = run_bounded(&dir, &["exec"], CREATE);
    assert_ne!(exec.code, 0);
    assert!(
        exec.stderr.contains("marked this ledger damaged"),
        "{}",
        exec.stderr
    );
    assert!(!exec.stdout.contains("\"Status\":200"));
    // Repaired (the projection rebuilt from the log): verify passes and
    // clears the mark; exec goes on.
    assert_eq!(run(&dir, &["rebuild", "report"], "").code, 0);
    let verify = run_bounded(&dir, &["verify"], "");
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(verify.stdout.contains("is cleared"), "{}", verify.stdout);
    assert_eq!(run_bounded(&dir, &["log", "--json"], "").stdout, original);
    assert_eq!(run_bounded(&dir, &["exec"], CREATE).code, 0);
}

/// Flips the last byte of the first value under `prefix`, through sled.
fn corrupt_first(dir: &Path, prefix: &[u8]) {
    let db = sled::open(dir).unwrap();
    let (key, value) = db.scan_prefix(prefix).next().unwrap().unwrap();
    let mut bytes = value.to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    db.insert(key, bytes).unwrap();
    db.flush().unwrap();
}

#[test]
fn a_corrupt_projection_record_is_reported_by_verify() {
    let (base, _) = base();
    for (prefix, name) in [
        (&b"s"[..], "state checkpoint"),
        (b"preport\0", "projection report"),
    ] {
        let dir = copy_of(&base, "projection");
        if name == "projection report" {
            assert_eq!(run(&dir, &["report"], "").code, 0);
        }
        corrupt_first(&dir, prefix);
        let verify = run_bounded(&dir, &["verify"], "");
        assert_eq!(verify.code, 1, "{name}: {}", verify.stdout);
        assert!(verify.stdout.contains(name), "{}", verify.stdout);
    }
}

#[test]
fn verify_exits_2_when_it_cannot_look() {
    let tmp = tempfile::tempdir().unwrap();
    // No ledger there.
    let out = run_bounded(&tmp.path().join("nothing"), &["verify"], "");
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("no ledger"), "{}", out.stdout);
    // A ledger a running process holds: not damage.
    let dir = tmp.path().join("held");
    let mut exec = Exec::spawn(&dir, &[]);
    assert_eq!(exec.send(CREATE).unwrap()["Status"], 200);
    let out = run_bounded(&dir, &["verify"], "");
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout.contains("in use by another process"),
        "{}",
        out.stdout
    );
    assert_eq!(exec.finish(), 0);
    assert_eq!(run_bounded(&dir, &["verify"], "").code, 0);
}
