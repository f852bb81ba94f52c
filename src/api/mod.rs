//! The wire interfaces: parameters in, ECS responses out. The exec command and
//! the HTTP server share the parameter model and the ledger's replies.

#[cfg(feature = "server")]
pub mod encoding;
pub mod exec;
#[cfg(feature = "server")]
pub mod server;
pub mod status;
