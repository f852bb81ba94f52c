//! History: every event of one resource, with its time, RequestId and account.
//!
//! Served by the log's tag index, which is written in the same atomic batch as
//! the events (exactly once, always current): one resource's history costs
//! one index scan and one read per event, whatever the length of the log.

use crate::log::{EventLog, LogError};
use crate::model::event::Recorded;
use crate::storage::Storage;

/// The events of resource `id` (any kind: `i-`, `d-`, `s-`, `vtb-`, `lb-`), in order.
pub fn history<S: Storage>(log: &EventLog<S>, id: &str) -> Result<Vec<Recorded>, LogError> {
    log.read_tags([id])
}
