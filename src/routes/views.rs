//! What pages show of domain data, already in the page's language and zones.

use chrono::{DateTime, Utc};

use super::PageContext;
use crate::db::events::EventDetails;
use crate::db::to_utc;
use crate::domain::{EventStatus, TimeZone};
use crate::i18n::{format_instant, format_range, t};

/// One time line: the range in a zone, and where that zone is, as people
/// say it ("日本時間" / "Japan time", "Berlin", "New York").
#[derive(Debug, Clone)]
pub struct ZonedTime {
    pub text: String,
    pub zone: String,
}

/// A zone as a reader names it: Japan time, or its city.
pub fn zone_label(ctx: &PageContext, zone: TimeZone) -> String {
    if zone == TimeZone::TOKYO {
        ctx.t("zone.japan_time").to_owned()
    } else {
        let name = zone.name();
        name.rsplit('/').next().unwrap_or(name).replace('_', " ")
    }
}

/// The range in Asia/Tokyo first, then in the event's own zone, the
/// `other` zones (a guest's) and the visitor's zone, each once, so that
/// each reader finds their clock.
pub fn zoned_times(
    ctx: &PageContext,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    event_zone: TimeZone,
    other: Option<TimeZone>,
) -> Vec<ZonedTime> {
    let mut zones = vec![TimeZone::TOKYO];
    for z in [Some(event_zone), other, ctx.viewer_zone]
        .into_iter()
        .flatten()
    {
        if !zones.contains(&z) {
            zones.push(z);
        }
    }
    zones
        .into_iter()
        .map(|z| ZonedTime {
            text: format_range(ctx.lang, start, end, z),
            zone: zone_label(ctx, z),
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct PlaceView {
    pub venue_slug: String,
    pub venue: String,
    pub room: String,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct OrganizerView {
    pub slug: String,
    pub name: String,
}

impl OrganizerView {
    pub fn feed_path(&self) -> String {
        format!("/organizations/{}/calendar.ics", self.slug)
    }
}

#[derive(Debug, Clone)]
pub struct EventView {
    pub slug: String,
    pub title: String,
    pub other_title: String,
    pub description: String,
    pub kind: &'static str,
    /// A partnering day: organizers get its grid.
    pub partnering: bool,
    pub status: &'static str,
    pub cancelled: bool,
    pub draft: bool,
    pub times: Vec<ZonedTime>,
    pub organizers: Vec<OrganizerView>,
    pub places: Vec<PlaceView>,
    pub capacity: Option<i32>,
    pub registration: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub revision: i32,
    /// "Online" or "Venue + online"; None for an event at a venue only.
    pub attendance: Option<String>,
    /// What a card says of the seats: "full", "few", "closed" or "not_open"
    /// (the class; the text is `availability.{class}`), or None while
    /// seats are plentiful.
    pub availability: Option<&'static str>,
}

impl EventView {
    pub fn new(ctx: &PageContext, d: &EventDetails) -> Self {
        let e = &d.event;
        let lang = ctx.lang;
        let zone = TimeZone::from_stored(&e.time_zone);
        let (starts_at, ends_at) = (to_utc(e.starts_at), to_utc(e.ends_at));
        let kind = t(lang, e.kind.label_key());
        let status = e.status;
        let (opens, closes) = (
            e.registration_opens_at.map(to_utc),
            e.registration_closes_at.map(to_utc),
        );
        let registration_in = |zone: TimeZone| match (opens, closes) {
            (Some(o), Some(c)) => Some(format_range(lang, o, c, zone)),
            (None, Some(c)) => Some(format!(
                "{} {}",
                t(lang, "event.registration_until"),
                format_instant(lang, c, zone)
            )),
            (Some(o), None) => Some(format!(
                "{} {}",
                t(lang, "event.registration_from"),
                format_instant(lang, o, zone)
            )),
            (None, None) => None,
        };
        // A guest abroad reads the registration window in their own time too.
        let registration = registration_in(TimeZone::TOKYO).map(|jst| {
            match ctx.viewer_zone.and_then(registration_in) {
                Some(local) => format!("{jst} ({local})"),
                None => jst,
            }
        });
        let attendance = match d.attendance() {
            crate::domain::Attendance::InPerson => None,
            a => Some(match &e.online_platform {
                Some(p) => format!("{} ({p})", t(lang, a.label_key())),
                None => t(lang, a.label_key()).to_owned(),
            }),
        };
        let availability = match crate::service::registrations::closed_reason(e, crate::db::now()) {
            _ if status == EventStatus::Cancelled => None,
            Some("conflict.registration_not_open") => Some("not_open"),
            Some(_) => Some("closed"),
            None => e.capacity.and_then(|c| {
                let left = c - e.confirmed_count;
                if left <= 0 {
                    Some("full")
                } else if left <= 5 || left * 10 <= c {
                    Some("few")
                } else {
                    None
                }
            }),
        };
        Self {
            attendance,
            availability,
            slug: e.slug.clone(),
            title: lang.pick(&e.title_ja, &e.title_en).to_owned(),
            other_title: lang.other().pick(&e.title_ja, &e.title_en).to_owned(),
            description: lang.pick(&e.description_ja, &e.description_en).to_owned(),
            kind,
            partnering: e.kind == crate::domain::EventKind::Partnering,
            status: t(lang, status.label_key()),
            cancelled: status == EventStatus::Cancelled,
            draft: status == EventStatus::Draft,
            times: zoned_times(ctx, starts_at, ends_at, zone, None),
            organizers: d
                .organizers
                .iter()
                .map(|o| OrganizerView {
                    slug: o.slug.clone(),
                    name: lang.pick(&o.name_ja, &o.name_en).to_owned(),
                })
                .collect(),
            places: d
                .rooms
                .iter()
                .map(|(room, venue)| PlaceView {
                    venue_slug: venue.slug.clone(),
                    venue: lang.pick(&venue.name_ja, &venue.name_en).to_owned(),
                    room: lang.pick(&room.name_ja, &room.name_en).to_owned(),
                    address: lang.pick(&venue.address_ja, &venue.address_en).to_owned(),
                })
                .collect(),
            capacity: e.capacity,
            registration,
            starts_at,
            ends_at,
            revision: e.revision,
        }
    }

    pub fn organizer_list(&self) -> String {
        self.organizers
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(" × ")
    }

    pub fn place_list(&self) -> String {
        self.places
            .iter()
            .map(|p| format!("{} {}", p.venue, p.room))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn description_paragraphs(&self) -> Vec<&str> {
        self.description
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// Google Calendar's "add event" link (its documented TEMPLATE action):
/// times in UTC, shown in the event's zone; the description ends with the
/// event page so that the copy leads back to the source.
pub fn google_calendar_url(ctx: &PageContext, d: &EventDetails) -> String {
    const MAX_DETAILS: usize = 600;
    let e = &d.event;
    let view = EventView::new(ctx, d);
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let mut details: String = view.description.chars().take(MAX_DETAILS).collect();
    if details.len() < view.description.len() {
        details.push('…');
    }
    if !details.is_empty() {
        details.push_str("\n\n");
    }
    details.push_str(&ctx.absolute(&format!("/events/{}", e.slug)));
    let location = view
        .places
        .iter()
        .map(|p| format!("{} {}, {}", p.venue, p.room, p.address))
        .collect::<Vec<_>>()
        .join(" / ");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "TEMPLATE")
        .append_pair("text", &view.title)
        .append_pair(
            "dates",
            &format!("{}/{}", stamp(view.starts_at), stamp(view.ends_at)),
        )
        .append_pair("details", &details)
        .append_pair("location", &location)
        .append_pair("ctz", TimeZone::from_stored(&e.time_zone).name())
        .finish();
    format!("https://calendar.google.com/calendar/render?{query}")
}
