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
    let meeting = super::load(conn, &attendee.meeting_id)?;
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
        db::data_version::touch(conn)?;
        let before = attendee.partstat;
        mdb::set_partstat(conn, &attendee.id, partstat, db::now())?;
        let after = Attendee {
            partstat,
            ..attendee
        };
        mail::answered(conn, &after, &meeting, before)?;
        Ok(after)
    })
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

/// Re-exported for the routes: a link token for an attendee.
pub fn link_token(keys: &LinkKeys, attendee: &Attendee) -> Token {
    keys.attendee(&attendee.id)
}
