//! Use cases. Each public function takes `&mut DbConn`, opens one
//! transaction for a change, and returns domain-checked results or an
//! `AppError`. Handlers run them off the async threads with [`run`].

pub mod accounts;
pub mod bookings;
pub mod calendars;
pub mod events;
pub mod export;
pub mod fields;
pub mod keys;
pub mod meetings;
pub mod organizations;
pub mod outbox;
pub mod partnering;
pub mod passwords;
pub mod registrations;
pub mod venues;

use actix_web::web;

use std::time::Duration;

use crate::db::{self, DbConn, Pool, PooledConn};
use crate::error::AppError;

/// How long a request may queue for a connection while every connection
/// of the pool is in use (a busy database, not a lost one).
const BUSY_POOL_WAIT: Duration = Duration::from_secs(10);

/// A pooled connection. The pool's own timeout (`MUSUBI_DB_TIMEOUT_MS`) is
/// short: when it passes while the pool holds fewer connections than it
/// may, new ones could not be opened, the database is gone, and the
/// request is answered 503 at once. When every connection exists and is
/// merely busy, the request queues a while longer.
pub fn connection(pool: &Pool) -> Result<PooledConn, AppError> {
    match pool.get() {
        Ok(conn) => Ok(conn),
        Err(db::PoolError::Unavailable(_)) if pool.is_full() => {
            Ok(pool.get_timeout(BUSY_POOL_WAIT)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs a blocking service call on the thread pool with a pooled
/// connection. A database error on a connection that no longer answers
/// (the server went away mid-request) is a 503, not a 500.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = connection(&pool)?;
        match f(&mut conn) {
            Err(AppError::Unexpected(e)) if db::ping(&mut conn).is_err() => {
                Err(AppError::Unavailable(format!("lost the database: {e:#}")))
            }
            other => other,
        }
    })
    .await?
}
