//! The workload: structured operations over every action, valid and invalid,
//! and a seeded generator of them.
//!
//! Operations name resources by index into pools of every id the run has
//! created ([`Target::Known`]), so a trace stays meaningful when steps are
//! deleted from it (shrinking), and they hit live, released and foreign
//! resources alike.

use serde::{Deserialize, Serialize};

use super::faults::FaultKind;
use super::oracle::Oracle;
use crate::model::values::{InstanceStatus, LockReason, PeriodUnit};

/// A resource an operation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The n-th id of its kind created in this run (modulo the pool size).
    Known(u32),
    /// An id that was never created.
    Unknown(String),
}

/// One step of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Op {
    Create {
        account: u8,
        data: Vec<(u32, bool, bool)>,
        prepaid: Option<(u32, PeriodUnit)>,
        protection: bool,
        token: Option<String>,
    },
    Delete {
        account: u8,
        target: Target,
        force: bool,
        dry: bool,
        token: Option<String>,
    },
    DeleteMany {
        account: u8,
        targets: Vec<Target>,
        force: bool,
        dry: bool,
    },
    Start {
        account: u8,
        target: Target,
    },
    Stop {
        account: u8,
        target: Target,
    },
    Protect {
        account: u8,
        target: Target,
        on: bool,
    },
    Renew {
        account: u8,
        target: Target,
        months: u32,
    },
    CreateDisk {
        account: u8,
        size: u32,
        token: Option<String>,
    },
    Attach {
        account: u8,
        disk: Target,
        instance: Target,
        dwi: bool,
    },
    Detach {
        account: u8,
        disk: Target,
        instance: Target,
    },
    ModifyDisk {
        account: u8,
        disk: Target,
        dwi: Option<bool>,
        das: Option<bool>,
    },
    Snapshot {
        account: u8,
        disk: Target,
        auto: bool,
    },
    DeleteSnapshot {
        account: u8,
        snapshot: Target,
    },
    DeleteDisk {
        account: u8,
        disk: Target,
    },
    Route {
        account: u8,
        table: u8,
        cidr: u8,
        instance: Target,
    },
    Unroute {
        account: u8,
        table: u8,
        cidr: u8,
    },
    Backend {
        account: u8,
        lb: u8,
        instance: Target,
        weight: u32,
    },
    Unbackend {
        account: u8,
        lb: u8,
        instance: Target,
    },
    Lock {
        account: u8,
        instance: Target,
        reason: LockReason,
    },
    Unlock {
        account: u8,
        instance: Target,
        reason: LockReason,
    },
    Describe {
        account: u8,
        status: Option<InstanceStatus>,
    },
    /// One of a fixed list of malformed requests ([`super::driver::INVALID`]).
    Invalid {
        account: u8,
        case: u8,
    },
    /// Send again the n-th request that carried a ClientToken (a retry after a
    /// lost answer), unchanged or with a parameter changed.
    Retry {
        nth: u32,
        changed: bool,
    },
    /// Move the clock forward.
    Advance {
        secs: u32,
    },
    /// Several requests in one group commit (racing callers).
    Batch {
        ops: Vec<Op>,
    },
    /// Inject a fault.
    Fault {
        kind: FaultKind,
    },
}

/// Ids created so far, by kind, with their owner's account index.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// Instances.
    pub instances: Vec<(String, u8)>,
    /// Disks.
    pub disks: Vec<(String, u8)>,
    /// Snapshots.
    pub snapshots: Vec<(String, u8)>,
}

impl Pools {
    /// Resolves a target in a pool.
    pub fn resolve(pool: &[(String, u8)], t: &Target, kind: &str) -> String {
        match t {
            Target::Known(n) if !pool.is_empty() => pool[*n as usize % pool.len()].0.clone(),
            Target::Known(n) => format!("{kind}-nothing{n:08}"),
            Target::Unknown(id) => id.clone(),
        }
    }
}

/// Generates operations from a seed.
#[derive(Debug)]
pub struct Generator {
    rng: fastrand::Rng,
    accounts: u8,
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

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    /// A target in `pool`: usually a known one, sometimes one never created.
    fn target(&mut self, pool: &[(String, u8)], prefix: &str) -> (Target, Option<u8>) {
        if pool.is_empty() || self.chance(7) {
            let body: String = (0..14)
                .map(|_| self.rng.alphanumeric().to_ascii_lowercase())
                .collect();
            return (Target::Unknown(format!("{prefix}-{body}")), None);
        }
        // Prefer recent resources: they are more likely to be alive.
        let len = pool.len() as u32;
        let n = if self.chance(70) {
            len - 1 - self.rng.u32(0..len.min(12))
        } else {
            self.rng.u32(0..len)
        };
        (Target::Known(n), Some(pool[n as usize].1))
    }

    /// The account to act as: usually the owner, sometimes another (isolation).
    fn account_for(&mut self, owner: Option<u8>) -> u8 {
        match owner {
            Some(o) if !self.chance(8) => o,
            _ => self.rng.u8(0..self.accounts),
        }
    }

    fn token(&mut self) -> Option<String> {
        if self.chance(15) {
            self.tokens += 1;
            self.tokened += 1;
            Some(format!("tok-{}-{}", self.tokens, self.rng.u32(..)))
        } else {
            None
        }
    }

    fn instance(&mut self, pools: &Pools) -> (u8, Target) {
        let (t, owner) = self.target(&pools.instances, "i");
        (self.account_for(owner), t)
    }

    /// The next operation, given what exists.
    pub fn next(&mut self, pools: &Pools, oracle: &Oracle) -> Op {
        let _ = oracle;
        let roll = self.rng.u32(0..1000);
        match roll {
            0..=119 => self.create(),
            120..=249 => {
                let (account, target) = self.instance(pools);
                let force = self.chance(35);
                let dry = self.chance(8);
                let token = self.token();
                Op::Delete {
                    account,
                    target,
                    force,
                    dry,
                    token,
                }
            }
            250..=289 => {
                let n = self.rng.usize(1..5);
                let mut targets = Vec::with_capacity(n);
                let mut account = self.rng.u8(0..self.accounts);
                for k in 0..n {
                    let (t, owner) = self.target(&pools.instances, "i");
                    if k == 0 {
                        account = self.account_for(owner);
                    }
                    if !targets.contains(&t) {
                        targets.push(t);
                    }
                }
                Op::DeleteMany {
                    account,
                    targets,
                    force: self.chance(40),
                    dry: self.chance(15),
                }
            }
            290..=379 => {
                let (account, target) = self.instance(pools);
                Op::Start { account, target }
            }
            380..=459 => {
                let (account, target) = self.instance(pools);
                Op::Stop { account, target }
            }
            460..=484 => {
                let (account, target) = self.instance(pools);
                Op::Protect {
                    account,
                    target,
                    on: self.chance(50),
                }
            }
            485..=504 => {
                let (account, target) = self.instance(pools);
                Op::Renew {
                    account,
                    target,
                    months: self.rng.u32(1..3),
                }
            }
            505..=534 => Op::CreateDisk {
                account: self.rng.u8(0..self.accounts),
                size: 20 + self.rng.u32(0..100),
                token: self.token(),
            },
            535..=579 => {
                let (disk, owner) = self.target(&pools.disks, "d");
                let account = self.account_for(owner);
                let (instance, _) = self.target(&pools.instances, "i");
                Op::Attach {
                    account,
                    disk,
                    instance,
                    dwi: self.chance(50),
                }
            }
            580..=614 => {
                let (disk, owner) = self.target(&pools.disks, "d");
                let account = self.account_for(owner);
                let (instance, _) = self.target(&pools.instances, "i");
                Op::Detach {
                    account,
                    disk,
                    instance,
                }
            }
            615..=639 => {
                let (disk, owner) = self.target(&pools.disks, "d");
                let account = self.account_for(owner);
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
                let (disk, owner) = self.target(&pools.disks, "d");
                let account = self.account_for(owner);
                Op::Snapshot {
                    account,
                    disk,
                    auto: self.chance(50),
                }
            }
            705..=724 => {
                let (snapshot, owner) = self.target(&pools.snapshots, "s");
                Op::DeleteSnapshot {
                    account: self.account_for(owner),
                    snapshot,
                }
            }
            725..=749 => {
                let (disk, owner) = self.target(&pools.disks, "d");
                Op::DeleteDisk {
                    account: self.account_for(owner),
                    disk,
                }
            }
            750..=774 => {
                let (account, instance) = self.instance(pools);
                Op::Route {
                    account,
                    table: self.rng.u8(0..3),
                    cidr: self.rng.u8(0..4),
                    instance,
                }
            }
            775..=789 => Op::Unroute {
                account: self.rng.u8(0..self.accounts),
                table: self.rng.u8(0..3),
                cidr: self.rng.u8(0..4),
            },
            790..=814 => {
                let (account, instance) = self.instance(pools);
                Op::Backend {
                    account,
                    lb: self.rng.u8(0..3),
                    instance,
                    weight: self.rng.u32(0..101),
                }
            }
            815..=829 => {
                let (account, instance) = self.instance(pools);
                Op::Unbackend {
                    account,
                    lb: self.rng.u8(0..3),
                    instance,
                }
            }
            830..=859 => {
                let (account, instance) = self.instance(pools);
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
            860..=879 => {
                let (account, instance) = self.instance(pools);
                Op::Unlock {
                    account,
                    instance,
                    reason: LOCKS[self.rng.usize(0..LOCKS.len())],
                }
            }
            880..=894 => {
                let status = self.chance(40).then(|| {
                    [
                        InstanceStatus::Pending,
                        InstanceStatus::Running,
                        InstanceStatus::Stopped,
                    ][self.rng.usize(0..3)]
                });
                Op::Describe {
                    account: self.rng.u8(0..self.accounts),
                    status,
                }
            }
            895..=919 => Op::Invalid {
                account: self.rng.u8(0..self.accounts),
                case: self.rng.u8(0..super::driver::INVALID.len() as u8),
            },
            920..=934 if self.tokened > 0 => Op::Retry {
                nth: self.rng.u32(0..self.tokened),
                changed: self.chance(30),
            },
            920..=969 => Op::Advance {
                secs: self.advance(),
            },
            970..=984 => {
                let n = self.rng.usize(2..5);
                let mut ops = Vec::with_capacity(n);
                while ops.len() < n {
                    let op = self.next(pools, oracle);
                    if op.is_request() {
                        ops.push(op);
                    }
                }
                Op::Batch { ops }
            }
            _ if self.faults => Op::Fault {
                kind: FaultKind::ALL[self.rng.usize(0..FaultKind::ALL.len())],
            },
            _ => Op::Advance {
                secs: self.advance(),
            },
        }
    }

    fn advance(&mut self) -> u32 {
        match self.rng.u32(0..100) {
            0..=69 => self.rng.u32(1..10),
            70..=89 => self.rng.u32(60..600),
            90..=97 => self.rng.u32(86_400..10 * 86_400),
            _ => self.rng.u32(31 * 86_400..40 * 86_400),
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
            account: self.rng.u8(0..self.accounts),
            data,
            prepaid,
            protection,
            token: self.token(),
        }
    }

    /// Seconds the clock moves between two operations.
    pub fn drift(&mut self) -> u32 {
        self.rng.u32(0..3)
    }
}

impl Op {
    /// True for an operation that is one request.
    pub fn is_request(&self) -> bool {
        !matches!(
            self,
            Op::Advance { .. } | Op::Batch { .. } | Op::Fault { .. } | Op::Retry { .. }
        )
    }
}
