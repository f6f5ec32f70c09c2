//! What the admin sees of the outbox, and putting a message back in line.

use std::collections::HashMap;

use crate::db::events as edb;
use crate::db::meetings as mdb;
use crate::db::outbox::{self, OutboxRow, Recipient};
use crate::db::registrations as rdb;
use crate::db::{self, DbConn};
use crate::domain::{AttendeeId, EventId, MeetingId, OutboxId, OutboxStatus, RegistrationId};
use crate::error::AppError;

/// Messages that need an operator's eye, with their recipient.
pub struct OutboxOverview {
    pub counts: Vec<(OutboxStatus, i64)>,
    pub rows: Vec<OutboxEntry>,
}

/// One message: its row, who it goes to, and what it is about.
pub struct OutboxEntry {
    pub row: OutboxRow,
    /// The guest's or attendee's name and address (for a decline notice,
    /// which goes to the organizers, the attendee it is about).
    pub recipient: String,
    /// The event's or meeting's title (Japanese, English) and its page.
    pub about: Option<(String, String, String)>,
}

pub fn overview(conn: &mut DbConn) -> Result<OutboxOverview, AppError> {
    use OutboxStatus::*;
    let counts = outbox::count_by_status(conn)?;
    let rows = outbox::list(conn, &[Pending, Sending, Failed, Dead], 200)?;
    let mut registration_ids: Vec<&RegistrationId> = Vec::new();
    let mut attendee_ids: Vec<&AttendeeId> = Vec::new();
    for row in &rows {
        match row.recipient() {
            Some(Recipient::Guest(r, _) | Recipient::Partner(r, _, _)) => registration_ids.push(r),
            Some(Recipient::Attendee(a, _)) => attendee_ids.push(a),
            None => {}
        }
    }
    let mut people: HashMap<String, String> = rdb::find_many(conn, &registration_ids)?
        .into_iter()
        .map(|r| (r.id.to_string(), format!("{} <{}>", r.name, r.email)))
        .collect();
    people.extend(
        mdb::find_attendees(conn, &attendee_ids)?
            .into_iter()
            .map(|a| (a.id.to_string(), format!("{} <{}>", a.name, a.email))),
    );
    let event_ids: Vec<&EventId> = rows.iter().filter_map(|r| r.event_id.as_ref()).collect();
    let meeting_ids: Vec<&MeetingId> = rows.iter().filter_map(|r| r.meeting_id.as_ref()).collect();
    let mut about: HashMap<String, (String, String, String)> = edb::find_many(conn, &event_ids)?
        .into_iter()
        .map(|e| {
            (
                e.id.to_string(),
                (
                    e.title_ja,
                    e.title_en,
                    format!("/admin/events/{}/registrations", e.slug),
                ),
            )
        })
        .collect();
    about.extend(mdb::find_many(conn, &meeting_ids)?.into_iter().map(|m| {
        (
            m.id.to_string(),
            (m.title_ja, m.title_en, format!("/admin/meetings/{}", m.id)),
        )
    }));
    let rows = rows
        .into_iter()
        .map(|row| {
            let person = row
                .recipient_key()
                .and_then(|key| people.get(key))
                .cloned()
                .unwrap_or_default();
            let recipient = person;
            let about = row
                .meeting_id
                .as_ref()
                .map(|m| m.to_string())
                .or_else(|| row.event_id.as_ref().map(|e| e.to_string()))
                .and_then(|key| about.get(&key).cloned());
            OutboxEntry {
                row,
                recipient,
                about,
            }
        })
        .collect();
    Ok(OutboxOverview { counts, rows })
}

/// A failed or dead message goes back in line, due now, with fresh attempts.
pub fn retry(conn: &mut DbConn, id: &OutboxId) -> Result<(), AppError> {
    if outbox::retry(conn, id, db::now())? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
