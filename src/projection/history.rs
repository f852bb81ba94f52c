//! History: every event of one resource, with its time, RequestId and account.
//!
//! Read by scanning the log for the events that carry the resource's tag:
//! format 2 keeps no tag index (it would cost storage keys on every commit,
//! and one resource's history is an audit question, asked rarely). The scan
//! reads chunks in order; at about 1.5 million records a second, a
//! million-record log answers in well under a second.

use crate::log::{EventLog, LogError};
use crate::model::event::Recorded;
use crate::storage::Storage;

/// The events of resource `id` (any kind: `i-`, `d-`, `s-`, `vtb-`, `lb-`), in order.
pub fn history<S: Storage>(log: &EventLog<S>, id: &str) -> Result<Vec<Recorded>, LogError> {
    let mut found = Vec::new();
    log.for_each(1, |recorded| -> Result<(), LogError> {
        if recorded.event.tags().contains(&Some(id)) {
            found.push(recorded);
        }
        Ok(())
    })?;
    Ok(found)
}
