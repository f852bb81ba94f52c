//! The pure model: the state machine of docs/BEHAVIOUR.md §1-§4.
//!
//! * [`decide`] checks a [`Command`] against a [`State`] and returns the events
//!   it causes, or the error that answers it;
//! * [`evolve`] folds one recorded event into a state;
//! * [`scheduler::due`] lists the platform transitions due by a given time.
//!
//! None of them does I/O, reads a clock or draws random numbers: time, the
//! account and fresh ids arrive in [`Ctx`]. That is what makes replay,
//! simulation and these tests exact.
//!
//! ```
//! use ecs_ledger::model::{decide, evolve, Command, Ctx, State};
//! use ecs_ledger::model::ctx::IdSource;
//! use ecs_ledger::model::event::Recorded;
//! use ecs_ledger::model::id::{Account, EventId};
//! use ecs_ledger::model::params::Params;
//! use ecs_ledger::model::time::Timestamp;
//!
//! let mut state = State::new();
//! let ctx = Ctx::new(Timestamp::EPOCH, Account::default(), IdSource::seeded(1, 0, 0));
//! let create = Command::parse("CreateInstance", &Params::new()).unwrap();
//! let events = decide(&state, &create, &ctx).unwrap();
//! for (i, event) in events.into_iter().enumerate() {
//!     let recorded = Recorded {
//!         seq: i as u64 + 1,
//!         time: ctx.now,
//!         request_id: ctx.ids.next_request_id(),
//!         event_id: ctx.ids.next_event_id(),
//!         account: ctx.account.clone(),
//!         event,
//!     };
//!     evolve(&mut state, &recorded);
//! }
//! assert_eq!(state.instances.len(), 1);
//! assert_eq!(state.disks.len(), 1); // the system disk
//! ```

pub mod action;
pub mod ctx;
pub mod error;
pub mod event;
pub mod id;
pub mod limits;
pub mod params;
pub mod read_set;
pub mod release;
pub mod scheduler;
pub mod state;
pub mod time;
pub mod values;

pub use action::Command;
pub use ctx::Ctx;
pub use error::{Code, EcsError};
pub use event::{Event, Recorded};
pub use state::{State, evolve};

/// Decides `command` against `state` in `ctx`: the events to append, or the
/// error that answers it. Pure and synchronous.
pub fn decide(state: &State, command: &Command, ctx: &Ctx) -> Result<Vec<Event>, EcsError> {
    command.decide(state, ctx)
}
