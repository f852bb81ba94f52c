//! One test, two storages: sled in a temporary directory, and (when
//! `ECS_LEDGER_TEST_POSTGRES` is set) a fresh PostgreSQL database.
#![allow(dead_code)]

use ecs_ledger::storage::Storage;
use ecs_ledger::storage::any::AnyStorage;
use ecs_ledger::storage::postgres::PgStorage;
use ecs_ledger::storage::sled_store::SledStorage;

use super::cli::{Exec, Output, run_with};
use super::pg::{TestDb, skipped};

/// Where a test's ledger lives.
pub enum Backend {
    Sled(tempfile::TempDir),
    Postgres(TestDb),
}

impl Backend {
    /// sled, and PostgreSQL when it is configured.
    pub fn all(test: &str) -> Vec<Backend> {
        let mut all = vec![Backend::sled()];
        match TestDb::create(test) {
            Some(db) => all.push(Backend::Postgres(db)),
            None => skipped(test),
        }
        all
    }

    pub fn sled() -> Backend {
        Backend::Sled(tempfile::tempdir().unwrap())
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sled(_) => "sled",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// `--data DIR` or `--postgres URL`.
    pub fn place(&self) -> Vec<String> {
        match self {
            Backend::Sled(dir) => vec![
                "--data".into(),
                dir.path().join("data").display().to_string(),
            ],
            Backend::Postgres(db) => vec!["--postgres".into(), db.url().to_owned()],
        }
    }

    /// `ecs-ledger PLACE ARGS...` to completion.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut all = self.place();
        all.extend(args.iter().map(|s| s.to_string()));
        run_with(&all, stdin.as_bytes())
    }

    /// A running `exec` on this ledger.
    pub fn exec(&self, args: &[&str]) -> Exec {
        Exec::spawn_at(&self.place(), args)
    }

    /// The storage, opened in this process (sled: only while no other
    /// process holds it).
    pub fn storage(&self) -> AnyStorage {
        match self {
            Backend::Sled(dir) => {
                AnyStorage::from(SledStorage::open(&dir.path().join("data"), 1 << 24).unwrap())
            }
            Backend::Postgres(db) => AnyStorage::from(PgStorage::connect(db.url()).unwrap()),
        }
    }

    /// Replaces a stored value by hand, bypassing the ledger.
    pub fn overwrite(&self, key: &[u8], value: &[u8]) {
        match self {
            Backend::Sled(_) => {
                let storage = self.storage();
                let mut b = ecs_ledger::storage::Batch::new();
                b.put(key.to_vec(), value.to_vec());
                storage.apply(&b).unwrap();
                storage.flush().unwrap();
            }
            Backend::Postgres(db) => {
                let n = db
                    .client()
                    .execute(
                        "UPDATE ecs_ledger_kv SET value = $2 WHERE key = $1",
                        &[&key, &value],
                    )
                    .unwrap();
                assert_eq!(n, 1, "no row to edit");
            }
        }
    }

    /// Removes a stored key by hand, bypassing the ledger.
    pub fn remove(&self, key: &[u8]) {
        match self {
            Backend::Sled(_) => {
                let storage = self.storage();
                let mut b = ecs_ledger::storage::Batch::new();
                b.remove(key.to_vec());
                storage.apply(&b).unwrap();
                storage.flush().unwrap();
            }
            Backend::Postgres(db) => {
                db.client()
                    .execute("DELETE FROM ecs_ledger_kv WHERE key = $1", &[&key])
                    .unwrap();
            }
        }
    }
}
