//! `verify --checkpoint FILE --public-key PUB`: the present log is
//! consistent with a checkpoint taken earlier. Exit 0 when the log holds the
//! checkpoint's tree (the same records, perhaps more after them), 1 when it
//! was cut back or rewritten (or the checkpoint does not verify), 2 when
//! nothing could be checked.

use std::path::Path;
use std::process::ExitCode;

use ecs_ledger::audit::checkpoint::Checkpoint;
use ecs_ledger::audit::keys;
use ecs_ledger::log::tree;

use super::audit_cli::failed;
use super::{OpenFailure, inspect_log};

pub fn run(
    place: &super::Place,
    checkpoint_path: &Path,
    public_key: &Path,
) -> Result<ExitCode, String> {
    let key = match keys::read_public(public_key) {
        Ok(key) => key,
        Err(e) => return failed(e),
    };
    let checkpoint = match Checkpoint::read_verified(checkpoint_path, &key) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let log = match inspect_log(place) {
        Ok(inspected) => inspected.log,
        Err(OpenFailure::CannotLook(m)) => return Err(m),
        Err(OpenFailure::Damaged(m)) => return fail(&m),
    };
    let (size, head) = (checkpoint.tree_size, log.head().seq);
    if head < size {
        return fail(&format!(
            "the log holds {head} records, fewer than the {size} the checkpoint signed: it was cut back"
        ));
    }
    let root = match tree::root_from_records(&log, size) {
        Ok(root) => root,
        Err(e) => {
            return fail(&format!(
                "the log's first {size} records cannot be read: {e}"
            ));
        }
    };
    if root != checkpoint.root {
        return fail(&format!(
            "the log's first {size} records do not have the root the checkpoint signed: the log was rewritten"
        ));
    }
    out!(
        "ok: the log ({head} records) holds the tree of {size} records signed by key {} at {}",
        checkpoint.key_id,
        checkpoint.ledger_time
    );
    Ok(ExitCode::SUCCESS)
}

fn fail(message: &str) -> Result<ExitCode, String> {
    out!("FAILED: {message}");
    Ok(ExitCode::from(1))
}
