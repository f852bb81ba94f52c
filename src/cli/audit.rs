//! `history`, `report`, `rebuild`: the audit views built by projections.

use std::process::ExitCode;

use ecs_ledger::ledger::checkpoint;
use ecs_ledger::projection::history::history as history_of;
use ecs_ledger::projection::report::{self, ReleaseReport};
use ecs_ledger::projection::runner::Runner;
use ecs_ledger::storage::Storage;
use serde_json::{Value, json};

use super::inspect::{progress, text_line};
use super::{Place, open_log};

pub fn history(place: &Place, id: &str, json: bool) -> Result<ExitCode, String> {
    let log = open_log(place)?;
    let events = history_of(&log, id).map_err(|e| e.to_string())?;
    if events.is_empty() {
        eprintln!("no events for {id}");
        return Ok(ExitCode::from(1));
    }
    for r in &events {
        if json {
            out!("{}", r.to_json());
        } else {
            out!("{}  request={}", text_line(r), r.request_id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn report(place: &Place, json: bool) -> Result<ExitCode, String> {
    let log = open_log(place)?;
    let runner = Runner::new(log.storage().clone());
    let bar = progress(log.head().seq, "report");
    let seq = runner
        .catch_up(&mut ReleaseReport, |s| bar.set_position(s))
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let accounts = report::read(log.storage()).map_err(|e| e.to_string())?;
    if json {
        let list: Vec<Value> = accounts.iter().map(account_json).collect();
        out!("{}", json!({"Seq": seq, "Accounts": list}));
        return Ok(ExitCode::SUCCESS);
    }
    out!("release report as of seq {seq}");
    for a in &accounts {
        print_account(a);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rebuild(place: &Place, name: &str) -> Result<ExitCode, String> {
    match name {
        "state" | "inventory" => {
            // Derived data only: it is rebuilt by folding the whole log (a
            // ledger marked damaged for a bad checkpoint is repaired this way).
            let log = open_log(place)?;
            let bar = progress(log.head().seq, "rebuilding the state");
            let point = ecs_ledger::replay::replay(&log, ecs_ledger::replay::Until::End, |s| {
                bar.set_position(s)
            })
            .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            let world = ecs_ledger::core::world::World::from_state(point.state);
            let previous = checkpoint::manifest(log.storage()).map_err(|e| e.to_string())?;
            checkpoint::write(log.storage(), &world, log.head(), previous)
                .and_then(|_| Ok(log.storage().flush()?))
                .map_err(|e| e.to_string())?;
            out!(
                "rebuilt the state checkpoint from the whole log, up to seq {}",
                log.head().seq
            );
        }
        "report" => {
            let log = open_log(place)?;
            let runner = Runner::new(log.storage().clone());
            let bar = progress(log.head().seq, "rebuilding report");
            let seq = runner
                .rebuild(&mut ReleaseReport, |s| bar.set_position(s))
                .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            out!("rebuilt report up to seq {seq}");
        }
        other => return Err(format!("unknown projection {other:?}: state or report")),
    }
    Ok(ExitCode::SUCCESS)
}

/// One account's release report as JSON.
fn account_json(a: &report::AccountReport) -> Value {
    json!({
        "Account": a.account,
        "InstancesReleased": a.counters.instances_released,
        "ReleasedAfterOrderlyStop": a.counters.released_after_stop,
        "ReleasedAtAutoReleaseTime": a.counters.released_at_auto_release_time,
        "ReleasedAtSubscriptionEnd": a.counters.released_at_subscription_end,
        "DisksReleased": a.counters.disks_released,
        "DisksDetachedKept": a.counters.disks_kept,
        "DisksDeleted": a.counters.disks_deleted,
        "SnapshotsReleased": a.counters.snapshots_released,
        "SnapshotsRetained": a.counters.snapshots_retained,
        "RetainedSnapshots": a.retained.iter().map(|r| json!({
            "SnapshotId": r.snapshot_id, "SourceDiskId": r.source_disk_id,
            "SnapshotType": r.snapshot_type, "Since": r.since.to_string(),
        })).collect::<Vec<_>>(),
        "KeptDisks": a.kept.iter().map(|k| json!({
            "DiskId": k.disk_id, "FormerInstanceId": k.former_instance_id,
            "Size": k.size, "Since": k.since.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// One account's release report as text.
fn print_account(a: &report::AccountReport) {
    let c = &a.counters;
    out!("\naccount {}", a.account);
    out!("  instances released        {}", c.instances_released);
    out!("    after an orderly stop   {}", c.released_after_stop);
    out!(
        "    at auto-release time    {}",
        c.released_at_auto_release_time
    );
    out!(
        "    at subscription end     {}",
        c.released_at_subscription_end
    );
    out!("  disks released            {}", c.disks_released);
    out!("  disks detached and kept   {}", c.disks_kept);
    out!("  disks deleted (DeleteDisk) {}", c.disks_deleted);
    out!("  snapshots released        {}", c.snapshots_released);
    out!("  snapshots retained        {}", c.snapshots_retained);
    if !a.retained.is_empty() || !a.kept.is_empty() {
        out!("  still costing money:");
    }
    for r in &a.retained {
        out!(
            "    snapshot {} ({}) of released disk {}, retained {}",
            r.snapshot_id,
            r.snapshot_type,
            r.source_disk_id,
            r.since
        );
    }
    for k in &a.kept {
        out!(
            "    disk {} ({} GiB) kept from released instance {}, since {}",
            k.disk_id,
            k.size,
            k.former_instance_id,
            k.since
        );
    }
}
