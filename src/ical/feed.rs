//! Calendars of events: feeds (`METHOD:PUBLISH`). The output depends only
//! on the stored data, so the same data gives byte-identical calendars.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::vtimezone;
use super::writer::Writer;
use crate::db::events::EventDetails;
use crate::db::to_utc;
use crate::domain::{EventId, EventStatus, Language, TimeZone};
use crate::i18n::t;

pub const PRODID: &str = "-//LINK-J WEST//musubi//EN";

/// What a calendar says about itself.
pub struct CalendarInfo<'a> {
    pub name: &'a str,
    /// The feed's own URL (SOURCE).
    pub source_url: &'a str,
    pub lang: Language,
    /// Public URL of the service, for event links.
    pub base_url: &'a str,
    /// Host part of UIDs, e.g. `events.example.org`.
    pub uid_host: &'a str,
    /// ORGANIZER's address.
    pub organizer_email: &'a str,
}

/// The UID of an event: never changes, whatever is edited.
pub fn uid(event_id: &EventId, host: &str) -> String {
    format!("event-{event_id}@{host}")
}

pub fn utc_stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn local_stamp(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

/// A full calendar of `events` with the VTIMEZONEs they need.
pub fn calendar(info: &CalendarInfo<'_>, events: &[EventDetails]) -> String {
    calendar_with_meetings(info, events, &[])
}

/// A full calendar of `events` and copies of meetings (a person's or the
/// staff's), with the VTIMEZONEs they need.
pub fn calendar_with_meetings(
    info: &CalendarInfo<'_>,
    events: &[EventDetails],
    meetings: &[super::meeting::Copy<'_>],
) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", &[], "2.0");
    w.raw("PRODID", &[], PRODID);
    w.raw("CALSCALE", &[], "GREGORIAN");
    w.raw("METHOD", &[], "PUBLISH");
    w.text("NAME", &[], info.name);
    w.text("X-WR-CALNAME", &[], info.name);
    w.raw("X-WR-TIMEZONE", &[], TimeZone::TOKYO.name());
    w.raw("REFRESH-INTERVAL", &[("VALUE", "DURATION")], "PT1H");
    w.raw("X-PUBLISHED-TTL", &[], "PT1H");
    w.raw("SOURCE", &[("VALUE", "URI")], info.source_url);
    write_zones(
        &mut w,
        events
            .iter()
            .map(|d| {
                (
                    d.event.time_zone.as_str(),
                    to_utc(d.event.starts_at),
                    to_utc(d.event.ends_at),
                )
            })
            .chain(meetings.iter().map(|c| {
                let m = &c.details.meeting;
                (m.time_zone.as_str(), to_utc(m.starts_at), to_utc(m.ends_at))
            })),
    );
    for d in events {
        write_event(&mut w, info, d);
    }
    for copy in meetings {
        super::meeting::write_vevent(&mut w, info, copy);
    }
    w.end("VCALENDAR");
    w.finish()
}

/// One VTIMEZONE per zone the events use, in name order, covering the years
/// of that zone's events. Only used zones: some parsers (Python's
/// icalendar) stumble on a VTIMEZONE that no property refers to.
pub fn write_timezones(w: &mut Writer, events: &[EventDetails]) {
    write_zones(
        w,
        events.iter().map(|d| {
            (
                d.event.time_zone.as_str(),
                to_utc(d.event.starts_at),
                to_utc(d.event.ends_at),
            )
        }),
    );
}

/// One VTIMEZONE per zone of these (zone, start, end) spans, in name
/// order, covering the years of that zone's spans.
pub fn write_zones<'a>(
    w: &mut Writer,
    spans: impl IntoIterator<Item = (&'a str, DateTime<Utc>, DateTime<Utc>)>,
) {
    let mut zones: std::collections::BTreeMap<&'static str, Vec<DateTime<Utc>>> =
        Default::default();
    for (zone, start, end) in spans {
        let zone = TimeZone::from_stored(zone);
        zones.entry(zone.name()).or_default().extend([start, end]);
    }
    if zones.is_empty() {
        // Nothing to place: Japan time, which every musubi calendar names
        // (X-WR-TIMEZONE) and RFC 5545 §3.6 needs as its one component.
        zones.insert(TimeZone::TOKYO.name(), Vec::new());
    }
    for (name, instants) in zones {
        let tz = TimeZone::from_stored(name).tz();
        let (from, to) = vtimezone::year_span(tz, instants).unwrap_or((2026, 2026));
        vtimezone::write(w, tz, from, to);
    }
}

/// What an iTIP message (RFC 5546) adds to an event: the sequence the
/// message carries, when the message was made, whether it cancels, and the
/// guest it is for.
pub struct Invite<'a> {
    pub sequence: i32,
    pub dtstamp: NaiveDateTime,
    pub cancelled: bool,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
    /// The guest has a seat: the invite carries the join link of an online
    /// or hybrid event (never a feed anyone else can read).
    pub join: bool,
}

/// The VEVENT of one event, in `info.lang`.
pub fn write_event(w: &mut Writer, info: &CalendarInfo<'_>, d: &EventDetails) {
    write_vevent(w, info, d, None);
}

/// The VEVENT of one event, for a feed or (with `invite`) for an iTIP message.
pub fn write_vevent(
    w: &mut Writer,
    info: &CalendarInfo<'_>,
    d: &EventDetails,
    invite: Option<&Invite<'_>>,
) {
    let e = &d.event;
    let lang = info.lang;
    let tz = TimeZone::from_stored(&e.time_zone).tz();
    let url = format!("{}/events/{}", info.base_url, e.slug);
    // A guest's own cancellation removes them from the event (RFC 5546
    // §3.2.5: an uninvite, without STATUS): their copy keeps the UID, time,
    // place and title only.
    let uninvite = invite.is_some_and(|i| i.cancelled) && e.status != EventStatus::Cancelled;
    w.begin("VEVENT");
    w.raw("UID", &[], &uid(&e.id, info.uid_host));
    w.raw(
        "SEQUENCE",
        &[],
        &invite.map_or(e.revision, |i| i.sequence).to_string(),
    );
    w.raw(
        "DTSTAMP",
        &[],
        &utc_stamp(invite.map_or(e.updated_at, |i| i.dtstamp)),
    );
    w.raw("CREATED", &[], &utc_stamp(e.created_at));
    w.raw("LAST-MODIFIED", &[], &utc_stamp(e.updated_at));
    w.raw(
        "DTSTART",
        &[("TZID", tz.name())],
        &local_stamp(to_utc(e.starts_at), tz),
    );
    w.raw(
        "DTEND",
        &[("TZID", tz.name())],
        &local_stamp(to_utc(e.ends_at), tz),
    );
    w.text(
        "SUMMARY",
        &[("LANGUAGE", lang.as_str())],
        lang.pick(&e.title_ja, &e.title_en),
    );
    let other = lang.other();
    let mut description = lang
        .pick(&e.description_ja, &e.description_en)
        .trim()
        .to_owned();
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(other.pick(&e.title_ja, &e.title_en));
    description.push_str("\n\n");
    description.push_str(&url);
    let join = e
        .online_url
        .as_deref()
        .filter(|_| invite.is_some_and(|i| i.join && !i.cancelled));
    if let Some(link) = join {
        description.push_str(&format!("\n\n{}: {link}", t(lang, "event.join_online")));
    }
    if !uninvite {
        w.text("DESCRIPTION", &[("LANGUAGE", lang.as_str())], &description);
    }
    let mut places: Vec<String> = d
        .rooms
        .iter()
        .map(|(room, venue)| {
            format!(
                "{} {}, {}",
                lang.pick(&venue.name_ja, &venue.name_en),
                lang.pick(&room.name_ja, &room.name_en),
                lang.pick(&venue.address_ja, &venue.address_en)
            )
        })
        .collect();
    if e.online_url.is_some() {
        // Where an online part is: said to everyone, linked for guests only.
        let mut online = t(lang, "attendance.online").to_owned();
        if let Some(p) = &e.online_platform {
            online.push_str(&format!(" ({p})"));
        }
        if let Some(link) = join {
            online.push_str(&format!(" {link}"));
        }
        places.push(online);
    }
    if !places.is_empty() {
        w.text(
            "LOCATION",
            &[("LANGUAGE", lang.as_str())],
            &places.join(" / "),
        );
    }
    if !uninvite {
        w.raw("URL", &[("VALUE", "URI")], &url);
    }
    if let Some(link) = join {
        // RFC 7986: how to join.
        let label = e
            .online_platform
            .as_deref()
            .unwrap_or(t(lang, "event.join_online"));
        w.raw(
            "CONFERENCE",
            &[("VALUE", "URI"), ("FEATURE", "VIDEO"), ("LABEL", label)],
            link,
        );
    }
    let organizers: Vec<&str> = d
        .organizers
        .iter()
        .map(|o| lang.pick(&o.name_ja, &o.name_en))
        .collect();
    if !organizers.is_empty() || invite.is_some() {
        let name = if organizers.is_empty() {
            t(lang, "site.name").to_owned()
        } else {
            organizers.join(" × ")
        };
        w.raw(
            "ORGANIZER",
            &[("CN", &name)],
            &format!("mailto:{}", info.organizer_email),
        );
    }
    if let Some(i) = invite {
        w.raw(
            "ATTENDEE",
            &[
                ("CN", i.attendee_name),
                ("ROLE", "REQ-PARTICIPANT"),
                ("PARTSTAT", "ACCEPTED"),
                ("RSVP", "FALSE"),
            ],
            &format!("mailto:{}", i.attendee_email),
        );
    }
    if !uninvite {
        w.text(
            "CATEGORIES",
            &[("LANGUAGE", lang.as_str())],
            t(lang, e.kind.label_key()),
        );
        let cancelled = e.status == EventStatus::Cancelled || invite.is_some_and(|i| i.cancelled);
        w.raw(
            "STATUS",
            &[],
            if cancelled { "CANCELLED" } else { "CONFIRMED" },
        );
    }
    w.raw("TRANSP", &[], "OPAQUE");
    w.end("VEVENT");
}

/// An iTIP message for one guest (RFC 5546): `METHOD:REQUEST` with the
/// event as it is now, or `METHOD:CANCEL` for a cancelled event or
/// registration. Same UID as the feeds; the sequence comes from `invite`.
pub fn itip(info: &CalendarInfo<'_>, d: &EventDetails, invite: &Invite<'_>) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", &[], "2.0");
    w.raw("PRODID", &[], PRODID);
    w.raw("CALSCALE", &[], "GREGORIAN");
    w.raw(
        "METHOD",
        &[],
        if invite.cancelled {
            "CANCEL"
        } else {
            "REQUEST"
        },
    );
    write_timezones(&mut w, std::slice::from_ref(d));
    write_vevent(&mut w, info, d, Some(invite));
    w.end("VCALENDAR");
    w.finish()
}
