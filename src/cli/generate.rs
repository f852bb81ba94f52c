//! `completions` and `manpage`: generated from the clap definition, so they
//! never drift from the options the program takes.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The program's name, as installed.
const BIN: &str = "ecs-ledger";

/// Prints the completion script for `shell`.
pub fn completions(shell: Shell) -> Result<ExitCode, String> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    print(&script)
}

/// Prints the man page (roff) of the whole program, or of one subcommand
/// (`ecs-ledger-serve(1)`, as the main page's SUBCOMMANDS section names it).
pub fn manpage(subcommand: Option<&str>) -> Result<ExitCode, String> {
    let mut command = Cli::command();
    // Global options reach the subcommands, which are named
    // `ecs-ledger-NAME` (the page title) and `ecs-ledger NAME` (the synopsis).
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => command
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| format!("no subcommand {name:?} (see ecs-ledger --help)"))?
            .version(env!("CARGO_PKG_VERSION")),
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    print(&roff)
}

fn print(bytes: &[u8]) -> Result<ExitCode, String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        super::exit_on_write_error(&e);
    }
    Ok(ExitCode::SUCCESS)
}
