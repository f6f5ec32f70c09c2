//! Events: created, changed, published, cancelled and listed, each in one
//! transaction; a change of time or place tells the registered guests.

use chrono::NaiveDateTime;

use crate::db::bookings::{self, Holder};
use crate::db::events::{self as edb, Event, EventChanges, EventDetails, EventFilter, NewEvent};
use crate::db::{self, DbConn, organizations as orgs, to_utc, venues as vdb, write_tx};
use crate::domain::{
    Capacity, EventId, EventStatus, Invalid, JoinUrl, Label, OrganizationId, RoomId, Slug,
    Validator,
};
use crate::error::AppError;

mod fields;

pub use fields::{EventFields, EventInput, TimeInput, rfc3339_in};

/// Resolves organizers and rooms, refuses a room that another event holds
/// at an overlapping time, and reports every unknown reference as a field error.
fn resolve_references(
    conn: &mut DbConn,
    input: &EventInput,
    event_id: Option<&EventId>,
) -> Result<Vec<OrganizationId>, AppError> {
    let slugs: Vec<&str> = input.organizer_slugs.iter().map(Slug::as_str).collect();
    let found = orgs::find_by_slugs(conn, &slugs)?;
    let mut v = Validator::new();
    let mut organizer_ids = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match found.iter().find(|o| o.slug == *slug) {
            Some(o) => organizer_ids.push(o.id.clone()),
            None => v.add(
                &format!("organizer_slugs[{i}]"),
                Invalid::new("invalid.unknown_organization").with("slug", slug),
            ),
        }
    }
    let room_refs: Vec<&RoomId> = input.room_ids.iter().collect();
    let rooms = vdb::rooms_by_ids(conn, &room_refs)?;
    for (i, id) in room_refs.iter().enumerate() {
        if !rooms.iter().any(|(r, _)| &r.id == *id) {
            v.add(
                &format!("room_ids[{i}]"),
                Invalid::new("invalid.unknown_room").with("id", id),
            );
        }
    }
    if let Some(capacity) = input.capacity {
        let seats: i64 = rooms.iter().map(|(r, _)| i64::from(r.capacity)).sum();
        if !rooms.is_empty() && i64::from(capacity.get()) > seats {
            v.add(
                "capacity",
                Invalid::new("invalid.capacity_exceeds_rooms").with("seats", seats),
            );
        }
    }
    v.finish().map_err(AppError::Validation)?;

    crate::service::bookings::ensure_rooms_free(
        conn,
        &room_refs,
        &rooms,
        input.schedule.starts_at(),
        input.schedule.ends_at(),
        event_id.map(Holder::Event),
        "room_ids",
    )?;
    Ok(organizer_ids)
}

fn store_relations(
    conn: &mut DbConn,
    event_id: &EventId,
    organizer_ids: &[OrganizationId],
    input: &EventInput,
) -> Result<(), AppError> {
    let org_refs: Vec<&OrganizationId> = organizer_ids.iter().collect();
    edb::set_organizers(conn, event_id, &org_refs)?;
    let room_refs: Vec<&RoomId> = input.room_ids.iter().collect();
    bookings::set(
        conn,
        Holder::Event(event_id),
        &room_refs,
        db::from_utc(input.schedule.starts_at()),
        db::from_utc(input.schedule.ends_at()),
        true,
    )?;
    Ok(())
}

fn slug_conflict() -> AppError {
    AppError::conflict(Some("slug"), Invalid::new("conflict.slug_taken"))
}

#[tracing::instrument(skip(conn, input), fields(slug = %input.slug))]
pub fn create(conn: &mut DbConn, input: &EventInput) -> Result<EventDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        if edb::slug_taken(conn, input.slug.as_str(), None)? {
            return Err(slug_conflict());
        }
        let id = EventId::generate();
        let organizer_ids = resolve_references(conn, input, None)?;
        let now = db::now();
        edb::insert(
            conn,
            &NewEvent {
                id: &id,
                slug: input.slug.as_str(),
                title_ja: input.title_ja.as_str(),
                title_en: input.title_en.as_str(),
                description_ja: input.description_ja.as_str(),
                description_en: input.description_en.as_str(),
                kind: input.kind,
                starts_at: db::from_utc(input.schedule.starts_at()),
                ends_at: db::from_utc(input.schedule.ends_at()),
                time_zone: input.schedule.zone().name(),
                capacity: input.capacity.map(Capacity::get),
                registration_opens_at: input.registration_opens_at.map(db::from_utc),
                registration_closes_at: input.registration_closes_at.map(db::from_utc),
                status: input.status,
                reminder_offsets: &input.reminder_offsets.to_stored(),
                online_url: input.online_url.as_ref().map(JoinUrl::as_str),
                online_platform: input.online_platform.as_ref().map(Label::as_str),
                revision: 0,
                created_at: now,
                updated_at: now,
            },
        )?;
        store_relations(conn, &id, &organizer_ids, input)?;
        load(conn, input.slug.as_str())
    })
}

/// Whether a change moves the event in time or place, or changes its status:
/// those raise the revision (the iCal SEQUENCE), other edits do not.
fn is_significant(current: &EventDetails, input: &EventInput) -> bool {
    let e = &current.event;
    let mut old_rooms: Vec<&RoomId> = current.rooms.iter().map(|(r, _)| &r.id).collect();
    let mut new_rooms: Vec<&RoomId> = input.room_ids.iter().collect();
    old_rooms.sort_unstable();
    new_rooms.sort_unstable();
    to_utc(e.starts_at) != input.schedule.starts_at()
        || to_utc(e.ends_at) != input.schedule.ends_at()
        || e.time_zone != input.schedule.zone().name()
        || e.status != input.status
        || old_rooms != new_rooms
        || e.online_url.as_deref() != input.online_url.as_ref().map(JoinUrl::as_str)
}

#[tracing::instrument(skip(conn, input))]
pub fn update(conn: &mut DbConn, slug: &str, input: &EventInput) -> Result<EventDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = load(conn, slug)?;
        ensure_not_cancelled(&current)?;
        let e = &current.event;
        if let Some(expected) = input.expected_revision
            && expected != e.revision
        {
            return Err(AppError::conflict(
                Some("revision"),
                Invalid::new("conflict.stale_revision").with("current", e.revision),
            ));
        }
        if edb::slug_taken(conn, input.slug.as_str(), Some(&e.id))? {
            return Err(slug_conflict());
        }
        super::registrations::ensure_capacity_holds(e, input.capacity.map(Capacity::get))?;
        let organizer_ids = resolve_references(conn, input, Some(&e.id))?;
        let revision = if is_significant(&current, input) {
            e.revision + 1
        } else {
            e.revision
        };
        edb::update(
            conn,
            &e.id,
            &EventChanges {
                slug: input.slug.as_str(),
                title_ja: input.title_ja.as_str(),
                title_en: input.title_en.as_str(),
                description_ja: input.description_ja.as_str(),
                description_en: input.description_en.as_str(),
                kind: input.kind,
                starts_at: db::from_utc(input.schedule.starts_at()),
                ends_at: db::from_utc(input.schedule.ends_at()),
                time_zone: input.schedule.zone().name(),
                capacity: input.capacity.map(Capacity::get),
                registration_opens_at: input.registration_opens_at.map(db::from_utc),
                registration_closes_at: input.registration_closes_at.map(db::from_utc),
                status: input.status,
                reminder_offsets: &input.reminder_offsets.to_stored(),
                online_url: input.online_url.as_ref().map(JoinUrl::as_str),
                online_platform: input.online_platform.as_ref().map(Label::as_str),
                revision,
                updated_at: db::now(),
            },
        )?;
        store_relations(conn, &e.id, &organizer_ids, input)?;
        let after = load(conn, input.slug.as_str())?;
        super::registrations::event_changed(conn, &current.event, &after.event)?;
        Ok(after)
    })
}

/// A cancelled event is final: it stays visible but does not change again.
pub fn ensure_not_cancelled(current: &EventDetails) -> Result<(), AppError> {
    if current.event.status == EventStatus::Cancelled {
        return Err(AppError::conflict(
            Some("status"),
            Invalid::new("conflict.event_cancelled"),
        ));
    }
    Ok(())
}

/// Sets the status of an event that is not cancelled (publish / back to draft).
#[tracing::instrument(skip(conn))]
pub fn set_status(
    conn: &mut DbConn,
    slug: &str,
    status: EventStatus,
) -> Result<EventDetails, AppError> {
    let current = load(conn, slug)?;
    ensure_not_cancelled(&current)?;
    let mut fields = EventFields::of(&current, TimeInput::Rfc3339);
    fields.status = Some(status.as_str().to_owned());
    fields.revision = Some(current.event.revision);
    let input = fields.validate(TimeInput::Rfc3339)?;
    update(conn, slug, &input)
}

/// Cancels an event: it stays visible as cancelled, its rooms are freed and
/// its revision rises. Cancelling twice changes nothing.
#[tracing::instrument(skip(conn))]
pub fn cancel(conn: &mut DbConn, slug: &str) -> Result<EventDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = load(conn, slug)?;
        let e = &current.event;
        if e.status == EventStatus::Cancelled {
            return Ok(current);
        }
        move_to(conn, &current, EventStatus::Cancelled)?;
        let after = load(conn, slug)?;
        super::registrations::event_cancelled(conn, &after.event)?;
        Ok(after)
    })
}

/// Cancels an event or takes its cancellation back: its rooms are freed
/// or booked again (409 when another booking took one meanwhile), and its
/// revision rises; nothing else changes.
fn move_to(conn: &mut DbConn, current: &EventDetails, status: EventStatus) -> Result<(), AppError> {
    let e = &current.event;
    let room_ids: Vec<&RoomId> = current.rooms.iter().map(|(r, _)| &r.id).collect();
    let booked = status != EventStatus::Cancelled;
    bookings::set(
        conn,
        Holder::Event(&e.id),
        &room_ids,
        e.starts_at,
        e.ends_at,
        booked,
    )?;
    edb::set_status(conn, &e.id, status, e.revision + 1, db::now())?;
    Ok(())
}

/// Takes a cancellation back: the event returns as a draft (so the
/// organizer checks it before guests see it again), books its rooms again
/// (409 when another booking took one meanwhile) and raises its revision.
/// Guests keep their registrations; with `notify`, confirmed guests get the
/// updated invitation now, otherwise they hear of it when it is published.
#[tracing::instrument(skip(conn))]
pub fn restore(conn: &mut DbConn, slug: &str, notify: bool) -> Result<EventDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = load(conn, slug)?;
        let e = &current.event;
        if e.status != EventStatus::Cancelled {
            return Err(AppError::conflict(
                Some("status"),
                Invalid::new("conflict.event_not_cancelled"),
            ));
        }
        move_to(conn, &current, EventStatus::Draft)?;
        let after = load(conn, slug)?;
        if notify {
            super::registrations::event_restored(conn, &after.event)?;
        }
        Ok(after)
    })
}

/// One event with organizers and rooms, whatever its status.
pub fn load(conn: &mut DbConn, slug: &str) -> Result<EventDetails, AppError> {
    let event = edb::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
    edb::with_details(conn, vec![event])?
        .pop()
        .ok_or(AppError::NotFound)
}

/// One event as the public may see it: drafts do not exist for them.
pub fn load_public(conn: &mut DbConn, slug: &str) -> Result<EventDetails, AppError> {
    let details = load(conn, slug)?;
    if details.event.status == EventStatus::Draft {
        return Err(AppError::NotFound);
    }
    Ok(details)
}

/// The `from`/`to` of a listing (RFC 3339 instants or Tokyo dates); an
/// empty bound is no bound, and `to` must come after `from`.
pub fn period(
    v: &mut Validator,
    from: Option<&str>,
    to: Option<&str>,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let mut bound = |field: &str, value: Option<&str>| {
        let value = value.map(str::trim).filter(|s| !s.is_empty())?;
        v.check(field, crate::domain::parse_bound(value))
            .map(db::from_utc)
    };
    let (from, to) = (bound("from", from), bound("to", to));
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        v.add("to", Invalid::new("invalid.ends_before_start"));
    }
    (from, to)
}

pub const PUBLIC_STATUSES: &[EventStatus] = &[EventStatus::Published, EventStatus::Cancelled];

pub fn list(conn: &mut DbConn, filter: EventFilter<'_>) -> Result<Vec<EventDetails>, AppError> {
    let events: Vec<Event> = edb::list(conn, filter)?;
    Ok(edb::with_details(conn, events)?)
}
