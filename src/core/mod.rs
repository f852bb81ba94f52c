//! The request core: everything a request does, with no I/O.
//!
//! [`machine::Machine::step`] takes one parsed request ([`request::Parsed`])
//! and returns what it produced: the platform's due transitions (each its own
//! request), the request's events, its answer, the idempotency record to
//! keep. It owns the [`world::World`] (every live record, with the indices
//! queries and the scheduler need) and the log position and id counters,
//! and changes them as it goes. The writer, the inline ledger, the test
//! [`crate::core::testing::Scenario`] and the simulator all run requests
//! through it; the shell around it only loads, commits and acknowledges.
//!
//! ```
//! use ecs_ledger::core::machine::{Machine, Settings};
//! use ecs_ledger::core::world::World;
//! use ecs_ledger::core::request::Request;
//! use ecs_ledger::model::time::Timestamp;
//!
//! let start = Timestamp::from_unix(1_767_225_600).unwrap();
//! let mut machine = Machine::new(World::new(), start, 0, Settings { seed: Some(1), ..Settings::default() });
//! let step = machine.step(&Request::new("CreateDisk", [("Size", "20")]).parse(), None, start);
//! assert_eq!(step.reply.status(), 200);
//! assert_eq!(step.records.len(), 1);      // DiskCreated, Seq 1
//! assert_eq!(machine.position(), 1);
//! ```

pub mod answer;
pub mod idempotency;
pub mod ids;
pub mod machine;
pub mod nonce;
pub mod query;
pub mod request;
pub mod testing;
pub mod world;
