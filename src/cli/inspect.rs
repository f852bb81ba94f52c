//! `log`, `replay`, `verify`: read-only views of a ledger.

use std::io::Write;
use std::process::ExitCode;

use ecs_ledger::log::verify::{Broken, verify as verify_log};
use ecs_ledger::model::event::Recorded;
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::replay::{Until, replay as replay_log, state_json};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use ecs_ledger::projection::check;
use ecs_ledger::projection::report::ReleaseReport;

use ecs_ledger::log::{EventLog, Inspected};
use ecs_ledger::storage::any::AnyStorage;

use super::{OpenFailure, Place, inspect_log, open_log};

pub fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec}, {eta})")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// One event as a text line: seq, time, type, account, then its fields.
pub fn text_line(r: &Recorded) -> String {
    let mut line = format!(
        "{:>8}  {}  {:<24} {:<12}",
        r.seq,
        r.time,
        r.event.type_name(),
        r.account
    );
    if let Value::Object(fields) = r.event.fields_json() {
        for (k, v) in fields {
            match v {
                Value::Null => {}
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => line.push_str(&format!(" {k}={s}")),
                v => line.push_str(&format!(" {k}={v}")),
            }
        }
    }
    line
}

pub fn log(
    place: &Place,
    json: bool,
    from: u64,
    resource: Option<&str>,
) -> Result<ExitCode, String> {
    let log = open_log(place)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |r: &Recorded| -> Result<(), String> {
        let line = if json {
            r.to_json().to_string()
        } else {
            text_line(r)
        };
        if let Err(e) = writeln!(out, "{line}") {
            super::exit_on_write_error(&e);
        }
        Ok(())
    };
    let from = from.max(1);
    match resource {
        Some(id) => {
            for r in
                ecs_ledger::projection::history::history(&log, id).map_err(|e| e.to_string())?
            {
                if r.seq >= from {
                    emit(&r)?;
                }
            }
        }
        None => {
            for r in log.iter_from(from) {
                emit(&r.map_err(|e| e.to_string())?)?;
            }
        }
    }
    if let Err(e) = out.flush() {
        super::exit_on_write_error(&e);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn replay(
    place: &Place,
    until: Option<u64>,
    at: Option<&str>,
    json: bool,
) -> Result<ExitCode, String> {
    let log = open_log(place)?;
    let until = match (until, at) {
        (Some(seq), _) => Until::Seq(seq),
        (None, Some(t)) => {
            Until::Time(Timestamp::parse_rfc3339(t).map_err(|e| format!("--at: {e}"))?)
        }
        (None, None) => Until::End,
    };
    let bar = progress(log.head().seq, "replaying");
    let point = replay_log(&log, until, |seq| bar.set_position(seq)).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let mut state = state_json(&point.state);
    if json {
        if let Value::Object(map) = &mut state {
            map.insert("Seq".into(), Value::from(point.seq));
            map.insert(
                "Time".into(),
                point
                    .time
                    .map(|t| Value::from(t.to_string()))
                    .unwrap_or(Value::Null),
            );
        }
        out!("{state}");
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "state after seq {}{}",
        point.seq,
        point.time.map(|t| format!(" ({t})")).unwrap_or_default()
    );
    print_state(&point.state);
    Ok(ExitCode::SUCCESS)
}

/// The live records of a replayed state, one line each, sorted by id.
fn print_state(s: &ecs_ledger::model::state::State) {
    out!("\ninstances: {}", s.instances.len());
    for i in ecs_ledger::replay::sorted(&s.instances) {
        let locks: Vec<&str> = i.locks.keys().map(|l| l.as_str()).collect();
        out!(
            "  {}  {:<8} {:<8} {:<9} protection={} locks=[{}] disks={} routes={} load-balancers={}",
            i.id,
            i.account,
            i.status,
            i.charge_type,
            i.deletion_protection,
            locks.join(","),
            i.disks.len(),
            i.routes.len(),
            i.load_balancers.len()
        );
    }
    out!("\ndisks: {}", s.disks.len());
    for d in ecs_ledger::replay::sorted(&s.disks) {
        out!(
            "  {}  {:<8} {:<6} {:<9} {:>5} GiB instance={} delete-with-instance={} delete-auto-snapshot={}",
            d.id,
            d.account,
            d.disk_type,
            d.status,
            d.size,
            d.instance_id.as_ref().map(|i| i.as_str()).unwrap_or("-"),
            d.delete_with_instance,
            d.delete_auto_snapshot
        );
    }
    out!("\nsnapshots: {}", s.snapshots.len());
    for sn in ecs_ledger::replay::sorted(&s.snapshots) {
        out!(
            "  {}  {:<8} {:<4} source={}{}",
            sn.id,
            sn.account,
            sn.snapshot_type,
            sn.source_disk_id,
            if sn.retained { " (retained)" } else { "" }
        );
    }
}

/// `verify`: exit 0 intact, 1 damaged (naming the first bad Seq or what is
/// missing), 2 when nothing could be looked at (docs/BEHAVIOUR.md §6). Damage found
/// is recorded as the ledger's damage mark; a pass clears it.
pub fn verify(place: &Place, accept_loss: bool) -> Result<ExitCode, String> {
    let inspected = match inspect_log(place) {
        Ok(inspected) => inspected,
        Err(OpenFailure::CannotLook(message)) => {
            out!("CANNOT VERIFY: {message}");
            return Ok(ExitCode::from(2));
        }
        Err(OpenFailure::Damaged(message)) => {
            place.mark_damaged(&message);
            out!("BROKEN: {message}");
            return Ok(ExitCode::from(1));
        }
    };
    let Inspected {
        mut log,
        witness,
        damage_mark,
    } = inspected;
    let broken = |log: &EventLog<AnyStorage>, reason: String| {
        let _ = log.mark_damaged(&reason);
        out!("BROKEN: {reason}");
        Ok(ExitCode::from(1))
    };
    let bar = progress(log.head().seq, "verifying");
    let result = verify_log(&log, |seq| bar.set_position(seq));
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(Broken::Record { seq, reason }) => {
            return broken(&log, format!("record {seq}: {reason}"));
        }
        Err(Broken::Other(reason)) => return broken(&log, reason),
    };
    let mut notes = Vec::new();
    if let Err(e) = witness {
        if !accept_loss {
            return broken(&log, e.to_string());
        }
        log.reanchor_witness().map_err(|e| e.to_string())?;
        notes.push(format!(
            "accepted as it is (--accept-loss): {e}; the witness now names seq {}",
            report.head.seq
        ));
    }
    let derived = match check_derived(&log) {
        Ok(derived) => derived,
        Err(mismatch) => return broken(&log, mismatch),
    };
    if let Some(reason) = damage_mark {
        log.clear_damage_mark().map_err(|e| e.to_string())?;
        notes.push(format!(
            "the damage mark of an earlier verify ({reason}) is cleared"
        ));
    }
    out!(
        "ok: {} records, head seq {} hash {}; derived data agrees with the log: {}",
        report.records,
        report.head.seq,
        report.head.hash_hex(),
        derived.join(", ")
    );
    for note in notes {
        out!("note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The derived data (the state checkpoint, the release report) against a
/// fold of the log: what each holds, or the first disagreement.
fn check_derived(log: &EventLog<AnyStorage>) -> Result<Vec<String>, String> {
    let (seq, records) = check::check_state(log).map_err(|m| m.to_string())?;
    let (report_seq, keys) = check::check(log, &mut ReleaseReport).map_err(|m| m.to_string())?;
    Ok(vec![
        format!("state checkpoint ({records} records at seq {seq})"),
        format!("report ({keys} keys at seq {report_seq})"),
    ])
}
