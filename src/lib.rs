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
//! * [`model`]: the pure state machine: identifiers, commands, events,
//!   `decide`/`evolve`, the transition scheduler, and every error code.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod bench;
pub mod ledger;
pub mod log;
pub mod model;
pub mod projection;
pub mod query;
pub mod replay;
pub mod sim;
pub mod storage;
