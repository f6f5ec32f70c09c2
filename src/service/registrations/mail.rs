//! The mail a registration's changes put in the outbox, in the same
//! transaction: one row per message, made unique by its key, and the
//! reminders that follow the event's time.

use chrono::{Duration, NaiveDateTime};

use super::promote_waitlisted;

use crate::db::events::Event;
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::registrations::{self as rdb, Registration};
use crate::db::{self, DbConn};
use crate::domain::{
    EventStatus, MailKind, OutboxId, OutboxStatus, RegistrationStatus, ReminderOffsets,
};
use crate::error::AppError;

/// Puts one message in the outbox. The key makes it exist once: per
/// registration, plus the event revision for changes and the offset (and
/// revision) for reminders.
pub(super) fn enqueue(
    conn: &mut DbConn,
    kind: MailKind,
    registration: &Registration,
    event: &Event,
    reminder: Option<(i32, NaiveDateTime)>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let id = OutboxId::generate();
    let dedupe_key = match (kind, reminder) {
        (MailKind::Changed, _) => format!("changed:{}:{}", registration.id, event.revision),
        (MailKind::Reminder, Some((minutes, _))) => {
            format!("reminder:{}:{minutes}:{}", registration.id, event.revision)
        }
        // Once an hour at most: checked by the caller, under the event's lock.
        (MailKind::AlreadyRegistered, _) => {
            format!("already_registered:{}:{id}", registration.id)
        }
        (kind, _) => format!("{}:{}", kind.as_str(), registration.id),
    };
    // The invite's SEQUENCE, continuing what this person was sent about
    // the event (an earlier registration's CANCEL included).
    let subject = db::sequences::event_subject(&event.id);
    let invite = crate::email::invite_method(kind)
        .map(|method| {
            let cancels = method == "CANCEL";
            let base = crate::email::sequence_for(kind, event.revision);
            db::sequences::next(
                conn,
                &registration.email_key,
                &subject,
                event.revision,
                base,
                cancels,
            )
            .map(|sequence| (sequence, cancels))
        })
        .transpose()?;
    let added = outbox::enqueue(
        conn,
        &NewOutboxRow {
            id: &id,
            dedupe_key: &dedupe_key,
            kind,
            registration_id: Some(&registration.id),
            event_id: Some(&event.id),
            attendee_id: None,
            meeting_id: None,
            partnering_request_id: None,
            revision: event.revision,
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
        let sent = (sequence, event.revision);
        db::sequences::record(conn, &registration.email_key, &subject, sent, cancels, now)?;
    }
    Ok(added)
}

/// Reminders for a confirmed registration at each offset still ahead.
pub(super) fn schedule_reminders(
    conn: &mut DbConn,
    registration: &Registration,
    event: &Event,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if !registration.reminders || registration.status != RegistrationStatus::Confirmed {
        return Ok(());
    }
    for minutes in ReminderOffsets::from_stored(&event.reminder_offsets).minutes() {
        let due = event.starts_at - Duration::minutes(i64::from(*minutes));
        if due > now {
            enqueue(
                conn,
                MailKind::Reminder,
                registration,
                event,
                Some((*minutes, due)),
                now,
            )?;
        }
    }
    Ok(())
}

/// After an event changed (inside the same transaction): confirmed guests
/// get an updated invite when its time, place or status changed, reminders
/// follow the new start, and new seats go to the waitlist.
pub fn event_changed(conn: &mut DbConn, before: &Event, after: &Event) -> Result<(), AppError> {
    let now = db::now();
    let published = after.status == EventStatus::Published;
    if after.revision != before.revision || after.reminder_offsets != before.reminder_offsets {
        outbox::drop_pending_reminders(conn, &after.id, None)?;
        for registration in rdb::active_for_event(conn, &after.id)? {
            if registration.status != RegistrationStatus::Confirmed {
                continue;
            }
            if published && after.revision != before.revision {
                enqueue(conn, MailKind::Changed, &registration, after, None, now)?;
            }
            if published {
                schedule_reminders(conn, &registration, after, now)?;
            }
        }
    }
    if published && after.capacity.unwrap_or(i32::MAX) > before.capacity.unwrap_or(i32::MAX) {
        promote_waitlisted(conn, &after.id, now)?;
    }
    Ok(())
}

/// After an event was cancelled (inside the same transaction): every guest
/// gets a cancellation, and no reminder goes out.
pub fn event_cancelled(conn: &mut DbConn, event: &Event) -> Result<(), AppError> {
    let now = db::now();
    outbox::drop_pending_reminders(conn, &event.id, None)?;
    for registration in rdb::active_for_event(conn, &event.id)? {
        enqueue(
            conn,
            MailKind::EventCancelled,
            &registration,
            event,
            None,
            now,
        )?;
    }
    Ok(())
}

/// After a cancelled event was restored and the organizer chose to tell the
/// guests: confirmed guests get the updated invitation (its new SEQUENCE
/// brings the event back into their calendars).
pub fn event_restored(conn: &mut DbConn, event: &Event) -> Result<(), AppError> {
    let now = db::now();
    for registration in rdb::active_for_event(conn, &event.id)? {
        if registration.status == RegistrationStatus::Confirmed {
            enqueue(conn, MailKind::Changed, &registration, event, None, now)?;
        }
    }
    Ok(())
}
