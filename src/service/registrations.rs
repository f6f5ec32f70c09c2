//! Registration for events: seats, the waitlist, cancellation, personal
//! feeds, and the mail each change puts in the outbox (same transaction).

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::fields::{opt_flag, opt_text};
use super::keys::LinkKeys;
use crate::db::events::{self as edb, Event};
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::registrations::{self as rdb, NewRegistration, Registration};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    Country, EmailAddress, EventStatus, FieldError, Invalid, Language, MailKind, Name,
    OutboxStatus, RegistrationStatus, ReminderOffsets, TimeZone, Token, Validator,
};
use crate::error::AppError;

/// A registration as submitted by the form or the API, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub furigana: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "opt_flag")]
    pub consent: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct RegistrationInput {
    pub name: Name,
    pub furigana: Option<Name>,
    pub email: EmailAddress,
    pub organization: Name,
    pub country: Country,
    pub time_zone: TimeZone,
    pub language: Language,
}

impl RegistrationFields {
    pub fn validate(&self) -> Result<RegistrationInput, AppError> {
        self.check().map_err(AppError::Validation)
    }

    fn check(&self) -> Result<RegistrationInput, Vec<FieldError>> {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let mut v = Validator::new();
        let name = v.check("name", Name::parse(&text(&self.name)));
        let furigana = v.check(
            "furigana",
            self.furigana.as_deref().map(Name::parse).transpose(),
        );
        let email = v.check("email", EmailAddress::parse(&text(&self.email)));
        let organization = v.check("organization", Name::parse(&text(&self.organization)));
        let country = v.check("country", Country::parse(&text(&self.country)));
        let time_zone = v.check(
            "time_zone",
            self.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let language = v.check(
            "language",
            self.language
                .as_deref()
                .map_or(Ok(Language::Ja), Language::parse),
        );
        if self.consent != Some(true) {
            v.add("consent", Invalid::new("invalid.consent_required"));
        }
        v.finish()?;
        match (
            name,
            furigana,
            email,
            organization,
            country,
            time_zone,
            language,
        ) {
            (
                Some(name),
                Some(furigana),
                Some(email),
                Some(organization),
                Some(country),
                Some(time_zone),
                Some(language),
            ) => Ok(RegistrationInput {
                name,
                furigana,
                email,
                organization,
                country,
                time_zone,
                language,
            }),
            _ => super::organizations::unreachable_validation(),
        }
    }
}

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

fn feed_token(
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
    let id = db::new_id();
    let token = keys.registration(&id);
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
    let now = db::now();
    write_tx(conn, |conn| {
        let registration = by_token(conn, token)?;
        if registration.status == RegistrationStatus::Cancelled {
            return Ok(registration);
        }
        let event = edb::find(conn, &registration.event_id)?.ok_or(AppError::NotFound)?;
        rdb::lock_event(conn, &event.id)?;
        let was_confirmed = registration.status == RegistrationStatus::Confirmed;
        rdb::set_status(
            conn,
            &registration.id,
            RegistrationStatus::Cancelled.as_str(),
            now,
        )?;
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
    })
}

/// Gives free seats to the waitlist in order, telling each promoted guest.
pub fn promote_waitlisted(
    conn: &mut DbConn,
    event_id: &str,
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
        rdb::set_status(
            conn,
            &waiting.id,
            RegistrationStatus::Confirmed.as_str(),
            now,
        )?;
        let registration = rdb::find(conn, &waiting.id)?.ok_or(AppError::NotFound)?;
        enqueue(conn, MailKind::Promoted, &registration, &event, None, now)?;
        schedule_reminders(conn, &registration, &event, now)?;
        promoted += 1;
    }
    Ok(promoted)
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
        let key = registration.email_key.clone();
        let generation = rdb::rotate_feed(
            conn,
            &key,
            |g| keys.feed(&key, g).hash().as_str().to_owned(),
            now,
        )?;
        Ok(keys.feed(&key, generation))
    })
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
        let held: Vec<String> = all
            .iter()
            .filter(|r| r.status == RegistrationStatus::Confirmed)
            .map(|r| r.event_id.clone())
            .collect();
        let deleted = rdb::delete_for_email(conn, &registration.email_key)?;
        for event_id in held {
            rdb::lock_event(conn, &event_id)?;
            rdb::release_seat(conn, &event_id)?;
            promote_waitlisted(conn, &event_id, now)?;
        }
        Ok(deleted)
    })
}

/// The email behind a personal feed token.
pub fn feed_owner(conn: &mut DbConn, token: &str) -> Result<String, AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    rdb::email_of_feed(conn, token.hash().as_str())?.ok_or(AppError::NotFound)
}

/// Puts one message in the outbox. The key makes it exist once: per
/// registration, plus the event revision for changes and the offset (and
/// revision) for reminders.
fn enqueue(
    conn: &mut DbConn,
    kind: MailKind,
    registration: &Registration,
    event: &Event,
    reminder: Option<(i32, NaiveDateTime)>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let id = db::new_id();
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
    Ok(outbox::enqueue(
        conn,
        &NewOutboxRow {
            id: &id,
            dedupe_key: &dedupe_key,
            kind,
            registration_id: &registration.id,
            event_id: &event.id,
            event_revision: event.revision,
            reminder_minutes: reminder.map(|(m, _)| m),
            status: OutboxStatus::Pending,
            due_at: reminder.map_or(now, |(_, due)| due),
            attempts: 0,
            created_at: now,
            updated_at: now,
        },
    )?)
}

/// Reminders for a confirmed registration at each offset still ahead.
fn schedule_reminders(
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
