//! `prove` (inclusion and consistency proofs from the ledger) and
//! `check-proof` (checking one with no ledger at hand).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ecs_ledger::audit::checkpoint::Checkpoint;
use ecs_ledger::audit::proof::{Consistency, Inclusion, Proof};
use ecs_ledger::audit::{AuditError, hex_bytes, keys, read_file};
use ecs_ledger::log::merkle::{self, Hash};
use ecs_ledger::log::tree::{self, LogTree};
use ecs_ledger::log::{EventLog, record};
use ecs_ledger::storage::Storage;

use super::audit_cli::{emit, failed};
use super::{Place, open_log};

/// Why a proof could not be made: the status and the message.
enum Refused {
    /// The log does not hold the checkpoint's tree (status 1).
    Log(String),
    /// Nothing could be checked (status 2).
    Cannot(String),
}

impl From<AuditError> for Refused {
    fn from(e: AuditError) -> Self {
        Refused::Cannot(e.to_string())
    }
}

fn finish(result: Result<String, Refused>, out: Option<&Path>) -> Result<ExitCode, String> {
    match result {
        Ok(text) => {
            emit(&text, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Refused::Log(m)) => {
            out!("FAILED: {m}");
            Ok(ExitCode::from(1))
        }
        Err(Refused::Cannot(m)) => Err(m),
    }
}

/// The tree of `log` at the checkpoint's size, checked to have its root.
fn tree_at<'a, S: Storage>(
    log: &'a EventLog<S>,
    checkpoint: &Checkpoint,
    path: &Path,
) -> Result<LogTree<'a, S>, Refused> {
    let head = log.head().seq;
    if checkpoint.tree_size > head {
        return Err(Refused::Log(format!(
            "the log holds {head} records, fewer than the {} of {}: it was cut back (or is another ledger)",
            checkpoint.tree_size,
            path.display()
        )));
    }
    let mut source = LogTree::new(log).map_err(|e| Refused::Cannot(e.to_string()))?;
    let root =
        merkle::root(&mut source, checkpoint.tree_size).map_err(|e| Refused::Log(e.to_string()))?;
    if root != checkpoint.root {
        return Err(Refused::Log(format!(
            "the log's first {} records do not have the root {} signed: it was rewritten (or is another ledger)",
            checkpoint.tree_size,
            path.display()
        )));
    }
    Ok(source)
}

pub fn prove_inclusion(
    place: &Place,
    seq: u64,
    checkpoint_path: &Path,
    out: Option<&Path>,
) -> Result<ExitCode, String> {
    let checkpoint = Checkpoint::read(checkpoint_path).map_err(|e| e.to_string())?;
    if seq == 0 || seq > checkpoint.tree_size {
        return Err(format!(
            "seq {seq} is not in the checkpoint's tree (seqs 1..={})",
            checkpoint.tree_size
        ));
    }
    let log = open_log(place)?;
    let result = (|| {
        let mut source = tree_at(&log, &checkpoint, checkpoint_path)?;
        let path = merkle::inclusion_path(&mut source, seq - 1, checkpoint.tree_size)
            .map_err(|e| Refused::Log(e.to_string()))?;
        let record = tree::record_bytes(&log, seq).map_err(|e| Refused::Log(e.to_string()))?;
        Ok(Inclusion {
            seq,
            tree_size: checkpoint.tree_size,
            root: checkpoint.root,
            record,
            path,
        }
        .to_json())
    })();
    finish(result, out)
}

pub fn prove_consistency(
    place: &Place,
    from: &Path,
    to: &Path,
    out: Option<&Path>,
) -> Result<ExitCode, String> {
    let first = Checkpoint::read(from).map_err(|e| e.to_string())?;
    let second = Checkpoint::read(to).map_err(|e| e.to_string())?;
    if first.tree_size > second.tree_size {
        return Err(format!(
            "--from has {} records, more than --to's {}: give the earlier checkpoint first",
            first.tree_size, second.tree_size
        ));
    }
    let log = open_log(place)?;
    let result = (|| {
        tree_at(&log, &first, from)?;
        let mut source = tree_at(&log, &second, to)?;
        let path = merkle::consistency_path(&mut source, first.tree_size, second.tree_size)
            .map_err(|e| Refused::Log(e.to_string()))?;
        Ok(Consistency {
            first_size: first.tree_size,
            first_root: first.root,
            second_size: second.tree_size,
            second_root: second.root,
            path,
        }
        .to_json())
    })();
    finish(result, out)
}

pub fn check(
    proof: &Path,
    checkpoints: &[PathBuf],
    public_key: &Path,
    record: Option<&Path>,
) -> Result<ExitCode, String> {
    match check_proof(proof, checkpoints, public_key, record) {
        Ok(message) => {
            out!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => failed(e),
    }
}

fn check_proof(
    proof: &Path,
    checkpoints: &[PathBuf],
    public_key: &Path,
    record: Option<&Path>,
) -> Result<String, AuditError> {
    let key = keys::read_public(public_key)?;
    let text = String::from_utf8(read_file(proof)?)
        .map_err(|_| AuditError::Invalid(format!("{}: not UTF-8", proof.display())))?;
    let record = match record {
        Some(path) => {
            let text = String::from_utf8(read_file(path)?)
                .map_err(|_| AuditError::Invalid(format!("{}: not hex", path.display())))?;
            Some(hex_bytes("record", text.trim())?)
        }
        None => None,
    };
    let signed = checkpoints
        .iter()
        .map(|c| Checkpoint::read_verified(c, &key))
        .collect::<Result<Vec<_>, _>>()?;
    match (Proof::from_json(&text)?, signed.as_slice()) {
        (Proof::Inclusion(p), [c]) => {
            let bytes = p.check_against(c.tree_size, &c.root, record.as_deref())?;
            Ok(format!(
                "ok: record {} is in the tree of {} records signed by key {} at {}\n{}",
                p.seq,
                c.tree_size,
                c.key_id,
                c.ledger_time,
                describe(p.seq, &bytes)
            ))
        }
        (Proof::Consistency(p), [a, b]) => {
            p.check_against(at(a), at(b))?;
            Ok(format!(
                "ok: the tree of {} records ({}) extends the tree of {} records ({}), both signed by key {}",
                b.tree_size, b.ledger_time, a.tree_size, a.ledger_time, a.key_id
            ))
        }
        (Proof::Inclusion(_), _) => Err(AuditError::Io(
            "an inclusion proof is checked against one --checkpoint".into(),
        )),
        (Proof::Consistency(_), _) => Err(AuditError::Io(
            "a consistency proof is checked against two --checkpoint (earlier first)".into(),
        )),
    }
}

fn at(c: &Checkpoint) -> (u64, &Hash) {
    (c.tree_size, &c.root)
}

/// The proven record, decoded (as `log --json` prints it), or why not.
fn describe(seq: u64, bytes: &[u8]) -> String {
    match record::decode(seq, bytes) {
        Ok((recorded, _)) => recorded.to_json().to_string(),
        Err(e) => format!("(the record does not decode: {e})"),
    }
}
