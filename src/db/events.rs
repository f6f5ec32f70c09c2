use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::organizations::Organization;
use super::schema::{event_organizers, events, organizations, room_bookings, rooms, venues};
use super::venues::{Room, Venue};
use crate::domain::{Attendance, EventKind, EventStatus};
use crate::domain::{EventId, OrganizationId, VenueId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Event {
    pub id: EventId,
    pub slug: String,
    pub title_ja: String,
    pub title_en: String,
    pub description_ja: String,
    pub description_en: String,
    pub kind: EventKind,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: String,
    pub capacity: Option<i32>,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub status: EventStatus,
    pub revision: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub confirmed_count: i32,
    pub reminder_offsets: String,
    /// The join link of an online or hybrid event (https only); only
    /// confirmed guests and organizers see it.
    pub online_url: Option<String>,
    /// What the join link opens ("Zoom", "Teams"…), shown beside it.
    pub online_platform: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent<'a> {
    pub id: &'a EventId,
    pub slug: &'a str,
    pub title_ja: &'a str,
    pub title_en: &'a str,
    pub description_ja: &'a str,
    pub description_en: &'a str,
    pub kind: EventKind,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: &'a str,
    pub capacity: Option<i32>,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub status: EventStatus,
    pub reminder_offsets: &'a str,
    pub revision: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub online_url: Option<&'a str>,
    pub online_platform: Option<&'a str>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub struct EventChanges<'a> {
    pub slug: &'a str,
    pub title_ja: &'a str,
    pub title_en: &'a str,
    pub description_ja: &'a str,
    pub description_en: &'a str,
    pub kind: EventKind,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: &'a str,
    pub capacity: Option<i32>,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub status: EventStatus,
    pub reminder_offsets: &'a str,
    pub revision: i32,
    pub updated_at: NaiveDateTime,
    pub online_url: Option<&'a str>,
    pub online_platform: Option<&'a str>,
}

/// An event with who organizes it and where it takes place.
#[derive(Debug, Clone)]
pub struct EventDetails {
    pub event: Event,
    pub organizers: Vec<Organization>,
    pub rooms: Vec<(Room, Venue)>,
}

impl EventDetails {
    /// At the venue, online, or both: a join link without a room is online.
    pub fn attendance(&self) -> Attendance {
        match (self.event.online_url.is_some(), self.rooms.is_empty()) {
            (false, _) => Attendance::InPerson,
            (true, true) => Attendance::Online,
            (true, false) => Attendance::Hybrid,
        }
    }
}

/// Which events a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFilter<'a> {
    /// Only events that end after this instant.
    pub ends_after: Option<NaiveDateTime>,
    /// Only events that start before this instant.
    pub starts_before: Option<NaiveDateTime>,
    /// Only these statuses; empty means all.
    pub statuses: &'a [EventStatus],
    pub venue_id: Option<&'a VenueId>,
    /// Only events this organization organizes.
    pub organization_id: Option<&'a OrganizationId>,
    pub kind: Option<EventKind>,
    /// Leaves out cancelled events that ended before this instant.
    pub cancelled_ended_after: Option<NaiveDateTime>,
    pub limit: Option<i64>,
}

pub fn list(conn: &mut DbConn, filter: EventFilter<'_>) -> QueryResult<Vec<Event>> {
    let mut query = events::table
        .select(Event::as_select())
        .order((events::starts_at.asc(), events::slug.asc()))
        .into_boxed();
    if let Some(t) = filter.ends_after {
        query = query.filter(events::ends_at.gt(t));
    }
    if let Some(t) = filter.starts_before {
        query = query.filter(events::starts_at.lt(t));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(events::status.eq_any(filter.statuses));
    }
    if let Some(venue_id) = filter.venue_id {
        let at_venue = room_bookings::table
            .inner_join(rooms::table)
            .filter(rooms::venue_id.eq(venue_id))
            .filter(room_bookings::event_id.is_not_null())
            .select(room_bookings::event_id.assume_not_null());
        query = query.filter(events::id.eq_any(at_venue));
    }
    if let Some(organization_id) = filter.organization_id {
        let organized = event_organizers::table
            .filter(event_organizers::organization_id.eq(organization_id))
            .select(event_organizers::event_id);
        query = query.filter(events::id.eq_any(organized));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(events::kind.eq(kind));
    }
    if let Some(cutoff) = filter.cancelled_ended_after {
        query = query.filter(
            events::status
                .ne(EventStatus::Cancelled)
                .or(events::ends_at.gt(cutoff)),
        );
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    query.load(conn)
}

pub fn find(conn: &mut DbConn, id: &EventId) -> QueryResult<Option<Event>> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()
}

/// The events of these ids (those that still exist), in one query.
pub fn find_many(conn: &mut DbConn, ids: &[&EventId]) -> QueryResult<Vec<Event>> {
    // A batch of mail may hold none: no query for nothing.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    events::table
        .filter(events::id.eq_any(ids))
        .select(Event::as_select())
        .load(conn)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Event>> {
    events::table
        .filter(events::slug.eq(slug))
        .select(Event::as_select())
        .first(conn)
        .optional()
}

pub fn slug_taken(conn: &mut DbConn, slug: &str, except_id: Option<&EventId>) -> QueryResult<bool> {
    let mut query = events::table
        .filter(events::slug.eq(slug))
        .select(events::id)
        .into_boxed();
    if let Some(id) = except_id {
        query = query.filter(events::id.ne(id));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

pub fn insert(conn: &mut DbConn, new: &NewEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(events::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConn, id: &EventId, changes: &EventChanges<'_>) -> QueryResult<()> {
    diesel::update(events::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Moves an event to `status` with a new revision (cancel, restore),
/// nothing else changing.
pub fn set_status(
    conn: &mut DbConn,
    id: &EventId,
    status: EventStatus,
    revision: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(events::table.find(id))
        .set((
            events::status.eq(status),
            events::revision.eq(revision),
            events::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    events::table.count().get_result(conn)
}

/// Replaces the organizers, keeping the given order.
pub fn set_organizers(
    conn: &mut DbConn,
    event_id: &EventId,
    organization_ids: &[&OrganizationId],
) -> QueryResult<()> {
    diesel::delete(event_organizers::table.filter(event_organizers::event_id.eq(event_id)))
        .execute(conn)?;
    // Row by row: diesel's batch insert is not available through the
    // multi-backend connection, and an event has a handful of organizers.
    for (i, org) in organization_ids.iter().enumerate() {
        diesel::insert_into(event_organizers::table)
            .values((
                event_organizers::event_id.eq(event_id),
                event_organizers::organization_id.eq(*org),
                event_organizers::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Organizers and rooms of many events, in two queries.
pub fn with_details(conn: &mut DbConn, list: Vec<Event>) -> QueryResult<Vec<EventDetails>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = list.iter().map(|e| e.id.as_str()).collect();
    let organizer_rows: Vec<(EventId, Organization)> = event_organizers::table
        .inner_join(organizations::table)
        .filter(event_organizers::event_id.eq_any(&ids))
        .order((
            event_organizers::event_id.asc(),
            event_organizers::position.asc(),
        ))
        .select((event_organizers::event_id, Organization::as_select()))
        .load(conn)?;
    let room_rows: Vec<(EventId, Room, Venue)> = room_bookings::table
        .inner_join(rooms::table.inner_join(venues::table))
        .filter(room_bookings::event_id.eq_any(&ids))
        .order((venues::name_en.asc(), rooms::name_en.asc()))
        .select((
            room_bookings::event_id.assume_not_null(),
            Room::as_select(),
            Venue::as_select(),
        ))
        .load(conn)?;
    let mut organizers: HashMap<EventId, Vec<Organization>> = HashMap::new();
    for (event_id, org) in organizer_rows {
        organizers.entry(event_id).or_default().push(org);
    }
    let mut rooms_by_event: HashMap<EventId, Vec<(Room, Venue)>> = HashMap::new();
    for (event_id, room, venue) in room_rows {
        rooms_by_event
            .entry(event_id)
            .or_default()
            .push((room, venue));
    }
    Ok(list
        .into_iter()
        .map(|event| EventDetails {
            organizers: organizers.remove(&event.id).unwrap_or_default(),
            rooms: rooms_by_event.remove(&event.id).unwrap_or_default(),
            event,
        })
        .collect())
}
