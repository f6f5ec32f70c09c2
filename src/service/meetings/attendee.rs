//! What an attendee does with the link in their mail: see the meeting,
//! answer the invite, stop reminders.

use super::mail;
use crate::db::meetings::{self as mdb, Attendee, MeetingDetails};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{MeetingStatus, PartStat, Token};
use crate::error::AppError;
use crate::service::keys::LinkKeys;

/// An attendee by the token of their link.
pub fn by_token(conn: &mut DbConn, token: &str) -> Result<Attendee, AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    mdb::find_attendee_by_token_hash(conn, token.hash().as_str())?.ok_or(AppError::NotFound)
}

/// What the attendee's page shows.
#[derive(Debug, Clone)]
pub struct Invited {
    pub attendee: Attendee,
    pub meeting: MeetingDetails,
    pub feed_token: Token,
}

pub fn view(conn: &mut DbConn, keys: &LinkKeys, token: &str) -> Result<Invited, AppError> {
    let attendee = by_token(conn, token)?;
    let mut meeting = super::load(conn, &attendee.meeting_id)?;
    // The attendee's copy carries the SEQUENCE they were sent last.
    let subject = db::sequences::meeting_subject(&meeting.meeting.id);
    if let Some(sent) = db::sequences::of(conn, &attendee.email_key, &subject)? {
        meeting.meeting.revision = meeting.meeting.revision.max(sent);
    }
    let feed_token =
        crate::service::registrations::feed_token(conn, keys, &attendee.email_key, db::now())?;
    Ok(Invited {
        attendee,
        meeting,
        feed_token,
    })
}

/// Stores an attendee's answer (their PARTSTAT). Only a listed attendee
/// of a confirmed meeting that has not ended can answer; the same answer
/// twice changes nothing.
#[tracing::instrument(skip(conn, token))]
pub fn answer(conn: &mut DbConn, token: &str, partstat: PartStat) -> Result<Attendee, AppError> {
    if partstat == PartStat::NeedsAction {
        return Err(AppError::field(
            "partstat",
            crate::domain::Invalid::new("invalid.choice")
                .with("allowed", "accepted, tentative, declined"),
        ));
    }
    write_tx(conn, |conn| {
        // Under the meeting's lock, read again: a change made meanwhile
        // (a move that reset the answers, a removal) comes first.
        let found = by_token(conn, token)?;
        mdb::lock(conn, &found.meeting_id)?;
        let attendee = by_token(conn, token)?;
        let meeting = mdb::find(conn, &attendee.meeting_id)?.ok_or(AppError::NotFound)?;
        if meeting.status == MeetingStatus::Cancelled || !attendee.is_listed() {
            return Err(AppError::conflict(
                Some("partstat"),
                crate::domain::Invalid::new("conflict.meeting_cancelled"),
            ));
        }
        if meeting.ends_at <= db::now() {
            return Err(AppError::conflict(
                Some("partstat"),
                crate::domain::Invalid::new("conflict.meeting_over"),
            ));
        }
        if attendee.partstat == partstat {
            return Ok(attendee);
        }
        let before = attendee.partstat;
        // Taking a decline back puts the person in the meeting again: not
        // when they are in another meeting at that time meanwhile.
        if before == PartStat::Declined {
            mdb::lock_emails(conn, &[attendee.email_key.as_str()])?;
            let busy = mdb::attendee_conflicts(
                conn,
                &[attendee.email_key.as_str()],
                meeting.starts_at,
                meeting.ends_at,
                Some(&meeting.id),
            )?;
            if let Some((_, other)) = busy.first() {
                return Err(AppError::conflict(
                    Some("partstat"),
                    crate::domain::Invalid::new("conflict.attendee_busy_self")
                        .with("meeting", lang_title(&attendee, other)),
                ));
            }
        }
        mdb::set_partstat(conn, &attendee.id, partstat, db::now())?;
        let after = Attendee {
            partstat,
            ..attendee
        };
        mail::answered(conn, &after, &meeting, before)?;
        Ok(after)
    })
}

/// A new personal feed URL for the attendee's email; the old one answers
/// 404 from now on (their link was forwarded, say).
pub fn rotate_feed(conn: &mut DbConn, keys: &LinkKeys, token: &str) -> Result<Token, AppError> {
    let now = db::now();
    write_tx(conn, |conn| {
        let attendee = by_token(conn, token)?;
        crate::service::registrations::rotate_feed_of(conn, keys, &attendee.email_key, now)
    })
}

/// A meeting's title in the attendee's language.
fn lang_title(attendee: &Attendee, meeting: &crate::db::meetings::Meeting) -> String {
    crate::domain::Language::parse(&attendee.language)
        .unwrap_or_default()
        .pick(&meeting.title_ja, &meeting.title_en)
        .to_owned()
}

/// Turns an attendee's reminders off (the one-click unsubscribe).
#[tracing::instrument(skip(conn, token))]
pub fn unsubscribe(conn: &mut DbConn, token: &str) -> Result<Attendee, AppError> {
    write_tx(conn, |conn| {
        let attendee = by_token(conn, token)?;
        mdb::set_reminders(conn, &attendee.id, false)?;
        crate::db::outbox::drop_pending_meeting_reminders(
            conn,
            &attendee.meeting_id,
            Some(&attendee.id),
        )?;
        Ok(Attendee {
            reminders: false,
            ..attendee
        })
    })
}

/// Sends an attendee a new link (a forwarded invite, a lost phone): the
/// old link answers 404 from now on, and the new one goes out in a fresh
/// copy of the invite.
#[tracing::instrument(skip(conn, keys))]
pub fn new_link(
    conn: &mut DbConn,
    keys: &LinkKeys,
    meeting_id: &crate::domain::MeetingId,
    attendee_id: &crate::domain::AttendeeId,
) -> Result<Attendee, AppError> {
    write_tx(conn, |conn| {
        mdb::lock(conn, meeting_id)?;
        let meeting = mdb::find(conn, meeting_id)?.ok_or(AppError::NotFound)?;
        let attendee = mdb::find_attendees(conn, &[attendee_id])?
            .pop()
            .filter(|a| a.meeting_id == meeting.id)
            .ok_or(AppError::NotFound)?;
        let generation = attendee.link_generation + 1;
        let now = db::now();
        mdb::set_link(
            conn,
            &attendee.id,
            generation,
            keys.attendee(&attendee.id, generation).hash().as_str(),
            now,
        )?;
        let after = Attendee {
            link_generation: generation,
            ..attendee
        };
        if meeting.status == MeetingStatus::Confirmed && after.is_listed() {
            mail::new_link(conn, &after, &meeting, now)?;
        }
        Ok(after)
    })
}
