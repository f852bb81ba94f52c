//! A random workload over every command, for property tests: ops name
//! resources by index into pools of every id ever created, so they hit live
//! and released resources alike. An op becomes a [`Step`], which the pure
//! model ([`Scenario`]) or the ledger can run.
#![allow(dead_code)]

use std::collections::BTreeSet;

use ecs_ledger::core::testing::Scenario;
use ecs_ledger::model::Code;
use ecs_ledger::model::event::{Event, Recorded};
use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Op {
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

pub fn op() -> impl Strategy<Value = Op> {
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
pub struct Pools {
    pub instances: Vec<String>,
    pub disks: Vec<String>,
    pub snapshots: Vec<String>,
}

impl Pools {
    pub fn learn(&mut self, events: &[Recorded]) {
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

/// What an op does.
#[derive(Debug, Clone)]
pub enum Step {
    Request {
        action: &'static str,
        params: Vec<(String, String)>,
    },
    Advance(u32),
    Account(&'static str),
}

const REASONS: [&str; 5] = [
    "security",
    "financial",
    "Recycling",
    "dedicatedhostfinancial",
    "refunded",
];
const CIDRS: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

fn p(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

pub fn step(op: &Op, pools: &Pools) -> Step {
    let inst = |n: u8| Pools::pick(&pools.instances, n);
    let disk = |n: u8| Pools::pick(&pools.disks, n);
    let snap = |n: u8| Pools::pick(&pools.snapshots, n);
    let req =
        |action: &'static str, params: Vec<(String, String)>| Step::Request { action, params };
    match op {
        Op::Create {
            data,
            prepaid,
            protect,
        } => {
            let mut v = vec![];
            for (n, (dwi, das)) in data.iter().enumerate() {
                v.push((format!("DataDisk.{}.Size", n + 1), "20".to_owned()));
                v.push((
                    format!("DataDisk.{}.DeleteWithInstance", n + 1),
                    dwi.to_string(),
                ));
                v.push((
                    format!("DataDisk.{}.DeleteAutoSnapshot", n + 1),
                    das.to_string(),
                ));
            }
            if *prepaid {
                v.extend(p(&[
                    ("InstanceChargeType", "PrePaid".into()),
                    ("Period", "1".into()),
                    ("PeriodUnit", "Week".into()),
                ]));
            }
            if *protect {
                v.push(("DeletionProtection".into(), "true".into()));
            }
            req("CreateInstance", v)
        }
        Op::Start(i) => req("StartInstance", p(&[("InstanceId", inst(*i))])),
        Op::Stop(i) => req("StopInstance", p(&[("InstanceId", inst(*i))])),
        Op::Delete { i, force, dry } => req(
            "DeleteInstance",
            p(&[
                ("InstanceId", inst(*i)),
                ("Force", force.to_string()),
                ("DryRun", dry.to_string()),
            ]),
        ),
        Op::DeleteMany(is, force) => {
            let mut seen = BTreeSet::new();
            let mut v: Vec<(String, String)> = is
                .iter()
                .map(|i| inst(*i))
                .filter(|id| seen.insert(id.clone()))
                .enumerate()
                .map(|(n, id)| (format!("InstanceId.{}", n + 1), id))
                .collect();
            v.push(("Force".into(), force.to_string()));
            req("DeleteInstances", v)
        }
        Op::Lock(i, r) => req(
            "LockInstance",
            p(&[
                ("InstanceId", inst(*i)),
                ("LockReason", REASONS[*r as usize].into()),
            ]),
        ),
        Op::Unlock(i, r) => req(
            "UnlockInstance",
            p(&[
                ("InstanceId", inst(*i)),
                ("LockReason", REASONS[*r as usize].into()),
            ]),
        ),
        Op::Protect(i, v) => req(
            "ModifyInstanceAttribute",
            p(&[
                ("InstanceId", inst(*i)),
                ("DeletionProtection", v.to_string()),
            ]),
        ),
        Op::Renew(i) => req(
            "RenewInstance",
            p(&[("InstanceId", inst(*i)), ("Period", "1".into())]),
        ),
        Op::CreateDisk => req("CreateDisk", p(&[("Size", "20".into())])),
        Op::Attach(d, i, w) => req(
            "AttachDisk",
            p(&[
                ("DiskId", disk(*d)),
                ("InstanceId", inst(*i)),
                ("DeleteWithInstance", w.to_string()),
            ]),
        ),
        Op::Detach(d, i) => req(
            "DetachDisk",
            p(&[("DiskId", disk(*d)), ("InstanceId", inst(*i))]),
        ),
        Op::DeleteDisk(d) => req("DeleteDisk", p(&[("DiskId", disk(*d))])),
        Op::ModifyDisk(d, a, b) => {
            let mut v = p(&[("DiskId", disk(*d))]);
            if let Some(a) = a {
                v.push(("DeleteWithInstance".into(), a.to_string()));
            }
            if let Some(b) = b {
                v.push(("DeleteAutoSnapshot".into(), b.to_string()));
            }
            req("ModifyDiskAttribute", v)
        }
        Op::Snapshot(d, auto) => req(
            if *auto {
                "CreateAutoSnapshot"
            } else {
                "CreateSnapshot"
            },
            p(&[("DiskId", disk(*d))]),
        ),
        Op::DeleteSnapshot(n) => req("DeleteSnapshot", p(&[("SnapshotId", snap(*n))])),
        Op::Route(i, c) => req(
            "CreateRouteEntry",
            p(&[
                ("RouteTableId", "vtb-proptest001".into()),
                ("DestinationCidrBlock", CIDRS[*c as usize].into()),
                ("NextHopId", inst(*i)),
            ]),
        ),
        Op::DeleteRoute(c) => req(
            "DeleteRouteEntry",
            p(&[
                ("RouteTableId", "vtb-proptest001".into()),
                ("DestinationCidrBlock", CIDRS[*c as usize].into()),
            ]),
        ),
        Op::Backend(i) => req(
            "AddBackendServers",
            p(&[
                ("LoadBalancerId", "lb-proptest0001".into()),
                ("BackendServers", format!(r#"["{}"]"#, inst(*i))),
            ]),
        ),
        Op::RemoveBackend(i) => req(
            "RemoveBackendServers",
            p(&[
                ("LoadBalancerId", "lb-proptest0001".into()),
                ("BackendServers", format!(r#"["{}"]"#, inst(*i))),
            ]),
        ),
        Op::Advance(secs) => Step::Advance(*secs),
        Op::SwitchAccount(b) => Step::Account(if *b { "default" } else { "other" }),
    }
}

/// Runs an op on the pure model, checking that no decision is an internal error.
pub fn apply(s: &mut Scenario, pools: &mut Pools, op: &Op) {
    match step(op, pools) {
        Step::Request { action, params } => {
            let before = s.log.len();
            let borrowed: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if let Err(e) = s.run(action, &borrowed) {
                assert_ne!(e.code(), Code::InternalError, "{action} {params:?}: {e}");
            }
            pools.learn(&s.log[before..]);
        }
        Step::Advance(secs) => {
            let events = s.advance(i64::from(secs));
            pools.learn(&events);
        }
        Step::Account(a) => {
            s.as_account(a);
        }
    }
}
