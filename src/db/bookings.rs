//! Room bookings: one table for events and meetings, so that one check
//! (and on PostgreSQL one exclusion constraint) keeps a room from being
//! held twice at overlapping times, whoever holds it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::events::Event;
use super::meetings::Meeting;
use super::schema::{events, meetings, room_bookings, rooms};
use crate::domain::{EventId, MeetingId, RoomId, VenueId};

/// What holds a room.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Event(&'a EventId),
    Meeting(&'a MeetingId),
}

/// What holds a room that someone else wanted.
#[derive(Debug, Clone)]
pub enum BookedBy {
    Event(Event),
    Meeting(Meeting),
}

impl BookedBy {
    pub fn interval(&self) -> (NaiveDateTime, NaiveDateTime, &str) {
        match self {
            BookedBy::Event(e) => (e.starts_at, e.ends_at, &e.time_zone),
            BookedBy::Meeting(m) => (m.starts_at, m.ends_at, &m.time_zone),
        }
    }
}

/// Replaces the bookings of `holder` with `room_ids` over [starts_at, ends_at).
pub fn set(
    conn: &mut DbConn,
    holder: Holder<'_>,
    room_ids: &[&RoomId],
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    active: bool,
) -> QueryResult<()> {
    let (event_id, meeting_id) = match holder {
        Holder::Event(id) => (Some(id), None),
        Holder::Meeting(id) => (None, Some(id)),
    };
    match holder {
        Holder::Event(id) => {
            diesel::delete(room_bookings::table.filter(room_bookings::event_id.eq(id)))
                .execute(conn)?
        }
        Holder::Meeting(id) => {
            diesel::delete(room_bookings::table.filter(room_bookings::meeting_id.eq(id)))
                .execute(conn)?
        }
    };
    for room in room_ids {
        diesel::insert_into(room_bookings::table)
            .values((
                room_bookings::id.eq(super::new_id()),
                room_bookings::event_id.eq(event_id),
                room_bookings::meeting_id.eq(meeting_id),
                room_bookings::room_id.eq(*room),
                room_bookings::starts_at.eq(starts_at),
                room_bookings::ends_at.eq(ends_at),
                room_bookings::active.eq(active),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Serializes bookings of these rooms until the transaction ends. On
/// PostgreSQL that is a row lock on the rooms (in id order, so that two
/// writers cannot deadlock); on SQLite the `BEGIN IMMEDIATE` of `write_tx`
/// already holds the database's single write lock.
pub fn lock_rooms(conn: &mut DbConn, room_ids: &[&RoomId]) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => rooms::table
            .filter(rooms::id.eq_any(room_ids))
            .select(rooms::id)
            .order(rooms::id.asc())
            .for_update()
            .load::<String>(pg)
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Active bookings of these rooms that overlap [starts_at, ends_at), other
/// than `except`'s own: (room id, what holds it).
pub fn overlapping(
    conn: &mut DbConn,
    room_ids: &[&RoomId],
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    except: Option<Holder<'_>>,
) -> QueryResult<Vec<(RoomId, BookedBy)>> {
    let mut query = room_bookings::table
        .left_join(events::table)
        .left_join(meetings::table)
        .filter(room_bookings::room_id.eq_any(room_ids))
        .filter(room_bookings::active.eq(true))
        .filter(room_bookings::starts_at.lt(ends_at))
        .filter(room_bookings::ends_at.gt(starts_at))
        .select((
            room_bookings::room_id,
            Option::<Event>::as_select(),
            Option::<Meeting>::as_select(),
        ))
        .into_boxed();
    match except {
        Some(Holder::Event(id)) => {
            query = query.filter(
                room_bookings::event_id
                    .is_null()
                    .or(room_bookings::event_id.ne(id)),
            )
        }
        Some(Holder::Meeting(id)) => {
            query = query.filter(
                room_bookings::meeting_id
                    .is_null()
                    .or(room_bookings::meeting_id.ne(id)),
            )
        }
        None => {}
    }
    let rows: Vec<(RoomId, Option<Event>, Option<Meeting>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(room, event, meeting)| match (event, meeting) {
            (Some(e), _) => Some((room, BookedBy::Event(e))),
            (None, Some(m)) => Some((room, BookedBy::Meeting(m))),
            (None, None) => None,
        })
        .collect())
}

/// When meetings hold rooms of a venue from `from` on: (room id, start,
/// end), and nothing else about them (the venue page shows them as booked).
pub fn meeting_slots(
    conn: &mut DbConn,
    venue_id: &VenueId,
    from: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(RoomId, NaiveDateTime, NaiveDateTime)>> {
    room_bookings::table
        .inner_join(rooms::table)
        .filter(rooms::venue_id.eq(venue_id))
        .filter(room_bookings::meeting_id.is_not_null())
        .filter(room_bookings::active.eq(true))
        .filter(room_bookings::ends_at.gt(from))
        .order((room_bookings::starts_at.asc(), room_bookings::room_id.asc()))
        .limit(limit)
        .select((
            room_bookings::room_id,
            room_bookings::starts_at,
            room_bookings::ends_at,
        ))
        .load(conn)
}
