//! What the admin sees of the outbox, and putting a message back in line.

use std::collections::HashMap;

use crate::db::meetings as mdb;
use crate::db::outbox::{self, OutboxRow, Recipient};
use crate::db::registrations as rdb;
use crate::db::{self, DbConn};
use crate::domain::{AttendeeId, MailKind, OutboxId, OutboxStatus, RegistrationId};
use crate::error::AppError;

/// Messages that need an operator's eye, with their recipient.
pub struct OutboxOverview {
    pub counts: Vec<(OutboxStatus, i64)>,
    pub rows: Vec<(OutboxRow, String)>,
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
    let mut emails: HashMap<String, String> = rdb::find_many(conn, &registration_ids)?
        .into_iter()
        .map(|r| (r.id.to_string(), r.email))
        .collect();
    emails.extend(
        mdb::find_attendees(conn, &attendee_ids)?
            .into_iter()
            .map(|a| (a.id.to_string(), a.email)),
    );
    let rows = rows
        .into_iter()
        .map(|row| {
            let email = row
                .recipient_key()
                .and_then(|key| emails.get(key))
                .cloned()
                .unwrap_or_default();
            // A decline notice goes to the organizers; it is about the attendee.
            let shown = if row.kind == MailKind::MeetingDeclined {
                format!("→ organizer ({email})")
            } else {
                email
            };
            (row, shown)
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
