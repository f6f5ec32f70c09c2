//! Failed sign-ins, for throttling and lockout.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::login_failures;

/// What a failure is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The normalized email typed, whether or not an account has it.
    Account,
    /// The client's address.
    Address,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Address => "address",
        }
    }
}

/// Serializes sign-in attempts on one subject until the transaction ends,
/// so that concurrent attempts cannot all pass the lockout check before any
/// of them is counted (SQLite's write transactions are serial already).
pub fn lock_subject(conn: &mut DbConn, scope: Scope, subject: &str) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("login:{}:{subject}", scope.as_str()))
            .execute(pg)?;
    }
    Ok(())
}

/// Counts one failure; answers its id (so that a success can take back the
/// failure counted before the password was checked).
pub fn record(
    conn: &mut DbConn,
    scope: Scope,
    subject: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = super::new_id();
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(&id),
            login_failures::scope.eq(scope.as_str()),
            login_failures::subject.eq(subject),
            login_failures::failed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Takes back failures counted ahead of a check that succeeded.
pub fn forget(conn: &mut DbConn, ids: &[String]) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids)))
        .execute(conn)
        .map(drop)
}

/// The newest `limit` failures of `subject` since `since`, newest first.
pub fn recent(
    conn: &mut DbConn,
    scope: Scope,
    subject: &str,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::scope.eq(scope.as_str()))
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.desc())
        .limit(limit)
        .select(login_failures::failed_at)
        .load(conn)
}

pub fn clear(conn: &mut DbConn, scope: Scope, subject: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope.eq(scope.as_str()))
            .filter(login_failures::subject.eq(subject)),
    )
    .execute(conn)
    .map(drop)
}

/// Forgets failures older than the window.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.le(before)))
        .execute(conn)
        .map(drop)
}
