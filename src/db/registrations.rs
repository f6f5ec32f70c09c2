//! Registrations for events, seats and the waitlist, personal feed tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{events, guest_feeds, registrations};
use crate::domain::RegistrationStatus;
use crate::domain::{EventId, RegistrationId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = registrations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Registration {
    pub id: RegistrationId,
    pub event_id: EventId,
    pub email: String,
    pub email_key: String,
    pub name: String,
    pub furigana: Option<String>,
    pub organization: String,
    pub country: String,
    pub time_zone: String,
    pub language: String,
    pub status: RegistrationStatus,
    pub waitlist_position: Option<i64>,
    pub token_hash: String,
    pub reminders: bool,
    pub consented_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
    pub checked_in_at: Option<NaiveDateTime>,
    /// The organizer account that checked the guest in.
    pub checked_in_by: Option<String>,
    pub check_in_hash: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = registrations)]
pub struct NewRegistration<'a> {
    pub id: &'a RegistrationId,
    pub event_id: &'a EventId,
    pub email: &'a str,
    pub email_key: &'a str,
    pub name: &'a str,
    pub furigana: Option<&'a str>,
    pub organization: &'a str,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub language: &'a str,
    pub status: RegistrationStatus,
    pub waitlist_position: Option<i64>,
    pub token_hash: &'a str,
    pub reminders: bool,
    pub consented_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub check_in_hash: &'a str,
}

/// Stores a registration and answers it as stored.
pub fn insert(conn: &mut DbConn, new: &NewRegistration<'_>) -> QueryResult<Registration> {
    let insert = diesel::insert_into(registrations::table).values(new);
    per_backend!(conn, |c| insert
        .returning(Registration::as_returning())
        .get_result(c))
}

pub fn find(conn: &mut DbConn, id: &RegistrationId) -> QueryResult<Option<Registration>> {
    registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// The registrations of these ids (those that still exist), in one query.
pub fn find_many(conn: &mut DbConn, ids: &[&RegistrationId]) -> QueryResult<Vec<Registration>> {
    // A batch of mail may hold none: no query for nothing.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    registrations::table
        .filter(registrations::id.eq_any(ids))
        .select(Registration::as_select())
        .load(conn)
}

pub fn find_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Registration>> {
    registrations::table
        .filter(registrations::token_hash.eq(hash))
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// `status <> 'cancelled'`, written as the partial index
/// `registrations_one_active_per_email` says it, so that SQLite sees the
/// query is covered by the index. With the status as a bound parameter it
/// could not (its plans do not depend on bound values, see
/// `.cargo/config.toml`), or, without that option, it would prepare the
/// statement again each time it runs to check the value.
fn not_cancelled() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql("registrations.status <> 'cancelled'")
}

/// The registration of this email for this event that is not cancelled.
pub fn find_active(
    conn: &mut DbConn,
    event_id: &EventId,
    email_key: &str,
) -> QueryResult<Option<Registration>> {
    registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::email_key.eq(email_key))
        .filter(not_cancelled())
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// Takes a seat if one is free: one conditional UPDATE, which also locks the
/// event row on PostgreSQL until the transaction ends. The CHECK on
/// `confirmed_count` is the backstop.
pub fn take_seat(conn: &mut DbConn, event_id: &EventId) -> QueryResult<bool> {
    let taken = diesel::update(
        events::table.filter(events::id.eq(event_id)).filter(
            events::capacity
                .is_null()
                .or(events::confirmed_count.lt(events::capacity.assume_not_null())),
        ),
    )
    .set(events::confirmed_count.eq(events::confirmed_count + 1))
    .execute(conn)?;
    Ok(taken == 1)
}

pub fn release_seat(conn: &mut DbConn, event_id: &EventId) -> QueryResult<()> {
    diesel::update(
        events::table
            .filter(events::id.eq(event_id))
            .filter(events::confirmed_count.gt(0)),
    )
    .set(events::confirmed_count.eq(events::confirmed_count - 1))
    .execute(conn)
    .map(drop)
}

/// Locks the event row (PostgreSQL) so that seat counts and waitlist
/// positions are read and written by one transaction at a time; SQLite's
/// `BEGIN IMMEDIATE` already does.
pub fn lock_event(conn: &mut DbConn, event_id: &EventId) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => events::table
            .filter(events::id.eq(event_id))
            .select(events::id)
            .for_update()
            .first::<String>(pg)
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

pub fn next_waitlist_position(conn: &mut DbConn, event_id: &EventId) -> QueryResult<i64> {
    let max: Option<i64> = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .select(diesel::dsl::max(registrations::waitlist_position))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// The waitlisted registrations of an event in the order they came.
pub fn waitlisted(conn: &mut DbConn, event_id: &EventId) -> QueryResult<Vec<Registration>> {
    registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Waitlisted))
        .order((
            registrations::waitlist_position.asc(),
            registrations::created_at.asc(),
        ))
        .select(Registration::as_select())
        .load(conn)
}

/// The registrations of an event that are not cancelled.
pub fn active_for_event(conn: &mut DbConn, event_id: &EventId) -> QueryResult<Vec<Registration>> {
    registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(not_cancelled())
        .order(registrations::created_at.asc())
        .select(Registration::as_select())
        .load(conn)
}

pub fn for_email(conn: &mut DbConn, email_key: &str) -> QueryResult<Vec<Registration>> {
    registrations::table
        .filter(registrations::email_key.eq(email_key))
        .order(registrations::created_at.asc())
        .select(Registration::as_select())
        .load(conn)
}

pub fn set_status(
    conn: &mut DbConn,
    id: &RegistrationId,
    status: RegistrationStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let cancelled_at = (status == RegistrationStatus::Cancelled).then_some(now);
    diesel::update(registrations::table.find(id))
        .set((
            registrations::status.eq(status),
            registrations::updated_at.eq(now),
            registrations::cancelled_at.eq(cancelled_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_reminders(conn: &mut DbConn, id: &RegistrationId, on: bool) -> QueryResult<()> {
    diesel::update(registrations::table.find(id))
        .set(registrations::reminders.eq(on))
        .execute(conn)
        .map(drop)
}

/// Deletes every registration of an email (their outbox rows go with
/// them), its personal feed and the SEQUENCEs of its event copies.
pub fn delete_for_email(conn: &mut DbConn, email_key: &str) -> QueryResult<usize> {
    diesel::delete(guest_feeds::table.find(email_key)).execute(conn)?;
    super::sequences::delete_events_for_email(conn, email_key)?;
    diesel::delete(registrations::table.filter(registrations::email_key.eq(email_key)))
        .execute(conn)
}

/// The generations of the personal feeds of these emails that exist.
pub fn feed_generations(conn: &mut DbConn, email_keys: &[&str]) -> QueryResult<Vec<(String, i32)>> {
    guest_feeds::table
        .filter(guest_feeds::email_key.eq_any(email_keys))
        .select((guest_feeds::email_key, guest_feeds::generation))
        .load(conn)
}

/// Creates the personal feeds (generation 1) of these emails, in one
/// statement; emails that have one keep it. `feeds` is `(email_key,
/// token_hash of generation 1)`.
pub fn create_feeds(
    conn: &mut DbConn,
    feeds: &[(String, String)],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if feeds.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = feeds
        .iter()
        .map(|(key, hash)| {
            (
                guest_feeds::email_key.eq(key),
                guest_feeds::generation.eq(1),
                guest_feeds::token_hash.eq(hash),
                guest_feeds::updated_at.eq(now),
            )
        })
        .collect();
    let insert = diesel::insert_into(guest_feeds::table)
        .values(&rows)
        .on_conflict_do_nothing();
    per_backend!(conn, |c| insert.execute(c)).map(drop)
}

/// The generation of an email's personal feed, created at 1 when missing.
pub fn feed_generation(
    conn: &mut DbConn,
    email_key: &str,
    token_hash_of: impl Fn(i32) -> String,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let existing = guest_feeds::table
        .find(email_key)
        .select(guest_feeds::generation)
        .first(conn)
        .optional()?;
    match existing {
        Some(generation) => Ok(generation),
        None => ensure_feed(conn, email_key, token_hash_of, now),
    }
}

/// The generation of an email's personal feed, creating it at 1 if needed
/// (cheapest for an email seen for the first time).
pub fn ensure_feed(
    conn: &mut DbConn,
    email_key: &str,
    token_hash_of: impl Fn(i32) -> String,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let insert = diesel::insert_into(guest_feeds::table)
        .values((
            guest_feeds::email_key.eq(email_key),
            guest_feeds::generation.eq(1),
            guest_feeds::token_hash.eq(token_hash_of(1)),
            guest_feeds::updated_at.eq(now),
        ))
        .on_conflict_do_nothing();
    per_backend!(conn, |c| insert.execute(c))?;
    guest_feeds::table
        .find(email_key)
        .select(guest_feeds::generation)
        .first(conn)
}

/// Moves an email's personal feed to a new generation; the old URL stops working.
pub fn rotate_feed(
    conn: &mut DbConn,
    email_key: &str,
    token_hash_of: impl Fn(i32) -> String,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let current = feed_generation(conn, email_key, &token_hash_of, now)?;
    let next = current + 1;
    diesel::update(guest_feeds::table.find(email_key))
        .set((
            guest_feeds::generation.eq(next),
            guest_feeds::token_hash.eq(token_hash_of(next)),
            guest_feeds::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(next)
}

pub fn email_of_feed(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<String>> {
    guest_feeds::table
        .filter(guest_feeds::token_hash.eq(token_hash))
        .select(guest_feeds::email_key)
        .first(conn)
        .optional()
}

/// One page of an event's registrations in the order they came, with the
/// number of all that match.
pub fn page_for_event(
    conn: &mut DbConn,
    event_id: &EventId,
    status: Option<RegistrationStatus>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Registration>, i64)> {
    // A boxed query is tied to one backend: built inside each arm.
    macro_rules! matching {
        () => {{
            let mut query = registrations::table
                .filter(registrations::event_id.eq(event_id))
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(registrations::status.eq(status));
            }
            query
        }};
    }
    let total = per_backend!(conn, |c| matching!().count().get_result::<i64>(c))?;
    let rows = per_backend!(conn, |c| matching!()
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(Registration::as_select())
        .load(c))?;
    Ok((rows, total))
}

/// Every registration of an event, in the order they came.
pub fn all_for_event(conn: &mut DbConn, event_id: &EventId) -> QueryResult<Vec<Registration>> {
    registrations::table
        .filter(registrations::event_id.eq(event_id))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select(Registration::as_select())
        .load(conn)
}

/// Per event and status (of one event, or of all): how many
/// registrations, and how many of them are checked in.
pub fn counts(
    conn: &mut DbConn,
    event_id: Option<&EventId>,
) -> QueryResult<Vec<(EventId, RegistrationStatus, i64, i64)>> {
    macro_rules! grouped {
        ($rows:expr) => {
            $rows
                .group_by((registrations::event_id, registrations::status))
                .select((
                    registrations::event_id,
                    registrations::status,
                    diesel::dsl::count_star(),
                    diesel::dsl::count(registrations::checked_in_at),
                ))
                .load(conn)
        };
    }
    match event_id {
        Some(id) => grouped!(registrations::table.filter(registrations::event_id.eq(id))),
        None => grouped!(registrations::table),
    }
}

pub fn find_by_check_in_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Registration>> {
    registrations::table
        .filter(registrations::check_in_hash.eq(hash))
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// Checks a guest in unless someone did already: answers whether this
/// call did it (one conditional UPDATE, so two scanners cannot both win).
pub fn check_in(
    conn: &mut DbConn,
    id: &RegistrationId,
    at: NaiveDateTime,
    by: &str,
) -> QueryResult<bool> {
    diesel::update(
        registrations::table
            .find(id)
            .filter(registrations::checked_in_at.is_null()),
    )
    .set((
        registrations::checked_in_at.eq(at),
        registrations::checked_in_by.eq(by),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Registrations stored before check-in links existed.
pub fn without_check_in_hash(conn: &mut DbConn) -> QueryResult<Vec<RegistrationId>> {
    registrations::table
        .filter(registrations::check_in_hash.is_null())
        .select(registrations::id)
        .load(conn)
}

pub fn set_check_in_hash(conn: &mut DbConn, id: &RegistrationId, hash: &str) -> QueryResult<()> {
    diesel::update(registrations::table.find(id))
        .set(registrations::check_in_hash.eq(hash))
        .execute(conn)
        .map(drop)
}

/// Puts a waitlisted registration before everyone else on its waitlist.
pub fn move_to_front(
    conn: &mut DbConn,
    event_id: &EventId,
    id: &RegistrationId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let first: Option<i64> = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq(RegistrationStatus::Waitlisted))
        .select(diesel::dsl::min(registrations::waitlist_position))
        .first(conn)?;
    diesel::update(registrations::table.find(id))
        .set((
            registrations::waitlist_position.eq(first.unwrap_or(1) - 1),
            registrations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
