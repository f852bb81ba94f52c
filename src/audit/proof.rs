//! Proof files: an inclusion proof (a record is in a checkpoint's tree) and
//! a consistency proof (a later checkpoint's tree extends an earlier one's),
//! as JSON, and their checks against signed checkpoints.
//!
//! ```text
//! {
//!   "Format": "ecs-ledger inclusion proof v1",
//!   "Seq": 5,                      the record's Seq
//!   "LeafIndex": 4,                Seq - 1
//!   "TreeSize": 1234,              the checkpoint's
//!   "RootHash": "<hex>",           the checkpoint's
//!   "Record": "<hex>",             the record's stored bytes (the leaf's preimage)
//!   "LeafHash": "<hex>",           SHA-256(0x00 || Record)
//!   "AuditPath": ["<hex>", ...]    RFC 9162 PATH(LeafIndex, D[TreeSize]), nearest the leaf first
//! }
//! {
//!   "Format": "ecs-ledger consistency proof v1",
//!   "FirstSize": 1000, "FirstRoot": "<hex>",
//!   "SecondSize": 1234, "SecondRoot": "<hex>",
//!   "ConsistencyPath": ["<hex>", ...]   RFC 9162 PROOF(FirstSize, D[SecondSize])
//! }
//! ```
//!
//! ```
//! use ecs_ledger::audit::proof::Inclusion;
//! use ecs_ledger::log::merkle::leaf_hash;
//! let record = b"a record".to_vec();
//! let leaf = leaf_hash(&record);
//! let proof = Inclusion { seq: 1, tree_size: 1, root: leaf, record: Some(record), path: vec![] };
//! let read = Inclusion::from_json(&proof.to_json()).unwrap();
//! assert_eq!(read, proof);
//! assert!(read.check_against(1, &leaf, None).is_ok());
//! ```

use serde::{Deserialize, Serialize};

use super::{AuditError, hex_array, hex_bytes};
use crate::log::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};

/// The `Format` of an inclusion proof.
pub const INCLUSION: &str = "ecs-ledger inclusion proof v1";
/// The `Format` of a consistency proof.
pub const CONSISTENCY: &str = "ecs-ledger consistency proof v1";

/// An inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inclusion {
    /// The record's Seq (leaf index + 1).
    pub seq: u64,
    /// The size of the tree it is proven in.
    pub tree_size: u64,
    /// That tree's root.
    pub root: Hash,
    /// The record's stored bytes, when carried.
    pub record: Option<Vec<u8>>,
    /// The audit path.
    pub path: Vec<Hash>,
}

/// A consistency proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consistency {
    /// The earlier tree's size.
    pub first_size: u64,
    /// Its root.
    pub first_root: Hash,
    /// The later tree's size.
    pub second_size: u64,
    /// Its root.
    pub second_root: Hash,
    /// The consistency path.
    pub path: Vec<Hash>,
}

/// Either proof, as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// An inclusion proof.
    Inclusion(Inclusion),
    /// A consistency proof.
    Consistency(Consistency),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InclusionFile {
    format: String,
    seq: u64,
    leaf_index: u64,
    tree_size: u64,
    root_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leaf_hash: Option<String>,
    audit_path: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConsistencyFile {
    format: String,
    first_size: u64,
    first_root: String,
    second_size: u64,
    second_root: String,
    consistency_path: Vec<String>,
}

fn hashes(field: &str, list: &[String]) -> Result<Vec<Hash>, AuditError> {
    list.iter().map(|h| hex_array(field, h)).collect()
}

fn pretty<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

impl Inclusion {
    /// The proof file's text.
    pub fn to_json(&self) -> String {
        pretty(&InclusionFile {
            format: INCLUSION.into(),
            seq: self.seq,
            leaf_index: self.seq.saturating_sub(1),
            tree_size: self.tree_size,
            root_hash: hex::encode(self.root),
            record: self.record.as_ref().map(hex::encode),
            leaf_hash: self.record.as_ref().map(|r| hex::encode(leaf_hash(r))),
            audit_path: self.path.iter().map(hex::encode).collect(),
        })
    }

    /// Reads an inclusion proof file's text.
    pub fn from_json(text: &str) -> Result<Self, AuditError> {
        match Proof::from_json(text)? {
            Proof::Inclusion(p) => Ok(p),
            Proof::Consistency(_) => Err(AuditError::Invalid(
                "a consistency proof, not an inclusion proof".into(),
            )),
        }
    }

    fn from_file(f: InclusionFile) -> Result<Self, AuditError> {
        if f.seq == 0 || f.leaf_index != f.seq - 1 {
            return Err(AuditError::Invalid("LeafIndex must be Seq - 1".into()));
        }
        let record = f.record.map(|r| hex_bytes("Record", &r)).transpose()?;
        if let (Some(r), Some(leaf)) = (&record, &f.leaf_hash)
            && hex_array::<32>("LeafHash", leaf)? != leaf_hash(r)
        {
            return Err(AuditError::Invalid("LeafHash is not the Record's".into()));
        }
        Ok(Self {
            seq: f.seq,
            tree_size: f.tree_size,
            root: hex_array("RootHash", &f.root_hash)?,
            record,
            path: hashes("AuditPath", &f.audit_path)?,
        })
    }

    /// Checks the proof against a checkpoint's tree (`tree_size`, `root`,
    /// signature already checked): the record (`record`, else the one the
    /// proof carries) is leaf `seq - 1` of that tree. Returns the record.
    pub fn check_against(
        &self,
        tree_size: u64,
        root: &Hash,
        record: Option<&[u8]>,
    ) -> Result<Vec<u8>, AuditError> {
        if self.tree_size != tree_size || &self.root != root {
            return Err(AuditError::Invalid(
                "the proof is for another tree than the checkpoint's".into(),
            ));
        }
        let record = match (record, &self.record) {
            (Some(given), Some(carried)) if given != carried.as_slice() => {
                return Err(AuditError::Invalid(
                    "the record given is not the one the proof carries".into(),
                ));
            }
            (Some(given), _) => given.to_vec(),
            (None, Some(carried)) => carried.clone(),
            (None, None) => {
                return Err(AuditError::Invalid(
                    "the proof carries no record: pass it with --record".into(),
                ));
            }
        };
        let index = self
            .seq
            .checked_sub(1)
            .ok_or_else(|| AuditError::Invalid("there is no Seq 0".into()))?;
        verify_inclusion(index, tree_size, &leaf_hash(&record), &self.path, root)
            .map_err(|e| AuditError::Invalid(format!("the inclusion proof fails: {e}")))?;
        Ok(record)
    }
}

impl Consistency {
    /// The proof file's text.
    pub fn to_json(&self) -> String {
        pretty(&ConsistencyFile {
            format: CONSISTENCY.into(),
            first_size: self.first_size,
            first_root: hex::encode(self.first_root),
            second_size: self.second_size,
            second_root: hex::encode(self.second_root),
            consistency_path: self.path.iter().map(hex::encode).collect(),
        })
    }

    fn from_file(f: ConsistencyFile) -> Result<Self, AuditError> {
        Ok(Self {
            first_size: f.first_size,
            first_root: hex_array("FirstRoot", &f.first_root)?,
            second_size: f.second_size,
            second_root: hex_array("SecondRoot", &f.second_root)?,
            path: hashes("ConsistencyPath", &f.consistency_path)?,
        })
    }

    /// Checks the proof against two checkpoints' trees (signatures already
    /// checked): the second extends the first.
    pub fn check_against(
        &self,
        first: (u64, &Hash),
        second: (u64, &Hash),
    ) -> Result<(), AuditError> {
        if (self.first_size, &self.first_root) != first
            || (self.second_size, &self.second_root) != second
        {
            return Err(AuditError::Invalid(
                "the proof is for other trees than the checkpoints'".into(),
            ));
        }
        verify_consistency(first.0, second.0, first.1, second.1, &self.path)
            .map_err(|e| AuditError::Invalid(format!("the consistency proof fails: {e}")))
    }
}

impl Proof {
    /// Reads a proof file's text, either kind (by its `Format`).
    pub fn from_json(text: &str) -> Result<Self, AuditError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AuditError::Invalid(format!("not a proof: {e}")))?;
        let invalid = |e: serde_json::Error| AuditError::Invalid(format!("not a proof: {e}"));
        match value.get("Format").and_then(|f| f.as_str()) {
            Some(INCLUSION) => {
                Inclusion::from_file(serde_json::from_value(value).map_err(invalid)?)
                    .map(Proof::Inclusion)
            }
            Some(CONSISTENCY) => {
                Consistency::from_file(serde_json::from_value(value).map_err(invalid)?)
                    .map(Proof::Consistency)
            }
            other => Err(AuditError::Invalid(format!(
                "not a proof of a known format: {other:?}"
            ))),
        }
    }
}
