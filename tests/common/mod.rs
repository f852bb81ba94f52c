pub mod cli;
pub mod http;
pub mod prometheus;
pub mod workload;
pub mod backend;
pub mod pg;
