use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fields::{opt_minutes, opt_text};
use super::organizations::unreachable_validation;
use crate::db::events::{self as edb, Event, EventChanges, EventDetails, EventFilter, NewEvent};
use crate::db::{self, DbConn, organizations as orgs, to_utc, venues as vdb, write_tx};
use crate::domain::{
    Capacity, Description, EventKind, EventStatus, FieldError, Invalid, Language, Name,
    ReminderOffsets, Schedule, Slug, TimeZone, Validator, parse_instant,
};
use crate::error::AppError;

/// An event as submitted, before validation. Times are RFC 3339 with an
/// offset (API) or, for HTML forms, wall-clock times in `time_zone`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub description_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub description_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub ends_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub capacity: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub registration_opens_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub registration_closes_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    /// Minutes before the start when registered guests are reminded.
    #[serde(default, deserialize_with = "opt_minutes")]
    pub reminder_offsets: Option<String>,
    #[serde(default)]
    pub organizer_slugs: Vec<String>,
    #[serde(default)]
    pub room_ids: Vec<String>,
    /// Optimistic concurrency for PATCH: when given, must equal the current revision.
    #[serde(default, skip_serializing)]
    pub revision: Option<i32>,
}

/// How the times of [`EventFields`] are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInput {
    /// RFC 3339 with an offset only.
    Rfc3339,
    /// Wall-clock time in the event's zone, as from `<input type="datetime-local">`.
    WallClock,
}

#[derive(Debug, Clone)]
pub struct EventInput {
    pub slug: Slug,
    pub title_ja: Name,
    pub title_en: Name,
    pub description_ja: Description,
    pub description_en: Description,
    pub kind: EventKind,
    pub schedule: Schedule,
    pub capacity: Option<Capacity>,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub status: EventStatus,
    pub reminder_offsets: ReminderOffsets,
    pub organizer_slugs: Vec<Slug>,
    pub room_ids: Vec<String>,
    pub expected_revision: Option<i32>,
}

fn text(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

impl EventFields {
    pub fn validate(self, times: TimeInput) -> Result<EventInput, AppError> {
        self.check(times).map_err(AppError::Validation)
    }

    fn check(self, times: TimeInput) -> Result<EventInput, Vec<FieldError>> {
        let mut v = Validator::new();
        let slug = v.check("slug", Slug::parse(&text(&self.slug)));
        let title_ja = v.check("title_ja", Name::parse(&text(&self.title_ja)));
        let title_en = v.check("title_en", Name::parse(&text(&self.title_en)));
        let description_ja = v.check(
            "description_ja",
            Description::parse(&text(&self.description_ja)),
        );
        let description_en = v.check(
            "description_en",
            Description::parse(&text(&self.description_en)),
        );
        let kind = v.check("kind", EventKind::parse(&text(&self.kind)));
        let zone = v.check(
            "time_zone",
            self.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let local = match times {
            TimeInput::WallClock => Some(zone.unwrap_or_default()),
            TimeInput::Rfc3339 => None,
        };
        let instant = |field: &Option<String>| parse_instant(&text(field), local);
        let optional_instant =
            |field: &Option<String>| field.as_ref().map(|s| parse_instant(s, local)).transpose();
        let starts_at = v.check("starts_at", instant(&self.starts_at));
        let ends_at = v.check("ends_at", instant(&self.ends_at));
        let schedule = match (starts_at, ends_at, zone) {
            (Some(s), Some(e), Some(z)) => v.check("ends_at", Schedule::new(s, e, z)),
            _ => None,
        };
        let capacity = v.check(
            "capacity",
            self.capacity
                .as_deref()
                .map(Capacity::parse_text)
                .transpose(),
        );
        let opens = v.check(
            "registration_opens_at",
            optional_instant(&self.registration_opens_at),
        );
        let closes = v.check(
            "registration_closes_at",
            optional_instant(&self.registration_closes_at),
        );
        if let (Some(Some(o)), Some(Some(c))) = (opens, closes)
            && c <= o
        {
            v.add(
                "registration_closes_at",
                Invalid::new("invalid.registration_window"),
            );
        }
        if let (Some(Some(c)), Some(s)) = (closes, &schedule)
            && c > s.ends_at()
        {
            v.add(
                "registration_closes_at",
                Invalid::new("invalid.registration_after_end"),
            );
        }
        let status = v.check(
            "status",
            match self.status.as_deref() {
                None => Ok(EventStatus::Draft),
                Some(s) => EventStatus::parse(s).and_then(|st| match st {
                    EventStatus::Cancelled => Err(Invalid::new("invalid.status_cancel_endpoint")),
                    other => Ok(other),
                }),
            },
        );
        let reminder_offsets = v.check(
            "reminder_offsets",
            self.reminder_offsets
                .as_deref()
                .map_or(Ok(ReminderOffsets::standard()), ReminderOffsets::parse),
        );
        let mut organizer_slugs = Vec::new();
        let mut seen = HashSet::new();
        for (i, s) in self.organizer_slugs.iter().enumerate() {
            if let Some(slug) = v.check(&format!("organizer_slugs[{i}]"), Slug::parse(s))
                && seen.insert(slug.clone())
            {
                organizer_slugs.push(slug);
            }
        }
        if self.organizer_slugs.is_empty() {
            v.add(
                "organizer_slugs",
                Invalid::new("invalid.organizer_required"),
            );
        }
        let mut room_ids: Vec<String> = Vec::new();
        for id in &self.room_ids {
            let id = id.trim().to_owned();
            if !room_ids.contains(&id) {
                room_ids.push(id);
            }
        }
        v.finish()?;
        match (
            slug,
            title_ja,
            title_en,
            description_ja,
            description_en,
            kind,
            schedule,
            capacity,
            opens,
            closes,
            status,
            reminder_offsets,
        ) {
            (
                Some(slug),
                Some(title_ja),
                Some(title_en),
                Some(description_ja),
                Some(description_en),
                Some(kind),
                Some(schedule),
                Some(capacity),
                Some(registration_opens_at),
                Some(registration_closes_at),
                Some(status),
                Some(reminder_offsets),
            ) => Ok(EventInput {
                slug,
                title_ja,
                title_en,
                description_ja,
                description_en,
                kind,
                schedule,
                capacity,
                registration_opens_at,
                registration_closes_at,
                status,
                reminder_offsets,
                organizer_slugs,
                room_ids,
                expected_revision: self.revision,
            }),
            _ => unreachable_validation(),
        }
    }

    /// The stored event as fields, with times as `times` expects them;
    /// the base of a PATCH and of the edit form.
    pub fn of(details: &EventDetails, times: TimeInput) -> Self {
        let e = &details.event;
        let zone = TimeZone::from_stored(&e.time_zone);
        let show = |t: NaiveDateTime| match times {
            TimeInput::Rfc3339 => rfc3339_in(t, zone),
            TimeInput::WallClock => to_utc(t)
                .with_timezone(&zone.tz())
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
        };
        Self {
            slug: Some(e.slug.clone()),
            title_ja: Some(e.title_ja.clone()),
            title_en: Some(e.title_en.clone()),
            description_ja: Some(e.description_ja.clone()),
            description_en: Some(e.description_en.clone()),
            kind: Some(e.kind.to_string()),
            starts_at: Some(show(e.starts_at)),
            ends_at: Some(show(e.ends_at)),
            time_zone: Some(e.time_zone.clone()),
            capacity: e.capacity.map(|c| c.to_string()),
            registration_opens_at: e.registration_opens_at.map(show),
            registration_closes_at: e.registration_closes_at.map(show),
            status: Some(e.status.to_string()),
            reminder_offsets: Some(e.reminder_offsets.clone()),
            organizer_slugs: details.organizers.iter().map(|o| o.slug.clone()).collect(),
            room_ids: details.rooms.iter().map(|(r, _)| r.id.clone()).collect(),
            revision: None,
        }
    }
}

/// An instant as RFC 3339 with the offset of `zone` at that instant.
pub fn rfc3339_in(t: NaiveDateTime, zone: TimeZone) -> String {
    to_utc(t).with_timezone(&zone.tz()).to_rfc3339()
}

/// Resolves organizers and rooms, refuses a room that another event holds
/// at an overlapping time, and reports every unknown reference as a field error.
fn resolve_references(
    conn: &mut DbConn,
    input: &EventInput,
    event_id: Option<&str>,
) -> Result<Vec<String>, AppError> {
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
    let room_refs: Vec<&str> = input.room_ids.iter().map(String::as_str).collect();
    let rooms = vdb::rooms_by_ids(conn, &room_refs)?;
    for (i, id) in room_refs.iter().enumerate() {
        if !rooms.iter().any(|(r, _)| r.id == *id) {
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

    edb::lock_rooms(conn, &room_refs)?;
    let clashes = edb::overlapping_bookings(
        conn,
        &room_refs,
        db::from_utc(input.schedule.starts_at()),
        db::from_utc(input.schedule.ends_at()),
        event_id,
    )?;
    if let Some((room_id, other)) = clashes.first() {
        let room = rooms.iter().find(|(r, _)| &r.id == room_id);
        let room_name = room
            .map(|(r, v)| format!("{} {}", v.name_en, r.name_en))
            .unwrap_or_else(|| room_id.clone());
        let other_zone = TimeZone::from_stored(&other.time_zone);
        return Err(AppError::conflict(
            Some("room_ids"),
            Invalid::new("conflict.room_booked")
                .with("room", room_name)
                .with("event", format!("{} ({})", other.title_en, other.slug))
                .with(
                    "when",
                    crate::i18n::format_range(
                        Language::En,
                        to_utc(other.starts_at),
                        to_utc(other.ends_at),
                        other_zone,
                    ),
                ),
        ));
    }
    Ok(organizer_ids)
}

fn store_relations(
    conn: &mut DbConn,
    event_id: &str,
    organizer_ids: &[String],
    input: &EventInput,
) -> Result<(), AppError> {
    let org_refs: Vec<&str> = organizer_ids.iter().map(String::as_str).collect();
    edb::set_organizers(conn, event_id, &org_refs)?;
    let room_refs: Vec<&str> = input.room_ids.iter().map(String::as_str).collect();
    edb::set_bookings(
        conn,
        event_id,
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
        let id = db::new_id();
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
    let mut old_rooms: Vec<&str> = current.rooms.iter().map(|(r, _)| r.id.as_str()).collect();
    let mut new_rooms: Vec<&str> = input.room_ids.iter().map(String::as_str).collect();
    old_rooms.sort_unstable();
    new_rooms.sort_unstable();
    to_utc(e.starts_at) != input.schedule.starts_at()
        || to_utc(e.ends_at) != input.schedule.ends_at()
        || e.time_zone != input.schedule.zone().name()
        || e.status != input.status
        || old_rooms != new_rooms
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
        let room_ids: Vec<&str> = current.rooms.iter().map(|(r, _)| r.id.as_str()).collect();
        edb::set_bookings(conn, &e.id, &room_ids, e.starts_at, e.ends_at, false)?;
        edb::update(
            conn,
            &e.id,
            &EventChanges {
                slug: &e.slug,
                title_ja: &e.title_ja,
                title_en: &e.title_en,
                description_ja: &e.description_ja,
                description_en: &e.description_en,
                kind: e.kind,
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                time_zone: &e.time_zone,
                capacity: e.capacity,
                registration_opens_at: e.registration_opens_at,
                registration_closes_at: e.registration_closes_at,
                status: EventStatus::Cancelled,
                reminder_offsets: &e.reminder_offsets,
                revision: e.revision + 1,
                updated_at: db::now(),
            },
        )?;
        let after = load(conn, slug)?;
        super::registrations::event_cancelled(conn, &after.event)?;
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
