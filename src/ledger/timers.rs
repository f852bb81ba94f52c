//! The timer index: which instance has a platform transition due when.
//!
//! Kept in memory for the writer and persisted under the `w` prefix in the
//! same batch as the events that change it, so the scheduler finds due
//! instances without scanning the state, and a restart finds them again.

use std::collections::{BTreeSet, HashMap};

use crate::log::{Append, EventLog, LogError, keys};
use crate::model::id::InstanceId;
use crate::model::time::Timestamp;
use crate::storage::Storage;

/// Due times by instance.
#[derive(Debug, Default)]
pub struct Timers {
    by_due: BTreeSet<(Timestamp, InstanceId)>,
    due_of: HashMap<InstanceId, Timestamp>,
}

impl Timers {
    /// Loads the persisted timer index.
    pub fn load<S: Storage>(log: &EventLog<S>) -> Result<Self, LogError> {
        let mut timers = Self::default();
        for item in log.storage().scan_prefix(&[keys::TIMER]) {
            let (k, _) = item?;
            let Some((due, id)) = keys::timer_entry(k.as_ref()) else {
                return Err(LogError::Inconsistent("a malformed timer key".into()));
            };
            let (Some(due), Ok(id)) = (Timestamp::from_unix(due), InstanceId::parse(id)) else {
                return Err(LogError::Inconsistent("a malformed timer key".into()));
            };
            timers.by_due.insert((due, id.clone()));
            timers.due_of.insert(id, due);
        }
        Ok(timers)
    }

    /// Instances with something due at or before `t`.
    pub fn due_by(&self, t: Timestamp) -> Vec<InstanceId> {
        self.by_due
            .iter()
            .take_while(|(due, _)| *due <= t)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// Sets an instance's next due time (None: nothing due), staging the change.
    pub fn set(&mut self, id: &InstanceId, due: Option<Timestamp>, append: &mut Append) {
        let old = self.due_of.get(id).copied();
        if old == due {
            return;
        }
        if let Some(old) = old {
            self.by_due.remove(&(old, id.clone()));
            self.due_of.remove(id);
            append.remove(keys::timer(old.unix(), id.as_str()));
        }
        if let Some(due) = due {
            self.by_due.insert((due, id.clone()));
            self.due_of.insert(id.clone(), due);
            append.put(keys::timer(due.unix(), id.as_str()), Vec::new());
        }
    }

    /// Number of instances with a timer.
    pub fn len(&self) -> usize {
        self.due_of.len()
    }

    /// True when no timer is set.
    pub fn is_empty(&self) -> bool {
        self.due_of.is_empty()
    }
}
