//! Given/when/then helpers for testing rules against the pure model, in the
//! style of cqrs-es's test framework.
//!
//! A [`Scenario`] is a tiny in-memory ledger: a clock, a state, a log and a
//! seeded id source. It runs the scheduler before each command exactly as the
//! real ledger does, so a test reads like the behaviour reference (docs/BEHAVIOUR.md):
//!
//! ```
//! use ecs_ledger::core::testing::Scenario;
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

use crate::core::machine::{ClockMode, Machine, Settings};
use crate::core::request::Request;
use crate::core::world::World;
use crate::model::ctx::Durations;
use crate::model::error::{Code, EcsError};
use crate::model::event::{
    BackendServerAdded, DiskCreated, InstanceCreated, InstanceLocked, InstanceStatusChanged,
    RouteEntryCreated, SnapshotCreated,
};
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, DiskId, InstanceId, RequestId, SnapshotId};
use crate::model::id::{LoadBalancerId, RouteTableId};
use crate::model::state::State;
use crate::model::time::Timestamp;
use crate::model::values::{
    ChargeType, DiskType, InstanceStatus, LockReason, NextHopType, SnapshotType, StatusReason,
};

/// An in-memory world to run commands against: the request core's state
/// machine ([`Machine`]) on a manual clock, with the log it appends.
#[derive(Debug, Clone)]
pub struct Scenario {
    machine: Machine,
    /// Every event so far.
    pub log: Vec<Recorded>,
    /// Transition durations.
    pub durations: Durations,
    /// The account commands run as.
    pub account: Account,
    /// Ids handed out by the event-building givens.
    given_ids: u64,
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
        Self::seeded(1)
    }

    fn seeded(seed: u64) -> Self {
        let settings = Settings {
            durations: Durations::default(),
            clock: ClockMode::Manual,
            seed: Some(seed),
        };
        let start = Timestamp::from_unix(START).unwrap_or_default();
        Self {
            machine: Machine::new(World::new(), start, 0, settings),
            log: Vec::new(),
            durations: settings.durations,
            account: Account::default(),
            given_ids: 0,
        }
    }

    /// Uses `seed` for every id (call first: it starts the world afresh).
    pub fn with_seed(self, seed: u64) -> Self {
        Self::seeded(seed)
    }

    /// The live records.
    pub fn state(&self) -> &State {
        self.machine.world().state()
    }

    /// Ledger time.
    pub fn now(&self) -> Timestamp {
        self.machine.clock()
    }

    /// Commands from now on run as `account`.
    pub fn as_account(&mut self, account: &str) -> &mut Self {
        self.account = Account::parse(account).unwrap_or_default();
        self
    }

    /// What a ledger reopened at this point would do: forget the id draws of
    /// refusals at the current position (see [`Machine::restart_ids`]).
    pub fn restart(&mut self) {
        self.machine.restart_ids();
    }

    /// Moves the clock to `t` without applying anything (the next request
    /// applies what fell due, as the ledger does).
    pub fn set_now(&mut self, t: Timestamp) {
        self.machine.advance_clock_to(t);
    }

    /// Moves the clock forward and applies every transition that fell due.
    pub fn advance(&mut self, secs: i64) -> Vec<Recorded> {
        let to = self.now().add_secs(secs).unwrap_or(self.now());
        self.set_now(to);
        self.machine.set_durations(self.durations);
        let step = self
            .machine
            .step(&crate::core::request::Parsed::tick(), None, to);
        self.log.extend(step.records.iter().cloned());
        step.records
    }

    /// Runs one request now: due transitions first, then the decision; on
    /// success the request's events are appended and returned.
    pub fn run(
        &mut self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<Recorded>, EcsError> {
        let request = Request::new(action, params.iter().copied()).as_account(self.account.clone());
        self.machine.set_durations(self.durations);
        let now = self.now();
        let step = self.machine.step(&request.parse(), None, now);
        self.log.extend(step.records.iter().cloned());
        match step.reply.outcome {
            Ok(success) => Ok(success.events),
            Err(e) => Err(e),
        }
    }

    /// Runs a query (Describe*) now and returns its ECS body.
    ///
    /// # Panics
    /// When the query is refused.
    pub fn describe(&mut self, action: &str, params: &[(&str, &str)]) -> serde_json::Value {
        let request = Request::new(action, params.iter().copied()).as_account(self.account.clone());
        self.machine.set_durations(self.durations);
        let now = self.now();
        let step = self.machine.step(&request.parse(), None, now);
        self.log.extend(step.records.iter().cloned());
        assert!(
            step.reply.error().is_none(),
            "{action}: {}",
            step.reply.body()
        );
        step.reply.body()
    }

    /// When: runs `action` and returns the outcome to check.
    pub fn when(&mut self, action: &str, params: &[(&str, &str)]) -> Then {
        Then(self.run(action, params))
    }

    /// Given: `events` happened now, as the scenario's account. No command
    /// runs: a rule's test depends on the rule alone, not on the commands
    /// that would have led there.
    pub fn given(&mut self, events: impl IntoIterator<Item = Event>) -> Vec<Recorded> {
        let request_id =
            RequestId::from_uuid(uuid::Uuid::from_u128(u128::from(self.log.len() as u64 + 1)));
        let mut out = Vec::new();
        for event in events {
            let recorded = Recorded {
                seq: self.machine.position() + 1,
                time: self.now(),
                request_id,
                event_id: crate::model::id::EventId::derived(
                    &request_id,
                    self.machine.position() + 1,
                ),
                account: self.account.clone(),
                event,
            };
            if let Err(e) = self.machine.absorb(&recorded) {
                panic!("given events that do not fit the scenario: {e}");
            }
            self.log.push(recorded.clone());
            out.push(recorded);
        }
        out
    }

    /// Given: a request ran and succeeded (history made by a command, for
    /// tests about how commands combine).
    ///
    /// # Panics
    /// When the request fails.
    pub fn given_request(&mut self, action: &str, params: &[(&str, &str)]) -> Vec<Recorded> {
        match self.run(action, params) {
            Ok(events) => events,
            Err(e) => panic!("given {action} {params:?} failed: {e}"),
        }
    }

    /// A fresh id body for the event-building givens.
    fn fresh(&mut self) -> String {
        self.given_ids += 1;
        format!("given{:015}", self.given_ids)
    }

    /// Given: an instance still being created (`Pending`), built from events.
    pub fn given_pending_instance(&mut self, params: &[(&str, &str)]) -> InstanceId {
        self.given_stopped_instance_events(params, false)
    }

    /// Given: a `Stopped` instance, built from events (no CreateInstance runs).
    /// `params` says what it has, as CreateInstance would take it:
    /// `DataDisk.N.Size`, `DataDisk.N.DeleteWithInstance` (default true),
    /// `DataDisk.N.DeleteAutoSnapshot` (default false), `SystemDisk.Size`,
    /// `InstanceChargeType` (`PrePaid` with `Period` months), `DeletionProtection`.
    pub fn given_stopped_instance(&mut self, params: &[(&str, &str)]) -> InstanceId {
        self.given_stopped_instance_events(params, true)
    }

    fn given_stopped_instance_events(
        &mut self,
        params: &[(&str, &str)],
        ready: bool,
    ) -> InstanceId {
        let spec = Spec::of(params);
        let id =
            InstanceId::parse(&format!("i-{}", self.fresh())).unwrap_or_else(|_| unreachable!());
        let now = self.now();
        let expired_time = spec.prepaid.and_then(|(n, weeks)| {
            if weeks {
                now.add_weeks(n)
            } else {
                now.add_months(n)
            }
        });
        let mut events: Vec<Event> = vec![
            InstanceCreated {
                instance_id: id.clone(),
                instance_charge_type: if expired_time.is_some() {
                    ChargeType::PrePaid
                } else {
                    ChargeType::PostPaid
                },
                expired_time,
                deletion_protection: spec.deletion_protection,
                ready_at: if ready {
                    now
                } else {
                    now.add_secs(i64::from(self.durations.create_secs))
                        .unwrap_or(now)
                },
                instance_name: String::new(),
                instance_type: String::new(),
                image_id: String::new(),
                region_id: String::new(),
                zone_id: String::new(),
                description: String::new(),
            }
            .into(),
        ];
        // A subscription's disks are billed with it.
        let disk_charge_type = if expired_time.is_some() {
            ChargeType::PrePaid
        } else {
            ChargeType::PostPaid
        };
        let disks = std::iter::once((DiskType::System, spec.system_size, true, false))
            .chain(spec.data.iter().map(|d| (DiskType::Data, d.0, d.1, d.2)));
        for (disk_type, size, delete_with_instance, delete_auto_snapshot) in disks {
            let disk_id =
                DiskId::parse(&format!("d-{}", self.fresh())).unwrap_or_else(|_| unreachable!());
            events.push(
                DiskCreated {
                    disk_id,
                    instance_id: Some(id.clone()),
                    disk_type,
                    size,
                    category: "cloud_efficiency".into(),
                    delete_with_instance,
                    delete_auto_snapshot,
                    disk_charge_type,
                    disk_name: String::new(),
                }
                .into(),
            );
        }
        if ready {
            events.push(status(
                &id,
                InstanceStatus::Pending,
                InstanceStatus::Stopped,
            ));
        }
        self.given(events);
        id
    }

    /// Given: a `Running` instance (see [`Scenario::given_stopped_instance`]).
    pub fn given_running_instance(&mut self, params: &[(&str, &str)]) -> InstanceId {
        let id = self.given_stopped_instance(params);
        self.given([
            status(&id, InstanceStatus::Stopped, InstanceStatus::Starting),
            status(&id, InstanceStatus::Starting, InstanceStatus::Running),
        ]);
        id
    }

    /// Given: the instance went from its status to `to` (a finished transition).
    pub fn given_status(&mut self, id: &InstanceId, to: InstanceStatus) {
        let from = self
            .state()
            .instances
            .get(id)
            .map(|i| i.status)
            .unwrap_or(InstanceStatus::Stopped);
        self.given([status(id, from, to)]);
    }

    /// Given: a snapshot of `disk`, `auto` or `user`.
    pub fn given_snapshot(&mut self, disk: &DiskId, auto: bool) -> SnapshotId {
        let id =
            SnapshotId::parse(&format!("s-{}", self.fresh())).unwrap_or_else(|_| unreachable!());
        let (source_disk_type, source_disk_size) = self
            .state()
            .disks
            .get(disk)
            .map(|d| (d.disk_type, d.size))
            .unwrap_or((DiskType::Data, 20));
        self.given([SnapshotCreated {
            snapshot_id: id.clone(),
            disk_id: disk.clone(),
            snapshot_type: if auto {
                SnapshotType::Auto
            } else {
                SnapshotType::User
            },
            source_disk_type,
            source_disk_size,
            snapshot_name: String::new(),
        }
        .into()]);
        id
    }

    /// Given: a standalone `Available` data disk.
    pub fn given_disk(&mut self, size: u32) -> DiskId {
        let id = DiskId::parse(&format!("d-{}", self.fresh())).unwrap_or_else(|_| unreachable!());
        self.given([DiskCreated {
            disk_id: id.clone(),
            instance_id: None,
            disk_type: DiskType::Data,
            size,
            category: "cloud_efficiency".into(),
            delete_with_instance: false,
            delete_auto_snapshot: false,
            disk_charge_type: ChargeType::PostPaid,
            disk_name: String::new(),
        }
        .into()]);
        id
    }

    /// Given: a lock on an instance.
    pub fn given_lock(&mut self, id: &InstanceId, reason: LockReason) {
        self.given([InstanceLocked {
            instance_id: id.clone(),
            lock_reason: reason,
            lock_msg: String::new(),
        }
        .into()]);
    }

    /// Given: a route entry in `table` for `cidr` whose next hop is `id`.
    pub fn given_route(&mut self, table: &str, cidr: &str, id: &InstanceId) {
        let route_table_id = RouteTableId::parse(table).unwrap_or_else(|e| panic!("{table}: {e}"));
        self.given([RouteEntryCreated {
            route_table_id,
            destination_cidr_block: cidr.into(),
            next_hop_id: id.clone(),
            next_hop_type: NextHopType::Instance,
        }
        .into()]);
    }

    /// Given: the route entry of `table` for `cidr` was removed.
    pub fn given_route_removed(&mut self, table: &str, cidr: &str) {
        let route_table_id = RouteTableId::parse(table).unwrap_or_else(|e| panic!("{table}: {e}"));
        let next_hop_id = self
            .state()
            .route_tables
            .get(&route_table_id)
            .and_then(|t| t.entries.get(cidr).cloned())
            .unwrap_or_else(|| panic!("no route {cidr} in {table}"));
        self.given([crate::model::event::RouteEntryDeleted {
            route_table_id,
            destination_cidr_block: cidr.into(),
            next_hop_id,
        }
        .into()]);
    }

    /// Given: `id` is no longer a backend server of load balancer `lb`.
    pub fn given_backend_removed(&mut self, lb: &str, id: &InstanceId) {
        let load_balancer_id = LoadBalancerId::parse(lb).unwrap_or_else(|e| panic!("{lb}: {e}"));
        self.given([crate::model::event::BackendServerRemoved {
            load_balancer_id,
            server_id: id.clone(),
        }
        .into()]);
    }

    /// Given: `id` was released (with its disks, as a plain release would).
    pub fn given_released(&mut self, id: &InstanceId) {
        let disks = self.disks_of(id);
        let mut events: Vec<Event> = vec![
            crate::model::event::InstanceReleased {
                instance_id: id.clone(),
                previous_status: InstanceStatus::Stopped,
                forced: false,
                security_locked: false,
            }
            .into(),
        ];
        for disk_id in disks {
            events.push(
                crate::model::event::DiskReleased {
                    disk_id,
                    instance_id: Some(id.clone()),
                    reason: crate::model::values::DiskReleaseReason::DeleteWithInstance,
                }
                .into(),
            );
        }
        self.given(events);
    }

    /// Given: `id` is a backend server of load balancer `lb`.
    pub fn given_backend(&mut self, lb: &str, id: &InstanceId) {
        let load_balancer_id = LoadBalancerId::parse(lb).unwrap_or_else(|e| panic!("{lb}: {e}"));
        self.given([BackendServerAdded {
            load_balancer_id,
            server_id: id.clone(),
            weight: 100,
        }
        .into()]);
    }

    /// The attached disks of an instance, system disk first.
    pub fn disks_of(&self, instance: &InstanceId) -> Vec<DiskId> {
        self.state()
            .instances
            .get(instance)
            .map(|i| i.disks.clone())
            .unwrap_or_default()
    }
}

/// A finished status transition.
fn status(id: &InstanceId, from: InstanceStatus, to: InstanceStatus) -> Event {
    InstanceStatusChanged {
        instance_id: id.clone(),
        from,
        to,
        reason: match to {
            InstanceStatus::Running => StatusReason::Started,
            InstanceStatus::Starting => StatusReason::StartInstance,
            InstanceStatus::Stopping => StatusReason::StopInstance,
            _ => StatusReason::Created,
        },
        until: None,
    }
    .into()
}

/// What a given instance has, from CreateInstance-style parameters.
struct Spec {
    system_size: u32,
    /// (size, DeleteWithInstance, DeleteAutoSnapshot) per data disk, in order.
    data: Vec<(u32, bool, bool)>,
    /// PrePaid: the subscription's length, in months or (Week) weeks.
    prepaid: Option<(u32, bool)>,
    deletion_protection: bool,
}

impl Spec {
    fn of(params: &[(&str, &str)]) -> Spec {
        let get = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let yes =
            |k: &str, default: bool| get(k).map_or(default, |v| v.eq_ignore_ascii_case("true"));
        let mut data = Vec::new();
        for n in 1..=16 {
            let Some(size) = get(&format!("DataDisk.{n}.Size")).and_then(|v| v.parse().ok()) else {
                continue;
            };
            data.push((
                size,
                yes(&format!("DataDisk.{n}.DeleteWithInstance"), true),
                yes(&format!("DataDisk.{n}.DeleteAutoSnapshot"), false),
            ));
        }
        Spec {
            system_size: get("SystemDisk.Size")
                .and_then(|v| v.parse().ok())
                .unwrap_or(40),
            data,
            prepaid: (get("InstanceChargeType") == Some("PrePaid")).then(|| {
                (
                    get("Period").and_then(|v| v.parse().ok()).unwrap_or(1),
                    get("PeriodUnit") == Some("Week"),
                )
            }),
            deletion_protection: yes("DeletionProtection", false),
        }
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
            server_id: i.clone(),
        }
        .into(),
        InstanceReleasePending {
            instance_id: i.clone(),
        }
        .into(),
        InstanceReleaseTriggered {
            instance_id: i.clone(),
            trigger: ReleaseTrigger::Request,
            caused_by: Some(RequestId::from_uuid(uuid::Uuid::nil())),
        }
        .into(),
        AutoReleaseTimeChanged {
            instance_id: i.clone(),
            auto_release_time: Some(at),
        }
        .into(),
        InstanceChargeTypeChanged {
            instance_id: i.clone(),
            instance_charge_type: ChargeType::PostPaid,
            expired_time: None,
        }
        .into(),
        DiskChargeTypeChanged {
            disk_id: d,
            instance_id: i,
            disk_charge_type: ChargeType::PostPaid,
        }
        .into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event's own fields must not hide the envelope's keys in its JSON.
    #[test]
    fn no_event_field_collides_with_an_envelope_key() {
        let all = sample_events();
        let names: std::collections::BTreeSet<&str> = all.iter().map(|e| e.type_name()).collect();
        assert_eq!(
            names.len(),
            Event::TYPE_NAMES.len(),
            "a sample of every event type"
        );
        for event in all {
            if let serde_json::Value::Object(fields) = event.fields_json() {
                for key in ["Seq", "Time", "Type", "RequestId", "Account", "EventId"] {
                    assert!(
                        !fields.contains_key(key),
                        "{} has a field {key}",
                        event.type_name()
                    );
                }
            }
        }
    }
}
