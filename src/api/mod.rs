//! The wire interfaces: parameters in, ECS responses out. The exec command and
//! the HTTP server share this parsing and rendering.

pub mod exec;
