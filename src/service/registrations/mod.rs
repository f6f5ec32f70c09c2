//! Registration for events: seats, the waitlist, cancellation, personal
//! feeds, and the mail each change puts in the outbox (same transaction).

use chrono::{Duration, NaiveDateTime};

use super::keys::LinkKeys;
use crate::db::events::{self as edb, Event};
use crate::db::outbox;
use crate::db::registrations::{self as rdb, NewRegistration, Registration};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    EventId, EventStatus, Invalid, MailKind, Name, RegistrationId, RegistrationStatus, Token,
};
use crate::error::AppError;

pub mod attendees;
mod fields;
mod guest;
mod mail;

pub use fields::{RegistrationFields, RegistrationInput};
pub use guest::{
    Managed, by_token, cancel, data_of, delete_data, feed_owner, manage, rotate_feed,
    rotate_feed_of, unsubscribe,
};
use mail::{enqueue, schedule_reminders};
pub use mail::{event_cancelled, event_changed, event_restored};

/// The outcome of a registration: the stored row and the secrets of its links.
#[derive(Debug, Clone)]
pub struct Registered {
    pub registration: Registration,
    pub event: Event,
    pub token: Token,
    pub feed_token: Token,
    /// The same form sent again: nothing new was created.
    pub repeated: bool,
}

impl Registered {
    pub fn status(&self) -> RegistrationStatus {
        self.registration.status
    }
}

/// Lowercased address: the same person whatever case they typed.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn feed_token(
    conn: &mut DbConn,
    keys: &LinkKeys,
    key: &str,
    now: NaiveDateTime,
) -> Result<Token, AppError> {
    let generation = rdb::feed_generation(
        conn,
        key,
        |g| keys.feed(key, g).hash().as_str().to_owned(),
        now,
    )?;
    Ok(keys.feed(key, generation))
}

/// Why registration for a published or cancelled event is not open at
/// `now` (a message key), or None when it is: it opens at
/// `registration_opens_at` and closes at `registration_closes_at` or at the
/// start, whichever comes first.
pub fn closed_reason(event: &Event, now: NaiveDateTime) -> Option<&'static str> {
    if event.status == EventStatus::Cancelled {
        return Some("conflict.registration_event_cancelled");
    }
    if event.registration_opens_at.is_some_and(|opens| now < opens) {
        return Some("conflict.registration_not_open");
    }
    let closes = event
        .registration_closes_at
        .unwrap_or(event.starts_at)
        .min(event.starts_at);
    (now >= closes).then_some("conflict.registration_closed")
}

/// Registration is open: the event is published and inside its window.
fn ensure_open(event: &Event, now: NaiveDateTime) -> Result<(), AppError> {
    if event.status == EventStatus::Draft {
        return Err(AppError::NotFound);
    }
    match closed_reason(event, now) {
        Some(reason) => Err(AppError::conflict(None, Invalid::new(reason))),
        None => Ok(()),
    }
}

fn same_person(r: &Registration, input: &RegistrationInput) -> bool {
    r.name == input.name.as_str()
        && r.furigana.as_deref() == input.furigana.as_ref().map(Name::as_str)
        && r.organization == input.organization.as_str()
        && r.country == input.country.as_str()
        && r.time_zone == input.time_zone.name()
        && r.language == input.language.as_str()
}

/// What a registration attempt found, inside its transaction.
enum Attempt {
    Created(Registered),
    /// The email already holds an active registration for this event.
    Existing {
        registration: Registration,
        event: Event,
    },
}

/// Takes a seat (or a waitlist place) for `input` unless the email is
/// already registered. Registration must be open for everyone alike, so
/// that the answer never depends on whether an email is known.
fn attempt(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    input: &RegistrationInput,
    now: NaiveDateTime,
) -> Result<Attempt, AppError> {
    let key = email_key(input.email.as_str());
    let event = edb::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
    ensure_open(&event, now)?;
    rdb::lock_event(conn, &event.id)?;
    if let Some(registration) = rdb::find_active(conn, &event.id, &key)? {
        return Ok(Attempt::Existing {
            registration,
            event,
        });
    }
    let id = RegistrationId::generate();
    let token = keys.registration(&id);
    let check_in = keys.check_in(&id);
    let confirmed = rdb::take_seat(conn, &event.id)?;
    let (status, position) = if confirmed {
        (RegistrationStatus::Confirmed, None)
    } else {
        (
            RegistrationStatus::Waitlisted,
            Some(rdb::next_waitlist_position(conn, &event.id)?),
        )
    };
    let registration = rdb::insert(
        conn,
        &NewRegistration {
            id: &id,
            event_id: &event.id,
            email: input.email.as_str(),
            email_key: &key,
            name: input.name.as_str(),
            furigana: input.furigana.as_ref().map(Name::as_str),
            organization: input.organization.as_str(),
            country: input.country.as_str(),
            time_zone: input.time_zone.name(),
            language: input.language.as_str(),
            status,
            waitlist_position: position,
            token_hash: token.hash().as_str(),
            check_in_hash: check_in.hash().as_str(),
            reminders: true,
            consented_at: now,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| match e {
        // The unique index is the backstop for a race the lock prevents.
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => AppError::conflict(Some("email"), Invalid::new("conflict.already_registered")),
        other => other.into(),
    })?;

    match status {
        RegistrationStatus::Confirmed => {
            enqueue(conn, MailKind::Confirmed, &registration, &event, None, now)?;
            schedule_reminders(conn, &registration, &event, now)?;
        }
        _ => {
            enqueue(conn, MailKind::Waitlisted, &registration, &event, None, now)?;
        }
    }
    let generation = rdb::ensure_feed(
        conn,
        &key,
        |g| keys.feed(&key, g).hash().as_str().to_owned(),
        now,
    )?;
    Ok(Attempt::Created(Registered {
        registration,
        event,
        token,
        feed_token: keys.feed(&key, generation),
        repeated: false,
    }))
}

/// Registers for a published event on an organizer's behalf (the caller is
/// authenticated, so the answer may carry the guest's links): a seat when
/// one is free, else the end of the waitlist. The same form sent twice
/// answers like the first time; the same email with other details is a 409.
#[tracing::instrument(skip(conn, keys, input))]
pub fn register(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    input: &RegistrationInput,
) -> Result<Registered, AppError> {
    let now = db::now();
    write_tx(conn, |conn| match attempt(conn, keys, slug, input, now)? {
        Attempt::Created(registered) => Ok(registered),
        Attempt::Existing {
            registration,
            event,
        } if same_person(&registration, input) => {
            let token = keys.registration(&registration.id);
            let feed_token = feed_token(conn, keys, &registration.email_key, now)?;
            Ok(Registered {
                registration,
                event,
                token,
                feed_token,
                repeated: true,
            })
        }
        Attempt::Existing { .. } => Err(AppError::conflict(
            Some("email"),
            Invalid::new("conflict.already_registered"),
        )),
    })
}

/// How often a guest who registers again is reminded of their link.
pub const ALREADY_REGISTERED_EVERY: Duration = Duration::hours(1);

/// A registration from the public form or API. Nobody learns from the
/// answer whether the email was known: a new guest and a repeated one get
/// the same answer, and only the mailbox learns what happened (confirmed,
/// waitlisted, or "already registered, here is your link", the last at most
/// once per [`ALREADY_REGISTERED_EVERY`] per address). No link is handed
/// to the request.
#[tracing::instrument(skip(conn, keys, input))]
pub fn submit(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    input: &RegistrationInput,
) -> Result<(), AppError> {
    let now = db::now();
    write_tx(conn, |conn| match attempt(conn, keys, slug, input, now)? {
        Attempt::Created(_) => Ok(()),
        Attempt::Existing {
            registration,
            event,
        } => {
            let since = now - ALREADY_REGISTERED_EVERY;
            if !outbox::sent_recently(
                conn,
                MailKind::AlreadyRegistered,
                &registration.email_key,
                since,
            )? {
                enqueue(
                    conn,
                    MailKind::AlreadyRegistered,
                    &registration,
                    &event,
                    None,
                    now,
                )?;
            }
            Ok(())
        }
    })
}

/// Gives free seats to the waitlist in order, telling each promoted guest.
pub fn promote_waitlisted(
    conn: &mut DbConn,
    event_id: &EventId,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let event = edb::find(conn, event_id)?.ok_or(AppError::NotFound)?;
    if event.status != EventStatus::Published || event.starts_at <= now {
        return Ok(0);
    }
    let mut promoted = 0;
    for waiting in rdb::waitlisted(conn, event_id)? {
        if !rdb::take_seat(conn, event_id)? {
            break;
        }
        rdb::set_status(conn, &waiting.id, RegistrationStatus::Confirmed, now)?;
        let registration = rdb::find(conn, &waiting.id)?.ok_or(AppError::NotFound)?;
        enqueue(conn, MailKind::Promoted, &registration, &event, None, now)?;
        schedule_reminders(conn, &registration, &event, now)?;
        promoted += 1;
    }
    Ok(promoted)
}

/// Refuses a capacity below the seats already given.
pub fn ensure_capacity_holds(event: &Event, capacity: Option<i32>) -> Result<(), AppError> {
    if let Some(c) = capacity
        && c < event.confirmed_count
    {
        return Err(AppError::field(
            "capacity",
            Invalid::new("invalid.capacity_below_confirmed")
                .with("confirmed", event.confirmed_count),
        ));
    }
    Ok(())
}
