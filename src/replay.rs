//! Replay: the state as it was at any point of the log.

use serde_json::{Value, json};

use crate::log::{EventLog, LogError};
use crate::model::State;
use crate::model::event::Recorded;
use crate::model::state::evolve;
use crate::model::time::Timestamp;
use crate::storage::Storage;

/// How far to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The whole log.
    End,
    /// Up to and including this seq.
    Seq(u64),
    /// Every event that happened at or before this time.
    Time(Timestamp),
}

/// The state at a point of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointInTime {
    /// The state.
    pub state: State,
    /// The last event applied (0: none).
    pub seq: u64,
    /// Its time.
    pub time: Option<Timestamp>,
}

/// Records decoded per chunk handed from the decoding thread to the folding one.
const CHUNK: usize = 1024;
/// Chunks in flight at most (bounds the memory of a replay).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Folds the log from the start up to `until`; `progress` gets each seq.
///
/// A pipeline on two threads: one iterates sled and decodes records (checksum,
/// bincode, seq) in chunks, the caller's thread folds them. The two halves
/// cost about the same, so a replay runs at close to the speed of reading
/// and decoding alone.
pub fn replay<S: Storage>(
    log: &EventLog<S>,
    until: Until,
    mut progress: impl FnMut(u64),
) -> Result<PointInTime, LogError> {
    let last = match until {
        Until::Seq(s) => Some(s),
        _ => None,
    };
    std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<Result<Vec<Recorded>, LogError>>(CHUNKS_IN_FLIGHT);
        scope.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in log.iter_from(1) {
                match item {
                    Ok(r) if last.is_some_and(|l| r.seq > l) => break,
                    Ok(r) => {
                        chunk.push(r);
                        if chunk.len() == CHUNK {
                            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                            if tx.send(Ok(full)).is_err() {
                                return; // the folding side stopped
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
            if !chunk.is_empty() {
                let _ = tx.send(Ok(chunk));
            }
        });
        let mut state = State::new();
        let mut seq = 0;
        let mut time = None;
        'fold: for chunk in rx {
            for recorded in chunk? {
                if let Until::Time(t) = until
                    && recorded.time > t
                {
                    break 'fold;
                }
                evolve(&mut state, &recorded).map_err(|e| LogError::Inconsistent(e.to_string()))?;
                seq = recorded.seq;
                time = Some(recorded.time);
                progress(seq);
            }
        }
        Ok(PointInTime { state, seq, time })
    })
}

/// A map's values in key order.
pub fn sorted<K: Ord, V, H>(map: &std::collections::HashMap<K, V, H>) -> Vec<&V> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter().map(|(_, v)| v).collect()
}

/// The state as JSON: instances (with locks and dependencies), disks,
/// snapshots, route tables and load balancers, PascalCase like ECS.
pub fn state_json(state: &State) -> Value {
    fn all<K: Ord, V, H>(
        map: &std::collections::HashMap<K, V, H>,
        each: fn(&V) -> Value,
    ) -> Vec<Value> {
        sorted(map).into_iter().map(each).collect()
    }
    json!({
        "Instances": all(&state.instances, instance_json),
        "Disks": all(&state.disks, disk_json),
        "Snapshots": all(&state.snapshots, snapshot_json),
        "RouteTables": all(&state.route_tables, route_table_json),
        "LoadBalancers": all(&state.load_balancers, load_balancer_json),
    })
}

fn instance_json(i: &crate::model::state::Instance) -> Value {
    json!({
        "InstanceId": i.id.as_str(),
        "Account": i.account.as_str(),
        "Status": i.status.as_str(),
        "InstanceChargeType": i.charge_type.as_str(),
        "ExpiredTime": i.expired_time.map(|t| t.to_string()),
        "Expired": i.expired,
        "DeletionProtection": i.deletion_protection,
        "OperationLocks": i.locks.iter().map(|(r, m)| json!({"LockReason": r.as_str(), "LockMsg": m})).collect::<Vec<_>>(),
        "Disks": i.disks.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "RouteEntries": i.routes.iter().map(|(t, c)| json!({"RouteTableId": t.as_str(), "DestinationCidrBlock": c})).collect::<Vec<_>>(),
        "LoadBalancers": i.load_balancers.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "CreationTime": i.creation_time.to_string(),
        "InstanceName": i.attributes.instance_name,
    })
}

fn disk_json(d: &crate::model::state::Disk) -> Value {
    json!({
        "DiskId": d.id.as_str(),
        "Account": d.account.as_str(),
        "Type": d.disk_type.as_str(),
        "Status": d.status.as_str(),
        "InstanceId": d.instance_id.as_ref().map(|i| i.as_str()).unwrap_or_default(),
        "Size": d.size,
        "DeleteWithInstance": d.delete_with_instance,
        "DeleteAutoSnapshot": d.delete_auto_snapshot,
        "DiskChargeType": d.charge_type.as_str(),
        "Snapshots": d.snapshots.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "CreationTime": d.creation_time.to_string(),
    })
}

fn snapshot_json(s: &crate::model::state::Snapshot) -> Value {
    json!({
        "SnapshotId": s.id.as_str(),
        "Account": s.account.as_str(),
        "SnapshotType": s.snapshot_type.as_str(),
        "SourceDiskId": s.source_disk_id.as_str(),
        "SourceDiskType": s.source_disk_type.as_str(),
        "Retained": s.retained,
        "CreationTime": s.creation_time.to_string(),
    })
}

fn route_table_json(t: &crate::model::state::RouteTable) -> Value {
    json!({
        "RouteTableId": t.id.as_str(),
        "Account": t.account.as_str(),
        "RouteEntries": t.entries.iter().map(|(c, i)| json!({"DestinationCidrBlock": c, "NextHopId": i.as_str()})).collect::<Vec<_>>(),
    })
}

fn load_balancer_json(l: &crate::model::state::LoadBalancer) -> Value {
    json!({
        "LoadBalancerId": l.id.as_str(),
        "Account": l.account.as_str(),
        "BackendServers": l.servers.iter().map(|(i, w)| json!({"ServerId": i.as_str(), "Weight": w})).collect::<Vec<_>>(),
    })
}
