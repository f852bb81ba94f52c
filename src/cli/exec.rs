//! `exec`: read JSON lines, answer each with one flushed JSON line.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use ecs_ledger::api::exec::{parse_line_bytes, render};
use ecs_ledger::ledger::{Config, Ledger};

pub fn run(data: &Path, file: Option<&Path>, config: Config) -> Result<ExitCode, String> {
    let ledger = Ledger::open(data, config).map_err(|e| format!("{} ({})", e, data.display()))?;
    let mut input: Box<dyn BufRead> = match file {
        Some(path) => Box::new(BufReader::new(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        )),
        None => Box::new(BufReader::new(std::io::stdin())),
    };
    let stdout = std::io::stdout();
    let mut line = Vec::new();
    loop {
        line.clear();
        // Bytes, not text: a line that is not UTF-8 gets its own error answer.
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read input: {e}"))?;
        if read == 0 {
            break;
        }
        let reply = match parse_line_bytes(&line) {
            Ok(request) => ledger.execute(request),
            Err(error) => ledger.reject(error),
        }
        .map_err(|e| e.to_string())?;
        let mut out = stdout.lock();
        match writeln!(out, "{}", render(&reply)).and_then(|_| out.flush()) {
            Ok(()) => {}
            // The reader went away: nobody is left to answer.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(format!("cannot write output: {e}")),
        }
    }
    ledger.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
