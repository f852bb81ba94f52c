//! A tokio backend that embeds the ledger through its async handle.
//!
//! * one runtime thread keeps 100 requests in flight: the futures are
//!   answered by the ledger's writer thread, so nothing blocks the runtime
//!   (no `spawn_blocking`), and group commit writes them in a few batches;
//! * the clock is manual: the backend moves it past the 5 s creation, then
//!   releases every instance, each release a task of its own;
//! * the ledger is closed after the runtime, since closing waits for the
//!   final flush.
//!
//! ```sh
//! cargo run --example async_embed            # in a temporary directory
//! cargo run --example async_embed -- DIR     # in DIR (kept)
//! ```

use std::sync::Arc;

use ecs_ledger::ledger::{AsyncLedger, ClockMode, Config, Ledger, Request};

type Error = Box<dyn std::error::Error + Send + Sync>;

const INSTANCES: usize = 100;

fn main() -> Result<(), Error> {
    let scratch = tempfile::tempdir()?;
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| scratch.path().to_path_buf(), Into::into);
    let config = Config {
        clock: ClockMode::Manual,
        ..Config::default()
    };
    let ledger = Arc::new(Ledger::open(&dir, config)?);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let released = runtime.block_on(backend(AsyncLedger::new(ledger.clone())))?;
    let stats = ledger.stats();
    println!(
        "released {released} instances; {} requests in {} group commits, head seq {}",
        stats.requests,
        stats.batches,
        ledger.head().seq
    );
    ledger.close()?;
    if released != INSTANCES {
        return Err(format!("released {released} of {INSTANCES}").into());
    }
    Ok(())
}

/// Creates the instances, lets them start up, releases them all; returns
/// how many releases succeeded.
async fn backend(ledger: AsyncLedger) -> Result<usize, Error> {
    let creations: Vec<_> = (0..INSTANCES)
        .map(|_| {
            ledger.execute(Request::new(
                "CreateInstance",
                [("InstanceType", "ecs.g6.large"), ("DataDisk.1.Size", "40")],
            ))
        })
        .collect();
    let mut ids = Vec::new();
    for created in creations {
        let reply = created.await?;
        match reply.body()["InstanceId"].as_str() {
            Some(id) => ids.push(id.to_owned()),
            None => return Err(format!("CreateInstance failed: {}", reply.body()).into()),
        }
    }
    ledger
        .execute(Request::new("AdvanceClock", [("Seconds", "10")]))
        .await?;
    let releases: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let reply = ledger
                    .execute(Request::new(
                        "DeleteInstance",
                        [("InstanceId", id.as_str())],
                    ))
                    .await?;
                Ok::<_, Error>(reply.error().is_none())
            })
        })
        .collect();
    let mut released = 0;
    for release in releases {
        if release.await?? {
            released += 1;
        }
    }
    Ok(released)
}
