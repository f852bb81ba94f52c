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

use ecs_ledger::model::event::{Event, Recorded};
use ecs_ledger::model::testing::Scenario;
use ecs_ledger::model::{Code, State};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Create {
        data: Vec<(bool, bool)>,
        prepaid: bool,
        protect: bool,
    },
    Start(u8),
    Stop(u8),
    Delete {
        i: u8,
        force: bool,
        dry: bool,
    },
    DeleteMany(Vec<u8>, bool),
    Lock(u8, u8),
    Unlock(u8, u8),
    Protect(u8, bool),
    Renew(u8),
    CreateDisk,
    Attach(u8, u8, bool),
    Detach(u8, u8),
    DeleteDisk(u8),
    ModifyDisk(u8, Option<bool>, Option<bool>),
    Snapshot(u8, bool),
    DeleteSnapshot(u8),
    Route(u8, u8),
    DeleteRoute(u8),
    Backend(u8),
    RemoveBackend(u8),
    Advance(u32),
    SwitchAccount(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let b = any::<bool>;
    let ob = || proptest::option::of(any::<bool>());
    prop_oneof![
        3 => (proptest::collection::vec((b(), b()), 0..3), b(), b())
            .prop_map(|(data, prepaid, protect)| Op::Create { data, prepaid, protect: protect && !prepaid }),
        2 => any::<u8>().prop_map(Op::Start),
        2 => any::<u8>().prop_map(Op::Stop),
        3 => (any::<u8>(), b(), b()).prop_map(|(i, force, dry)| Op::Delete { i, force, dry }),
        1 => (proptest::collection::vec(any::<u8>(), 1..4), b()).prop_map(|(v, f)| Op::DeleteMany(v, f)),
        1 => (any::<u8>(), 0u8..5).prop_map(|(i, r)| Op::Lock(i, r)),
        1 => (any::<u8>(), 0u8..5).prop_map(|(i, r)| Op::Unlock(i, r)),
        1 => (any::<u8>(), b()).prop_map(|(i, v)| Op::Protect(i, v)),
        1 => any::<u8>().prop_map(Op::Renew),
        1 => Just(Op::CreateDisk),
        1 => (any::<u8>(), any::<u8>(), b()).prop_map(|(d, i, w)| Op::Attach(d, i, w)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(d, i)| Op::Detach(d, i)),
        1 => any::<u8>().prop_map(Op::DeleteDisk),
        1 => (any::<u8>(), ob(), ob()).prop_map(|(d, a, c)| Op::ModifyDisk(d, a, c)),
        2 => (any::<u8>(), b()).prop_map(|(d, a)| Op::Snapshot(d, a)),
        1 => any::<u8>().prop_map(Op::DeleteSnapshot),
        1 => (any::<u8>(), 0u8..3).prop_map(|(i, c)| Op::Route(i, c)),
        1 => (0u8..3).prop_map(Op::DeleteRoute),
        1 => any::<u8>().prop_map(Op::Backend),
        1 => any::<u8>().prop_map(Op::RemoveBackend),
        2 => prop_oneof![0u32..10, Just(3600 * 24 * 8), Just(3600 * 24 * 40)].prop_map(Op::Advance),
        1 => b().prop_map(Op::SwitchAccount),
    ]
}

/// Every id ever created, by kind, so ops can name live and released resources alike.
#[derive(Default)]
struct Pools {
    instances: Vec<String>,
    disks: Vec<String>,
    snapshots: Vec<String>,
}

impl Pools {
    fn learn(&mut self, events: &[Recorded]) {
        for r in events {
            match &r.event {
                Event::InstanceCreated(e) => self.instances.push(e.instance_id.to_string()),
                Event::DiskCreated(e) => self.disks.push(e.disk_id.to_string()),
                Event::SnapshotCreated(e) => self.snapshots.push(e.snapshot_id.to_string()),
                _ => {}
            }
        }
    }
    fn pick(pool: &[String], n: u8) -> String {
        if pool.is_empty() {
            "i-nothingyet01".to_owned()
        } else {
            pool[n as usize % pool.len()].clone()
        }
    }
}

const REASONS: [&str; 5] = [
    "security",
    "financial",
    "Recycling",
    "dedicatedhostfinancial",
    "refunded",
];
const CIDRS: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

fn apply(s: &mut Scenario, pools: &mut Pools, op: &Op) {
    let inst = |n: u8| Pools::pick(&pools.instances, n);
    let disk = |n: u8| Pools::pick(&pools.disks, n);
    let snap = |n: u8| Pools::pick(&pools.snapshots, n);
    let owned: Vec<(String, String)> = match op {
        Op::Create {
            data,
            prepaid,
            protect,
        } => {
            let mut p = vec![];
            for (n, (dwi, das)) in data.iter().enumerate() {
                p.push((format!("DataDisk.{}.Size", n + 1), "20".into()));
                p.push((
                    format!("DataDisk.{}.DeleteWithInstance", n + 1),
                    dwi.to_string(),
                ));
                p.push((
                    format!("DataDisk.{}.DeleteAutoSnapshot", n + 1),
                    das.to_string(),
                ));
            }
            if *prepaid {
                p.push(("InstanceChargeType".into(), "PrePaid".into()));
                p.push(("Period".into(), "1".into()));
                p.push(("PeriodUnit".into(), "Week".into()));
            }
            if *protect {
                p.push(("DeletionProtection".into(), "true".into()));
            }
            return run(s, pools, "CreateInstance", p);
        }
        Op::Start(i) => vec![("InstanceId".into(), inst(*i))],
        Op::Stop(i) => vec![("InstanceId".into(), inst(*i))],
        Op::Delete { i, force, dry } => vec![
            ("InstanceId".into(), inst(*i)),
            ("Force".into(), force.to_string()),
            ("DryRun".into(), dry.to_string()),
        ],
        Op::DeleteMany(is, force) => {
            let mut seen = BTreeSet::new();
            let mut p: Vec<(String, String)> = is
                .iter()
                .map(|i| inst(*i))
                .filter(|id| seen.insert(id.clone()))
                .enumerate()
                .map(|(n, id)| (format!("InstanceId.{}", n + 1), id))
                .collect();
            p.push(("Force".into(), force.to_string()));
            return run(s, pools, "DeleteInstances", p);
        }
        Op::Lock(i, r) => vec![
            ("InstanceId".into(), inst(*i)),
            ("LockReason".into(), REASONS[*r as usize].into()),
        ],
        Op::Unlock(i, r) => {
            return run(
                s,
                pools,
                "UnlockInstance",
                vec![
                    ("InstanceId".into(), inst(*i)),
                    ("LockReason".into(), REASONS[*r as usize].into()),
                ],
            );
        }
        Op::Protect(i, v) => {
            return run(
                s,
                pools,
                "ModifyInstanceAttribute",
                vec![
                    ("InstanceId".into(), inst(*i)),
                    ("DeletionProtection".into(), v.to_string()),
                ],
            );
        }
        Op::Renew(i) => {
            return run(
                s,
                pools,
                "RenewInstance",
                vec![
                    ("InstanceId".into(), inst(*i)),
                    ("Period".into(), "1".into()),
                ],
            );
        }
        Op::CreateDisk => return run(s, pools, "CreateDisk", vec![("Size".into(), "20".into())]),
        Op::Attach(d, i, w) => {
            return run(
                s,
                pools,
                "AttachDisk",
                vec![
                    ("DiskId".into(), disk(*d)),
                    ("InstanceId".into(), inst(*i)),
                    ("DeleteWithInstance".into(), w.to_string()),
                ],
            );
        }
        Op::Detach(d, i) => {
            return run(
                s,
                pools,
                "DetachDisk",
                vec![("DiskId".into(), disk(*d)), ("InstanceId".into(), inst(*i))],
            );
        }
        Op::DeleteDisk(d) => return run(s, pools, "DeleteDisk", vec![("DiskId".into(), disk(*d))]),
        Op::ModifyDisk(d, a, b) => {
            let mut p = vec![("DiskId".into(), disk(*d))];
            if let Some(a) = a {
                p.push(("DeleteWithInstance".into(), a.to_string()));
            }
            if let Some(b) = b {
                p.push(("DeleteAutoSnapshot".into(), b.to_string()));
            }
            return run(s, pools, "ModifyDiskAttribute", p);
        }
        Op::Snapshot(d, auto) => {
            let action = if *auto {
                "CreateAutoSnapshot"
            } else {
                "CreateSnapshot"
            };
            return run(s, pools, action, vec![("DiskId".into(), disk(*d))]);
        }
        Op::DeleteSnapshot(n) => {
            return run(
                s,
                pools,
                "DeleteSnapshot",
                vec![("SnapshotId".into(), snap(*n))],
            );
        }
        Op::Route(i, c) => {
            return run(
                s,
                pools,
                "CreateRouteEntry",
                vec![
                    ("RouteTableId".into(), "vtb-proptest001".into()),
                    ("DestinationCidrBlock".into(), CIDRS[*c as usize].into()),
                    ("NextHopId".into(), inst(*i)),
                ],
            );
        }
        Op::DeleteRoute(c) => {
            return run(
                s,
                pools,
                "DeleteRouteEntry",
                vec![
                    ("RouteTableId".into(), "vtb-proptest001".into()),
                    ("DestinationCidrBlock".into(), CIDRS[*c as usize].into()),
                ],
            );
        }
        Op::Backend(i) => {
            return run(
                s,
                pools,
                "AddBackendServers",
                vec![
                    ("LoadBalancerId".into(), "lb-proptest0001".into()),
                    ("BackendServers".into(), format!(r#"["{}"]"#, inst(*i))),
                ],
            );
        }
        Op::RemoveBackend(i) => {
            return run(
                s,
                pools,
                "RemoveBackendServers",
                vec![
                    ("LoadBalancerId".into(), "lb-proptest0001".into()),
                    ("BackendServers".into(), format!(r#"["{}"]"#, inst(*i))),
                ],
            );
        }
        Op::Advance(secs) => {
            let events = s.advance(i64::from(*secs));
            pools.learn(&events);
            return;
        }
        Op::SwitchAccount(b) => {
            s.as_account(if *b { "default" } else { "other" });
            return;
        }
    };
    let action = match op {
        Op::Start(_) => "StartInstance",
        Op::Stop(_) => "StopInstance",
        Op::Delete { .. } => "DeleteInstance",
        Op::Lock(..) => "LockInstance",
        _ => unreachable!("handled above"),
    };
    run(s, pools, action, owned);
}

fn run(s: &mut Scenario, pools: &mut Pools, action: &str, params: Vec<(String, String)>) {
    let before = s.log.len();
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let result = s.run(action, &borrowed);
    if let Err(e) = &result {
        assert_ne!(e.code(), Code::InternalError, "{action} {params:?}: {e}");
    }
    pools.learn(&s.log[before..]);
}

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
            for i in s.state.instances.values() {
                prop_assert!(i.next_due().is_none_or(|t| t > s.now), "{} overdue", i.id);
            }
        }
        // Folding the log reproduces the live state.
        prop_assert_eq!(&State::fold(&s.log), &s.state);
        // Seq is gapless from 1.
        for (n, r) in s.log.iter().enumerate() {
            prop_assert_eq!(r.seq, n as u64 + 1);
        }
        check_released_never_touched(&s.log);
        check_tag_rebuild(&s.state, &s.log);
    }
}
