//! `exec`: read JSON lines, answer each with one flushed JSON line.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use ecs_ledger::api::exec::{parse_line, render};
use ecs_ledger::ledger::{Config, Ledger};

pub fn run(data: &Path, file: Option<&Path>, config: Config) -> Result<ExitCode, String> {
    let ledger = Ledger::open(data, config).map_err(|e| format!("{} ({})", e, data.display()))?;
    let input: Box<dyn BufRead> = match file {
        Some(path) => Box::new(BufReader::new(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        )),
        None => Box::new(BufReader::new(std::io::stdin())),
    };
    let stdout = std::io::stdout();
    for line in input.lines() {
        let line = line.map_err(|e| format!("cannot read input: {e}"))?;
        let reply = match parse_line(&line) {
            Ok(request) => ledger.execute(request),
            Err(error) => ledger.reject(error),
        }
        .map_err(|e| e.to_string())?;
        let mut out = stdout.lock();
        writeln!(out, "{}", render(&reply))
            .and_then(|_| out.flush())
            .map_err(|e| format!("cannot write output: {e}"))?;
    }
    ledger.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
