//! The version of everything pages and feeds show. Services that change
//! events, organizations, venues or rooms call [`touch`] in their transaction.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::data_version;

/// Write transactions this process committed; a change tells readers of
/// [`current`] to look again instead of trusting a recent answer.
static LOCAL_COMMITS: AtomicU64 = AtomicU64::new(0);

pub fn local_commits() -> u64 {
    LOCAL_COMMITS.load(Ordering::Acquire)
}

pub(super) fn committed() {
    LOCAL_COMMITS.fetch_add(1, Ordering::AcqRel);
}

/// Marks the shown data as changed (inside the change's transaction).
pub fn touch(conn: &mut DbConn) -> QueryResult<()> {
    diesel::update(data_version::table.find(1))
        .set((
            data_version::version.eq(data_version::version + 1),
            data_version::changed_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// The current version and when it changed.
pub fn current(conn: &mut DbConn) -> QueryResult<(i64, NaiveDateTime)> {
    data_version::table
        .find(1)
        .select((data_version::version, data_version::changed_at))
        .first(conn)
}
