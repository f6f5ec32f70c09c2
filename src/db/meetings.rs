//! Business meetings and their attendees: one aggregate, so one module
//! (about 500 lines: the attendee queries belong with the meeting's).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::events::Event;
use super::organizations::Organization;
use super::schema::{events, meeting_attendees, meetings, organizations, rooms, venues};
use super::venues::{Room, Venue};
use crate::domain::{AttendeeId, EventId, Language, MeetingId, OrganizationId, RoomId};
use crate::domain::{MeetingStatus, PartStat};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = meetings)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Meeting {
    pub id: MeetingId,
    pub title_ja: String,
    pub title_en: String,
    pub agenda: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: String,
    pub room_id: Option<RoomId>,
    pub online_url: Option<String>,
    pub event_id: Option<EventId>,
    pub interpreter: Option<String>,
    pub status: MeetingStatus,
    pub revision: i32,
    pub reminder_offsets: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A partnering meeting's table (its room is shared, not booked).
    pub table_label: Option<String>,
}

/// A meeting as written: on creation (with `id`, `created_at`) and on change.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = meetings, treat_none_as_null = true)]
pub struct MeetingRow<'a> {
    pub title_ja: &'a str,
    pub title_en: &'a str,
    pub agenda: &'a str,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: &'a str,
    pub room_id: Option<&'a RoomId>,
    pub online_url: Option<&'a str>,
    pub event_id: Option<&'a EventId>,
    pub interpreter: Option<&'a str>,
    pub status: MeetingStatus,
    pub revision: i32,
    pub reminder_offsets: &'a str,
    pub updated_at: NaiveDateTime,
    pub table_label: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = meeting_attendees)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Attendee {
    pub id: AttendeeId,
    pub meeting_id: MeetingId,
    pub position: i32,
    pub email: String,
    pub email_key: String,
    pub name: String,
    pub organization_id: Option<OrganizationId>,
    pub organization: Option<String>,
    pub country: String,
    pub time_zone: String,
    pub language: String,
    pub partstat: PartStat,
    pub token_hash: String,
    pub link_generation: i32,
    pub reminders: bool,
    pub answered_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Attendee {
    pub fn is_listed(&self) -> bool {
        self.removed_at.is_none()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = meeting_attendees)]
pub struct NewAttendee<'a> {
    pub id: &'a AttendeeId,
    pub meeting_id: &'a MeetingId,
    pub position: i32,
    pub email: &'a str,
    pub email_key: &'a str,
    pub name: &'a str,
    pub organization_id: Option<&'a OrganizationId>,
    pub organization: Option<&'a str>,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub language: &'a str,
    pub partstat: PartStat,
    pub token_hash: &'a str,
    pub reminders: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an organizer changes about a listed attendee (their email is who
/// they are: a new email is a new attendee).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = meeting_attendees, treat_none_as_null = true)]
pub struct AttendeeChanges<'a> {
    pub position: i32,
    pub email: &'a str,
    pub name: &'a str,
    pub organization_id: Option<&'a OrganizationId>,
    pub organization: Option<&'a str>,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub language: &'a str,
    pub partstat: PartStat,
    pub removed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// An attendee with the organization they come from, when it is a known one.
#[derive(Debug, Clone)]
pub struct AttendeeDetails {
    pub attendee: Attendee,
    pub organization: Option<Organization>,
}

impl AttendeeDetails {
    /// The company's name in `lang`.
    pub fn company(&self, lang: Language) -> &str {
        match &self.organization {
            Some(o) => lang.pick(&o.name_ja, &o.name_en),
            None => self.attendee.organization.as_deref().unwrap_or_default(),
        }
    }
}

/// A meeting with its place, parent event and every attendee (those taken
/// off the list too, in list order after the listed ones).
#[derive(Debug, Clone)]
pub struct MeetingDetails {
    pub meeting: Meeting,
    pub room: Option<(Room, Venue)>,
    pub event: Option<Event>,
    pub attendees: Vec<AttendeeDetails>,
}

impl MeetingDetails {
    pub fn listed(&self) -> impl Iterator<Item = &AttendeeDetails> {
        self.attendees.iter().filter(|a| a.attendee.is_listed())
    }
}

pub fn insert(conn: &mut DbConn, id: &MeetingId, row: &MeetingRow<'_>) -> QueryResult<()> {
    diesel::insert_into(meetings::table)
        .values((
            meetings::id.eq(id),
            row,
            meetings::created_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn update(conn: &mut DbConn, id: &MeetingId, row: &MeetingRow<'_>) -> QueryResult<()> {
    diesel::update(meetings::table.find(id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &MeetingId) -> QueryResult<Option<Meeting>> {
    meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)
        .optional()
}

/// Serializes changes of one meeting (its attendees and their answers)
/// until the transaction ends: a row lock on PostgreSQL; on SQLite the
/// single write lock of `write_tx` already does.
pub fn lock(conn: &mut DbConn, id: &MeetingId) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => meetings::table
            .find(id)
            .select(meetings::id)
            .for_update()
            .load::<String>(pg)
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

pub fn find_many(conn: &mut DbConn, ids: &[&MeetingId]) -> QueryResult<Vec<Meeting>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    meetings::table
        .filter(meetings::id.eq_any(ids))
        .select(Meeting::as_select())
        .load(conn)
}

/// Which meetings a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeetingFilter<'a> {
    /// Only meetings that end after this instant.
    pub ends_after: Option<NaiveDateTime>,
    /// Only meetings that start before this instant.
    pub starts_before: Option<NaiveDateTime>,
    /// Only meetings with a listed attendee of this organization.
    pub organization_id: Option<&'a OrganizationId>,
    /// Only meetings with this attendee (listed or not), by email key.
    pub email_key: Option<&'a str>,
    /// Leaves out cancelled meetings that ended before this instant.
    pub cancelled_ended_after: Option<NaiveDateTime>,
    pub limit: Option<i64>,
}

pub fn list(conn: &mut DbConn, filter: MeetingFilter<'_>) -> QueryResult<Vec<Meeting>> {
    let mut query = meetings::table
        .select(Meeting::as_select())
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .into_boxed();
    if let Some(t) = filter.ends_after {
        query = query.filter(meetings::ends_at.gt(t));
    }
    if let Some(t) = filter.starts_before {
        query = query.filter(meetings::starts_at.lt(t));
    }
    if let Some(org) = filter.organization_id {
        let with_org = meeting_attendees::table
            .filter(meeting_attendees::organization_id.eq(org))
            .filter(meeting_attendees::removed_at.is_null())
            .select(meeting_attendees::meeting_id);
        query = query.filter(meetings::id.eq_any(with_org));
    }
    if let Some(key) = filter.email_key {
        let with_email = meeting_attendees::table
            .filter(meeting_attendees::email_key.eq(key))
            .select(meeting_attendees::meeting_id);
        query = query.filter(meetings::id.eq_any(with_email));
    }
    if let Some(cutoff) = filter.cancelled_ended_after {
        query = query.filter(
            meetings::status
                .ne(MeetingStatus::Cancelled)
                .or(meetings::ends_at.gt(cutoff)),
        );
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    query.load(conn)
}

/// Rooms, parent events, attendees and their organizations of many
/// meetings, in four queries.
pub fn with_details(conn: &mut DbConn, list: Vec<Meeting>) -> QueryResult<Vec<MeetingDetails>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&MeetingId> = list.iter().map(|m| &m.id).collect();
    let room_ids: Vec<&RoomId> = list.iter().filter_map(|m| m.room_id.as_ref()).collect();
    let event_ids: Vec<&EventId> = list.iter().filter_map(|m| m.event_id.as_ref()).collect();
    let rooms: HashMap<RoomId, (Room, Venue)> = if room_ids.is_empty() {
        HashMap::new()
    } else {
        rooms::table
            .inner_join(venues::table)
            .filter(rooms::id.eq_any(&room_ids))
            .select((Room::as_select(), Venue::as_select()))
            .load::<(Room, Venue)>(conn)?
            .into_iter()
            .map(|(r, v)| (r.id.clone(), (r, v)))
            .collect()
    };
    let parents: HashMap<EventId, Event> = if event_ids.is_empty() {
        HashMap::new()
    } else {
        events::table
            .filter(events::id.eq_any(&event_ids))
            .select(Event::as_select())
            .load::<Event>(conn)?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect()
    };
    let attendee_rows: Vec<(Attendee, Option<Organization>)> = meeting_attendees::table
        .left_join(organizations::table)
        .filter(meeting_attendees::meeting_id.eq_any(&ids))
        .order((
            meeting_attendees::meeting_id.asc(),
            meeting_attendees::position.asc(),
        ))
        .select((Attendee::as_select(), Option::<Organization>::as_select()))
        .load(conn)?;
    let mut attendees: HashMap<MeetingId, Vec<AttendeeDetails>> = HashMap::new();
    for (attendee, organization) in attendee_rows {
        attendees
            .entry(attendee.meeting_id.clone())
            .or_default()
            .push(AttendeeDetails {
                attendee,
                organization,
            });
    }
    Ok(list
        .into_iter()
        .map(|meeting| {
            let mut list = attendees.remove(&meeting.id).unwrap_or_default();
            // Listed first (in their order), then those taken off.
            list.sort_by_key(|a| (!a.attendee.is_listed(), a.attendee.position));
            MeetingDetails {
                room: meeting
                    .room_id
                    .as_ref()
                    .and_then(|id| rooms.get(id).cloned()),
                event: meeting
                    .event_id
                    .as_ref()
                    .and_then(|id| parents.get(id).cloned()),
                attendees: list,
                meeting,
            }
        })
        .collect())
}

pub fn insert_attendee(conn: &mut DbConn, new: &NewAttendee<'_>) -> QueryResult<()> {
    diesel::insert_into(meeting_attendees::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

pub fn update_attendee(
    conn: &mut DbConn,
    id: &AttendeeId,
    changes: &AttendeeChanges<'_>,
) -> QueryResult<()> {
    diesel::update(meeting_attendees::table.find(id))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Records an attendee's answer.
pub fn set_partstat(
    conn: &mut DbConn,
    id: &AttendeeId,
    partstat: PartStat,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(meeting_attendees::table.find(id))
        .set((
            meeting_attendees::partstat.eq(partstat),
            meeting_attendees::answered_at.eq(Some(now)),
            meeting_attendees::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Every listed attendee back to "not yet answered" (a new time or place).
pub fn reset_answers(
    conn: &mut DbConn,
    meeting_id: &MeetingId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        meeting_attendees::table
            .filter(meeting_attendees::meeting_id.eq(meeting_id))
            .filter(meeting_attendees::removed_at.is_null()),
    )
    .set((
        meeting_attendees::partstat.eq(PartStat::NeedsAction),
        meeting_attendees::answered_at.eq(None::<NaiveDateTime>),
        meeting_attendees::updated_at.eq(now),
    ))
    .execute(conn)
    .map(drop)
}

/// A new link for an attendee: the old one stops working.
pub fn set_link(
    conn: &mut DbConn,
    id: &AttendeeId,
    generation: i32,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(meeting_attendees::table.find(id))
        .set((
            meeting_attendees::link_generation.eq(generation),
            meeting_attendees::token_hash.eq(token_hash),
            meeting_attendees::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_reminders(conn: &mut DbConn, id: &AttendeeId, on: bool) -> QueryResult<()> {
    diesel::update(meeting_attendees::table.find(id))
        .set(meeting_attendees::reminders.eq(on))
        .execute(conn)
        .map(drop)
}

pub fn find_attendee_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Attendee>> {
    meeting_attendees::table
        .filter(meeting_attendees::token_hash.eq(hash))
        .select(Attendee::as_select())
        .first(conn)
        .optional()
}

pub fn find_attendees(conn: &mut DbConn, ids: &[&AttendeeId]) -> QueryResult<Vec<Attendee>> {
    meeting_attendees::table
        .filter(meeting_attendees::id.eq_any(ids))
        .select(Attendee::as_select())
        .load(conn)
}

/// Listed, not declining attendees of these emails in confirmed meetings
/// other than `except` that overlap [starts_at, ends_at): who is busy, and where.
pub fn attendee_conflicts(
    conn: &mut DbConn,
    email_keys: &[&str],
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    except: Option<&MeetingId>,
) -> QueryResult<Vec<(Attendee, Meeting)>> {
    let mut query = meeting_attendees::table
        .inner_join(meetings::table)
        .filter(meeting_attendees::email_key.eq_any(email_keys))
        .filter(meeting_attendees::removed_at.is_null())
        .filter(meeting_attendees::partstat.ne(PartStat::Declined))
        .filter(meetings::status.eq(MeetingStatus::Confirmed))
        .filter(meetings::starts_at.lt(ends_at))
        .filter(meetings::ends_at.gt(starts_at))
        .order(meetings::starts_at.asc())
        .select((Attendee::as_select(), Meeting::as_select()))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(meetings::id.ne(id));
    }
    query.load(conn)
}

/// Serializes meeting changes that involve these emails until the
/// transaction ends, so that two meetings cannot take one person at the
/// same time concurrently: on PostgreSQL a transaction-scoped advisory
/// lock per email (in sorted order, against deadlocks); on SQLite the
/// single write lock of `write_tx` already does.
pub fn lock_emails(conn: &mut DbConn, email_keys: &[&str]) -> QueryResult<()> {
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    let mut keys: Vec<&str> = email_keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind::<diesel::sql_types::Text, _>(format!("meeting-attendee:{key}"))
            .execute(pg)?;
    }
    Ok(())
}

/// Every attendance of this email (listed or taken off), with its meeting.
pub fn for_email(conn: &mut DbConn, email_key: &str) -> QueryResult<Vec<(Attendee, Meeting)>> {
    meeting_attendees::table
        .inner_join(meetings::table)
        .filter(meeting_attendees::email_key.eq(email_key))
        .order(meetings::starts_at.asc())
        .select((Attendee::as_select(), Meeting::as_select()))
        .load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    meetings::table.count().get_result(conn)
}
