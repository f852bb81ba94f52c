//! Format 1: reading it, and upgrading it to format 2.
//!
//! Format 1 stored one record per key (`e` + seq), the head under `m head`,
//! and wrote derived data with every commit (the tag index `t`, the
//! inventory under `p inventory`, the timer index `w`). Its records are
//! byte for byte those of format 2 (same encoding, same hash chain), so the
//! upgrade only repacks them into chunks and drops the derived keys, which
//! format 2 derives from the log instead: every hash, and the head hash, stay.
//!
//! The upgrade runs when a format-1 log is opened to write, and survives a
//! crash at any point: chunks are written first (any left by an interrupted
//! attempt are dropped first), then one batch switches the format, then the
//! old keys are removed (an interrupted removal is finished the next time).

use super::{Head, LogError, chunk, keys, record};
use crate::storage::{Batch, Storage, prefix_end};

/// Records per chunk when repacking.
const CHUNK_RECORDS: u32 = 1024;
/// Keys per batch when writing or removing in bulk.
const KEYS_PER_BATCH: usize = 4096;

/// The head of a format-1 log: `m head`, which must name the last record
/// and carry its hash, with nothing after it.
pub fn v1_head<S: Storage>(storage: &S) -> Result<Head, LogError> {
    let head = match storage.get(keys::META_HEAD)? {
        Some(v) => Head::decode(v.as_ref())
            .ok_or_else(|| LogError::Inconsistent("head metadata is malformed".into()))?,
        None => Head::EMPTY,
    };
    if head.seq > 0 {
        let bytes = storage.get(&keys::event(head.seq))?.ok_or_else(|| {
            LogError::Inconsistent(format!("head record {} is missing", head.seq))
        })?;
        let parts = record::split(bytes.as_ref()).map_err(|source| LogError::Record {
            seq: head.seq,
            source,
        })?;
        if parts.hash != head.hash {
            return Err(LogError::Inconsistent(format!(
                "head record {} does not carry the head hash",
                head.seq
            )));
        }
    }
    let after = keys::event(head.seq.saturating_add(1));
    if let Some((k, _)) = storage.last_in(&after, &[keys::EVENT + 1])? {
        return Err(LogError::Inconsistent(format!(
            "records after the head {}: {:?}",
            head.seq,
            keys::event_seq(k.as_ref())
        )));
    }
    Ok(head)
}

/// Calls `f` with every format-1 record from `from` on, in key order.
pub fn v1_for_each_raw<S: Storage, E: From<LogError>>(
    storage: &S,
    from: u64,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let start = keys::event(from.max(1));
    for item in storage.range(&start, Some(&[keys::EVENT + 1])) {
        let (k, v) = item.map_err(LogError::from)?;
        let seq = keys::event_seq(k.as_ref())
            .ok_or_else(|| LogError::Inconsistent("an event key of the wrong length".into()))?;
        record::split(v.as_ref()).map_err(|source| LogError::Record { seq, source })?;
        f(seq, v.as_ref())?;
    }
    Ok(())
}

/// Upgrades a format-1 log whose head is `head` to format 2, in place.
pub fn to_format_2<S: Storage>(storage: &S, head: Head) -> Result<(), LogError> {
    tracing::info!(records = head.seq, "upgrading the log from format 1 to 2");
    remove_prefix(storage, &[keys::LOG])?;
    repack(storage)?;
    storage.flush()?;
    let mut switch = Batch::new();
    switch.put(keys::META_FORMAT.to_vec(), vec![super::FORMAT]);
    switch.remove(keys::META_HEAD.to_vec());
    storage.apply(&switch)?;
    storage.flush()?;
    remove_format_1_keys(storage)?;
    storage.flush()?;
    Ok(())
}

/// Removes what format 1 kept and format 2 does not (also after an
/// interrupted upgrade: the format already says 2).
pub fn remove_format_1_keys<S: Storage>(storage: &S) -> Result<(), LogError> {
    remove_prefix(storage, &[keys::EVENT])?;
    remove_prefix(storage, &[keys::TAG])?;
    remove_prefix(storage, &[keys::TIMER])?;
    remove_prefix(storage, &keys::projection_prefix("inventory"))?;
    let mut b = Batch::new();
    b.remove(keys::checkpoint("inventory"));
    storage.apply(&b)?;
    Ok(())
}

/// Writes every format-1 record into chunks.
fn repack<S: Storage>(storage: &S) -> Result<(), LogError> {
    let mut batch = Batch::new();
    let mut open: Option<(Vec<u8>, u64, u32, i64)> = None;
    let mut expected = 1u64;
    v1_for_each_raw(storage, 1, |seq, bytes| -> Result<(), LogError> {
        if seq != expected {
            return Err(LogError::Inconsistent(format!(
                "record {expected} is missing (found {seq}); run `ecs-ledger verify`"
            )));
        }
        expected += 1;
        let (recorded, _) =
            record::decode(seq, bytes).map_err(|source| LogError::Record { seq, source })?;
        let (chunk_bytes, _, count, clock) = open.get_or_insert_with(|| (Vec::new(), seq, 0, 0));
        chunk_bytes.extend_from_slice(bytes);
        *count += 1;
        *clock = recorded.time.unix();
        if *count >= CHUNK_RECORDS {
            seal_into(&mut batch, open.take());
            if batch.len() >= 16 {
                storage.apply(&std::mem::take(&mut batch))?;
            }
        }
        Ok(())
    })?;
    seal_into(&mut batch, open.take());
    storage.apply(&batch)?;
    Ok(())
}

fn seal_into(batch: &mut Batch, open: Option<(Vec<u8>, u64, u32, i64)>) {
    if let Some((records, first, count, clock)) = open {
        batch.create(
            keys::chunk(first).to_vec(),
            chunk::seal(first, count, clock, &records),
        );
    }
}

/// Removes every key starting with `prefix`, in bounded batches.
fn remove_prefix<S: Storage>(storage: &S, prefix: &[u8]) -> Result<(), LogError> {
    loop {
        let mut batch = Batch::new();
        let end = prefix_end(prefix);
        for item in storage.range(prefix, end.as_deref()) {
            let (k, _) = item?;
            batch.remove(k.as_ref().to_vec());
            if batch.len() >= KEYS_PER_BATCH {
                break;
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        storage.apply(&batch)?;
    }
}
