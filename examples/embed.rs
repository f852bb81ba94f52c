//! A small control-plane backend that embeds the ledger.
//!
//! * four worker threads submit commands concurrently (group commit batches them);
//! * a notifier of released disks (think: a webhook to the billing system) runs
//!   as a `Subscriber` from its checkpoint: at-least-once delivery, and it drops
//!   redeliveries by `Seq`, so billing sees each release exactly once;
//! * run it twice with the same directory: the second run notifies only the
//!   disks released since the first.
//!
//! ```sh
//! cargo run --example embed -- /tmp/embed-demo
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ecs_ledger::ledger::{Config, Ledger, Request};
use ecs_ledger::model::ctx::Durations;
use ecs_ledger::model::event::{Event, Recorded};
use ecs_ledger::projection::Subscriber;
use ecs_ledger::projection::runner::Runner;

/// Posts one JSON payload per released disk. `last_seq` is what the receiving
/// side remembers: anything at or below it is a redelivery and is dropped.
struct ReleasedDiskNotifier {
    last_seq: u64,
    posted: Vec<String>,
}

impl Subscriber for ReleasedDiskNotifier {
    fn name(&self) -> &str {
        "released-disk-notifier"
    }

    fn handle(&mut self, event: &Recorded) -> Result<(), String> {
        if event.seq <= self.last_seq {
            return Ok(()); // delivered before a crash: already posted
        }
        if let Event::DiskReleased(e) = &event.event {
            // A real backend would POST this to a webhook and fail (return Err)
            // on a non-2xx answer; the event would then be delivered again.
            let payload = serde_json::json!({
                "seq": event.seq,
                "account": event.account.as_str(),
                "disk": e.disk_id.as_str(),
                "reason": e.reason.as_str(),
                "time": event.time.to_string(),
            });
            self.posted.push(payload.to_string());
        }
        self.last_seq = event.seq;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ecs-ledger-embed-demo"));
    let config = Config {
        // Instant transitions, so the demo needs no waiting.
        durations: Durations::INSTANT,
        ..Config::default()
    };
    let ledger = Arc::new(Ledger::open(&dir, config)?);

    // The notifier follows the ledger live from its checkpoint.
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let ledger = ledger.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let runner = Runner::new(ledger.storage().clone());
            let mut notifier = ReleasedDiskNotifier {
                last_seq: 0,
                posted: Vec::new(),
            };
            let result = runner.follow_subscriber(&ledger, &mut notifier, 10, &stop);
            (result, notifier.posted)
        })
    };

    // Four workers create instances with two data disks and release them.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let ledger = ledger.clone();
            std::thread::spawn(move || -> Result<usize, String> {
                let mut released = 0;
                for _ in 0..5 {
                    let created = ledger
                        .execute(Request::new(
                            "CreateInstance",
                            [
                                ("InstanceName", format!("worker-{w}")),
                                ("DataDisk.1.Size", "40".to_owned()),
                                ("DataDisk.2.Size", "80".to_owned()),
                                ("DataDisk.2.DeleteWithInstance", "false".to_owned()),
                            ],
                        ))
                        .map_err(|e| e.to_string())?;
                    let id = created.body()["InstanceId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let reply = ledger
                        .execute(Request::new(
                            "DeleteInstance",
                            [("InstanceId", id.as_str())],
                        ))
                        .map_err(|e| e.to_string())?;
                    match reply.error() {
                        None => released += 1,
                        Some(e) => return Err(format!("{id}: {e}")),
                    }
                }
                Ok(released)
            })
        })
        .collect();
    let mut released = 0;
    for worker in workers {
        released += worker.join().map_err(|_| "a worker panicked")??;
    }

    // Let the notifier catch up with everything committed, then stop it.
    let head = ledger.head().seq;
    let runner = Runner::new(ledger.storage().clone());
    while runner.checkpoint("released-disk-notifier")?.seq < head {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let (result, posted) = follower.join().map_err(|_| "the notifier panicked")?;
    result?;
    for payload in &posted {
        println!("POST /hooks/disk-released {payload}");
    }
    println!(
        "{released} instances released by 4 workers; {} released disks notified; log head {head} in {}",
        posted.len(),
        dir.display()
    );
    ledger.close()?;
    Ok(())
}
