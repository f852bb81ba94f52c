//! The audit subcommands (`keygen`, `checkpoint`, `prove`, `check-proof`),
//! flattened into the command line; `verify --checkpoint` and `serve
//! --checkpoint-key` are options of those commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{audit_checkpoint, audit_keys, audit_proof};

/// The audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Make an Ed25519 key pair for signing checkpoints: KEY (the private
    /// key, mode 0600) and KEY.pub (the public key, also printed).
    Keygen {
        /// Where to write the private key.
        #[arg(long, value_name = "KEY")]
        out: PathBuf,
    },
    /// Sign a checkpoint of the log: the size and root hash of its Merkle
    /// tree, and the ledger time (docs/FORMAT.md, "Audit").
    Checkpoint {
        /// The private key (from keygen).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// Write the checkpoint here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write a proof: that record --seq is in a checkpoint's tree
    /// (inclusion), or that checkpoint --to extends checkpoint --from
    /// (consistency). Exit 1 when the log does not hold the checkpoint's tree.
    Prove {
        /// The record's Seq (with --checkpoint).
        #[arg(long, requires = "checkpoint", conflicts_with_all = ["from", "to"])]
        seq: Option<u64>,
        /// The checkpoint whose tree holds the record.
        #[arg(long, value_name = "FILE", requires = "seq")]
        checkpoint: Option<PathBuf>,
        /// The earlier checkpoint (with --to).
        #[arg(long, value_name = "FILE1", requires = "to")]
        from: Option<PathBuf>,
        /// The later checkpoint (with --from).
        #[arg(long, value_name = "FILE2", requires = "from")]
        to: Option<PathBuf>,
        /// Write the proof here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check a proof against signed checkpoints, with no ledger at hand.
    /// Exit 0 valid, 1 not valid, 2 when a file cannot be read.
    CheckProof {
        /// The proof (from prove).
        #[arg(long, value_name = "P")]
        proof: PathBuf,
        /// The checkpoint (an inclusion proof), or the two checkpoints,
        /// earlier first (a consistency proof).
        #[arg(long, value_name = "C", required = true, num_args = 1)]
        checkpoint: Vec<PathBuf>,
        /// The signer's public key (KEY.pub from keygen).
        #[arg(long, value_name = "PUB")]
        public_key: PathBuf,
        /// The record to check (its stored bytes in hex, as in the proof's
        /// Record field) instead of the one the proof carries.
        #[arg(long, value_name = "R")]
        record: Option<PathBuf>,
    },
}

/// Runs one audit subcommand.
pub fn run(command: &AuditCommand, place: &super::Place) -> Result<ExitCode, String> {
    match command {
        AuditCommand::Keygen { out } => audit_keys::keygen(out),
        AuditCommand::Checkpoint { key, out } => audit_checkpoint::run(place, key, out.as_deref()),
        AuditCommand::Prove {
            seq,
            checkpoint,
            from,
            to,
            out,
        } => match (seq, checkpoint, from, to) {
            (Some(seq), Some(c), _, _) => {
                audit_proof::prove_inclusion(place, *seq, c, out.as_deref())
            }
            (_, _, Some(from), Some(to)) => {
                audit_proof::prove_consistency(place, from, to, out.as_deref())
            }
            _ => Err("give --seq N --checkpoint FILE, or --from FILE1 --to FILE2".into()),
        },
        AuditCommand::CheckProof {
            proof,
            checkpoint,
            public_key,
            record,
        } => audit_proof::check(proof, checkpoint, public_key, record.as_deref()),
    }
}

/// Writes `text` to `out`, or to stdout.
pub fn emit(text: &str, out: Option<&Path>) -> Result<(), String> {
    match out {
        Some(path) => write_replacing(path, text.as_bytes()),
        None => {
            out!("{}", text.trim_end());
            Ok(())
        }
    }
}

/// Writes a file whole: to a temporary beside it, then renamed over it, so
/// a reader never sees half of one.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What an audit failure means for the exit status: a file that cannot be
/// read is status 2 (`Err`), anything that does not verify is status 1.
pub fn failed(e: ecs_ledger::audit::AuditError) -> Result<ExitCode, String> {
    match e {
        ecs_ledger::audit::AuditError::Io(m) => Err(m),
        ecs_ledger::audit::AuditError::Invalid(m) => {
            out!("FAILED: {m}");
            Ok(ExitCode::from(1))
        }
    }
}
