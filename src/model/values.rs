//! The enumerated values of resource attributes, with their exact wire names.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vdoc])* #[serde(rename = $wire)] $variant, )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire, )* }
            }

            /// Parses the exact wire name.
            pub fn parse(value: &str) -> Option<Self> {
                match value { $( $wire => Some($name::$variant), )* _ => None }
            }

            /// The wire names, for error messages.
            pub fn wire_names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// An instance's status (docs/BEHAVIOUR.md §1). A released instance has none: it is gone.
    InstanceStatus {
        /// Being created; becomes `Stopped` after the creation duration.
        Pending = "Pending",
        /// Started; becomes `Running` after the start duration.
        Starting = "Starting",
        /// Running.
        Running = "Running",
        /// Stopped by StopInstance; becomes `Stopped` after the stop duration.
        Stopping = "Stopping",
        /// Stopped.
        Stopped = "Stopped",
    }
);

wire_enum!(
    /// How an instance (or a disk) is billed.
    ChargeType {
        /// Pay-as-you-go.
        PostPaid = "PostPaid",
        /// Subscription, with an `ExpiredTime`.
        PrePaid = "PrePaid",
    }
);

wire_enum!(
    /// The unit of a subscription period.
    PeriodUnit {
        /// 7 days.
        Week = "Week",
        /// A calendar month.
        Month = "Month",
    }
);

wire_enum!(
    /// Why an instance is locked (`OperationLocks.LockReason`).
    LockReason {
        /// Locked for security reasons: changes the release rules (docs/BEHAVIOUR.md §3).
        Security = "security",
        /// Locked for overdue payment or subscription expiry.
        Financial = "financial",
        /// Being recycled.
        Recycling = "Recycling",
        /// The dedicated host is locked for payment.
        DedicatedHostFinancial = "dedicatedhostfinancial",
        /// Refunded.
        Refunded = "refunded",
    }
);

wire_enum!(
    /// A disk's role.
    DiskType {
        /// The instance's system disk: created with it, never detached.
        System = "system",
        /// A data disk.
        Data = "data",
    }
);

wire_enum!(
    /// A disk's status.
    DiskStatus {
        /// Attached to an instance.
        InUse = "In_use",
        /// Not attached.
        Available = "Available",
    }
);

wire_enum!(
    /// Who took a snapshot.
    SnapshotType {
        /// The automatic snapshot policy.
        Auto = "auto",
        /// A user, with CreateSnapshot.
        User = "user",
    }
);

wire_enum!(
    /// Why an instance changed status.
    StatusReason {
        /// Creation finished (`Pending -> Stopped`).
        Created = "Created",
        /// StartInstance (`Stopped -> Starting`).
        StartInstance = "StartInstance",
        /// Start finished (`Starting -> Running`).
        Started = "Started",
        /// StopInstance (`Running -> Stopping`).
        StopInstance = "StopInstance",
        /// Stop finished (`Stopping -> Stopped`).
        Stopped = "Stopped",
        /// The subscription expired and the platform stopped the instance.
        Expired = "Expired",
        /// A forced release with `ForceStop=false`: stopped before release.
        StopForRelease = "StopForRelease",
    }
);

wire_enum!(
    /// What set off a release the platform carries out (rather than the
    /// DeleteInstance request itself).
    ReleaseTrigger {
        /// A DeleteInstance/DeleteInstances with `Force=true, ForceStop=false`,
        /// once the orderly stop completed.
        Request = "Request",
        /// The instance's `AutoReleaseTime` arrived.
        AutoReleaseTime = "AutoReleaseTime",
        /// A subscription was not renewed within 15 days of its expiry.
        SubscriptionEnded = "SubscriptionEnded",
    }
);

wire_enum!(
    /// The platform's system events on instances (DescribeInstanceHistoryEvents).
    SystemEventType {
        /// Expiry stopped a subscription instance.
        ExpirationStop = "InstanceExpiration.Stop",
        /// A subscription not renewed in time was released.
        ExpirationDelete = "InstanceExpiration.Delete",
    }
);

wire_enum!(
    /// Why a disk was released.
    DiskReleaseReason {
        /// Its `DeleteWithInstance` was true when its instance was released.
        DeleteWithInstance = "DeleteWithInstance",
        /// Its instance had a `security` lock (and `DeleteWithInstance` was false).
        SecurityLock = "SecurityLock",
        /// DeleteDisk.
        DeleteDisk = "DeleteDisk",
    }
);

wire_enum!(
    /// Why a disk was detached.
    DetachReason {
        /// Its instance was released and the disk was kept.
        InstanceReleased = "InstanceReleased",
        /// DetachDisk.
        DetachDisk = "DetachDisk",
    }
);

wire_enum!(
    /// Why a snapshot was released.
    SnapshotReleaseReason {
        /// An `auto` snapshot of a released disk whose `DeleteAutoSnapshot` was true.
        DeleteAutoSnapshot = "DeleteAutoSnapshot",
        /// DeleteSnapshot.
        DeleteSnapshot = "DeleteSnapshot",
    }
);

wire_enum!(
    /// The kind of a route entry's next hop; only instances are modelled.
    NextHopType {
        /// An ECS instance.
        Instance = "Instance",
    }
);

impl InstanceStatus {
    /// `Pending`, `Starting` or `Stopping`: a status that ends by itself.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            InstanceStatus::Pending | InstanceStatus::Starting | InstanceStatus::Stopping
        )
    }
}
