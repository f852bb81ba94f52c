//! Argument parsing (clap) and the subcommands.

/// Prints one line to stdout like `println!`, but a reader that went away
/// (`ecs-ledger log | head -1`) ends the program quietly with status 0
/// instead of a panic, and any other write error ends it with status 2.
macro_rules! out {
    () => {
        $crate::cli::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod audit;
mod audit_checkpoint;
mod audit_cli;
mod audit_keys;
mod audit_proof;
mod audit_verify;
mod bench;
mod bench_pg;
mod exec;
mod generate;
mod inspect;
mod serve;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecs_ledger::ledger::{ClockMode, Config, Durability};
use ecs_ledger::log::{EventLog, Inspected};
use ecs_ledger::model::ctx::Durations;
use ecs_ledger::storage::StorageError;
use ecs_ledger::storage::any::AnyStorage;
use ecs_ledger::storage::postgres::PgStorage;
use ecs_ledger::storage::sled_store::SledStorage;

/// An event-sourced emulator of the Alibaba Cloud ECS instance-release control plane.
#[derive(Debug, Parser)]
#[command(name = "ecs-ledger", version, about, long_about = None)]
pub struct Cli {
    /// The ledger's data directory.
    #[arg(
        long,
        global = true,
        env = "ECS_LEDGER_DATA",
        default_value = "./ecs-ledger-data"
    )]
    pub data: PathBuf,
    /// Keep the ledger in this PostgreSQL database instead of --data
    /// (`postgresql://user@host/db` or `host=/socket/dir dbname=db`): several
    /// processes may serve one ledger at once. The tables are created on first use.
    #[arg(
        long,
        global = true,
        env = "ECS_LEDGER_POSTGRES",
        value_name = "URL",
        conflicts_with = "data",
        hide_env_values = true
    )]
    pub postgres: Option<String>,
    /// sled page cache in MiB (at least 1).
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub cache_mb: u64,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that configure a ledger that writes.
#[derive(Debug, clap::Args)]
pub struct WriteOpts {
    /// Make generated ids (resources, RequestIds, events) a function of this seed and the log position.
    #[arg(long)]
    pub seed: Option<u64>,
    /// When a command is durable before it is answered: flush (survives kill -9),
    /// sync (also fdatasync: survives power loss), none (bulk loads).
    #[arg(long, default_value = "flush")]
    pub durability: Durability,
    /// Clock source for requests without `At`: system, or manual (moved only by At and AdvanceClock).
    #[arg(long, default_value = "system")]
    pub clock: ClockMode,
    /// Transition durations in seconds: creation,start,stop.
    #[arg(long, default_value = "5,3,3", value_parser = parse_durations)]
    pub durations: Durations,
}

fn parse_durations(s: &str) -> Result<Durations, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [c, st, sp] = parts.as_slice() else {
        return Err("expected three numbers: creation,start,stop".into());
    };
    let max = ecs_ledger::model::limits::DURATION_MAX_SECS;
    let n = |v: &str| match v.trim().parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        Ok(_) => Err(format!("{v:?}: at most {max} seconds")),
        Err(e) => Err(format!("{v:?}: {e}")),
    };
    Ok(Durations {
        create_secs: n(c)?,
        start_secs: n(st)?,
        stop_secs: n(sp)?,
    })
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Execute requests: one JSON object per line (stdin or FILE), one JSON line out per line.
    Exec {
        /// Read requests from this file instead of stdin.
        file: Option<PathBuf>,
        #[command(flatten)]
        opts: WriteOpts,
    },
    /// Print the audit trail, whole or for one resource.
    Log {
        /// One JSON object per event (docs/BEHAVIOUR.md §5).
        #[arg(long)]
        json: bool,
        /// Start at this seq.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Only the events of this resource (instance, disk, snapshot, route table, load balancer).
        #[arg(long)]
        resource: Option<String>,
    },
    /// Print the state as it was at a point of the log.
    Replay {
        /// Up to and including this seq.
        #[arg(long, conflicts_with = "at")]
        until: Option<u64>,
        /// Every event at or before this time (RFC 3339).
        #[arg(long)]
        at: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the whole ledger: checksums, the hash chain, the head and its
    /// witness, the tag index, the projections. Exit 0 intact, 1 damaged
    /// (naming the first bad Seq or what is missing; the ledger is then not
    /// written to until a verify passes), 2 when nothing could be checked.
    Verify {
        /// Accept a log shorter than its witness (or rewritten under it) as
        /// it now is: re-anchor the witness at the present head. Only when
        /// every record there verifies.
        #[arg(long)]
        accept_loss: bool,
        /// Instead: check that the log holds the tree this signed checkpoint
        /// names (exit 1 when it was cut back or rewritten since).
        #[arg(
            long,
            value_name = "FILE",
            requires = "public_key",
            conflicts_with = "accept_loss"
        )]
        checkpoint: Option<PathBuf>,
        /// The public key that signed --checkpoint.
        #[arg(long, value_name = "PUB", requires = "checkpoint")]
        public_key: Option<PathBuf>,
    },
    /// Every event of one resource (instance, disk, snapshot, route table, load balancer).
    History {
        /// The resource id.
        id: String,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
    /// The release report: per account, what releases released and kept, and what still costs money.
    Report {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the ECS API over HTTP for the official SDKs (stops on SIGINT/SIGTERM).
    Serve(ServeArgs),
    /// Deterministic simulation against an independent oracle, with faults on
    /// purpose; prints a summary, or the failure and how to reproduce it.
    Simulate(simulate::Args),
    /// Measure the ledger against raw sled on this machine: each figure beside its baseline.
    /// With --postgres URL: the PostgreSQL figures instead (four processes against one,
    /// against sled sync, 2,000 against 20,000 instances), on scratch databases made through URL.
    Bench(BenchArgs),
    /// Rebuild derived data from the whole log: `state` (the live records'
    /// checkpoint; `inventory` is a synonym) or `report`.
    Rebuild {
        /// What to rebuild: state or report.
        name: String,
    },
    #[command(flatten)]
    Audit(audit_cli::AuditCommand),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): the program's, or one subcommand's (ecs-ledger-SUBCOMMAND(1)).
    Manpage {
        /// The subcommand whose page to print.
        subcommand: Option<String>,
    },
}

impl WriteOpts {
    fn config(&self, cache_mb: u64) -> Config {
        Config {
            durability: self.durability,
            seed: self.seed,
            durations: self.durations,
            clock: self.clock,
            sled_cache_bytes: cache_mb.saturating_mul(1024 * 1024),
            ..Config::default()
        }
    }
}

/// Why a ledger could not be opened for reading.
#[derive(Debug)]
pub enum OpenFailure {
    /// Nothing could be looked at: no ledger there, held by a running
    /// process, or written by a newer version.
    CannotLook(String),
    /// The ledger is there and damaged.
    Damaged(String),
}

impl std::fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenFailure::CannotLook(m) | OpenFailure::Damaged(m) => f.write_str(m),
        }
    }
}

impl From<OpenFailure> for String {
    fn from(e: OpenFailure) -> String {
        e.to_string()
    }
}

/// Where the ledger is: a sled directory (`--data`) or a PostgreSQL
/// database (`--postgres`).
#[derive(Debug, Clone)]
pub enum Place {
    /// A sled directory, with its page cache in MiB.
    Sled {
        /// The directory.
        dir: PathBuf,
        /// sled's page cache, MiB.
        cache_mb: u64,
    },
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Place {
    /// The place the command line names.
    pub fn of(cli: &Cli) -> Self {
        match &cli.postgres {
            Some(url) => Place::Postgres(url.clone()),
            None => Place::Sled {
                dir: cli.data.clone(),
                cache_mb: cli.cache_mb,
            },
        }
    }

    /// How messages name it (never a password).
    pub fn describe(&self) -> String {
        match self {
            Place::Sled { dir, .. } => dir.display().to_string(),
            Place::Postgres(url) => {
                format!(
                    "PostgreSQL {}",
                    ecs_ledger::storage::postgres::describe_url(url)
                )
            }
        }
    }

    /// Opens (or creates) the storage to write a ledger in.
    pub fn open_write(&self, config: &Config) -> Result<AnyStorage, String> {
        config.validate().map_err(|e| e.to_string())?;
        match self {
            Place::Sled { dir, .. } => SledStorage::open(dir, config.sled_cache_bytes)
                .map(AnyStorage::from)
                .map_err(|e| format!("cannot open the ledger: {e} ({})", dir.display())),
            Place::Postgres(url) => PgStorage::connect(url)
                .map(AnyStorage::from)
                .map_err(|e| format!("cannot open the ledger: {e}")),
        }
    }

    /// Records `reason` as the damage mark of a ledger too damaged to open
    /// (best effort: `verify` reports the damage whatever happens here).
    pub fn mark_damaged(&self, reason: &str) {
        use ecs_ledger::log::witness;
        use ecs_ledger::storage::Storage;
        let mark = witness::damage_mark(reason);
        match self {
            Place::Sled { dir, .. } => {
                let _ = SledStorage::witness_write_at(dir, witness::MARK_OFFSET, &mark);
            }
            Place::Postgres(url) => {
                if let Ok(storage) = PgStorage::connect_existing(url) {
                    let _ = storage.witness_write(witness::MARK_OFFSET, &mark, true);
                }
            }
        }
    }
}

/// Opens an existing ledger's log to look at it, saying on stderr what its
/// witness or an earlier `verify` found wrong (reading goes on: what is there
/// is worth seeing).
pub fn open_log(place: &Place) -> Result<EventLog<AnyStorage>, OpenFailure> {
    let inspected = inspect_log(place)?;
    if let Err(e) = &inspected.witness {
        eprintln!("ecs-ledger: warning: {e}");
    }
    if let Some(reason) = &inspected.damage_mark {
        eprintln!("ecs-ledger: warning: `verify` marked this ledger damaged: {reason}");
    }
    Ok(inspected.log)
}

/// Opens an existing ledger's log to look at it ([`EventLog::inspect`]).
pub fn inspect_log(place: &Place) -> Result<Inspected<AnyStorage>, OpenFailure> {
    use ecs_ledger::log::LogError;
    let storage = match place {
        Place::Sled { dir, cache_mb } => {
            if !dir.join("db").exists() && !dir.join("conf").exists() {
                return Err(OpenFailure::CannotLook(format!(
                    "no ledger at {} (run exec first, or pass --data)",
                    dir.display()
                )));
            }
            match SledStorage::open(dir, cache_mb.saturating_mul(1024 * 1024)) {
                Ok(s) => AnyStorage::from(s),
                Err(e @ StorageError::Locked { .. }) => {
                    return Err(OpenFailure::CannotLook(e.to_string()));
                }
                Err(e @ StorageError::Damaged { .. }) => {
                    return Err(OpenFailure::Damaged(e.to_string()));
                }
                Err(e) => {
                    return Err(OpenFailure::Damaged(format!(
                        "cannot open {}: {e}",
                        dir.display()
                    )));
                }
            }
        }
        Place::Postgres(url) => match PgStorage::connect_existing(url) {
            Ok(s) => AnyStorage::from(s),
            Err(e) => return Err(OpenFailure::CannotLook(e.to_string())),
        },
    };
    let name = place.describe();
    EventLog::inspect(storage).map_err(|e| match e {
        LogError::Format { .. }
        | LogError::Storage(StorageError::Io(_) | StorageError::Database(_)) => {
            OpenFailure::CannotLook(format!("cannot open {name}: {e}"))
        }
        e @ LogError::Storage(StorageError::Damaged { .. }) => OpenFailure::Damaged(e.to_string()),
        e => OpenFailure::Damaged(format!("{name}: {e}")),
    })
}

/// What [`out!`] does: one line to stdout.
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    if let Err(e) = lock.write_fmt(args).and_then(|_| lock.write_all(b"\n")) {
        exit_on_write_error(&e);
    }
}

/// Ends the program after a failed write to stdout: quietly (status 0) when
/// the reader closed the pipe, with a message (status 2) otherwise.
pub fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("ecs-ledger: cannot write output: {e}");
    std::process::exit(2);
}

/// Replaces Rust's panic message. sled 0.34 panics on some damaged files;
/// the storage layer contains those panics and reports the damage itself, so
/// they print nothing here. Any other panic is a bug in this program: it is
/// named in one line, with where it happened.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location();
        let thread = std::thread::current();
        if thread
            .name()
            .is_some_and(ecs_ledger::storage::sled_store::is_sled_thread)
        {
            // Not contained by the storage boundary: make every later sled
            // call fail clearly rather than wait on a dead thread pool.
            ecs_ledger::storage::sled_store::record_background_panic();
            return;
        }
        if location.is_some_and(|l| l.file().contains("sled")) {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = location
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("ecs-ledger: internal error (a bug, please report it): {message}{at}");
    }));
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A simulation stops ledgers on purpose: their error logs are expected.
    init_tracing(if matches!(cli.command, Command::Simulate(_)) {
        "off"
    } else {
        "warn"
    });
    let place = Place::of(&cli);
    let result = match &cli.command {
        Command::Exec { file, opts } => {
            exec::run(&place, file.as_deref(), opts.config(cli.cache_mb))
        }
        Command::Log {
            json,
            from,
            resource,
        } => inspect::log(&place, *json, *from, resource.as_deref()),
        Command::Replay { until, at, json } => {
            inspect::replay(&place, *until, at.as_deref(), *json)
        }
        Command::Verify {
            checkpoint: Some(checkpoint),
            public_key: Some(public_key),
            ..
        } => audit_verify::run(&place, checkpoint, public_key),
        Command::Verify { accept_loss, .. } => inspect::verify(&place, *accept_loss),
        Command::Audit(command) => audit_cli::run(command, &place),
        Command::History { id, json } => audit::history(&place, id, *json),
        Command::Report { json } => audit::report(&place, *json),
        Command::Rebuild { name } => audit::rebuild(&place, name),
        Command::Completions { shell } => generate::completions(*shell),
        Command::Manpage { subcommand } => generate::manpage(subcommand.as_deref()),
        Command::Simulate(args) => simulate::run_cli(args.clone()),
        Command::Bench(args) => bench_command(args, &place, cli.cache_mb),
        Command::Serve(args) => serve_command(args, &place, cli.cache_mb),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("ecs-ledger: {message}");
            ExitCode::from(2)
        }
    }
}

/// `bench`'s flags.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Short versions (about a minute).
    #[arg(long)]
    pub quick: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Where to put the scratch ledgers (default: the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Internal: replay the log in DIR (sled cache: --cache-mb) and print the peak RSS (KiB).
    #[arg(long, hide = true)]
    pub rss_of_replay: Option<PathBuf>,
    /// Internal: one process of the PostgreSQL multi-process figure.
    #[arg(long, hide = true)]
    pub pg_worker: Option<PathBuf>,
}

/// `serve`'s flags.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// JSON list of {"AccessKeyId","AccessKeySecret","Account","Admin"}; without it the
    /// server runs open (account `default`, loopback only).
    #[arg(long)]
    pub access_keys: Option<PathBuf>,
    /// Close a connection whose request headers (or next request, when
    /// idle) do not arrive within this many seconds; a body gets as long again.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_connections: u64,
    #[command(flatten)]
    pub opts: WriteOpts,
    #[command(flatten)]
    pub publish: audit_checkpoint::PublishOpts,
}

/// `bench`: sled's figures, PostgreSQL's with `--postgres`, or one worker
/// process of PostgreSQL's multi-process figure.
fn bench_command(args: &BenchArgs, place: &Place, cache_mb: u64) -> Result<ExitCode, String> {
    let BenchArgs {
        quick,
        json,
        dir,
        rss_of_replay,
        pg_worker,
    } = args;
    match (place, pg_worker) {
        (Place::Postgres(url), Some(file)) => bench_pg::worker(url, file),
        (Place::Postgres(url), None) => bench_pg::run(url, *quick, *json, dir.as_deref())
            .and_then(|(figures, secs)| bench::report(&figures, *json, *quick, secs)),
        (Place::Sled { .. }, _) => bench::run(
            *quick,
            *json,
            dir.as_deref(),
            rss_of_replay.as_deref(),
            cache_mb,
        ),
    }
}

/// `serve`: the connection limits and the ledger's configuration from the flags.
fn serve_command(args: &ServeArgs, place: &Place, cache_mb: u64) -> Result<ExitCode, String> {
    serve::run(
        place,
        args.listen,
        args.access_keys.as_deref(),
        ecs_ledger::api::server::ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(args.idle_timeout_secs),
            body_timeout: std::time::Duration::from_secs(args.idle_timeout_secs),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        },
        args.opts.config(cache_mb),
        &args.publish,
    )
}
