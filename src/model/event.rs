//! The event vocabulary: every state change the ledger records.
//!
//! Events are encoded with bincode, which numbers enum variants by position:
//! **only ever add variants at the end of [`Event`]**, and never reorder or
//! remove fields of an existing event (a test pins the variant numbers). Each
//! event knows the resources it touches ([`Event::tags`]); the log indexes
//! events by those tags, and a resource's record is changed only by events that
//! carry its tag (the invariant that lets the ledger rebuild one resource's
//! state from its tags alone).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::id::{
    Account, DiskId, EventId, InstanceId, LoadBalancerId, RequestId, RouteTableId, SnapshotId,
};
use crate::model::time::Timestamp;
use crate::model::values::{
    ChargeType, DetachReason, DiskReleaseReason, DiskType, InstanceStatus, LockReason, NextHopType,
    PeriodUnit, ReleaseTrigger, SnapshotReleaseReason, SnapshotType, StatusReason,
};

/// An instance was created, in `Pending` (its disks follow as [`DiskCreated`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceCreated {
    /// The new instance.
    pub instance_id: InstanceId,
    /// PostPaid or PrePaid.
    pub instance_charge_type: ChargeType,
    /// End of the subscription (PrePaid only).
    pub expired_time: Option<Timestamp>,
    /// Deletion protection at creation.
    pub deletion_protection: bool,
    /// When creation completes (`Pending -> Stopped`).
    pub ready_at: Timestamp,
    /// Kept ECS attributes, shown by DescribeInstances (empty when not given).
    pub instance_name: String,
    /// Kept: the instance type.
    pub instance_type: String,
    /// Kept: the image.
    pub image_id: String,
    /// Kept: the region.
    pub region_id: String,
    /// Kept: the zone.
    pub zone_id: String,
    /// Kept: the description.
    pub description: String,
}

/// A disk was created: with an instance (`In_use`) or standalone (`Available`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskCreated {
    /// The new disk.
    pub disk_id: DiskId,
    /// The instance it is attached to, if created with one.
    pub instance_id: Option<InstanceId>,
    /// system or data (`DiskType` in JSON: `Type` is the event's own type).
    pub disk_type: DiskType,
    /// Size in GiB.
    pub size: u32,
    /// Kept: the category (`cloud_efficiency` unless given).
    pub category: String,
    /// Released with its instance?
    pub delete_with_instance: bool,
    /// Auto snapshots released with the disk?
    pub delete_auto_snapshot: bool,
    /// Billing of the disk (that of its instance at creation).
    pub disk_charge_type: ChargeType,
    /// Kept: the name.
    pub disk_name: String,
}

/// An instance changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStatusChanged {
    /// The instance.
    pub instance_id: InstanceId,
    /// Status before.
    pub from: InstanceStatus,
    /// Status after.
    pub to: InstanceStatus,
    /// What caused it.
    pub reason: StatusReason,
    /// When the new (transitional) status completes, if it is one.
    pub until: Option<Timestamp>,
}

/// A subscription reached its `ExpiredTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceExpired {
    /// The instance.
    pub instance_id: InstanceId,
    /// The expiry that was reached.
    pub expired_time: Timestamp,
}

/// A lock was put on an instance (or its message replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceLocked {
    /// The instance.
    pub instance_id: InstanceId,
    /// The lock.
    pub lock_reason: LockReason,
    /// Free text shown with the lock.
    pub lock_msg: String,
}

/// A lock was lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceUnlocked {
    /// The instance.
    pub instance_id: InstanceId,
    /// The lock lifted.
    pub lock_reason: LockReason,
}

/// ModifyInstanceAttribute changed attributes (absent = unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceAttributeChanged {
    /// The instance.
    pub instance_id: InstanceId,
    /// New deletion protection.
    pub deletion_protection: Option<bool>,
    /// New name.
    pub instance_name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// A subscription was renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRenewed {
    /// The instance.
    pub instance_id: InstanceId,
    /// Renewal length.
    pub period: u32,
    /// Renewal unit.
    pub period_unit: PeriodUnit,
    /// The new `ExpiredTime`.
    pub expired_time: Timestamp,
}

/// An instance was released (docs/BEHAVIOUR.md §3.3: always the first event of a release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceReleased {
    /// The instance.
    pub instance_id: InstanceId,
    /// Its status when released.
    pub previous_status: InstanceStatus,
    /// Released with `Force=true`.
    pub forced: bool,
    /// It had a `security` lock (its disks were all released).
    pub security_locked: bool,
}

/// A disk was attached to an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskAttached {
    /// The disk.
    pub disk_id: DiskId,
    /// The instance.
    pub instance_id: InstanceId,
    /// Released with the instance?
    pub delete_with_instance: bool,
}

/// A disk was detached and became `Available` (PostPaid, no instance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskDetached {
    /// The disk.
    pub disk_id: DiskId,
    /// The instance it was attached to.
    pub instance_id: InstanceId,
    /// `InstanceReleased` or `DetachDisk`.
    pub reason: DetachReason,
}

/// ModifyDiskAttribute changed attributes (absent = unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskAttributeChanged {
    /// The disk.
    pub disk_id: DiskId,
    /// New `DeleteWithInstance`.
    pub delete_with_instance: Option<bool>,
    /// New `DeleteAutoSnapshot`.
    pub delete_auto_snapshot: Option<bool>,
}

/// A disk was released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskReleased {
    /// The disk.
    pub disk_id: DiskId,
    /// The instance it was released with (none for DeleteDisk).
    pub instance_id: Option<InstanceId>,
    /// Why.
    pub reason: DiskReleaseReason,
}

/// A snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotCreated {
    /// The new snapshot.
    pub snapshot_id: SnapshotId,
    /// Its source disk.
    pub disk_id: DiskId,
    /// auto or user.
    pub snapshot_type: SnapshotType,
    /// The source disk's type.
    pub source_disk_type: DiskType,
    /// The source disk's size, GiB.
    pub source_disk_size: u32,
    /// Kept: the name.
    pub snapshot_name: String,
}

/// A snapshot was released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotReleased {
    /// The snapshot.
    pub snapshot_id: SnapshotId,
    /// Its source disk.
    pub disk_id: DiskId,
    /// Why.
    pub reason: SnapshotReleaseReason,
}

/// A snapshot outlived the release of its disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotRetained {
    /// The snapshot.
    pub snapshot_id: SnapshotId,
    /// Its (released) source disk.
    pub disk_id: DiskId,
    /// auto or user.
    pub snapshot_type: SnapshotType,
}

/// A route entry now points at an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteEntryCreated {
    /// The route table.
    pub route_table_id: RouteTableId,
    /// The destination, `a.b.c.d/n`.
    pub destination_cidr_block: String,
    /// The next hop.
    pub next_hop_id: InstanceId,
    /// Always `Instance`.
    pub next_hop_type: NextHopType,
}

/// A route entry was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteEntryDeleted {
    /// The route table.
    pub route_table_id: RouteTableId,
    /// The destination.
    pub destination_cidr_block: String,
    /// The next hop it pointed at.
    pub next_hop_id: InstanceId,
}

/// An instance became a backend server of a load balancer (or its weight changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackendServerAdded {
    /// The load balancer.
    pub load_balancer_id: LoadBalancerId,
    /// The instance.
    pub server_id: InstanceId,
    /// Weight 0-100.
    pub weight: u32,
}

/// An instance stopped being a backend server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackendServerRemoved {
    /// The load balancer.
    pub load_balancer_id: LoadBalancerId,
    /// The instance.
    pub server_id: InstanceId,
}

/// A forced release with `ForceStop=false` was accepted: the instance stops
/// in an orderly way first (an [`InstanceStatusChanged`] to `Stopping` comes
/// with it), and is released when the stop completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceReleasePending {
    /// The instance.
    pub instance_id: InstanceId,
}

/// The platform releases an instance: the first event of its release, saying
/// why. Route entries and backend-server memberships naming the instance are
/// removed next (their own events), then the release's events follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceReleaseTriggered {
    /// The instance.
    pub instance_id: InstanceId,
    /// What set it off.
    pub trigger: ReleaseTrigger,
    /// The DeleteInstance request that asked for it (trigger `Request`).
    pub caused_by: Option<RequestId>,
}

/// ModifyInstanceAutoReleaseTime set or cancelled the automatic release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoReleaseTimeChanged {
    /// The instance.
    pub instance_id: InstanceId,
    /// When the platform releases it (none: cancelled).
    pub auto_release_time: Option<Timestamp>,
}

/// ModifyInstanceChargeType changed an instance's billing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceChargeTypeChanged {
    /// The instance.
    pub instance_id: InstanceId,
    /// The new billing.
    pub instance_charge_type: ChargeType,
    /// The new end of the subscription (PrePaid), none for PostPaid.
    pub expired_time: Option<Timestamp>,
}

/// A disk's billing followed its instance's (ModifyInstanceChargeType).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskChargeTypeChanged {
    /// The disk.
    pub disk_id: DiskId,
    /// Its instance.
    pub instance_id: InstanceId,
    /// The new billing.
    pub disk_charge_type: ChargeType,
}

macro_rules! events {
    ($( $variant:ident => |$e:ident| [$($tag:expr),*] ),* $(,)?) => {
        /// One recorded state change. Variant order is part of the on-disk format.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Event {
            $(
                #[doc = concat!("See [`", stringify!($variant), "`].")]
                $variant($variant),
            )*
        }

        impl Event {
            /// The event's type name, as in `"Type"` of its JSON.
            pub fn type_name(&self) -> &'static str {
                match self { $( Event::$variant(_) => stringify!($variant), )* }
            }

            /// Every type name, in variant (format) order.
            pub const TYPE_NAMES: &'static [&'static str] = &[ $( stringify!($variant), )* ];

            /// The resources this event touches, as their id strings: the log's
            /// tag index keys. A record is only ever changed by events carrying its tag.
            pub fn tags(&self) -> [Option<&str>; 2] {
                match self {
                    $( Event::$variant($e) => tags2([$($tag),*]), )*
                }
            }

            /// The event's own fields as JSON object text (PascalCase), written
            /// straight from the struct (no intermediate JSON value).
            pub fn fields_json_text(&self) -> String {
                let text = match self {
                    $( Event::$variant(e) => serde_json::to_string(e), )*
                };
                // Serializing these plain structs cannot fail; fall back to
                // an empty object rather than panic.
                text.unwrap_or_else(|_| "{}".to_owned())
            }

            /// The event's own fields as a JSON object (PascalCase).
            pub fn fields_json(&self) -> Value {
                let v = match self {
                    $( Event::$variant(e) => serde_json::to_value(e), )*
                };
                // Serializing these plain structs to a JSON value cannot fail;
                // fall back to an empty object rather than panic.
                v.unwrap_or_else(|_| Value::Object(Map::new()))
            }
        }

        $(
            impl From<$variant> for Event {
                fn from(e: $variant) -> Event { Event::$variant(e) }
            }
        )*
    };
}

fn tags2<const N: usize>(tags: [Option<&str>; N]) -> [Option<&str>; 2] {
    let mut out = [None, None];
    for (slot, tag) in out.iter_mut().zip(tags) {
        *slot = tag;
    }
    out
}

// Never reorder: bincode stores the position.
events! {
    InstanceCreated => |e| [Some(e.instance_id.as_str())],
    DiskCreated => |e| [Some(e.disk_id.as_str()), e.instance_id.as_ref().map(|i| i.as_str())],
    InstanceStatusChanged => |e| [Some(e.instance_id.as_str())],
    InstanceExpired => |e| [Some(e.instance_id.as_str())],
    InstanceLocked => |e| [Some(e.instance_id.as_str())],
    InstanceUnlocked => |e| [Some(e.instance_id.as_str())],
    InstanceAttributeChanged => |e| [Some(e.instance_id.as_str())],
    InstanceRenewed => |e| [Some(e.instance_id.as_str())],
    InstanceReleased => |e| [Some(e.instance_id.as_str())],
    DiskAttached => |e| [Some(e.disk_id.as_str()), Some(e.instance_id.as_str())],
    DiskDetached => |e| [Some(e.disk_id.as_str()), Some(e.instance_id.as_str())],
    DiskAttributeChanged => |e| [Some(e.disk_id.as_str())],
    DiskReleased => |e| [Some(e.disk_id.as_str()), e.instance_id.as_ref().map(|i| i.as_str())],
    SnapshotCreated => |e| [Some(e.snapshot_id.as_str()), Some(e.disk_id.as_str())],
    SnapshotReleased => |e| [Some(e.snapshot_id.as_str()), Some(e.disk_id.as_str())],
    SnapshotRetained => |e| [Some(e.snapshot_id.as_str()), Some(e.disk_id.as_str())],
    RouteEntryCreated => |e| [Some(e.route_table_id.as_str()), Some(e.next_hop_id.as_str())],
    RouteEntryDeleted => |e| [Some(e.route_table_id.as_str()), Some(e.next_hop_id.as_str())],
    BackendServerAdded => |e| [Some(e.load_balancer_id.as_str()), Some(e.server_id.as_str())],
    BackendServerRemoved => |e| [Some(e.load_balancer_id.as_str()), Some(e.server_id.as_str())],
    InstanceReleasePending => |e| [Some(e.instance_id.as_str())],
    InstanceReleaseTriggered => |e| [Some(e.instance_id.as_str())],
    AutoReleaseTimeChanged => |e| [Some(e.instance_id.as_str())],
    InstanceChargeTypeChanged => |e| [Some(e.instance_id.as_str())],
    DiskChargeTypeChanged => |e| [Some(e.disk_id.as_str()), Some(e.instance_id.as_str())],
}

/// An event as the log holds it: its position, time, request, account and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Gapless global position, from 1.
    pub seq: u64,
    /// Ledger time the event happened (a transition's due time, not the time it was applied).
    pub time: Timestamp,
    /// The request that caused it (transitions get their own).
    pub request_id: RequestId,
    /// The event's own id.
    pub event_id: EventId,
    /// The account of the resources it touches.
    pub account: Account,
    /// What happened.
    pub event: Event,
}

impl Recorded {
    /// Appends the flat JSON of [`Recorded::to_json`] to `out`, the same
    /// text, written directly (the hot path of `exec`'s answers).
    ///
    /// ```
    /// # use ecs_ledger::model::event::*;
    /// # use ecs_ledger::model::id::*;
    /// # use ecs_ledger::model::time::Timestamp;
    /// # use ecs_ledger::model::values::InstanceStatus;
    /// let r = Recorded {
    ///     seq: 7,
    ///     time: Timestamp::from_unix(1_767_225_600).unwrap(),
    ///     request_id: RequestId::from_uuid(uuid::Uuid::nil()),
    ///     event_id: EventId::from_uuid(uuid::Uuid::nil()),
    ///     account: Account::default(),
    ///     event: Event::InstanceReleased(InstanceReleased {
    ///         instance_id: InstanceId::parse("i-12345678").unwrap(),
    ///         previous_status: InstanceStatus::Stopped,
    ///         forced: false,
    ///         security_locked: false,
    ///     }),
    /// };
    /// let mut text = String::new();
    /// r.write_json(&mut text);
    /// assert_eq!(text, r.to_json().to_string());
    /// ```
    pub fn write_json(&self, out: &mut String) {
        use std::fmt::Write;
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
        let _ = write!(
            out,
            "{{\"Seq\":{},\"Time\":\"{}\",\"Type\":\"{}\",\"RequestId\":\"{}\",\"Account\":{},\"EventId\":\"{}\"",
            self.seq,
            self.time,
            self.event.type_name(),
            self.request_id,
            quoted(self.account.as_str()),
            self.event_id
        );
        let fields = self.event.fields_json_text();
        let inner = fields
            .strip_prefix('{')
            .and_then(|f| f.strip_suffix('}'))
            .unwrap_or("");
        if !inner.is_empty() {
            out.push(',');
            out.push_str(inner);
        }
        out.push('}');
    }

    /// The flat PascalCase JSON of docs/BEHAVIOUR.md §5:
    /// `{"Seq":12,"Time":"…","Type":"DiskReleased","RequestId":"…","Account":"…","EventId":"…",…fields}`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("Seq".into(), Value::from(self.seq));
        map.insert("Time".into(), Value::from(self.time.to_string()));
        map.insert("Type".into(), Value::from(self.event.type_name()));
        map.insert("RequestId".into(), Value::from(self.request_id.to_string()));
        map.insert("Account".into(), Value::from(self.account.as_str()));
        map.insert("EventId".into(), Value::from(self.event_id.to_string()));
        if let Value::Object(fields) = self.event.fields_json() {
            map.extend(fields);
        }
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variant numbers are part of the on-disk format: this list may only grow at the end.
    #[test]
    fn event_variant_order_is_append_only() {
        assert_eq!(
            Event::TYPE_NAMES,
            &[
                "InstanceCreated",
                "DiskCreated",
                "InstanceStatusChanged",
                "InstanceExpired",
                "InstanceLocked",
                "InstanceUnlocked",
                "InstanceAttributeChanged",
                "InstanceRenewed",
                "InstanceReleased",
                "DiskAttached",
                "DiskDetached",
                "DiskAttributeChanged",
                "DiskReleased",
                "SnapshotCreated",
                "SnapshotReleased",
                "SnapshotRetained",
                "RouteEntryCreated",
                "RouteEntryDeleted",
                "BackendServerAdded",
                "BackendServerRemoved",
                "InstanceReleasePending",
                "InstanceReleaseTriggered",
                "AutoReleaseTimeChanged",
                "InstanceChargeTypeChanged",
                "DiskChargeTypeChanged",
            ]
        );
    }

    #[test]
    fn bincode_encodes_the_variant_index_first() {
        let e = Event::InstanceReleased(InstanceReleased {
            instance_id: InstanceId::parse("i-12345678").unwrap(),
            previous_status: InstanceStatus::Stopped,
            forced: false,
            security_locked: false,
        });
        let bytes = bincode::serialize(&e).unwrap();
        assert_eq!(&bytes[..4], &8u32.to_le_bytes());
        let back: Event = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn decoding_an_invalid_id_is_an_error_not_a_panic() {
        let e = Event::InstanceReleased(InstanceReleased {
            instance_id: InstanceId::parse("i-12345678").unwrap(),
            previous_status: InstanceStatus::Stopped,
            forced: false,
            security_locked: false,
        });
        let mut bytes = bincode::serialize(&e).unwrap();
        // corrupt one character of the id into upper case
        let pos = bytes.iter().position(|b| *b == b'1').unwrap();
        bytes[pos] = b'A';
        assert!(bincode::deserialize::<Event>(&bytes).is_err());
    }
}
