//! The single writer: clock, scheduler, idempotency, decide, append, group commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use bincode::Options;
use serde_json::{Map, Value};

use super::cache::StateCache;
use super::idempotency::{self, Remembered};
use super::nonce::Nonces;
use super::timers::Timers;
use super::{
    Answer, ClockMode, Config, Durability, LedgerError, Msg, Reply, Request, Shared, Success, lock,
};
use crate::log::{Append, Condition, EventLog, LogError, keys, record};
use crate::model::Command;
use crate::model::ctx::{Ctx, IdSource};
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, InstanceId, RequestId};
use crate::model::scheduler::{self, Due};
use crate::model::state::evolve;
use crate::model::time::Timestamp;
use crate::projection::Checkpoint;
use crate::projection::inventory::{self, IntoAppend, Record};
use crate::query::Query;
use crate::storage::Storage;

/// The ledger-level action that moves a manual clock.
pub const ADVANCE_CLOCK: &str = "AdvanceClock";

/// One unit of work for the writer.
pub(crate) enum Job {
    Execute(Request),
    Reject(EcsError),
    Tick,
}

pub(crate) struct Writer<S: Storage> {
    log: EventLog<S>,
    config: Config,
    cache: StateCache,
    timers: Timers,
    nonces: Nonces,
    clock: Timestamp,
    shared: Arc<Shared>,
    /// (position, number of decisions drawn at that position): seeds ids.
    attempts: (u64, u64),
    /// Idempotency records staged in the current batch.
    staged_tokens: HashMap<Vec<u8>, Remembered>,
}

/// A failure that stops the writer.
struct Fatal(String);

impl From<LogError> for Fatal {
    fn from(e: LogError) -> Self {
        Fatal(e.to_string())
    }
}

impl<S: Storage> Writer<S> {
    pub(crate) fn new(
        log: EventLog<S>,
        config: Config,
        clock: Timestamp,
        shared: Arc<Shared>,
    ) -> Result<Self, LedgerError> {
        let timers = Timers::load(&log)?;
        let nonces = Nonces::load(&log)?;
        Ok(Self {
            cache: StateCache::with_load(config.cache_records, config.load),
            attempts: (log.head().seq, 0),
            log,
            config,
            timers,
            nonces,
            clock,
            shared,
            staged_tokens: HashMap::new(),
        })
    }

    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        let mut shutdown = false;
        while !shutdown {
            let Ok(first) = rx.recv() else { break };
            let mut msgs = vec![first];
            while msgs.len() < self.config.max_batch.max(1) {
                match rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(_) => break,
                }
            }
            let mut jobs = Vec::with_capacity(msgs.len());
            let mut responders = Vec::with_capacity(msgs.len());
            for msg in msgs {
                match msg {
                    Msg::Shutdown => shutdown = true,
                    Msg::Execute(request, tx) => {
                        jobs.push(Job::Execute(request));
                        responders.push(tx);
                    }
                    Msg::Reject(error, tx) => {
                        jobs.push(Job::Reject(error));
                        responders.push(tx);
                    }
                    Msg::Tick(tx) => {
                        jobs.push(Job::Tick);
                        responders.push(tx);
                    }
                }
            }
            match self.run_batch(jobs) {
                Ok(answers) => {
                    for (tx, answer) in responders.into_iter().zip(answers) {
                        let _ = tx.send(Ok(answer));
                    }
                }
                Err(why) => {
                    for tx in responders {
                        let _ = tx.send(Err(LedgerError::Stopped(why.clone())));
                    }
                    // Answer everything still queued, then stop.
                    while let Ok(msg) = rx.try_recv() {
                        if let Msg::Execute(_, tx) | Msg::Reject(_, tx) | Msg::Tick(tx) = msg {
                            let _ = tx.send(Err(LedgerError::Stopped(why.clone())));
                        }
                    }
                    return;
                }
            }
        }
        self.finish();
    }

    /// Flushes at shutdown.
    pub(crate) fn finish(&mut self) {
        let durable = self.config.durability == Durability::Sync;
        let flushed = match self.config.durability {
            Durability::Sync => self.log.storage().sync(),
            Durability::Flush | Durability::None => self.log.storage().flush(),
        }
        .map_err(LogError::from)
        .and_then(|()| self.log.witness(durable));
        if let Err(e) = flushed {
            tracing::error!(error = %e, "final flush failed");
            *lock(&self.shared.failed) = Some(e.to_string());
        }
    }

    /// One group commit: decides every job in order against the state
    /// including the jobs before it, writes all of it in one atomic batch,
    /// makes it durable, and returns one answer per job. An error means
    /// nothing of the batch is acknowledged and the writer has stopped.
    pub(crate) fn run_batch(&mut self, jobs: Vec<Job>) -> Result<Vec<Answer>, String> {
        if let Some(why) = lock(&self.shared.failed).clone() {
            return Err(why);
        }
        let mut append = self.log.begin();
        let mut answers = Vec::with_capacity(jobs.len());
        let mut fatal = None;
        for job in jobs {
            let answer = match job {
                Job::Reject(error) => {
                    let ids = self.ids(&append);
                    Ok(Answer::Done(Reply {
                        request_id: ids.next_request_id(),
                        outcome: Err(error),
                    }))
                }
                Job::Tick => self.tick(&mut append).map(Answer::Done),
                Job::Execute(request) => self.execute(&mut append, request),
            };
            match answer {
                Ok(a) => answers.push(a),
                Err(Fatal(why)) => {
                    fatal = Some(why);
                    break;
                }
            }
        }
        let result = match fatal {
            Some(why) => Err(why),
            None => self.commit(append),
        };
        match result {
            Ok(()) => {
                self.cache.trim();
                lock(&self.shared.stats).requests += answers.len() as u64;
                Ok(answers)
            }
            Err(why) => {
                tracing::error!(error = %why, "the ledger stops: nothing more is accepted");
                *lock(&self.shared.failed) = Some(why.clone());
                self.cache.clear();
                Err(why)
            }
        }
    }

    fn commit(&mut self, mut append: Append) -> Result<(), String> {
        self.staged_tokens.clear();
        if append.records() > 0 {
            let checkpoint = Checkpoint {
                seq: append.head().seq,
                version: inventory::VERSION,
            };
            append.put(keys::checkpoint(inventory::NAME), checkpoint.encode());
        }
        let wrote = !append.is_empty();
        let records = append.records();
        let started = std::time::Instant::now();
        let head = self.log.commit(append).map_err(|e| e.to_string())?;
        if wrote {
            let storage = self.log.storage();
            match self.config.durability {
                Durability::Flush => storage.flush(),
                Durability::Sync => storage.sync(),
                Durability::None => Ok(()),
            }
            .map_err(|e| e.to_string())?;
            // The witness follows what is durable (in `none` mode only a
            // flush makes anything durable: the witness waits for one).
            if self.config.durability != Durability::None {
                let durable = self.config.durability == Durability::Sync;
                self.log.witness(durable).map_err(|e| e.to_string())?;
            }
        }
        if wrote {
            tracing::debug!(
                records,
                head = head.seq,
                micros = started.elapsed().as_micros() as u64,
                "batch committed"
            );
        }
        if wrote {
            let (keys_written, bytes_written) = self.log.last_commit_size();
            let mut stats = lock(&self.shared.stats);
            stats.batches += 1;
            stats.events += records as u64;
            stats.keys += keys_written as u64;
            stats.bytes += bytes_written as u64;
        }
        *lock(&self.shared.head) = head;
        *lock(&self.shared.clock) = self.clock;
        self.shared.committed.notify_all();
        Ok(())
    }

    /// The id source of the next decision: a function of the seed and the log
    /// position when seeded, fresh randomness otherwise.
    fn ids(&mut self, append: &Append) -> IdSource {
        let position = append.head().seq;
        if self.attempts.0 != position {
            self.attempts = (position, 0);
        }
        let attempt = self.attempts.1;
        self.attempts.1 += 1;
        match self.config.seed {
            Some(seed) => IdSource::seeded(seed, position, attempt),
            None => {
                let mut material = [0u8; 32];
                material[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
                material[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
                IdSource::from_material(material)
            }
        }
    }

    fn refuse(&mut self, append: &Append, error: EcsError) -> Reply {
        let ids = self.ids(append);
        Reply {
            request_id: ids.next_request_id(),
            outcome: Err(error),
        }
    }

    /// Moves the clock to `to` (never backwards) and stages it.
    fn set_clock(&mut self, append: &mut Append, to: Timestamp) {
        if to > self.clock {
            self.clock = to;
            append.set_clock(to);
        }
    }

    fn execute(&mut self, append: &mut Append, request: Request) -> Result<Answer, Fatal> {
        self.execute_command(append, request)
    }

    fn execute_command(&mut self, append: &mut Append, request: Request) -> Result<Answer, Fatal> {
        // 0. A signed request's nonce: once only, remembered with the request.
        if let Some(nonce) = &request.nonce
            && !self.nonces.admit(nonce, append)
        {
            let e = EcsError::new(Code::SignatureNonceUsed);
            return Ok(Answer::Done(self.refuse(append, e)));
        }
        // 1. The clock: `At`, or the system clock, never backwards.
        let now = match request.at {
            Some(at) if at < self.clock => {
                let e = EcsError::invalid_because(
                    "At",
                    format!("It is earlier than the ledger time {}.", self.clock),
                );
                return Ok(Answer::Done(self.refuse(append, e)));
            }
            Some(at) if at > latest() => {
                return Ok(Answer::Done(self.refuse(append, too_late("At"))));
            }
            Some(at) => at,
            None => match self.config.clock {
                ClockMode::System => system_now().min(latest()).max(self.clock),
                ClockMode::Manual => self.clock,
            },
        };
        self.set_clock(append, now);
        // 2. Transitions due by now, before the action. They are the
        // platform's own requests (own RequestIds): in the log, not in this
        // request's Events, except for AdvanceClock, whose effect they are.
        let transitions = self.apply_due(append, now)?;
        if request.action == ADVANCE_CLOCK {
            return self
                .advance_clock(append, &request, transitions)
                .map(Answer::Done);
        }
        // Queries read the committed inventory once this batch is written.
        if let Some(parsed) = Query::parse(&request.action, &request.params) {
            let parsed = parsed.and_then(|q| Ok((q, Command::dry_run(&request.params)?)));
            return Ok(match parsed {
                Err(e) => Answer::Done(self.refuse(append, e)),
                Ok((_, true)) => {
                    let e = EcsError::new(Code::DryRunOperation);
                    Answer::Done(self.refuse(append, e))
                }
                Ok((query, false)) => {
                    let request_id = self.ids(append).next_request_id();
                    Answer::Query(request_id, query, request.account)
                }
            });
        }
        // 3. The command.
        let parsed = Command::parse(&request.action, &request.params)
            .and_then(|c| Ok((c, Command::dry_run(&request.params)?)));
        let (command, dry_run) = match parsed {
            Ok(c) => c,
            Err(e) => return Ok(Answer::Done(self.refuse(append, e))),
        };
        let token = match request.params.client_token() {
            Ok(t) => t,
            Err(e) => return Ok(Answer::Done(self.refuse(append, e))),
        };
        let fingerprint = idempotency::fingerprint(&request.params);
        // 4. Idempotency.
        if let Some(token) = &token
            && let Some(seen) = self.remembered(&request.account, token)?
            && seen.is_fresh(now)
        {
            if !seen.matches(&request.action, &fingerprint) {
                return Ok(Answer::Done(
                    self.refuse(append, EcsError::new(Code::IdempotentParameterMismatch)),
                ));
            }
            let body: Map<String, Value> = serde_json::from_str(&seen.body).unwrap_or_default();
            return Ok(Answer::Done(Reply {
                request_id: seen.request_id,
                outcome: Ok(Success {
                    body,
                    events: Vec::new(),
                }),
            }));
        }
        // 5. Load the records the command names, then decide.
        let tags = command.tags();
        self.cache.ensure(&self.log, tags.iter().cloned())?;
        let position = append.head().seq;
        let ids = self.ids(append);
        let request_id = ids.next_request_id();
        let ctx = Ctx {
            now,
            account: request.account.clone(),
            durations: self.config.durations,
            ids,
        };
        let events = match command.decide_request(dry_run, &self.cache.state, &ctx) {
            Ok(events) => events,
            Err(e) => {
                return Ok(Answer::Done(Reply {
                    request_id,
                    outcome: Err(e),
                }));
            }
        };
        // 6. Append, conditionally on nothing having changed under the decision.
        if let Err(conflict) = self.log.check(append, &Condition::new(tags, position)) {
            return Err(Fatal(format!("single-writer invariant broken: {conflict}")));
        }
        let body = command.reply(&events);
        let recorded = self.stage(append, now, request_id, &request.account, events, &ctx.ids)?;
        if let Some(token) = token {
            let remembered = Remembered {
                action: request.action.clone(),
                fingerprint,
                request_id,
                time: now,
                body: Value::Object(body.clone()).to_string(),
            };
            let key = keys::idempotency(request.account.as_str(), &token);
            let bytes = record::codec()
                .serialize(&remembered)
                .map_err(|e| Fatal(e.to_string()))?;
            append.put(key.clone(), bytes);
            self.staged_tokens.insert(key, remembered);
        }
        Ok(Answer::Done(Reply {
            request_id,
            outcome: Ok(Success {
                body,
                events: recorded,
            }),
        }))
    }

    /// Moves a system clock to now and applies what fell due (a manual clock
    /// stays where it is).
    fn tick(&mut self, append: &mut Append) -> Result<Reply, Fatal> {
        if self.config.clock == ClockMode::System {
            let now = system_now().min(latest()).max(self.clock);
            self.set_clock(append, now);
        }
        let events = self.apply_due(append, self.clock)?;
        let ids = self.ids(append);
        Ok(Reply {
            request_id: ids.next_request_id(),
            outcome: Ok(Success {
                body: Map::new(),
                events,
            }),
        })
    }

    fn remembered(&self, account: &Account, token: &str) -> Result<Option<Remembered>, Fatal> {
        let key = keys::idempotency(account.as_str(), token);
        if let Some(r) = self.staged_tokens.get(&key) {
            return Ok(Some(r.clone()));
        }
        match self.log.storage().get(&key).map_err(LogError::from)? {
            None => Ok(None),
            Some(bytes) => record::codec()
                .deserialize(bytes.as_ref())
                .map(Some)
                .map_err(|e| Fatal(format!("idempotency record for {token:?} is corrupt: {e}"))),
        }
    }

    /// Stages events: records them, folds them into the cache, updates timers.
    fn stage(
        &mut self,
        append: &mut Append,
        time: Timestamp,
        request_id: RequestId,
        account: &Account,
        events: Vec<Event>,
        ids: &IdSource,
    ) -> Result<Vec<Recorded>, Fatal> {
        // Every record the events touch must be loaded before they are folded in.
        let touched: Vec<String> = events
            .iter()
            .flat_map(|e| e.tags().into_iter().flatten().map(str::to_owned))
            .collect();
        for event in &events {
            if let Some(created) = created_tag(event) {
                self.cache.mark_loaded(created);
            }
        }
        self.cache.ensure(&self.log, touched.iter().cloned())?;
        // The inventory is written with the events: each touched record's
        // state before and after them.
        let mut seen = std::collections::BTreeSet::new();
        let before: Vec<(String, Option<Record>)> = touched
            .iter()
            .filter(|t| seen.insert(t.as_str()))
            .map(|t| (t.clone(), Record::from_state(&self.cache.state, t)))
            .collect();
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let recorded = append.event(
                time,
                request_id,
                ids.next_event_id(),
                account.clone(),
                event,
            )?;
            evolve(&mut self.cache.state, &recorded);
            out.push(recorded);
        }
        for (tag, before) in &before {
            let after = Record::from_state(&self.cache.state, tag);
            inventory::write_change(
                tag,
                before.as_ref(),
                after.as_ref(),
                &mut IntoAppend(append),
            )
            .map_err(|e| Fatal(e.to_string()))?;
        }
        for tag in touched {
            if let Ok(id) = InstanceId::parse(&tag) {
                let due = self
                    .cache
                    .state
                    .instances
                    .get(&id)
                    .and_then(|i| i.next_due());
                self.timers.set(&id, due, append);
            }
        }
        Ok(out)
    }

    /// Applies every transition due by `now`, each stamped with its due time.
    fn apply_due(&mut self, append: &mut Append, now: Timestamp) -> Result<Vec<Recorded>, Fatal> {
        let candidates = self.timers.due_by(now);
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        self.cache
            .ensure(&self.log, candidates.iter().map(|i| i.to_string()))?;
        let mut dues: Vec<(Due, InstanceId)> = Vec::new();
        for id in &candidates {
            if let Some(instance) = self.cache.state.instances.get(id) {
                let mut out = Vec::new();
                scheduler::due_for(instance, now, &mut out);
                dues.extend(out.into_iter().map(|d| (d, id.clone())));
            }
        }
        dues.sort_by(|a, b| (a.0.at, &a.1).cmp(&(b.0.at, &b.1)));
        let mut recorded = Vec::new();
        for (due, _) in dues {
            let ids = self.ids(append);
            let request_id = ids.next_request_id();
            recorded.extend(self.stage(
                append,
                due.at,
                request_id,
                &due.account,
                due.events,
                &ids,
            )?);
        }
        // `stage` refreshed the timers of instances it touched; this also
        // refreshes those that had nothing due after all, and drops the
        // timers of released or unknown ones.
        for id in candidates {
            let next = self
                .cache
                .state
                .instances
                .get(&id)
                .and_then(|i| i.next_due());
            self.timers.set(&id, next, append);
        }
        Ok(recorded)
    }

    /// `AdvanceClock` (`Seconds` or `To`): only with a manual clock.
    fn advance_clock(
        &mut self,
        append: &mut Append,
        request: &Request,
        mut transitions: Vec<Recorded>,
    ) -> Result<Reply, Fatal> {
        if self.config.clock != ClockMode::Manual {
            return Ok(self.refuse(append, EcsError::new(Code::ClockNotManual)));
        }
        let p = &request.params;
        let target = match (p.optional("Seconds"), p.optional("To")) {
            (Some(_), Some(_)) => Err(crate::model::params::conflict(
                "To",
                "Give either Seconds or To, not both.",
            )),
            (None, None) => Err(EcsError::missing("Seconds")),
            (Some(_), None) => p.u32_in("Seconds", 0..=u32::MAX).and_then(|s| {
                self.clock
                    .add_secs(i64::from(s.unwrap_or(0)))
                    .filter(|t| *t <= latest())
                    .ok_or_else(|| too_late("Seconds"))
            }),
            (None, Some(to)) => Timestamp::parse_rfc3339(to)
                .map_err(|e| EcsError::invalid_because("To", e))
                .and_then(|t| {
                    if t < self.clock {
                        Err(EcsError::invalid_because(
                            "To",
                            format!("It is earlier than the ledger time {}.", self.clock),
                        ))
                    } else if t > latest() {
                        Err(too_late("To"))
                    } else {
                        Ok(t)
                    }
                }),
        };
        let target = match target.and_then(|t| Ok((t, Command::dry_run(p)?))) {
            Ok((t, false)) => t,
            Ok((_, true)) => {
                return Ok(self.refuse(append, EcsError::new(Code::DryRunOperation)));
            }
            Err(e) => return Ok(self.refuse(append, e)),
        };
        self.set_clock(append, target);
        transitions.extend(self.apply_due(append, target)?);
        let ids = self.ids(append);
        let mut body = Map::new();
        body.insert("Time".into(), Value::from(self.clock.to_string()));
        Ok(Reply {
            request_id: ids.next_request_id(),
            outcome: Ok(Success {
                body,
                events: transitions,
            }),
        })
    }
}

/// The latest ledger time a request may run at.
fn latest() -> Timestamp {
    Timestamp::from_unix(crate::model::limits::LEDGER_TIME_MAX).unwrap_or(Timestamp::EPOCH)
}

/// `InvalidParameter` for a time past [`latest`].
fn too_late(param: &str) -> EcsError {
    EcsError::invalid_because(
        param,
        format!(
            "It is later than the latest ledger time {}: times derived from it would not be representable.",
            latest()
        ),
    )
}

/// The system clock, in whole seconds (the only clock read in the crate).
pub(super) fn system_now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Timestamp::from_unix(secs).unwrap_or(Timestamp::EPOCH)
}

/// The tag of the resource an event creates, if it creates one (new ids have
/// no history to load).
fn created_tag(event: &Event) -> Option<&str> {
    match event {
        Event::InstanceCreated(e) => Some(e.instance_id.as_str()),
        Event::DiskCreated(e) => Some(e.disk_id.as_str()),
        Event::SnapshotCreated(e) => Some(e.snapshot_id.as_str()),
        _ => None,
    }
}
