//! The wire interfaces: parameters in, ECS responses out. The exec command and
//! the HTTP server share the parameter model and the ledger's replies.

pub mod encoding;
pub mod exec;
pub mod server;
pub mod status;
