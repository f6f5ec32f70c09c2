//! The SEQUENCE of each person's copy of an event or meeting (RFC 5546
//! §2.1.4): never lower than what that person was sent, and higher once a
//! cancelled copy comes back (a guest who cancels and registers again, an
//! event restored, an attendee taken off and put back). Kept per keyed
//! email hash and subject, so that a new registration or attendee row for
//! the same person continues the count.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::DbConn;
use super::schema::calendar_sequences as cs;

/// The subject of an event's copies (`event-<id>`), as in its UID.
pub fn event_subject(id: &impl std::fmt::Display) -> String {
    format!("event-{id}")
}

/// The subject of a meeting's copies (`meeting-<id>`), as in its UID.
pub fn meeting_subject(id: &impl std::fmt::Display) -> String {
    format!("meeting-{id}")
}

/// The SEQUENCE of the next iTIP message to `email_key` about `subject`
/// at `revision`: at least `base` and what was sent last; one more than
/// that when the subject changed since (a higher revision: a new time,
/// place or attendee list) or when the message turns a cancelled copy
/// into a live one or a live one into a cancelled one.
pub fn next(
    conn: &mut DbConn,
    email_key: &str,
    subject: &str,
    revision: i32,
    base: i32,
    cancels: bool,
) -> QueryResult<i32> {
    let last: Option<(i32, i32, bool)> = cs::table
        .find((email_key, subject))
        .select((cs::sequence, cs::revision, cs::cancelled))
        .first(conn)
        .optional()?;
    Ok(match last {
        None => base,
        // A cancelled copy comes back: above the CANCEL, and above what the
        // person's feed shows for a cancelled copy (the revision now plus
        // one, see `service::calendars::personal`).
        Some((sequence, _, true)) if !cancels => base.max(sequence.max(revision + 1) + 1),
        Some((sequence, sent_at, cancelled)) if cancelled != cancels || revision > sent_at => {
            base.max(sequence + 1)
        }
        Some((sequence, _, _)) => base.max(sequence),
    })
}

/// Records the message just queued with `sequence`, about `revision`.
pub fn record(
    conn: &mut DbConn,
    email_key: &str,
    subject: &str,
    (sequence, revision): (i32, i32),
    cancels: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        cs::email_key.eq(email_key),
        cs::subject.eq(subject),
        cs::sequence.eq(sequence),
        cs::revision.eq(revision),
        cs::cancelled.eq(cancels),
        cs::updated_at.eq(now),
    );
    let upsert = diesel::insert_into(cs::table)
        .values(row)
        .on_conflict((cs::email_key, cs::subject))
        .do_update()
        .set((
            cs::sequence.eq(excluded(cs::sequence)),
            cs::revision.eq(excluded(cs::revision)),
            cs::cancelled.eq(excluded(cs::cancelled)),
            cs::updated_at.eq(excluded(cs::updated_at)),
        ));
    per_backend!(conn, |c| upsert.execute(c)).map(drop)
}

/// The SEQUENCE of each subject one person was sent last.
pub fn for_email(
    conn: &mut DbConn,
    email_key: &str,
) -> QueryResult<std::collections::HashMap<String, i32>> {
    Ok(cs::table
        .filter(cs::email_key.eq(email_key))
        .select((cs::subject, cs::sequence))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect())
}

/// What one person was sent last about one subject.
pub fn of(conn: &mut DbConn, email_key: &str, subject: &str) -> QueryResult<Option<i32>> {
    cs::table
        .find((email_key, subject))
        .select(cs::sequence)
        .first(conn)
        .optional()
}

/// Forgets a person's event copies (their registrations are being
/// deleted); their meeting copies stay with their attendee rows.
pub fn delete_events_for_email(conn: &mut DbConn, email_key: &str) -> QueryResult<usize> {
    diesel::delete(
        cs::table
            .filter(cs::email_key.eq(email_key))
            .filter(cs::subject.like("event-%")),
    )
    .execute(conn)
}
