//! Key files: an Ed25519 key pair (RFC 8032) as two small text files.
//!
//! * the private key file: the 32-byte secret seed as 64 lower-case hex
//!   digits and a newline, created with mode 0600 (never overwritten);
//! * the public key file (the private key's path with `.pub` appended): the
//!   32-byte public key as 64 lower-case hex digits and a newline.
//!
//! A key is named in checkpoints by its key id: the first 8 bytes of the
//! SHA-256 of the public key, as 16 hex digits.
//!
//! ```
//! use ecs_ledger::audit::keys;
//! let dir = std::env::temp_dir().join(format!("ecs-ledger-keys-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("audit.key");
//! let _ = std::fs::remove_file(&path);
//! let _ = std::fs::remove_file(keys::public_path(&path));
//! let key = keys::generate().unwrap();
//! keys::write_pair(&path, &key).unwrap();
//! assert_eq!(keys::read_private(&path).unwrap().to_bytes(), key.to_bytes());
//! let public = keys::read_public(&keys::public_path(&path)).unwrap();
//! assert_eq!(keys::key_id(&public).len(), 16);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{AuditError, hex_array, read_file};

/// A fresh key pair from the operating system's random source.
pub fn generate() -> Result<SigningKey, AuditError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| AuditError::Io(format!("no random source for a key: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Where the public key of the private key file `path` goes: `path.pub`.
pub fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// The key id: hex of the first 8 bytes of SHA-256(public key).
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Writes the private key to `path` (mode 0600, refusing to overwrite) and
/// the public key beside it ([`public_path`]).
pub fn write_pair(path: &Path, key: &SigningKey) -> Result<(), AuditError> {
    let public = public_path(path);
    for p in [path, public.as_path()] {
        if p.exists() {
            return Err(AuditError::Io(format!(
                "{} exists: not overwriting a key",
                p.display()
            )));
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let io =
        |p: &Path, e: std::io::Error| AuditError::Io(format!("cannot write {}: {e}", p.display()));
    let mut file = options.open(path).map_err(|e| io(path, e))?;
    writeln!(file, "{}", hex::encode(key.to_bytes()))
        .and_then(|_| file.sync_all())
        .map_err(|e| io(path, e))?;
    let text = format!("{}\n", hex::encode(key.verifying_key().as_bytes()));
    std::fs::write(&public, text).map_err(|e| io(&public, e))
}

/// Reads a private key file.
pub fn read_private(path: &Path) -> Result<SigningKey, AuditError> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|_| AuditError::Invalid(format!("{}: not a key file", path.display())))?;
    let seed: [u8; 32] = hex_array("private key", text.trim())
        .map_err(|e| AuditError::Invalid(format!("{}: {e}", path.display())))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key file.
pub fn read_public(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|_| AuditError::Invalid(format!("{}: not a key file", path.display())))?;
    let bytes: [u8; 32] = hex_array("public key", text.trim())
        .map_err(|e| AuditError::Invalid(format!("{}: {e}", path.display())))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| {
        AuditError::Invalid(format!(
            "{}: not an Ed25519 public key ({e})",
            path.display()
        ))
    })
}
