//! The Merkle tree over the log (RFC 9162, section 2.1): hashing, the tree
//! head, and inclusion and consistency proofs, generated and verified.
//!
//! The leaves are the log's records in `Seq` order, each as its **whole
//! stored bytes** (version, length, payload, CRC, chain hash: what
//! [`crate::log::EventLog::for_each_raw`] hands out): leaf index `i` is
//! record `Seq` `i + 1`.
//!
//! * leaf hash: `SHA-256(0x00 || record bytes)`
//! * node hash: `SHA-256(0x01 || left || right)`
//! * the root of `n` leaves is RFC 9162's `MTH(D[n])`: the empty tree's is
//!   `SHA-256("")`; otherwise split at `k`, the largest power of two below
//!   `n`, and hash the two halves' roots.
//!
//! The generation algorithms (`PATH`, `PROOF`/`SUBPROOF`) ask a
//! [`Subtrees`] source for the roots of the subtrees they need, so the same
//! code runs over leaf hashes in memory (a slice) and over a stored log
//! ([`crate::log::tree::LogTree`], which keeps the roots of aligned blocks so
//! that a proof does not read the whole log). The verification algorithms
//! are pure.
//!
//! No crate was used for the tree: `rs_merkle` and the like neither hash
//! with RFC 9162's domain separation nor split unbalanced trees its way, and
//! none offers consistency proofs over leaves it does not hold in memory.
//!
//! ```
//! use ecs_ledger::log::merkle::{inclusion_path, leaf_hash, root, verify_inclusion};
//! let leaves: Vec<_> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
//! let mut source = leaves.as_slice();
//! let root5 = root(&mut source, 5).unwrap();
//! let path = inclusion_path(&mut source, 3, 5).unwrap();
//! assert!(verify_inclusion(3, 5, &leaves[3], &path, &root5).is_ok());
//! assert!(verify_inclusion(2, 5, &leaves[3], &path, &root5).is_err());
//! ```

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The leaf hash of one record's stored bytes: `SHA-256(0x00 || bytes)`.
pub fn leaf_hash(record: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(record);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (`n >= 2`): where RFC 9162
/// splits a tree of `n` leaves.
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Where the roots of subtrees come from.
pub trait Subtrees {
    /// What can go wrong fetching them.
    type Error;
    /// `MTH(D[lo:hi])`, the root of leaves `lo..hi` (`lo < hi`), as RFC
    /// 9162 defines it for those leaves alone.
    fn subtree(&mut self, lo: u64, hi: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError<E> {
    /// The leaf or tree size is out of range.
    #[error("{0}")]
    Range(String),
    /// The source failed.
    #[error(transparent)]
    Source(E),
}

/// Leaf hashes in memory are a source: `MTH` computed recursively.
impl Subtrees for &[Hash] {
    type Error = std::convert::Infallible;

    fn subtree(&mut self, lo: u64, hi: u64) -> Result<Hash, Self::Error> {
        let hi = (hi as usize).min(self.len());
        let lo = (lo as usize).min(hi);
        Ok(mth_of_nodes(&self[lo..hi]))
    }
}

/// `MTH` over hashes taken as the roots of equal, perfect subtrees (or of
/// leaves already hashed): the empty tree's root for none.
pub fn mth_of_nodes(nodes: &[Hash]) -> Hash {
    match nodes.len() {
        0 => empty_root(),
        1 => nodes[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&mth_of_nodes(&nodes[..k]), &mth_of_nodes(&nodes[k..]))
        }
    }
}

/// The root of the first `n` leaves.
pub fn root<S: Subtrees>(source: &mut S, n: u64) -> Result<Hash, S::Error> {
    if n == 0 {
        return Ok(empty_root());
    }
    source.subtree(0, n)
}

/// The inclusion proof of leaf `index` in the tree of the first `size`
/// leaves: RFC 9162's `PATH(m, D[n])`, nearest the leaf first.
pub fn inclusion_path<S: Subtrees>(
    source: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if index >= size {
        return Err(ProveError::Range(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    let mut path = Vec::new();
    path_into(source, index, 0, size, &mut path).map_err(ProveError::Source)?;
    Ok(path)
}

fn path_into<S: Subtrees>(
    source: &mut S,
    m: u64,
    lo: u64,
    hi: u64,
    path: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    if hi - lo <= 1 {
        return Ok(());
    }
    let k = split_point(hi - lo);
    if m - lo < k {
        path_into(source, m, lo, lo + k, path)?;
        path.push(source.subtree(lo + k, hi)?);
    } else {
        path_into(source, m, lo + k, hi, path)?;
        path.push(source.subtree(lo, lo + k)?);
    }
    Ok(())
}

/// The consistency proof between the trees of the first `first` and the
/// first `second` leaves: RFC 9162's `PROOF(m, D[n])`. Empty when `first`
/// is 0 or equals `second` (nothing to prove beyond the roots themselves).
pub fn consistency_path<S: Subtrees>(
    source: &mut S,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if first > second {
        return Err(ProveError::Range(format!(
            "a tree of {first} leaves cannot be a prefix of one of {second}"
        )));
    }
    let mut path = Vec::new();
    if first > 0 && first < second {
        subproof_into(source, first, 0, second, true, &mut path).map_err(ProveError::Source)?;
    }
    Ok(path)
}

fn subproof_into<S: Subtrees>(
    source: &mut S,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    path: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = hi - lo;
    if m == n {
        if !whole {
            path.push(source.subtree(lo, hi)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof_into(source, m, lo, lo + k, whole, path)?;
        path.push(source.subtree(lo + k, hi)?);
    } else {
        subproof_into(source, m - k, lo + k, hi, false, path)?;
        path.push(source.subtree(lo, lo + k)?);
    }
    Ok(())
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The sizes or the index make no such proof possible.
    #[error("{0}")]
    Shape(String),
    /// The path has the wrong number of hashes for the sizes.
    #[error("the proof has the wrong number of hashes")]
    Length,
    /// The hashes do not lead to the root.
    #[error("the proof does not lead to the root hash")]
    Mismatch,
}

/// Checks an inclusion proof (RFC 9162, 2.1.3.2): that `leaf` is leaf
/// `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Shape(format!(
            "leaf {index} is not in a tree of {size} leaves"
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return Err(ProofError::Length);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length);
    }
    if &r != root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Checks a consistency proof (RFC 9162, 2.1.4.2): that the tree of
/// `first` leaves with root `first_root` is a prefix of the tree of
/// `second` leaves with root `second_root`. When `first` is 0 the path must
/// be empty (every tree extends the empty one); when the sizes are equal,
/// it must be empty and the roots equal.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::Shape(format!(
            "a tree of {first} leaves cannot be a prefix of one of {second}"
        )));
    }
    if first == 0 || first == second {
        if !path.is_empty() {
            return Err(ProofError::Length);
        }
        if first == second && first_root != second_root {
            return Err(ProofError::Mismatch);
        }
        return Ok(());
    }
    let mut path: Vec<Hash> = path.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let Some((start, rest)) = path.split_first() else {
        return Err(ProofError::Length);
    };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if s == 0 {
            return Err(ProofError::Length);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u8) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&[i, i ^ 0x5a])).collect()
    }

    #[test]
    fn roots_follow_the_rfc_definition() {
        let l = leaves(7);
        let mut s = l.as_slice();
        assert_eq!(root(&mut s, 0).unwrap(), empty_root());
        assert_eq!(root(&mut s, 1).unwrap(), l[0]);
        let h01 = node_hash(&l[0], &l[1]);
        let h23 = node_hash(&l[2], &l[3]);
        assert_eq!(root(&mut s, 3).unwrap(), node_hash(&h01, &l[2]));
        let h03 = node_hash(&h01, &h23);
        let h46 = node_hash(&node_hash(&l[4], &l[5]), &l[6]);
        assert_eq!(root(&mut s, 7).unwrap(), node_hash(&h03, &h46));
    }

    #[test]
    fn the_empty_root_is_the_hash_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_inclusion_proof_verifies_and_no_other_leaf_does() {
        let l = leaves(33);
        let mut s = l.as_slice();
        for n in 1..=33u64 {
            let r = root(&mut s, n).unwrap();
            for m in 0..n {
                let path = inclusion_path(&mut s, m, n).unwrap();
                assert_eq!(verify_inclusion(m, n, &l[m as usize], &path, &r), Ok(()));
                let other = l[((m + 1) % 33) as usize];
                assert!(verify_inclusion(m, n, &other, &path, &r).is_err());
                let other_root = leaf_hash(b"another tree");
                assert!(verify_inclusion(m, n, &l[m as usize], &path, &other_root).is_err());
                if n > 1 {
                    let short = &path[..path.len() - 1];
                    assert!(verify_inclusion(m, n, &l[m as usize], short, &r).is_err());
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_changed_one_does_not() {
        let l = leaves(33);
        let mut s = l.as_slice();
        for n in 1..=33u64 {
            let rn = root(&mut s, n).unwrap();
            for m in 0..=n {
                let rm = root(&mut s, m).unwrap();
                let path = consistency_path(&mut s, m, n).unwrap();
                assert_eq!(verify_consistency(m, n, &rm, &rn, &path), Ok(()));
                if let Some(last) = path.len().checked_sub(1) {
                    let mut bad = path.clone();
                    bad[last][0] ^= 1;
                    assert!(verify_consistency(m, n, &rm, &rn, &bad).is_err());
                    assert!(verify_consistency(m, n, &rn, &rn, &path).is_err());
                }
            }
        }
    }

    #[test]
    fn a_proof_for_a_tree_that_does_not_hold_the_leaf_is_refused() {
        let l = leaves(4);
        let mut s = l.as_slice();
        assert!(inclusion_path(&mut s, 4, 4).is_err());
        assert!(consistency_path(&mut s, 5, 4).is_err());
        assert!(verify_inclusion(4, 4, &l[0], &[], &l[0]).is_err());
    }
}
