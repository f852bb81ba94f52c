//! The keyspace: every kind of record under its own one-byte prefix in one
//! sled tree, so that one group commit is one atomic batch.
//!
//! Format 2:
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `l` | seq of its first record (u64 BE) | a chunk: one commit's records ([`crate::log::chunk`]) |
//! | `m` | name | metadata: `format`, `clock`, `witnessed`, `state` (the state checkpoint's manifest) |
//! | `s` | generation (u64 BE), part (u32 BE) | a part of a state checkpoint |
//! | `k` | account, `0x00`, ClientToken | an idempotency record |
//! | `n` | expiry (u64 BE), nonce digest (16 bytes) | empty: a signature nonce seen |
//! | `N` | nonce digest (16 bytes) | its expiry (u64 BE): written beside `n` on a store several processes append to, so a writer finds the nonces the others saw by digest |
//! | `c` | projection name | the projection's checkpoint (u64 BE) |
//! | `p` | projection name, `0x00`, key | a projection's own data |
//! | `h` | block index (u64 BE) | the Merkle root of records `4096 i + 1 ..= 4096 (i + 1)` ([`crate::log::tree`]) |
//!
//! Format 1 (read, and upgraded when opened to write) kept one record per key
//! under `e` (seq), the head under `m head`, and derived data written with
//! every commit: the tag index `t` (tag, `0x00`, seq), the inventory under
//! `p inventory`, the timer index `w`.
//!
//! Tags and accounts never contain `0x00` (their syntax forbids it), so a
//! prefix ending in `0x00` never matches a longer name.

/// Chunks of records (format 2).
pub const LOG: u8 = b'l';
/// State checkpoint parts (format 2).
pub const STATE: u8 = b's';
/// Event records (format 1).
pub const EVENT: u8 = b'e';
/// Tag index entries.
pub const TAG: u8 = b't';
/// Metadata.
pub const META: u8 = b'm';
/// Idempotency records.
pub const IDEMPOTENCY: u8 = b'k';
/// Timer index.
pub const TIMER: u8 = b'w';
/// Signature nonces seen.
pub const NONCE: u8 = b'n';
/// Signature nonces seen, by digest (stores several processes append to).
pub const NONCE_DIGEST: u8 = b'N';
/// Projection checkpoints.
pub const CHECKPOINT: u8 = b'c';
/// Projection data.
pub const PROJECTION: u8 = b'p';
/// Merkle block roots ([`crate::log::tree`]).
pub const TREE: u8 = b'h';

/// `m format`: the on-disk format version.
pub const META_FORMAT: &[u8] = b"mformat";
/// `m head`: seq and hash of the last record.
pub const META_HEAD: &[u8] = b"mhead";
/// `m clock`: the ledger clock.
pub const META_CLOCK: &[u8] = b"mclock";
/// `m witnessed`: the store keeps a head witness (so its absence is damage).
pub const META_WITNESSED: &[u8] = b"mwitnessed";
/// `m state`: the manifest of the state checkpoint.
pub const META_STATE: &[u8] = b"mstate";

/// The key of the chunk whose first record is `first`.
pub fn chunk(first: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = LOG;
    k[1..].copy_from_slice(&first.to_be_bytes());
    k
}

/// The first seq of a chunk key.
pub fn chunk_seq(key: &[u8]) -> Option<u64> {
    match key {
        [LOG, rest @ ..] if rest.len() == 8 => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// The key of part `part` of state checkpoint `generation`.
pub fn state_part(generation: u64, part: u32) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[0] = STATE;
    k[1..9].copy_from_slice(&generation.to_be_bytes());
    k[9..].copy_from_slice(&part.to_be_bytes());
    k
}

/// The key of event `seq` (format 1).
pub fn event(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = EVENT;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The seq of an event key.
pub fn event_seq(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT, rest @ ..] if rest.len() == 8 => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// `t` + tag + `0x00`: the prefix of one tag's index entries.
pub fn tag_prefix(tag: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(tag.len() + 2);
    k.push(TAG);
    k.extend_from_slice(tag.as_bytes());
    k.push(0);
    k
}

/// The index entry of `tag` at `seq`.
pub fn tag(tag: &str, seq: u64) -> Vec<u8> {
    let mut k = tag_prefix(tag);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The tag and seq of an index entry.
pub fn tag_entry(key: &[u8]) -> Option<(&str, u64)> {
    let body = key.strip_prefix(&[TAG])?;
    if body.len() < 9 {
        return None;
    }
    let (name, rest) = body.split_at(body.len() - 9);
    if rest[0] != 0 {
        return None;
    }
    let seq = u64::from_be_bytes(rest[1..].try_into().ok()?);
    Some((std::str::from_utf8(name).ok()?, seq))
}

/// The idempotency record of (account, token).
pub fn idempotency(account: &str, token: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.len() + token.len() + 2);
    k.push(IDEMPOTENCY);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(token.as_bytes());
    k
}

/// The timer entry of an instance due at `due` (seconds since the epoch).
pub fn timer(due: i64, instance: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(instance.len() + 9);
    k.push(TIMER);
    k.extend_from_slice(&(due.max(0) as u64).to_be_bytes());
    k.extend_from_slice(instance.as_bytes());
    k
}

/// The due time and instance of a timer entry.
pub fn timer_entry(key: &[u8]) -> Option<(i64, &str)> {
    let body = key.strip_prefix(&[TIMER])?;
    if body.len() < 9 {
        return None;
    }
    let due = u64::from_be_bytes(body[..8].try_into().ok()?);
    Some((
        i64::try_from(due).ok()?,
        std::str::from_utf8(&body[8..]).ok()?,
    ))
}

/// The key of a signature nonce that expires at `expires` (seconds since the epoch).
pub fn nonce(expires: i64, digest: &[u8; 16]) -> Vec<u8> {
    let mut k = Vec::with_capacity(25);
    k.push(NONCE);
    k.extend_from_slice(&(expires.max(0) as u64).to_be_bytes());
    k.extend_from_slice(digest);
    k
}

/// The key of a signature nonce by its digest (shared stores): its value is
/// the expiry (u64 BE seconds).
pub fn nonce_digest(digest: &[u8; 16]) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(NONCE_DIGEST);
    k.extend_from_slice(digest);
    k
}

/// The expiry and digest of a nonce key.
pub fn nonce_entry(key: &[u8]) -> Option<(i64, [u8; 16])> {
    let body = key.strip_prefix(&[NONCE])?;
    if body.len() != 24 {
        return None;
    }
    let expires = i64::try_from(u64::from_be_bytes(body[..8].try_into().ok()?)).ok()?;
    Some((expires, body[8..].try_into().ok()?))
}

/// The checkpoint key of a projection.
pub fn checkpoint(name: &str) -> Vec<u8> {
    let mut k = vec![CHECKPOINT];
    k.extend_from_slice(name.as_bytes());
    k
}

/// The prefix of a projection's data keys.
pub fn projection_prefix(name: &str) -> Vec<u8> {
    let mut k = vec![PROJECTION];
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k
}

/// A projection's data key.
pub fn projection(name: &str, key: &[u8]) -> Vec<u8> {
    let mut k = projection_prefix(name);
    k.extend_from_slice(key);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(event_seq(&event(42)), Some(42));
        assert_eq!(chunk_seq(&chunk(42)), Some(42));
        assert!(chunk(255) < chunk(256));
        assert_eq!(tag_entry(&tag("i-12345678", 7)), Some(("i-12345678", 7)));
        assert_eq!(
            timer_entry(&timer(99, "i-12345678")),
            Some((99, "i-12345678"))
        );
        assert_eq!(nonce_entry(&nonce(7, &[3; 16])), Some((7, [3; 16])));
        assert_eq!(event_seq(b"x"), None);
        assert_eq!(tag_entry(b"t"), None);
    }

    #[test]
    fn a_tag_prefix_does_not_match_a_longer_tag() {
        let short = tag_prefix("i-12345678");
        assert!(!tag("i-123456789", 1).starts_with(&short));
        assert!(tag("i-12345678", 1).starts_with(&short));
    }

    #[test]
    fn event_keys_sort_by_seq() {
        assert!(event(255) < event(256));
        assert!(event(1) < event(u64::MAX));
    }
}
