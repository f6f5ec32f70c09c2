//! The mail a meeting's changes put in the outbox, in the same
//! transaction: one row per attendee and message, made unique by its key,
//! and the reminders that follow the meeting's time.

use chrono::{Duration, NaiveDateTime};

use super::Change;
use crate::db::meetings::{Attendee, Meeting, MeetingDetails};
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::{self, DbConn};
use crate::domain::{MailKind, MeetingStatus, OutboxId, OutboxStatus, PartStat, ReminderOffsets};
use crate::error::AppError;

/// Puts one message to an attendee in the outbox. The key makes it exist
/// once per attendee and meeting revision (and offset, for reminders).
pub(super) fn enqueue(
    conn: &mut DbConn,
    kind: MailKind,
    attendee: &Attendee,
    meeting: &Meeting,
    reminder: Option<(i32, NaiveDateTime)>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let (kind_text, id, revision) = (kind.as_str(), &attendee.id, meeting.revision);
    let key = match reminder {
        Some((minutes, _)) => format!("{kind_text}:{id}:{minutes}:{revision}"),
        None => format!("{kind_text}:{id}:{revision}"),
    };
    put(conn, kind, attendee, meeting, &key, reminder, now)
}

/// Puts a message whose key also holds `why` (a second message of one
/// kind at the same revision).
fn enqueue_keyed(
    conn: &mut DbConn,
    kind: MailKind,
    attendee: &Attendee,
    meeting: &Meeting,
    why: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let key = format!(
        "{}:{}:{}:{why}",
        kind.as_str(),
        attendee.id,
        meeting.revision
    );
    put(conn, kind, attendee, meeting, &key, None, now)
}

/// The outbox row of one message to an attendee about their meeting.
fn put(
    conn: &mut DbConn,
    kind: MailKind,
    attendee: &Attendee,
    meeting: &Meeting,
    dedupe_key: &str,
    reminder: Option<(i32, NaiveDateTime)>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    // The invite's SEQUENCE, continuing what this person was sent about
    // the meeting (as an attendee taken off and put back, say).
    let subject = db::sequences::meeting_subject(&meeting.id);
    let invite = crate::email::meeting::method(kind)
        .map(|method| {
            let cancels = method != crate::ical::meeting::Method::Request;
            let revision = meeting.revision;
            db::sequences::next(
                conn,
                &attendee.email_key,
                &subject,
                revision,
                revision,
                cancels,
            )
            .map(|sequence| (sequence, cancels))
        })
        .transpose()?;
    let added = outbox::enqueue(
        conn,
        &NewOutboxRow {
            id: &OutboxId::generate(),
            dedupe_key,
            kind,
            registration_id: None,
            event_id: None,
            attendee_id: Some(&attendee.id),
            meeting_id: Some(&meeting.id),
            partnering_request_id: None,
            revision: meeting.revision,
            sequence: invite.map(|(sequence, _)| sequence),
            reminder_minutes: reminder.map(|(m, _)| m),
            status: OutboxStatus::Pending,
            due_at: reminder.map_or(now, |(_, due)| due),
            attempts: 0,
            created_at: now,
            updated_at: now,
        },
    )?;
    if let (true, Some((sequence, cancels))) = (added, invite) {
        let sent = (sequence, meeting.revision);
        db::sequences::record(conn, &attendee.email_key, &subject, sent, cancels, now)?;
    }
    Ok(added)
}

/// Whether what the invite says about a meeting changed, beside its time,
/// place and attendees.
fn described_differently(before: &Meeting, after: &Meeting) -> bool {
    before.title_ja != after.title_ja
        || before.title_en != after.title_en
        || before.agenda != after.agenda
        || before.interpreter != after.interpreter
}

/// A fresh copy of the invite carrying an attendee's new link.
pub(super) fn new_link(
    conn: &mut DbConn,
    attendee: &Attendee,
    meeting: &Meeting,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let why = format!("link{}", attendee.link_generation);
    enqueue_keyed(conn, MailKind::MeetingInvite, attendee, meeting, &why, now)?;
    Ok(())
}

/// Reminders for a listed attendee who has not declined, at each offset still ahead.
pub(super) fn schedule_reminders(
    conn: &mut DbConn,
    attendee: &Attendee,
    meeting: &Meeting,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if !attendee.reminders
        || !attendee.is_listed()
        || attendee.partstat == PartStat::Declined
        || meeting.status != MeetingStatus::Confirmed
    {
        return Ok(());
    }
    for minutes in ReminderOffsets::from_stored(&meeting.reminder_offsets).minutes() {
        let due = meeting.starts_at - Duration::minutes(i64::from(*minutes));
        if due > now {
            enqueue(
                conn,
                MailKind::MeetingReminder,
                attendee,
                meeting,
                Some((*minutes, due)),
                now,
            )?;
        }
    }
    Ok(())
}

/// A new meeting: every attendee gets the invite and their reminders.
pub(super) fn meeting_created(conn: &mut DbConn, m: &MeetingDetails) -> Result<(), AppError> {
    let now = db::now();
    for a in m.listed() {
        enqueue(
            conn,
            MailKind::MeetingInvite,
            &a.attendee,
            &m.meeting,
            None,
            now,
        )?;
        schedule_reminders(conn, &a.attendee, &m.meeting, now)?;
    }
    Ok(())
}

/// After a change (inside its transaction): on a new revision, those who
/// joined get the invite, those taken off a CANCEL for their copy, and the
/// others an updated REQUEST; reminders follow the (new) start.
pub(super) fn meeting_changed(
    conn: &mut DbConn,
    before: &MeetingDetails,
    after: &MeetingDetails,
    change: &Change,
) -> Result<(), AppError> {
    let now = db::now();
    let m = &after.meeting;
    if m.revision != before.meeting.revision {
        for a in &after.attendees {
            let a = &a.attendee;
            let kind = if change.removed.contains(&a.id) {
                MailKind::MeetingRemoved
            } else if !a.is_listed() {
                continue;
            } else if change.added.contains(&a.id) {
                MailKind::MeetingInvite
            } else {
                MailKind::MeetingUpdated
            };
            enqueue(conn, kind, a, m, None, now)?;
        }
    } else if described_differently(&before.meeting, m) {
        // A new title, agenda or interpreter: the same SEQUENCE (nothing
        // to answer again, RFC 5546 2.1.4), a newer DTSTAMP, so calendars
        // take the new text.
        for a in after.listed() {
            enqueue_keyed(
                conn,
                MailKind::MeetingUpdated,
                &a.attendee,
                m,
                &format!("text{}", m.updated_at.and_utc().timestamp()),
                now,
            )?;
        }
    }
    if m.revision != before.meeting.revision
        || m.reminder_offsets != before.meeting.reminder_offsets
    {
        outbox::drop_pending_meeting_reminders(conn, &m.id, None)?;
        for a in after.listed() {
            schedule_reminders(conn, &a.attendee, m, now)?;
        }
    }
    Ok(())
}

/// A cancelled meeting: every listed attendee gets a CANCEL, no reminder goes out.
pub(super) fn meeting_cancelled(conn: &mut DbConn, m: &MeetingDetails) -> Result<(), AppError> {
    let now = db::now();
    outbox::drop_pending_meeting_reminders(conn, &m.meeting.id, None)?;
    for a in m.listed() {
        enqueue(
            conn,
            MailKind::MeetingCancelled,
            &a.attendee,
            &m.meeting,
            None,
            now,
        )?;
    }
    Ok(())
}

/// An attendee answered: a decline tells the organizers (once per
/// revision) and stops their reminders; taking it back brings them back.
pub(super) fn answered(
    conn: &mut DbConn,
    attendee: &Attendee,
    meeting: &Meeting,
    before: PartStat,
) -> Result<(), AppError> {
    let now = db::now();
    if attendee.partstat == PartStat::Declined {
        outbox::drop_pending_meeting_reminders(conn, &meeting.id, Some(&attendee.id))?;
        if before != PartStat::Declined {
            enqueue(
                conn,
                MailKind::MeetingDeclined,
                attendee,
                meeting,
                None,
                now,
            )?;
        }
    } else if before == PartStat::Declined {
        schedule_reminders(conn, attendee, meeting, now)?;
    }
    Ok(())
}
