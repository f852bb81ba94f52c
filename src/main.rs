//! The `ecs-ledger` command line: a thin layer over the library.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::install_panic_hook();
    // A panic is a bug, never an answer: it ends the program with status 70
    // (EX_SOFTWARE) and one clear line, never Rust's 101 and a backtrace.
    std::panic::catch_unwind(cli::main).unwrap_or(std::process::ExitCode::from(70))
}
