//! The oracle's own fold: how each recorded event changes its records.

use std::collections::{BTreeMap, BTreeSet};

use super::{HISTORY_KEPT_SECS, History, ODisk, OInstance, OSnapshot, Oracle, Owned};
use crate::model::event::*;
use crate::model::id::RequestId;
use crate::model::time::Timestamp;
use crate::model::values::{
    ChargeType, DiskType, InstanceStatus, ReleaseTrigger, SnapshotType, StatusReason,
};

impl<V> Owned<V> {
    fn new(owner: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            entries: BTreeMap::new(),
        }
    }
}

impl Oracle {
    /// Folds one event (as the ledger recorded it) into the oracle's records.
    pub fn apply(&mut self, recorded: &Recorded) {
        let (account, event) = (recorded.account.as_str(), &recorded.event);
        let (request, at) = (recorded.request_id, recorded.time);
        match event {
            Event::InstanceCreated(e) => self.instance_created(account, e),
            Event::InstanceReleased(e) => self.instance_released(e),
            Event::DiskCreated(e) => self.disk_created(account, e),
            Event::DiskReleased(e) => self.disk_released(e),
            Event::SnapshotCreated(e) => self.snapshot_created(account, e),
            Event::SnapshotReleased(e) => self.snapshot_released(e),
            Event::RouteEntryCreated(_)
            | Event::RouteEntryDeleted(_)
            | Event::BackendServerAdded(_)
            | Event::BackendServerRemoved(_) => self.network_changed(account, event),
            Event::DiskAttached(_)
            | Event::DiskDetached(_)
            | Event::DiskAttributeChanged(_)
            | Event::SnapshotRetained(_) => self.storage_changed(event),
            Event::InstanceStatusChanged(_)
            | Event::InstanceExpired(_)
            | Event::InstanceLocked(_)
            | Event::InstanceUnlocked(_)
            | Event::InstanceAttributeChanged(_)
            | Event::InstanceRenewed(_) => self.instance_changed(account, recorded.time, event),
            Event::InstanceReleasePending(_)
            | Event::InstanceReleaseTriggered(_)
            | Event::AutoReleaseTimeChanged(_)
            | Event::InstanceChargeTypeChanged(_)
            | Event::DiskChargeTypeChanged(_) => {
                self.lifecycle_changed(account, request, at, event)
            }
        }
        // Whatever touched an instance may have moved its next due moment.
        if let Some(id) = event
            .tags()
            .into_iter()
            .flatten()
            .find(|t| t.starts_with("i-"))
        {
            self.retime(id);
        }
    }

    /// The events of the release lifecycle (docs/BEHAVIOUR.md §7).
    fn lifecycle_changed(
        &mut self,
        account: &str,
        request: RequestId,
        at: Timestamp,
        event: &Event,
    ) {
        match event {
            Event::InstanceReleasePending(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.pending = Some(request);
                }
            }
            Event::InstanceReleaseTriggered(e)
                if e.trigger == ReleaseTrigger::SubscriptionEnded =>
            {
                self.saw(account, History::ExpirationDelete, at);
            }
            Event::AutoReleaseTimeChanged(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.auto_release = e.auto_release_time;
                }
            }
            Event::InstanceChargeTypeChanged(e) => {
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.prepaid = e.instance_charge_type == ChargeType::PrePaid;
                    i.expiry = e.expired_time;
                    i.expired = false;
                    if i.prepaid {
                        i.auto_release = None;
                    }
                }
            }
            Event::DiskChargeTypeChanged(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.prepaid = e.disk_charge_type == ChargeType::PrePaid;
                }
            }
            _ => {}
        }
    }

    /// One more system event of `kind` on an instance of `account`, at
    /// `at`; those more than 30 days older are forgotten.
    fn saw(&mut self, account: &str, kind: History, at: Timestamp) {
        let kept = self.history.entry(account.to_owned()).or_default();
        kept.push_back((at, kind));
        while kept
            .front()
            .is_some_and(|(t, _)| t.add_secs(HISTORY_KEPT_SECS).is_some_and(|end| end < at))
        {
            kept.pop_front();
        }
    }

    fn instance_created(&mut self, account: &str, e: &InstanceCreated) {
        self.born += 1;
        self.instances.insert(
            e.instance_id.to_string(),
            OInstance {
                account: account.to_owned(),
                status: InstanceStatus::Pending,
                until: Some(e.ready_at),
                prepaid: e.instance_charge_type == ChargeType::PrePaid,
                expiry: e.expired_time,
                expired: false,
                protection: e.deletion_protection,
                locks: BTreeMap::new(),
                disks: Vec::new(),
                routes: BTreeSet::new(),
                lbs: BTreeSet::new(),
                born: self.born,
                timer: None,
                auto_release: None,
                pending: None,
            },
        );
    }

    fn instance_released(&mut self, e: &InstanceReleased) {
        let id = e.instance_id.as_str();
        if let Some(i) = self.instances.remove(id) {
            self.untime(id, i.timer);
        }
    }

    /// The events that change an instance's own attributes.
    fn instance_changed(&mut self, account: &str, at: Timestamp, event: &Event) {
        if let Event::InstanceStatusChanged(e) = event
            && e.reason == StatusReason::Expired
        {
            self.saw(account, History::ExpirationStop, at);
        }
        let Some(i) = event
            .tags()
            .into_iter()
            .flatten()
            .next()
            .and_then(|id| self.instances.get_mut(id))
        else {
            return;
        };
        match event {
            Event::InstanceStatusChanged(e) => {
                i.status = e.to;
                i.until = e.until;
            }
            Event::InstanceExpired(_) => i.expired = true,
            Event::InstanceLocked(e) => {
                i.locks.insert(e.lock_reason, e.lock_msg.clone());
            }
            Event::InstanceUnlocked(e) => {
                i.locks.remove(&e.lock_reason);
            }
            Event::InstanceAttributeChanged(e) => {
                if let Some(p) = e.deletion_protection {
                    i.protection = p;
                }
            }
            Event::InstanceRenewed(e) => {
                i.expiry = Some(e.expired_time);
                i.expired = false;
            }
            _ => {}
        }
    }

    fn disk_created(&mut self, account: &str, e: &DiskCreated) {
        let on = e.instance_id.as_ref().map(|i| i.to_string());
        if let Some(i) = on.as_ref().and_then(|i| self.instances.get_mut(i)) {
            i.disks.push(e.disk_id.to_string());
        }
        self.disks.insert(
            e.disk_id.to_string(),
            ODisk {
                account: account.to_owned(),
                system: e.disk_type == DiskType::System,
                instance: on,
                size: e.size,
                dwi: e.delete_with_instance,
                das: e.delete_auto_snapshot,
                prepaid: e.disk_charge_type == ChargeType::PrePaid,
                snapshots: Vec::new(),
            },
        );
    }

    fn disk_released(&mut self, e: &DiskReleased) {
        self.disks.remove(e.disk_id.as_str());
        if let Some(i) = e
            .instance_id
            .as_ref()
            .and_then(|i| self.instances.get_mut(i.as_str()))
        {
            i.disks.retain(|x| x != e.disk_id.as_str());
        }
    }

    /// Attachments and the attributes of disks and snapshots.
    fn storage_changed(&mut self, event: &Event) {
        match event {
            Event::DiskAttached(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.instance = Some(e.instance_id.to_string());
                    d.dwi = e.delete_with_instance;
                }
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.disks.push(e.disk_id.to_string());
                }
            }
            Event::DiskDetached(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.instance = None;
                    d.dwi = false;
                    d.prepaid = false;
                }
                if let Some(i) = self.instances.get_mut(e.instance_id.as_str()) {
                    i.disks.retain(|x| x != e.disk_id.as_str());
                }
            }
            Event::DiskAttributeChanged(e) => {
                if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
                    d.dwi = e.delete_with_instance.unwrap_or(d.dwi);
                    d.das = e.delete_auto_snapshot.unwrap_or(d.das);
                }
            }
            Event::SnapshotRetained(e) => {
                if let Some(s) = self.snapshots.get_mut(e.snapshot_id.as_str()) {
                    s.retained = true;
                }
            }
            _ => {}
        }
    }

    fn snapshot_created(&mut self, account: &str, e: &SnapshotCreated) {
        if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
            d.snapshots.push(e.snapshot_id.to_string());
        }
        self.snapshots.insert(
            e.snapshot_id.to_string(),
            OSnapshot {
                account: account.to_owned(),
                auto: e.snapshot_type == SnapshotType::Auto,
                disk: e.disk_id.to_string(),
                retained: false,
            },
        );
    }

    fn snapshot_released(&mut self, e: &SnapshotReleased) {
        self.snapshots.remove(e.snapshot_id.as_str());
        if let Some(d) = self.disks.get_mut(e.disk_id.as_str()) {
            d.snapshots.retain(|x| x != e.snapshot_id.as_str());
        }
    }

    /// Route entries and backend servers, on both sides: the table or load
    /// balancer, and the instance it points at.
    fn network_changed(&mut self, account: &str, event: &Event) {
        match event {
            Event::RouteEntryCreated(e) => {
                let (table, cidr) = (e.route_table_id.to_string(), &e.destination_cidr_block);
                let hop = e.next_hop_id.to_string();
                let entries = &mut self
                    .tables
                    .entry(table.clone())
                    .or_insert_with(|| Owned::new(account))
                    .entries;
                entries.insert(cidr.clone(), hop);
                if let Some(i) = self.instances.get_mut(e.next_hop_id.as_str()) {
                    i.routes.insert((table, cidr.clone()));
                }
            }
            Event::RouteEntryDeleted(e) => {
                let table = e.route_table_id.to_string();
                if let Some(t) = self.tables.get_mut(&table) {
                    t.entries.remove(&e.destination_cidr_block);
                }
                if let Some(i) = self.instances.get_mut(e.next_hop_id.as_str()) {
                    i.routes.remove(&(table, e.destination_cidr_block.clone()));
                }
            }
            Event::BackendServerAdded(e) => {
                let lb = e.load_balancer_id.to_string();
                let entries = &mut self
                    .lbs
                    .entry(lb.clone())
                    .or_insert_with(|| Owned::new(account))
                    .entries;
                entries.insert(e.server_id.to_string(), e.weight);
                if let Some(i) = self.instances.get_mut(e.server_id.as_str()) {
                    i.lbs.insert(lb);
                }
            }
            Event::BackendServerRemoved(e) => {
                let lb = e.load_balancer_id.to_string();
                if let Some(l) = self.lbs.get_mut(&lb) {
                    l.entries.remove(e.server_id.as_str());
                }
                if let Some(i) = self.instances.get_mut(e.server_id.as_str()) {
                    i.lbs.remove(&lb);
                }
            }
            _ => {}
        }
    }
}
