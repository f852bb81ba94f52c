//! The frontier (a "compact range"): the roots of the perfect subtrees that
//! make up the Merkle tree of the log so far, one per set bit of its size,
//! largest first. O(log n) hashes give the current root at any time and
//! take the next leaf in amortised O(1) hashing, so the tree is kept up to
//! date as records are appended without reading the log back.
//!
//! ```
//! use ecs_ledger::log::frontier::Frontier;
//! use ecs_ledger::log::merkle::{leaf_hash, mth_of_nodes};
//! let leaves: Vec<_> = (0..6u8).map(|i| leaf_hash(&[i])).collect();
//! let mut f = Frontier::new();
//! for l in &leaves {
//!     f.push(*l, 2);
//! }
//! assert_eq!(f.size(), 6);
//! assert_eq!(f.nodes().len(), 2); // 6 = 4 + 2
//! assert_eq!(f.root(), mth_of_nodes(&leaves));
//! ```

use super::merkle::{Hash, empty_root, node_hash};

/// The roots of the perfect subtrees of a tree of `size` leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest (leftmost) first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// The root of the tree (RFC 9162 `MTH`).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |right, left| node_hash(left, &right))
    }

    /// Appends one leaf hash. Returns the root of the perfect subtree of
    /// `2^block_height` leaves this leaf completes, if it completes one
    /// (that is, when the new size is a multiple of `2^block_height`).
    pub fn push(&mut self, leaf: Hash, block_height: u32) -> Option<Hash> {
        self.push_subtree(leaf, 0, block_height)
    }

    /// Appends the root of a perfect subtree of `2^height` leaves. The
    /// size must be a multiple of `2^height` (it is when subtrees of one
    /// height are appended in order from an empty frontier); returns `None`
    /// and changes nothing otherwise. Returns the root of the subtree of
    /// `2^block_height` leaves this completes, as [`Frontier::push`].
    pub fn push_subtree(&mut self, hash: Hash, height: u32, block_height: u32) -> Option<Hash> {
        let width = 1u64.checked_shl(height)?;
        if self.size % width != 0 {
            return None;
        }
        let mut completed = (height == block_height).then_some(hash);
        self.nodes.push(hash);
        let mut count = self.size >> height;
        let mut h = height;
        while count & 1 == 1 {
            let (Some(right), Some(left)) = (self.nodes.pop(), self.nodes.pop()) else {
                break;
            };
            let merged = node_hash(&left, &right);
            h += 1;
            if h == block_height {
                completed = Some(merged);
            }
            self.nodes.push(merged);
            count >>= 1;
        }
        self.size += width;
        completed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::merkle::{leaf_hash, mth_of_nodes};

    #[test]
    fn the_frontier_root_is_the_tree_root_at_every_size() {
        let leaves: Vec<Hash> = (0..70u8).map(|i| leaf_hash(&[i])).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), mth_of_nodes(&[]));
        for (i, l) in leaves.iter().enumerate() {
            let block = f.push(*l, 2);
            let n = i + 1;
            assert_eq!(f.root(), mth_of_nodes(&leaves[..n]), "size {n}");
            assert_eq!(f.nodes().len(), n.count_ones() as usize);
            if n % 4 == 0 {
                assert_eq!(block, Some(mth_of_nodes(&leaves[n - 4..n])));
            } else {
                assert_eq!(block, None);
            }
        }
    }

    #[test]
    fn a_frontier_built_from_block_roots_equals_one_built_from_leaves() {
        let leaves: Vec<Hash> = (0..37u8).map(|i| leaf_hash(&[i])).collect();
        let mut from_leaves = Frontier::new();
        let mut blocks = Vec::new();
        for l in &leaves {
            blocks.extend(from_leaves.push(*l, 3));
        }
        let mut from_blocks = Frontier::new();
        for b in &blocks {
            from_blocks.push_subtree(*b, 3, 3);
        }
        for l in &leaves[32..] {
            from_blocks.push(*l, 3);
        }
        assert_eq!(from_blocks, from_leaves);
    }

    #[test]
    fn a_misaligned_subtree_is_refused() {
        let mut f = Frontier::new();
        f.push(leaf_hash(b"a"), 4);
        assert_eq!(f.push_subtree(leaf_hash(b"b"), 1, 4), None);
        assert_eq!(f.size(), 1);
    }
}
