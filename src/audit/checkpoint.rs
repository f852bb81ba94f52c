//! The signed checkpoint: a tree size, the root of the log's first that
//! many records, the ledger time, and an Ed25519 signature over them.
//!
//! A checkpoint file is one JSON object:
//!
//! ```text
//! {
//!   "Format": "ecs-ledger checkpoint v1",
//!   "TreeSize": 1234,
//!   "RootHash": "<64 lower-case hex digits>",
//!   "LedgerTime": "2026-01-01T00:00:00Z",
//!   "KeyId": "<16 lower-case hex digits>",
//!   "Signature": "<128 lower-case hex digits>"
//! }
//! ```
//!
//! The signature (Ed25519, RFC 8032) covers exactly these bytes (UTF-8,
//! each line ending in `\n`), see [`signed_text`]:
//!
//! ```text
//! ecs-ledger checkpoint v1
//! <TreeSize in decimal>
//! <RootHash>
//! <LedgerTime, as in the file>
//! <KeyId>
//! ```
//!
//! ```
//! use ecs_ledger::audit::{checkpoint::Checkpoint, keys};
//! use ecs_ledger::model::time::Timestamp;
//! let key = keys::generate().unwrap();
//! let mut c = Checkpoint::sign(3, [7; 32], Timestamp::EPOCH, &key);
//! assert!(c.verify(&key.verifying_key()).is_ok());
//! c.tree_size = 2;
//! assert!(c.verify(&key.verifying_key()).is_err());
//! ```

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::keys::key_id;
use super::{AuditError, hex_array};
use crate::log::merkle::Hash;
use crate::model::time::Timestamp;

/// The `Format` of a checkpoint, and the first line of what is signed.
pub const FORMAT: &str = "ecs-ledger checkpoint v1";

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Number of records in the tree.
    pub tree_size: u64,
    /// The root of the first `tree_size` records.
    pub root: Hash,
    /// The ledger time it was taken at (RFC 3339, as signed).
    pub ledger_time: String,
    /// The signing key's id.
    pub key_id: String,
    /// The Ed25519 signature over [`signed_text`].
    pub signature: [u8; 64],
}

/// The file's JSON object.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    format: String,
    tree_size: u64,
    root_hash: String,
    ledger_time: String,
    key_id: String,
    signature: String,
}

/// The exact bytes a checkpoint's signature covers.
pub fn signed_text(tree_size: u64, root: &Hash, ledger_time: &str, key_id: &str) -> String {
    format!(
        "{FORMAT}\n{tree_size}\n{}\n{ledger_time}\n{key_id}\n",
        hex::encode(root)
    )
}

impl Checkpoint {
    /// Signs the tree head (`tree_size`, `root`) at `time` with `key`.
    pub fn sign(tree_size: u64, root: Hash, time: Timestamp, key: &SigningKey) -> Self {
        let ledger_time = time.to_string();
        let key_id = key_id(&key.verifying_key());
        let text = signed_text(tree_size, &root, &ledger_time, &key_id);
        Self {
            tree_size,
            root,
            ledger_time,
            key_id,
            signature: key.sign(text.as_bytes()).to_bytes(),
        }
    }

    /// Checks the signature with `key` (and that the key id is its).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), AuditError> {
        if self.key_id != key_id(key) {
            return Err(AuditError::Invalid(format!(
                "the checkpoint names key {}, not this public key ({})",
                self.key_id,
                key_id(key)
            )));
        }
        let text = signed_text(self.tree_size, &self.root, &self.ledger_time, &self.key_id);
        key.verify_strict(text.as_bytes(), &Signature::from_bytes(&self.signature))
            .map_err(|_| AuditError::Invalid("the checkpoint's signature does not verify".into()))
    }

    /// The checkpoint file's text (pretty JSON, ending in a newline).
    pub fn to_json(&self) -> String {
        let file = File {
            format: FORMAT.into(),
            tree_size: self.tree_size,
            root_hash: hex::encode(self.root),
            ledger_time: self.ledger_time.clone(),
            key_id: self.key_id.clone(),
            signature: hex::encode(self.signature),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a checkpoint file's text (the signature is not checked here).
    pub fn from_json(text: &str) -> Result<Self, AuditError> {
        let file: File = serde_json::from_str(text)
            .map_err(|e| AuditError::Invalid(format!("not a checkpoint: {e}")))?;
        if file.format != FORMAT {
            return Err(AuditError::Invalid(format!(
                "not a checkpoint of this format: {:?}",
                file.format
            )));
        }
        Timestamp::parse_rfc3339(&file.ledger_time)
            .map_err(|e| AuditError::Invalid(format!("LedgerTime: {e}")))?;
        let _: [u8; 8] = hex_array("KeyId", &file.key_id)?;
        Ok(Self {
            tree_size: file.tree_size,
            root: hex_array("RootHash", &file.root_hash)?,
            ledger_time: file.ledger_time,
            key_id: file.key_id,
            signature: hex_array("Signature", &file.signature)?,
        })
    }

    /// Reads and parses a checkpoint file.
    pub fn read(path: &std::path::Path) -> Result<Self, AuditError> {
        let bytes = super::read_file(path)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| AuditError::Invalid(format!("{}: not UTF-8", path.display())))?;
        Self::from_json(&text).map_err(|e| AuditError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Reads a checkpoint file and checks its signature.
    pub fn read_verified(path: &std::path::Path, key: &VerifyingKey) -> Result<Self, AuditError> {
        let c = Self::read(path)?;
        c.verify(key)
            .map_err(|e| AuditError::Invalid(format!("{}: {e}", path.display())))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::keys::generate;

    #[test]
    fn a_checkpoint_reads_back_and_malformed_ones_are_refused_without_panic() {
        let key = generate().unwrap();
        let c = Checkpoint::sign(9, [0xab; 32], Timestamp::EPOCH, &key);
        let text = c.to_json();
        assert_eq!(Checkpoint::from_json(&text), Ok(c.clone()));
        let upper = text.replace(&hex::encode(c.root), &hex::encode_upper(c.root));
        for bad in [
            "",
            "[]",
            "{}",
            &upper,
            &text.replace(FORMAT, "ecs-ledger checkpoint v9"),
            &text.replace("\"TreeSize\": 9", "\"TreeSize\": -9"),
            &text.replace("1970-01-01T00:00:00Z", "yesterday"),
            &text.replace(&c.key_id, "00"),
        ] {
            assert!(Checkpoint::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_signed_text_is_the_documented_one() {
        let text = signed_text(3, &[0xab; 32], "2026-01-01T00:00:00Z", "0011223344556677");
        let want = format!(
            "ecs-ledger checkpoint v1\n3\n{}\n2026-01-01T00:00:00Z\n0011223344556677\n",
            "ab".repeat(32)
        );
        assert_eq!(text, want);
    }
}
