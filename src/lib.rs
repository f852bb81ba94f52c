//! # ecs-ledger
//!
//! An event-sourced emulator of the instance-release part of the Alibaba Cloud
//! ECS control plane (`DeleteInstance` and the actions around it).
//!
//! Commands are validated against state rebuilt from an append-only event log;
//! a successful command appends events (`InstanceReleased`, `DiskReleased`,
//! `SnapshotRetained`, ...); projections consume them.
//!
//! The crate is layered:
//!
//! * [`model`]: the pure rules: identifiers, commands, events,
//!   `decide`/`evolve`, the transition scheduler, and every error code;
//! * [`core`]: the request core: what one request does (clock, due
//!   transitions, idempotency, decision, the Describe queries), as a state
//!   machine over the live records, with no I/O;
//! * [`log`] and [`storage`]: the append-only log (records, chunks, hash
//!   chain, witness) over sled or memory;
//! * [`ledger`]: the shell: the single writer, group commit, durability,
//!   state checkpoints;
//! * [`projection`] and [`replay`]: the read side over the log;
//! * [`api`]: the wire forms (exec lines, the HTTP server, statuses);
//! * `audit` (feature `audit`): signed checkpoints of the log's Merkle
//!   tree, and proof files.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
#[cfg(feature = "audit")]
pub mod audit;
#[cfg(feature = "bench")]
pub mod bench;
pub mod core;
pub mod ledger;
pub mod log;
pub mod model;
pub mod projection;
pub mod replay;
#[cfg(feature = "sim")]
pub mod sim;
pub mod storage;
