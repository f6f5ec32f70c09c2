//! Meeting requests between participants: asked (by a participant, or by
//! an organizer for one), accepted or declined by the other side, expired
//! at the deadline, or withdrawn. Each step mails the other side, in the
//! same transaction.

use chrono::{NaiveDateTime, Utc};

use super::fields::{RequestFields, check_message, check_priority};
use super::{Day, event, load_day, participant};
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::partnering::{self as pdb, Request};
use crate::db::registrations::Registration;
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    EventId, Invalid, MailKind, OutboxId, OutboxStatus, Priority, RegistrationId, RequestId,
    RequestStatus, UserId, Validator,
};
use crate::error::AppError;
use crate::service::keys::LinkKeys;

/// Who acts: a participant (from their manage link) or an organizer.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Participant(&'a Registration),
    Organizer(&'a UserId),
}

impl Actor<'_> {
    fn organizer(&self) -> Option<&UserId> {
        match self {
            Actor::Organizer(u) => Some(u),
            Actor::Participant(_) => None,
        }
    }
}

fn closed() -> AppError {
    AppError::conflict(
        Some("request_deadline"),
        Invalid::new("conflict.requests_closed"),
    )
}

/// A participant acts only while requests are open; organizers always.
fn ensure_open(day: &Day, actor: Actor<'_>) -> Result<(), AppError> {
    match actor {
        Actor::Organizer(_) if day.settings.is_some() => Ok(()),
        _ if day.open_at(Utc::now()) => Ok(()),
        _ => Err(closed()),
    }
}

/// Asks for a meeting. A participant asks as themselves, someone listed
/// in the directory, once their own profile is filled in; an organizer may
/// ask for anyone, set the priority and accept at once.
#[tracing::instrument(skip_all)]
pub fn create(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    actor: Actor<'_>,
    fields: &RequestFields,
) -> Result<Request, AppError> {
    let mut v = Validator::new();
    let message = check_message(&mut v, &fields.message);
    let priority = match actor {
        Actor::Organizer(_) => check_priority(&mut v, fields.priority),
        Actor::Participant(_) => Some(Priority::DEFAULT),
    };
    if let Actor::Participant(_) = actor {
        if fields.priority.is_some() {
            v.add("priority", Invalid::new("invalid.organizers_only"));
        }
        if fields.accepted || fields.from.is_some() {
            v.add(
                if fields.accepted { "accepted" } else { "from" },
                Invalid::new("invalid.organizers_only"),
            );
        }
    }
    let to = v.require("to", fields.to.clone().map(RegistrationId::from));
    v.finish().map_err(AppError::Validation)?;
    let (Some(message), Some(priority), Some(to)) = (message, priority, to) else {
        return Err(AppError::Validation(
            crate::service::organizations::incomplete(),
        ));
    };
    write_tx(conn, |conn| {
        let e = event(conn, slug)?;
        pdb::lock(conn, &e.id)?;
        let day = load_day(conn, e)?;
        ensure_open(&day, actor)?;
        let event_id = day.event.event.id.clone();
        let people = pdb::participants(conn, &event_id)?;
        let from = match actor {
            Actor::Participant(r) => participant(&people, &r.id, "from")?,
            Actor::Organizer(_) => {
                let id = fields
                    .from
                    .clone()
                    .map(RegistrationId::from)
                    .ok_or_else(|| AppError::field("from", Invalid::new("invalid.required")))?;
                participant(&people, &id, "from")?
            }
        };
        let to = participant(&people, &to, "to")?;
        if from.id == to.id {
            return Err(AppError::field("to", Invalid::new("invalid.request_self")));
        }
        if let Actor::Participant(_) = actor {
            if pdb::profile(conn, &from.id)?.is_none() {
                return Err(AppError::field("from", Invalid::new("invalid.no_profile")));
            }
            // Only someone in the directory can be asked by a participant.
            if !pdb::profile(conn, &to.id)?.is_some_and(|p| p.listed) {
                return Err(AppError::field(
                    "to",
                    Invalid::new("invalid.not_a_participant"),
                ));
            }
        }
        let (low, high) = if from.id.as_str() < to.id.as_str() {
            (&from.id, &to.id)
        } else {
            (&to.id, &from.id)
        };
        let existing = pdb::pair(conn, &event_id, low.as_str(), high.as_str())?;
        let reopen = match &existing {
            None => false,
            Some(r) => match (r.status, actor) {
                // A closed pair stays closed for participants (no way to
                // mail someone again and again); organizers may reopen it.
                (
                    RequestStatus::Cancelled | RequestStatus::Expired | RequestStatus::Declined,
                    Actor::Organizer(_),
                ) => true,
                _ => {
                    return Err(AppError::conflict(
                        Some("to"),
                        Invalid::new("conflict.request_exists"),
                    ));
                }
            },
        };
        let now = db::now();
        let accepted = fields.accepted && actor.organizer().is_some();
        let request = Request {
            id: existing
                .as_ref()
                .map_or_else(RequestId::generate, |r| r.id.clone()),
            event_id: event_id.clone(),
            requester_id: from.id.clone(),
            recipient_id: to.id.clone(),
            pair_low: low.to_string(),
            pair_high: high.to_string(),
            message: message.as_str().to_owned(),
            priority: i32::from(priority.get()),
            status: if accepted {
                RequestStatus::Accepted
            } else {
                RequestStatus::Pending
            },
            organizer_id: actor.organizer().cloned(),
            meeting_id: None,
            answered_at: accepted.then_some(now),
            created_at: existing.as_ref().map_or(now, |r| r.created_at),
            updated_at: now,
        };
        if reopen {
            pdb::update_request(conn, &request)?;
        } else {
            pdb::insert_request(conn, &request)?;
        }
        if accepted {
            super::schedule::place_now(conn, keys, day, &request)?;
        } else {
            tell(conn, MailKind::PartneringRequest, &request, &to.id, now)?;
        }
        reload(conn, &request.id)
    })
}

fn reload(conn: &mut DbConn, id: &RequestId) -> Result<Request, AppError> {
    pdb::request(conn, id)?.ok_or(AppError::NotFound)
}

/// The request `id` of the event `slug`, locked with its event.
fn locked(conn: &mut DbConn, slug: &str, id: &RequestId) -> Result<(Day, Request), AppError> {
    let e = event(conn, slug)?;
    pdb::lock(conn, &e.id)?;
    let request = pdb::request(conn, id)?
        .filter(|r| r.event_id == e.id)
        .ok_or(AppError::NotFound)?;
    Ok((load_day(conn, e)?, request))
}

/// Whether the actor may see and act on a request at all: an organizer
/// always, a participant only on their own (else it does not exist for them).
fn ensure_party(actor: Actor<'_>, request: &Request) -> Result<(), AppError> {
    match actor {
        Actor::Participant(r) if r.id != request.requester_id && r.id != request.recipient_id => {
            Err(AppError::NotFound)
        }
        _ => Ok(()),
    }
}

/// Accepts or declines a pending request: its recipient does, or an
/// organizer for them. The requester is told.
#[tracing::instrument(skip(conn, actor))]
pub fn answer(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    id: &RequestId,
    actor: Actor<'_>,
    accept: bool,
) -> Result<Request, AppError> {
    write_tx(conn, |conn| {
        let (day, mut request) = locked(conn, slug, id)?;
        ensure_party(actor, &request)?;
        if let Actor::Participant(r) = actor
            && r.id != request.recipient_id
        {
            return Err(AppError::Forbidden("only the one asked answers a request"));
        }
        ensure_open(&day, actor)?;
        if request.status != RequestStatus::Pending {
            return Err(AppError::conflict(
                Some("status"),
                Invalid::new("conflict.request_answered"),
            ));
        }
        let now = db::now();
        request.status = if accept {
            RequestStatus::Accepted
        } else {
            RequestStatus::Declined
        };
        request.answered_at = Some(now);
        request.updated_at = now;
        if let Some(u) = actor.organizer() {
            request.organizer_id = Some(u.clone());
        }
        pdb::update_request(conn, &request)?;
        let kind = if accept {
            MailKind::PartneringAccepted
        } else {
            MailKind::PartneringDeclined
        };
        tell(conn, kind, &request, &request.requester_id, now)?;
        Ok(request)
    })
}

/// Withdraws a request (pending or accepted): either side, or an
/// organizer. The other side is told (both, when an organizer does it).
#[tracing::instrument(skip(conn, actor))]
pub fn cancel(
    conn: &mut DbConn,
    slug: &str,
    id: &RequestId,
    actor: Actor<'_>,
) -> Result<Request, AppError> {
    write_tx(conn, |conn| {
        let (_day, mut request) = locked(conn, slug, id)?;
        ensure_party(actor, &request)?;
        if !matches!(
            request.status,
            RequestStatus::Pending | RequestStatus::Accepted
        ) {
            return Err(AppError::conflict(
                Some("status"),
                Invalid::new("conflict.request_answered"),
            ));
        }
        if request.meeting_id.is_some() {
            // A placed meeting is cancelled with the meeting itself.
            return Err(AppError::conflict(
                Some("meeting_id"),
                Invalid::new("conflict.request_placed"),
            ));
        }
        let now = db::now();
        request.status = RequestStatus::Cancelled;
        request.updated_at = now;
        if let Some(u) = actor.organizer() {
            request.organizer_id = Some(u.clone());
        }
        pdb::update_request(conn, &request)?;
        for side in [request.requester_id.clone(), request.recipient_id.clone()] {
            let is_actor = matches!(actor, Actor::Participant(r) if r.id == side);
            if !is_actor {
                tell(conn, MailKind::PartneringCancelled, &request, &side, now)?;
            }
        }
        Ok(request)
    })
}

/// A participant leaves (their registration cancelled or deleted): each of
/// their open requests is withdrawn, a placed meeting cancelled (both are
/// sent a CANCEL, the table is free again), and, when `tell_others`, the
/// other side mailed. Inside the caller's transaction.
pub fn withdraw_all(
    conn: &mut DbConn,
    who: &Registration,
    tell_others: bool,
) -> Result<(), AppError> {
    // The lock first: a run or a request made meanwhile is seen whole.
    pdb::lock(conn, &who.event_id)?;
    let open: Vec<Request> = pdb::requests_of(conn, &who.id)?
        .into_iter()
        .filter(|r| matches!(r.status, RequestStatus::Pending | RequestStatus::Accepted))
        .collect();
    let now = db::now();
    for mut request in open {
        if let Some(meeting) = &request.meeting_id {
            crate::service::meetings::cancel_in(conn, meeting)?;
        }
        request.status = RequestStatus::Cancelled;
        request.updated_at = now;
        pdb::update_request(conn, &request)?;
        if tell_others {
            let other = request.other(&who.id).clone();
            tell(conn, MailKind::PartneringCancelled, &request, &other, now)?;
        }
    }
    Ok(())
}

/// Sets a request's priority (organizers only).
pub fn set_priority(
    conn: &mut DbConn,
    slug: &str,
    id: &RequestId,
    priority: Priority,
) -> Result<Request, AppError> {
    write_tx(conn, |conn| {
        let (_day, mut request) = locked(conn, slug, id)?;
        request.priority = i32::from(priority.get());
        request.updated_at = db::now();
        pdb::update_request(conn, &request)?;
        Ok(request)
    })
}

/// Expires the pending requests of every event whose deadline has passed,
/// telling both sides; a batch at a time. Returns how many expired.
pub fn expire_overdue(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let done = write_tx(conn, |conn| {
            let batch = pdb::overdue(conn, now, 100)?;
            for mut request in batch.iter().cloned() {
                request.status = RequestStatus::Expired;
                request.updated_at = now;
                pdb::update_request(conn, &request)?;
                for side in [&request.requester_id, &request.recipient_id] {
                    tell(conn, MailKind::PartneringExpired, &request, side, now)?;
                }
            }
            Ok::<_, AppError>(batch.len())
        })?;
        total += done;
        if done < 100 {
            return Ok(total);
        }
    }
}

/// Queues one message about `request` to the participant `to`; the key
/// makes each (kind, request, recipient, time) exist once.
fn tell(
    conn: &mut DbConn,
    kind: MailKind,
    request: &Request,
    to: &RegistrationId,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let dedupe_key = format!(
        "{}:{}:{to}:{}",
        kind.as_str(),
        request.id,
        now.and_utc().timestamp_micros()
    );
    let event_id: &EventId = &request.event_id;
    outbox::enqueue(
        conn,
        &NewOutboxRow {
            id: &OutboxId::generate(),
            dedupe_key: &dedupe_key,
            kind,
            registration_id: Some(to),
            event_id: Some(event_id),
            attendee_id: None,
            meeting_id: None,
            partnering_request_id: Some(&request.id),
            revision: 0,
            sequence: None,
            reminder_minutes: None,
            status: OutboxStatus::Pending,
            due_at: now,
            attempts: 0,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(())
}
