//! The release report: per account, what releases did, and what they left
//! that still costs money.
//!
//! A [`Projection`] (exactly once, checkpointed): `ecs-ledger report` catches
//! it up from its checkpoint, then reads it. Per account it counts instances
//! released (and of those, the ones the platform released: after an orderly
//! stop, at their automatic release time, at the end of an unrenewed
//! subscription), disks released vs detached and kept, snapshots released vs
//! retained; and it lists the retained snapshots and the kept disks that still
//! exist (a later DeleteSnapshot / DeleteDisk takes them off the list).
//!
//! Keys, under `p report 0x00`:
//!
//! | key | value |
//! |---|---|
//! | `n` + account | the counters (bincode of [`Counters`]) |
//! | `s` + account + `0x00` + snapshot id | a retained snapshot still alive (bincode of [`Retained`]) |
//! | `d` + account + `0x00` + disk id | a kept disk still alive (bincode of [`Kept`]) |
//! | `z` + disk id | the size of every live disk (u32 BE), to report kept disks' size |

use bincode::Options;
use serde::{Deserialize, Serialize};

use super::{Projection, ProjectionError, Store};
use crate::log::{keys, record};
use crate::model::event::{Event, Recorded};
use crate::model::id::Account;
use crate::model::time::Timestamp;
use crate::model::values::{
    DetachReason, DiskReleaseReason, ReleaseTrigger, SnapshotReleaseReason,
};
use crate::storage::Storage;

/// The projection's name.
pub const NAME: &str = "report";
/// The version of its stored data.
pub const VERSION: u32 = 2;

/// What releases did, for one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Instances released.
    pub instances_released: u64,
    /// Disks released with their instance.
    pub disks_released: u64,
    /// Disks detached from a released instance and kept.
    pub disks_kept: u64,
    /// Disks released on their own (DeleteDisk).
    pub disks_deleted: u64,
    /// Snapshots released with their disk (`DeleteAutoSnapshot`), either way
    /// the disk was released.
    pub snapshots_released: u64,
    /// Snapshots retained when their disk was released, either way.
    pub snapshots_retained: u64,
    /// Of the instances released: after the orderly stop a DeleteInstance
    /// with `ForceStop=false` asked for.
    pub released_after_stop: u64,
    /// Of the instances released: by the platform at their automatic
    /// release time.
    pub released_at_auto_release_time: u64,
    /// Of the instances released: by the platform, 15 days after their
    /// subscription expired unrenewed.
    pub released_at_subscription_end: u64,
}

/// A retained snapshot that still exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retained {
    /// The snapshot.
    pub snapshot_id: String,
    /// Its released source disk.
    pub source_disk_id: String,
    /// auto or user.
    pub snapshot_type: String,
    /// When it was retained.
    pub since: Timestamp,
}

/// A disk kept after its instance was released, that still exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The disk.
    pub disk_id: String,
    /// The released instance it was attached to.
    pub former_instance_id: String,
    /// Size, GiB.
    pub size: u32,
    /// When it was kept.
    pub since: Timestamp,
}

/// The report of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountReport {
    /// The account.
    pub account: String,
    /// What releases did.
    pub counters: Counters,
    /// Retained snapshots still costing money.
    pub retained: Vec<Retained>,
    /// Kept disks still costing money.
    pub kept: Vec<Kept>,
}

fn key(kind: u8, account: &Account, id: &str) -> Vec<u8> {
    let mut k = vec![kind];
    k.extend_from_slice(account.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

fn counters_key(account: &Account) -> Vec<u8> {
    let mut k = vec![b'n'];
    k.extend_from_slice(account.as_str().as_bytes());
    k
}

fn size_key(disk: &str) -> Vec<u8> {
    let mut k = vec![b'z'];
    k.extend_from_slice(disk.as_bytes());
    k
}

fn corrupt(why: impl ToString) -> ProjectionError {
    ProjectionError::Corrupt {
        name: NAME.to_owned(),
        why: why.to_string(),
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ProjectionError> {
    record::codec().deserialize(bytes).map_err(corrupt)
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ProjectionError> {
    record::codec().serialize(value).map_err(corrupt)
}

/// The release report projection.
#[derive(Debug, Default)]
pub struct ReleaseReport;

impl ReleaseReport {
    fn bump(
        store: &mut Store<'_>,
        account: &Account,
        f: impl FnOnce(&mut Counters),
    ) -> Result<(), ProjectionError> {
        let k = counters_key(account);
        let mut c: Counters = match store.get(&k)? {
            Some(v) => decode(&v)?,
            None => Counters::default(),
        };
        f(&mut c);
        store.put(&k, encode(&c)?);
        Ok(())
    }
}

impl Projection for ReleaseReport {
    fn name(&self) -> &str {
        NAME
    }

    fn version(&self) -> u32 {
        VERSION
    }

    fn apply(&mut self, r: &Recorded, store: &mut Store<'_>) -> Result<(), ProjectionError> {
        let account = &r.account;
        match &r.event {
            Event::DiskCreated(e) => {
                store.put(&size_key(e.disk_id.as_str()), e.size.to_be_bytes().to_vec())
            }
            Event::InstanceReleased(_) => {
                Self::bump(store, account, |c| c.instances_released += 1)?
            }
            Event::InstanceReleaseTriggered(e) => {
                Self::bump(store, account, |c| match e.trigger {
                    ReleaseTrigger::Request => c.released_after_stop += 1,
                    ReleaseTrigger::AutoReleaseTime => c.released_at_auto_release_time += 1,
                    ReleaseTrigger::SubscriptionEnded => c.released_at_subscription_end += 1,
                })?
            }
            Event::DiskReleased(e) => {
                store.remove(&size_key(e.disk_id.as_str()));
                store.remove(&key(b'd', account, e.disk_id.as_str()));
                if e.reason == DiskReleaseReason::DeleteDisk {
                    Self::bump(store, account, |c| c.disks_deleted += 1)?;
                } else {
                    Self::bump(store, account, |c| c.disks_released += 1)?;
                }
            }
            Event::DiskDetached(e) if e.reason == DetachReason::InstanceReleased => {
                let size = match store.get(&size_key(e.disk_id.as_str()))? {
                    Some(v) => u32::from_be_bytes(v.as_slice().try_into().map_err(corrupt)?),
                    None => 0,
                };
                let kept = Kept {
                    disk_id: e.disk_id.to_string(),
                    former_instance_id: e.instance_id.to_string(),
                    size,
                    since: r.time,
                };
                store.put(&key(b'd', account, e.disk_id.as_str()), encode(&kept)?);
                Self::bump(store, account, |c| c.disks_kept += 1)?;
            }
            Event::SnapshotRetained(e) => {
                let retained = Retained {
                    snapshot_id: e.snapshot_id.to_string(),
                    source_disk_id: e.disk_id.to_string(),
                    snapshot_type: e.snapshot_type.to_string(),
                    since: r.time,
                };
                store.put(
                    &key(b's', account, e.snapshot_id.as_str()),
                    encode(&retained)?,
                );
                Self::bump(store, account, |c| c.snapshots_retained += 1)?;
            }
            Event::SnapshotReleased(e) => {
                store.remove(&key(b's', account, e.snapshot_id.as_str()));
                if e.reason == SnapshotReleaseReason::DeleteAutoSnapshot {
                    Self::bump(store, account, |c| c.snapshots_released += 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reads the report as of its checkpoint, every account in name order.
pub fn read<S: Storage>(storage: &S) -> Result<Vec<AccountReport>, ProjectionError> {
    let prefix = keys::projection_prefix(NAME);
    let mut reports: std::collections::BTreeMap<String, AccountReport> = Default::default();
    for item in storage.scan_prefix(&prefix) {
        let (k, v) = item?;
        let rel = &k.as_ref()[prefix.len()..];
        let Some((&kind, rest)) = rel.split_first() else {
            continue;
        };
        let account_of = |rest: &[u8]| -> Result<String, ProjectionError> {
            let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
            String::from_utf8(rest[..end].to_vec()).map_err(corrupt)
        };
        match kind {
            b'n' => {
                let account = String::from_utf8(rest.to_vec()).map_err(corrupt)?;
                let entry = reports.entry(account.clone()).or_default();
                entry.account = account;
                entry.counters = decode(v.as_ref())?;
            }
            b's' => {
                let account = account_of(rest)?;
                let entry = reports.entry(account.clone()).or_default();
                entry.account = account;
                entry.retained.push(decode(v.as_ref())?);
            }
            b'd' => {
                let account = account_of(rest)?;
                let entry = reports.entry(account.clone()).or_default();
                entry.account = account;
                entry.kept.push(decode(v.as_ref())?);
            }
            _ => {}
        }
    }
    Ok(reports.into_values().collect())
}
