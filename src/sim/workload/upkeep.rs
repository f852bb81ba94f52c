//! Upkeep: the generator keeps the live population within bounds, and now
//! and then fills one disk with snapshots or one route table with entries
//! up to its quota.
//!
//! Left alone, a generated workload creates faster than it releases (most
//! DeleteInstance requests are refused by some rule), so the live records,
//! and with them the cost of every recovery, Describe and checkpoint, would
//! grow with the steps taken. Above a bound, half the operations release
//! something instead: an upkeep operation asks the oracle what stands in the
//! way of a release and removes that first (a lock, protection, a route
//! entry, a backend server, a transition or subscription still running).
//! Upkeep operations are ordinary operations, checked like any other.

use super::{Generator, Op, Pool, TABLES, Target, View, account_index, cidr_block, cidr_index};
use crate::model::error::Code;
use crate::model::time::Timestamp;
use crate::model::values::{InstanceStatus, LockReason};
use crate::sim::oracle::{OInstance, ROUTE_ENTRIES_MAX, SNAPSHOTS_PER_DISK_MAX};

/// Live instances per account above which upkeep releases instances.
pub const INSTANCES_PER_ACCOUNT_MAX: usize = 32;
/// Live disks per live-instance bound above which upkeep releases disks.
pub const DISKS_PER_INSTANCE_MAX: usize = 2;
/// Live snapshots per live-disk bound above which upkeep deletes snapshots.
pub const SNAPSHOTS_PER_DISK_SOFT_MAX: usize = 1;
/// Route entries (all tables) above which upkeep empties the fullest table.
pub const ROUTE_ENTRIES_SOFT_MAX: usize = 24;
/// One operation in this many fills a disk or a route table to its quota.
pub const FILL_ODDS: u32 = 4000;
/// Most releases one upkeep batch sends.
const UPKEEP_BATCH_MAX: usize = 16;

/// Seconds from `now` to just past `then` (at least one).
fn secs_past(now: Timestamp, then: Timestamp) -> u32 {
    let secs = then.unix().saturating_sub(now.unix()).saturating_add(1);
    u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
}

/// A live id of `pool` at random: its index and owner.
fn pick_live(generator: &mut Generator, pool: &Pool) -> Option<(u32, u8)> {
    if pool.live_len() == 0 {
        return None;
    }
    let n = pool.live(generator.rng.usize(0..pool.live_len()));
    Some((n, pool.owner(n as usize)))
}

impl Generator {
    /// An upkeep operation, when one is due.
    pub(super) fn upkeep(&mut self, view: &View<'_>) -> Option<Op> {
        if self.rng.u32(0..FILL_ODDS) == 0 {
            return self.fill(view);
        }
        let instances_max = INSTANCES_PER_ACCOUNT_MAX * usize::from(self.accounts);
        let disks_max = instances_max * DISKS_PER_INSTANCE_MAX;
        let snapshots_max = disks_max * SNAPSHOTS_PER_DISK_SOFT_MAX;
        let pools = view.pools;
        let routes: usize = view.oracle.tables.values().map(|t| t.entries.len()).sum();
        let over = [
            pools.instances.live_len() > instances_max,
            pools.disks.live_len() > disks_max,
            pools.snapshots.live_len() > snapshots_max,
            routes > ROUTE_ENTRIES_SOFT_MAX,
        ];
        let kind = over.iter().position(|o| *o)?;
        if !self.chance(50) {
            return None;
        }
        match kind {
            0 => self.release_instance(view, None),
            1 => self.release_disk(view),
            2 => Some(self.delete_snapshots(view)),
            _ => self.empty_table(view),
        }
    }

    /// The next step towards releasing an instance (`n`, or one at random).
    fn release_instance(&mut self, view: &View<'_>, n: Option<u32>) -> Option<Op> {
        let pool = &view.pools.instances;
        let (n, account) = match n {
            Some(n) => (n, pool.owner(n as usize)),
            None => pick_live(self, pool)?,
        };
        let id = pool.id(n as usize);
        let i = view.oracle.instances.get(id)?;
        let target = Target::Known(n);
        let running = i.status == InstanceStatus::Running;
        if i.locks.contains_key(&LockReason::Security) && (i.protection || running) {
            // Protection cannot be lifted while locked; a locked instance is
            // released stopped (and its disks with it).
            return Some(if i.protection {
                Op::Unlock {
                    account,
                    instance: target,
                    reason: LockReason::Security,
                }
            } else {
                Op::Stop { account, target }
            });
        }
        let blocker = view
            .oracle
            .delete_blocker(&i.account, id, running, view.now);
        Some(unblock(blocker, i, account, target, view.now))
    }

    /// The next step towards releasing a disk: delete it if detached, detach
    /// a data disk, release the instance of a system disk.
    fn release_disk(&mut self, view: &View<'_>) -> Option<Op> {
        let (n, account) = pick_live(self, &view.pools.disks)?;
        let d = view.oracle.disks.get(view.pools.disks.id(n as usize))?;
        let disk = Target::Known(n);
        let Some(on) = &d.instance else {
            return Some(Op::DeleteDisk { account, disk });
        };
        let i = view.pools.instances.index_of(on)?;
        if d.system {
            return self.release_instance(view, Some(i));
        }
        Some(Op::Detach {
            account,
            disk,
            instance: Target::Known(i),
        })
    }

    /// Deletes a few live snapshots at random, in one group commit.
    fn delete_snapshots(&mut self, view: &View<'_>) -> Op {
        let pool = &view.pools.snapshots;
        let ops = (0..UPKEEP_BATCH_MAX.min(pool.live_len()))
            .filter_map(|_| pick_live(self, pool))
            .map(|(n, account)| Op::DeleteSnapshot {
                account,
                snapshot: Target::Known(n),
            })
            .collect();
        Op::Batch { ops }
    }

    /// Deletes entries of the fullest route table, in one group commit.
    fn empty_table(&mut self, view: &View<'_>) -> Option<Op> {
        let (table, t) = TABLES
            .iter()
            .enumerate()
            .filter_map(|(k, name)| Some((k, view.oracle.tables.get(*name)?)))
            .max_by_key(|(_, t)| t.entries.len())?;
        let account = account_index(&t.owner)?;
        let ops = t
            .entries
            .keys()
            .filter_map(|cidr| cidr_index(cidr))
            .take(UPKEEP_BATCH_MAX)
            .map(|cidr| Op::Unroute {
                account,
                table: table as u8,
                cidr,
            })
            .collect();
        Some(Op::Batch { ops })
    }

    /// Fills a disk with snapshots, or a route table with entries, past its
    /// quota: the last requests of the batch are refused.
    fn fill(&mut self, view: &View<'_>) -> Option<Op> {
        if self.chance(50) {
            self.fill_disk(view)
        } else {
            self.fill_table(view)
        }
    }

    fn fill_disk(&mut self, view: &View<'_>) -> Option<Op> {
        let (n, account) = pick_live(self, &view.pools.disks)?;
        let d = view.oracle.disks.get(view.pools.disks.id(n as usize))?;
        let missing = (SNAPSHOTS_PER_DISK_MAX + 2).saturating_sub(d.snapshots.len());
        // Automatic snapshots: no instance status can refuse them first.
        let snapshot = Op::Snapshot {
            account,
            disk: Target::Known(n),
            auto: true,
        };
        Some(Op::Batch {
            ops: vec![snapshot; missing],
        })
    }

    fn fill_table(&mut self, view: &View<'_>) -> Option<Op> {
        let (n, account) = pick_live(self, &view.pools.instances)?;
        let owner = view
            .oracle
            .instances
            .get(view.pools.instances.id(n as usize))?;
        let owner = &owner.account;
        let (table, entries) = TABLES.iter().enumerate().find_map(|(k, name)| {
            match view.oracle.tables.get(*name) {
                None => Some((k, None)),
                Some(t) if &t.owner == owner => Some((k, Some(&t.entries))),
                Some(_) => None,
            }
        })?;
        let used = |c: u8| entries.is_some_and(|e| e.contains_key(&cidr_block(c)));
        let missing = (ROUTE_ENTRIES_MAX + 2).saturating_sub(entries.map_or(0, |e| e.len()));
        let ops = (0..=u8::MAX)
            .filter(|c| !used(*c))
            .take(missing)
            .map(|cidr| Op::Route {
                account,
                table: table as u8,
                cidr,
                instance: Target::Known(n),
            })
            .collect();
        Some(Op::Batch { ops })
    }
}

/// The operation that removes what stands in the way of releasing `i`.
fn unblock(
    blocker: Option<Code>,
    i: &OInstance,
    account: u8,
    target: Target,
    now: Timestamp,
) -> Op {
    let force = i.status == InstanceStatus::Running;
    match blocker {
        Some(Code::InstanceInitializing | Code::IncorrectInstanceStatus) => Op::Advance {
            secs: i.until.map_or(1, |until| secs_past(now, until)),
        },
        Some(Code::ChargeTypeViolation) => Op::Advance {
            secs: i.expiry.map_or(1, |expiry| secs_past(now, expiry)),
        },
        Some(Code::DeletionProtection) => Op::Protect {
            account,
            target,
            on: false,
        },
        Some(Code::DependencyRouteEntry) => Op::Batch {
            ops: i
                .routes
                .iter()
                .filter_map(|(table, cidr)| {
                    let table = TABLES.iter().position(|t| t == table)? as u8;
                    Some(Op::Unroute {
                        account,
                        table,
                        cidr: cidr_index(cidr)?,
                    })
                })
                .collect(),
        },
        Some(Code::DependencySlb) => Op::Batch {
            ops: i
                .lbs
                .iter()
                .filter_map(|lb| {
                    let lb = super::LBS.iter().position(|l| l == lb)? as u8;
                    Some(Op::Unbackend {
                        account,
                        lb,
                        instance: target.clone(),
                    })
                })
                .collect(),
        },
        _ => Op::Delete {
            account,
            target,
            force,
            orderly: false,
            dry: false,
            token: None,
        },
    }
}
