//! Property tests over random command sequences (proptest):
//!
//! * folding the emitted events reproduces the live state;
//! * a released resource is never touched again by a later request;
//! * a retained snapshot is never released by a release (only by DeleteSnapshot);
//! * every record is rebuilt exactly from the events carrying its tag alone
//!   (the invariant the ledger's tag-index loading relies on);
//! * no decision on a complete state is ever an internal error;
//! * after any action no transition is left overdue.

use std::collections::{BTreeMap, BTreeSet};

use ecs_ledger::core::testing::Scenario;
use ecs_ledger::model::State;
use ecs_ledger::model::event::{Event, Recorded};
use proptest::prelude::*;

mod common;
use common::workload::{Pools, apply, op};

/// The record of `tag` rebuilt from only the events carrying that tag.
fn check_tag_rebuild(full: &State, log: &[Recorded]) {
    let mut by_tag: BTreeMap<&str, Vec<&Recorded>> = BTreeMap::new();
    for r in log {
        for tag in r.event.tags().into_iter().flatten() {
            by_tag.entry(tag).or_default().push(r);
        }
    }
    let rebuilt = |tag: &str| {
        let mut st = State::fold(by_tag.get(tag).into_iter().flatten().copied());
        st.retain_tags(&BTreeSet::from([tag.to_owned()]));
        st
    };
    for (id, record) in &full.instances {
        assert_eq!(
            rebuilt(id.as_str()).instances.get(id),
            Some(record),
            "instance {id}"
        );
    }
    for (id, record) in &full.disks {
        let st = rebuilt(id.as_str());
        assert_eq!(st.disks.get(id), Some(record), "disk {id}");
        // The disk's events rebuild its snapshots too.
        for snap in &record.snapshots {
            assert_eq!(
                st.snapshots.get(snap),
                full.snapshots.get(snap),
                "snapshot {snap} via disk"
            );
        }
    }
    for (id, record) in &full.snapshots {
        assert_eq!(
            rebuilt(id.as_str()).snapshots.get(id),
            Some(record),
            "snapshot {id}"
        );
        assert_eq!(
            rebuilt(record.source_disk_id.as_str()).snapshots.get(id),
            Some(record),
            "snapshot {id} via its disk"
        );
    }
    for (id, record) in &full.route_tables {
        assert_eq!(
            rebuilt(id.as_str()).route_tables.get(id),
            Some(record),
            "route table {id}"
        );
    }
    for (id, record) in &full.load_balancers {
        assert_eq!(
            rebuilt(id.as_str()).load_balancers.get(id),
            Some(record),
            "lb {id}"
        );
    }
}

fn check_released_never_touched(log: &[Recorded]) {
    let mut released: BTreeMap<String, ecs_ledger::model::id::RequestId> = BTreeMap::new();
    let mut retained: BTreeSet<String> = BTreeSet::new();
    for r in log {
        for tag in r.event.tags().into_iter().flatten() {
            // The one later reference allowed: a retained snapshot naming its
            // released source disk when it is itself deleted (no disk changes).
            let source_ref =
                matches!(&r.event, Event::SnapshotReleased(e) if e.disk_id.as_str() == tag);
            if source_ref {
                continue;
            }
            if let Some(req) = released.get(tag) {
                assert_eq!(
                    *req, r.request_id,
                    "{tag} touched after its release by {:?}",
                    r.event
                );
            }
        }
        match &r.event {
            Event::InstanceReleased(e) => {
                released.insert(e.instance_id.to_string(), r.request_id);
            }
            Event::DiskReleased(e) => {
                released.insert(e.disk_id.to_string(), r.request_id);
            }
            Event::SnapshotReleased(e) => {
                let id = e.snapshot_id.to_string();
                if retained.contains(&id) {
                    assert_eq!(
                        e.reason,
                        ecs_ledger::model::values::SnapshotReleaseReason::DeleteSnapshot,
                        "retained snapshot {id} released by a release"
                    );
                }
                released.insert(id, r.request_id);
            }
            Event::SnapshotRetained(e) => {
                retained.insert(e.snapshot_id.to_string());
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s = Scenario::new();
        let mut pools = Pools::default();
        for op in &ops {
            apply(&mut s, &mut pools, op);
            // No transition is left overdue after an action.
            for i in s.state().instances.values() {
                prop_assert!(i.next_due().is_none_or(|t| t > s.now()), "{} overdue", i.id);
            }
        }
        // Folding the log reproduces the live state.
        prop_assert_eq!(&State::fold(&s.log), s.state());
        // Seq is gapless from 1.
        for (n, r) in s.log.iter().enumerate() {
            prop_assert_eq!(r.seq, n as u64 + 1);
        }
        check_released_never_touched(&s.log);
        check_tag_rebuild(s.state(), &s.log);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Every command decides the same on its declared read set as on the
    /// whole world: the read sets are complete (a decision reading a record
    /// it did not declare would differ here).
    #[test]
    fn every_read_set_covers_what_its_decision_reads(
        history in proptest::collection::vec(op(), 1..60),
        probes in proptest::collection::vec(op(), 1..30),
    ) {
        use common::workload::{Step, step};
        use ecs_ledger::model::ctx::{Ctx, IdSource};
        use ecs_ledger::model::params::Params;
        use ecs_ledger::model::Command;
        let mut s = Scenario::new();
        let mut pools = Pools::default();
        for op in &history {
            apply(&mut s, &mut pools, op);
        }
        for probe in &probes {
            let Step::Request { action, params } = step(probe, &pools) else { continue };
            let params = Params::from_pairs(params);
            let Ok(command) = Command::parse(action, &params) else { continue };
            let dry_run = Command::dry_run(&params).unwrap_or(false);
            for account in ["default", "acct-b"] {
                let ctx = || Ctx::new(
                    s.now(),
                    ecs_ledger::model::id::Account::parse(account).unwrap(),
                    IdSource::seeded(3, 9, 0),
                );
                let whole = command.decide_request(dry_run, s.state(), &ctx());
                let declared = command.decide_request(dry_run, &command.read_set().load(s.state()), &ctx());
                prop_assert_eq!(whole, declared, "{} {:?}", action, params);
            }
        }
    }
}
