pub mod cli;
pub mod http;
pub mod workload;
