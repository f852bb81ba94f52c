//! Answers and appended events against what was expected.

use std::collections::HashMap;

use serde_json::Value;

use super::Driver;
use super::expect::Expected;
use super::request::Sent;
use super::tokens::key;
use crate::ledger::Reply;
use crate::model::event::{Event, Recorded};
use crate::model::id::Account;
use crate::model::time::Timestamp;
use crate::sim::failure::Failure;
use crate::sim::faults::FaultKind;
use crate::sim::oracle::{Due, Expect, is_placeholder};

/// A request as a failure names it.
fn describe(sent: &Sent, now: Timestamp) -> String {
    let r = &sent.request;
    format!(
        "{} {:?} as {} at {now} ({:?})",
        r.action, r.params, r.account, sent.op
    )
}

fn names(events: impl Iterator<Item = &'static str>) -> String {
    format!("{:?}", events.collect::<Vec<_>>())
}

impl Driver {
    /// Checks a reply and its events against the expectation, then folds them.
    pub(super) fn check_reply(
        &mut self,
        sent: &Sent,
        reply: &Reply,
        expected: Expected,
        events: Vec<Recorded>,
    ) -> Result<(), Failure> {
        self.count_code(&sent.request.action, reply);
        let context = || describe(sent, self.now);
        if events.iter().any(|r| r.request_id != reply.request_id) {
            let got = "events of another request";
            return Err(Failure::mismatch("its own events", got, context()));
        }
        match expected {
            Expected::Oracle(Expect::Error(code)) => {
                if reply.error().map(|e| e.code()) != Some(code) {
                    let got = format!("{} {}", reply.status(), reply.body());
                    return Err(Failure::mismatch(code.as_str(), got, context()));
                }
                if !events.is_empty() {
                    let what = format!("a refused request appended events: {}", context());
                    return Err(Failure::invariant(what));
                }
            }
            Expected::Oracle(Expect::Events(want)) => {
                self.check_success(&want, reply, &events, sent)?
            }
            Expected::Replay { request_id, body } => {
                let same_body = body.is_none_or(|b| b == reply.body());
                if reply.request_id != request_id || !events.is_empty() || !same_body {
                    let expected = format!("the remembered answer {request_id} again");
                    let got = format!(
                        "{} {} with {} events",
                        reply.request_id,
                        reply.body(),
                        events.len()
                    );
                    return Err(Failure::mismatch(expected, got, context()));
                }
            }
            Expected::Describe(ids) => Self::check_listing(&ids, reply, context)?,
            Expected::History(total) => {
                let body = reply.body();
                if reply.error().is_some() || body["TotalCount"] != total {
                    let expected = format!("{total} system events");
                    return Err(Failure::mismatch(expected, body.to_string(), context()));
                }
            }
        }
        if let (None, Some(key)) = (reply.error(), key(&sent.request))
            && self.tokens.answer(&key, self.now).is_none()
        {
            let body = Some(reply.body());
            self.tokens
                .remember(sent, key, reply.request_id, body, self.now);
        }
        self.absorb(&events)
    }

    fn check_success(
        &self,
        want: &[Event],
        reply: &Reply,
        events: &[Recorded],
        sent: &Sent,
    ) -> Result<(), Failure> {
        let context = || describe(sent, self.now);
        if let Some(e) = reply.error() {
            return Err(Failure::mismatch("success", e.to_string(), context()));
        }
        self.same(want, events, &sent.request.account)
            .map_err(|(expected, got)| Failure::mismatch(expected, got, context()))?;
        if reply.events() != events {
            let got = "a reply whose events are not the log's";
            return Err(Failure::mismatch("the log's events", got, context()));
        }
        Ok(())
    }

    /// A DescribeInstances answer: the total, and the first page in order.
    fn check_listing(
        ids: &[String],
        reply: &Reply,
        context: impl Fn() -> String,
    ) -> Result<(), Failure> {
        let body = reply.body();
        let listed: Vec<String> = body["Instances"]["Instance"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["InstanceId"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if body["TotalCount"] != ids.len() || listed.as_slice() != &ids[..ids.len().min(100)] {
            let expected = format!("a listing of {ids:?}");
            let got = format!("{listed:?} of {}", body["TotalCount"]);
            return Err(Failure::mismatch(expected, got, context()));
        }
        Ok(())
    }

    /// A request whose answer never came (the process died after its batch
    /// reached the disk): its events must be whole and as predicted.
    pub(super) fn check_unacked(
        &mut self,
        sent: &Sent,
        expected: Expected,
        events: Vec<Recorded>,
    ) -> Result<(), Failure> {
        match expected {
            Expected::Oracle(Expect::Events(want)) => {
                self.same(&want, &events, &sent.request.account)
                    .map_err(|(expected, got)| {
                        let request = format!("an unacknowledged {}", describe(sent, self.now));
                        Failure::mismatch(expected, got, request)
                    })?;
                if let (Some(key), Some(first)) = (key(&sent.request), events.first()) {
                    self.tokens
                        .remember(sent, key, first.request_id, None, self.now);
                }
            }
            _ if events.is_empty() => {}
            _ => {
                let what = format!(
                    "a refused, unacknowledged request left {} events",
                    events.len()
                );
                return Err(Failure::invariant(what));
            }
        }
        self.absorb(&events)
    }

    /// Compares predicted events with the recorded ones, binding placeholder
    /// ids; a difference comes back as (expected, got).
    fn same(
        &self,
        want: &[Event],
        got: &[Recorded],
        account: &Account,
    ) -> Result<(), (String, String)> {
        if want.len() != got.len() {
            return Err((
                format!(
                    "{} events {}",
                    want.len(),
                    names(want.iter().map(Event::type_name))
                ),
                format!(
                    "{} {}",
                    got.len(),
                    names(got.iter().map(|e| e.event.type_name()))
                ),
            ));
        }
        let mut bound: HashMap<String, String> = HashMap::new();
        for (w, g) in want.iter().zip(got) {
            // Most predictions name no new id: equal as they are.
            if w == &g.event && g.account == *account && g.time == self.now {
                continue;
            }
            if w.type_name() != g.event.type_name() {
                return Err((w.type_name().into(), g.event.type_name().into()));
            }
            if &g.account != account || g.time != self.now {
                let expected = format!("{} for {account} at {}", w.type_name(), self.now);
                return Err((expected, format!("one for {} at {}", g.account, g.time)));
            }
            let fresh = |id: &str| self.lifecycle.is_fresh(id);
            match_json(&w.fields_json(), &g.event.fields_json(), &mut bound, &fresh)
                .map_err(|e| (format!("{w:?}"), format!("{:?} ({e})", g.event)))?;
        }
        Ok(())
    }

    /// Checks the leading transition events against the oracle's and folds
    /// them; returns the rest.
    pub(super) fn check_transitions(
        &mut self,
        expected: &[Due],
        records: &[Recorded],
    ) -> Result<Vec<Recorded>, Failure> {
        let mut i = 0;
        for (at, account, events) in expected {
            let request = format!("the transitions due at {at} for {account}");
            let Some(group) = records.get(i..i + events.len()) else {
                let got = format!("{:?}", &records[i..]);
                return Err(Failure::mismatch(format!("{events:?}"), got, request));
            };
            for (want, got) in events.iter().zip(group) {
                let same_request = got.request_id == group[0].request_id;
                if &got.event != want
                    || got.time != *at
                    || got.account.as_str() != account
                    || !same_request
                {
                    return Err(Failure::mismatch(
                        format!("{want:?}"),
                        format!("{got:?}"),
                        request,
                    ));
                }
            }
            i += events.len();
            self.absorb(group)?;
        }
        Ok(records[i..].to_vec())
    }

    /// After a lost answer the client sends the same request again: it must
    /// get the original answer and append nothing.
    pub(super) fn retry_lost_answer(&mut self, sent: &Sent, reply: &Reply) -> Result<(), Failure> {
        if key(&sent.request).is_none() {
            return Ok(());
        }
        self.counters.requests += 1;
        let again = self
            .ledger()?
            .execute(sent.request.clone())
            .map_err(|e| Failure::Ledger(e.to_string()))?;
        let records = self.new_records()?;
        let rest = self.check_transitions(&[], &records)?;
        let expected = self.expect(sent);
        if reply.error().is_none() {
            *self
                .counters
                .coverage
                .faults
                .entry(FaultKind::LostAnswer)
                .or_default() += 1;
            if again.request_id != reply.request_id || again.body() != reply.body() {
                let expected = format!("the original answer {} {}", reply.request_id, reply.body());
                let got = format!("{} {}", again.request_id, again.body());
                return Err(Failure::mismatch(expected, got, describe(sent, self.now)));
            }
        }
        self.check_reply(sent, &again, expected, rest)
    }
}

/// Matches a predicted JSON value against a recorded one; placeholder ids bind
/// to fresh ids of the same kind, consistently.
fn match_json(
    want: &Value,
    got: &Value,
    bound: &mut HashMap<String, String>,
    fresh: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    match (want, got) {
        (Value::String(w), Value::String(g)) if is_placeholder(w) => {
            if g.get(..2) != w.get(..2) {
                return Err(format!("{g} is not the kind of {w}"));
            }
            match bound.get(w) {
                Some(b) if b != g => Err(format!("{w} is {b} elsewhere, {g} here")),
                Some(_) => Ok(()),
                None if !fresh(g) => Err(format!("{g} is not a fresh id")),
                None => {
                    bound.insert(w.clone(), g.clone());
                    Ok(())
                }
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            if w.len() != g.len() {
                return Err("different fields".into());
            }
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("missing field {k}"))?;
                match_json(wv, gv, bound, fresh).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{w} != {g}")),
    }
}
