//! What a guest does with the link in their mail: see the registration,
//! cancel it, stop reminders, change the feed URL, delete their data.

use super::{enqueue, feed_token, promote_waitlisted};
use crate::db::events as edb;
use crate::db::outbox;
use crate::db::registrations::{self as rdb, Registration};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{EventId, EventStatus, MailKind, RegistrationStatus, Token};
use crate::error::AppError;
use crate::service::keys::LinkKeys;

/// A registration by the token of its manage link.
pub fn by_token(conn: &mut DbConn, token: &str) -> Result<Registration, AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    rdb::find_by_token_hash(conn, token.hash().as_str())?.ok_or(AppError::NotFound)
}

/// What the manage page shows.
#[derive(Debug, Clone)]
pub struct Managed {
    pub registration: Registration,
    pub event: crate::db::events::EventDetails,
    pub feed_token: Token,
}

pub fn manage(conn: &mut DbConn, keys: &LinkKeys, token: &str) -> Result<Managed, AppError> {
    let registration = by_token(conn, token)?;
    let event = edb::find(conn, &registration.event_id)?.ok_or(AppError::NotFound)?;
    let event = edb::with_details(conn, vec![event])?
        .pop()
        .ok_or(AppError::NotFound)?;
    let feed_token = feed_token(conn, keys, &registration.email_key, db::now())?;
    Ok(Managed {
        registration,
        event,
        feed_token,
    })
}

/// Cancels a registration; a freed seat goes to the first on the waitlist.
/// Cancelling twice changes nothing.
#[tracing::instrument(skip(conn, token))]
pub fn cancel(conn: &mut DbConn, token: &str) -> Result<Registration, AppError> {
    write_tx(conn, |conn| {
        let registration = by_token(conn, token)?;
        cancel_in(conn, registration, db::now())
    })
}

/// Cancels a registration inside the caller's transaction (the guest from
/// their page, or an organizer): the same mail either way.
pub(super) fn cancel_in(
    conn: &mut DbConn,
    registration: Registration,
    now: chrono::NaiveDateTime,
) -> Result<Registration, AppError> {
    if registration.status == RegistrationStatus::Cancelled {
        return Ok(registration);
    }
    let event = edb::find(conn, &registration.event_id)?.ok_or(AppError::NotFound)?;
    rdb::lock_event(conn, &event.id)?;
    let was_confirmed = registration.status == RegistrationStatus::Confirmed;
    rdb::set_status(conn, &registration.id, RegistrationStatus::Cancelled, now)?;
    // A partnering participant's requests and meetings go with them.
    crate::service::partnering::requests::withdraw_all(conn, &registration, true)?;
    outbox::drop_pending_reminders(conn, &event.id, Some(&registration.id))?;
    if event.status != EventStatus::Cancelled {
        enqueue(
            conn,
            MailKind::RegistrationCancelled,
            &registration,
            &event,
            None,
            now,
        )?;
    }
    if was_confirmed {
        rdb::release_seat(conn, &event.id)?;
        promote_waitlisted(conn, &event.id, now)?;
    }
    rdb::find(conn, &registration.id)?.ok_or(AppError::NotFound)
}

/// Stops reminders for one registration (RFC 8058 one-click unsubscribe).
pub fn unsubscribe(conn: &mut DbConn, token: &str) -> Result<Registration, AppError> {
    write_tx(conn, |conn| {
        let registration = by_token(conn, token)?;
        rdb::set_reminders(conn, &registration.id, false)?;
        outbox::drop_pending_reminders(conn, &registration.event_id, Some(&registration.id))?;
        rdb::find(conn, &registration.id)?.ok_or(AppError::NotFound)
    })
}

/// A new personal feed URL; the old one answers 404 from now on.
pub fn rotate_feed(conn: &mut DbConn, keys: &LinkKeys, token: &str) -> Result<Token, AppError> {
    let now = db::now();
    write_tx(conn, |conn| {
        let registration = by_token(conn, token)?;
        rotate_feed_of(conn, keys, &registration.email_key, now)
    })
}

/// Moves an email's personal feed to a new generation (inside the
/// caller's transaction) and answers the new token.
pub fn rotate_feed_of(
    conn: &mut DbConn,
    keys: &LinkKeys,
    email_key: &str,
    now: chrono::NaiveDateTime,
) -> Result<Token, AppError> {
    let generation = rdb::rotate_feed(
        conn,
        email_key,
        |g| keys.feed(email_key, g).hash().as_str().to_owned(),
        now,
    )?;
    Ok(keys.feed(email_key, generation))
}

/// Deletes everything stored about the person behind this link: all their
/// registrations (any event), their mail in the outbox and their feed. Seats
/// they held go to the waitlists.
#[tracing::instrument(skip(conn, token))]
pub fn delete_data(conn: &mut DbConn, token: &str) -> Result<usize, AppError> {
    let now = db::now();
    write_tx(conn, |conn| {
        let registration = by_token(conn, token)?;
        let all = rdb::for_email(conn, &registration.email_key)?;
        let held: Vec<EventId> = all
            .iter()
            .filter(|r| r.status == RegistrationStatus::Confirmed)
            .map(|r| r.event_id.clone())
            .collect();
        // Each event's row before its partnering lock (as a cancellation
        // takes them), events in id order: no two transactions cross.
        let mut by_event: Vec<&Registration> = all.iter().collect();
        by_event.sort_by(|a, b| a.event_id.cmp(&b.event_id));
        for r in by_event {
            rdb::lock_event(conn, &r.event_id)?;
            crate::service::partnering::requests::withdraw_all(conn, r, false)?;
        }
        let deleted = rdb::delete_for_email(conn, &registration.email_key)?;
        for event_id in held {
            rdb::lock_event(conn, &event_id)?;
            rdb::release_seat(conn, &event_id)?;
            promote_waitlisted(conn, &event_id, now)?;
        }
        Ok(deleted)
    })
}

/// What "delete my data" would delete: the registration behind the link
/// and how many registrations (all events) its email holds.
pub fn data_of(conn: &mut DbConn, token: &str) -> Result<(Registration, usize), AppError> {
    let registration = by_token(conn, token)?;
    let count = rdb::for_email(conn, &registration.email_key)?.len();
    Ok((registration, count))
}

/// The email behind a personal feed token.
pub fn feed_owner(conn: &mut DbConn, token: &str) -> Result<String, AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    rdb::email_of_feed(conn, token.hash().as_str())?.ok_or(AppError::NotFound)
}
