//! The queries: DescribeInstances, DescribeDisks, DescribeSnapshots and
//! DescribeInstanceHistoryEvents, answered from the live records with ECS's
//! filters, paging and response shapes.
//!
//! A query runs through the ledger like a command (the clock moves and due
//! transitions are applied first), in its turn: it sees every request before
//! it and none after, and is answered once they are durable.

pub mod describe_disks;
pub mod describe_instance_history_events;
pub mod describe_instances;
pub mod describe_snapshots;
pub mod paging;

use serde_json::{Map, Value};

use crate::core::world::World;
use crate::model::error::EcsError;
use crate::model::id::Account;
use crate::model::params::Params;
use crate::model::time::Timestamp;

pub use describe_disks::DescribeDisks;
pub use describe_instance_history_events::DescribeInstanceHistoryEvents;
pub use describe_instances::DescribeInstances;
pub use describe_snapshots::DescribeSnapshots;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// DescribeInstances.
    DescribeInstances(DescribeInstances),
    /// DescribeDisks.
    DescribeDisks(DescribeDisks),
    /// DescribeSnapshots.
    DescribeSnapshots(DescribeSnapshots),
    /// DescribeInstanceHistoryEvents.
    DescribeInstanceHistoryEvents(DescribeInstanceHistoryEvents),
}

impl Query {
    /// The query actions.
    pub const ACTIONS: &'static [&'static str] = &[
        "DescribeInstances",
        "DescribeDisks",
        "DescribeSnapshots",
        "DescribeInstanceHistoryEvents",
    ];

    /// Parses `action` if it is a query; `None` if it is not one.
    pub fn parse(action: &str, params: &Params) -> Option<Result<Query, EcsError>> {
        Some(match action {
            "DescribeInstances" => DescribeInstances::parse(params).map(Query::DescribeInstances),
            "DescribeDisks" => DescribeDisks::parse(params).map(Query::DescribeDisks),
            "DescribeSnapshots" => DescribeSnapshots::parse(params).map(Query::DescribeSnapshots),
            "DescribeInstanceHistoryEvents" => DescribeInstanceHistoryEvents::parse(params)
                .map(Query::DescribeInstanceHistoryEvents),
            _ => return None,
        })
    }

    /// The action name.
    pub fn action(&self) -> &'static str {
        match self {
            Query::DescribeInstances(_) => "DescribeInstances",
            Query::DescribeDisks(_) => "DescribeDisks",
            Query::DescribeSnapshots(_) => "DescribeSnapshots",
            Query::DescribeInstanceHistoryEvents(_) => "DescribeInstanceHistoryEvents",
        }
    }

    /// Runs the query for `account` at `now` over the live records: the
    /// response body fields besides RequestId.
    pub fn run(&self, world: &World, account: &Account, now: Timestamp) -> Map<String, Value> {
        match self {
            Query::DescribeInstances(q) => q.run(world, account),
            Query::DescribeDisks(q) => q.run(world, account),
            Query::DescribeSnapshots(q) => q.run(world, account),
            Query::DescribeInstanceHistoryEvents(q) => q.run(world, account, now),
        }
    }
}

/// ECS's way of saying "no expiry" for pay-as-you-go resources.
pub const NO_EXPIRY: &str = "2099-12-31T15:59Z";
