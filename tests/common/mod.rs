pub mod backend;
pub mod cli;
pub mod http;
pub mod pg;
pub mod prometheus;
pub mod python;
pub mod workload;
