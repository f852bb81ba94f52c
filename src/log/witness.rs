//! The head witness: the last durable head, kept outside the main store.
//!
//! A store can lose its tail without noticing: a sled file cut short, or
//! replaced by an earlier copy, recovers to an earlier consistent state that
//! checks out record by record. The witness is written after every durable
//! commit, to a place of its own, so opening and `verify` can tell a log that
//! is shorter than what was acknowledged, or rewritten, from an intact one.
//!
//! It also keeps the **damage mark**: once `verify` finds a ledger damaged,
//! it says so here, and the ledger refuses to open for writing until a later
//! `verify` finds it intact again (damage found by a read-only check is not
//! forgotten by the next writer, whichever page it was in).
//!
//! Encoding: two slots of [`SLOT`] bytes (a torn write damages one slot, never
//! both; the valid slot with the highest counter wins), then the damage mark
//! at [`MARK_OFFSET`]:
//!
//! ```text
//! offset  size  field
//! 0       8     magic "ECSWIT01"
//! 8       8     write counter (u64 LE): which slot is newer
//! 16      8     seq of the last durable record (u64 LE)
//! 24      32    its chain hash
//! 56      4     CRC-32 (IEEE) of bytes 0..56 (u32 LE)
//! 60      4     zero
//!
//! damage mark (MARK_SIZE bytes at MARK_OFFSET; all zero when clear):
//! 0       8     magic "ECSDMG01"
//! 8       2     reason length n (u16 LE)
//! 10      n     the reason, UTF-8
//! 10+n    4     CRC-32 (IEEE) of bytes 0..10+n (u32 LE)
//! ```

use super::Head;

/// Size of one slot.
pub const SLOT: usize = 64;
const MAGIC: &[u8; 8] = b"ECSWIT01";
/// Where the damage mark starts.
pub const MARK_OFFSET: usize = 2 * SLOT;
/// Size of the damage mark's region.
pub const MARK_SIZE: usize = 256;
/// Every byte a witness may hold.
pub const SIZE: usize = MARK_OFFSET + MARK_SIZE;
const _: () = assert!(
    SIZE <= crate::storage::WITNESS_BYTES_MAX,
    "the storage reads a whole witness"
);
const MARK_MAGIC: &[u8; 8] = b"ECSDMG01";

/// One decoded slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Which write this was (the newer slot has the higher counter).
    pub counter: u64,
    /// The head it records.
    pub head: Head,
}

impl Mark {
    /// The slot's bytes.
    pub fn encode(&self) -> [u8; SLOT] {
        let mut b = [0u8; SLOT];
        b[..8].copy_from_slice(MAGIC);
        b[8..16].copy_from_slice(&self.counter.to_le_bytes());
        b[16..24].copy_from_slice(&self.head.seq.to_le_bytes());
        b[24..56].copy_from_slice(&self.head.hash);
        let crc = crc32fast::hash(&b[..56]);
        b[56..60].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// A slot, if it is well formed and its checksum matches.
    pub fn decode(b: &[u8]) -> Option<Mark> {
        if b.len() < SLOT || &b[..8] != MAGIC {
            return None;
        }
        let crc = u32::from_le_bytes(b[56..60].try_into().ok()?);
        if crc32fast::hash(&b[..56]) != crc {
            return None;
        }
        Some(Mark {
            counter: u64::from_le_bytes(b[8..16].try_into().ok()?),
            head: Head {
                seq: u64::from_le_bytes(b[16..24].try_into().ok()?),
                hash: b[24..56].try_into().ok()?,
            },
        })
    }
}

/// What a stored witness says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// No witness was ever written.
    Absent,
    /// Present, but neither slot is valid.
    Unreadable,
    /// The newest valid slot.
    Valid(Mark),
}

/// The damage mark's region recording `reason` (cut to fit, at a character boundary).
///
/// ```
/// use ecs_ledger::log::witness::{self, MARK_OFFSET};
/// let mut bytes = vec![0u8; MARK_OFFSET];
/// bytes.extend_from_slice(&witness::damage_mark("record 17: checksum mismatch"));
/// assert_eq!(witness::damage(&bytes).as_deref(), Some("record 17: checksum mismatch"));
/// bytes.truncate(MARK_OFFSET);
/// bytes.extend_from_slice(&witness::no_damage_mark());
/// assert_eq!(witness::damage(&bytes), None);
/// ```
pub fn damage_mark(reason: &str) -> [u8; MARK_SIZE] {
    let mut cut = reason.len().min(MARK_SIZE - 14);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let reason = &reason.as_bytes()[..cut];
    let mut b = [0u8; MARK_SIZE];
    b[..8].copy_from_slice(MARK_MAGIC);
    b[8..10].copy_from_slice(&(reason.len() as u16).to_le_bytes());
    b[10..10 + reason.len()].copy_from_slice(reason);
    let crc = crc32fast::hash(&b[..10 + reason.len()]);
    b[10 + reason.len()..14 + reason.len()].copy_from_slice(&crc.to_le_bytes());
    b
}

/// The damage mark's region when there is no damage.
pub fn no_damage_mark() -> [u8; MARK_SIZE] {
    [0u8; MARK_SIZE]
}

/// The recorded damage, if a witness's bytes carry a mark. A mark that does
/// not check out is reported as damage too (it can only be a damaged mark).
pub fn damage(bytes: &[u8]) -> Option<String> {
    let region = bytes.get(MARK_OFFSET..)?;
    if region.iter().all(|b| *b == 0) {
        return None;
    }
    let decoded = (|| {
        if region.get(..8)? != MARK_MAGIC {
            return None;
        }
        let n = usize::from(u16::from_le_bytes(region.get(8..10)?.try_into().ok()?));
        let text = region.get(10..10 + n)?;
        let crc = u32::from_le_bytes(region.get(10 + n..14 + n)?.try_into().ok()?);
        (crc32fast::hash(&region[..10 + n]) == crc)
            .then(|| String::from_utf8_lossy(text).into_owned())
    })();
    Some(decoded.unwrap_or_else(|| "the damage mark itself is damaged".to_owned()))
}

/// Reads the newest valid slot of a witness's bytes.
///
/// ```
/// use ecs_ledger::log::Head;
/// use ecs_ledger::log::witness::{self, Mark, Reading};
/// let old = Mark { counter: 1, head: Head { seq: 5, hash: [1; 32] } };
/// let new = Mark { counter: 2, head: Head { seq: 9, hash: [2; 32] } };
/// let mut bytes = [old.encode(), new.encode()].concat();
/// assert_eq!(witness::read(&bytes), Reading::Valid(new));
/// bytes[70] ^= 1; // the newer slot torn
/// assert_eq!(witness::read(&bytes), Reading::Valid(old));
/// assert_eq!(witness::read(&[]), Reading::Absent);
/// ```
pub fn read(bytes: &[u8]) -> Reading {
    if bytes.is_empty() {
        return Reading::Absent;
    }
    if bytes[..bytes.len().min(MARK_OFFSET)]
        .iter()
        .all(|b| *b == 0)
    {
        return Reading::Absent;
    }
    let newest = bytes[..bytes.len().min(MARK_OFFSET)]
        .chunks(SLOT)
        .filter_map(Mark::decode)
        .max_by_key(|m| m.counter);
    match newest {
        Some(mark) => Reading::Valid(mark),
        None => Reading::Unreadable,
    }
}

/// The slot the write after `previous` goes to, and its bytes.
pub fn next(previous: Option<Mark>, head: Head) -> (usize, [u8; SLOT]) {
    let counter = previous.map_or(1, |m| m.counter.wrapping_add(1));
    let slot = (counter % 2) as usize;
    (slot * SLOT, Mark { counter, head }.encode())
}
