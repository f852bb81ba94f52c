//! Conditional append: "append these events unless an event with one of these
//! tags was appended after position P" (the Dynamic Consistency Boundary check).
//!
//! In-process with one writer the check always passes, and costs nothing when
//! P is the head; the interface is what lets a shared backend keep the same
//! guarantee across writers.

/// The condition of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The tags the decision read.
    pub tags: Vec<String>,
    /// The position the decision saw: no event with one of the tags may be after it.
    pub after: u64,
}

impl Condition {
    /// No event with one of `tags` after `after`.
    pub fn new(tags: impl IntoIterator<Item = impl Into<String>>, after: u64) -> Self {
        Self {
            tags: tags.into_iter().map(Into::into).collect(),
            after,
        }
    }
}

/// The append was refused: the state it was decided against has changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conflict on {tag}: expected nothing after seq {expected}, found seq {actual}")]
pub struct Conflict {
    /// The tag with a newer event.
    pub tag: String,
    /// The position the decision saw.
    pub expected: u64,
    /// The newer event's seq.
    pub actual: u64,
}
