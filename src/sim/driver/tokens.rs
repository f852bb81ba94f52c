//! ClientToken memory: the answer of each successful request with a token,
//! for as long as the ledger must replay it (24 hours of ledger time), and
//! the latest requests with a token, for [`Op::Retry`](crate::sim::workload::Op::Retry).
//!
//! Both are bounded: answers are forgotten as they expire (oldest first, so
//! forgetting costs what expired), and only the latest
//! [`RETRY_WINDOW`] requests can be retried.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

use super::request::Sent;
use crate::ledger::Request;
use crate::model::id::RequestId;
use crate::model::limits::CLIENT_TOKEN_TTL_SECS;
use crate::model::time::Timestamp;
use crate::sim::workload::RETRY_WINDOW;

/// Who sent a token, and the token.
pub(super) type Key = (String, String);

/// What is remembered of a successful request with a ClientToken.
#[derive(Debug, Clone)]
pub(super) struct Remembered {
    pub(super) action: String,
    pub(super) params: BTreeMap<String, String>,
    pub(super) time: Timestamp,
    pub(super) request_id: RequestId,
    /// The answer's body (unknown when the answer was never received).
    pub(super) body: Option<Value>,
}

/// The remembered answers and the requests that can be retried.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    answers: HashMap<Key, Remembered>,
    /// When each answer was remembered, oldest first.
    by_time: VecDeque<(Timestamp, Key)>,
    /// The latest requests with a token, oldest first.
    window: VecDeque<Sent>,
}

/// The token a request carries, if it is a valid one.
pub(super) fn key(request: &Request) -> Option<Key> {
    request
        .params
        .get("ClientToken")
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .map(|t| (request.account.to_string(), t.to_owned()))
}

/// A request's parameters but its token: what a replay must match.
pub(super) fn without_token(request: &Request) -> BTreeMap<String, String> {
    request
        .params
        .iter()
        .filter(|(k, _)| *k != "ClientToken")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn alive(time: Timestamp, now: Timestamp) -> bool {
    now.unix() - time.unix() < CLIENT_TOKEN_TTL_SECS
}

impl Tokens {
    /// Forgets the answers the ledger no longer replays.
    pub(super) fn forget_expired(&mut self, now: Timestamp) {
        while let Some((time, _)) = self.by_time.front() {
            if alive(*time, now) {
                break;
            }
            let Some((time, key)) = self.by_time.pop_front() else {
                break;
            };
            // A key remembered again later has a later time: keep that one.
            if self.answers.get(&key).is_some_and(|r| r.time == time) {
                self.answers.remove(&key);
            }
        }
    }

    /// The answer remembered for `key`, if the ledger must still replay it.
    pub(super) fn answer(&self, key: &Key, now: Timestamp) -> Option<&Remembered> {
        self.answers.get(key).filter(|r| alive(r.time, now))
    }

    /// Remembers a request's answer (and the request, for retries).
    pub(super) fn remember(
        &mut self,
        sent: &Sent,
        key: Key,
        request_id: RequestId,
        body: Option<Value>,
        now: Timestamp,
    ) {
        let remembered = Remembered {
            action: sent.request.action.clone(),
            params: without_token(&sent.request),
            time: now,
            request_id,
            body,
        };
        self.by_time.push_back((now, key.clone()));
        self.answers.insert(key, remembered);
        if self.window.len() == RETRY_WINDOW as usize {
            self.window.pop_front();
        }
        self.window.push_back(sent.clone());
    }

    /// The `nth` request of the window (modulo its length) sent again now,
    /// with a parameter changed if `changed`.
    pub(super) fn retry(&self, nth: u32, changed: bool, now: Timestamp) -> Option<Sent> {
        if self.window.is_empty() {
            return None;
        }
        let mut sent = self.window[nth as usize % self.window.len()].clone();
        if changed {
            sent.request.params.insert("Tag.1.Key", "changed");
        }
        sent.request.at = Some(now);
        Some(sent)
    }
}
