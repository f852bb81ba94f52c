//! Checked events folded into the driver's fold, the oracle and the pools;
//! the per-step invariants on what they touched.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::Driver;
use crate::model::State;
use crate::model::event::{Event, Recorded};
use crate::model::state::{Disk, Instance, LoadBalancer, RouteTable, Snapshot, evolve};
use crate::model::values::{ChargeType, DiskType, SnapshotReleaseReason, SnapshotType};
use crate::sim::failure::Failure;
use crate::sim::oracle::{ODisk, OInstance, OSnapshot, Owned};
use crate::sim::workload::account_index;

/// Every id the run created, as a 64-bit fingerprint: a long run creates
/// hundreds of thousands, and "no id is created twice" and "a new id is
/// fresh" need them all. (Two ids sharing a fingerprint would be reported
/// as created twice: about one chance in 10^7 for a million ids.)
#[derive(Debug, Default)]
pub(super) struct Lifecycle {
    created: HashSet<u64>,
}

fn fingerprint(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Lifecycle {
    /// True for an id never created in this run.
    pub(super) fn is_fresh(&self, id: &str) -> bool {
        !self.created.contains(&fingerprint(id))
    }
}

fn created_id(event: &Event) -> Option<&str> {
    match event {
        Event::InstanceCreated(e) => Some(e.instance_id.as_str()),
        Event::DiskCreated(e) => Some(e.disk_id.as_str()),
        Event::SnapshotCreated(e) => Some(e.snapshot_id.as_str()),
        _ => None,
    }
}

impl Driver {
    /// Folds checked events into the fold, the oracle and the pools, and
    /// checks the records each touched.
    pub(super) fn absorb(&mut self, events: &[Recorded]) -> Result<(), Failure> {
        for r in events {
            self.check_lifecycle(r)?;
            evolve(&mut self.folded, r)
                .map_err(|e| Failure::invariant(format!("the log does not fold: {e}")))?;
            self.oracle.apply(r);
            self.learn(r);
            if let Event::InstanceReleaseTriggered(e) = &r.event {
                self.counters.coverage.triggered(e.trigger);
            }
            for tag in r.event.tags().into_iter().flatten() {
                self.agree(tag)?;
                self.touched.insert(tag.to_owned());
                self.counters.checks += 1;
            }
        }
        Ok(())
    }

    /// No id created twice; nothing released that is not live (twice, or
    /// after its release); no retained snapshot released by a release.
    fn check_lifecycle(&mut self, r: &Recorded) -> Result<(), Failure> {
        if let Some(id) = created_id(&r.event)
            && !self.lifecycle.created.insert(fingerprint(id))
        {
            return Err(Failure::invariant(format!(
                "{id} created twice (seq {})",
                r.seq
            )));
        }
        let f = &self.folded;
        let (id, live) = match &r.event {
            Event::InstanceReleased(e) => (
                e.instance_id.as_str(),
                f.instances.contains_key(e.instance_id.as_str()),
            ),
            Event::DiskReleased(e) => {
                (e.disk_id.as_str(), f.disks.contains_key(e.disk_id.as_str()))
            }
            Event::SnapshotReleased(e) => {
                let snapshot = f.snapshots.get(e.snapshot_id.as_str());
                let by_a_release = e.reason == SnapshotReleaseReason::DeleteAutoSnapshot;
                if by_a_release && snapshot.is_some_and(|s| s.retained) {
                    let what = format!(
                        "retained snapshot {} released by a release (seq {})",
                        e.snapshot_id, r.seq
                    );
                    return Err(Failure::invariant(what));
                }
                (e.snapshot_id.as_str(), snapshot.is_some())
            }
            _ => return Ok(()),
        };
        if !live {
            return Err(Failure::invariant(format!(
                "{id} released twice (seq {})",
                r.seq
            )));
        }
        Ok(())
    }

    /// Keeps the pools' ids and live sets up to date.
    fn learn(&mut self, r: &Recorded) {
        let owner = account_index(r.account.as_str()).unwrap_or(0);
        let pools = &mut self.pools;
        match &r.event {
            Event::InstanceCreated(e) => pools.instances.created(e.instance_id.as_str(), owner),
            Event::DiskCreated(e) => pools.disks.created(e.disk_id.as_str(), owner),
            Event::SnapshotCreated(e) => pools.snapshots.created(e.snapshot_id.as_str(), owner),
            Event::InstanceReleased(e) => pools.instances.released(e.instance_id.as_str()),
            Event::DiskReleased(e) => pools.disks.released(e.disk_id.as_str()),
            Event::SnapshotReleased(e) => pools.snapshots.released(e.snapshot_id.as_str()),
            _ => {}
        }
    }

    /// The oracle's record of `tag` equals the fold of the log's (both
    /// absent is equal too).
    pub(super) fn agree(&self, tag: &str) -> Result<(), Failure> {
        let (o, f) = (&self.oracle, &self.folded);
        let (what, same) = match tag.split('-').next() {
            Some("i") => (
                "instance",
                same_as(o.instances.get(tag), f.instances.get(tag), same_instance),
            ),
            Some("d") => (
                "disk",
                same_as(o.disks.get(tag), f.disks.get(tag), same_disk),
            ),
            Some("s") => (
                "snapshot",
                same_as(o.snapshots.get(tag), f.snapshots.get(tag), same_snapshot),
            ),
            Some("vtb") => (
                "route table",
                same_as(o.tables.get(tag), f.route_tables.get(tag), same_table),
            ),
            Some("lb") => (
                "load balancer",
                same_as(o.lbs.get(tag), f.load_balancers.get(tag), same_lb),
            ),
            _ => return Ok(()),
        };
        if same {
            return Ok(());
        }
        Err(Failure::invariant(format!(
            "the oracle and the log disagree on {what} {tag}"
        )))
    }

    /// After a step (a whole group commit): the ledger's live records are
    /// the fold of the log for every record the step touched.
    pub(super) fn check_inventory(&mut self) -> Result<(), Failure> {
        let Some(ledger) = &self.ledger else {
            return Err(Failure::Ledger("the ledger is not open".into()));
        };
        let live = ledger.world().state();
        let differs = self
            .touched
            .iter()
            .find(|t| !same_record(live, &self.folded, t));
        if let Some(tag) = differs {
            let what = format!("the live record {tag} is not the fold of the log");
            return Err(Failure::invariant(what));
        }
        self.counters.checks += self.touched.len() as u64;
        self.touched.clear();
        Ok(())
    }
}

/// One record (any kind) is the same in two states (or absent from both).
fn same_record(a: &State, b: &State, tag: &str) -> bool {
    a.instances.get(tag) == b.instances.get(tag)
        && a.disks.get(tag) == b.disks.get(tag)
        && a.snapshots.get(tag) == b.snapshots.get(tag)
        && a.route_tables.get(tag) == b.route_tables.get(tag)
        && a.load_balancers.get(tag) == b.load_balancers.get(tag)
}

fn same_as<A, B>(a: Option<&A>, b: Option<&B>, same: fn(&A, &B) -> bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    }
}

fn same_instance(a: &OInstance, b: &Instance) -> bool {
    let disks = a
        .disks
        .iter()
        .map(String::as_str)
        .eq(b.disks.iter().map(|d| d.as_str()));
    let routes = a
        .routes
        .iter()
        .map(|(t, c)| (t.as_str(), c.as_str()))
        .eq(b.routes.iter().map(|(t, c)| (t.as_str(), c.as_str())));
    let lbs = a
        .lbs
        .iter()
        .map(String::as_str)
        .eq(b.load_balancers.iter().map(|l| l.as_str()));
    a.account == b.account.as_str()
        && a.status == b.status
        && a.until == b.status_until
        && a.prepaid == (b.charge_type == ChargeType::PrePaid)
        && a.expiry == b.expired_time
        && a.expired == b.expired
        && a.protection == b.deletion_protection
        && a.locks == b.locks
        && a.auto_release == b.auto_release_time
        && a.pending == b.pending_release
        && disks
        && routes
        && lbs
}

fn same_disk(a: &ODisk, b: &Disk) -> bool {
    let snapshots = a
        .snapshots
        .iter()
        .map(String::as_str)
        .eq(b.snapshots.iter().map(|s| s.as_str()));
    a.account == b.account.as_str()
        && a.system == (b.disk_type == DiskType::System)
        && a.instance.as_deref() == b.instance_id.as_ref().map(|i| i.as_str())
        && a.size == b.size
        && a.dwi == b.delete_with_instance
        && a.das == b.delete_auto_snapshot
        && a.prepaid == (b.charge_type == ChargeType::PrePaid)
        && snapshots
}

fn same_snapshot(a: &OSnapshot, b: &Snapshot) -> bool {
    a.account == b.account.as_str()
        && a.auto == (b.snapshot_type == SnapshotType::Auto)
        && a.disk == b.source_disk_id.as_str()
        && a.retained == b.retained
}

fn same_table(a: &Owned<String>, b: &RouteTable) -> bool {
    a.owner == b.account.as_str()
        && a.entries
            .iter()
            .map(|(c, i)| (c.as_str(), i.as_str()))
            .eq(b.entries.iter().map(|(c, i)| (c.as_str(), i.as_str())))
}

fn same_lb(a: &Owned<u32>, b: &LoadBalancer) -> bool {
    a.owner == b.account.as_str()
        && a.entries
            .iter()
            .map(|(i, w)| (i.as_str(), *w))
            .eq(b.servers.iter().map(|(i, w)| (i.as_str(), *w)))
}
