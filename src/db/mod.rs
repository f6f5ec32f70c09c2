//! The only place that knows SQL and which backend runs. Queries are written
//! once against `DbConn` (diesel's `MultiConnection`); what differs between
//! SQLite and PostgreSQL is a `match` on the connection here in db/.

/// Runs the same diesel expression on the concrete connection, for the
/// query forms `MultiConnection` cannot express (upserts, `RETURNING`,
/// `SKIP LOCKED`): `per_backend!(conn, |c| query.execute(c))`.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}

pub mod data_version;
pub mod events;
pub mod keys;
pub mod logins;
pub mod organizations;
pub mod outbox;
pub mod registrations;
pub mod schema;
pub mod users;
pub mod venues;

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Opens connections of the backend the URL names. (diesel's derived
/// `establish` would try each backend in turn, and SQLite accepts any string
/// as a file name, so a mistyped PostgreSQL URL would silently become a file.)
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// The size the SQLite WAL file is cut back to after a checkpoint (bytes).
pub const SQLITE_WAL_LIMIT: i64 = 16 * 1024 * 1024;

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect(&self) -> anyhow::Result<DbConn> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating directory {}", dir.display()))?;
                }
                let path_text = path
                    .to_str()
                    .context("the SQLite path is not valid UTF-8")?;
                let mut conn = SqliteConnection::establish(path_text)
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                // busy_timeout first, so that switching to WAL already waits
                // for a busy file. The WAL is checkpointed every 1000 pages
                // and cut back to SQLITE_WAL_LIMIT after a checkpoint, so a
                // burst of writes does not leave a file that never shrinks.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 1000; \
                     PRAGMA journal_size_limit = {SQLITE_WAL_LIMIT};"
                ))
                .context("setting SQLite pragmas")?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let conn = PgConnection::establish(url)
                    .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))?;
                Ok(DbConn::Pg(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        Manager::connect(self).map_err(|e| {
            diesel::r2d2::Error::ConnectionError(ConnectionError::BadConnection(format!("{e:#}")))
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Connects once (so that a bad URL fails now, with its own message) and
/// builds the pool around the working connection parameters. A request
/// waits at most `timeout` for a connection: when the database is down,
/// it is answered 503 within that time instead of hanging.
pub fn build_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> anyhow::Result<Pool> {
    let manager = Manager::new(url.clone());
    manager
        .connect()
        .with_context(|| format!("cannot connect to {url}"))?;
    let size = match url {
        // SQLite has one writer; a few readers beyond it are plenty.
        DatabaseUrl::Sqlite(_) => size.min(8),
        DatabaseUrl::Postgres(_) => size,
    };
    Ok(r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(timeout)
        // A server connection can break between uses; a SQLite file cannot.
        .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
        .build_unchecked(manager))
}

/// Applies pending migrations; returns the versions applied.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(versions),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(versions),
    };
    applied.map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
}

/// Reverts every applied migration (used by `musubi migrate --revert-all` and tests).
pub fn revert_all_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(versions),
        DbConn::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(versions),
    };
    reverted.map_err(|e| anyhow::anyhow!("reverting migrations: {e}"))
}

fn versions(list: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    list.into_iter().map(|v| v.to_string()).collect()
}

/// Runs `f` in one write transaction. On SQLite that is `BEGIN IMMEDIATE`,
/// which takes the write lock up front: concurrent writers queue on
/// busy_timeout instead of failing with SQLITE_BUSY when they upgrade a read.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    static HOLDS_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The in-process SQLite writer lock; taken once per thread, so that a
/// write transaction started inside another cannot deadlock on it.
struct WriterGuard(Option<std::sync::MutexGuard<'static, ()>>);

impl WriterGuard {
    fn acquire() -> Self {
        if HOLDS_WRITER.with(std::cell::Cell::get) {
            return Self(None);
        }
        let guard = SQLITE_WRITER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        HOLDS_WRITER.with(|h| h.set(true));
        Self(Some(guard))
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        if self.0.take().is_some() {
            HOLDS_WRITER.with(|h| h.set(false));
        }
    }
}

pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // SQLite has one writer at a time. Within this process the writers
    // queue on a mutex: SQLite's own busy handler would make them sleep
    // and retry, which wastes the lock's free moments and stretches the
    // tail latency. Other processes (a separate `musubi worker`) still
    // meet the busy timeout.
    let _writer = match conn {
        DbConn::Sqlite(c) => {
            let guard = WriterGuard::acquire();
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(guard)
        }
        DbConn::Pg(_) => {
            <DbConn as Connection>::TransactionManager::begin_transaction(conn)?;
            None
        }
    };
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            data_version::committed();
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) =
                <DbConn as Connection>::TransactionManager::rollback_transaction(conn)
            {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConn) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Stored instants are UTC `NaiveDateTime`s; these convert at the boundary.
pub fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn from_utc(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Now, to the second, as stored.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t - chrono::Duration::nanoseconds(chrono::Timelike::nanosecond(&t) as i64)
}
