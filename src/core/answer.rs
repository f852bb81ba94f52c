//! What a request gets back: its RequestId, and either what it did or the
//! error that answers it.

use serde_json::{Map, Value};

use crate::model::Command;
use crate::model::error::EcsError;
use crate::model::event::{Event, Recorded};
use crate::model::id::{InstanceId, LoadBalancerId, RequestId};
use crate::model::time::Timestamp;

/// What a successful request answers, besides its RequestId.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Nothing more.
    Empty,
    /// A creating action: the new id, under the name ECS returns it by
    /// (`InstanceId`, `DiskId`, `SnapshotId`).
    Created {
        /// `InstanceId`, `DiskId` or `SnapshotId`.
        field: &'static str,
        /// The new id.
        id: String,
    },
    /// AddBackendServers / RemoveBackendServers: the servers named (with
    /// their weights when added).
    BackendServers {
        /// The load balancer.
        load_balancer_id: LoadBalancerId,
        /// The servers, with the weight set (None when removed).
        servers: Vec<(InstanceId, Option<u32>)>,
    },
    /// AdvanceClock: the ledger time now.
    Clock(Timestamp),
    /// A query's page, or an idempotent replay: the ECS body fields as they are.
    Body(Map<String, Value>),
}

impl Answer {
    /// What `command` answers, from the events it appended.
    pub fn of(command: &Command, events: &[Recorded]) -> Answer {
        let first = events.first().map(|r| &r.event);
        match (command, first) {
            (Command::CreateInstance(_), Some(Event::InstanceCreated(e))) => Answer::Created {
                field: "InstanceId",
                id: e.instance_id.to_string(),
            },
            (Command::CreateDisk(_), Some(Event::DiskCreated(e))) => Answer::Created {
                field: "DiskId",
                id: e.disk_id.to_string(),
            },
            (
                Command::CreateSnapshot(_) | Command::CreateAutoSnapshot(_),
                Some(Event::SnapshotCreated(e)),
            ) => Answer::Created {
                field: "SnapshotId",
                id: e.snapshot_id.to_string(),
            },
            (Command::AddBackendServers(c), _) => Answer::BackendServers {
                load_balancer_id: c.load_balancer_id.clone(),
                servers: c
                    .servers
                    .iter()
                    .map(|s| (s.server_id.clone(), Some(s.weight)))
                    .collect(),
            },
            (Command::ModifyInstanceChargeType(c), _) => Answer::Body(charge_type_body(c, events)),
            (Command::RemoveBackendServers(c), _) => Answer::BackendServers {
                load_balancer_id: c.load_balancer_id.clone(),
                servers: c
                    .servers
                    .iter()
                    .map(|s| (s.server_id.clone(), None))
                    .collect(),
            },
            _ => Answer::Empty,
        }
    }

    /// The ECS response body fields besides `RequestId`.
    pub fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        match self {
            Answer::Empty => {}
            Answer::Created { field, id } => {
                body.insert((*field).into(), Value::from(id.as_str()));
            }
            Answer::BackendServers {
                load_balancer_id,
                servers,
            } => {
                body.insert(
                    "LoadBalancerId".into(),
                    Value::from(load_balancer_id.as_str()),
                );
                let list: Vec<Value> = servers
                    .iter()
                    .map(|(id, weight)| {
                        let mut s = Map::new();
                        s.insert("ServerId".into(), Value::from(id.as_str()));
                        if let Some(w) = weight {
                            s.insert("Weight".into(), Value::from(*w));
                        }
                        Value::Object(s)
                    })
                    .collect();
                let mut wrapped = Map::new();
                wrapped.insert("BackendServer".into(), Value::Array(list));
                body.insert("BackendServers".into(), Value::Object(wrapped));
            }
            Answer::Clock(t) => {
                body.insert("Time".into(), Value::from(t.to_string()));
            }
            Answer::Body(fields) => body.extend(fields.clone()),
        }
        body
    }
}

/// ModifyInstanceChargeType's body: the fee of each instance (nothing is
/// charged here: `"Fee":"0"`), and, to subscription, an `OrderId` (15
/// digits derived from the first event's id, so a replay gives the same).
fn charge_type_body(
    command: &crate::model::action::ModifyInstanceChargeType,
    events: &[Recorded],
) -> Map<String, Value> {
    let fees: Vec<Value> = command
        .instance_ids
        .iter()
        .map(|id| serde_json::json!({"InstanceId": id.as_str(), "Currency": "CNY", "Fee": "0"}))
        .collect();
    let mut body = Map::new();
    if command.charge_type == crate::model::values::ChargeType::PrePaid
        && let Some(first) = events.first()
    {
        let order = first.event_id.as_uuid().as_u128() % 1_000_000_000_000_000;
        body.insert("OrderId".into(), Value::from(format!("{order:015}")));
    }
    body.insert(
        "FeeOfInstances".into(),
        serde_json::json!({ "FeeOfInstance": fees }),
    );
    body
}

/// A successful outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Success {
    /// What it answers.
    pub answer: Answer,
    /// The events this request appended (empty for an idempotent replay; for
    /// AdvanceClock and background ticks, the transitions they applied).
    pub events: Vec<Recorded>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The request's id (the original one for an idempotent replay).
    pub request_id: RequestId,
    /// Success or the error that answers it.
    pub outcome: Result<Success, EcsError>,
}

impl Reply {
    /// A refusal.
    pub fn refused(request_id: RequestId, error: EcsError) -> Self {
        Self {
            request_id,
            outcome: Err(error),
        }
    }

    /// A success.
    pub fn ok(request_id: RequestId, answer: Answer, events: Vec<Recorded>) -> Self {
        Self {
            request_id,
            outcome: Ok(Success { answer, events }),
        }
    }

    /// The ECS response body: `{"RequestId": ..., ...}` or
    /// `{"RequestId": ..., "Code": ..., "Message": ...}`.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("RequestId".into(), Value::from(self.request_id.to_string()));
        match &self.outcome {
            Ok(s) => map.extend(s.answer.body()),
            Err(e) => {
                map.insert("Code".into(), Value::from(e.code().as_str()));
                map.insert("Message".into(), Value::from(e.message()));
            }
        }
        Value::Object(map)
    }

    /// The events appended (none on error).
    pub fn events(&self) -> &[Recorded] {
        match &self.outcome {
            Ok(s) => &s.events,
            Err(_) => &[],
        }
    }

    /// The error, if it failed.
    pub fn error(&self) -> Option<&EcsError> {
        self.outcome.as_ref().err()
    }
}
