//! `keygen`: an Ed25519 key pair for signing checkpoints.

use std::path::Path;
use std::process::ExitCode;

use ecs_ledger::audit::keys;

pub fn keygen(out: &Path) -> Result<ExitCode, String> {
    let key = keys::generate().map_err(|e| e.to_string())?;
    keys::write_pair(out, &key).map_err(|e| e.to_string())?;
    let public = key.verifying_key();
    out!("{}", hex::encode(public.as_bytes()));
    eprintln!(
        "private key: {} (keep it secret); public key: {} (key id {}): hand it to the auditors",
        out.display(),
        keys::public_path(out).display(),
        keys::key_id(&public)
    );
    Ok(ExitCode::SUCCESS)
}
