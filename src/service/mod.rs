//! Use cases. Each public function takes `&mut DbConn`, opens one
//! transaction for a change, and returns domain-checked results or an
//! `AppError`. Handlers run them off the async threads with [`run`].

pub mod accounts;
pub mod events;
pub mod fields;
pub mod keys;
pub mod organizations;
pub mod outbox;
pub mod registrations;
pub mod venues;

use actix_web::web;

use crate::db::{DbConn, Pool};
use crate::error::AppError;

/// Runs a blocking service call on the thread pool with a pooled connection.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
