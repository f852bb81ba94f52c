//! Given/when/then helpers for testing rules against the pure model, in the
//! style of cqrs-es's test framework.
//!
//! A [`Scenario`] is a tiny in-memory ledger: a clock, a state, a log and a
//! seeded id source. It runs the scheduler before each command exactly as the
//! real ledger does, so a test reads like the SPEC:
//!
//! ```
//! use ecs_ledger::model::testing::Scenario;
//! use ecs_ledger::model::Code;
//!
//! let mut s = Scenario::new();
//! let i = s.given_stopped_instance(&[("DataDisk.1.Size", "40")]);
//! s.when("DeleteInstance", &[("InstanceId", i.as_str()), ("DryRun", "true")])
//!     .then_error(Code::DryRunOperation);
//! s.when("DeleteInstance", &[("InstanceId", i.as_str())])
//!     .then_types(&["InstanceReleased", "DiskReleased", "DiskReleased"]);
//! ```
//!
//! The helpers panic when a test's expectation fails; that is their job.

use crate::model::Command;
use crate::model::ctx::{Ctx, Durations, IdSource};
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, DiskId, InstanceId, SnapshotId};
use crate::model::params::Params;
use crate::model::scheduler;
use crate::model::state::{State, evolve};
use crate::model::time::Timestamp;

/// An in-memory world to run commands against.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Current state.
    pub state: State,
    /// Every event so far.
    pub log: Vec<Recorded>,
    /// Ledger time.
    pub now: Timestamp,
    /// Transition durations.
    pub durations: Durations,
    /// The account commands run as.
    pub account: Account,
    seed: u64,
    /// (log position, decisions drawn at it): ids are derived exactly as the
    /// ledger derives them, so a seeded ledger and a scenario fed the same
    /// requests write the same log.
    attempts: (u64, u64),
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

/// Start of every scenario's clock: 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600;

impl Scenario {
    /// An empty world at 2026-01-01T00:00:00Z, account `default`, seed 1.
    pub fn new() -> Self {
        Self {
            state: State::new(),
            log: Vec::new(),
            now: Timestamp::from_unix(START).unwrap_or_default(),
            durations: Durations::default(),
            account: Account::default(),
            seed: 1,
            attempts: (0, 0),
        }
    }

    /// Commands from now on run as `account`.
    pub fn as_account(&mut self, account: &str) -> &mut Self {
        self.account = Account::parse(account).unwrap_or_default();
        self
    }

    /// Moves the clock forward and applies every transition that fell due.
    pub fn advance(&mut self, secs: i64) -> Vec<Recorded> {
        self.now = self.now.add_secs(secs).unwrap_or(self.now);
        self.apply_due()
    }

    fn apply_due(&mut self) -> Vec<Recorded> {
        let mut out = Vec::new();
        for due in scheduler::due(&self.state, self.now) {
            let ids = self.next_ids();
            let request_id = ids.next_request_id();
            for event in due.events {
                out.push(self.append(due.at, request_id, due.account.clone(), event, &ids));
            }
        }
        out
    }

    /// Uses `seed` for every id from now on.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn next_ids(&mut self) -> IdSource {
        let position = self.log.len() as u64;
        if self.attempts.0 != position {
            self.attempts = (position, 0);
        }
        let ids = IdSource::seeded(self.seed, position, self.attempts.1);
        self.attempts.1 += 1;
        ids
    }

    fn append(
        &mut self,
        time: Timestamp,
        request_id: crate::model::id::RequestId,
        account: Account,
        event: Event,
        ids: &IdSource,
    ) -> Recorded {
        let recorded = Recorded {
            seq: self.log.len() as u64 + 1,
            time,
            request_id,
            event_id: ids.next_event_id(),
            account,
            event,
        };
        evolve(&mut self.state, &recorded);
        self.log.push(recorded.clone());
        recorded
    }

    /// Runs one action now: due transitions first, then the decision; on
    /// success the events are appended and returned.
    pub fn run(
        &mut self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<Recorded>, EcsError> {
        self.apply_due();
        let params = Params::from_pairs(params.iter().copied());
        // Refusals draw a RequestId like any request (as the ledger does).
        let command = match Command::parse(action, &params).and_then(|c| {
            params.client_token()?;
            Ok((c, Command::dry_run(&params)?))
        }) {
            Ok(c) => c,
            Err(e) => {
                self.next_ids();
                return Err(e);
            }
        };
        let ids = self.next_ids();
        let request_id = ids.next_request_id();
        let ctx = Ctx {
            now: self.now,
            account: self.account.clone(),
            durations: self.durations,
            ids,
        };
        let (command, dry_run) = command;
        let events = command.decide_request(dry_run, &self.state, &ctx)?;
        let account = self.account.clone();
        Ok(events
            .into_iter()
            .map(|e| self.append(ctx.now, request_id, account.clone(), e, &ctx.ids))
            .collect())
    }

    /// When: runs `action` and returns the outcome to check.
    pub fn when(&mut self, action: &str, params: &[(&str, &str)]) -> Then {
        Then(self.run(action, params))
    }

    /// Given: runs `action`, which must succeed.
    ///
    /// # Panics
    /// When the action fails.
    pub fn given(&mut self, action: &str, params: &[(&str, &str)]) -> Vec<Recorded> {
        match self.run(action, params) {
            Ok(events) => events,
            Err(e) => panic!("given {action} {params:?} failed: {e}"),
        }
    }

    /// Given: an instance created with `params` and left until it is `Stopped`.
    pub fn given_stopped_instance(&mut self, params: &[(&str, &str)]) -> InstanceId {
        let events = self.given("CreateInstance", params);
        let id = match events.first().map(|r| &r.event) {
            Some(Event::InstanceCreated(e)) => e.instance_id.clone(),
            other => panic!("CreateInstance produced {other:?}"),
        };
        self.advance(i64::from(self.durations.create_secs));
        id
    }

    /// Given: an instance created with `params`, started and left until `Running`.
    pub fn given_running_instance(&mut self, params: &[(&str, &str)]) -> InstanceId {
        let id = self.given_stopped_instance(params);
        self.given("StartInstance", &[("InstanceId", id.as_str())]);
        self.advance(i64::from(self.durations.start_secs));
        id
    }

    /// Given: a snapshot of `disk` of the given type (`auto` via
    /// CreateAutoSnapshot, `user` via CreateSnapshot).
    pub fn given_snapshot(&mut self, disk: &DiskId, auto: bool) -> SnapshotId {
        let action = if auto {
            "CreateAutoSnapshot"
        } else {
            "CreateSnapshot"
        };
        let events = self.given(action, &[("DiskId", disk.as_str())]);
        match events.first().map(|r| &r.event) {
            Some(Event::SnapshotCreated(e)) => e.snapshot_id.clone(),
            other => panic!("{action} produced {other:?}"),
        }
    }

    /// The attached disks of an instance, system disk first.
    pub fn disks_of(&self, instance: &InstanceId) -> Vec<DiskId> {
        self.state
            .instances
            .get(instance)
            .map(|i| i.disks.clone())
            .unwrap_or_default()
    }
}

/// The outcome of a `when`, to check.
#[derive(Debug)]
pub struct Then(pub Result<Vec<Recorded>, EcsError>);

impl Then {
    /// Then: it failed with `code`; returns the error.
    ///
    /// # Panics
    /// When it succeeded or failed with another code.
    pub fn then_error(self, code: Code) -> EcsError {
        match self.0 {
            Err(e) if e.code() == code => e,
            Err(e) => panic!("expected {code}, got {e}"),
            Ok(events) => panic!("expected {code}, got events {:?}", types(&events)),
        }
    }

    /// Then: it succeeded; returns the events.
    ///
    /// # Panics
    /// When it failed.
    pub fn then_ok(self) -> Vec<Recorded> {
        match self.0 {
            Ok(events) => events,
            Err(e) => panic!("expected success, got {e}"),
        }
    }

    /// Then: it succeeded with events of exactly these types, in order.
    ///
    /// # Panics
    /// When it failed or the types differ.
    pub fn then_types(self, expected: &[&str]) -> Vec<Recorded> {
        let events = self.then_ok();
        assert_eq!(types(&events), expected, "event types");
        events
    }
}

/// The type names of recorded events.
pub fn types(events: &[Recorded]) -> Vec<&'static str> {
    events.iter().map(|r| r.event.type_name()).collect()
}

/// One event of every type (with made-up ids), for format and rendering tests.
pub fn sample_events() -> Vec<Event> {
    use crate::model::event::*;
    use crate::model::id::{LoadBalancerId, RouteTableId};
    use crate::model::values::*;
    let i = InstanceId::parse("i-sample000001").unwrap_or_else(|_| unreachable!());
    let d = DiskId::parse("d-sample000001").unwrap_or_else(|_| unreachable!());
    let s = SnapshotId::parse("s-sample000001").unwrap_or_else(|_| unreachable!());
    let t = RouteTableId::parse("vtb-sample00001").unwrap_or_else(|_| unreachable!());
    let l = LoadBalancerId::parse("lb-sample000001").unwrap_or_else(|_| unreachable!());
    let at = Timestamp::from_unix(START).unwrap_or_default();
    vec![
        InstanceCreated {
            instance_id: i.clone(),
            instance_charge_type: ChargeType::PrePaid,
            expired_time: Some(at),
            deletion_protection: false,
            ready_at: at,
            instance_name: "n".into(),
            instance_type: "ecs.g6.large".into(),
            image_id: "img".into(),
            region_id: "cn-hangzhou".into(),
            zone_id: "cn-hangzhou-h".into(),
            description: "d".into(),
        }
        .into(),
        DiskCreated {
            disk_id: d.clone(),
            instance_id: Some(i.clone()),
            disk_type: DiskType::Data,
            size: 40,
            category: "cloud_essd".into(),
            delete_with_instance: true,
            delete_auto_snapshot: true,
            disk_charge_type: ChargeType::PrePaid,
            disk_name: "n".into(),
        }
        .into(),
        InstanceStatusChanged {
            instance_id: i.clone(),
            from: InstanceStatus::Pending,
            to: InstanceStatus::Stopped,
            reason: StatusReason::Created,
            until: None,
        }
        .into(),
        InstanceExpired {
            instance_id: i.clone(),
            expired_time: at,
        }
        .into(),
        InstanceLocked {
            instance_id: i.clone(),
            lock_reason: LockReason::Security,
            lock_msg: "m".into(),
        }
        .into(),
        InstanceUnlocked {
            instance_id: i.clone(),
            lock_reason: LockReason::Security,
        }
        .into(),
        InstanceAttributeChanged {
            instance_id: i.clone(),
            deletion_protection: Some(true),
            instance_name: Some("n2".into()),
            description: None,
        }
        .into(),
        InstanceRenewed {
            instance_id: i.clone(),
            period: 1,
            period_unit: PeriodUnit::Month,
            expired_time: at,
        }
        .into(),
        InstanceReleased {
            instance_id: i.clone(),
            previous_status: InstanceStatus::Stopped,
            forced: false,
            security_locked: true,
        }
        .into(),
        DiskAttached {
            disk_id: d.clone(),
            instance_id: i.clone(),
            delete_with_instance: false,
        }
        .into(),
        DiskDetached {
            disk_id: d.clone(),
            instance_id: i.clone(),
            reason: DetachReason::InstanceReleased,
        }
        .into(),
        DiskAttributeChanged {
            disk_id: d.clone(),
            delete_with_instance: Some(false),
            delete_auto_snapshot: None,
        }
        .into(),
        DiskReleased {
            disk_id: d.clone(),
            instance_id: Some(i.clone()),
            reason: DiskReleaseReason::SecurityLock,
        }
        .into(),
        SnapshotCreated {
            snapshot_id: s.clone(),
            disk_id: d.clone(),
            snapshot_type: SnapshotType::Auto,
            source_disk_type: DiskType::Data,
            source_disk_size: 40,
            snapshot_name: "n".into(),
        }
        .into(),
        SnapshotReleased {
            snapshot_id: s.clone(),
            disk_id: d.clone(),
            reason: SnapshotReleaseReason::DeleteAutoSnapshot,
        }
        .into(),
        SnapshotRetained {
            snapshot_id: s.clone(),
            disk_id: d.clone(),
            snapshot_type: SnapshotType::User,
        }
        .into(),
        RouteEntryCreated {
            route_table_id: t.clone(),
            destination_cidr_block: "10.0.0.0/8".into(),
            next_hop_id: i.clone(),
            next_hop_type: NextHopType::Instance,
        }
        .into(),
        RouteEntryDeleted {
            route_table_id: t,
            destination_cidr_block: "10.0.0.0/8".into(),
            next_hop_id: i.clone(),
        }
        .into(),
        BackendServerAdded {
            load_balancer_id: l.clone(),
            server_id: i.clone(),
            weight: 100,
        }
        .into(),
        BackendServerRemoved {
            load_balancer_id: l,
            server_id: i,
        }
        .into(),
    ]
}
