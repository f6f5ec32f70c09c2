//! What the private calendars hold: a person's own feed (their
//! registrations and meetings, by email) and the staff calendar of each
//! organizer account (every event and every meeting).

use chrono::{Duration, NaiveDateTime};

use crate::db::events::{self as edb, EventDetails, EventFilter};
use crate::db::meetings::{self as mdb, Attendee, MeetingDetails, MeetingFilter};
use crate::db::registrations as rdb;
use crate::db::{self, DbConn, users};
use crate::domain::{EventId, EventStatus, MeetingStatus, RegistrationStatus, Token, UserId};
use crate::error::AppError;
use crate::service::keys::LinkKeys;

/// Cancelled events and meetings (and copies of them a person no longer
/// has) stay in calendars this long after their end, so that subscribed
/// calendars see the cancellation and remove them.
pub const CANCELLED_GRACE_DAYS: i64 = 30;

/// A person's calendar: events they registered for, and their copy of
/// each meeting they were invited to.
pub struct Personal {
    pub events: Vec<EventDetails>,
    pub meetings: Vec<(Attendee, MeetingDetails)>,
    /// When any of it last changed.
    pub changed_at: NaiveDateTime,
    /// The language the person chose last (on a registration, else as a
    /// meeting attendee): the feed's language unless `?lang=` says otherwise.
    pub language: Option<String>,
}

pub fn personal(conn: &mut DbConn, token: &str) -> Result<Personal, AppError> {
    let key = crate::service::registrations::feed_owner(conn, token)?;
    let cutoff = db::now() - Duration::days(CANCELLED_GRACE_DAYS);
    let registrations = rdb::for_email(conn, &key)?;
    // Each copy carries the SEQUENCE its reader was sent last (never less
    // than the subject's revision).
    let sent = db::sequences::for_email(conn, &key)?;
    let sent_for = |subject: String| sent.get(&subject).copied().unwrap_or(i32::MIN);
    let mut changed_at = NaiveDateTime::MIN;
    let mut wanted: Vec<(EventId, bool)> = Vec::new();
    for r in &registrations {
        changed_at = changed_at.max(r.updated_at);
        let active = r.status != RegistrationStatus::Cancelled;
        match wanted.iter_mut().find(|(id, _)| *id == r.event_id) {
            Some(entry) => entry.1 |= active,
            None => wanted.push((r.event_id.clone(), active)),
        }
    }
    let ids: Vec<&EventId> = wanted.iter().map(|(id, _)| id).collect();
    let mut events = Vec::new();
    for mut event in edb::find_many(conn, &ids)? {
        let active = wanted.iter().any(|(id, a)| *id == event.id && *a);
        if event.status == EventStatus::Draft {
            continue;
        }
        if !active || event.status == EventStatus::Cancelled {
            if event.ends_at < cutoff {
                continue;
            }
            if !active {
                // Matches the CANCEL the guest was sent.
                event.status = EventStatus::Cancelled;
                event.revision += 1;
            }
        }
        event.revision = event
            .revision
            .max(sent_for(db::sequences::event_subject(&event.id)));
        changed_at = changed_at.max(event.updated_at);
        events.push(event);
    }
    events.sort_by_key(|e| e.starts_at);
    let events = edb::with_details(conn, events)?;

    let mut copies: Vec<(Attendee, mdb::Meeting)> = Vec::new();
    for (attendee, meeting) in mdb::for_email(conn, &key)? {
        let gone = meeting.status == MeetingStatus::Cancelled
            || !attendee.is_listed()
            || attendee.partstat == crate::domain::PartStat::Declined;
        if gone && meeting.ends_at < cutoff {
            continue;
        }
        changed_at = changed_at.max(meeting.updated_at).max(attendee.updated_at);
        copies.push((attendee, meeting));
    }
    for (_, meeting) in &mut copies {
        meeting.revision = meeting
            .revision
            .max(sent_for(db::sequences::meeting_subject(&meeting.id)));
    }
    let details = mdb::with_details(conn, copies.iter().map(|(_, m)| m.clone()).collect())?;
    let language = registrations
        .iter()
        .max_by_key(|r| r.updated_at)
        .map(|r| r.language.clone())
        .or_else(|| {
            copies
                .iter()
                .max_by_key(|(a, _)| a.updated_at)
                .map(|(a, _)| a.language.clone())
        });
    let meetings = copies.into_iter().map(|(a, _)| a).zip(details).collect();
    Ok(Personal {
        events,
        meetings,
        changed_at,
        language,
    })
}

/// The token of an organizer's staff calendar (created on first use).
pub fn staff_feed_token(
    conn: &mut DbConn,
    keys: &LinkKeys,
    user: &UserId,
) -> Result<Token, AppError> {
    let generation = users::staff_feed_generation(
        conn,
        user,
        |g| keys.staff_feed(user, g).hash().as_str().to_owned(),
        db::now(),
    )?;
    Ok(keys.staff_feed(user, generation))
}

/// A new URL for an organizer's staff calendar; the old one stops working.
pub fn rotate_staff_feed(
    conn: &mut DbConn,
    keys: &LinkKeys,
    user: &UserId,
) -> Result<Token, AppError> {
    let generation = db::write_tx(conn, |conn| {
        users::rotate_staff_feed(
            conn,
            user,
            |g| keys.staff_feed(user, g).hash().as_str().to_owned(),
            db::now(),
        )
    })?;
    Ok(keys.staff_feed(user, generation))
}

/// The staff calendar: every event (drafts too) and every meeting, those
/// cancelled for the grace period after their end.
pub fn staff(
    conn: &mut DbConn,
    token: &str,
) -> Result<(Vec<EventDetails>, Vec<MeetingDetails>), AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    users::user_of_staff_feed(conn, token.hash().as_str())?.ok_or(AppError::NotFound)?;
    let cutoff = db::now() - Duration::days(CANCELLED_GRACE_DAYS);
    let events = edb::list(
        conn,
        EventFilter {
            cancelled_ended_after: Some(cutoff),
            ..Default::default()
        },
    )?;
    let events = edb::with_details(conn, events)?;
    let meetings = mdb::list(
        conn,
        MeetingFilter {
            cancelled_ended_after: Some(cutoff),
            ..Default::default()
        },
    )?;
    Ok((events, mdb::with_details(conn, meetings)?))
}
