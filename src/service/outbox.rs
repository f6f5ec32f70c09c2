//! What the admin sees of the outbox, and putting a message back in line.

use crate::db::outbox::{self, OutboxRow};
use crate::db::registrations as rdb;
use crate::db::{self, DbConn};
use crate::error::AppError;

/// Messages that need an operator's eye, with their recipient.
pub struct OutboxOverview {
    pub counts: Vec<(String, i64)>,
    pub rows: Vec<(OutboxRow, String)>,
}

pub fn overview(conn: &mut DbConn) -> Result<OutboxOverview, AppError> {
    let counts = outbox::count_by_status(conn)?;
    let rows = outbox::list(conn, &["pending", "sending", "failed", "dead"], 200)?;
    let mut with_recipient = Vec::with_capacity(rows.len());
    for row in rows {
        let email = rdb::find(conn, &row.registration_id)?
            .map(|r| r.email)
            .unwrap_or_default();
        with_recipient.push((row, email));
    }
    Ok(OutboxOverview {
        counts,
        rows: with_recipient,
    })
}

/// A failed or dead message goes back in line, due now, with fresh attempts.
pub fn retry(conn: &mut DbConn, id: &str) -> Result<(), AppError> {
    if outbox::retry(conn, id, db::now())? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
