//! Every limit of the model, in one place.
//!
//! Limits are part of the contract: a request beyond one gets a clear error, and
//! the code can rely on them (no unbounded list grows inside a record).

/// Minimum characters after an id's prefix (docs/BEHAVIOUR.md §1).
pub const ID_BODY_MIN: usize = 8;
/// Maximum characters after an id's prefix (docs/BEHAVIOUR.md §1).
pub const ID_BODY_MAX: usize = 32;
/// Characters after the prefix of a generated id (docs/BEHAVIOUR.md §1).
pub const GENERATED_ID_BODY: usize = 20;
/// Longest account name.
pub const ACCOUNT_MAX: usize = 64;
/// Longest `ClientToken`, in ASCII characters (docs/BEHAVIOUR.md §3 and §6).
pub const CLIENT_TOKEN_MAX: usize = 64;
/// How long a `ClientToken` is remembered, in seconds of ledger time (docs/BEHAVIOUR.md §6).
pub const CLIENT_TOKEN_TTL_SECS: i64 = 24 * 60 * 60;

/// Most instances in one `DeleteInstances` request (docs/BEHAVIOUR.md §3).
pub const DELETE_INSTANCES_MAX: usize = 100;
/// Most data disks on one instance, at creation and by attaching (ECS: 16).
pub const DATA_DISKS_MAX: usize = 16;
/// Most snapshots one disk may have (ECS: 256 per disk).
pub const SNAPSHOTS_PER_DISK_MAX: usize = 256;
/// Most custom route entries in one route table (VPC: 200).
pub const ROUTE_ENTRIES_MAX: usize = 200;
/// Most backend servers in one AddBackendServers/RemoveBackendServers call (SLB: 20).
pub const BACKEND_SERVERS_PER_CALL_MAX: usize = 20;
/// Most backend servers on one load balancer.
pub const BACKEND_SERVERS_MAX: usize = 200;

/// System disk size range, GiB (ECS cloud disks: 20-500).
pub const SYSTEM_DISK_SIZE: std::ops::RangeInclusive<u32> = 20..=500;
/// System disk size when `SystemDisk.Size` is absent, GiB.
pub const SYSTEM_DISK_SIZE_DEFAULT: u32 = 40;
/// Data disk size range, GiB (ECS cloud disks: 20-32768).
pub const DATA_DISK_SIZE: std::ops::RangeInclusive<u32> = 20..=32_768;
/// Subscription period range for `PeriodUnit=Month` (docs/BEHAVIOUR.md §4.3: 1-60 calendar months).
pub const PERIOD_MONTHS: std::ops::RangeInclusive<u32> = 1..=60;
/// Subscription period range for `PeriodUnit=Week` (ECS: 1-4 weeks).
pub const PERIOD_WEEKS: std::ops::RangeInclusive<u32> = 1..=4;
/// Backend server weight range (SLB: 0-100).
pub const BACKEND_WEIGHT: std::ops::RangeInclusive<u32> = 0..=100;
/// Longest free-text attribute kept (names, descriptions, lock messages).
pub const TEXT_MAX: usize = 256;
/// Default `PageSize` of the Describe actions.
pub const PAGE_SIZE_DEFAULT: u32 = 10;
/// `PageSize` range of the Describe actions.
pub const PAGE_SIZE: std::ops::RangeInclusive<u32> = 1..=100;
/// Most ids in a Describe filter such as `InstanceIds` (ECS: 100).
pub const DESCRIBE_IDS_MAX: usize = 100;

/// Latest time that can be represented (9999-12-31T23:59:59Z): keeps calendar
/// arithmetic in range.
pub const TIME_MAX: i64 = 253_402_300_799;
/// Latest ledger time a request may run at (9900-01-01T00:00:00Z). Every time
/// a request derives from its own (transitions, a subscription's expiry, an
/// automatic release, the end of a subscription's life) lies within a few
/// years of it, so it is always representable: a request is refused up front
/// rather than leave the ledger unable to take the next one (docs/BEHAVIOUR.md §6).
pub const LEDGER_TIME_MAX: i64 = 250_246_627_200;
/// Latest `ExpiredTime` a subscription may get (renewals included): well
/// inside the representable range, with room for what follows an expiry.
pub const EXPIRY_MAX: i64 = TIME_MAX - 366 * 24 * 60 * 60;
/// Longest configurable transition duration (one year).
pub const DURATION_MAX_SECS: u32 = 365 * 24 * 60 * 60;
