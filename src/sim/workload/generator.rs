//! The seeded generator of everyday operations: every action, valid and
//! invalid, over recent, live, released, foreign and unknown resources.

use super::{FaultKind, Op, Pool, Pools, RETRY_WINDOW, ReleaseAt, Target, View};
use crate::model::values::{InstanceStatus, LockReason, PeriodUnit};
use crate::sim::driver::INVALID;
use crate::sim::oracle::History;

/// Generates operations from a seed.
#[derive(Debug)]
pub struct Generator {
    pub(super) rng: fastrand::Rng,
    pub(super) accounts: u8,
    faults: bool,
    tokens: u32,
    tokened: u32,
}

const LOCKS: [LockReason; 5] = [
    LockReason::Security,
    LockReason::Financial,
    LockReason::Recycling,
    LockReason::DedicatedHostFinancial,
    LockReason::Refunded,
];

impl Generator {
    /// A generator for `accounts` accounts (1-255), with or without faults.
    pub fn new(seed: u64, accounts: u8, faults: bool) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed ^ 0x005E_ED0F_51A1),
            accounts: accounts.max(1),
            faults,
            tokens: 0,
            tokened: 0,
        }
    }

    /// The next operation, given what exists: upkeep when the population is
    /// over its bounds (or, rarely, a quota filled), else an everyday one.
    pub fn next(&mut self, view: &View<'_>) -> Op {
        match self.upkeep(view) {
            Some(op) => op,
            None => self.everyday(view),
        }
    }

    /// Seconds the clock moves between two operations.
    pub fn drift(&mut self) -> u32 {
        self.rng.u32(0..3)
    }

    pub(super) fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    /// A target in `pool`: usually a recent one, often a live one, sometimes
    /// any ever created or one never created.
    fn target(&mut self, pool: &Pool, prefix: &str) -> (Target, Option<u8>) {
        if pool.is_empty() || self.chance(7) {
            let body: String = (0..14)
                .map(|_| self.rng.alphanumeric().to_ascii_lowercase())
                .collect();
            return (Target::Unknown(format!("{prefix}-{body}")), None);
        }
        let len = pool.len() as u32;
        let n = match self.rng.u32(0..100) {
            0..=59 => len - 1 - self.rng.u32(0..len.min(12)),
            60..=84 if pool.live_len() > 0 => pool.live(self.rng.usize(0..pool.live_len())),
            _ => self.rng.u32(0..len),
        };
        (Target::Known(n), Some(pool.owner(n as usize)))
    }

    /// The account to act as: usually the owner, sometimes another (isolation).
    fn account_for(&mut self, owner: Option<u8>) -> u8 {
        match owner {
            Some(o) if !self.chance(8) => o,
            _ => self.any_account(),
        }
    }

    fn any_account(&mut self) -> u8 {
        self.rng.u8(0..self.accounts)
    }

    fn token(&mut self) -> Option<String> {
        if !self.chance(15) {
            return None;
        }
        self.tokens += 1;
        self.tokened += 1;
        Some(format!("tok-{}-{}", self.tokens, self.rng.u32(..)))
    }

    fn instance(&mut self, pools: &Pools) -> (u8, Target) {
        let (t, owner) = self.target(&pools.instances, "i");
        (self.account_for(owner), t)
    }

    fn disk(&mut self, pools: &Pools) -> (u8, Target) {
        let (t, owner) = self.target(&pools.disks, "d");
        (self.account_for(owner), t)
    }

    /// One everyday operation; the roll (per mille) picks its family.
    fn everyday(&mut self, view: &View<'_>) -> Op {
        let roll = self.rng.u32(0..1000);
        match roll {
            0..=119 => self.create(),
            120..=504 => self.instance_op(roll, view.pools),
            505..=749 => self.disk_op(roll, view.pools),
            750..=829 => self.network_op(roll, view.pools),
            830..=879 => self.lock_op(roll, view.pools),
            _ => self.other_op(roll, view),
        }
    }

    fn create(&mut self) -> Op {
        let disks = if self.chance(3) {
            16
        } else {
            self.rng.usize(0..4)
        };
        let data = (0..disks)
            .map(|_| (20 + self.rng.u32(0..60), self.chance(60), self.chance(40)))
            .collect();
        let prepaid = self.chance(20).then(|| {
            if self.chance(70) {
                (self.rng.u32(1..3), PeriodUnit::Week)
            } else {
                (1, PeriodUnit::Month)
            }
        });
        let protection = prepaid.is_none() && self.chance(10);
        Op::Create {
            account: self.any_account(),
            data,
            prepaid,
            protection,
            token: self.token(),
        }
    }

    fn instance_op(&mut self, roll: u32, pools: &Pools) -> Op {
        if (250..=289).contains(&roll) {
            return self.delete_many(pools);
        }
        if (445..=459).contains(&roll) {
            return self.charge_type(pools);
        }
        let (account, target) = self.instance(pools);
        match roll {
            120..=249 => {
                let force = self.chance(35);
                Op::Delete {
                    account,
                    target,
                    force,
                    orderly: force && self.chance(40),
                    dry: self.chance(8),
                    token: self.token(),
                }
            }
            290..=359 => Op::Start { account, target },
            360..=379 => Op::AutoRelease {
                account,
                target,
                at: self.release_at(),
            },
            380..=444 => Op::Stop { account, target },
            460..=484 => Op::Protect {
                account,
                target,
                on: self.chance(50),
            },
            _ => Op::Renew {
                account,
                target,
                months: self.rng.u32(1..3),
            },
        }
    }

    fn delete_many(&mut self, pools: &Pools) -> Op {
        let n = self.rng.usize(1..5);
        let mut targets = Vec::with_capacity(n);
        let mut account = self.any_account();
        for k in 0..n {
            let (t, owner) = self.target(&pools.instances, "i");
            if k == 0 {
                account = self.account_for(owner);
            }
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        let force = self.chance(40);
        Op::DeleteMany {
            account,
            targets,
            force,
            orderly: force && self.chance(40),
            dry: self.chance(15),
        }
    }

    /// An `AutoReleaseTime`: mostly within two days (the clock reaches it),
    /// sometimes years ahead, none, too soon, too far or malformed.
    fn release_at(&mut self) -> ReleaseAt {
        let minutes = self.chance(30);
        let secs = match self.rng.u32(0..100) {
            0..=9 => return ReleaseAt::Clear,
            10..=19 => return ReleaseAt::Malformed(self.rng.u8(0..5)),
            20..=29 => self.rng.u32(0..1800),
            30..=34 => 1096 * 86_400 + self.rng.u32(0..60 * 86_400),
            35..=39 => self.rng.u32(1800..1000 * 86_400),
            _ => 1800 + self.rng.u32(0..2 * 86_400),
        };
        ReleaseAt::In { secs, minutes }
    }

    /// ModifyInstanceChargeType of one to three instances, either way (a
    /// period of 5 weeks is refused).
    fn charge_type(&mut self, pools: &Pools) -> Op {
        let n = if self.chance(70) {
            1
        } else {
            self.rng.usize(2..4)
        };
        let mut targets = Vec::with_capacity(n);
        let mut account = self.any_account();
        for k in 0..n {
            let (t, owner) = self.target(&pools.instances, "i");
            if k == 0 {
                account = self.account_for(owner);
            }
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        let period = self.chance(50).then(|| {
            if self.chance(70) {
                (self.rng.u32(1..6), PeriodUnit::Week)
            } else {
                (self.rng.u32(1..3), PeriodUnit::Month)
            }
        });
        Op::ChargeType {
            account,
            targets,
            period,
            include_data: self.chance(50),
        }
    }

    fn disk_op(&mut self, roll: u32, pools: &Pools) -> Op {
        match roll {
            505..=534 => Op::CreateDisk {
                account: self.any_account(),
                size: 20 + self.rng.u32(0..100),
                token: self.token(),
            },
            535..=614 => {
                let (account, disk) = self.disk(pools);
                let (instance, _) = self.target(&pools.instances, "i");
                if roll <= 579 {
                    let dwi = self.chance(50);
                    Op::Attach {
                        account,
                        disk,
                        instance,
                        dwi,
                    }
                } else {
                    Op::Detach {
                        account,
                        disk,
                        instance,
                    }
                }
            }
            615..=639 => {
                let (account, disk) = self.disk(pools);
                let dwi = self.chance(50).then(|| self.chance(50));
                let das = self.chance(50).then(|| self.chance(50));
                Op::ModifyDisk {
                    account,
                    disk,
                    dwi,
                    das,
                }
            }
            640..=704 => {
                let (account, disk) = self.disk(pools);
                let auto = self.chance(50);
                Op::Snapshot {
                    account,
                    disk,
                    auto,
                }
            }
            705..=724 => {
                let (snapshot, owner) = self.target(&pools.snapshots, "s");
                let account = self.account_for(owner);
                Op::DeleteSnapshot { account, snapshot }
            }
            _ => {
                let (account, disk) = self.disk(pools);
                Op::DeleteDisk { account, disk }
            }
        }
    }

    fn network_op(&mut self, roll: u32, pools: &Pools) -> Op {
        if (775..=789).contains(&roll) {
            return Op::Unroute {
                account: self.any_account(),
                table: self.rng.u8(0..3),
                cidr: self.rng.u8(0..4),
            };
        }
        let (account, instance) = self.instance(pools);
        match roll {
            750..=774 => Op::Route {
                account,
                table: self.rng.u8(0..3),
                cidr: self.rng.u8(0..4),
                instance,
            },
            790..=814 => Op::Backend {
                account,
                lb: self.rng.u8(0..3),
                instance,
                weight: self.rng.u32(0..101),
            },
            _ => Op::Unbackend {
                account,
                lb: self.rng.u8(0..3),
                instance,
            },
        }
    }

    fn lock_op(&mut self, roll: u32, pools: &Pools) -> Op {
        let (account, instance) = self.instance(pools);
        if roll >= 860 {
            let reason = LOCKS[self.rng.usize(0..LOCKS.len())];
            return Op::Unlock {
                account,
                instance,
                reason,
            };
        }
        // Security locks change DeleteInstance's answer most: half of all.
        let reason = if self.chance(50) {
            LockReason::Security
        } else {
            LOCKS[self.rng.usize(0..LOCKS.len())]
        };
        Op::Lock {
            account,
            instance,
            reason,
        }
    }

    /// Queries, malformed requests, retries, the clock, batches and faults.
    fn other_op(&mut self, roll: u32, view: &View<'_>) -> Op {
        match roll {
            888..=894 => {
                let kinds = [History::ExpirationStop, History::ExpirationDelete];
                let kind = self.chance(50).then(|| kinds[self.rng.usize(0..2)]);
                Op::History {
                    account: self.any_account(),
                    kind,
                }
            }
            880..=887 => {
                let statuses = [
                    InstanceStatus::Pending,
                    InstanceStatus::Running,
                    InstanceStatus::Stopped,
                ];
                let status = self.chance(40).then(|| statuses[self.rng.usize(0..3)]);
                let account = self.any_account();
                Op::Describe { account, status }
            }
            895..=919 => Op::Invalid {
                account: self.any_account(),
                case: self.rng.u8(0..INVALID.len() as u8),
            },
            920..=934 if self.tokened > 0 => Op::Retry {
                nth: self.rng.u32(0..self.tokened.min(RETRY_WINDOW)),
                changed: self.chance(30),
            },
            970..=984 => self.batch(view),
            985.. if self.faults => Op::Fault {
                kind: FaultKind::ALL[self.rng.usize(0..FaultKind::ALL.len())],
            },
            _ => Op::Advance {
                secs: self.advance(),
            },
        }
    }

    /// Several everyday requests in one group commit.
    fn batch(&mut self, view: &View<'_>) -> Op {
        let n = self.rng.usize(2..5);
        let mut ops = Vec::with_capacity(n);
        while ops.len() < n {
            let op = self.everyday(view);
            if op.is_request() {
                ops.push(op);
            }
        }
        Op::Batch { ops }
    }

    /// A clock jump: mostly seconds or minutes, sometimes days, now and
    /// then past the 15 days after an expiry or past a month
    /// (subscriptions expire and are released).
    fn advance(&mut self) -> u32 {
        match self.rng.u32(0..100) {
            0..=69 => self.rng.u32(1..10),
            70..=89 => self.rng.u32(60..600),
            90..=95 => self.rng.u32(86_400..10 * 86_400),
            96..=97 => self.rng.u32(15 * 86_400..18 * 86_400),
            _ => self.rng.u32(31 * 86_400..40 * 86_400),
        }
    }
}
