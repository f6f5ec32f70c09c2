//! Partnering days: settings (windows and tables), participants' profiles
//! and unavailable slots, and the requests between them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    partnering_profiles, partnering_requests, partnering_settings, partnering_tables,
    partnering_unavailability, partnering_windows, registrations,
};
use crate::domain::{
    EventId, MeetingId, RegistrationId, RegistrationStatus, RequestId, RequestStatus, RoomId,
    TableId, UserId, WindowId,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = partnering_settings, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Settings {
    pub event_id: EventId,
    pub slot_minutes: i32,
    pub gap_minutes: i32,
    pub request_deadline: NaiveDateTime,
    pub max_meetings: Option<i32>,
    pub scheduled_at: Option<NaiveDateTime>,
    pub revision: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = partnering_windows)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct WindowRow {
    pub id: WindowId,
    pub event_id: EventId,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = partnering_tables, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Table {
    pub id: TableId,
    pub event_id: EventId,
    pub position: i32,
    pub label: String,
    pub room_id: Option<RoomId>,
    pub online_url: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = partnering_profiles)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Profile {
    pub registration_id: RegistrationId,
    pub event_id: EventId,
    pub organization: String,
    pub country: String,
    pub time_zone: String,
    pub offer: String,
    pub seek: String,
    pub offer_categories: String,
    pub seek_categories: String,
    pub interpreter: bool,
    pub listed: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = partnering_requests)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Request {
    pub id: RequestId,
    pub event_id: EventId,
    pub requester_id: RegistrationId,
    pub recipient_id: RegistrationId,
    pub pair_low: String,
    pub pair_high: String,
    pub message: String,
    pub priority: i32,
    pub status: RequestStatus,
    pub organizer_id: Option<UserId>,
    pub meeting_id: Option<MeetingId>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Request {
    /// The other side of the request, seen from `me`.
    pub fn other(&self, me: &RegistrationId) -> &RegistrationId {
        if &self.requester_id == me {
            &self.recipient_id
        } else {
            &self.requester_id
        }
    }
}

pub fn settings(conn: &mut DbConn, event: &EventId) -> QueryResult<Option<Settings>> {
    partnering_settings::table
        .find(event)
        .select(Settings::as_select())
        .first(conn)
        .optional()
}

/// Serializes the partnering changes of one event (settings, requests,
/// scheduling) until the transaction ends: a row lock on PostgreSQL; on
/// SQLite the single write lock of `write_tx` already does.
pub fn lock(conn: &mut DbConn, event: &EventId) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => partnering_settings::table
            .find(event)
            .select(partnering_settings::event_id)
            .for_update()
            .load::<String>(pg)
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

pub fn save_settings(conn: &mut DbConn, s: &Settings, exists: bool) -> QueryResult<()> {
    if exists {
        diesel::update(partnering_settings::table.find(&s.event_id))
            .set(s)
            .execute(conn)
            .map(drop)
    } else {
        diesel::insert_into(partnering_settings::table)
            .values(s)
            .execute(conn)
            .map(drop)
    }
}

pub fn mark_scheduled(conn: &mut DbConn, event: &EventId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(partnering_settings::table.find(event))
        .set((
            partnering_settings::scheduled_at.eq(at),
            partnering_settings::revision.eq(partnering_settings::revision + 1),
            partnering_settings::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn windows(conn: &mut DbConn, event: &EventId) -> QueryResult<Vec<WindowRow>> {
    partnering_windows::table
        .filter(partnering_windows::event_id.eq(event))
        .order(partnering_windows::starts_at)
        .select(WindowRow::as_select())
        .load(conn)
}

pub fn replace_windows(conn: &mut DbConn, event: &EventId, rows: &[WindowRow]) -> QueryResult<()> {
    diesel::delete(partnering_windows::table.filter(partnering_windows::event_id.eq(event)))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(partnering_windows::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn tables(conn: &mut DbConn, event: &EventId) -> QueryResult<Vec<Table>> {
    partnering_tables::table
        .filter(partnering_tables::event_id.eq(event))
        .order(partnering_tables::position)
        .select(Table::as_select())
        .load(conn)
}

/// Makes the event's tables `rows`: a table keeps its id while its label
/// stays (meetings name their table by label).
pub fn replace_tables(conn: &mut DbConn, event: &EventId, rows: &[Table]) -> QueryResult<()> {
    diesel::delete(partnering_tables::table.filter(partnering_tables::event_id.eq(event)))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(partnering_tables::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// The event's confirmed registrations: its partnering participants.
pub fn participants(
    conn: &mut DbConn,
    event: &EventId,
) -> QueryResult<Vec<super::registrations::Registration>> {
    registrations::table
        .filter(registrations::event_id.eq(event))
        .filter(registrations::status.eq(RegistrationStatus::Confirmed))
        .order((registrations::created_at, registrations::id))
        .select(super::registrations::Registration::as_select())
        .load(conn)
}

pub fn profiles(conn: &mut DbConn, event: &EventId) -> QueryResult<Vec<Profile>> {
    partnering_profiles::table
        .filter(partnering_profiles::event_id.eq(event))
        .select(Profile::as_select())
        .load(conn)
}

pub fn profile(conn: &mut DbConn, who: &RegistrationId) -> QueryResult<Option<Profile>> {
    partnering_profiles::table
        .find(who)
        .select(Profile::as_select())
        .first(conn)
        .optional()
}

pub fn profiles_by_ids(conn: &mut DbConn, ids: &[&RegistrationId]) -> QueryResult<Vec<Profile>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    partnering_profiles::table
        .filter(partnering_profiles::registration_id.eq_any(ids))
        .select(Profile::as_select())
        .load(conn)
}

pub fn save_profile(conn: &mut DbConn, p: &Profile, exists: bool) -> QueryResult<()> {
    if exists {
        diesel::update(partnering_profiles::table.find(&p.registration_id))
            .set(p)
            .execute(conn)
            .map(drop)
    } else {
        diesel::insert_into(partnering_profiles::table)
            .values(p)
            .execute(conn)
            .map(drop)
    }
}

/// Every (participant, slot start) in which someone of the event is not available.
pub fn unavailability(
    conn: &mut DbConn,
    event: &EventId,
) -> QueryResult<Vec<(RegistrationId, NaiveDateTime)>> {
    partnering_unavailability::table
        .inner_join(registrations::table)
        .filter(registrations::event_id.eq(event))
        .select((
            partnering_unavailability::registration_id,
            partnering_unavailability::starts_at,
        ))
        .load(conn)
}

pub fn unavailable_of(conn: &mut DbConn, who: &RegistrationId) -> QueryResult<Vec<NaiveDateTime>> {
    partnering_unavailability::table
        .filter(partnering_unavailability::registration_id.eq(who))
        .order(partnering_unavailability::starts_at)
        .select(partnering_unavailability::starts_at)
        .load(conn)
}

pub fn set_unavailable(
    conn: &mut DbConn,
    who: &RegistrationId,
    starts: &[NaiveDateTime],
) -> QueryResult<()> {
    diesel::delete(
        partnering_unavailability::table.filter(partnering_unavailability::registration_id.eq(who)),
    )
    .execute(conn)?;
    for at in starts {
        diesel::insert_into(partnering_unavailability::table)
            .values((
                partnering_unavailability::registration_id.eq(who),
                partnering_unavailability::starts_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn requests(conn: &mut DbConn, event: &EventId) -> QueryResult<Vec<Request>> {
    partnering_requests::table
        .filter(partnering_requests::event_id.eq(event))
        .order((partnering_requests::created_at, partnering_requests::id))
        .select(Request::as_select())
        .load(conn)
}

/// The requests a participant made or received.
pub fn requests_of(conn: &mut DbConn, who: &RegistrationId) -> QueryResult<Vec<Request>> {
    partnering_requests::table
        .filter(
            partnering_requests::requester_id
                .eq(who)
                .or(partnering_requests::recipient_id.eq(who)),
        )
        .order((partnering_requests::created_at, partnering_requests::id))
        .select(Request::as_select())
        .load(conn)
}

pub fn request(conn: &mut DbConn, id: &RequestId) -> QueryResult<Option<Request>> {
    partnering_requests::table
        .find(id)
        .select(Request::as_select())
        .first(conn)
        .optional()
}

pub fn requests_by_ids(conn: &mut DbConn, ids: &[&RequestId]) -> QueryResult<Vec<Request>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    partnering_requests::table
        .filter(partnering_requests::id.eq_any(ids))
        .select(Request::as_select())
        .load(conn)
}

pub fn pair(
    conn: &mut DbConn,
    event: &EventId,
    low: &str,
    high: &str,
) -> QueryResult<Option<Request>> {
    partnering_requests::table
        .filter(partnering_requests::event_id.eq(event))
        .filter(partnering_requests::pair_low.eq(low))
        .filter(partnering_requests::pair_high.eq(high))
        .select(Request::as_select())
        .first(conn)
        .optional()
}

pub fn insert_request(conn: &mut DbConn, r: &Request) -> QueryResult<()> {
    diesel::insert_into(partnering_requests::table)
        .values(r)
        .execute(conn)
        .map(drop)
}

/// Replaces a request's mutable fields (a withdrawn request asked again
/// reuses its pair's row).
pub fn update_request(conn: &mut DbConn, r: &Request) -> QueryResult<()> {
    diesel::update(partnering_requests::table.find(&r.id))
        .set((
            partnering_requests::requester_id.eq(&r.requester_id),
            partnering_requests::recipient_id.eq(&r.recipient_id),
            partnering_requests::message.eq(&r.message),
            partnering_requests::priority.eq(r.priority),
            partnering_requests::status.eq(r.status),
            partnering_requests::organizer_id.eq(&r.organizer_id),
            partnering_requests::meeting_id.eq(&r.meeting_id),
            partnering_requests::answered_at.eq(r.answered_at),
            partnering_requests::updated_at.eq(r.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Pending requests of events whose deadline has passed.
pub fn overdue(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Request>> {
    partnering_requests::table
        .inner_join(
            partnering_settings::table
                .on(partnering_settings::event_id.eq(partnering_requests::event_id)),
        )
        .filter(partnering_requests::status.eq(RequestStatus::Pending))
        .filter(partnering_settings::request_deadline.le(now))
        .order(partnering_requests::id)
        .limit(limit)
        .select(Request::as_select())
        .load(conn)
}
