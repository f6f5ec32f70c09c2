//! Business meetings: created, changed, cancelled and listed, each in one
//! transaction that also books the room and queues every attendee's mail.

use std::collections::{HashMap, HashSet};

use crate::db::bookings::{self, Holder};
use crate::db::meetings::{
    self as mdb, AttendeeChanges, MeetingDetails, MeetingFilter, MeetingRow,
};
use crate::db::{self, DbConn, organizations as orgs, to_utc, venues as vdb, write_tx};
use crate::domain::{AttendeeId, EventId, Invalid, MeetingId, MeetingStatus, PartStat, RoomId};
use crate::error::AppError;
use crate::service::keys::LinkKeys;

pub mod attendee;
mod fields;
mod mail;
mod resolve;

use resolve::{changes, ensure_attendees_free, insert_attendee, resolve};

pub use fields::{
    AttendeeFields, AttendeeInput, Company, MAX_ATTENDEES, MeetingFields, MeetingInput,
};

fn row<'a>(
    input: &'a MeetingInput,
    event_id: Option<&'a EventId>,
    reminder_offsets: &'a str,
    status: MeetingStatus,
    revision: i32,
) -> MeetingRow<'a> {
    MeetingRow {
        title_ja: input.title_ja.as_str(),
        title_en: input.title_en.as_str(),
        agenda: input.agenda.as_str(),
        starts_at: db::from_utc(input.schedule.starts_at()),
        ends_at: db::from_utc(input.schedule.ends_at()),
        time_zone: input.schedule.zone().name(),
        room_id: input.room_id.as_ref(),
        online_url: input.online_url.as_ref().map(|u| u.as_str()),
        event_id,
        interpreter: input.interpreter.as_ref().map(|i| i.as_str()),
        status,
        revision,
        reminder_offsets,
        updated_at: db::now(),
        table_label: input.table_label.as_deref(),
    }
}

#[tracing::instrument(skip_all)]
pub fn create(
    conn: &mut DbConn,
    keys: &LinkKeys,
    input: &MeetingInput,
) -> Result<MeetingDetails, AppError> {
    // Meetings are in no public page or feed: the data version (the
    // public feeds' cache key) stays as it is.
    write_tx(conn, |conn| create_in(conn, keys, input))
}

/// [`create`] inside the caller's transaction.
pub fn create_in(
    conn: &mut DbConn,
    keys: &LinkKeys,
    input: &MeetingInput,
) -> Result<MeetingDetails, AppError> {
    {
        // All of them: few, and typed company names are matched against them.
        let organizations = orgs::list(conn)?;
        let (event_id, attendees) = resolve(conn, input, &organizations)?;
        let id = MeetingId::generate();
        if let Some(room_id) = input
            .room_id
            .as_ref()
            .filter(|_| input.table_label.is_none())
        {
            let rooms = vdb::rooms_by_ids(conn, &[room_id])?;
            crate::service::bookings::ensure_rooms_free(
                conn,
                &[room_id],
                &rooms,
                input.schedule.starts_at(),
                input.schedule.ends_at(),
                None,
                "room_id",
            )?;
        }
        let emails: Vec<&str> = attendees.iter().map(|a| a.email_key.as_str()).collect();
        ensure_attendees_free(conn, &emails, input, None)?;
        let offsets = input.reminder_offsets.to_stored();
        let now = db::now();
        mdb::insert(
            conn,
            &id,
            &row(
                input,
                event_id.as_ref(),
                &offsets,
                MeetingStatus::Confirmed,
                0,
            ),
        )?;
        for (i, a) in attendees.iter().enumerate() {
            insert_attendee(conn, keys, &id, a, i as i32, now)?;
        }
        book(conn, &id, input, true)?;
        let after = load(conn, &id)?;
        mail::meeting_created(conn, &after)?;
        Ok(after)
    }
}

fn book(
    conn: &mut DbConn,
    id: &MeetingId,
    input: &MeetingInput,
    active: bool,
) -> Result<(), AppError> {
    // A partnering table shares its room with the others: the event books it.
    let rooms: Vec<&RoomId> = input
        .room_id
        .iter()
        .filter(|_| input.table_label.is_none())
        .collect();
    bookings::set(
        conn,
        Holder::Meeting(id),
        &rooms,
        db::from_utc(input.schedule.starts_at()),
        db::from_utc(input.schedule.ends_at()),
        active,
    )?;
    Ok(())
}

/// What a change did, for the mail it causes.
#[derive(Debug, Default)]
pub struct Change {
    /// A new time or place: every answer starts again.
    pub moved: bool,
    pub added: Vec<AttendeeId>,
    pub removed: Vec<AttendeeId>,
}

impl Change {
    pub fn is_significant(&self) -> bool {
        self.moved || !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// Changes a meeting: a new time or place, or a changed attendee list,
/// raises the revision and tells the attendees (see [`mail::meeting_changed`]).
#[tracing::instrument(skip(conn, keys, input))]
pub fn update(
    conn: &mut DbConn,
    keys: &LinkKeys,
    id: &MeetingId,
    input: &MeetingInput,
) -> Result<MeetingDetails, AppError> {
    let input = input.clone();
    change(conn, keys, id, move |_| Ok(input))
}

/// Changes a meeting to what `build` makes of it as it is now (a PATCH
/// merges into the stored meeting): read, built and written in one
/// transaction, under the meeting's lock, so that two changes made at
/// once cannot undo each other.
pub fn change(
    conn: &mut DbConn,
    keys: &LinkKeys,
    id: &MeetingId,
    build: impl FnOnce(&MeetingDetails) -> Result<MeetingInput, AppError>,
) -> Result<MeetingDetails, AppError> {
    write_tx(conn, |conn| change_in(conn, keys, id, build))
}

/// [`change`] inside the caller's transaction.
pub fn change_in(
    conn: &mut DbConn,
    keys: &LinkKeys,
    id: &MeetingId,
    build: impl FnOnce(&MeetingDetails) -> Result<MeetingInput, AppError>,
) -> Result<MeetingDetails, AppError> {
    {
        mdb::lock(conn, id)?;
        let current = load(conn, id)?;
        ensure_not_cancelled(&current)?;
        let mut input = build(&current)?;
        // A partnering meeting stays at a table unless moved to another.
        if input.table_label.is_none() {
            input.table_label.clone_from(&current.meeting.table_label);
        }
        let input = &input;
        let m = &current.meeting;
        if let Some(expected) = input.expected_revision
            && expected != m.revision
        {
            return Err(AppError::conflict(
                Some("revision"),
                Invalid::new("conflict.stale_revision").with("current", m.revision),
            ));
        }
        // All of them: few, and typed company names are matched against them.
        let organizations = orgs::list(conn)?;
        let (event_id, attendees) = resolve(conn, input, &organizations)?;
        let moved = to_utc(m.starts_at) != input.schedule.starts_at()
            || to_utc(m.ends_at) != input.schedule.ends_at()
            || m.time_zone != input.schedule.zone().name()
            || m.room_id != input.room_id
            || m.table_label != input.table_label
            || m.online_url.as_deref() != input.online_url.as_ref().map(|u| u.as_str());
        if let Some(room_id) = input
            .room_id
            .as_ref()
            .filter(|_| input.table_label.is_none())
        {
            let rooms = vdb::rooms_by_ids(conn, &[room_id])?;
            crate::service::bookings::ensure_rooms_free(
                conn,
                &[room_id],
                &rooms,
                input.schedule.starts_at(),
                input.schedule.ends_at(),
                Some(Holder::Meeting(id)),
                "room_id",
            )?;
        }
        let by_email: HashMap<&str, &mdb::AttendeeDetails> = current
            .attendees
            .iter()
            .map(|a| (a.attendee.email_key.as_str(), a))
            .collect();
        let timing_changed = to_utc(m.starts_at) != input.schedule.starts_at()
            || to_utc(m.ends_at) != input.schedule.ends_at();
        // Everyone is checked when the time moves; otherwise those joining.
        let to_check: Vec<&str> = attendees
            .iter()
            .filter(|a| {
                timing_changed
                    || !by_email
                        .get(a.email_key.as_str())
                        .is_some_and(|old| old.attendee.is_listed())
            })
            .map(|a| a.email_key.as_str())
            .collect();
        ensure_attendees_free(conn, &to_check, input, Some(id))?;
        let now = db::now();
        let mut change = Change {
            moved,
            ..Change::default()
        };
        let wanted: HashSet<&str> = attendees.iter().map(|a| a.email_key.as_str()).collect();
        for (i, a) in attendees.iter().enumerate() {
            match by_email.get(a.email_key.as_str()) {
                Some(old) if old.attendee.is_listed() => {
                    let partstat = if moved {
                        PartStat::NeedsAction
                    } else {
                        old.attendee.partstat
                    };
                    mdb::update_attendee(conn, &old.attendee.id, &changes(a, i as i32, partstat))?;
                }
                Some(old) => {
                    // Back on the list: a fresh invite, a fresh answer.
                    mdb::update_attendee(
                        conn,
                        &old.attendee.id,
                        &changes(a, i as i32, PartStat::NeedsAction),
                    )?;
                    change.added.push(old.attendee.id.clone());
                }
                None => {
                    change
                        .added
                        .push(insert_attendee(conn, keys, id, a, i as i32, now)?);
                }
            }
        }
        for old in current.listed() {
            if !wanted.contains(old.attendee.email_key.as_str()) {
                let a = &old.attendee;
                mdb::update_attendee(
                    conn,
                    &a.id,
                    &AttendeeChanges {
                        position: a.position,
                        email: &a.email,
                        name: &a.name,
                        organization_id: a.organization_id.as_ref(),
                        organization: a.organization.as_deref(),
                        country: &a.country,
                        time_zone: &a.time_zone,
                        language: &a.language,
                        partstat: a.partstat,
                        removed_at: Some(now),
                        updated_at: now,
                    },
                )?;
                change.removed.push(a.id.clone());
            }
        }
        if moved {
            mdb::reset_answers(conn, id, now)?;
        }
        let revision = if change.is_significant() {
            m.revision + 1
        } else {
            m.revision
        };
        let offsets = input.reminder_offsets.to_stored();
        mdb::update(
            conn,
            id,
            &row(input, event_id.as_ref(), &offsets, m.status, revision),
        )?;
        book(conn, id, input, true)?;
        let after = load(conn, id)?;
        mail::meeting_changed(conn, &current, &after, &change)?;
        Ok(after)
    }
}

/// A cancelled meeting is final.
pub fn ensure_not_cancelled(current: &MeetingDetails) -> Result<(), AppError> {
    if current.meeting.status == MeetingStatus::Cancelled {
        return Err(AppError::conflict(
            Some("status"),
            Invalid::new("conflict.meeting_cancelled"),
        ));
    }
    Ok(())
}

/// Cancels a meeting: its room and attendees are free at once, its
/// revision rises and every attendee gets a CANCEL. Twice changes nothing.
#[tracing::instrument(skip(conn))]
pub fn cancel(conn: &mut DbConn, id: &MeetingId) -> Result<MeetingDetails, AppError> {
    write_tx(conn, |conn| cancel_in(conn, id))
}

/// [`cancel`] inside the caller's transaction.
pub fn cancel_in(conn: &mut DbConn, id: &MeetingId) -> Result<MeetingDetails, AppError> {
    {
        mdb::lock(conn, id)?;
        let current = load(conn, id)?;
        let m = &current.meeting;
        if m.status == MeetingStatus::Cancelled {
            return Ok(current);
        }
        let rooms: Vec<&RoomId> = m.room_id.iter().collect();
        bookings::set(
            conn,
            Holder::Meeting(id),
            &rooms,
            m.starts_at,
            m.ends_at,
            false,
        )?;
        mdb::update(
            conn,
            id,
            &MeetingRow {
                title_ja: &m.title_ja,
                title_en: &m.title_en,
                agenda: &m.agenda,
                starts_at: m.starts_at,
                ends_at: m.ends_at,
                time_zone: &m.time_zone,
                room_id: m.room_id.as_ref(),
                online_url: m.online_url.as_deref(),
                event_id: m.event_id.as_ref(),
                interpreter: m.interpreter.as_deref(),
                status: MeetingStatus::Cancelled,
                revision: m.revision + 1,
                reminder_offsets: &m.reminder_offsets,
                updated_at: db::now(),
                table_label: m.table_label.as_deref(),
            },
        )?;
        let after = load(conn, id)?;
        mail::meeting_cancelled(conn, &after)?;
        Ok(after)
    }
}

/// One meeting with its place and attendees.
pub fn load(conn: &mut DbConn, id: &MeetingId) -> Result<MeetingDetails, AppError> {
    let meeting = mdb::find(conn, id)?.ok_or(AppError::NotFound)?;
    mdb::with_details(conn, vec![meeting])?
        .pop()
        .ok_or(AppError::NotFound)
}

pub fn list(conn: &mut DbConn, filter: MeetingFilter<'_>) -> Result<Vec<MeetingDetails>, AppError> {
    let meetings = mdb::list(conn, filter)?;
    Ok(mdb::with_details(conn, meetings)?)
}
