//! What a request must get: a remembered answer again (a ClientToken
//! retry), or what the oracle predicts.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Driver;
use super::invalid::invalid_request;
use super::request::Sent;
use super::tokens::{key, without_token};
use crate::model::error::Code;
use crate::model::id::RequestId;
use crate::sim::oracle::{Expect, Release};
use crate::sim::workload::{LBS, Op, TABLES, cidr_block};

/// What a request must get.
pub(super) enum Expected {
    /// The oracle's prediction.
    Oracle(Expect),
    /// The answer remembered for its ClientToken, again, appending nothing.
    Replay {
        request_id: RequestId,
        body: Option<Value>,
    },
    /// A DescribeInstances listing these ids, oldest first.
    Describe(Vec<String>),
    /// A DescribeInstanceHistoryEvents answer with this `TotalCount`.
    History(u64),
}

impl Driver {
    /// What `sent` must get, now.
    pub(super) fn expect(&self, sent: &Sent) -> Expected {
        if let Some(replay) = self.replay(sent) {
            return replay;
        }
        let acct = sent.request.account.as_str();
        match &sent.op {
            Op::Describe { status, .. } => {
                Expected::Describe(self.oracle.describe_instances(acct, *status))
            }
            Op::History { kind, .. } => {
                Expected::History(self.oracle.history_count(acct, *kind, self.now))
            }
            Op::Invalid { case, .. } => Expected::Oracle(Expect::Error(invalid_request(*case).2)),
            op => Expected::Oracle(self.predict(op, sent, acct)),
        }
    }

    /// A request with a token the ledger remembers: the same request gets
    /// the same answer; a different one with the same token is refused.
    fn replay(&self, sent: &Sent) -> Option<Expected> {
        if matches!(sent.op, Op::Invalid { .. }) {
            return None;
        }
        let seen = self.tokens.answer(&key(&sent.request)?, self.now)?;
        let same =
            seen.action == sent.request.action && seen.params == without_token(&sent.request);
        Some(if same {
            Expected::Replay {
                request_id: seen.request_id,
                body: seen.body.clone(),
            }
        } else {
            Expected::Oracle(Expect::Error(Code::IdempotentParameterMismatch))
        })
    }

    fn predict(&self, op: &Op, sent: &Sent, acct: &str) -> Expect {
        let (o, now, ids) = (&self.oracle, self.now, &sent.ids);
        let (instance, disk) = (ids.instance.as_str(), ids.disk.as_str());
        match op {
            Op::Create {
                data,
                prepaid,
                protection,
                ..
            } => o.create_instance(data, *prepaid, *protection, now),
            Op::Delete {
                force,
                orderly,
                dry,
                ..
            } => {
                let how = Release {
                    force: *force,
                    orderly: *orderly,
                };
                o.delete_instance(acct, instance, how, *dry, now)
            }
            Op::DeleteMany {
                force,
                orderly,
                dry,
                ..
            } => {
                let how = Release {
                    force: *force,
                    orderly: *orderly,
                };
                o.delete_instances(acct, &named_instances(sent), how, *dry, now)
            }
            Op::AutoRelease { at, .. } => o.auto_release(acct, instance, at, now),
            Op::ChargeType {
                period,
                include_data,
                ..
            } => o.charge_type(acct, &listed_instances(sent), *period, *include_data, now),
            Op::Start { .. } => o.start(acct, instance, now),
            Op::Stop { .. } => o.stop(acct, instance, now),
            Op::Protect { on, .. } => o.modify_instance(acct, instance, *on),
            Op::Renew { months, .. } => o.renew(acct, instance, *months, now),
            Op::Lock { reason, .. } => o.lock(acct, instance, *reason, "sim"),
            Op::Unlock { reason, .. } => o.unlock(acct, instance, *reason),
            Op::CreateDisk { size, .. } => o.create_disk(*size),
            Op::Attach { dwi, .. } => o.attach(acct, disk, instance, *dwi, now),
            Op::Detach { .. } => o.detach(acct, disk, instance),
            Op::ModifyDisk { dwi, das, .. } => o.modify_disk(acct, disk, *dwi, *das),
            Op::Snapshot { auto, .. } => o.snapshot(acct, disk, *auto),
            Op::DeleteSnapshot { .. } => o.delete_snapshot(acct, &ids.snapshot),
            Op::DeleteDisk { .. } => o.delete_disk(acct, disk),
            op => self.predict_network(op, acct, instance),
        }
    }

    fn predict_network(&self, op: &Op, acct: &str, instance: &str) -> Expect {
        let o = &self.oracle;
        let table = |t: &u8| TABLES[*t as usize % TABLES.len()];
        let lb = |l: &u8| LBS[*l as usize % LBS.len()];
        match op {
            Op::Route { table: t, cidr, .. } => {
                o.create_route(acct, table(t), &cidr_block(*cidr), instance)
            }
            Op::Unroute { table: t, cidr, .. } => {
                o.delete_route(acct, table(t), &cidr_block(*cidr))
            }
            Op::Backend { lb: l, weight, .. } => o.add_backend(acct, lb(l), instance, *weight),
            Op::Unbackend { lb: l, .. } => o.remove_backend(acct, lb(l), instance),
            // The driver runs the rest itself; they send no request.
            _ => Expect::Events(Vec::new()),
        }
    }
}

/// The instances a DeleteInstances request names, in parameter order.
fn named_instances(sent: &Sent) -> Vec<String> {
    sent.request
        .params
        .iter()
        .filter_map(|(k, v)| {
            let n: u32 = k.strip_prefix("InstanceId.")?.parse().ok()?;
            Some((n, v.to_owned()))
        })
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect()
}

/// The instances a ModifyInstanceChargeType request names (its
/// `InstanceIds` JSON array), in order.
fn listed_instances(sent: &Sent) -> Vec<String> {
    sent.request
        .params
        .iter()
        .find(|(k, _)| *k == "InstanceIds")
        .and_then(|(_, v)| serde_json::from_str(v).ok())
        .unwrap_or_default()
}
