//! Predictions for route entries and backend servers.

use super::{Expect, LB_SERVERS_MAX, Oracle, ROUTE_ENTRIES_MAX, iid};
use crate::model::error::Code;
use crate::model::event::*;
use crate::model::id::{LoadBalancerId, RouteTableId};
use crate::model::values::NextHopType;

pub(super) fn table_id(table: &str) -> RouteTableId {
    RouteTableId::parse(table).unwrap_or_else(|_| unreachable!("generated"))
}

pub(super) fn lb_id(lb: &str) -> LoadBalancerId {
    LoadBalancerId::parse(lb).unwrap_or_else(|_| unreachable!("generated"))
}

impl Oracle {
    /// CreateRouteEntry.
    pub fn create_route(&self, acct: &str, table: &str, cidr: &str, instance: &str) -> Expect {
        let existing = self.tables.get(table);
        if existing.is_some_and(|t| t.owner != acct) {
            return Expect::Error(Code::RouteTableNotFound);
        }
        let Some(hop) = self.inst(instance, acct) else {
            return Expect::Error(Code::NextHopNotFound);
        };
        // Stopping to be released (ForceStop=false): no new dependencies.
        if hop.pending.is_some() {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        let entries = existing.map(|t| &t.entries);
        if entries.is_some_and(|e| e.contains_key(cidr)) {
            return Expect::Error(Code::CidrBlockDuplicate);
        }
        if entries.is_some_and(|e| e.len() >= ROUTE_ENTRIES_MAX) {
            return Expect::Error(Code::RouteEntryQuotaExceeded);
        }
        Expect::Events(vec![Event::RouteEntryCreated(RouteEntryCreated {
            route_table_id: table_id(table),
            destination_cidr_block: cidr.to_owned(),
            next_hop_id: iid(instance),
            next_hop_type: NextHopType::Instance,
        })])
    }

    /// DeleteRouteEntry.
    pub fn delete_route(&self, acct: &str, table: &str, cidr: &str) -> Expect {
        let Some(t) = self.tables.get(table).filter(|t| t.owner == acct) else {
            return Expect::Error(Code::RouteTableNotFound);
        };
        let Some(hop) = t.entries.get(cidr) else {
            return Expect::Error(Code::RouteEntryNotFound);
        };
        Expect::Events(vec![Event::RouteEntryDeleted(RouteEntryDeleted {
            route_table_id: table_id(table),
            destination_cidr_block: cidr.to_owned(),
            next_hop_id: iid(hop),
        })])
    }

    /// AddBackendServers with one server. A server already on the load
    /// balancer only changes its weight; a new one counts against the quota.
    pub fn add_backend(&self, acct: &str, lb: &str, instance: &str, weight: u32) -> Expect {
        let existing = self.lbs.get(lb);
        if existing.is_some_and(|l| l.owner != acct) {
            return Expect::Error(Code::LoadBalancerNotFound);
        }
        let Some(server) = self.inst(instance, acct) else {
            return Expect::Error(Code::BackendServerNotFound);
        };
        // Stopping to be released (ForceStop=false): no new dependencies.
        if server.pending.is_some() {
            return Expect::Error(Code::IncorrectInstanceStatus);
        }
        let servers = existing.map_or(0, |l| l.entries.len());
        let joins = existing.is_none_or(|l| !l.entries.contains_key(instance));
        if joins && servers >= LB_SERVERS_MAX {
            return Expect::Error(Code::TooManyBackendServers);
        }
        Expect::Events(vec![Event::BackendServerAdded(BackendServerAdded {
            load_balancer_id: lb_id(lb),
            server_id: iid(instance),
            weight,
        })])
    }

    /// RemoveBackendServers with one server.
    pub fn remove_backend(&self, acct: &str, lb: &str, instance: &str) -> Expect {
        let Some(l) = self.lbs.get(lb).filter(|l| l.owner == acct) else {
            return Expect::Error(Code::LoadBalancerNotFound);
        };
        if !l.entries.contains_key(instance) {
            return Expect::Error(Code::ServerIdNotFound);
        }
        Expect::Events(vec![Event::BackendServerRemoved(BackendServerRemoved {
            load_balancer_id: lb_id(lb),
            server_id: iid(instance),
        })])
    }
}
