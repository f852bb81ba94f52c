//! DescribeInstanceHistoryEvents: the platform's system events on instances
//! (docs/BEHAVIOUR.md §7.5), kept from the log: `InstanceExpiration.Stop`
//! (expiry stopped a subscription) and `InstanceExpiration.Delete` (a
//! subscription not renewed within 15 days was released). Released
//! instances' events stay. Filters `InstanceId`, `EventType` (or
//! `InstanceEventType.N`), `EventCycleStatus` (every event here has
//! completed: `Executed`); paging as DescribeInstances, oldest first. As in
//! ECS, only the events of the last 30 days are listed (and kept).

use serde_json::{Map, Value, json};

use super::paging::Paging;
use crate::core::world::World;
use crate::model::error::EcsError;
use crate::model::id::{Account, InstanceId};
use crate::model::params::Params;
use crate::model::state::{SystemEvent, system_event_kept};
use crate::model::time::Timestamp;
use crate::model::values::SystemEventType;

/// Every system event here has been carried out.
const EXECUTED: &str = "Executed";

/// The query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeInstanceHistoryEvents {
    /// Only this instance's events.
    pub instance_id: Option<InstanceId>,
    /// Only these types (empty: all). An unknown type matches nothing.
    pub event_types: Vec<String>,
    /// Only events in this cycle status (none: all).
    pub cycle_status: Option<String>,
    /// Which page.
    pub paging: Paging,
}

impl DescribeInstanceHistoryEvents {
    /// Parses the parameters.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let mut event_types = Vec::new();
        for n in params.indices("InstanceEventType")? {
            if let Some(v) = params.optional(&format!("InstanceEventType.{n}")) {
                event_types.push(v.to_owned());
            }
        }
        if event_types.is_empty()
            && let Some(v) = params.optional("EventType")
        {
            event_types.push(v.to_owned());
        }
        Ok(Self {
            instance_id: params.instance_id_opt("InstanceId")?,
            event_types,
            cycle_status: params.optional("EventCycleStatus").map(str::to_owned),
            paging: Paging::parse(params)?,
        })
    }

    /// Runs it at `now` over the kept system events (those of the last 30
    /// days).
    pub fn run(&self, world: &World, account: &Account, now: Timestamp) -> Map<String, Value> {
        let found: Vec<&SystemEvent> = world
            .state()
            .system_events
            .iter()
            .filter(|e| &e.account == account && system_event_kept(e.at, now))
            .filter(|e| {
                self.instance_id
                    .as_ref()
                    .is_none_or(|i| i == &e.instance_id)
            })
            .filter(|e| {
                self.event_types.is_empty()
                    || self.event_types.iter().any(|t| t == e.event_type.as_str())
            })
            .filter(|_| self.cycle_status.as_deref().is_none_or(|s| s == EXECUTED))
            .collect();
        let total = found.len();
        let items = found[self.paging.range(total)]
            .iter()
            .map(|e| render(e))
            .collect();
        self.paging.body(
            total,
            "InstanceSystemEventSet",
            "InstanceSystemEventType",
            items,
        )
    }
}

/// One event in ECS's shape.
pub fn render(e: &SystemEvent) -> Value {
    let at = e.at.to_string();
    json!({
        "EventId": e.id,
        "EventType": {"Name": e.event_type.as_str()},
        "EventCycleStatus": {"Name": EXECUTED},
        "InstanceId": e.instance_id.as_str(),
        "ResourceType": "instance",
        "NotBefore": at,
        "EventPublishTime": at,
        "EventFinishTime": at,
        "Reason": match e.event_type {
            SystemEventType::ExpirationStop => "The subscription expired.",
            SystemEventType::ExpirationDelete => "The subscription was not renewed within 15 days of its expiry.",
        },
    })
}
