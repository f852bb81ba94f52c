//! Drives the built `ecs-ledger` binary the way a user or another program would.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ecs-ledger");

/// Output of one finished command.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `ecs-ledger --data DIR ARGS...` to completion, with `stdin` as input.
pub fn run(dir: &Path, args: &[&str], stdin: &str) -> Output {
    run_bytes(dir, args, stdin.as_bytes())
}

/// [`run`] with input that need not be UTF-8.
pub fn run_bytes(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec!["--data".to_owned(), dir.display().to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    run_with(&all, stdin)
}

/// Runs `ecs-ledger ARGS...` (the place included) to completion.
pub fn run_with(args: &[String], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ecs-ledger");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&text);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The JSON lines of a command's output.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// A running `exec`, driven one line at a time.
pub struct Exec {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Exec {
    pub fn spawn(dir: &Path, args: &[&str]) -> Self {
        Self::spawn_at(&["--data".to_owned(), dir.display().to_string()], args)
    }

    /// `ecs-ledger PLACE... exec ARGS...` (`place`: `--data DIR` or `--postgres URL`).
    pub fn spawn_at(place: &[String], args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(place)
            .arg("exec")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ecs-ledger exec");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Writes one line without waiting for its answer.
    pub fn write(&mut self, line: &str) -> bool {
        match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{line}")
                .and_then(|_| stdin.flush())
                .is_ok(),
            None => false,
        }
    }

    /// Reads one answer line.
    pub fn read(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => serde_json::from_str(&line).ok(),
        }
    }

    /// Sends one line and waits for its answer.
    pub fn send(&mut self, line: &str) -> Option<Value> {
        if !self.write(line) {
            return None;
        }
        self.read()
    }

    /// Closes stdin and waits for a clean exit.
    pub fn finish(mut self) -> i32 {
        self.stdin.take();
        self.child
            .wait()
            .map(|s| s.code().unwrap_or(-1))
            .unwrap_or(-1)
    }

    /// SIGKILL.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
