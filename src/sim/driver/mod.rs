//! Runs operations against the ledger and holds it to the oracle and the
//! invariants, step by step.
//!
//! This file is the control flow of a step; the leaves live beside it:
//! `request.rs` makes an operation into a request, `expect.rs` asks the
//! oracle what it must get, `reply.rs` compares, `records.rs` reads the log
//! back, `absorb.rs` folds checked events and checks what they touched,
//! `recovery.rs` handles crashes and faults, `full.rs` checks everything at
//! once, `tokens.rs` remembers answers for ClientToken retries.

mod absorb;
mod expect;
mod full;
mod invalid;
mod records;
mod recovery;
mod reply;
mod request;
mod tokens;

use std::collections::BTreeSet;

pub use invalid::{INVALID, Invalid};

use super::SimConfig;
use super::coverage::Coverage;
use super::failure::Failure;
use super::faults::FaultKind;
use super::oracle::Oracle;
use super::workload::{Op, Pools, View, account_name};
use crate::ledger::inline::Inline;
use crate::ledger::{ClockMode, Config, Durability, LedgerError, Reply};
use crate::log::{EventLog, Head};
use crate::model::State;
use crate::model::ctx::Durations;
use crate::model::id::Account;
use crate::model::time::Timestamp;
use crate::storage::memory::MemoryStorage;
use absorb::Lifecycle;
use request::Sent;
use tokens::Tokens;

/// Where every simulation's clock starts: 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600;

/// What a run counts as it goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Answers by code and faults by kind.
    pub coverage: Coverage,
    /// Invariant checks performed (records compared, chain links checked).
    pub checks: u64,
    /// Full checks (everything at once, the whole log verified and replayed).
    pub full_checks: u64,
    /// Requests sent.
    pub requests: u64,
    /// Ledger restarts after faults.
    pub restarts: u64,
}

/// One simulation in progress.
pub struct Driver {
    config: SimConfig,
    storage: MemoryStorage,
    /// Reads the stored records independently of the ledger (opened once:
    /// it reads the storage as it is at each call).
    reader: EventLog<MemoryStorage>,
    ledger: Option<Inline<MemoryStorage>>,
    oracle: Oracle,
    pools: Pools,
    now: Timestamp,
    accounts: Vec<Account>,
    /// The driver's own fold of the log (strict: an event that does not fit
    /// is a failure).
    folded: State,
    /// The head as of the last checked step.
    head: Head,
    tokens: Tokens,
    lifecycle: Lifecycle,
    armed: Option<FaultKind>,
    /// Records the current step touched, compared with the inventory after it.
    touched: BTreeSet<String>,
    /// What the run counted.
    pub counters: Counters,
    lost_tokens: u64,
}

fn ledger_config(seed: u64) -> Config {
    Config {
        seed: Some(seed),
        start_clock: Timestamp::from_unix(START),
        durability: Durability::Flush,
        clock: ClockMode::Manual,
        durations: Durations::default(),
        // Odd seeds checkpoint the state often (at least every 64 records),
        // even ones seldom: recovery from a recent checkpoint and from one
        // thousands of records back both meet the oracle. Both are bounded,
        // so a recovery costs the same at any length of run.
        checkpoint_events: if seed % 2 == 1 { 64 } else { 1024 },
        ..Config::default()
    }
}

fn ledger_error(e: impl std::fmt::Display) -> Failure {
    Failure::Ledger(e.to_string())
}

impl Driver {
    /// A fresh simulation.
    pub fn new(config: SimConfig) -> Result<Self, Failure> {
        let storage = MemoryStorage::new();
        let ledger =
            Inline::open(storage.clone(), ledger_config(config.seed)).map_err(ledger_error)?;
        let reader = EventLog::inspect(storage.clone())
            .map_err(ledger_error)?
            .log;
        let mut oracle = Oracle::new(Durations::default());
        oracle.forget_row_7 = config.plant_forget_row_7;
        let accounts = (0..config.accounts.max(1))
            .map(|n| Account::parse(&account_name(n)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ledger_error)?;
        Ok(Self {
            config,
            head: ledger.head(),
            storage,
            reader,
            ledger: Some(ledger),
            oracle,
            pools: Pools::default(),
            now: Timestamp::from_unix(START).unwrap_or_default(),
            accounts,
            folded: State::new(),
            tokens: Tokens::default(),
            lifecycle: Lifecycle::default(),
            armed: None,
            touched: BTreeSet::new(),
            counters: Counters::default(),
            lost_tokens: 0,
        })
    }

    /// What the generator may look at.
    pub fn view(&self) -> View<'_> {
        View {
            pools: &self.pools,
            oracle: &self.oracle,
            now: self.now,
        }
    }

    /// The log head.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Live instances, disks and snapshots.
    pub fn live(&self) -> (usize, usize, usize) {
        self.oracle.live()
    }

    fn ledger(&mut self) -> Result<&mut Inline<MemoryStorage>, Failure> {
        self.ledger
            .as_mut()
            .ok_or_else(|| Failure::Ledger("the ledger is not open".into()))
    }

    /// Runs one operation and checks it; an `Err` is a failure of the
    /// ledger (or of the oracle).
    pub fn step(&mut self, op: &Op) -> Result<(), Failure> {
        self.tokens.forget_expired(self.now);
        self.run_op(op)?;
        self.check_inventory()
    }

    fn run_op(&mut self, op: &Op) -> Result<(), Failure> {
        match op {
            Op::Advance { secs } => {
                self.now = self.now.add_secs(i64::from(*secs)).unwrap_or(self.now);
                Ok(())
            }
            Op::Fault {
                kind: FaultKind::Crash,
            } => self.crash(),
            Op::Fault { kind } => {
                self.armed = Some(*kind);
                Ok(())
            }
            Op::Batch { ops } => self.batch(ops),
            Op::Retry { nth, changed } => match self.tokens.retry(*nth, *changed, self.now) {
                Some(sent) => self.single(sent),
                None => Ok(()),
            },
            op => match self.sent(op) {
                Some(sent) => self.single(sent),
                None => Ok(()),
            },
        }
    }

    /// One request as its own group commit, with the armed fault if any.
    fn single(&mut self, mut sent: Sent) -> Result<(), Failure> {
        let fault = self.armed.take();
        if fault == Some(FaultKind::LostAnswer) {
            self.ensure_token(&mut sent);
        }
        self.storage_faults(fault);
        let transitions = self.oracle.due(self.now);
        self.counters.requests += 1;
        let result = self.ledger()?.execute(sent.request.clone());
        self.storage.fail_next_writes(0);
        self.storage.fail_next_flushes(0);
        match result {
            Ok(reply) => {
                let records = self.new_records()?;
                let rest = self.check_transitions(&transitions, &records)?;
                let expected = self.expect(&sent);
                self.check_reply(&sent, &reply, expected, rest)?;
                if fault == Some(FaultKind::LostAnswer) {
                    self.retry_lost_answer(&sent, &reply)?;
                }
                Ok(())
            }
            Err(LedgerError::Stopped(why)) => self.recover(fault, &sent, &transitions, &why),
            Err(e) => Err(Failure::Ledger(format!("the ledger failed: {e}"))),
        }
    }

    /// Several requests as one group commit (racing callers).
    fn batch(&mut self, ops: &[Op]) -> Result<(), Failure> {
        let sent: Vec<Sent> = ops.iter().filter_map(|op| self.sent(op)).collect();
        if sent.is_empty() {
            return Ok(());
        }
        let transitions = self.oracle.due(self.now);
        self.counters.requests += sent.len() as u64;
        let requests = sent.iter().map(|s| s.request.clone()).collect();
        let replies = self
            .ledger()?
            .execute_batch(requests)
            .map_err(|e| Failure::Ledger(format!("the ledger failed: {e}")))?;
        let records = self.new_records()?;
        let mut rest = self.check_transitions(&transitions, &records)?;
        // Requests of one group commit run in request order, queries
        // included: each sees exactly the requests before it.
        for (sent, reply) in sent.iter().zip(replies) {
            let n = rest
                .iter()
                .take_while(|r| r.request_id == reply.request_id)
                .count();
            let mine = rest.drain(..n).collect();
            let expected = self.expect(sent);
            self.check_reply(sent, &reply, expected, mine)?;
        }
        if !rest.is_empty() {
            return Err(Failure::mismatch(
                "no events but the requests'",
                format!("{} more events no request answered for", rest.len()),
                "a batch",
            ));
        }
        Ok(())
    }

    /// Counts a reply's code (`OK` for success) in the coverage, and for
    /// the actions of the release lifecycle, by action too.
    fn count_code(&mut self, action: &str, reply: &Reply) {
        let code = reply.error().map_or("OK", |e| e.code().as_str());
        let coverage = &mut self.counters.coverage;
        match coverage.codes.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                coverage.codes.insert(code.to_owned(), 1);
            }
        }
        coverage.lifecycle_answer(action, code);
    }

    /// Closes the ledger.
    pub fn close(mut self) -> Result<(), Failure> {
        match self.ledger.take() {
            Some(l) => l.close().map_err(ledger_error),
            None => Ok(()),
        }
    }
}
