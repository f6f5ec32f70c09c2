//! Service-wide secrets kept in the database.

use diesel::prelude::*;

use super::DbConn;
use super::schema::service_keys;

pub fn get(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    service_keys::table
        .find(name)
        .select(service_keys::value)
        .first(conn)
        .optional()
}

/// Stores `value` unless a key of that name exists; answers the stored one,
/// so that instances starting together agree on one key.
pub fn get_or_insert(conn: &mut DbConn, name: &str, value: &str) -> QueryResult<String> {
    let insert = diesel::insert_into(service_keys::table)
        .values((service_keys::name.eq(name), service_keys::value.eq(value)))
        .on_conflict_do_nothing();
    per_backend!(conn, |c| insert.execute(c))?;
    service_keys::table
        .find(name)
        .select(service_keys::value)
        .first(conn)
}
