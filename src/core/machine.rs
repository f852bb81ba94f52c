//! The ledger's state machine: what one request does, minus the I/O.
//!
//! [`Machine::step`] runs the request's steps in the order of docs/BEHAVIOUR.md §2, each a pure
//! function of the machine's state and the request: the time it runs at, the
//! transitions due by then (each the platform's own request, stamped with its
//! due time), then the action: a command decided against the live records, a
//! query over them, `AdvanceClock`. It records what it appends (assigning
//! `Seq`, event ids and the position the next ids are drawn at) and folds it
//! into the [`World`], so the next request sees it. The shell around it
//! (writer, inline ledger, test scenario, simulator) only loads, commits and
//! acknowledges.

use crate::core::answer::{Answer, Reply};
use crate::core::idempotency::Remembered;
use crate::core::ids::Ids;
use crate::core::query::Query;
use crate::core::request::{Advance, Kind, Parsed, Target, Token};
use crate::core::world::World;
use crate::model::Command;
use crate::model::ctx::{Ctx, Durations, IdSource};
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, EventId, RequestId};
use crate::model::limits;
use crate::model::scheduler;
use crate::model::state::Inconsistent;
use crate::model::time::Timestamp;

/// Where ledger time comes from when a request does not carry `At`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// max(system clock, ledger time).
    #[default]
    System,
    /// Only `At` (exec) and the `AdvanceClock` action move it.
    Manual,
}

impl std::str::FromStr for ClockMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "system" => Ok(Self::System),
            "manual" => Ok(Self::Manual),
            _ => Err(format!("unknown clock {s:?}: use system or manual")),
        }
    }
}

/// How the machine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// Transition durations.
    pub durations: Durations,
    /// Clock source.
    pub clock: ClockMode,
    /// With a seed, ids are a function of the seed and the log position.
    pub seed: Option<u64>,
}

/// What one request did.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Every record appended, in `Seq` order: due transitions, then the
    /// request's own events.
    pub records: Vec<Recorded>,
    /// The answer.
    pub reply: Reply,
    /// The `ClientToken` record to keep with the records: (account, token, record).
    pub remember: Option<(Account, String, Remembered)>,
}

impl Step {
    /// A step that appended nothing.
    fn only(reply: Reply) -> Step {
        Step {
            records: Vec::new(),
            reply,
            remember: None,
        }
    }
}

/// The state machine: the live records, the clock, the log position.
#[derive(Debug, Clone)]
pub struct Machine {
    world: World,
    clock: Timestamp,
    position: u64,
    ids: Ids,
    settings: Settings,
}

impl Machine {
    /// A machine over `world`, the fold of a log whose head is at `position`.
    pub fn new(world: World, clock: Timestamp, position: u64, settings: Settings) -> Self {
        Self {
            world,
            clock,
            position,
            ids: Ids::new(settings.seed, position),
            settings,
        }
    }

    /// The live records.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The ledger clock.
    pub fn clock(&self) -> Timestamp {
        self.clock
    }

    /// The `Seq` of the last record.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// How the machine runs.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Forgets how many decisions were drawn at the current position, as a
    /// machine rebuilt from the log does (refusals append nothing, so a
    /// restarted ledger cannot know them): what a reopened ledger does.
    pub fn restart_ids(&mut self) {
        self.ids = Ids::new(self.settings.seed, self.position);
    }

    /// Changes the transition durations (from the next request on).
    pub fn set_durations(&mut self, durations: Durations) {
        self.settings.durations = durations;
    }

    /// Folds records appended by someone else (another process's writes,
    /// a log being replayed) into the machine.
    ///
    /// # Errors
    /// [`Inconsistent`] when the record does not fit the records before it
    /// (an event about a record that does not exist, or one that creates a
    /// record that already exists): the log was not written by this model.
    /// The machine is unchanged then.
    pub fn absorb(&mut self, recorded: &Recorded) -> Result<(), Inconsistent> {
        assert_eq!(
            recorded.seq,
            self.position + 1,
            "records arrive in Seq order"
        );
        self.world.apply(recorded)?;
        self.position = recorded.seq;
        self.clock = self.clock.max(recorded.time);
        Ok(())
    }

    /// Moves the clock (never backwards): a clock stored apart from the records.
    pub fn advance_clock_to(&mut self, t: Timestamp) {
        self.clock = self.clock.max(t);
    }

    /// Runs one request. `remembered` is the record of its `ClientToken`, if
    /// the shell found one; `system_now` the system clock's reading.
    pub fn step(
        &mut self,
        request: &Parsed,
        remembered: Option<&Remembered>,
        system_now: Timestamp,
    ) -> Step {
        if let Kind::Reject(e) = &request.kind {
            return Step::only(self.refuse(e.clone()));
        }
        let now = match self.time_of(request, system_now) {
            Ok(now) => now,
            Err(e) => return Step::only(self.refuse(e)),
        };
        self.clock = self.clock.max(now);
        let mut records = self.apply_due(now);
        let (reply, remember) = match &request.kind {
            Kind::Command {
                command,
                dry_run,
                token,
            } => {
                let decided = self.command(request, command, *dry_run, token, remembered, now);
                records.extend(decided.0.events().iter().cloned());
                decided
            }
            Kind::Query { query, dry_run } => (self.query(request, query, *dry_run, now), None),
            Kind::AdvanceClock(advance) => {
                let reply = self.advance(advance, &mut records);
                (reply, None)
            }
            Kind::Tick => {
                let ids = self.next_ids();
                let reply = Reply::ok(ids.next_request_id(), Answer::Empty, records.clone());
                (reply, None)
            }
            Kind::Refuse(e) | Kind::Reject(e) => (self.refuse(e.clone()), None),
        };
        Step {
            records,
            reply,
            remember,
        }
    }

    /// The request's time: `At`, or the clock (system or manual); never
    /// earlier than the ledger time, never past the latest one.
    fn time_of(&self, request: &Parsed, system_now: Timestamp) -> Result<Timestamp, EcsError> {
        let latest = latest();
        match request.at {
            Some(at) if at < self.clock => Err(EcsError::invalid_because(
                "At",
                format!("It is earlier than the ledger time {}.", self.clock),
            )),
            Some(at) if at > latest => Err(too_late("At")),
            Some(at) => Ok(at),
            None => Ok(match self.settings.clock {
                ClockMode::System => system_now.min(latest).max(self.clock),
                ClockMode::Manual => self.clock,
            }),
        }
    }

    /// The next decision's ids, drawn at the current position.
    fn next_ids(&mut self) -> IdSource {
        self.ids.next(self.position)
    }

    fn refuse(&mut self, error: EcsError) -> Reply {
        let ids = self.next_ids();
        Reply::refused(ids.next_request_id(), error)
    }

    /// Records `events` as one request's, folding each into the world.
    fn record(
        &mut self,
        time: Timestamp,
        request_id: RequestId,
        account: &Account,
        events: Vec<Event>,
    ) -> Vec<Recorded> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let seq = self.position + 1;
            let recorded = Recorded {
                seq,
                time,
                request_id,
                event_id: EventId::derived(&request_id, seq),
                account: account.clone(),
                event,
            };
            // The machine decided these events against its own records: an
            // event that does not fit them is a bug, never an input.
            if let Err(e) = self.world.apply(&recorded) {
                panic!("invariant broken: a decision made an event that does not fit: {e}");
            }
            self.position = recorded.seq;
            out.push(recorded);
        }
        out
    }

    /// Every transition due by `now`, each the platform's own request,
    /// stamped with its due time, in (due time, instance) order.
    fn apply_due(&mut self, now: Timestamp) -> Vec<Recorded> {
        let mut recorded = Vec::new();
        let mut last = None;
        let mut again = 0;
        while let Some((at, id)) = self.world.next_due(now) {
            // One instance may have several transitions due at one time (a
            // start or stop completes at its expiry or automatic release
            // time): each is its own request. Each changes the instance for
            // good (a status that ended is not transitional, an expired
            // subscription stays expired until renewed, a release removes
            // it), so one timer comes back at most SAME_TIME_MAX times; more
            // would be a loop.
            again = if last.as_ref() == Some(&(at, id.clone())) {
                again + 1
            } else {
                0
            };
            assert!(
                again < scheduler::SAME_TIME_MAX,
                "a transition moves its timer: {id} at {at}"
            );
            let Some(instance) = self.world.state().instances.get(&id) else {
                panic!("invariant broken: a timer names {id}, which the world does not hold");
            };
            let account = instance.account.clone();
            let events = scheduler::transition(self.world.state(), instance, at);
            assert!(
                !events.is_empty(),
                "a due timer has a transition: {id} at {at}"
            );
            let ids = self.next_ids();
            let request_id = ids.next_request_id();
            recorded.extend(self.record(at, request_id, &account, events));
            last = Some((at, id));
        }
        recorded
    }

    /// A command: idempotency first, then the decision and its records.
    fn command(
        &mut self,
        request: &Parsed,
        command: &Command,
        dry_run: bool,
        token: &Option<Token>,
        remembered: Option<&Remembered>,
        now: Timestamp,
    ) -> (Reply, Option<(Account, String, Remembered)>) {
        if let (Some(token), Some(seen)) = (token, remembered.filter(|r| r.is_fresh(now))) {
            if !seen.matches(&token.action, &token.fingerprint) {
                let e = EcsError::new(Code::IdempotentParameterMismatch);
                return (self.refuse(e), None);
            }
            let body = serde_json::from_str(&seen.body).unwrap_or_default();
            return (
                Reply::ok(seen.request_id, Answer::Body(body), Vec::new()),
                None,
            );
        }
        let ids = self.next_ids();
        let request_id = ids.next_request_id();
        let ctx = Ctx {
            now,
            account: request.account.clone(),
            durations: self.settings.durations,
            ids,
        };
        // The decision sees its declared read set, nothing else.
        let read = command.read_set().load(self.world.state());
        let events = match command.decide_request(dry_run, &read, &ctx) {
            Ok(events) => events,
            Err(e) => return (Reply::refused(request_id, e), None),
        };
        let recorded = self.record(now, request_id, &request.account, events);
        let answer = Answer::of(command, &recorded);
        let remember = token.as_ref().map(|t| {
            let body = serde_json::Value::Object(answer.body()).to_string();
            let record = Remembered {
                action: t.action.clone(),
                fingerprint: t.fingerprint,
                request_id,
                time: now,
                body,
            };
            (request.account.clone(), t.value.clone(), record)
        });
        (Reply::ok(request_id, answer, recorded), remember)
    }

    /// A query over the live records, at `now`.
    fn query(&mut self, request: &Parsed, query: &Query, dry_run: bool, now: Timestamp) -> Reply {
        if dry_run {
            return self.refuse(EcsError::new(Code::DryRunOperation));
        }
        let ids = self.next_ids();
        let body = query.run(&self.world, &request.account, now);
        Reply::ok(ids.next_request_id(), Answer::Body(body), Vec::new())
    }

    /// `AdvanceClock` (`Seconds` or `To`): only with a manual clock. Its
    /// answer lists the transitions it caused, those due by the request's
    /// own time included.
    fn advance(
        &mut self,
        advance: &Result<Advance, EcsError>,
        records: &mut Vec<Recorded>,
    ) -> Reply {
        if self.settings.clock != ClockMode::Manual {
            return self.refuse(EcsError::new(Code::ClockNotManual));
        }
        let target = advance
            .clone()
            .and_then(|a| Ok((self.target(a.target)?, a.dry_run)));
        let target = match target {
            Ok((t, false)) => t,
            Ok((_, true)) => return self.refuse(EcsError::new(Code::DryRunOperation)),
            Err(e) => return self.refuse(e),
        };
        self.clock = self.clock.max(target);
        records.extend(self.apply_due(target));
        let ids = self.next_ids();
        Reply::ok(
            ids.next_request_id(),
            Answer::Clock(self.clock),
            records.clone(),
        )
    }

    fn target(&self, target: Target) -> Result<Timestamp, EcsError> {
        match target {
            Target::By(secs) => self
                .clock
                .add_secs(i64::from(secs))
                .filter(|t| *t <= latest())
                .ok_or_else(|| too_late("Seconds")),
            Target::To(t) if t < self.clock => Err(EcsError::invalid_because(
                "To",
                format!("It is earlier than the ledger time {}.", self.clock),
            )),
            Target::To(t) if t > latest() => Err(too_late("To")),
            Target::To(t) => Ok(t),
        }
    }
}

/// The latest ledger time a request may run at.
fn latest() -> Timestamp {
    Timestamp::from_unix(limits::LEDGER_TIME_MAX).unwrap_or(Timestamp::EPOCH)
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
