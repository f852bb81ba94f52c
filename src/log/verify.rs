//! `verify`: recompute every checksum and the hash chain, check that Seq is
//! gapless, that the head metadata matches, and that the tag index agrees with
//! the records. The first bad record is named by its seq.

use crate::log::{EventLog, Head, keys, record};
use crate::storage::Storage;

/// What a successful verification saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records checked.
    pub records: u64,
    /// Tag index entries checked.
    pub tag_entries: u64,
    /// The head: last seq and its chain hash.
    pub head: Head,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// A record is bad.
    #[error("record {seq} is broken: {reason}")]
    Record {
        /// Its seq.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// Something else is wrong (storage errors, metadata, index).
    #[error("{0}")]
    Other(String),
}

impl Broken {
    /// The seq of the broken record, when a record is to blame.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Broken::Record { seq, .. } => Some(*seq),
            Broken::Other(_) => None,
        }
    }
}

/// Verifies the whole log; `progress` is called with each checked seq.
pub fn verify<S: Storage>(
    log: &EventLog<S>,
    mut progress: impl FnMut(u64),
) -> Result<Report, Broken> {
    let storage = log.storage();
    let mut prev = record::GENESIS;
    let mut expected = 1u64;
    let end = [keys::EVENT + 1];
    for item in storage.range(&keys::event(0), Some(&end)) {
        let (k, v) = item.map_err(|e| Broken::Other(e.to_string()))?;
        let seq = keys::event_seq(k.as_ref())
            .ok_or_else(|| Broken::Other("an event key of the wrong length".into()))?;
        if seq != expected {
            return Err(Broken::Record {
                seq: expected,
                reason: format!("missing (the next record is {seq})"),
            });
        }
        let bad = |reason: String| Broken::Record { seq, reason };
        let (recorded, _) = record::decode(seq, v.as_ref()).map_err(|e| bad(e.to_string()))?;
        prev = record::check_chain(&prev, v.as_ref()).map_err(|e| bad(e.to_string()))?;
        for tag in recorded.event.tags().into_iter().flatten() {
            let present = storage
                .get(&keys::tag(tag, seq))
                .map_err(|e| Broken::Other(e.to_string()))?
                .is_some();
            if !present {
                return Err(bad(format!("tag index entry for {tag} is missing")));
            }
        }
        progress(seq);
        expected += 1;
    }
    let last = expected - 1;
    let head = log.head();
    if head.seq != last || head.hash != prev {
        return Err(Broken::Other(format!(
            "head metadata says seq {} hash {}, the records end at seq {last} hash {}",
            head.seq,
            head.hash_hex(),
            hex::encode(prev)
        )));
    }
    // Every index entry must point at an event that carries its tag.
    let mut tag_entries = 0u64;
    for item in storage.scan_prefix(&[keys::TAG]) {
        let (k, _) = item.map_err(|e| Broken::Other(e.to_string()))?;
        let (tag, seq) = keys::tag_entry(k.as_ref())
            .ok_or_else(|| Broken::Other("a malformed tag index key".into()))?;
        let event = log
            .read(seq)
            .map_err(|e| Broken::Other(e.to_string()))?
            .ok_or_else(|| {
                Broken::Other(format!("tag index entry {tag} names missing seq {seq}"))
            })?;
        if !event.event.tags().contains(&Some(tag)) {
            return Err(Broken::Record {
                seq,
                reason: format!("indexed under {tag}, which the event does not carry"),
            });
        }
        tag_entries += 1;
    }
    Ok(Report {
        records: last,
        tag_entries,
        head,
    })
}
