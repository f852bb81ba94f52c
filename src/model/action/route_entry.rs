//! CreateRouteEntry / DeleteRouteEntry (platform: VPC), with VPC's names.
//!
//! A route table is created the first time an entry is added to it and belongs
//! to that account; to any other account it does not exist.

use std::net::Ipv4Addr;

use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{Event, RouteEntryCreated, RouteEntryDeleted};
use crate::model::id::{InstanceId, RouteTableId};
use crate::model::limits;
use crate::model::params::Params;
use crate::model::state::{RouteTable, State};
use crate::model::values::NextHopType;

/// Canonical `a.b.c.d/n`; a bare address is a /32 (as VPC treats it).
pub fn parse_cidr(value: &str) -> Result<String, EcsError> {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, p),
        None => (value, "32"),
    };
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| EcsError::new(Code::CidrBlockMalformed))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32 && !prefix.starts_with('+'))
        .ok_or_else(|| EcsError::new(Code::CidrBlockMalformed))?;
    Ok(format!("{addr}/{prefix}"))
}

fn table<'s>(
    state: &'s State,
    ctx: &Ctx,
    id: &RouteTableId,
) -> Result<Option<&'s RouteTable>, EcsError> {
    match state.route_tables.get(id) {
        Some(t) if t.account != ctx.account => Err(EcsError::new(Code::RouteTableNotFound)),
        other => Ok(other),
    }
}

/// Point a destination at an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRouteEntry {
    /// The route table.
    pub route_table_id: RouteTableId,
    /// The destination (canonical form).
    pub destination_cidr_block: String,
    /// The next hop instance.
    pub next_hop_id: InstanceId,
}

impl CreateRouteEntry {
    /// Parses `RouteTableId`, `DestinationCidrBlock`, `NextHopId`, `NextHopType` (Instance).
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        let route_table_id = params.route_table_id("RouteTableId")?;
        let destination_cidr_block = parse_cidr(params.required("DestinationCidrBlock")?)?;
        let next_hop_id = params.instance_id("NextHopId")?;
        params.choice("NextHopType", &[NextHopType::Instance.as_str()])?;
        Ok(Self {
            route_table_id,
            destination_cidr_block,
            next_hop_id,
        })
    }

    /// Table of another account; next hop not found; duplicate destination; quota.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let table = table(state, ctx, &self.route_table_id)?;
        let Some(next_hop) = state.instance(&ctx.account, &self.next_hop_id) else {
            return Err(EcsError::new(Code::NextHopNotFound));
        };
        // An instance stopping to be released takes no new dependencies
        // (docs/BEHAVIOUR.md §7.1).
        if next_hop.pending_release.is_some() {
            return Err(EcsError::new(Code::IncorrectInstanceStatus));
        }
        if let Some(t) = table {
            if t.entries.contains_key(&self.destination_cidr_block) {
                return Err(EcsError::new(Code::CidrBlockDuplicate));
            }
            if t.entries.len() >= limits::ROUTE_ENTRIES_MAX {
                return Err(EcsError::new(Code::RouteEntryQuotaExceeded));
            }
        }
        Ok(vec![Event::RouteEntryCreated(RouteEntryCreated {
            route_table_id: self.route_table_id.clone(),
            destination_cidr_block: self.destination_cidr_block.clone(),
            next_hop_id: self.next_hop_id.clone(),
            next_hop_type: NextHopType::Instance,
        })])
    }
}

/// Remove a route entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRouteEntry {
    /// The route table.
    pub route_table_id: RouteTableId,
    /// The destination (canonical form).
    pub destination_cidr_block: String,
    /// If given, the entry must point at this instance.
    pub next_hop_id: Option<InstanceId>,
}

impl DeleteRouteEntry {
    /// Parses `RouteTableId`, `DestinationCidrBlock`, optional `NextHopId`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            route_table_id: params.route_table_id("RouteTableId")?,
            destination_cidr_block: parse_cidr(params.required("DestinationCidrBlock")?)?,
            next_hop_id: params.instance_id_opt("NextHopId")?,
        })
    }

    /// Table not found; entry not found (or pointing elsewhere).
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let table = table(state, ctx, &self.route_table_id)?
            .ok_or_else(|| EcsError::new(Code::RouteTableNotFound))?;
        let next_hop = table
            .entries
            .get(&self.destination_cidr_block)
            .filter(|hop| self.next_hop_id.as_ref().is_none_or(|want| want == *hop))
            .ok_or_else(|| EcsError::new(Code::RouteEntryNotFound))?;
        Ok(vec![Event::RouteEntryDeleted(RouteEntryDeleted {
            route_table_id: self.route_table_id.clone(),
            destination_cidr_block: self.destination_cidr_block.clone(),
            next_hop_id: next_hop.clone(),
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_are_canonical_and_checked() {
        assert_eq!(parse_cidr("10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(parse_cidr("192.168.1.7").unwrap(), "192.168.1.7/32");
        for bad in [
            "10.0.0/8",
            "10.0.0.0/33",
            "x",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "::1/128",
        ] {
            assert_eq!(
                parse_cidr(bad).unwrap_err().code(),
                Code::CidrBlockMalformed,
                "{bad}"
            );
        }
    }
}
