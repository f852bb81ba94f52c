//! AddBackendServers / RemoveBackendServers (platform: SLB), with SLB's names.
//!
//! `BackendServers` is a JSON array string: `[{"ServerId":"i-…","Weight":"100"}]`
//! (Weight a string or a number, default 100); RemoveBackendServers also takes
//! plain ids (`["i-…"]`). A load balancer is created the first time a server is
//! added to it and belongs to that account.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::{BackendServerAdded, BackendServerRemoved, Event};
use crate::model::id::{InstanceId, LoadBalancerId};
use crate::model::limits;
use crate::model::params::Params;
use crate::model::state::{LoadBalancer, State};

/// One backend server of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendServer {
    /// The instance.
    pub server_id: InstanceId,
    /// Weight 0-100.
    pub weight: u32,
}

fn parse_servers(params: &Params) -> Result<Vec<BackendServer>, EcsError> {
    let raw = params.required("BackendServers")?;
    let malformed = || EcsError::new(Code::BackendServersMalformed);
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(raw) else {
        return Err(malformed());
    };
    if items.is_empty() {
        return Err(malformed());
    }
    if items.len() > limits::BACKEND_SERVERS_PER_CALL_MAX {
        return Err(EcsError::new(Code::TooManyBackendServers));
    }
    let mut seen = BTreeSet::new();
    let mut servers = Vec::with_capacity(items.len());
    for item in items {
        let (id, weight) = match &item {
            Value::String(id) => (id.as_str(), None),
            Value::Object(o) => match o.get("ServerId") {
                Some(Value::String(id)) => (id.as_str(), o.get("Weight")),
                _ => return Err(malformed()),
            },
            _ => return Err(malformed()),
        };
        let server_id = InstanceId::parse(id).map_err(|_| malformed())?;
        let weight = match weight {
            None => 100,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| EcsError::new(Code::WeightMalformed))?,
            Some(Value::String(s)) => s
                .parse::<u32>()
                .map_err(|_| EcsError::new(Code::WeightMalformed))?,
            Some(_) => return Err(EcsError::new(Code::WeightMalformed)),
        };
        if !limits::BACKEND_WEIGHT.contains(&weight) {
            return Err(EcsError::new(Code::WeightMalformed));
        }
        if !seen.insert(server_id.clone()) {
            return Err(malformed());
        }
        servers.push(BackendServer { server_id, weight });
    }
    Ok(servers)
}

fn load_balancer<'s>(
    state: &'s State,
    ctx: &Ctx,
    id: &LoadBalancerId,
) -> Result<Option<&'s LoadBalancer>, EcsError> {
    match state.load_balancers.get(id) {
        Some(lb) if lb.account != ctx.account => Err(EcsError::new(Code::LoadBalancerNotFound)),
        other => Ok(other),
    }
}

/// Add instances as backend servers (or change their weight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddBackendServers {
    /// The load balancer.
    pub load_balancer_id: LoadBalancerId,
    /// The servers.
    pub servers: Vec<BackendServer>,
}

impl AddBackendServers {
    /// Parses `LoadBalancerId` and `BackendServers`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            load_balancer_id: params.load_balancer_id("LoadBalancerId")?,
            servers: parse_servers(params)?,
        })
    }

    /// Load balancer of another account; a server that does not exist
    /// (`ObtainIpFail`); more than 200 servers on the load balancer.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let lb = load_balancer(state, ctx, &self.load_balancer_id)?;
        for s in &self.servers {
            match state.instance(&ctx.account, &s.server_id) {
                None => return Err(EcsError::new(Code::BackendServerNotFound)),
                // Stopping to be released: no new dependencies (docs/BEHAVIOUR.md §7.1).
                Some(i) if i.pending_release.is_some() => {
                    return Err(EcsError::new(Code::IncorrectInstanceStatus));
                }
                Some(_) => {}
            }
        }
        let existing = lb.map(|lb| lb.servers.len()).unwrap_or(0);
        let new = self
            .servers
            .iter()
            .filter(|s| lb.is_none_or(|lb| !lb.servers.contains_key(&s.server_id)))
            .count();
        if existing + new > limits::BACKEND_SERVERS_MAX {
            return Err(EcsError::new(Code::TooManyBackendServers));
        }
        Ok(self
            .servers
            .iter()
            .map(|s| {
                Event::BackendServerAdded(BackendServerAdded {
                    load_balancer_id: self.load_balancer_id.clone(),
                    server_id: s.server_id.clone(),
                    weight: s.weight,
                })
            })
            .collect())
    }
}

/// Remove backend servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveBackendServers {
    /// The load balancer.
    pub load_balancer_id: LoadBalancerId,
    /// The servers (weights ignored).
    pub servers: Vec<BackendServer>,
}

impl RemoveBackendServers {
    /// Parses `LoadBalancerId` and `BackendServers`.
    pub fn parse(params: &Params) -> Result<Self, EcsError> {
        Ok(Self {
            load_balancer_id: params.load_balancer_id("LoadBalancerId")?,
            servers: parse_servers(params)?,
        })
    }

    /// Load balancer not found; a server that is not one of its backends.
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        let lb = load_balancer(state, ctx, &self.load_balancer_id)?
            .ok_or_else(|| EcsError::new(Code::LoadBalancerNotFound))?;
        self.servers
            .iter()
            .map(|s| {
                if lb.servers.contains_key(&s.server_id) {
                    Ok(Event::BackendServerRemoved(BackendServerRemoved {
                        load_balancer_id: self.load_balancer_id.clone(),
                        server_id: s.server_id.clone(),
                    }))
                } else {
                    Err(EcsError::new(Code::ServerIdNotFound))
                }
            })
            .collect()
    }
}
