//! `serve`: the HTTP endpoint.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ecs_ledger::api::server::keys::AccessKeys;
use ecs_ledger::api::server::{ConnectionLimits, ServeConfig, serve};
use ecs_ledger::ledger::{Config, Ledger};

pub fn run(
    place: &super::Place,
    listen: SocketAddr,
    keys: Option<&Path>,
    limits: ConnectionLimits,
    config: Config,
    publish: &super::audit_checkpoint::PublishOpts,
) -> Result<ExitCode, String> {
    let access_keys = keys.map(AccessKeys::load).transpose()?;
    if access_keys.is_none() && !listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {listen} without --access-keys: an open server only listens on loopback"
        ));
    }
    let ledger = Arc::new(
        Ledger::with_storage(place.open_write(&config)?, config)
            .map_err(|e| format!("{e} ({})", place.describe()))?,
    );
    let publisher = super::audit_checkpoint::Publisher::start(&ledger, publish)?;
    let served = serve(
        ledger.clone(),
        ServeConfig {
            listen,
            access_keys,
            tick: Duration::from_secs(1),
            limits,
        },
        |addr| {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "listening on http://{addr}");
            let _ = out.flush();
        },
    );
    // Flush and stop the writer whatever happened to the server.
    let closed = ledger.close().map_err(|e| e.to_string());
    if let Some(publisher) = publisher {
        publisher.stop();
    }
    served?;
    closed?;
    Ok(ExitCode::SUCCESS)
}
