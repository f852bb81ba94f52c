//! Operations made into requests.

use std::collections::HashSet;

use super::Driver;
use super::invalid::invalid_request;
use crate::ledger::Request;
use crate::model::time::Timestamp;
use crate::sim::workload::{LBS, Op, ReleaseAt, TABLES, Target, cidr_block, malformed_time};

/// The ids an operation's targets resolved to when it was sent. A later
/// request of the same group commit may create more ids, and a target
/// resolves modulo the pool's size: the expectation must use these.
#[derive(Debug, Clone, Default)]
pub(super) struct Ids {
    pub(super) instance: String,
    pub(super) disk: String,
    pub(super) snapshot: String,
}

/// An operation made into a request.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) op: Op,
    pub(super) ids: Ids,
    pub(super) request: Request,
}

type Params = Vec<(String, String)>;

fn pairs(list: &[(&str, String)]) -> Params {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn token(p: &mut Params, token: &Option<String>) {
    if let Some(t) = token {
        p.push(("ClientToken".into(), t.clone()));
    }
}

fn table(n: u8) -> String {
    TABLES[n as usize % TABLES.len()].to_owned()
}

fn lb(n: u8) -> String {
    LBS[n as usize % LBS.len()].to_owned()
}

impl Driver {
    /// The request an operation sends (none for the clock, faults,
    /// batches and retries, which the driver runs itself).
    pub(super) fn sent(&self, op: &Op) -> Option<Sent> {
        let ids = self.resolve(op);
        let (account, action, mut params) = match op {
            Op::Create { .. } | Op::Delete { .. } | Op::DeleteMany { .. } => {
                self.lifecycle_params(op, &ids)?
            }
            Op::AutoRelease { .. } | Op::ChargeType { .. } | Op::History { .. } => {
                self.release_params(op, &ids)?
            }
            Op::CreateDisk { .. }
            | Op::Attach { .. }
            | Op::Detach { .. }
            | Op::ModifyDisk { .. }
            | Op::Snapshot { .. }
            | Op::DeleteSnapshot { .. }
            | Op::DeleteDisk { .. } => storage_params(op, &ids)?,
            Op::Route { .. } | Op::Unroute { .. } | Op::Backend { .. } | Op::Unbackend { .. } => {
                network_params(op, &ids)?
            }
            _ => instance_params(op, &ids)?,
        };
        params.sort();
        let account = self.accounts[account as usize % self.accounts.len()].clone();
        let request = Request::new(action, params)
            .as_account(account)
            .at(self.now);
        Some(Sent {
            op: op.clone(),
            ids,
            request,
        })
    }

    /// The ids of an operation's targets, as of now.
    fn resolve(&self, op: &Op) -> Ids {
        let (instance, disk, snapshot) = match op {
            Op::Delete { target, .. }
            | Op::Start { target, .. }
            | Op::Stop { target, .. }
            | Op::Protect { target, .. }
            | Op::Renew { target, .. }
            | Op::AutoRelease { target, .. } => (Some(target), None, None),
            Op::Route { instance, .. }
            | Op::Backend { instance, .. }
            | Op::Unbackend { instance, .. }
            | Op::Lock { instance, .. }
            | Op::Unlock { instance, .. } => (Some(instance), None, None),
            Op::Attach { disk, instance, .. } | Op::Detach { disk, instance, .. } => {
                (Some(instance), Some(disk), None)
            }
            Op::ModifyDisk { disk, .. }
            | Op::Snapshot { disk, .. }
            | Op::DeleteDisk { disk, .. } => (None, Some(disk), None),
            Op::DeleteSnapshot { snapshot, .. } => (None, None, Some(snapshot)),
            _ => (None, None, None),
        };
        let pools = &self.pools;
        let id = |t: Option<&Target>, pool: &crate::sim::workload::Pool, kind| {
            t.map(|t| pool.resolve(t, kind)).unwrap_or_default()
        };
        Ids {
            instance: id(instance, &pools.instances, "i"),
            disk: id(disk, &pools.disks, "d"),
            snapshot: id(snapshot, &pools.snapshots, "s"),
        }
    }

    /// CreateInstance, DeleteInstance, DeleteInstances.
    fn lifecycle_params(&self, op: &Op, ids: &Ids) -> Option<(u8, &'static str, Params)> {
        let b = |v: &bool| v.to_string();
        match op {
            Op::Create {
                account,
                data,
                prepaid,
                protection,
                token: t,
            } => {
                let mut p = Params::new();
                for (n, (size, dwi, das)) in data.iter().enumerate() {
                    p.push((format!("DataDisk.{}.Size", n + 1), size.to_string()));
                    p.push((format!("DataDisk.{}.DeleteWithInstance", n + 1), b(dwi)));
                    p.push((format!("DataDisk.{}.DeleteAutoSnapshot", n + 1), b(das)));
                }
                if let Some((n, unit)) = prepaid {
                    p.push(("InstanceChargeType".into(), "PrePaid".into()));
                    p.push(("Period".into(), n.to_string()));
                    p.push(("PeriodUnit".into(), unit.as_str().into()));
                }
                if *protection {
                    p.push(("DeletionProtection".into(), "true".into()));
                }
                token(&mut p, t);
                Some((*account, "CreateInstance", p))
            }
            Op::Delete {
                account,
                force,
                orderly,
                dry,
                token: t,
                ..
            } => {
                let id = ("InstanceId", ids.instance.clone());
                let mut p = pairs(&[id, ("Force", b(force)), ("DryRun", b(dry))]);
                force_stop(&mut p, *orderly);
                token(&mut p, t);
                Some((*account, "DeleteInstance", p))
            }
            Op::DeleteMany {
                account,
                targets,
                force,
                orderly,
                dry,
            } => {
                // The same instance named twice is a malformed request (an
                // Invalid case): a generated one names each once.
                let mut seen = HashSet::new();
                let mut p: Params = targets
                    .iter()
                    .map(|t| self.pools.instances.resolve(t, "i"))
                    .filter(|id| seen.insert(id.clone()))
                    .enumerate()
                    .map(|(n, id)| (format!("InstanceId.{}", n + 1), id))
                    .collect();
                p.extend(pairs(&[("Force", b(force)), ("DryRun", b(dry))]));
                force_stop(&mut p, *orderly);
                Some((*account, "DeleteInstances", p))
            }
            _ => None,
        }
    }

    /// ModifyInstanceAutoReleaseTime, ModifyInstanceChargeType,
    /// DescribeInstanceHistoryEvents.
    fn release_params(&self, op: &Op, ids: &Ids) -> Option<(u8, &'static str, Params)> {
        match op {
            Op::AutoRelease { account, at, .. } => {
                let mut p = pairs(&[("InstanceId", ids.instance.clone())]);
                if let Some(time) = release_time(at, self.now) {
                    p.push(("AutoReleaseTime".into(), time));
                }
                Some((*account, "ModifyInstanceAutoReleaseTime", p))
            }
            Op::ChargeType {
                account,
                targets,
                period,
                include_data,
            } => {
                let mut seen = HashSet::new();
                let named: Vec<String> = targets
                    .iter()
                    .map(|t| self.pools.instances.resolve(t, "i"))
                    .filter(|id| seen.insert(id.clone()))
                    .collect();
                let list = serde_json::to_string(&named).ok()?;
                let mut p = pairs(&[
                    ("InstanceIds", list),
                    ("IncludeDataDisks", include_data.to_string()),
                ]);
                match period {
                    Some((n, unit)) => p.extend(pairs(&[
                        ("InstanceChargeType", "PrePaid".into()),
                        ("Period", n.to_string()),
                        ("PeriodUnit", unit.as_str().into()),
                    ])),
                    None => p.push(("InstanceChargeType".into(), "PostPaid".into())),
                }
                Some((*account, "ModifyInstanceChargeType", p))
            }
            Op::History { account, kind } => {
                let mut p = pairs(&[("PageSize", "100".into())]);
                if let Some(k) = kind {
                    p.push(("EventType".into(), k.as_str().into()));
                }
                Some((*account, "DescribeInstanceHistoryEvents", p))
            }
            _ => None,
        }
    }
}

/// `ForceStop=false` for an orderly release (otherwise not sent: the default).
fn force_stop(p: &mut Params, orderly: bool) {
    if orderly {
        p.push(("ForceStop".into(), "false".into()));
    }
}

/// The `AutoReleaseTime` value of `at` (none: not sent).
fn release_time(at: &ReleaseAt, now: Timestamp) -> Option<String> {
    match at {
        ReleaseAt::Clear => None,
        ReleaseAt::Malformed(n) => Some(malformed_time(*n).to_owned()),
        ReleaseAt::In { secs, minutes } => {
            let t = now.add_secs(i64::from(*secs))?;
            let when = chrono::DateTime::from_timestamp(t.unix(), 0)?;
            let format = if *minutes {
                "%Y-%m-%dT%H:%MZ"
            } else {
                "%Y-%m-%dT%H:%M:%SZ"
            };
            Some(when.format(format).to_string())
        }
    }
}

/// Start/Stop, attributes, renewal, locks, Describe and malformed requests.
fn instance_params(op: &Op, ids: &Ids) -> Option<(u8, &'static str, Params)> {
    let id = || ("InstanceId", ids.instance.clone());
    Some(match op {
        Op::Start { account, .. } => (*account, "StartInstance", pairs(&[id()])),
        Op::Stop { account, .. } => (*account, "StopInstance", pairs(&[id()])),
        Op::Protect { account, on, .. } => {
            let p = pairs(&[id(), ("DeletionProtection", on.to_string())]);
            (*account, "ModifyInstanceAttribute", p)
        }
        Op::Renew {
            account, months, ..
        } => {
            let period = ("Period", months.to_string());
            let p = pairs(&[id(), period, ("PeriodUnit", "Month".into())]);
            (*account, "RenewInstance", p)
        }
        Op::Lock {
            account, reason, ..
        } => {
            let reason = ("LockReason", reason.as_str().to_owned());
            let p = pairs(&[id(), reason, ("LockMsg", "sim".into())]);
            (*account, "LockInstance", p)
        }
        Op::Unlock {
            account, reason, ..
        } => {
            let p = pairs(&[id(), ("LockReason", reason.as_str().to_owned())]);
            (*account, "UnlockInstance", p)
        }
        Op::Describe { account, status } => {
            let mut p = pairs(&[("PageSize", "100".into())]);
            if let Some(s) = status {
                p.push(("Status".into(), s.as_str().into()));
            }
            (*account, "DescribeInstances", p)
        }
        Op::Invalid { account, case } => {
            let (action, p, _) = invalid_request(*case);
            (*account, action, p)
        }
        _ => return None,
    })
}

/// Disks and snapshots.
fn storage_params(op: &Op, ids: &Ids) -> Option<(u8, &'static str, Params)> {
    let b = |v: &bool| v.to_string();
    let disk = || ("DiskId", ids.disk.clone());
    let instance = || ("InstanceId", ids.instance.clone());
    Some(match op {
        Op::CreateDisk {
            account,
            size,
            token: t,
        } => {
            let mut p = pairs(&[("Size", size.to_string())]);
            token(&mut p, t);
            (*account, "CreateDisk", p)
        }
        Op::Attach { account, dwi, .. } => {
            let p = pairs(&[disk(), instance(), ("DeleteWithInstance", b(dwi))]);
            (*account, "AttachDisk", p)
        }
        Op::Detach { account, .. } => (*account, "DetachDisk", pairs(&[disk(), instance()])),
        Op::ModifyDisk {
            account, dwi, das, ..
        } => {
            let mut p = pairs(&[disk()]);
            if let Some(v) = dwi {
                p.push(("DeleteWithInstance".into(), b(v)));
            }
            if let Some(v) = das {
                p.push(("DeleteAutoSnapshot".into(), b(v)));
            }
            (*account, "ModifyDiskAttribute", p)
        }
        Op::Snapshot { account, auto, .. } => {
            let action = if *auto {
                "CreateAutoSnapshot"
            } else {
                "CreateSnapshot"
            };
            (*account, action, pairs(&[disk()]))
        }
        Op::DeleteSnapshot { account, .. } => (
            *account,
            "DeleteSnapshot",
            pairs(&[("SnapshotId", ids.snapshot.clone())]),
        ),
        Op::DeleteDisk { account, .. } => (*account, "DeleteDisk", pairs(&[disk()])),
        _ => return None,
    })
}

/// Route entries and backend servers.
fn network_params(op: &Op, ids: &Ids) -> Option<(u8, &'static str, Params)> {
    Some(match op {
        Op::Route {
            account,
            table: t,
            cidr,
            ..
        } => {
            let p = pairs(&[
                ("RouteTableId", table(*t)),
                ("DestinationCidrBlock", cidr_block(*cidr)),
                ("NextHopId", ids.instance.clone()),
                ("NextHopType", "Instance".into()),
            ]);
            (*account, "CreateRouteEntry", p)
        }
        Op::Unroute {
            account,
            table: t,
            cidr,
        } => {
            let p = pairs(&[
                ("RouteTableId", table(*t)),
                ("DestinationCidrBlock", cidr_block(*cidr)),
            ]);
            (*account, "DeleteRouteEntry", p)
        }
        Op::Backend {
            account,
            lb: l,
            weight,
            ..
        } => {
            let servers = format!(r#"[{{"ServerId":"{}","Weight":"{weight}"}}]"#, ids.instance);
            let p = pairs(&[("LoadBalancerId", lb(*l)), ("BackendServers", servers)]);
            (*account, "AddBackendServers", p)
        }
        Op::Unbackend { account, lb: l, .. } => {
            let servers = format!(r#"["{}"]"#, ids.instance);
            let p = pairs(&[("LoadBalancerId", lb(*l)), ("BackendServers", servers)]);
            (*account, "RemoveBackendServers", p)
        }
        _ => return None,
    })
}
