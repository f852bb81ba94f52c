//! A fresh PostgreSQL database per test, on the server named by
//! `ECS_LEDGER_TEST_POSTGRES` (a connection URL or `key=value` string with
//! the right to create databases; `scripts/postgres_cluster.sh start` makes
//! one). Dropped when the test ends, so tests run in parallel.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use ecs_ledger::storage::postgres::ScratchDatabase;

/// The admin connection string, when PostgreSQL tests are enabled.
pub fn admin_url() -> Option<String> {
    std::env::var("ECS_LEDGER_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Says once per test that PostgreSQL is not configured.
pub fn skipped(test: &str) {
    eprintln!("{test}: skipped on PostgreSQL (set ECS_LEDGER_TEST_POSTGRES to run it)");
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A database created for one test, dropped when the test ends.
pub struct TestDb(ScratchDatabase);

impl TestDb {
    /// A new empty database (`None` when PostgreSQL tests are off).
    pub fn create(tag: &str) -> Option<TestDb> {
        let admin = admin_url()?;
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(30)
            .collect::<String>()
            .to_ascii_lowercase();
        let name = format!(
            "ecs_t_{tag}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let db = ScratchDatabase::create(&admin, &name).unwrap_or_else(|e| {
            panic!("ECS_LEDGER_TEST_POSTGRES: cannot create database {name}: {e}")
        });
        Some(TestDb(db))
    }

    /// Its connection string.
    pub fn url(&self) -> &str {
        self.0.url()
    }

    /// A connection to the test's database (to look at or edit rows by hand).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(self.url(), postgres::NoTls).unwrap()
    }
}
