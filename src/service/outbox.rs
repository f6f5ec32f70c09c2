//! What the admin sees of the outbox, and putting a message back in line.

use std::collections::HashMap;

use crate::db::outbox::{self, OutboxRow};
use crate::db::registrations as rdb;
use crate::db::{self, DbConn};
use crate::domain::{OutboxId, OutboxStatus, RegistrationId};
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
    let ids: Vec<&RegistrationId> = rows.iter().map(|r| &r.registration_id).collect();
    let emails: HashMap<RegistrationId, String> = rdb::find_many(conn, &ids)?
        .into_iter()
        .map(|r| (r.id, r.email))
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            let email = emails
                .get(&row.registration_id)
                .cloned()
                .unwrap_or_default();
            (row, email)
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
