pub mod cli;
pub mod workload;
