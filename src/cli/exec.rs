//! `exec`: read JSON lines, answer each with one JSON line.
//!
//! Lines that have already arrived are read ahead and run as one group
//! commit (one atomic write, one flush), in the caller's thread: a driver
//! that pipelines its input gets group commit, one that sends a line and
//! waits for its answer gets it at once (its line is alone in the buffer).
//! Answers are written only once the group is durable. How input happened
//! to be split into groups changes nothing in the log: each line is decided
//! in its turn against everything before it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use super::Place;
use ecs_ledger::api::exec::{parse_line_bytes, render};
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{Config, Parsed};

/// Input buffer: a pipelining driver's lines arrive in up to this much at once.
const INPUT_BUFFER: usize = 1 << 20;

pub fn run(place: &Place, file: Option<&Path>, config: Config) -> Result<ExitCode, String> {
    let storage = place.open_write(&config)?;
    let max_batch = config.max_batch;
    let mut ledger =
        Inline::open(storage, config).map_err(|e| format!("{} ({})", e, place.describe()))?;
    let source: Box<dyn Read> = match file {
        Some(path) => Box::new(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdin()),
    };
    let mut input = BufReader::with_capacity(INPUT_BUFFER, source);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    loop {
        let lines = read_ahead(&mut input, max_batch)?;
        if lines.is_empty() {
            break;
        }
        let requests: Vec<Parsed> = lines
            .iter()
            .map(|line| match parse_line_bytes(line) {
                Ok(request) => request.parse(),
                Err(error) => Parsed::rejected(error),
            })
            .collect();
        let replies = ledger
            .execute_parsed_batch(requests)
            .map_err(|e| e.to_string())?;
        let written = replies
            .iter()
            .try_for_each(|reply| writeln!(out, "{}", render(reply)))
            .and_then(|()| out.flush());
        match written {
            Ok(()) => {}
            // The reader went away: nobody is left to answer.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(format!("cannot write output: {e}")),
        }
    }
    ledger.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// One line (waiting for it), then every further complete line already in
/// the buffer, up to `max`. Empty at the end of the input.
fn read_ahead<R: Read>(input: &mut BufReader<R>, max: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read input: {e}"))?;
        if read == 0 {
            break;
        }
        lines.push(line);
        if lines.len() >= max.max(1) || !input.buffer().contains(&b'\n') {
            break;
        }
    }
    Ok(lines)
}
