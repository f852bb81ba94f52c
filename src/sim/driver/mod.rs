//! Runs operations against the ledger and holds it to the oracle and the
//! invariants, step by step.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::SimConfig;
use super::coverage::Coverage;
use super::faults::FaultKind;
use super::oracle::{Expect, Oracle, is_placeholder};
use super::workload::{Op, Pools, Target};
use crate::ledger::inline::Inline;
use crate::ledger::{ClockMode, Config, Durability, LedgerError, Reply, Request};
use crate::log::{EventLog, Head, record};
use crate::model::State;
use crate::model::ctx::Durations;
use crate::model::error::Code;
use crate::model::event::{Event, Recorded};
use crate::model::id::{Account, RequestId};
use crate::model::state::evolve;
use crate::model::time::Timestamp;
use crate::model::values::{DiskType, SnapshotReleaseReason};
use crate::storage::memory::{Crash, MemoryStorage};

/// The malformed requests an [`Op::Invalid`] sends, by case number.
pub const INVALID: &[&str] = &[
    "DeleteInstance without InstanceId",
    "DeleteInstance with a malformed InstanceId",
    "CreateInstance with a PrePaid Period of 99",
    "CreateDisk with a Size that is not a number",
    "AttachDisk without DiskId",
    "LockInstance with an unknown LockReason",
    "DeleteInstances with 101 ids",
    "DeleteInstances with a repeated id",
    "DescribeInstances with PageSize 0",
    "CreateDisk with a 65-character ClientToken",
    "an unknown Action",
    "RenewInstance without Period",
];

fn invalid_request(case: u8) -> (&'static str, Vec<(String, String)>, Code) {
    let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    match case as usize % INVALID.len() {
        0 => ("DeleteInstance", p(&[]), Code::MissingParameter),
        1 => (
            "DeleteInstance",
            p(&[("InstanceId", "i-NOT_VALID")]),
            Code::InvalidParameter,
        ),
        2 => (
            "CreateInstance",
            p(&[("InstanceChargeType", "PrePaid"), ("Period", "99")]),
            Code::InvalidParameter,
        ),
        3 => ("CreateDisk", p(&[("Size", "big")]), Code::InvalidParameter),
        4 => (
            "AttachDisk",
            p(&[("InstanceId", "i-someinstance1")]),
            Code::MissingParameter,
        ),
        5 => (
            "LockInstance",
            p(&[("InstanceId", "i-someinstance1"), ("LockReason", "Bogus")]),
            Code::InvalidParameter,
        ),
        6 => (
            "DeleteInstances",
            (1..=101)
                .map(|n| (format!("InstanceId.{n}"), format!("i-{n:012}")))
                .collect(),
            Code::TooManyInstanceIds,
        ),
        7 => (
            "DeleteInstances",
            p(&[
                ("InstanceId.1", "i-someinstance1"),
                ("InstanceId.2", "i-someinstance1"),
            ]),
            Code::InvalidParameter,
        ),
        8 => (
            "DescribeInstances",
            p(&[("PageSize", "0")]),
            Code::InvalidParameter,
        ),
        9 => (
            "CreateDisk",
            vec![
                ("Size".into(), "20".into()),
                ("ClientToken".into(), "x".repeat(65)),
            ],
            Code::InvalidParameter,
        ),
        10 => ("FlyInstanceToTheMoon", p(&[]), Code::InvalidActionNotFound),
        _ => (
            "RenewInstance",
            p(&[("InstanceId", "i-someinstance1")]),
            Code::MissingParameter,
        ),
    }
}

const TABLES: [&str; 3] = ["vtb-simtable0001", "vtb-simtable0002", "vtb-simtable0003"];
const LBS: [&str; 3] = ["lb-simbalance001", "lb-simbalance002", "lb-simbalance003"];
const CIDRS: [&str; 4] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.100.0.0/16",
];

/// What is remembered of a successful request with a ClientToken.
#[derive(Debug, Clone)]
struct Remembered {
    action: String,
    params: BTreeMap<String, String>,
    time: Timestamp,
    request_id: RequestId,
    body: Option<Value>,
}

enum Expected {
    Oracle(Expect),
    Replay {
        request_id: RequestId,
        body: Option<Value>,
    },
    Describe(Vec<String>),
}

/// One simulation in progress.
pub struct Driver {
    config: SimConfig,
    storage: MemoryStorage,
    ledger: Option<Inline<MemoryStorage>>,
    oracle: Oracle,
    /// Ids created so far.
    pub pools: Pools,
    now: Timestamp,
    accounts: Vec<Account>,
    folded: State,
    head: Head,
    tokens: HashMap<(String, String), Remembered>,
    tokened: Vec<(Op, Request)>,
    seen: HashSet<String>,
    released: HashSet<String>,
    retained: HashSet<String>,
    armed: Option<FaultKind>,
    touched: std::collections::BTreeSet<String>,
    /// What the run reached.
    pub coverage: Coverage,
    /// Invariant checks performed.
    pub checks: u64,
    /// Requests sent.
    pub requests: u64,
    /// Ledger restarts.
    pub restarts: u64,
    lost_tokens: u64,
}

/// Where every simulation's clock starts: 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600;

fn ledger_config(seed: u64) -> Config {
    Config {
        seed: Some(seed),
        start_clock: Timestamp::from_unix(START),
        durability: Durability::Flush,
        clock: ClockMode::Manual,
        durations: Durations::default(),
        // Odd seeds checkpoint the state often (every 64 records), even ones
        // seldom: recovery from a checkpoint plus a tail and from the whole
        // log both meet the oracle.
        checkpoint_events: if seed % 2 == 1 { 64 } else { 100_000 },
        ..Config::default()
    }
}

impl Driver {
    /// A fresh simulation.
    pub fn new(config: SimConfig) -> Result<Self, String> {
        let storage = MemoryStorage::new();
        let ledger =
            Inline::open(storage.clone(), ledger_config(config.seed)).map_err(|e| e.to_string())?;
        let mut oracle = Oracle::new(Durations::default());
        oracle.forget_row_7 = config.plant_forget_row_7;
        let accounts = (0..config.accounts.max(1))
            .map(|n| {
                Account::parse(&if n == 0 {
                    "default".to_owned()
                } else {
                    format!("acct-{n}")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            head: ledger.head(),
            storage,
            ledger: Some(ledger),
            oracle,
            pools: Pools::default(),
            now: Timestamp::from_unix(START).unwrap_or_default(),
            accounts,
            folded: State::new(),
            tokens: HashMap::new(),
            tokened: Vec::new(),
            seen: HashSet::new(),
            released: HashSet::new(),
            retained: HashSet::new(),
            armed: None,
            touched: std::collections::BTreeSet::new(),
            coverage: Coverage::default(),
            checks: 0,
            requests: 0,
            restarts: 0,
            lost_tokens: 0,
        })
    }

    /// The oracle (for the generator).
    pub fn oracle(&self) -> &Oracle {
        &self.oracle
    }

    /// The log head.
    pub fn head(&self) -> Head {
        self.head
    }

    fn account(&self, n: u8) -> Account {
        self.accounts[n as usize % self.accounts.len()].clone()
    }

    fn ledger(&mut self) -> Result<&mut Inline<MemoryStorage>, String> {
        self.ledger
            .as_mut()
            .ok_or_else(|| "the ledger is not open".to_owned())
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.ledger = None;
        self.ledger = Some(
            Inline::open(self.storage.clone(), ledger_config(self.config.seed))
                .map_err(|e| format!("reopen after a crash failed: {e}"))?,
        );
        self.restarts += 1;
        Ok(())
    }

    // ------------------------------------------------------------ requests

    fn inst(&self, t: &Target) -> String {
        Pools::resolve(&self.pools.instances, t, "i")
    }
    fn disk(&self, t: &Target) -> String {
        Pools::resolve(&self.pools.disks, t, "d")
    }
    fn snap(&self, t: &Target) -> String {
        Pools::resolve(&self.pools.snapshots, t, "s")
    }

    /// The request an operation sends.
    fn request(&self, op: &Op) -> Option<Request> {
        let b = |v: bool| v.to_string();
        let (account, action, mut params): (u8, &str, Vec<(String, String)>) = match op {
            Op::Create {
                account,
                data,
                prepaid,
                protection,
                token,
            } => {
                let mut p = Vec::new();
                for (n, (size, dwi, das)) in data.iter().enumerate() {
                    p.push((format!("DataDisk.{}.Size", n + 1), size.to_string()));
                    p.push((format!("DataDisk.{}.DeleteWithInstance", n + 1), b(*dwi)));
                    p.push((format!("DataDisk.{}.DeleteAutoSnapshot", n + 1), b(*das)));
                }
                if let Some((n, unit)) = prepaid {
                    p.push(("InstanceChargeType".into(), "PrePaid".into()));
                    p.push(("Period".into(), n.to_string()));
                    p.push(("PeriodUnit".into(), unit.as_str().into()));
                }
                if *protection {
                    p.push(("DeletionProtection".into(), "true".into()));
                }
                if let Some(t) = token {
                    p.push(("ClientToken".into(), t.clone()));
                }
                (*account, "CreateInstance", p)
            }
            Op::Delete {
                account,
                target,
                force,
                dry,
                token,
            } => {
                let mut p = vec![
                    ("InstanceId".into(), self.inst(target)),
                    ("Force".into(), b(*force)),
                    ("DryRun".into(), b(*dry)),
                ];
                if let Some(t) = token {
                    p.push(("ClientToken".into(), t.clone()));
                }
                (*account, "DeleteInstance", p)
            }
            Op::DeleteMany {
                account,
                targets,
                force,
                dry,
            } => {
                let mut seen = HashSet::new();
                let mut p: Vec<(String, String)> = targets
                    .iter()
                    .map(|t| self.inst(t))
                    .filter(|id| seen.insert(id.clone()))
                    .enumerate()
                    .map(|(n, id)| (format!("InstanceId.{}", n + 1), id))
                    .collect();
                p.push(("Force".into(), b(*force)));
                p.push(("DryRun".into(), b(*dry)));
                (*account, "DeleteInstances", p)
            }
            Op::Start { account, target } => (
                *account,
                "StartInstance",
                vec![("InstanceId".into(), self.inst(target))],
            ),
            Op::Stop { account, target } => (
                *account,
                "StopInstance",
                vec![("InstanceId".into(), self.inst(target))],
            ),
            Op::Protect {
                account,
                target,
                on,
            } => (
                *account,
                "ModifyInstanceAttribute",
                vec![
                    ("InstanceId".into(), self.inst(target)),
                    ("DeletionProtection".into(), b(*on)),
                ],
            ),
            Op::Renew {
                account,
                target,
                months,
            } => (
                *account,
                "RenewInstance",
                vec![
                    ("InstanceId".into(), self.inst(target)),
                    ("Period".into(), months.to_string()),
                    ("PeriodUnit".into(), "Month".into()),
                ],
            ),
            Op::CreateDisk {
                account,
                size,
                token,
            } => {
                let mut p = vec![("Size".into(), size.to_string())];
                if let Some(t) = token {
                    p.push(("ClientToken".into(), t.clone()));
                }
                (*account, "CreateDisk", p)
            }
            Op::Attach {
                account,
                disk,
                instance,
                dwi,
            } => (
                *account,
                "AttachDisk",
                vec![
                    ("DiskId".into(), self.disk(disk)),
                    ("InstanceId".into(), self.inst(instance)),
                    ("DeleteWithInstance".into(), b(*dwi)),
                ],
            ),
            Op::Detach {
                account,
                disk,
                instance,
            } => (
                *account,
                "DetachDisk",
                vec![
                    ("DiskId".into(), self.disk(disk)),
                    ("InstanceId".into(), self.inst(instance)),
                ],
            ),
            Op::ModifyDisk {
                account,
                disk,
                dwi,
                das,
            } => {
                let mut p = vec![("DiskId".into(), self.disk(disk))];
                if let Some(v) = dwi {
                    p.push(("DeleteWithInstance".into(), b(*v)));
                }
                if let Some(v) = das {
                    p.push(("DeleteAutoSnapshot".into(), b(*v)));
                }
                (*account, "ModifyDiskAttribute", p)
            }
            Op::Snapshot {
                account,
                disk,
                auto,
            } => (
                *account,
                if *auto {
                    "CreateAutoSnapshot"
                } else {
                    "CreateSnapshot"
                },
                vec![("DiskId".into(), self.disk(disk))],
            ),
            Op::DeleteSnapshot { account, snapshot } => (
                *account,
                "DeleteSnapshot",
                vec![("SnapshotId".into(), self.snap(snapshot))],
            ),
            Op::DeleteDisk { account, disk } => (
                *account,
                "DeleteDisk",
                vec![("DiskId".into(), self.disk(disk))],
            ),
            Op::Route {
                account,
                table,
                cidr,
                instance,
            } => (
                *account,
                "CreateRouteEntry",
                vec![
                    ("RouteTableId".into(), TABLES[*table as usize % 3].into()),
                    (
                        "DestinationCidrBlock".into(),
                        CIDRS[*cidr as usize % 4].into(),
                    ),
                    ("NextHopId".into(), self.inst(instance)),
                    ("NextHopType".into(), "Instance".into()),
                ],
            ),
            Op::Unroute {
                account,
                table,
                cidr,
            } => (
                *account,
                "DeleteRouteEntry",
                vec![
                    ("RouteTableId".into(), TABLES[*table as usize % 3].into()),
                    (
                        "DestinationCidrBlock".into(),
                        CIDRS[*cidr as usize % 4].into(),
                    ),
                ],
            ),
            Op::Backend {
                account,
                lb,
                instance,
                weight,
            } => (
                *account,
                "AddBackendServers",
                vec![
                    ("LoadBalancerId".into(), LBS[*lb as usize % 3].into()),
                    (
                        "BackendServers".into(),
                        format!(
                            r#"[{{"ServerId":"{}","Weight":"{weight}"}}]"#,
                            self.inst(instance)
                        ),
                    ),
                ],
            ),
            Op::Unbackend {
                account,
                lb,
                instance,
            } => (
                *account,
                "RemoveBackendServers",
                vec![
                    ("LoadBalancerId".into(), LBS[*lb as usize % 3].into()),
                    (
                        "BackendServers".into(),
                        format!(r#"["{}"]"#, self.inst(instance)),
                    ),
                ],
            ),
            Op::Lock {
                account,
                instance,
                reason,
            } => (
                *account,
                "LockInstance",
                vec![
                    ("InstanceId".into(), self.inst(instance)),
                    ("LockReason".into(), reason.as_str().into()),
                    ("LockMsg".into(), "sim".into()),
                ],
            ),
            Op::Unlock {
                account,
                instance,
                reason,
            } => (
                *account,
                "UnlockInstance",
                vec![
                    ("InstanceId".into(), self.inst(instance)),
                    ("LockReason".into(), reason.as_str().into()),
                ],
            ),
            Op::Describe { account, status } => {
                let mut p = vec![("PageSize".into(), "100".into())];
                if let Some(s) = status {
                    p.push(("Status".into(), s.as_str().into()));
                }
                (*account, "DescribeInstances", p)
            }
            Op::Invalid { account, case } => {
                let (action, p, _) = invalid_request(*case);
                (*account, action, p)
            }
            Op::Retry { .. } | Op::Advance { .. } | Op::Batch { .. } | Op::Fault { .. } => {
                return None;
            }
        };
        params.sort();
        Some(
            Request::new(action, params)
                .as_account(self.account(account))
                .at(self.now),
        )
    }

    fn token_of(request: &Request) -> Option<(String, String)> {
        request
            .params
            .get("ClientToken")
            .filter(|t| !t.is_empty() && t.len() <= 64)
            .map(|t| (request.account.to_string(), t.to_owned()))
    }

    fn params_without_token(request: &Request) -> BTreeMap<String, String> {
        request
            .params
            .iter()
            .filter(|(k, _)| *k != "ClientToken")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// What the oracle expects of `op` sent as `request`, now.
    fn expect(&self, op: &Op, request: &Request) -> Expected {
        if let Some(key) = Self::token_of(request)
            && !matches!(op, Op::Invalid { .. })
            && let Some(seen) = self.tokens.get(&key)
            && self.now.unix() - seen.time.unix() < crate::model::limits::CLIENT_TOKEN_TTL_SECS
        {
            if seen.action == request.action && seen.params == Self::params_without_token(request) {
                return Expected::Replay {
                    request_id: seen.request_id,
                    body: seen.body.clone(),
                };
            }
            return Expected::Oracle(Expect::Error(Code::IdempotentParameterMismatch));
        }
        let o = &self.oracle;
        let now = self.now;
        let acct = request.account.as_str();
        Expected::Oracle(match op {
            Op::Create {
                data,
                prepaid,
                protection,
                ..
            } => o.create_instance(data, *prepaid, *protection, now),
            Op::Delete {
                target, force, dry, ..
            } => o.delete_instance(acct, &self.inst(target), *force, *dry, now),
            Op::DeleteMany { force, dry, .. } => {
                let ids: Vec<String> = request
                    .params
                    .iter()
                    .filter(|(k, _)| k.starts_with("InstanceId."))
                    .map(|(k, v)| (k[11..].parse::<u32>().unwrap_or(0), v.to_owned()))
                    .collect::<BTreeMap<_, _>>()
                    .into_values()
                    .collect();
                o.delete_instances(acct, &ids, *force, *dry, now)
            }
            Op::Start { target, .. } => o.start(acct, &self.inst(target), now),
            Op::Stop { target, .. } => o.stop(acct, &self.inst(target), now),
            Op::Protect { target, on, .. } => o.modify_instance(acct, &self.inst(target), *on),
            Op::Renew { target, months, .. } => o.renew(acct, &self.inst(target), *months, now),
            Op::CreateDisk { size, .. } => o.create_disk(*size),
            Op::Attach {
                disk,
                instance,
                dwi,
                ..
            } => o.attach(acct, &self.disk(disk), &self.inst(instance), *dwi, now),
            Op::Detach { disk, instance, .. } => {
                o.detach(acct, &self.disk(disk), &self.inst(instance))
            }
            Op::ModifyDisk { disk, dwi, das, .. } => {
                o.modify_disk(acct, &self.disk(disk), *dwi, *das)
            }
            Op::Snapshot { disk, auto, .. } => o.snapshot(acct, &self.disk(disk), *auto),
            Op::DeleteSnapshot { snapshot, .. } => o.delete_snapshot(acct, &self.snap(snapshot)),
            Op::DeleteDisk { disk, .. } => o.delete_disk(acct, &self.disk(disk)),
            Op::Route {
                table,
                cidr,
                instance,
                ..
            } => o.create_route(
                acct,
                TABLES[*table as usize % 3],
                CIDRS[*cidr as usize % 4],
                &self.inst(instance),
            ),
            Op::Unroute { table, cidr, .. } => {
                o.delete_route(acct, TABLES[*table as usize % 3], CIDRS[*cidr as usize % 4])
            }
            Op::Backend {
                lb,
                instance,
                weight,
                ..
            } => o.add_backend(acct, LBS[*lb as usize % 3], &self.inst(instance), *weight),
            Op::Unbackend { lb, instance, .. } => {
                o.remove_backend(acct, LBS[*lb as usize % 3], &self.inst(instance))
            }
            Op::Lock {
                instance, reason, ..
            } => o.lock(acct, &self.inst(instance), *reason, "sim"),
            Op::Unlock {
                instance, reason, ..
            } => o.unlock(acct, &self.inst(instance), *reason),
            Op::Describe { status, .. } => {
                return Expected::Describe(o.describe_instances(acct, *status));
            }
            Op::Invalid { case, .. } => Expect::Error(invalid_request(*case).2),
            Op::Retry { .. } | Op::Advance { .. } | Op::Batch { .. } | Op::Fault { .. } => {
                Expect::Events(Vec::new())
            }
        })
    }

    // ------------------------------------------------------------ one step

    /// Runs one operation; an `Err` is a failure of the ledger (or of the oracle).
    pub fn step(&mut self, op: &Op) -> Result<(), String> {
        self.run_op(op)?;
        self.check_inventory()
    }

    fn run_op(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Advance { secs } => {
                self.now = self.now.add_secs(i64::from(*secs)).unwrap_or(self.now);
                Ok(())
            }
            Op::Fault {
                kind: FaultKind::Crash,
            } => self.crash(),
            Op::Fault { kind } => {
                self.armed = Some(*kind);
                Ok(())
            }
            Op::Batch { ops } => self.batch(ops),
            Op::Retry { nth, changed } => {
                if self.tokened.is_empty() {
                    return Ok(());
                }
                let (original, mut request) =
                    self.tokened[*nth as usize % self.tokened.len()].clone();
                if *changed {
                    request.params.insert("Tag.1.Key", "changed");
                }
                request.at = Some(self.now);
                self.single(&original, request)
            }
            op => match self.request(op) {
                Some(request) => self.single(op, request),
                None => Ok(()),
            },
        }
    }

    fn single(&mut self, op: &Op, mut request: Request) -> Result<(), String> {
        let fault = self.armed.take();
        if fault == Some(FaultKind::LostAnswer)
            && Self::token_of(&request).is_none()
            && !matches!(op, Op::Invalid { .. } | Op::Describe { .. })
        {
            self.lost_tokens += 1;
            request
                .params
                .insert("ClientToken", format!("lost-{}", self.lost_tokens));
        }
        match fault {
            Some(FaultKind::FailedWrite) => self.storage.fail_next_writes(1),
            Some(FaultKind::TornWrite) | Some(FaultKind::UnackedWrite) => {
                self.storage.fail_next_flushes(1)
            }
            _ => {}
        }
        let transitions = self.oracle.due(self.now);
        self.requests += 1;
        let result = self.ledger()?.execute(request.clone());
        self.storage.fail_next_writes(0);
        self.storage.fail_next_flushes(0);
        match result {
            Ok(reply) => {
                let records = self.new_records()?;
                let rest = self.check_transitions(&transitions, &records)?;
                let expected = self.expect(op, &request);
                self.check_reply(op, &request, &reply, expected, rest)?;
                if fault == Some(FaultKind::LostAnswer) && Self::token_of(&request).is_some() {
                    // The answer was lost: the client sends the same request again.
                    self.requests += 1;
                    let again = self
                        .ledger()?
                        .execute(request.clone())
                        .map_err(|e| e.to_string())?;
                    let records = self.new_records()?;
                    let rest = self.check_transitions(&[], &records)?;
                    let expected = self.expect(op, &request);
                    if reply.error().is_none() {
                        *self
                            .coverage
                            .faults
                            .entry(FaultKind::LostAnswer)
                            .or_default() += 1;
                        if again.request_id != reply.request_id || again.body() != reply.body() {
                            return Err(format!(
                                "mismatch: a retry after a lost answer got {} {}, the original was {} {}",
                                again.request_id,
                                again.body(),
                                reply.request_id,
                                reply.body()
                            ));
                        }
                    }
                    self.check_reply(op, &request, &again, expected, rest)?;
                }
                Ok(())
            }
            Err(LedgerError::Stopped(why)) => {
                let Some(kind) = fault.filter(|k| *k != FaultKind::LostAnswer) else {
                    return Err(format!("the ledger stopped without a fault: {why}"));
                };
                *self.coverage.faults.entry(kind).or_default() += 1;
                let keep = match kind {
                    FaultKind::UnackedWrite => Crash::KeepPrefixTearNext { kept: 1 },
                    FaultKind::TornWrite => Crash::KeepPrefixTearNext { kept: 0 },
                    _ => Crash::LoseUnflushed,
                };
                self.ledger = None;
                self.storage.crash(keep);
                self.reopen()?;
                let records = self.new_records()?;
                if kind != FaultKind::UnackedWrite {
                    if !records.is_empty() {
                        return Err(format!(
                            "invariant: {kind} left {} records of an unacknowledged request",
                            records.len()
                        ));
                    }
                    return Ok(());
                }
                // The batch survived unacknowledged: it must be whole and as predicted.
                let rest = self.check_transitions(&transitions, &records)?;
                let expected = self.expect(op, &request);
                self.check_unacked(op, &request, expected, rest)
            }
            Err(e) => Err(format!("the ledger failed: {e}")),
        }
    }

    fn batch(&mut self, ops: &[Op]) -> Result<(), String> {
        let requests: Vec<(Op, Request)> = ops
            .iter()
            .filter_map(|op| self.request(op).map(|r| (op.clone(), r)))
            .collect();
        if requests.is_empty() {
            return Ok(());
        }
        let transitions = self.oracle.due(self.now);
        self.requests += requests.len() as u64;
        let replies = self
            .ledger()?
            .execute_batch(requests.iter().map(|(_, r)| r.clone()).collect())
            .map_err(|e| format!("the ledger failed: {e}"))?;
        let records = self.new_records()?;
        let mut rest = self.check_transitions(&transitions, &records)?;
        // Requests of one group commit run in request order, queries
        // included: each sees exactly the requests before it.
        for ((op, request), reply) in requests.iter().zip(replies) {
            let n = rest
                .iter()
                .take_while(|r| r.request_id == reply.request_id)
                .count();
            let mine: Vec<Recorded> = rest.drain(..n).collect();
            let expected = self.expect(op, request);
            self.check_reply(op, request, &reply, expected, mine)?;
        }
        if !rest.is_empty() {
            return Err(format!(
                "mismatch: a batch appended {} events no request answered for",
                rest.len()
            ));
        }
        Ok(())
    }

    fn crash(&mut self) -> Result<(), String> {
        let acked = self.head;
        self.ledger = None;
        self.storage.crash(Crash::KeepPrefixTearNext { kept: 0 });
        self.reopen()?;
        *self.coverage.faults.entry(FaultKind::Crash).or_default() += 1;
        let head = self.ledger()?.head();
        if head.seq < acked.seq {
            return Err(format!(
                "invariant: a crash lost acknowledged events: head {} < {}",
                head.seq, acked.seq
            ));
        }
        if acked.seq > 0 {
            let bytes = self.stored_record(acked.seq)?.ok_or_else(|| {
                format!(
                    "invariant: acknowledged record {} lost in a crash",
                    acked.seq
                )
            })?;
            let parts = record::split(&bytes).map_err(|e| e.to_string())?;
            if parts.hash != acked.hash {
                return Err(format!(
                    "invariant: acknowledged record {} changed in a crash",
                    acked.seq
                ));
            }
        }
        if head != acked {
            return Err(format!(
                "invariant: a crash changed the head from {} to {}",
                acked.seq, head.seq
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------ checks

    /// The stored records from `from` on, as stored.
    fn stored_from(&self, from: u64) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let log = EventLog::inspect(self.storage.clone())
            .map_err(|e| e.to_string())?
            .log;
        let mut out = Vec::new();
        log.for_each_raw(from, |seq, bytes| -> Result<(), crate::log::LogError> {
            out.push((seq, bytes.to_vec()));
            Ok(())
        })
        .map_err(|e| format!("invariant: {e}"))?;
        Ok(out)
    }

    /// The stored record `seq`, as stored.
    fn stored_record(&self, seq: u64) -> Result<Option<Vec<u8>>, String> {
        Ok(self
            .stored_from(seq)?
            .into_iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, b)| b))
    }

    /// The records appended since the last step: gapless, chained.
    fn new_records(&mut self) -> Result<Vec<Recorded>, String> {
        let head = self.ledger()?.head();
        let mut out = Vec::new();
        let mut prev = self.head;
        for (seq, bytes) in self.stored_from(self.head.seq + 1)? {
            if seq != prev.seq + 1 {
                return Err(format!(
                    "invariant: seq {} is missing (the log has a gap)",
                    prev.seq + 1
                ));
            }
            let hash = record::check_chain(&prev.hash, &bytes)
                .map_err(|e| format!("invariant: record {seq}: {e}"))?;
            let (recorded, _) =
                record::decode(seq, &bytes).map_err(|e| format!("invariant: record {seq}: {e}"))?;
            prev = Head { seq, hash };
            out.push(recorded);
        }
        if prev != head {
            return Err(format!(
                "invariant: the head {} does not match the chain {}",
                head.seq, prev.seq
            ));
        }
        self.checks += out.len() as u64;
        self.head = head;
        Ok(out)
    }

    /// Checks the leading transition events against the oracle's; returns the rest.
    fn check_transitions(
        &mut self,
        expected: &[(Timestamp, String, Vec<Event>)],
        records: &[Recorded],
    ) -> Result<Vec<Recorded>, String> {
        let mut i = 0;
        for (at, account, events) in expected {
            let group = records.get(i..i + events.len()).ok_or_else(|| {
                format!(
                    "mismatch: expected transitions at {at} {events:?}, the log has {:?}",
                    &records[i..]
                )
            })?;
            for (want, got) in events.iter().zip(group) {
                if &got.event != want
                    || got.time != *at
                    || got.account.as_str() != account
                    || got.request_id != group[0].request_id
                {
                    return Err(format!(
                        "mismatch: transition expected {want:?} at {at} for {account}, got {got:?}"
                    ));
                }
            }
            i += events.len();
            self.absorb(group)?;
        }
        Ok(records[i..].to_vec())
    }

    fn check_reply(
        &mut self,
        op: &Op,
        request: &Request,
        reply: &Reply,
        expected: Expected,
        events: Vec<Recorded>,
    ) -> Result<(), String> {
        let code = reply
            .error()
            .map(|e| e.code().as_str().to_owned())
            .unwrap_or_else(|| "OK".to_owned());
        *self.coverage.codes.entry(code).or_default() += 1;
        if events.iter().any(|r| r.request_id != reply.request_id) {
            return Err(format!(
                "mismatch: {} appended events of another request",
                request.action
            ));
        }
        let context = || {
            format!(
                "{} {:?} as {} at {} ({op:?})",
                request.action, request.params, request.account, self.now
            )
        };
        match expected {
            Expected::Oracle(Expect::Error(code)) => {
                if reply.error().map(|e| e.code()) != Some(code) {
                    return Err(format!(
                        "mismatch: expected {code}, got {} {} for {}",
                        reply.status(),
                        reply.body(),
                        context()
                    ));
                }
                if !events.is_empty() {
                    return Err(format!(
                        "invariant: a refused request appended events: {}",
                        context()
                    ));
                }
            }
            Expected::Oracle(Expect::Events(want)) => {
                if let Some(e) = reply.error() {
                    return Err(format!(
                        "mismatch: expected success, got {e} for {}",
                        context()
                    ));
                }
                self.same(&want, &events, &request.account)
                    .map_err(|e| format!("mismatch: {e} for {}", context()))?;
                if reply.events() != events.as_slice() {
                    return Err(format!(
                        "mismatch: the reply's events are not the log's for {}",
                        context()
                    ));
                }
            }
            Expected::Replay { request_id, body } => {
                if reply.request_id != request_id
                    || !events.is_empty()
                    || body.is_some_and(|b| b != reply.body())
                {
                    return Err(format!(
                        "mismatch: expected the remembered answer {request_id} again, got {} {} with {} events for {}",
                        reply.request_id,
                        reply.body(),
                        events.len(),
                        context()
                    ));
                }
            }
            Expected::Describe(ids) => {
                let body = reply.body();
                let listed: Vec<String> = body["Instances"]["Instance"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i["InstanceId"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if body["TotalCount"] != ids.len()
                    || listed.as_slice() != &ids[..ids.len().min(100)]
                {
                    return Err(format!(
                        "mismatch: DescribeInstances listed {listed:?} of {}, expected {ids:?} for {}",
                        body["TotalCount"],
                        context()
                    ));
                }
            }
        }
        if reply.error().is_none()
            && let Some(key) = Self::token_of(request)
            && !self.tokens.get(&key).is_some_and(|r| {
                self.now.unix() - r.time.unix() < crate::model::limits::CLIENT_TOKEN_TTL_SECS
            })
        {
            self.remember(op, key, request, reply.request_id, Some(reply.body()));
        }
        self.absorb(&events)
    }

    fn remember(
        &mut self,
        op: &Op,
        key: (String, String),
        request: &Request,
        request_id: RequestId,
        body: Option<Value>,
    ) {
        self.tokens.insert(
            key,
            Remembered {
                action: request.action.clone(),
                params: Self::params_without_token(request),
                time: self.now,
                request_id,
                body,
            },
        );
        self.tokened.push((op.clone(), request.clone()));
    }

    fn check_unacked(
        &mut self,
        op: &Op,
        request: &Request,
        expected: Expected,
        events: Vec<Recorded>,
    ) -> Result<(), String> {
        match expected {
            Expected::Oracle(Expect::Events(want)) => {
                self.same(&want, &events, &request.account)
                    .map_err(|e| format!("mismatch: unacknowledged batch: {e}"))?;
                if let (Some(key), Some(first)) = (Self::token_of(request), events.first()) {
                    self.remember(op, key, request, first.request_id, None);
                }
            }
            _ if events.is_empty() => {}
            _ => {
                return Err(format!(
                    "invariant: a refused, unacknowledged request left {} events",
                    events.len()
                ));
            }
        }
        self.absorb(&events)
    }

    /// Compares predicted events with the recorded ones, binding placeholder ids.
    fn same(&self, want: &[Event], got: &[Recorded], account: &Account) -> Result<(), String> {
        if want.len() != got.len() {
            return Err(format!(
                "expected {} events {:?}, got {} {:?}",
                want.len(),
                want.iter().map(|e| e.type_name()).collect::<Vec<_>>(),
                got.len(),
                got.iter().map(|e| e.event.type_name()).collect::<Vec<_>>()
            ));
        }
        let mut bound: HashMap<String, String> = HashMap::new();
        for (w, g) in want.iter().zip(got) {
            if w.type_name() != g.event.type_name() {
                return Err(format!(
                    "expected {}, got {}",
                    w.type_name(),
                    g.event.type_name()
                ));
            }
            if &g.account != account || g.time != self.now {
                return Err(format!(
                    "{} recorded for {} at {}",
                    g.event.type_name(),
                    g.account,
                    g.time
                ));
            }
            match_json(
                &w.fields_json(),
                &g.event.fields_json(),
                &mut bound,
                &self.seen,
            )
            .map_err(|e| format!("{}: {e}: expected {w:?}, got {:?}", w.type_name(), g.event))?;
        }
        Ok(())
    }

    /// Folds checked events into the oracle, the fold and the invariants.
    fn absorb(&mut self, events: &[Recorded]) -> Result<(), String> {
        for r in events {
            self.check_lifecycle(r)?;
            self.oracle.apply(r.account.as_str(), &r.event);
            evolve(&mut self.folded, r).map_err(|e| format!("the log does not fold: {e}"))?;
            self.learn(r);
            for tag in r.event.tags().into_iter().flatten() {
                self.agree(tag)?;
                self.touched.insert(tag.to_owned());
                self.checks += 1;
            }
        }
        Ok(())
    }

    /// After a step (a whole group commit): the ledger's live records are
    /// the fold of the log for every record the step touched.
    fn check_inventory(&mut self) -> Result<(), String> {
        let touched = std::mem::take(&mut self.touched);
        let live = self
            .ledger()?
            .world()
            .state()
            .clone_records(touched.iter().map(String::as_str));
        let folded = self
            .folded
            .clone_records(touched.iter().map(String::as_str));
        if live != folded {
            return Err(format!(
                "invariant: the live records are not the fold of the log: live {live:?}, fold {folded:?}"
            ));
        }
        self.checks += touched.len() as u64;
        Ok(())
    }

    fn learn(&mut self, r: &Recorded) {
        let owner = self
            .accounts
            .iter()
            .position(|a| a == &r.account)
            .unwrap_or(0) as u8;
        match &r.event {
            Event::InstanceCreated(e) => self
                .pools
                .instances
                .push((e.instance_id.to_string(), owner)),
            Event::DiskCreated(e) => self.pools.disks.push((e.disk_id.to_string(), owner)),
            Event::SnapshotCreated(e) => self
                .pools
                .snapshots
                .push((e.snapshot_id.to_string(), owner)),
            _ => {}
        }
    }

    /// No id created twice, nothing released twice or touched after release,
    /// no retained snapshot released by a release.
    fn check_lifecycle(&mut self, r: &Recorded) -> Result<(), String> {
        let created = match &r.event {
            Event::InstanceCreated(e) => Some(e.instance_id.to_string()),
            Event::DiskCreated(e) => Some(e.disk_id.to_string()),
            Event::SnapshotCreated(e) => Some(e.snapshot_id.to_string()),
            _ => None,
        };
        if let Some(id) = created
            && !self.seen.insert(id.clone())
        {
            return Err(format!("invariant: {id} created twice (seq {})", r.seq));
        }
        let released = match &r.event {
            Event::InstanceReleased(e) => Some(e.instance_id.to_string()),
            Event::DiskReleased(e) => Some(e.disk_id.to_string()),
            Event::SnapshotReleased(e) => {
                if e.reason == SnapshotReleaseReason::DeleteAutoSnapshot
                    && self.retained.contains(e.snapshot_id.as_str())
                {
                    return Err(format!(
                        "invariant: retained snapshot {} released by a release (seq {})",
                        e.snapshot_id, r.seq
                    ));
                }
                Some(e.snapshot_id.to_string())
            }
            _ => None,
        };
        if let Event::SnapshotRetained(e) = &r.event {
            self.retained.insert(e.snapshot_id.to_string());
        }
        if let Some(id) = released
            && !self.released.insert(id.clone())
        {
            return Err(format!("invariant: {id} released twice (seq {})", r.seq));
        }
        Ok(())
    }

    /// The oracle's record of `tag` equals the fold of the log's.
    fn agree(&self, tag: &str) -> Result<(), String> {
        let f = &self.folded;
        let o = &self.oracle;
        let differ = |what: &str| {
            Err(format!(
                "invariant: the oracle and the log disagree on {what} {tag}"
            ))
        };
        match tag.split('-').next() {
            Some("i") => match (o.instances.get(tag), f.instances.get(tag)) {
                (None, None) => Ok(()),
                (Some(a), Some(b)) => {
                    let same = a.account == b.account.as_str()
                        && a.status == b.status
                        && a.until == b.status_until
                        && a.prepaid
                            == (b.charge_type == crate::model::values::ChargeType::PrePaid)
                        && a.expiry == b.expired_time
                        && a.expired == b.expired
                        && a.protection == b.deletion_protection
                        && a.locks == b.locks
                        && a.disks
                            .iter()
                            .map(String::as_str)
                            .eq(b.disks.iter().map(|d| d.as_str()))
                        && a.routes
                            .iter()
                            .map(|(t, c)| (t.as_str(), c.as_str()))
                            .eq(b.routes.iter().map(|(t, c)| (t.as_str(), c.as_str())))
                        && a.lbs
                            .iter()
                            .map(String::as_str)
                            .eq(b.load_balancers.iter().map(|l| l.as_str()));
                    if same { Ok(()) } else { differ("instance") }
                }
                _ => differ("the existence of instance"),
            },
            Some("d") => match (o.disks.get(tag), f.disks.get(tag)) {
                (None, None) => Ok(()),
                (Some(a), Some(b)) => {
                    let same = a.account == b.account.as_str()
                        && a.system == (b.disk_type == DiskType::System)
                        && a.instance.as_deref() == b.instance_id.as_ref().map(|i| i.as_str())
                        && a.size == b.size
                        && a.dwi == b.delete_with_instance
                        && a.das == b.delete_auto_snapshot
                        && a.prepaid
                            == (b.charge_type == crate::model::values::ChargeType::PrePaid)
                        && a.snapshots
                            .iter()
                            .map(String::as_str)
                            .eq(b.snapshots.iter().map(|s| s.as_str()));
                    if same { Ok(()) } else { differ("disk") }
                }
                _ => differ("the existence of disk"),
            },
            Some("s") => match (o.snapshots.get(tag), f.snapshots.get(tag)) {
                (None, None) => Ok(()),
                (Some(a), Some(b)) => {
                    let same = a.account == b.account.as_str()
                        && a.auto == (b.snapshot_type == crate::model::values::SnapshotType::Auto)
                        && a.disk == b.source_disk_id.as_str()
                        && a.retained == b.retained;
                    if same { Ok(()) } else { differ("snapshot") }
                }
                _ => differ("the existence of snapshot"),
            },
            _ => Ok(()),
        }
    }

    /// Everything at once: oracle == fold of the log == inventory; the whole
    /// log verifies; replaying the stored log from scratch gives the fold.
    pub fn full_check(&mut self) -> Result<(), String> {
        let ids: Vec<String> = self
            .oracle
            .instances
            .keys()
            .chain(self.oracle.disks.keys())
            .chain(self.oracle.snapshots.keys())
            .cloned()
            .chain(self.folded.instances.keys().map(|k| k.to_string()))
            .chain(self.folded.disks.keys().map(|k| k.to_string()))
            .chain(self.folded.snapshots.keys().map(|k| k.to_string()))
            .collect();
        for id in &ids {
            self.agree(id)?;
        }
        self.ledger()?;
        let live_matches = self
            .ledger
            .as_ref()
            .is_some_and(|l| l.world().state() == &self.folded);
        if !live_matches {
            return Err("invariant: the live records are not the fold of the log".into());
        }
        let log = EventLog::inspect(self.storage.clone())
            .map_err(|e| e.to_string())?
            .log;
        crate::projection::check::check_state(&log).map_err(|e| format!("invariant: {e}"))?;
        let report =
            crate::log::verify::verify(&log, |_| {}).map_err(|e| format!("invariant: {e}"))?;
        if report.head != self.head {
            return Err("invariant: verify's head is not the ledger's".into());
        }
        let replayed = State::fold(
            log.iter_from(1)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?
                .iter(),
        );
        if replayed != self.folded {
            return Err("invariant: a replay of the stored log differs from the live fold".into());
        }
        self.checks += ids.len() as u64 + report.records + 2;
        Ok(())
    }

    /// Closes the ledger.
    pub fn close(mut self) -> Result<(), String> {
        match self.ledger.take() {
            Some(l) => l.close().map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// Matches a predicted JSON value against a recorded one; placeholder ids bind
/// to fresh ids of the same kind, consistently.
fn match_json(
    want: &Value,
    got: &Value,
    bound: &mut HashMap<String, String>,
    seen: &HashSet<String>,
) -> Result<(), String> {
    match (want, got) {
        (Value::String(w), Value::String(g)) if is_placeholder(w) => {
            if g.get(..2) != w.get(..2) {
                return Err(format!("{g} is not the kind of {w}"));
            }
            match bound.get(w) {
                Some(b) if b != g => Err(format!("{w} is {b} elsewhere, {g} here")),
                Some(_) => Ok(()),
                None => {
                    if seen.contains(g) {
                        return Err(format!("{g} is not a fresh id"));
                    }
                    bound.insert(w.clone(), g.clone());
                    Ok(())
                }
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            if w.len() != g.len() {
                return Err("different fields".into());
            }
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("missing field {k}"))?;
                match_json(wv, gv, bound, seen).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{w} != {g}")),
    }
}
