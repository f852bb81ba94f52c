//! The commands: one file per ECS action, each holding its parameters, its
//! parsing and its rules. [`Command`] ties them together.
//!
//! To find where a rule of docs/BEHAVIOUR.md §3 or §4 lives, open the file named after
//! the action (`delete_instance.rs` holds the DeleteInstance table).

pub mod attach_disk;
pub mod backend_servers;
pub mod create_disk;
pub mod create_instance;
pub mod create_snapshot;
pub mod delete_disk;
pub mod delete_instance;
pub mod delete_instances;
pub mod delete_snapshot;
pub mod detach_disk;
pub mod lock_instance;
pub mod lookup;
pub mod modify_disk_attribute;
pub mod modify_instance_attribute;
pub mod modify_instance_auto_release_time;
pub mod modify_instance_charge_type;
pub mod renew_instance;
pub mod route_entry;
pub mod start_instance;
pub mod stop_instance;
pub mod subscription;

use crate::model::ctx::Ctx;
use crate::model::error::{Code, EcsError};
use crate::model::event::Event;
use crate::model::id::InstanceId;
use crate::model::params::Params;
use crate::model::read_set::ReadSet;
use crate::model::state::State;

pub use attach_disk::AttachDisk;
pub use backend_servers::{AddBackendServers, RemoveBackendServers};
pub use create_disk::CreateDisk;
pub use create_instance::CreateInstance;
pub use create_snapshot::{CreateAutoSnapshot, CreateSnapshot};
pub use delete_disk::DeleteDisk;
pub use delete_instance::DeleteInstance;
pub use delete_instances::DeleteInstances;
pub use delete_snapshot::DeleteSnapshot;
pub use detach_disk::DetachDisk;
pub use lock_instance::{LockInstance, UnlockInstance};
pub use modify_disk_attribute::ModifyDiskAttribute;
pub use modify_instance_attribute::ModifyInstanceAttribute;
pub use modify_instance_auto_release_time::ModifyInstanceAutoReleaseTime;
pub use modify_instance_charge_type::ModifyInstanceChargeType;
pub use renew_instance::RenewInstance;
pub use route_entry::{CreateRouteEntry, DeleteRouteEntry};
pub use start_instance::StartInstance;
pub use stop_instance::StopInstance;

macro_rules! commands {
    ($( $variant:ident, platform: $platform:literal; )*) => {
        /// A state-changing request, parsed and validated.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Command {
            $(
                #[doc = concat!("The `", stringify!($variant), "` action.")]
                $variant($variant),
            )*
        }

        impl Command {
            /// Every command action name.
            pub const ACTIONS: &'static [&'static str] = &[ $( stringify!($variant), )* ];

            /// Parses the parameters of `action`. An action that is not a command
            /// is `InvalidAction.NotFound`.
            pub fn parse(action: &str, params: &Params) -> Result<Command, EcsError> {
                match action {
                    $( stringify!($variant) => $variant::parse(params).map(Command::$variant), )*
                    _ => Err(EcsError::new(Code::InvalidActionNotFound)),
                }
            }

            /// The action name.
            pub fn action(&self) -> &'static str {
                match self { $( Command::$variant(_) => stringify!($variant), )* }
            }

            /// A platform action (other products or the platform itself): on a
            /// server only an admin key may call it.
            pub fn is_platform(&self) -> bool {
                match self { $( Command::$variant(_) => $platform, )* }
            }

            /// Whether the action of this name is a platform action.
            pub fn is_platform_action(action: &str) -> bool {
                match action { $( stringify!($variant) => $platform, )* _ => false }
            }
        }

        $(
            impl From<$variant> for Command {
                fn from(c: $variant) -> Command { Command::$variant(c) }
            }
        )*
    };
}

commands! {
    DeleteInstance, platform: false;
    DeleteInstances, platform: false;
    CreateInstance, platform: false;
    StartInstance, platform: false;
    StopInstance, platform: false;
    ModifyInstanceAttribute, platform: false;
    RenewInstance, platform: false;
    CreateDisk, platform: false;
    AttachDisk, platform: false;
    DetachDisk, platform: false;
    ModifyDiskAttribute, platform: false;
    CreateSnapshot, platform: false;
    DeleteSnapshot, platform: false;
    DeleteDisk, platform: false;
    CreateRouteEntry, platform: true;
    DeleteRouteEntry, platform: true;
    AddBackendServers, platform: true;
    RemoveBackendServers, platform: true;
    LockInstance, platform: true;
    UnlockInstance, platform: true;
    CreateAutoSnapshot, platform: true;
    ModifyInstanceAutoReleaseTime, platform: false;
    ModifyInstanceChargeType, platform: false;
}

impl Command {
    /// Decides a request: the command against `state`, honouring `DryRun`
    /// for every action: when every check passes and `dry_run` is set, the
    /// answer is `DryRunOperation` and nothing is appended. (ECS lists DryRun
    /// for some actions only; a caller who sends it never wants a write, so
    /// here every action takes it. Actions with their own dry-run answer,
    /// DeleteInstances' `DRYRUN.SUCCESS`, give that one.)
    ///
    /// ```
    /// use ecs_ledger::model::{Command, Ctx, State};
    /// use ecs_ledger::model::ctx::IdSource;
    /// use ecs_ledger::model::id::Account;
    /// use ecs_ledger::model::params::Params;
    /// use ecs_ledger::model::time::Timestamp;
    /// let params = Params::from_pairs([("Size", "20"), ("DryRun", "true")]);
    /// let create = Command::parse("CreateDisk", &params).unwrap();
    /// let ctx = Ctx::new(Timestamp::EPOCH, Account::default(), IdSource::seeded(1, 0, 0));
    /// let dry_run = Command::dry_run(&params).unwrap();
    /// let e = create.decide_request(dry_run, &State::new(), &ctx).unwrap_err();
    /// assert_eq!(e.code().as_str(), "DryRunOperation");
    /// ```
    pub fn decide_request(
        &self,
        dry_run: bool,
        state: &State,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, EcsError> {
        let events = self.decide(state, ctx)?;
        if dry_run {
            return Err(EcsError::new(Code::DryRunOperation));
        }
        Ok(events)
    }

    /// The `DryRun` parameter (false when absent): every action accepts it.
    pub fn dry_run(params: &Params) -> Result<bool, EcsError> {
        params.bool_or("DryRun", false)
    }

    /// Decides the command against `state`: the events to append, or the error.
    /// Pure: no I/O, no clock, no randomness (all of that is in `ctx`).
    pub fn decide(&self, state: &State, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
        match self {
            Command::DeleteInstance(c) => c.decide(state, ctx),
            Command::DeleteInstances(c) => c.decide(state, ctx),
            Command::CreateInstance(c) => c.decide(ctx),
            Command::StartInstance(c) => c.decide(state, ctx),
            Command::StopInstance(c) => c.decide(state, ctx),
            Command::ModifyInstanceAttribute(c) => c.decide(state, ctx),
            Command::RenewInstance(c) => c.decide(state, ctx),
            Command::CreateDisk(c) => c.decide(ctx),
            Command::AttachDisk(c) => c.decide(state, ctx),
            Command::DetachDisk(c) => c.decide(state, ctx),
            Command::ModifyDiskAttribute(c) => c.decide(state, ctx),
            Command::CreateSnapshot(c) => c.decide(state, ctx),
            Command::DeleteSnapshot(c) => c.decide(state, ctx),
            Command::DeleteDisk(c) => c.decide(state, ctx),
            Command::CreateRouteEntry(c) => c.decide(state, ctx),
            Command::DeleteRouteEntry(c) => c.decide(state, ctx),
            Command::AddBackendServers(c) => c.decide(state, ctx),
            Command::RemoveBackendServers(c) => c.decide(state, ctx),
            Command::LockInstance(c) => c.decide(state, ctx),
            Command::UnlockInstance(c) => c.decide(state, ctx),
            Command::CreateAutoSnapshot(c) => c.decide(state, ctx),
            Command::ModifyInstanceAutoReleaseTime(c) => c.decide(state, ctx),
            Command::ModifyInstanceChargeType(c) => c.decide(state, ctx),
        }
    }

    /// What the decision reads (see [`ReadSet`]): declared here, loaded by
    /// the request core, and all the decision sees.
    pub fn read_set(&self) -> ReadSet {
        let rs = ReadSet::default();
        match self {
            Command::DeleteInstance(c) => rs.instance(c.instance_id.clone()),
            Command::DeleteInstances(c) => c
                .instance_ids
                .iter()
                .filter_map(|(_, raw)| InstanceId::parse(raw).ok())
                .fold(rs, ReadSet::instance),
            Command::CreateInstance(_) | Command::CreateDisk(_) => rs,
            Command::StartInstance(c) => rs.instance(c.instance_id.clone()),
            Command::StopInstance(c) => rs.instance(c.instance_id.clone()),
            Command::ModifyInstanceAttribute(c) => rs.instance(c.instance_id.clone()),
            Command::RenewInstance(c) => rs.instance(c.instance_id.clone()),
            Command::AttachDisk(c) => rs.instance(c.instance_id.clone()).disk(c.disk_id.clone()),
            Command::DetachDisk(c) => rs.instance(c.instance_id.clone()).disk(c.disk_id.clone()),
            Command::ModifyDiskAttribute(c) => rs.disk(c.disk_id.clone()),
            Command::CreateSnapshot(c) => rs.disk(c.disk_id.clone()),
            Command::DeleteSnapshot(c) => rs.snapshot(c.snapshot_id.clone()),
            Command::DeleteDisk(c) => rs.disk(c.disk_id.clone()),
            Command::CreateRouteEntry(c) => rs
                .route_table(c.route_table_id.clone())
                .instance(c.next_hop_id.clone()),
            Command::DeleteRouteEntry(c) => {
                let rs = rs.route_table(c.route_table_id.clone());
                match &c.next_hop_id {
                    Some(i) => rs.instance(i.clone()),
                    None => rs,
                }
            }
            Command::AddBackendServers(c) => c.servers.iter().map(|s| s.server_id.clone()).fold(
                rs.load_balancer(c.load_balancer_id.clone()),
                ReadSet::instance,
            ),
            Command::RemoveBackendServers(c) => c.servers.iter().map(|s| s.server_id.clone()).fold(
                rs.load_balancer(c.load_balancer_id.clone()),
                ReadSet::instance,
            ),
            Command::LockInstance(c) => rs.instance(c.instance_id.clone()),
            Command::UnlockInstance(c) => rs.instance(c.instance_id.clone()),
            Command::CreateAutoSnapshot(c) => rs.disk(c.disk_id.clone()),
            Command::ModifyInstanceAutoReleaseTime(c) => rs.instance(c.instance_id.clone()),
            Command::ModifyInstanceChargeType(c) => {
                c.instance_ids.iter().cloned().fold(rs, ReadSet::instance)
            }
        }
    }
}
