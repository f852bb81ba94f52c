//! A chunk: the records of one group commit, stored under one key.
//!
//! What a commit costs is the number of storage keys it writes, not its bytes
//! (measured: sled writes one 38 KB value 20x faster than 64 small ones), so
//! format 2 stores each commit's records together, in a chunk keyed by the
//! `Seq` of its first record. Each record inside keeps its own checksum and
//! chain hash (see [`crate::log::record`]): a record is verified on its own,
//! and the bytes the hash chain covers did not change from format 1.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "ECL2"
//! 4       8     seq of the first record (u64 LE); equals the key's
//! 12      4     number of records n (u32 LE), >= 1
//! 16      8     the ledger clock at the commit (i64 LE, seconds)
//! 24      4     CRC-32 (IEEE) of bytes 0..24 (u32 LE)
//! 28      4     length of the records' bytes uncompressed (u32 LE)
//! 32      ...   the n records, back to back (each says its own length),
//!               compressed with LZ4 (block format)
//! ```
//!
//! Compressed because bytes on disk are what sled multiplies (it keeps about
//! twice what it is given): LZ4 halves a chunk at 2-4 GB/s to decompress, so
//! a replay hardly notices. The checksums and the hash chain cover the
//! records themselves, not their compressed form.

use super::record::{self, RecordError};

/// The magic at the start of every chunk.
pub const MAGIC: &[u8; 4] = b"ECL2";
/// Size of the chunk header (with the uncompressed length after it).
pub const HEADER: usize = 32;
/// Largest uncompressed body accepted (bounds what a damaged length can ask for).
pub const BODY_MAX: usize = RECORDS_MAX * (record::MAX_PAYLOAD + 64);
/// Most records one chunk holds (a group commit of more is split).
pub const RECORDS_MAX: usize = 4096;
/// A chunk is closed once its records reach this many bytes (a larger
/// group commit writes several chunks, still in one atomic batch).
pub const BYTES_TARGET: usize = 48 * 1024;

/// Why a stored chunk cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// Its header is damaged.
    #[error("chunk header is damaged ({0})")]
    Header(&'static str),
    /// The header's first seq is not the key's.
    #[error("chunk header names seq {header}, its key seq {key}")]
    Seq {
        /// The key's seq.
        key: u64,
        /// The header's.
        header: u64,
    },
    /// A record inside is damaged: its seq, and what is wrong.
    #[error("record {seq}: {source}")]
    Record {
        /// The record's seq.
        seq: u64,
        /// What is wrong.
        source: RecordError,
    },
}

impl ChunkError {
    /// The seq of the first record the damage touches.
    pub fn seq(&self, key_seq: u64) -> u64 {
        match self {
            ChunkError::Record { seq, .. } => *seq,
            _ => key_seq,
        }
    }
}

/// A chunk's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Seq of the first record.
    pub first: u64,
    /// Number of records.
    pub count: u32,
    /// The ledger clock at the commit.
    pub clock: i64,
}

impl Header {
    /// Seq of the last record.
    pub fn last(&self) -> u64 {
        self.first + u64::from(self.count) - 1
    }
}

/// The stored chunk of `records` (their bytes back to back) whose first
/// record is `first`: header, then the records compressed.
pub fn seal(first: u64, count: u32, clock: i64, records: &[u8]) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(records);
    let mut bytes = Vec::with_capacity(HEADER + compressed.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&first.to_le_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&clock.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..24]);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&(records.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&compressed);
    bytes
}

/// The records' bytes of a chunk, decompressed (damage is an error).
pub fn body(bytes: &[u8], header: Header) -> Result<Vec<u8>, ChunkError> {
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[28..HEADER]);
    let len = u32::from_le_bytes(len) as usize;
    if len > BODY_MAX {
        return Err(ChunkError::Header("uncompressed length out of range"));
    }
    let body =
        lz4_flex::block::decompress(&bytes[HEADER..], len).map_err(|_| ChunkError::Record {
            seq: header.first,
            source: RecordError::Truncated(len),
        })?;
    if body.len() != len {
        return Err(ChunkError::Header("uncompressed length does not match"));
    }
    Ok(body)
}

/// Reads and checks a chunk's header (stored under `key_seq`).
pub fn header(bytes: &[u8], key_seq: u64) -> Result<Header, ChunkError> {
    if bytes.len() < HEADER {
        return Err(ChunkError::Header("too short"));
    }
    if &bytes[..4] != MAGIC {
        return Err(ChunkError::Header("bad magic"));
    }
    let field = |at: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        b
    };
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&bytes[24..28]);
    if crc32fast::hash(&bytes[..24]) != u32::from_le_bytes(crc) {
        return Err(ChunkError::Header("checksum mismatch"));
    }
    let mut count = [0u8; 4];
    count.copy_from_slice(&bytes[12..16]);
    let header = Header {
        first: u64::from_le_bytes(field(4)),
        count: u32::from_le_bytes(count),
        clock: i64::from_le_bytes(field(16)),
    };
    if header.first != key_seq {
        return Err(ChunkError::Seq {
            key: key_seq,
            header: header.first,
        });
    }
    if header.count == 0 || header.count as usize > RECORDS_MAX {
        return Err(ChunkError::Header("record count out of range"));
    }
    Ok(header)
}

/// The records of a chunk's body (see [`body`]) as (seq, bytes), each
/// split and checksum-checked (not decoded). Stops at the first damaged one.
pub fn records(body: &[u8], header: Header) -> Records<'_> {
    Records {
        rest: body,
        next: header.first,
        left: header.count,
        failed: false,
    }
}

/// The records of one chunk, in order.
#[derive(Debug)]
pub struct Records<'a> {
    rest: &'a [u8],
    next: u64,
    left: u32,
    failed: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u64, &'a [u8]), ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.left == 0 {
            if self.rest.is_empty() {
                return None;
            }
            self.failed = true;
            return Some(Err(ChunkError::Header("bytes after the last record")));
        }
        let seq = self.next;
        let fail = |this: &mut Self, source| {
            this.failed = true;
            Some(Err(ChunkError::Record { seq, source }))
        };
        let Some(len) = record::stored_len(self.rest) else {
            return fail(self, RecordError::Truncated(self.rest.len()));
        };
        let (bytes, rest) = self.rest.split_at(len);
        if let Err(source) = record::split(bytes) {
            return fail(self, source);
        }
        self.rest = rest;
        self.next += 1;
        self.left -= 1;
        Some(Ok((seq, bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_header_reads_back_and_a_changed_one_does_not() {
        let bytes = seal(42, 3, 1_767_225_600, b"");
        let h = header(&bytes, 42).unwrap();
        assert_eq!(
            (h.first, h.count, h.clock, h.last()),
            (42, 3, 1_767_225_600, 44)
        );
        assert!(matches!(header(&bytes, 41), Err(ChunkError::Seq { .. })));
        let mut bad = bytes.clone();
        bad[13] ^= 1;
        assert!(header(&bad, 42).is_err());
        assert!(header(&bytes[..10], 42).is_err());
    }
}
