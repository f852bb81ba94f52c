//! The stored forms of events: what the log's records hold, versioned apart
//! from the domain types in [`crate::model::event`].
//!
//! The domain types can change (a field renamed, an enum reordered, an id
//! type reworked) without touching a byte on disk: records are written from
//! and read into these types, and converted. Ids are stored as their text,
//! times as seconds since the epoch, enumerated values as their position in
//! the frozen lists below (what format 1 wrote). The rules for changing
//! them: variants and enumerated values are only ever added at the end, and
//! the fields of an existing variant never change.
//!
//! Two record payloads (the record's first byte says which):
//!
//! * version 1 ([`RecordV1`], bincode fixint): what format 1 wrote, read only;
//! * version 2 ([`RecordV2`], bincode varint): what is written now. Smaller
//!   (lengths and numbers in as few bytes as they need), and without a stored
//!   event id: an event's id is derived from its RequestId and Seq
//!   ([`crate::model::id::EventId::derived`]).

use serde::{Deserialize, Serialize};

use crate::model::event::{self, Event};
use crate::model::id::{DiskId, InstanceId, LoadBalancerId, RequestId, RouteTableId, SnapshotId};
use crate::model::time::Timestamp;
use crate::model::values::{
    ChargeType, DetachReason, DiskReleaseReason, DiskType, InstanceStatus, LockReason, NextHopType,
    PeriodUnit, ReleaseTrigger, SnapshotReleaseReason, SnapshotType, StatusReason,
};

/// A stored value that does not make a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored {field} is invalid: {why}")]
pub struct SchemaError {
    /// The field.
    pub field: &'static str,
    /// Why.
    pub why: String,
}

/// A record's payload as format 1 wrote it (bincode fixint of what was then
/// `Recorded`): the ids of requests and events as length-prefixed bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordV1 {
    /// Seq.
    pub seq: u64,
    /// Seconds since the epoch.
    pub time: i64,
    /// The request's UUID, 16 bytes.
    pub request_id: Vec<u8>,
    /// The event's UUID, 16 bytes.
    pub event_id: Vec<u8>,
    /// The account.
    pub account: String,
    /// The event.
    pub event: StoredEvent,
}

/// A record's payload as written now (bincode varint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordV2 {
    /// Seq.
    pub seq: u64,
    /// Seconds since the epoch.
    pub time: i64,
    /// The request's UUID.
    pub request_id: [u8; 16],
    /// The account.
    pub account: String,
    /// The event.
    pub event: StoredEvent,
}

fn id<T: std::str::FromStr>(text: &str, field: &'static str) -> Result<T, SchemaError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| SchemaError {
        field,
        why: format!("{text:?}: {e}"),
    })
}

fn time(secs: i64, field: &'static str) -> Result<Timestamp, SchemaError> {
    Timestamp::from_unix(secs).ok_or_else(|| SchemaError {
        field,
        why: format!("{secs} is outside the supported range"),
    })
}

/// Frozen lists of enumerated values, by stored position, and their
/// conversions. The domain's own order does not matter.
macro_rules! frozen {
    ($( $to:ident, $from:ident, $ty:ident, [$($value:ident),* $(,)?]; )*) => {
        $(
            fn $to(v: $ty) -> u32 {
                const ALL: &[$ty] = &[$($ty::$value),*];
                ALL.iter().position(|x| *x == v).unwrap_or(usize::MAX) as u32
            }

            fn $from(n: u32) -> Result<$ty, SchemaError> {
                const ALL: &[$ty] = &[$($ty::$value),*];
                ALL.get(n as usize).copied().ok_or_else(|| SchemaError {
                    field: stringify!($ty),
                    why: format!("no value at position {n}"),
                })
            }
        )*
    };
}

frozen! {
    charge_type_to, charge_type_from, ChargeType, [PostPaid, PrePaid];
    instance_status_to, instance_status_from, InstanceStatus, [Pending, Starting, Running, Stopping, Stopped];
    period_unit_to, period_unit_from, PeriodUnit, [Week, Month];
    lock_reason_to, lock_reason_from, LockReason, [Security, Financial, Recycling, DedicatedHostFinancial, Refunded];
    disk_type_to, disk_type_from, DiskType, [System, Data];
    snapshot_type_to, snapshot_type_from, SnapshotType, [Auto, User];
    status_reason_to, status_reason_from, StatusReason, [Created, StartInstance, Started, StopInstance, Stopped, Expired, StopForRelease];
    disk_release_reason_to, disk_release_reason_from, DiskReleaseReason, [DeleteWithInstance, SecurityLock, DeleteDisk];
    detach_reason_to, detach_reason_from, DetachReason, [InstanceReleased, DetachDisk];
    snapshot_release_reason_to, snapshot_release_reason_from, SnapshotReleaseReason, [DeleteAutoSnapshot, DeleteSnapshot];
    next_hop_type_to, next_hop_type_from, NextHopType, [Instance];
    release_trigger_to, release_trigger_from, ReleaseTrigger, [Request, AutoReleaseTime, SubscriptionEnded];
}

/// The stored form of [`event::InstanceCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceCreated {
    /// See [`event::InstanceCreated`].
    pub instance_id: String,
    /// See [`event::InstanceCreated`].
    pub instance_charge_type: u32,
    /// See [`event::InstanceCreated`].
    pub expired_time: Option<i64>,
    /// See [`event::InstanceCreated`].
    pub deletion_protection: bool,
    /// See [`event::InstanceCreated`].
    pub ready_at: i64,
    /// See [`event::InstanceCreated`].
    pub instance_name: String,
    /// See [`event::InstanceCreated`].
    pub instance_type: String,
    /// See [`event::InstanceCreated`].
    pub image_id: String,
    /// See [`event::InstanceCreated`].
    pub region_id: String,
    /// See [`event::InstanceCreated`].
    pub zone_id: String,
    /// See [`event::InstanceCreated`].
    pub description: String,
}

/// The stored form of [`event::DiskCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskCreated {
    /// See [`event::DiskCreated`].
    pub disk_id: String,
    /// See [`event::DiskCreated`].
    pub instance_id: Option<String>,
    /// See [`event::DiskCreated`].
    pub disk_type: u32,
    /// See [`event::DiskCreated`].
    pub size: u32,
    /// See [`event::DiskCreated`].
    pub category: String,
    /// See [`event::DiskCreated`].
    pub delete_with_instance: bool,
    /// See [`event::DiskCreated`].
    pub delete_auto_snapshot: bool,
    /// See [`event::DiskCreated`].
    pub disk_charge_type: u32,
    /// See [`event::DiskCreated`].
    pub disk_name: String,
}

/// The stored form of [`event::InstanceStatusChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatusChanged {
    /// See [`event::InstanceStatusChanged`].
    pub instance_id: String,
    /// See [`event::InstanceStatusChanged`].
    pub from: u32,
    /// See [`event::InstanceStatusChanged`].
    pub to: u32,
    /// See [`event::InstanceStatusChanged`].
    pub reason: u32,
    /// See [`event::InstanceStatusChanged`].
    pub until: Option<i64>,
}

/// The stored form of [`event::InstanceExpired`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceExpired {
    /// See [`event::InstanceExpired`].
    pub instance_id: String,
    /// See [`event::InstanceExpired`].
    pub expired_time: i64,
}

/// The stored form of [`event::InstanceLocked`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLocked {
    /// See [`event::InstanceLocked`].
    pub instance_id: String,
    /// See [`event::InstanceLocked`].
    pub lock_reason: u32,
    /// See [`event::InstanceLocked`].
    pub lock_msg: String,
}

/// The stored form of [`event::InstanceUnlocked`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceUnlocked {
    /// See [`event::InstanceUnlocked`].
    pub instance_id: String,
    /// See [`event::InstanceUnlocked`].
    pub lock_reason: u32,
}

/// The stored form of [`event::InstanceAttributeChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceAttributeChanged {
    /// See [`event::InstanceAttributeChanged`].
    pub instance_id: String,
    /// See [`event::InstanceAttributeChanged`].
    pub deletion_protection: Option<bool>,
    /// See [`event::InstanceAttributeChanged`].
    pub instance_name: Option<String>,
    /// See [`event::InstanceAttributeChanged`].
    pub description: Option<String>,
}

/// The stored form of [`event::InstanceRenewed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRenewed {
    /// See [`event::InstanceRenewed`].
    pub instance_id: String,
    /// See [`event::InstanceRenewed`].
    pub period: u32,
    /// See [`event::InstanceRenewed`].
    pub period_unit: u32,
    /// See [`event::InstanceRenewed`].
    pub expired_time: i64,
}

/// The stored form of [`event::InstanceReleased`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceReleased {
    /// See [`event::InstanceReleased`].
    pub instance_id: String,
    /// See [`event::InstanceReleased`].
    pub previous_status: u32,
    /// See [`event::InstanceReleased`].
    pub forced: bool,
    /// See [`event::InstanceReleased`].
    pub security_locked: bool,
}

/// The stored form of [`event::DiskAttached`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskAttached {
    /// See [`event::DiskAttached`].
    pub disk_id: String,
    /// See [`event::DiskAttached`].
    pub instance_id: String,
    /// See [`event::DiskAttached`].
    pub delete_with_instance: bool,
}

/// The stored form of [`event::DiskDetached`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskDetached {
    /// See [`event::DiskDetached`].
    pub disk_id: String,
    /// See [`event::DiskDetached`].
    pub instance_id: String,
    /// See [`event::DiskDetached`].
    pub reason: u32,
}

/// The stored form of [`event::DiskAttributeChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskAttributeChanged {
    /// See [`event::DiskAttributeChanged`].
    pub disk_id: String,
    /// See [`event::DiskAttributeChanged`].
    pub delete_with_instance: Option<bool>,
    /// See [`event::DiskAttributeChanged`].
    pub delete_auto_snapshot: Option<bool>,
}

/// The stored form of [`event::DiskReleased`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskReleased {
    /// See [`event::DiskReleased`].
    pub disk_id: String,
    /// See [`event::DiskReleased`].
    pub instance_id: Option<String>,
    /// See [`event::DiskReleased`].
    pub reason: u32,
}

/// The stored form of [`event::SnapshotCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCreated {
    /// See [`event::SnapshotCreated`].
    pub snapshot_id: String,
    /// See [`event::SnapshotCreated`].
    pub disk_id: String,
    /// See [`event::SnapshotCreated`].
    pub snapshot_type: u32,
    /// See [`event::SnapshotCreated`].
    pub source_disk_type: u32,
    /// See [`event::SnapshotCreated`].
    pub source_disk_size: u32,
    /// See [`event::SnapshotCreated`].
    pub snapshot_name: String,
}

/// The stored form of [`event::SnapshotReleased`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotReleased {
    /// See [`event::SnapshotReleased`].
    pub snapshot_id: String,
    /// See [`event::SnapshotReleased`].
    pub disk_id: String,
    /// See [`event::SnapshotReleased`].
    pub reason: u32,
}

/// The stored form of [`event::SnapshotRetained`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRetained {
    /// See [`event::SnapshotRetained`].
    pub snapshot_id: String,
    /// See [`event::SnapshotRetained`].
    pub disk_id: String,
    /// See [`event::SnapshotRetained`].
    pub snapshot_type: u32,
}

/// The stored form of [`event::RouteEntryCreated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteEntryCreated {
    /// See [`event::RouteEntryCreated`].
    pub route_table_id: String,
    /// See [`event::RouteEntryCreated`].
    pub destination_cidr_block: String,
    /// See [`event::RouteEntryCreated`].
    pub next_hop_id: String,
    /// See [`event::RouteEntryCreated`].
    pub next_hop_type: u32,
}

/// The stored form of [`event::RouteEntryDeleted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteEntryDeleted {
    /// See [`event::RouteEntryDeleted`].
    pub route_table_id: String,
    /// See [`event::RouteEntryDeleted`].
    pub destination_cidr_block: String,
    /// See [`event::RouteEntryDeleted`].
    pub next_hop_id: String,
}

/// The stored form of [`event::BackendServerAdded`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendServerAdded {
    /// See [`event::BackendServerAdded`].
    pub load_balancer_id: String,
    /// See [`event::BackendServerAdded`].
    pub server_id: String,
    /// See [`event::BackendServerAdded`].
    pub weight: u32,
}

/// The stored form of [`event::BackendServerRemoved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendServerRemoved {
    /// See [`event::BackendServerRemoved`].
    pub load_balancer_id: String,
    /// See [`event::BackendServerRemoved`].
    pub server_id: String,
}

/// The stored form of [`event::InstanceReleasePending`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceReleasePending {
    /// See [`event::InstanceReleasePending`].
    pub instance_id: String,
}

/// The stored form of [`event::InstanceReleaseTriggered`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceReleaseTriggered {
    /// See [`event::InstanceReleaseTriggered`].
    pub instance_id: String,
    /// See [`event::InstanceReleaseTriggered`].
    pub trigger: u32,
    /// See [`event::InstanceReleaseTriggered`]: the request's UUID.
    pub caused_by: Option<[u8; 16]>,
}

/// The stored form of [`event::AutoReleaseTimeChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoReleaseTimeChanged {
    /// See [`event::AutoReleaseTimeChanged`].
    pub instance_id: String,
    /// See [`event::AutoReleaseTimeChanged`].
    pub auto_release_time: Option<i64>,
}

/// The stored form of [`event::InstanceChargeTypeChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceChargeTypeChanged {
    /// See [`event::InstanceChargeTypeChanged`].
    pub instance_id: String,
    /// See [`event::InstanceChargeTypeChanged`].
    pub instance_charge_type: u32,
    /// See [`event::InstanceChargeTypeChanged`].
    pub expired_time: Option<i64>,
}

/// The stored form of [`event::DiskChargeTypeChanged`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskChargeTypeChanged {
    /// See [`event::DiskChargeTypeChanged`].
    pub disk_id: String,
    /// See [`event::DiskChargeTypeChanged`].
    pub instance_id: String,
    /// See [`event::DiskChargeTypeChanged`].
    pub disk_charge_type: u32,
}

/// The stored form of [`Event`]: variants in format order (only ever
/// added at the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredEvent {
    /// See [`event::InstanceCreated`].
    InstanceCreated(InstanceCreated),
    /// See [`event::DiskCreated`].
    DiskCreated(DiskCreated),
    /// See [`event::InstanceStatusChanged`].
    InstanceStatusChanged(InstanceStatusChanged),
    /// See [`event::InstanceExpired`].
    InstanceExpired(InstanceExpired),
    /// See [`event::InstanceLocked`].
    InstanceLocked(InstanceLocked),
    /// See [`event::InstanceUnlocked`].
    InstanceUnlocked(InstanceUnlocked),
    /// See [`event::InstanceAttributeChanged`].
    InstanceAttributeChanged(InstanceAttributeChanged),
    /// See [`event::InstanceRenewed`].
    InstanceRenewed(InstanceRenewed),
    /// See [`event::InstanceReleased`].
    InstanceReleased(InstanceReleased),
    /// See [`event::DiskAttached`].
    DiskAttached(DiskAttached),
    /// See [`event::DiskDetached`].
    DiskDetached(DiskDetached),
    /// See [`event::DiskAttributeChanged`].
    DiskAttributeChanged(DiskAttributeChanged),
    /// See [`event::DiskReleased`].
    DiskReleased(DiskReleased),
    /// See [`event::SnapshotCreated`].
    SnapshotCreated(SnapshotCreated),
    /// See [`event::SnapshotReleased`].
    SnapshotReleased(SnapshotReleased),
    /// See [`event::SnapshotRetained`].
    SnapshotRetained(SnapshotRetained),
    /// See [`event::RouteEntryCreated`].
    RouteEntryCreated(RouteEntryCreated),
    /// See [`event::RouteEntryDeleted`].
    RouteEntryDeleted(RouteEntryDeleted),
    /// See [`event::BackendServerAdded`].
    BackendServerAdded(BackendServerAdded),
    /// See [`event::BackendServerRemoved`].
    BackendServerRemoved(BackendServerRemoved),
    /// See [`event::InstanceReleasePending`].
    InstanceReleasePending(InstanceReleasePending),
    /// See [`event::InstanceReleaseTriggered`].
    InstanceReleaseTriggered(InstanceReleaseTriggered),
    /// See [`event::AutoReleaseTimeChanged`].
    AutoReleaseTimeChanged(AutoReleaseTimeChanged),
    /// See [`event::InstanceChargeTypeChanged`].
    InstanceChargeTypeChanged(InstanceChargeTypeChanged),
    /// See [`event::DiskChargeTypeChanged`].
    DiskChargeTypeChanged(DiskChargeTypeChanged),
}

impl From<&Event> for StoredEvent {
    fn from(event: &Event) -> Self {
        match event {
            Event::InstanceCreated(e) => StoredEvent::InstanceCreated(InstanceCreated {
                instance_id: e.instance_id.to_string(),
                instance_charge_type: charge_type_to(e.instance_charge_type),
                expired_time: e.expired_time.map(Timestamp::unix),
                deletion_protection: e.deletion_protection,
                ready_at: e.ready_at.unix(),
                instance_name: e.instance_name.clone(),
                instance_type: e.instance_type.clone(),
                image_id: e.image_id.clone(),
                region_id: e.region_id.clone(),
                zone_id: e.zone_id.clone(),
                description: e.description.clone(),
            }),
            Event::DiskCreated(e) => StoredEvent::DiskCreated(DiskCreated {
                disk_id: e.disk_id.to_string(),
                instance_id: e.instance_id.as_ref().map(|v| v.to_string()),
                disk_type: disk_type_to(e.disk_type),
                size: e.size,
                category: e.category.clone(),
                delete_with_instance: e.delete_with_instance,
                delete_auto_snapshot: e.delete_auto_snapshot,
                disk_charge_type: charge_type_to(e.disk_charge_type),
                disk_name: e.disk_name.clone(),
            }),
            Event::InstanceStatusChanged(e) => {
                StoredEvent::InstanceStatusChanged(InstanceStatusChanged {
                    instance_id: e.instance_id.to_string(),
                    from: instance_status_to(e.from),
                    to: instance_status_to(e.to),
                    reason: status_reason_to(e.reason),
                    until: e.until.map(Timestamp::unix),
                })
            }
            Event::InstanceExpired(e) => StoredEvent::InstanceExpired(InstanceExpired {
                instance_id: e.instance_id.to_string(),
                expired_time: e.expired_time.unix(),
            }),
            Event::InstanceLocked(e) => StoredEvent::InstanceLocked(InstanceLocked {
                instance_id: e.instance_id.to_string(),
                lock_reason: lock_reason_to(e.lock_reason),
                lock_msg: e.lock_msg.clone(),
            }),
            Event::InstanceUnlocked(e) => StoredEvent::InstanceUnlocked(InstanceUnlocked {
                instance_id: e.instance_id.to_string(),
                lock_reason: lock_reason_to(e.lock_reason),
            }),
            Event::InstanceAttributeChanged(e) => {
                StoredEvent::InstanceAttributeChanged(InstanceAttributeChanged {
                    instance_id: e.instance_id.to_string(),
                    deletion_protection: e.deletion_protection,
                    instance_name: e.instance_name.clone(),
                    description: e.description.clone(),
                })
            }
            Event::InstanceRenewed(e) => StoredEvent::InstanceRenewed(InstanceRenewed {
                instance_id: e.instance_id.to_string(),
                period: e.period,
                period_unit: period_unit_to(e.period_unit),
                expired_time: e.expired_time.unix(),
            }),
            Event::InstanceReleased(e) => StoredEvent::InstanceReleased(InstanceReleased {
                instance_id: e.instance_id.to_string(),
                previous_status: instance_status_to(e.previous_status),
                forced: e.forced,
                security_locked: e.security_locked,
            }),
            Event::DiskAttached(e) => StoredEvent::DiskAttached(DiskAttached {
                disk_id: e.disk_id.to_string(),
                instance_id: e.instance_id.to_string(),
                delete_with_instance: e.delete_with_instance,
            }),
            Event::DiskDetached(e) => StoredEvent::DiskDetached(DiskDetached {
                disk_id: e.disk_id.to_string(),
                instance_id: e.instance_id.to_string(),
                reason: detach_reason_to(e.reason),
            }),
            Event::DiskAttributeChanged(e) => {
                StoredEvent::DiskAttributeChanged(DiskAttributeChanged {
                    disk_id: e.disk_id.to_string(),
                    delete_with_instance: e.delete_with_instance,
                    delete_auto_snapshot: e.delete_auto_snapshot,
                })
            }
            Event::DiskReleased(e) => StoredEvent::DiskReleased(DiskReleased {
                disk_id: e.disk_id.to_string(),
                instance_id: e.instance_id.as_ref().map(|v| v.to_string()),
                reason: disk_release_reason_to(e.reason),
            }),
            Event::SnapshotCreated(e) => StoredEvent::SnapshotCreated(SnapshotCreated {
                snapshot_id: e.snapshot_id.to_string(),
                disk_id: e.disk_id.to_string(),
                snapshot_type: snapshot_type_to(e.snapshot_type),
                source_disk_type: disk_type_to(e.source_disk_type),
                source_disk_size: e.source_disk_size,
                snapshot_name: e.snapshot_name.clone(),
            }),
            Event::SnapshotReleased(e) => StoredEvent::SnapshotReleased(SnapshotReleased {
                snapshot_id: e.snapshot_id.to_string(),
                disk_id: e.disk_id.to_string(),
                reason: snapshot_release_reason_to(e.reason),
            }),
            Event::SnapshotRetained(e) => StoredEvent::SnapshotRetained(SnapshotRetained {
                snapshot_id: e.snapshot_id.to_string(),
                disk_id: e.disk_id.to_string(),
                snapshot_type: snapshot_type_to(e.snapshot_type),
            }),
            Event::RouteEntryCreated(e) => StoredEvent::RouteEntryCreated(RouteEntryCreated {
                route_table_id: e.route_table_id.to_string(),
                destination_cidr_block: e.destination_cidr_block.clone(),
                next_hop_id: e.next_hop_id.to_string(),
                next_hop_type: next_hop_type_to(e.next_hop_type),
            }),
            Event::RouteEntryDeleted(e) => StoredEvent::RouteEntryDeleted(RouteEntryDeleted {
                route_table_id: e.route_table_id.to_string(),
                destination_cidr_block: e.destination_cidr_block.clone(),
                next_hop_id: e.next_hop_id.to_string(),
            }),
            Event::BackendServerAdded(e) => StoredEvent::BackendServerAdded(BackendServerAdded {
                load_balancer_id: e.load_balancer_id.to_string(),
                server_id: e.server_id.to_string(),
                weight: e.weight,
            }),
            Event::BackendServerRemoved(e) => {
                StoredEvent::BackendServerRemoved(BackendServerRemoved {
                    load_balancer_id: e.load_balancer_id.to_string(),
                    server_id: e.server_id.to_string(),
                })
            }
            Event::InstanceReleasePending(e) => {
                StoredEvent::InstanceReleasePending(InstanceReleasePending {
                    instance_id: e.instance_id.to_string(),
                })
            }
            Event::InstanceReleaseTriggered(e) => {
                StoredEvent::InstanceReleaseTriggered(InstanceReleaseTriggered {
                    instance_id: e.instance_id.to_string(),
                    trigger: release_trigger_to(e.trigger),
                    caused_by: e.caused_by.map(|r| *r.as_uuid().as_bytes()),
                })
            }
            Event::AutoReleaseTimeChanged(e) => {
                StoredEvent::AutoReleaseTimeChanged(AutoReleaseTimeChanged {
                    instance_id: e.instance_id.to_string(),
                    auto_release_time: e.auto_release_time.map(Timestamp::unix),
                })
            }
            Event::InstanceChargeTypeChanged(e) => {
                StoredEvent::InstanceChargeTypeChanged(InstanceChargeTypeChanged {
                    instance_id: e.instance_id.to_string(),
                    instance_charge_type: charge_type_to(e.instance_charge_type),
                    expired_time: e.expired_time.map(Timestamp::unix),
                })
            }
            Event::DiskChargeTypeChanged(e) => {
                StoredEvent::DiskChargeTypeChanged(DiskChargeTypeChanged {
                    disk_id: e.disk_id.to_string(),
                    instance_id: e.instance_id.to_string(),
                    disk_charge_type: charge_type_to(e.disk_charge_type),
                })
            }
        }
    }
}

impl TryFrom<StoredEvent> for Event {
    type Error = SchemaError;
    fn try_from(stored: StoredEvent) -> Result<Self, SchemaError> {
        Ok(match stored {
            StoredEvent::InstanceCreated(s) => Event::InstanceCreated(event::InstanceCreated {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                instance_charge_type: charge_type_from(s.instance_charge_type)?,
                expired_time: s
                    .expired_time
                    .map(|v| time(v, "expired_time"))
                    .transpose()?,
                deletion_protection: s.deletion_protection,
                ready_at: time(s.ready_at, "ready_at")?,
                instance_name: s.instance_name,
                instance_type: s.instance_type,
                image_id: s.image_id,
                region_id: s.region_id,
                zone_id: s.zone_id,
                description: s.description,
            }),
            StoredEvent::DiskCreated(s) => Event::DiskCreated(event::DiskCreated {
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                instance_id: s
                    .instance_id
                    .map(|v| id::<InstanceId>(&v, "instance_id"))
                    .transpose()?,
                disk_type: disk_type_from(s.disk_type)?,
                size: s.size,
                category: s.category,
                delete_with_instance: s.delete_with_instance,
                delete_auto_snapshot: s.delete_auto_snapshot,
                disk_charge_type: charge_type_from(s.disk_charge_type)?,
                disk_name: s.disk_name,
            }),
            StoredEvent::InstanceStatusChanged(s) => {
                Event::InstanceStatusChanged(event::InstanceStatusChanged {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    from: instance_status_from(s.from)?,
                    to: instance_status_from(s.to)?,
                    reason: status_reason_from(s.reason)?,
                    until: s.until.map(|v| time(v, "until")).transpose()?,
                })
            }
            StoredEvent::InstanceExpired(s) => Event::InstanceExpired(event::InstanceExpired {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                expired_time: time(s.expired_time, "expired_time")?,
            }),
            StoredEvent::InstanceLocked(s) => Event::InstanceLocked(event::InstanceLocked {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                lock_reason: lock_reason_from(s.lock_reason)?,
                lock_msg: s.lock_msg,
            }),
            StoredEvent::InstanceUnlocked(s) => Event::InstanceUnlocked(event::InstanceUnlocked {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                lock_reason: lock_reason_from(s.lock_reason)?,
            }),
            StoredEvent::InstanceAttributeChanged(s) => {
                Event::InstanceAttributeChanged(event::InstanceAttributeChanged {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    deletion_protection: s.deletion_protection,
                    instance_name: s.instance_name,
                    description: s.description,
                })
            }
            StoredEvent::InstanceRenewed(s) => Event::InstanceRenewed(event::InstanceRenewed {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                period: s.period,
                period_unit: period_unit_from(s.period_unit)?,
                expired_time: time(s.expired_time, "expired_time")?,
            }),
            StoredEvent::InstanceReleased(s) => Event::InstanceReleased(event::InstanceReleased {
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                previous_status: instance_status_from(s.previous_status)?,
                forced: s.forced,
                security_locked: s.security_locked,
            }),
            StoredEvent::DiskAttached(s) => Event::DiskAttached(event::DiskAttached {
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                delete_with_instance: s.delete_with_instance,
            }),
            StoredEvent::DiskDetached(s) => Event::DiskDetached(event::DiskDetached {
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                reason: detach_reason_from(s.reason)?,
            }),
            StoredEvent::DiskAttributeChanged(s) => {
                Event::DiskAttributeChanged(event::DiskAttributeChanged {
                    disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                    delete_with_instance: s.delete_with_instance,
                    delete_auto_snapshot: s.delete_auto_snapshot,
                })
            }
            StoredEvent::DiskReleased(s) => Event::DiskReleased(event::DiskReleased {
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                instance_id: s
                    .instance_id
                    .map(|v| id::<InstanceId>(&v, "instance_id"))
                    .transpose()?,
                reason: disk_release_reason_from(s.reason)?,
            }),
            StoredEvent::SnapshotCreated(s) => Event::SnapshotCreated(event::SnapshotCreated {
                snapshot_id: id::<SnapshotId>(&s.snapshot_id, "snapshot_id")?,
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                snapshot_type: snapshot_type_from(s.snapshot_type)?,
                source_disk_type: disk_type_from(s.source_disk_type)?,
                source_disk_size: s.source_disk_size,
                snapshot_name: s.snapshot_name,
            }),
            StoredEvent::SnapshotReleased(s) => Event::SnapshotReleased(event::SnapshotReleased {
                snapshot_id: id::<SnapshotId>(&s.snapshot_id, "snapshot_id")?,
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                reason: snapshot_release_reason_from(s.reason)?,
            }),
            StoredEvent::SnapshotRetained(s) => Event::SnapshotRetained(event::SnapshotRetained {
                snapshot_id: id::<SnapshotId>(&s.snapshot_id, "snapshot_id")?,
                disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                snapshot_type: snapshot_type_from(s.snapshot_type)?,
            }),
            StoredEvent::RouteEntryCreated(s) => {
                Event::RouteEntryCreated(event::RouteEntryCreated {
                    route_table_id: id::<RouteTableId>(&s.route_table_id, "route_table_id")?,
                    destination_cidr_block: s.destination_cidr_block,
                    next_hop_id: id::<InstanceId>(&s.next_hop_id, "next_hop_id")?,
                    next_hop_type: next_hop_type_from(s.next_hop_type)?,
                })
            }
            StoredEvent::RouteEntryDeleted(s) => {
                Event::RouteEntryDeleted(event::RouteEntryDeleted {
                    route_table_id: id::<RouteTableId>(&s.route_table_id, "route_table_id")?,
                    destination_cidr_block: s.destination_cidr_block,
                    next_hop_id: id::<InstanceId>(&s.next_hop_id, "next_hop_id")?,
                })
            }
            StoredEvent::BackendServerAdded(s) => {
                Event::BackendServerAdded(event::BackendServerAdded {
                    load_balancer_id: id::<LoadBalancerId>(
                        &s.load_balancer_id,
                        "load_balancer_id",
                    )?,
                    server_id: id::<InstanceId>(&s.server_id, "server_id")?,
                    weight: s.weight,
                })
            }
            StoredEvent::BackendServerRemoved(s) => {
                Event::BackendServerRemoved(event::BackendServerRemoved {
                    load_balancer_id: id::<LoadBalancerId>(
                        &s.load_balancer_id,
                        "load_balancer_id",
                    )?,
                    server_id: id::<InstanceId>(&s.server_id, "server_id")?,
                })
            }
            StoredEvent::InstanceReleasePending(s) => {
                Event::InstanceReleasePending(event::InstanceReleasePending {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                })
            }
            StoredEvent::InstanceReleaseTriggered(s) => {
                Event::InstanceReleaseTriggered(event::InstanceReleaseTriggered {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    trigger: release_trigger_from(s.trigger)?,
                    caused_by: s
                        .caused_by
                        .map(|b| RequestId::from_uuid(uuid::Uuid::from_bytes(b))),
                })
            }
            StoredEvent::AutoReleaseTimeChanged(s) => {
                Event::AutoReleaseTimeChanged(event::AutoReleaseTimeChanged {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    auto_release_time: s
                        .auto_release_time
                        .map(|v| time(v, "auto_release_time"))
                        .transpose()?,
                })
            }
            StoredEvent::InstanceChargeTypeChanged(s) => {
                Event::InstanceChargeTypeChanged(event::InstanceChargeTypeChanged {
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    instance_charge_type: charge_type_from(s.instance_charge_type)?,
                    expired_time: s
                        .expired_time
                        .map(|v| time(v, "expired_time"))
                        .transpose()?,
                })
            }
            StoredEvent::DiskChargeTypeChanged(s) => {
                Event::DiskChargeTypeChanged(event::DiskChargeTypeChanged {
                    disk_id: id::<DiskId>(&s.disk_id, "disk_id")?,
                    instance_id: id::<InstanceId>(&s.instance_id, "instance_id")?,
                    disk_charge_type: charge_type_from(s.disk_charge_type)?,
                })
            }
        })
    }
}
