//! The single writer: it feeds requests to the state machine, stages what
//! they append, commits each group of requests as one atomic write, makes it
//! durable, and only then answers. Shared by the threaded [`super::Ledger`]
//! and the in-thread [`super::inline::Inline`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use bincode::Options;

use super::checkpoint::{self, Manifest, ReadError};
use super::config::{Config, Durability};
use super::nonce::{Nonce, Nonces};
use super::observer::Commit;
use super::{LedgerError, Msg, Reply, Shared, lock};
use crate::core::idempotency::Remembered;
use crate::core::machine::{ClockMode, Machine};
use crate::core::request::Parsed;
use crate::core::world::World;
use crate::log::{Append, EventLog, LogError, keys, record};
use crate::model::error::{Code, EcsError};
use crate::model::id::Account;
use crate::model::time::Timestamp;
use crate::storage::Storage;

/// One request for the writer, parsed by the caller.
#[derive(Debug)]
pub(crate) struct Job {
    pub parsed: Parsed,
    pub nonce: Option<Nonce>,
}

impl Job {
    /// A request as it arrives: parsed here, in the caller's thread.
    pub fn execute(request: crate::core::request::Request) -> Self {
        Self {
            parsed: request.parse(),
            nonce: request.nonce,
        }
    }

    /// A request already parsed.
    pub fn parsed(parsed: Parsed) -> Self {
        Self {
            parsed,
            nonce: None,
        }
    }
}

pub(crate) struct Writer<S: Storage> {
    log: EventLog<S>,
    machine: Machine,
    nonces: Nonces,
    config: Config,
    checkpoint: Option<Manifest>,
    /// The clock as of the last commit (a commit that only moved time still
    /// writes it).
    committed_clock: Timestamp,
    /// Idempotency records staged in the current batch.
    staged_tokens: HashMap<Vec<u8>, Remembered>,
    /// Due transitions applied in the current batch (for the observer).
    staged_transitions: usize,
    /// Records of other processes were read in this batch: it is answered
    /// only once they are durable, even when it writes nothing itself.
    read_others: bool,
    shared: Arc<Shared>,
}

impl<S: Storage> Writer<S> {
    /// Opens the log, rebuilds the live records (a checkpoint, then the log
    /// after it), and readies the machine.
    pub(crate) fn open(storage: S, config: Config) -> Result<(Self, Arc<Shared>), LedgerError> {
        config.validate()?;
        let mut log = EventLog::open(storage)?;
        // What is on disk now is durable: the witness starts from it (a ledger
        // written before witnesses existed gets one here).
        log.witness(config.durability == Durability::Sync)?;
        // Anything opening wrote (the witness marker, an upgrade) is durable
        // before the first commit: a commit's batch is then the only one a
        // crash can catch unflushed.
        log.storage().flush()?;
        let (world, from, checkpoint) = if log.storage().shared() {
            // Under the append lock, at the latest head: another process may
            // replace the checkpoint, or append past it, meanwhile.
            log.storage().begin_append()?;
            let loaded = log
                .catch_up()
                .map_err(LedgerError::from)
                .and_then(|_| load_world(&log));
            log.storage().abort_append();
            loaded?
        } else {
            load_world(&log)?
        };
        let clock = start_clock(&log, &config)?;
        let mut machine = Machine::new(world, clock, from, config.settings());
        replay_tail(&log, &mut machine)?;
        let nonces = Nonces::load(&log)?;
        let shared = Shared::new(log.head(), machine.clock());
        tracing::info!(
            head = log.head().seq,
            from_checkpoint = from,
            clock = %machine.clock(),
            durability = %config.durability,
            seeded = config.seed.is_some(),
            "ledger opened"
        );
        let writer = Self {
            committed_clock: machine.clock(),
            log,
            machine,
            nonces,
            config,
            checkpoint,
            staged_tokens: HashMap::new(),
            staged_transitions: 0,
            read_others: false,
            shared: shared.clone(),
        };
        Ok((writer, shared))
    }

    /// The live records.
    pub(crate) fn world(&self) -> &World {
        self.machine.world()
    }

    /// The thread's loop: batches of whatever is queued, until shut down.
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        let mut shutdown = false;
        while !shutdown {
            let Ok(first) = rx.recv() else { break };
            let mut jobs = Vec::new();
            let mut responders = Vec::new();
            let mut next = Some(first);
            while let Some(msg) = next {
                match msg {
                    Msg::Shutdown => shutdown = true,
                    Msg::Job(job, tx) => {
                        jobs.push(*job);
                        responders.push(tx);
                    }
                }
                next = (jobs.len() < self.config.max_batch)
                    .then(|| rx.try_recv().ok())
                    .flatten();
            }
            match self.run_batch(jobs) {
                Ok(replies) => {
                    for (tx, reply) in responders.into_iter().zip(replies) {
                        let _ = tx.send(Ok(reply));
                    }
                }
                Err(failure) => {
                    for tx in responders {
                        let _ = tx.send(Err(failure.clone()));
                    }
                    // Answer everything still queued, then stop.
                    while let Ok(msg) = rx.try_recv() {
                        if let Msg::Job(_, tx) = msg {
                            let _ = tx.send(Err(failure.clone()));
                        }
                    }
                    return;
                }
            }
        }
        self.finish();
    }

    /// One group commit: runs every job in order, each seeing the ones
    /// before it, writes all of it in one atomic batch, makes it durable,
    /// and returns one reply per job. An error means nothing of the batch is
    /// acknowledged and the writer has stopped.
    pub(crate) fn run_batch(&mut self, jobs: Vec<Job>) -> Result<Vec<Reply>, LedgerError> {
        if let Some(failure) = self.shared.failure() {
            return Err(failure);
        }
        let started = std::time::Instant::now();
        let (replies, records, wrote) = match self.batch(jobs) {
            Ok(done) => done,
            Err(e) => {
                self.log.storage().abort_append();
                return Err(self.stop(e));
            }
        };
        lock(&self.shared.stats).requests += replies.len() as u64;
        let transitions = std::mem::take(&mut self.staged_transitions);
        self.observed(Commit {
            requests: replies.len(),
            records,
            transitions,
            wrote,
            duration: started.elapsed(),
        });
        Ok(replies)
    }

    /// The batch itself: on a store other processes append to, under the
    /// append lock and after catching up with them; then every job in turn,
    /// and the commit. Returns the replies, the records appended and whether
    /// anything was written.
    fn batch(&mut self, jobs: Vec<Job>) -> Result<(Vec<Reply>, usize, bool), LogError> {
        if self.log.storage().shared() {
            self.log.storage().begin_append()?;
            self.catch_up(&jobs)?;
        }
        let mut append = self.log.begin();
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            replies.push(self.job(&mut append, job)?);
        }
        let records = append.records();
        let wrote = self.commit(append)?;
        Ok((replies, records, wrote))
    }

    /// Folds what other processes appended since this writer's last batch
    /// into the log's head, the Merkle frontier and the machine, moves the
    /// clock to theirs, and learns the nonces of `jobs` they have seen: every
    /// decision of the batch is then made against the latest log. Called
    /// with the append lock held.
    fn catch_up(&mut self, jobs: &[Job]) -> Result<(), LogError> {
        let (records, chunk_clock) = self.log.catch_up()?;
        for recorded in &records {
            if recorded.seq != self.machine.position() + 1 {
                return Err(LogError::Inconsistent(format!(
                    "record {} is missing (found {})",
                    self.machine.position() + 1,
                    recorded.seq
                )));
            }
            self.machine
                .absorb(recorded)
                .map_err(|e| LogError::Inconsistent(format!("record {}: {e}", recorded.seq)))?;
        }
        let mut wanted = vec![keys::META_CLOCK.to_vec()];
        let unknown: Vec<[u8; 16]> = jobs
            .iter()
            .filter_map(|j| j.nonce.map(|n| n.digest()))
            .filter(|d| !self.nonces.knows(d))
            .collect();
        wanted.extend(unknown.iter().map(keys::nonce_digest));
        let found = self.log.storage().get_many(&wanted)?;
        let stored_clock = found.first().and_then(|v| {
            let b: [u8; 8] = v.as_ref()?.as_ref().try_into().ok()?;
            Timestamp::from_unix(i64::from_be_bytes(b))
        });
        for (digest, value) in unknown.iter().zip(found.iter().skip(1)) {
            if let Some(value) = value {
                let expires = <[u8; 8]>::try_from(value.as_ref())
                    .map(i64::from_be_bytes)
                    .map_err(|_| LogError::Inconsistent("a malformed nonce record".into()))?;
                self.nonces.learn(*digest, expires);
            }
        }
        if let Some(clock) = chunk_clock.max(stored_clock) {
            self.machine.advance_clock_to(clock);
            self.committed_clock = self.committed_clock.max(clock);
        }
        if !records.is_empty() {
            self.read_others = true;
            tracing::debug!(
                records = records.len(),
                head = self.log.head().seq,
                "caught up with other writers"
            );
            *lock(&self.shared.head) = self.log.head();
        }
        Ok(())
    }

    /// Tells the observer, if any, about the batch just committed.
    fn observed(&self, commit: Commit) {
        let observer = lock(&self.shared.observer).clone();
        if let Some(observer) = observer {
            observer.committed(&commit);
        }
    }

    /// Records the failure that stops the writer.
    fn stop(&mut self, e: LogError) -> LedgerError {
        tracing::error!(error = %e, "the ledger stops: nothing more is accepted");
        let e = Arc::new(e);
        *lock(&self.shared.failed) = Some(e.clone());
        LedgerError::Stopped(e)
    }

    /// One request: its nonce, its idempotency record, the machine's step,
    /// and what the step appends, staged.
    fn job(&mut self, append: &mut Append, job: Job) -> Result<Reply, LogError> {
        let now = system_now();
        if let Some(nonce) = &job.nonce
            && !self
                .nonces
                .admit(nonce, append, self.log.storage().shared())
        {
            let refused = Parsed::rejected(EcsError::new(Code::SignatureNonceUsed));
            return Ok(self.machine.step(&refused, None, now).reply);
        }
        let remembered = match job.parsed.token() {
            Some(token) => self.remembered(&job.parsed.account, token)?,
            None => None,
        };
        let step = self.machine.step(&job.parsed, remembered.as_ref(), now);
        // Due transitions are the platform's own requests: their records
        // carry RequestIds of their own, the answered request's never.
        self.staged_transitions += step
            .records
            .iter()
            .filter(|r| r.request_id != step.reply.request_id)
            .count();
        for recorded in &step.records {
            append.record(recorded)?;
        }
        if let Some((account, token, remembered)) = step.remember {
            let key = keys::idempotency(account.as_str(), &token);
            let bytes = record::codec().serialize(&remembered).map_err(|e| {
                LogError::Inconsistent(format!("cannot encode a token record: {e}"))
            })?;
            append.put(key.clone(), bytes);
            self.staged_tokens.insert(key, remembered);
        }
        Ok(step.reply)
    }

    /// The record of (account, token): staged in this batch, or stored.
    fn remembered(&self, account: &Account, token: &str) -> Result<Option<Remembered>, LogError> {
        let key = keys::idempotency(account.as_str(), token);
        if let Some(r) = self.staged_tokens.get(&key) {
            return Ok(Some(r.clone()));
        }
        match self.log.storage().get(&key)? {
            None => Ok(None),
            Some(bytes) => record::codec()
                .deserialize(bytes.as_ref())
                .map(Some)
                .map_err(|e| {
                    LogError::Inconsistent(format!(
                        "the record of ClientToken {token:?} is corrupt: {e}"
                    ))
                }),
        }
    }

    /// Writes the batch, makes it durable, moves the witness, publishes the
    /// head; writes a state checkpoint when one is due. True when there was
    /// anything to write.
    fn commit(&mut self, mut append: Append) -> Result<bool, LogError> {
        self.staged_tokens.clear();
        let clock = self.machine.clock();
        if append.records() > 0 || clock > self.committed_clock {
            append.set_clock(clock);
        }
        let wrote = !append.is_empty();
        if wrote {
            let records = append.records();
            let started = std::time::Instant::now();
            let head = self.log.commit(append)?;
            self.log.storage().commit_append()?;
            assert_eq!(
                head.seq,
                self.machine.position(),
                "the log holds exactly what the machine recorded"
            );
            self.make_durable()?;
            tracing::debug!(
                records,
                head = head.seq,
                micros = started.elapsed().as_micros() as u64,
                "batch committed"
            );
            self.count(records);
            self.maybe_checkpoint()?;
        } else {
            self.log.storage().commit_append()?;
            if self.read_others {
                match self.config.durability {
                    Durability::Flush => self.log.storage().flush()?,
                    Durability::Sync => self.log.storage().sync()?,
                    Durability::None => {}
                }
            }
        }
        self.read_others = false;
        self.committed_clock = self.committed_clock.max(clock);
        *lock(&self.shared.head) = self.log.head();
        *lock(&self.shared.clock) = clock;
        self.shared.committed.notify_all();
        Ok(wrote)
    }

    /// Flush or sync as configured; the witness follows what is durable (in
    /// `none` mode only an explicit flush makes anything durable: the
    /// witness waits for one).
    fn make_durable(&mut self) -> Result<(), LogError> {
        let storage = self.log.storage();
        match self.config.durability {
            Durability::Flush => storage.flush()?,
            Durability::Sync => storage.sync()?,
            Durability::None => return Ok(()),
        }
        self.log.witness(self.config.durability == Durability::Sync)
    }

    fn count(&self, records: usize) {
        let (keys_written, bytes_written) = self.log.last_commit_size();
        let mut stats = lock(&self.shared.stats);
        stats.batches += 1;
        stats.events += records as u64;
        stats.keys += keys_written as u64;
        stats.bytes += bytes_written as u64;
    }

    /// A state checkpoint once enough records followed the last: at least
    /// `checkpoint_events`, and at least as many as the checkpoint holds (the
    /// live records and the kept system events), so that writing one costs
    /// a bounded amount per event however long the ledger has run.
    fn maybe_checkpoint(&mut self) -> Result<(), LogError> {
        let since = self.machine.position() - self.checkpoint.map_or(0, |m| m.head.seq);
        let state = self.machine.world().state();
        let held = state.len() + state.system_events.len();
        let due = self.config.checkpoint_events.max(held as u64);
        if since >= due {
            self.write_checkpoint()?;
        }
        Ok(())
    }

    fn write_checkpoint(&mut self) -> Result<(), LogError> {
        if self.log.storage().shared() {
            let storage = self.log.storage();
            storage.begin_append()?;
            let written = self.write_shared_checkpoint();
            match written {
                Ok(()) => self.log.storage().commit_append()?,
                Err(_) => self.log.storage().abort_append(),
            }
            return written;
        }
        let previous = self
            .checkpoint
            .or(checkpoint::manifest(self.log.storage())?);
        let manifest = checkpoint::write(
            self.log.storage(),
            self.machine.world(),
            self.log.head(),
            previous,
        )?;
        self.checkpoint = Some(manifest);
        lock(&self.shared.stats).checkpoints += 1;
        // Flushed at once (unless nothing is flushed): a commit's batch is
        // the only one a crash can catch unflushed.
        if self.config.durability != Durability::None {
            self.log.storage().flush()?;
        }
        Ok(())
    }

    /// A checkpoint on a store other processes append to, with the append
    /// lock held: only when the stored one (perhaps another process's) is
    /// due for replacing, and always as the next generation after it.
    fn write_shared_checkpoint(&mut self) -> Result<(), LogError> {
        let stored = checkpoint::manifest(self.log.storage())?;
        let head = self.log.head();
        let since = head.seq.saturating_sub(stored.map_or(0, |m| m.head.seq));
        let due = self
            .config
            .checkpoint_events
            .max(self.machine.world().state().len() as u64);
        let closing = self.checkpoint.map_or(0, |m| m.head.seq) != head.seq;
        if stored.is_some_and(|m| m.head.seq >= head.seq) || (since < due && !closing) {
            self.checkpoint = stored;
            return Ok(());
        }
        let manifest = checkpoint::write(self.log.storage(), self.machine.world(), head, stored)?;
        self.checkpoint = Some(manifest);
        lock(&self.shared.stats).checkpoints += 1;
        Ok(())
    }

    /// At close: a checkpoint of what is there, then flush (or sync), then
    /// the witness.
    pub(crate) fn finish(&mut self) {
        if self.shared.failure().is_some() {
            return;
        }
        let behind = self.checkpoint.map_or(0, |m| m.head.seq) != self.log.head().seq;
        let result = (|| -> Result<(), LogError> {
            if behind {
                self.write_checkpoint()?;
            }
            match self.config.durability {
                Durability::Sync => self.log.storage().sync()?,
                Durability::Flush | Durability::None => self.log.storage().flush()?,
            }
            self.log.witness(self.config.durability == Durability::Sync)
        })();
        if let Err(e) = result {
            tracing::error!(error = %e, "closing failed");
            *lock(&self.shared.failed) = Some(Arc::new(e));
        }
    }
}

/// The live records as of a checkpoint (or none), and where the log goes on.
fn load_world<S: Storage>(
    log: &EventLog<S>,
) -> Result<(World, u64, Option<Manifest>), LedgerError> {
    match checkpoint::read(log) {
        Ok(Some((manifest, state))) => {
            Ok((World::from_state(state), manifest.head.seq, Some(manifest)))
        }
        Ok(None) => Ok((World::new(), 0, None)),
        Err(ReadError::Unusable(why)) => {
            tracing::warn!(%why, "the state checkpoint is not used: rebuilding from the log");
            Ok((World::new(), 0, checkpoint::manifest(log.storage())?))
        }
        Err(ReadError::Log(e)) => Err(e.into()),
    }
}

/// Folds the records after the machine's position, up to the log's head,
/// into it (another process may append past the head meanwhile: the first
/// batch catches up with those).
fn replay_tail<S: Storage>(log: &EventLog<S>, machine: &mut Machine) -> Result<(), LogError> {
    let from = machine.position() + 1;
    let head = log.head().seq;
    let folded = log.for_each(from, |recorded| -> Result<(), Fold> {
        if recorded.seq > head {
            return Err(Fold::Done);
        }
        if recorded.seq != machine.position() + 1 {
            return Err(LogError::Inconsistent(format!(
                "record {} is missing (found {})",
                machine.position() + 1,
                recorded.seq
            ))
            .into());
        }
        machine
            .absorb(&recorded)
            .map_err(|e| LogError::Inconsistent(e.to_string()).into())
    });
    match folded {
        Ok(()) | Err(Fold::Done) => {}
        Err(Fold::Log(e)) => return Err(e),
    }
    if machine.position() != head {
        return Err(LogError::Inconsistent(format!(
            "the log ends at seq {} but its head is {}",
            machine.position(),
            log.head().seq
        )));
    }
    Ok(())
}

/// Ends a fold early.
enum Fold {
    Log(LogError),
    Done,
}

impl From<LogError> for Fold {
    fn from(e: LogError) -> Self {
        Fold::Log(e)
    }
}

/// Where the clock starts: the stored clock; for a fresh ledger, the
/// configured start, or the system time for a manual clock.
fn start_clock<S: Storage>(log: &EventLog<S>, config: &Config) -> Result<Timestamp, LogError> {
    Ok(
        match (log.stored_clock()?, config.start_clock, config.clock) {
            (Some(stored), _, _) => stored,
            (None, Some(start), _) => start,
            (None, None, ClockMode::Manual) => system_now(),
            (None, None, ClockMode::System) => Timestamp::EPOCH,
        },
    )
}

/// The system clock, in whole seconds (the only clock read in the crate).
pub(crate) fn system_now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Timestamp::from_unix(secs).unwrap_or(Timestamp::EPOCH)
}
