//! PostgreSQL as the ledger's storage: one table of keys and values that
//! several processes append to at once (the `postgres` feature).
//!
//! The keyspace is the one sled holds (docs/FORMAT.md): chunks, metadata,
//! state checkpoint, ClientToken records, nonces, projections, Merkle block
//! roots, each a row of
//!
//! ```sql
//! CREATE TABLE ecs_ledger_kv (key bytea PRIMARY KEY, value bytea NOT NULL);
//! ```
//!
//! beside `ecs_ledger_schema` (the schema version, created and migrated by
//! the program under an advisory lock) and `ecs_ledger_witness` (the head
//! witness's bytes and the damage mark `verify` sets, in a row of their own).
//!
//! * [`Storage::apply`] is one SQL statement (its own transaction), or part
//!   of the append transaction the calling thread opened with
//!   [`Storage::begin_append`]. Chunk keys are inserted without `ON
//!   CONFLICT`: two writers appending at the same seq can never both commit
//!   (the second gets [`StorageError::Conflict`]).
//! * [`Storage::begin_append`] opens a transaction on a connection of its own
//!   and takes `pg_advisory_xact_lock`: appends are serialised across
//!   processes from the start of a batch to its commit. The writer catches
//!   up with the log under the lock before it decides anything.
//! * [`Storage::range`] reads a page of keys at a time (`WHERE key >= $1 AND
//!   key < $2 ORDER BY key LIMIT n`): an iterator holds no connection or
//!   transaction between pages. Reads see what was committed.
//! * An append commits with `synchronous_commit` off, so the append lock is
//!   released as soon as the batch is visible, before its WAL is flushed;
//!   [`Storage::flush`] and [`Storage::sync`] then wait for the flush (a small
//!   write committed synchronously: the WAL is flushed up to it, and so past
//!   every commit before it). The writer answers only after that, as on
//!   sled. Several processes' flushes are one WAL flush when they wait at
//!   the same time (PostgreSQL's group commit), while the next batch holds
//!   the lock. A record another process reads before its WAL is flushed
//!   comes before anything that process writes in the WAL, so nothing it
//!   answers can outlive what it read (and a batch that read other
//!   processes' records waits for the flush too before answering).
//! * The head witness is written after each commit with `synchronous_commit`
//!   off (`durable` on: on), so it never costs a second WAL flush. It can only
//!   see rows cut away by hand beneath the ledger (a restored backup brings
//!   its witness back with it); a damaged or hand-edited row is found by the
//!   checksums and the hash chain, as on sled.
//!
//! Connections: a few idle ones are kept for reads and single writes; an
//! append holds one for its transaction. No TLS: connect over a Unix socket,
//! the loopback, or a TLS-terminating proxy.
//!
//! ```no_run
//! use ecs_ledger::ledger::{Config, Ledger, Request};
//! use ecs_ledger::storage::postgres::PgStorage;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let storage = PgStorage::connect("postgresql://ledger@localhost/ledger")?;
//! let ledger = Ledger::with_storage(storage, Config::default())?;
//! let reply = ledger.execute(Request::new("CreateDisk", [("Size", "20")]))?;
//! assert_eq!(reply.status(), 200);
//! ledger.close()?;
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement};

use super::{Batch, Entries, Entry, Storage, StorageError};

/// The schema version this build creates and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The table of keys and values.
pub const KV_TABLE: &str = "ecs_ledger_kv";

/// Advisory lock class of the ledger's own locks ("ECLG").
const LOCK_CLASS: i32 = 0x4543_4c47;
/// The append lock: held from the start of a batch to its commit.
const APPEND_LOCK: i32 = 1;
/// Held while the schema is created or migrated.
const SCHEMA_LOCK: i32 = 2;
/// Advisory lock class of named exclusive sections ("ECLP").
const NAMED_CLASS: i32 = 0x4543_4c50;

/// Idle connections kept for reuse.
const IDLE_MAX: usize = 8;
/// Rows of the first page of a range; later pages grow while pages are small.
const PAGE_FIRST: i64 = 64;
/// Most rows per page.
const PAGE_MAX: i64 = 4096;
/// Pages stop growing past this many bytes.
const PAGE_BYTES: usize = 1 << 20;

/// Each migration brings the schema from its index + 1 to index + 2.
const MIGRATIONS: &[&str] = &[];

const CREATE: &str = "
CREATE TABLE ecs_ledger_kv (key bytea PRIMARY KEY, value bytea NOT NULL);
ALTER TABLE ecs_ledger_kv ALTER COLUMN value SET STORAGE EXTERNAL;
CREATE TABLE ecs_ledger_witness (id integer PRIMARY KEY, bytes bytea NOT NULL);
CREATE TABLE ecs_ledger_flush (backend integer PRIMARY KEY, n bigint NOT NULL);
CREATE TABLE ecs_ledger_schema (version integer NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO ecs_ledger_schema (version) VALUES (1);
";

const GET: &str = "SELECT value FROM ecs_ledger_kv WHERE key = $1";
const GET_MANY: &str = "SELECT key, value FROM ecs_ledger_kv WHERE key = ANY($1::bytea[])";
const RANGE: &str =
    "SELECT key, value FROM ecs_ledger_kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3";
const RANGE_OPEN: &str =
    "SELECT key, value FROM ecs_ledger_kv WHERE key >= $1 ORDER BY key LIMIT $2";
const LAST_IN: &str =
    "SELECT key, value FROM ecs_ledger_kv WHERE key >= $1 AND key < $2 ORDER BY key DESC LIMIT 1";
/// One batch as one statement: removals, inserts of the keys the batch
/// creates (no `ON CONFLICT`: a chunk is never overwritten, and a second
/// writer at the same Seq fails), then every other put.
const APPLY: &str = "
WITH gone AS (DELETE FROM ecs_ledger_kv WHERE key = ANY($1::bytea[])),
     appended AS (INSERT INTO ecs_ledger_kv (key, value)
                  SELECT k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v))
INSERT INTO ecs_ledger_kv (key, value) SELECT k, v FROM unnest($4::bytea[], $5::bytea[]) AS t(k, v)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";
const WITNESS_READ: &str = "SELECT bytes FROM ecs_ledger_witness WHERE id = 1";
/// A write committed synchronously: when it returns, the WAL is flushed past
/// it, so past every transaction this process committed before it.
const BARRIER: &str = "INSERT INTO ecs_ledger_flush (backend, n) VALUES (pg_backend_pid(), 1)
ON CONFLICT (backend) DO UPDATE SET n = ecs_ledger_flush.n + 1";

/// A connection with its prepared statements.
struct Conn {
    client: Client,
    get: Statement,
    get_many: Statement,
    range: Statement,
    range_open: Statement,
    last_in: Statement,
    apply: Statement,
    witness_read: Statement,
    barrier: Statement,
}

impl Conn {
    fn prepare(mut client: Client) -> Result<Self, postgres::Error> {
        Ok(Self {
            get: client.prepare(GET)?,
            get_many: client.prepare(GET_MANY)?,
            range: client.prepare(RANGE)?,
            range_open: client.prepare(RANGE_OPEN)?,
            last_in: client.prepare(LAST_IN)?,
            apply: client.prepare(APPLY)?,
            witness_read: client.prepare(WITNESS_READ)?,
            barrier: client.prepare(BARRIER)?,
            client,
        })
    }
}

struct Inner {
    config: postgres::Config,
    /// Where it connects, for messages (no password).
    target: String,
    idle: Mutex<Vec<Conn>>,
    /// The open append: the thread that opened it and its connection.
    append: Mutex<Option<(ThreadId, Conn)>>,
}

/// A ledger's storage in a PostgreSQL database. Cloning shares the
/// connections.
#[derive(Clone)]
pub struct PgStorage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStorage")
            .field("target", &self.inner.target)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A postgres error as a storage error: a unique violation is a conflict.
fn db_error(e: postgres::Error) -> StorageError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StorageError::Conflict(e.as_db_error().map_or_else(
            || e.to_string(),
            |d| format!("{} ({})", d.message(), d.detail().unwrap_or_default()),
        ));
    }
    match e.as_db_error() {
        Some(d) => StorageError::Database(format!("PostgreSQL: {}", d.message())),
        None => StorageError::Database(format!("PostgreSQL: {e}")),
    }
}

/// Where a config connects: hosts (or socket directories), port, database, user.
fn describe(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}:{port} database {} user {}",
        if hosts.is_empty() {
            "localhost".to_owned()
        } else {
            hosts.join(",")
        },
        config.get_dbname().unwrap_or("(default)"),
        config.get_user().unwrap_or("(default)")
    )
}

/// Where `url` connects, for messages: hosts, port, database and user,
/// never a password.
///
/// ```
/// use ecs_ledger::storage::postgres::describe_url;
/// let s = describe_url("postgresql://ledger:secret@db.example:5433/ecs");
/// assert_eq!(s, "at db.example:5433 database ecs user ledger");
/// assert!(!s.contains("secret"));
/// ```
pub fn describe_url(url: &str) -> String {
    match postgres::Config::from_str(url) {
        Ok(config) => format!("at {}", describe(&config)),
        Err(_) => "(a malformed connection URL)".to_owned(),
    }
}

/// `url` with its database replaced by `database` (a URL's path, or a
/// `dbname=` added to a `key=value` string, where the last one counts).
///
/// ```
/// use ecs_ledger::storage::postgres::with_database;
/// assert_eq!(
///     with_database("postgresql://u@h:5432/postgres?sslmode=disable", "db2"),
///     "postgresql://u@h:5432/db2?sslmode=disable"
/// );
/// assert_eq!(with_database("host=/tmp user=u", "db2"), "host=/tmp user=u dbname=db2");
/// ```
pub fn with_database(url: &str, database: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        format!("{}/{database}{query}", &base[..host_end])
    } else {
        format!("{url} dbname={database}")
    }
}

/// An empty database made through an administrator's connection, and
/// dropped (its connections closed) with this value: a ledger of its own for
/// a test or a benchmark. A database of the same name left by an earlier run
/// is dropped first.
///
/// ```no_run
/// use ecs_ledger::storage::postgres::{PgStorage, ScratchDatabase};
/// let db = ScratchDatabase::create("host=/run/postgresql dbname=postgres", "ledger_test_1")?;
/// let storage = PgStorage::connect(db.url())?;
/// # Ok::<(), ecs_ledger::storage::StorageError>(())
/// ```
#[derive(Debug)]
pub struct ScratchDatabase {
    admin: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates database `name` (ASCII letters, digits and `_`, not starting
    /// with a digit) on the server `admin` connects to.
    pub fn create(admin: &str, name: &str) -> Result<Self, StorageError> {
        let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if name.is_empty() || !plain || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(StorageError::Database(format!(
                "{name:?} is not a plain database name"
            )));
        }
        let mut client = postgres::Client::connect(admin, postgres::NoTls).map_err(db_error)?;
        // Each its own statement: neither runs inside a transaction block.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .and_then(|()| client.batch_execute(&format!("CREATE DATABASE {name}")))
            .map_err(db_error)?;
        Ok(Self {
            admin: admin.to_owned(),
            name: name.to_owned(),
            url: with_database(admin, name),
        })
    }

    /// The connection string of the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

impl PgStorage {
    /// Connects to the database at `url` (`postgresql://user@host/db` or
    /// `host=... dbname=...`), creating the ledger's tables when it has none
    /// and migrating an older schema. A database whose schema is newer than
    /// this build is refused ([`StorageError::Schema`]).
    pub fn connect(url: &str) -> Result<Self, StorageError> {
        Self::open(url, true)
    }

    /// Connects to a database that already holds a ledger (for reading it);
    /// [`StorageError::Database`] saying there is none otherwise.
    pub fn connect_existing(url: &str) -> Result<Self, StorageError> {
        Self::open(url, false)
    }

    fn open(url: &str, create: bool) -> Result<Self, StorageError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StorageError::Database(format!("not a PostgreSQL connection URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("ecs-ledger");
        }
        let storage = Self {
            inner: Arc::new(Inner {
                target: describe(&config),
                config,
                idle: Mutex::new(Vec::new()),
                append: Mutex::new(None),
            }),
        };
        let mut client = storage.client()?;
        storage.schema(&mut client, create).map_err(|e| match e {
            Schema::Db(e) => db_error(e),
            Schema::Other(e) => e,
        })?;
        let conn = Conn::prepare(client).map_err(db_error)?;
        lock(&storage.inner.idle).push(conn);
        Ok(storage)
    }

    /// Where it connects (hosts, port, database, user; never a password).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    fn client(&self) -> Result<Client, StorageError> {
        self.inner.config.connect(NoTls).map_err(|e| {
            StorageError::Database(format!(
                "cannot connect to PostgreSQL at {}: {}",
                self.inner.target,
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned())
            ))
        })
    }

    /// Creates or migrates the schema, under the schema lock.
    fn schema(&self, client: &mut Client, create: bool) -> Result<(), Schema> {
        let mut tx = client.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&LOCK_CLASS, &SCHEMA_LOCK],
        )?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('ecs_ledger_schema') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            if !create {
                return Err(Schema::Other(StorageError::NoLedger(format!(
                    "no ledger in the PostgreSQL database at {} (run exec or serve with --postgres first)",
                    self.inner.target
                ))));
            }
            tx.batch_execute(CREATE)?;
            tx.commit()?;
            return Ok(());
        }
        let found: Option<i32> = tx
            .query_one("SELECT max(version) FROM ecs_ledger_schema", &[])?
            .get(0);
        let found = found.unwrap_or(0);
        if found > SCHEMA_VERSION || found < 1 {
            return Err(Schema::Other(StorageError::Schema {
                found,
                supported: SCHEMA_VERSION,
            }));
        }
        if found < SCHEMA_VERSION {
            if !create {
                // A reader leaves the schema as it is; every version it
                // migrates from reads the same.
                return Ok(());
            }
            for (i, step) in MIGRATIONS.iter().enumerate().skip((found - 1) as usize) {
                tx.batch_execute(step)?;
                tx.execute(
                    "INSERT INTO ecs_ledger_schema (version) VALUES ($1)",
                    &[&(i as i32 + 2)],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` on an idle connection (or a new one), which goes back to the
    /// pool unless `f` failed.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, StorageError> {
        let idle = lock(&self.inner.idle).pop();
        let mut conn = match idle {
            Some(conn) if !conn.client.is_closed() => conn,
            _ => Conn::prepare(self.client()?).map_err(db_error)?,
        };
        let result = f(&mut conn);
        if result.is_ok() {
            let mut idle = lock(&self.inner.idle);
            if idle.len() < IDLE_MAX {
                idle.push(conn);
            }
        }
        result.map_err(db_error)
    }

    /// Runs `sql` (simple query protocol, no parameters) on a connection of
    /// its own: tests and tools use it to look at or change rows by hand.
    pub fn execute_sql(&self, sql: &str) -> Result<(), StorageError> {
        self.with_conn(|c| c.client.batch_execute(sql))
    }

    /// The append this thread opened, if any.
    fn own_append(&self) -> Option<MutexGuard<'_, Option<(ThreadId, Conn)>>> {
        let guard = lock(&self.inner.append);
        match &*guard {
            Some((owner, _)) if *owner == std::thread::current().id() => Some(guard),
            _ => None,
        }
    }
}

/// Why the schema could not be set up.
enum Schema {
    Db(postgres::Error),
    Other(StorageError),
}

impl From<postgres::Error> for Schema {
    fn from(e: postgres::Error) -> Self {
        Schema::Db(e)
    }
}

/// The batch as arrays: removals, created keys and values, other puts.
struct Split<'a> {
    removed: Vec<&'a [u8]>,
    new_keys: Vec<&'a [u8]>,
    new_values: Vec<&'a [u8]>,
    keys: Vec<&'a [u8]>,
    values: Vec<&'a [u8]>,
}

/// The last operation on each key wins (they are applied as one statement).
fn split(batch: &Batch) -> Split<'_> {
    let mut last: BTreeMap<&[u8], Option<&[u8]>> = BTreeMap::new();
    for (k, v) in batch.ops() {
        last.insert(k.as_slice(), v.as_deref());
    }
    let mut s = Split {
        removed: Vec::new(),
        new_keys: Vec::new(),
        new_values: Vec::new(),
        keys: Vec::new(),
        values: Vec::new(),
    };
    for (k, v) in last {
        match v {
            None => s.removed.push(k),
            Some(v) if batch.is_created(k) => {
                s.new_keys.push(k);
                s.new_values.push(v);
            }
            Some(v) => {
                s.keys.push(k);
                s.values.push(v);
            }
        }
    }
    s
}

fn apply_on(conn: &mut Conn, batch: &Batch) -> Result<(), postgres::Error> {
    let s = split(batch);
    conn.client.execute(
        &conn.apply,
        &[&s.removed, &s.new_keys, &s.new_values, &s.keys, &s.values],
    )?;
    Ok(())
}

/// Entries read a page at a time, each page a statement of its own.
struct Pages<'a> {
    store: &'a PgStorage,
    /// The first key not yet read; `None` once the range is exhausted.
    next: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    page: i64,
    buffered: VecDeque<Entry<Vec<u8>>>,
}

impl Pages<'_> {
    fn fill(&mut self) -> Result<(), StorageError> {
        let Some(start) = self.next.take() else {
            return Ok(());
        };
        let page = self.page;
        let end = self.end.clone();
        let rows = self.store.with_conn(|c| match &end {
            Some(end) => c.client.query(&c.range, &[&start, end, &page]),
            None => c.client.query(&c.range_open, &[&start, &page]),
        })?;
        let mut bytes = 0;
        for row in &rows {
            let k: Vec<u8> = row.try_get(0).map_err(db_error)?;
            let v: Vec<u8> = row.try_get(1).map_err(db_error)?;
            bytes += k.len() + v.len();
            self.buffered.push_back((k, v));
        }
        if rows.len() as i64 == page
            && let Some((last, _)) = self.buffered.back()
        {
            let mut next = last.clone();
            next.push(0);
            self.next = Some(next);
            if bytes < PAGE_BYTES {
                self.page = (page * 2).min(PAGE_MAX);
            }
        }
        Ok(())
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<Entry<Vec<u8>>, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffered.is_empty() {
            if let Err(e) = self.fill() {
                self.next = None;
                return Some(Err(e));
            }
        }
        self.buffered.pop_front().map(Ok)
    }
}

impl Storage for PgStorage {
    type Bytes = Vec<u8>;

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let row = self.with_conn(|c| c.client.query_opt(&c.get, &[&key]))?;
        row.map(|r| r.try_get(0).map_err(db_error)).transpose()
    }

    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StorageError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let rows = self.with_conn(|c| c.client.query(&c.get_many, &[&wanted]))?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let k: Vec<u8> = row.try_get(0).map_err(db_error)?;
            let v: Vec<u8> = row.try_get(1).map_err(db_error)?;
            found.insert(k, v);
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    fn range<'a>(&'a self, start: &[u8], end: Option<&[u8]>) -> Entries<'a, Vec<u8>> {
        Box::new(Pages {
            store: self,
            next: Some(start.to_vec()),
            end: end.map(<[u8]>::to_vec),
            page: PAGE_FIRST,
            buffered: VecDeque::new(),
        })
    }

    fn last_in(&self, start: &[u8], end: &[u8]) -> Result<Option<Entry<Vec<u8>>>, StorageError> {
        if end <= start {
            return Ok(None);
        }
        let row = self.with_conn(|c| c.client.query_opt(&c.last_in, &[&start, &end]))?;
        row.map(|r| {
            Ok((
                r.try_get(0).map_err(db_error)?,
                r.try_get(1).map_err(db_error)?,
            ))
        })
        .transpose()
    }

    fn apply(&self, batch: &Batch) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(mut guard) = self.own_append() {
            let Some((_, conn)) = guard.as_mut() else {
                return Ok(());
            };
            return apply_on(conn, batch).map_err(db_error);
        }
        self.with_conn(|c| apply_on(c, batch))
    }

    /// Waits until PostgreSQL's WAL is flushed past everything committed so
    /// far (appends commit without waiting: see the module documentation):
    /// a small write committed synchronously. PostgreSQL flushes the WAL of
    /// every process waiting at once together (its group commit).
    fn flush(&self) -> Result<(), StorageError> {
        self.with_conn(|c| c.client.execute(&c.barrier, &[]).map(|_| ()))
    }

    /// As [`Storage::flush`]: a flushed WAL survives power loss too (with
    /// `fsync` on, PostgreSQL's default).
    fn sync(&self) -> Result<(), StorageError> {
        self.flush()
    }

    fn witness_read(&self) -> Result<Vec<u8>, StorageError> {
        let row = self.with_conn(|c| c.client.query_opt(&c.witness_read, &[]))?;
        let mut bytes: Vec<u8> = match row {
            Some(r) => r.try_get(0).map_err(db_error)?,
            None => Vec::new(),
        };
        bytes.truncate(super::WITNESS_BYTES_MAX);
        Ok(bytes)
    }

    fn witness_write(
        &self,
        offset: usize,
        bytes: &[u8],
        durable: bool,
    ) -> Result<(), StorageError> {
        if offset + bytes.len() > super::WITNESS_BYTES_MAX {
            return Err(StorageError::Database(
                "a head witness write past its size".into(),
            ));
        }
        // One round trip, and no WAL flush of its own unless asked for.
        let hex = hex::encode(bytes);
        let sql = format!(
            "BEGIN;{}
INSERT INTO ecs_ledger_witness (id, bytes) VALUES (1, decode(repeat('00', {offset}), 'hex') || decode('{hex}', 'hex'))
ON CONFLICT (id) DO UPDATE SET bytes =
  substring(ecs_ledger_witness.bytes || decode(repeat('00', {offset}), 'hex') from 1 for {offset})
  || decode('{hex}', 'hex')
  || substring(ecs_ledger_witness.bytes from {after});
COMMIT;",
            if durable {
                ""
            } else {
                " SET LOCAL synchronous_commit TO off;"
            },
            after = offset + bytes.len() + 1
        );
        self.with_conn(|c| c.client.batch_execute(&sql))
    }

    fn shared(&self) -> bool {
        true
    }

    fn begin_append(&self) -> Result<(), StorageError> {
        let me = std::thread::current().id();
        if lock(&self.inner.append)
            .as_ref()
            .is_some_and(|(t, _)| *t == me)
        {
            return Err(StorageError::Database(
                "an append is already open on this thread".into(),
            ));
        }
        let idle = lock(&self.inner.idle).pop();
        let mut conn = match idle {
            Some(conn) if !conn.client.is_closed() => conn,
            _ => Conn::prepare(self.client()?).map_err(db_error)?,
        };
        conn.client
            .batch_execute(&format!(
                "BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_advisory_xact_lock({LOCK_CLASS}, {APPEND_LOCK});"
            ))
            .map_err(db_error)?;
        let mut append = lock(&self.inner.append);
        if append.is_some() {
            // Another thread of this process appends: one writer per
            // storage handle at a time.
            drop(append);
            let _ = conn.client.batch_execute("ROLLBACK");
            return Err(StorageError::Database(
                "another thread of this process holds the append".into(),
            ));
        }
        *append = Some((me, conn));
        Ok(())
    }

    fn commit_append(&self) -> Result<(), StorageError> {
        let Some(mut guard) = self.own_append() else {
            return Ok(());
        };
        let Some((_, mut conn)) = guard.take() else {
            return Ok(());
        };
        drop(guard);
        conn.client.batch_execute("COMMIT").map_err(db_error)?;
        let mut idle = lock(&self.inner.idle);
        if idle.len() < IDLE_MAX {
            idle.push(conn);
        }
        Ok(())
    }

    fn abort_append(&self) {
        let Some(mut guard) = self.own_append() else {
            return;
        };
        let Some((_, mut conn)) = guard.take() else {
            return;
        };
        drop(guard);
        if conn.client.batch_execute("ROLLBACK").is_ok() {
            let mut idle = lock(&self.inner.idle);
            if idle.len() < IDLE_MAX {
                idle.push(conn);
            }
        }
    }

    fn exclusive<T>(&self, name: &str, f: impl FnOnce() -> T) -> Result<T, StorageError> {
        let key = crc32fast::hash(name.as_bytes()) as i32;
        let idle = lock(&self.inner.idle).pop();
        let mut conn = match idle {
            Some(conn) if !conn.client.is_closed() => conn,
            _ => Conn::prepare(self.client()?).map_err(db_error)?,
        };
        conn.client
            .execute("SELECT pg_advisory_lock($1, $2)", &[&NAMED_CLASS, &key])
            .map_err(db_error)?;
        let result = f();
        // Closing the connection releases the lock too.
        if conn
            .client
            .execute("SELECT pg_advisory_unlock($1, $2)", &[&NAMED_CLASS, &key])
            .is_ok()
        {
            let mut idle = lock(&self.inner.idle);
            if idle.len() < IDLE_MAX {
                idle.push(conn);
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_applies_the_last_operation_on_each_key() {
        let mut b = Batch::new();
        b.put(b"ka".to_vec(), b"1".to_vec());
        b.remove(b"ka".to_vec());
        b.put(b"kb".to_vec(), b"2".to_vec());
        b.create(b"c1".to_vec(), b"c".to_vec());
        b.remove(b"kc".to_vec());
        b.put(b"kc".to_vec(), b"3".to_vec());
        let s = split(&b);
        assert_eq!(s.removed, vec![b"ka".as_slice()]);
        assert_eq!(s.new_keys.len(), 1);
        assert_eq!(s.keys, vec![b"kb".as_slice(), b"kc".as_slice()]);
        assert_eq!(s.values, vec![b"2".as_slice(), b"3".as_slice()]);
    }

    #[test]
    fn a_malformed_url_is_an_error_not_a_panic() {
        let e = PgStorage::connect("postgresql://[::1").unwrap_err();
        assert!(e.to_string().contains("URL"), "{e}");
    }
}
