//! The outbox: mail to send, written in the transaction of the change that
//! causes it, claimed by the worker with a lease.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::outbox;
use crate::domain::{AttendeeId, EventId, MeetingId, OutboxId, RegistrationId, RequestId};
use crate::domain::{MailKind, OutboxStatus};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct OutboxRow {
    pub id: OutboxId,
    pub dedupe_key: String,
    pub kind: MailKind,
    pub registration_id: Option<RegistrationId>,
    pub event_id: Option<EventId>,
    /// The revision of the subject (event or meeting) when queued.
    pub revision: i32,
    pub reminder_minutes: Option<i32>,
    pub status: OutboxStatus,
    pub due_at: NaiveDateTime,
    pub attempts: i32,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub attendee_id: Option<AttendeeId>,
    pub meeting_id: Option<MeetingId>,
    /// Mail about a partnering request (to a participant, a registration).
    pub partnering_request_id: Option<RequestId>,
    /// The SEQUENCE of the message's invite, fixed when queued
    /// (`db::sequences`); None for messages without one.
    pub sequence: Option<i32>,
}

/// Whom a message is for, and what about: a registration (about its
/// event, or about a partnering request of it) or a meeting attendee
/// (about the meeting). The table's CHECK holds exactly one of the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient<'a> {
    Guest(&'a RegistrationId, &'a EventId),
    Partner(&'a RegistrationId, &'a EventId, &'a RequestId),
    Attendee(&'a AttendeeId, &'a MeetingId),
}

impl OutboxRow {
    pub fn recipient(&self) -> Option<Recipient<'_>> {
        match (
            &self.registration_id,
            &self.event_id,
            &self.attendee_id,
            &self.meeting_id,
        ) {
            (Some(r), Some(e), None, None) => match &self.partnering_request_id {
                Some(q) => Some(Recipient::Partner(r, e, q)),
                None => Some(Recipient::Guest(r, e)),
            },
            (None, None, Some(a), Some(m)) => Some(Recipient::Attendee(a, m)),
            _ => None,
        }
    }

    /// One key per recipient, to keep each one's messages in order.
    pub fn recipient_key(&self) -> Option<&str> {
        match self.recipient()? {
            Recipient::Guest(r, _) | Recipient::Partner(r, _, _) => Some(r.as_str()),
            Recipient::Attendee(a, _) => Some(a.as_str()),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow<'a> {
    pub id: &'a OutboxId,
    pub dedupe_key: &'a str,
    pub kind: MailKind,
    pub registration_id: Option<&'a RegistrationId>,
    pub event_id: Option<&'a EventId>,
    pub attendee_id: Option<&'a AttendeeId>,
    pub meeting_id: Option<&'a MeetingId>,
    pub partnering_request_id: Option<&'a RequestId>,
    pub revision: i32,
    pub sequence: Option<i32>,
    pub reminder_minutes: Option<i32>,
    pub status: OutboxStatus,
    pub due_at: NaiveDateTime,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Adds a message unless one with the same key exists; true when added.
pub fn enqueue(conn: &mut DbConn, row: &NewOutboxRow<'_>) -> QueryResult<bool> {
    let insert = diesel::insert_into(outbox::table)
        .values(row)
        .on_conflict_do_nothing();
    Ok(per_backend!(conn, |c| insert.execute(c))? == 1)
}

/// Claims up to `limit` due messages (and those whose lease ran out, from a
/// worker that died) until `lease_until`, in one transaction: PostgreSQL
/// picks the rows with `FOR UPDATE SKIP LOCKED`, so that workers never wait
/// for each other; on SQLite `BEGIN IMMEDIATE` makes the worker the only
/// writer. The UPDATE repeats the due condition and answers the claimed
/// rows with `RETURNING`.
///
/// Messages of the recipients in `exclude` (still being sent by this
/// worker) wait, so that one recipient's messages keep their order.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
    exclude: &Busy,
) -> QueryResult<Vec<OutboxRow>> {
    let pending_due = || {
        outbox::status
            .eq(OutboxStatus::Pending)
            .and(outbox::due_at.le(now))
    };
    let lease_over = || {
        outbox::status
            .eq(OutboxStatus::Sending)
            .and(outbox::lease_until.lt(now))
    };
    let due = || pending_due().or(lease_over());
    super::write_tx(conn, |conn| {
        // Two ordered scans of the (status, due_at, created_at) index, each
        // stopping at `limit`: the pending messages due, and those whose
        // lease ran out. One scan with OR between them would sort every due
        // message on each claim. The oldest `limit` of both are claimed.
        let oldest = || {
            outbox::table
                .filter(
                    outbox::registration_id
                        .is_null()
                        .or(outbox::registration_id.ne_all(&exclude.registrations)),
                )
                .filter(
                    outbox::attendee_id
                        .is_null()
                        .or(outbox::attendee_id.ne_all(&exclude.attendees)),
                )
                .order((outbox::due_at.asc(), outbox::created_at.asc()))
                .limit(limit)
                .select((outbox::id, outbox::due_at, outbox::created_at))
        };
        let pending = || oldest().filter(pending_due());
        let expired = || oldest().filter(lease_over());
        let mut found: Vec<(String, NaiveDateTime, NaiveDateTime)> = match conn {
            DbConn::Pg(pg) => {
                let mut rows = pending().for_update().skip_locked().load(pg)?;
                rows.extend(expired().for_update().skip_locked().load(pg)?);
                rows
            }
            DbConn::Sqlite(lite) => {
                let mut rows = pending().load(lite)?;
                rows.extend(expired().load(lite)?);
                rows
            }
        };
        found.sort_by_key(|(_, due_at, created_at)| (*due_at, *created_at));
        let ids: Vec<String> = found
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|(id, _, _)| id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let update = || {
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)).filter(due())).set((
                outbox::status.eq(OutboxStatus::Sending),
                outbox::lease_until.eq(Some(lease_until)),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::updated_at.eq(now),
            ))
        };
        let mut claimed: Vec<OutboxRow> = per_backend!(conn, |c| update()
            .returning(OutboxRow::as_returning())
            .get_results(c))?;
        // RETURNING does not keep the order of the SELECT.
        claimed.sort_by_key(|r| (r.due_at, r.created_at));
        Ok(claimed)
    })
}

/// Recipients whose messages are still being sent.
#[derive(Debug, Default, Clone)]
pub struct Busy {
    pub registrations: Vec<RegistrationId>,
    pub attendees: Vec<AttendeeId>,
}

impl Busy {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a OutboxRow>) -> Self {
        let mut busy = Self::default();
        for row in rows {
            match row.recipient() {
                Some(Recipient::Guest(r, _) | Recipient::Partner(r, _, _)) => {
                    busy.registrations.push(r.clone())
                }
                Some(Recipient::Attendee(a, _)) => busy.attendees.push(a.clone()),
                None => {}
            }
        }
        busy
    }
}

/// Moves the lease of messages still claimed by this worker (status
/// `sending` with the attempt count it claimed them with) to `until`.
pub fn renew_leases(
    conn: &mut DbConn,
    rows: &[(OutboxId, i32)],
    until: NaiveDateTime,
) -> QueryResult<()> {
    for (id, attempts) in rows {
        diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::status.eq(OutboxStatus::Sending))
                .filter(outbox::attempts.eq(attempts)),
        )
        .set(outbox::lease_until.eq(Some(until)))
        .execute(conn)?;
    }
    Ok(())
}

/// Records the outcome of a claimed message, unless the claim was lost
/// (the lease ran out and another worker took it over).
fn finish(
    conn: &mut DbConn,
    id: &OutboxId,
    attempts: i32,
    status: OutboxStatus,
    due_at: Option<NaiveDateTime>,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::status.eq(OutboxStatus::Sending))
        .filter(outbox::attempts.eq(attempts));
    let sent_at = (status == OutboxStatus::Sent).then_some(now);
    match due_at {
        Some(due) => diesel::update(target)
            .set((
                outbox::status.eq(status),
                outbox::lease_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(error),
                outbox::due_at.eq(due),
                outbox::updated_at.eq(now),
            ))
            .execute(conn),
        None => diesel::update(target)
            .set((
                outbox::status.eq(status),
                outbox::lease_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(error),
                outbox::sent_at.eq(sent_at),
                outbox::updated_at.eq(now),
            ))
            .execute(conn),
    }
    .map(drop)
}

pub fn mark_sent(conn: &mut DbConn, row: &OutboxRow, now: NaiveDateTime) -> QueryResult<()> {
    finish(
        conn,
        &row.id,
        row.attempts,
        OutboxStatus::Sent,
        None,
        None,
        now,
    )
}

/// Not sent on purpose (a reminder after the start, a guest who unsubscribed).
pub fn mark_skipped(
    conn: &mut DbConn,
    row: &OutboxRow,
    why: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    finish(
        conn,
        &row.id,
        row.attempts,
        OutboxStatus::Skipped,
        None,
        Some(why),
        now,
    )
}

pub fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    status: OutboxStatus,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    finish(conn, &row.id, row.attempts, status, None, Some(error), now)
}

pub fn mark_retry(
    conn: &mut DbConn,
    row: &OutboxRow,
    error: &str,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    finish(
        conn,
        &row.id,
        row.attempts,
        OutboxStatus::Pending,
        Some(due_at),
        Some(error),
        now,
    )
}

/// Removes meeting reminders not yet sent, of one attendee or of a whole meeting.
pub fn drop_pending_meeting_reminders(
    conn: &mut DbConn,
    meeting_id: &MeetingId,
    attendee_id: Option<&AttendeeId>,
) -> QueryResult<usize> {
    let mut query = diesel::delete(outbox::table)
        .filter(outbox::meeting_id.eq(meeting_id))
        .filter(outbox::kind.eq(MailKind::MeetingReminder))
        .filter(outbox::status.eq(OutboxStatus::Pending))
        .into_boxed();
    if let Some(id) = attendee_id {
        query = query.filter(outbox::attendee_id.eq(id));
    }
    query.execute(conn)
}

/// Messages to one meeting attendee, oldest first.
pub fn for_attendee(conn: &mut DbConn, attendee_id: &AttendeeId) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::attendee_id.eq(attendee_id))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Removes reminders not yet sent, of one registration or of a whole event.
pub fn drop_pending_reminders(
    conn: &mut DbConn,
    event_id: &EventId,
    registration_id: Option<&RegistrationId>,
) -> QueryResult<usize> {
    let mut query = diesel::delete(outbox::table)
        .filter(outbox::event_id.eq(event_id))
        .filter(outbox::kind.eq(MailKind::Reminder))
        .filter(outbox::status.eq(OutboxStatus::Pending))
        .into_boxed();
    if let Some(id) = registration_id {
        query = query.filter(outbox::registration_id.eq(id));
    }
    query.execute(conn)
}

/// Marks every message not yet sent as skipped (demo data: made-up people).
pub fn skip_pending(conn: &mut DbConn, why: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::status.eq(OutboxStatus::Pending)))
        .set((
            outbox::status.eq(OutboxStatus::Skipped),
            outbox::last_error.eq(Some(why)),
        ))
        .execute(conn)
}

/// Messages by status, newest first (for the admin page).
pub fn list(
    conn: &mut DbConn,
    statuses: &[OutboxStatus],
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::status.eq_any(statuses))
        .order(outbox::updated_at.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

pub fn count_by_status(conn: &mut DbConn) -> QueryResult<Vec<(OutboxStatus, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Puts a failed or dead message back in the queue, due now.
pub fn retry(conn: &mut DbConn, id: &OutboxId, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq_any([OutboxStatus::Failed, OutboxStatus::Dead])),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending),
        outbox::due_at.eq(now),
        outbox::attempts.eq(0),
        outbox::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn for_registration(
    conn: &mut DbConn,
    registration_id: &RegistrationId,
) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::registration_id.eq(registration_id))
        .order(outbox::created_at.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Whether a message of `kind` was queued for any registration of this
/// email since `since` (to send some kinds at most so often per address).
pub fn sent_recently(
    conn: &mut DbConn,
    kind: MailKind,
    email_key: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::registrations;
    let of_email = registrations::table
        .filter(registrations::email_key.eq(email_key))
        .select(registrations::id);
    diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::kind.eq(kind))
            .filter(outbox::created_at.ge(since))
            .filter(outbox::registration_id.eq_any(of_email.nullable())),
    ))
    .get_result(conn)
}
