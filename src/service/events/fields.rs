//! An event as submitted (form or JSON) and its validation into
//! [`EventInput`].

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::events::EventDetails;
use crate::db::to_utc;
use crate::domain::{
    Capacity, Description, EventKind, EventStatus, FieldError, Invalid, JoinUrl, Label, Name,
    ReminderOffsets, RoomId, Schedule, Slug, TimeZone, Validator, parse_instant,
};
use crate::error::AppError;
use crate::service::fields::{opt_minutes, opt_text};
use crate::service::organizations::unreachable_validation;

/// An event as submitted, before validation. Times are RFC 3339 with an
/// offset (API) or, for HTML forms, wall-clock times in `time_zone`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = EventInput)]
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
    #[schema(value_type = Option<EventKind>)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-01T14:00:00+09:00")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-01T17:00:00+09:00")]
    pub ends_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Asia/Tokyo")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub capacity: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime)]
    pub registration_opens_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime)]
    pub registration_closes_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<EventStatus>)]
    pub status: Option<String>,
    /// Minutes before the start when registered guests are reminded.
    #[serde(default, deserialize_with = "opt_minutes")]
    #[schema(value_type = Option<Vec<i32>>, example = json!([1440, 60]))]
    pub reminder_offsets: Option<String>,
    /// The join link of an online or hybrid event (https only). Only
    /// confirmed guests (their mail, page and invites) and organizers see it.
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "https://zoom.us/j/81234567890")]
    pub online_url: Option<String>,
    /// What the join link opens, shown beside it ("Zoom", "Teams").
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Zoom")]
    pub online_platform: Option<String>,
    #[serde(default)]
    pub organizer_slugs: Vec<String>,
    #[serde(default)]
    pub room_ids: Vec<String>,
    /// Optimistic concurrency for PATCH: when given, must equal the current revision.
    #[serde(default)]
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
    pub online_url: Option<JoinUrl>,
    pub online_platform: Option<Label>,
    pub organizer_slugs: Vec<Slug>,
    pub room_ids: Vec<RoomId>,
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
        let online_url = v.check(
            "online_url",
            self.online_url.as_deref().map(JoinUrl::parse).transpose(),
        );
        let online_platform = v.check(
            "online_platform",
            self.online_platform
                .as_deref()
                .map(Label::parse)
                .transpose(),
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
        let mut room_ids: Vec<RoomId> = Vec::new();
        for id in &self.room_ids {
            let id = RoomId::from(id.trim());
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
            online_url,
            online_platform,
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
                Some(online_url),
                Some(online_platform),
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
                online_url,
                online_platform,
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
            online_url: e.online_url.clone(),
            online_platform: e.online_platform.clone(),
            organizer_slugs: details.organizers.iter().map(|o| o.slug.clone()).collect(),
            room_ids: details
                .rooms
                .iter()
                .map(|(r, _)| r.id.to_string())
                .collect(),
            revision: None,
        }
    }
}

/// An instant as RFC 3339 with the offset of `zone` at that instant.
pub fn rfc3339_in(t: NaiveDateTime, zone: TimeZone) -> String {
    to_utc(t).with_timezone(&zone.tz()).to_rfc3339()
}
