//! Meetings in iCalendar: an attendee's or the staff's copy in a feed
//! (`METHOD:PUBLISH`, no ATTENDEE lines, the answer shown as the STATUS),
//! and the iTIP messages to attendees (`REQUEST` and `CANCEL`, RFC 5546,
//! every attendee with their PARTSTAT). One UID per meeting, never changing.

use chrono::NaiveDateTime;

use super::feed::{CalendarInfo, PRODID, local_stamp, utc_stamp, write_zones};
use super::writer::Writer;
use crate::db::meetings::{Attendee, MeetingDetails};
use crate::db::to_utc;
use crate::domain::{Language, MeetingId, MeetingStatus, PartStat, TimeZone};
use crate::i18n::{format_range, t};

/// The UID of a meeting: never changes, whatever is edited.
pub fn uid(meeting_id: &MeetingId, host: &str) -> String {
    format!("meeting-{meeting_id}@{host}")
}

/// Whose copy of a meeting this is, and in what message.
#[derive(Debug, Clone, Copy)]
pub enum View<'a> {
    /// An iTIP message to one attendee.
    Invite {
        attendee: &'a Attendee,
        method: Method,
        sequence: i32,
        dtstamp: NaiveDateTime,
        /// The attendee's own page, for the DESCRIPTION.
        page_url: &'a str,
    },
    /// One attendee's copy in their personal feed.
    Personal { attendee: &'a Attendee },
    /// The staff calendar: the meeting as it is.
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    /// The meeting is cancelled: everyone's copy goes.
    Cancel,
    /// This attendee was taken off the list: only their copy goes.
    CancelForAttendee,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel | Method::CancelForAttendee => "CANCEL",
        }
    }
}

/// A meeting as one reader sees it.
#[derive(Debug, Clone, Copy)]
pub struct Copy<'a> {
    pub details: &'a MeetingDetails,
    pub view: View<'a>,
}

/// Where a meeting is, in `lang`: the room with its venue and address, or
/// "online".
pub fn location(d: &MeetingDetails, lang: Language) -> String {
    let place = place(d, lang);
    match &d.meeting.table_label {
        Some(label) => format!(
            "{}, {place}",
            crate::i18n::format(lang, "partnering.table", &[("label", label.clone())])
        ),
        None => place,
    }
}

fn place(d: &MeetingDetails, lang: Language) -> String {
    match &d.room {
        Some((room, venue)) => format!(
            "{} {}, {}",
            lang.pick(&venue.name_ja, &venue.name_en),
            lang.pick(&room.name_ja, &room.name_en),
            lang.pick(&venue.address_ja, &venue.address_en)
        ),
        None => t(lang, "meeting.online").to_owned(),
    }
}

/// The DESCRIPTION: the time in Japan and in the reader's zone, who meets
/// (with their answers, for feeds and the staff), the agenda, the
/// interpreter and the online link.
pub fn description(
    d: &MeetingDetails,
    lang: Language,
    reader: Option<&Attendee>,
    page_url: Option<&str>,
) -> String {
    let m = &d.meeting;
    let (start, end) = (to_utc(m.starts_at), to_utc(m.ends_at));
    let mut lines = vec![
        lang.other().pick(&m.title_ja, &m.title_en).to_owned(),
        String::new(),
    ];
    lines.push(format!(
        "{}: {}",
        t(lang, "meeting.time_japan"),
        format_range(lang, start, end, TimeZone::TOKYO)
    ));
    if let Some(zone) = reader
        .map(|a| TimeZone::from_stored(&a.time_zone))
        .filter(|z| *z != TimeZone::TOKYO)
    {
        lines.push(format!(
            "{}: {} ({})",
            t(lang, "meeting.time_yours"),
            format_range(lang, start, end, zone),
            zone.name()
        ));
    }
    lines.push(String::new());
    lines.push(format!("{}:", t(lang, "meeting.attendees")));
    for a in d.listed() {
        let who = format!("{} ({})", a.attendee.name, a.company(lang));
        lines.push(format!(
            "- {who}: {}",
            t(lang, a.attendee.partstat.label_key())
        ));
    }
    if !m.agenda.trim().is_empty() {
        lines.push(String::new());
        lines.push(format!("{}:", t(lang, "meeting.agenda")));
        lines.push(m.agenda.trim().to_owned());
    }
    if let Some(pair) = &m.interpreter {
        lines.push(String::new());
        lines.push(crate::i18n::format(
            lang,
            "meeting.interpreter_note",
            &[("pair", pair.replace('-', " ⇄ "))],
        ));
    }
    if let Some(url) = &m.online_url {
        lines.push(String::new());
        lines.push(format!("{}: {url}", t(lang, "meeting.online")));
    }
    if let Some(url) = page_url {
        lines.push(String::new());
        lines.push(format!("{}: {url}", t(lang, "meeting.your_page")));
    }
    lines.join("\n")
}

/// The VEVENT of one copy of a meeting.
pub fn write_vevent(w: &mut Writer, info: &CalendarInfo<'_>, copy: &Copy<'_>) {
    let d = copy.details;
    let m = &d.meeting;
    let lang = info.lang;
    let tz = TimeZone::from_stored(&m.time_zone).tz();
    // Someone taken off the list keeps the meeting's UID, time, place and
    // title, and nothing else of it: no attendees, agenda or way in.
    let bare = match copy.view {
        View::Invite { method, .. } => method == Method::CancelForAttendee,
        View::Personal { attendee } => !attendee.is_listed(),
        View::Staff => false,
    };
    // A person's copy changes with their answer too.
    let (sequence, dtstamp, modified) = match copy.view {
        View::Invite {
            sequence, dtstamp, ..
        } => (sequence, dtstamp, m.updated_at),
        View::Personal { attendee } => {
            let changed = m.updated_at.max(attendee.updated_at);
            (m.revision, changed, changed)
        }
        View::Staff => (m.revision, m.updated_at, m.updated_at),
    };
    w.begin("VEVENT");
    w.raw("UID", &[], &uid(&m.id, info.uid_host));
    w.raw("SEQUENCE", &[], &sequence.to_string());
    w.raw("DTSTAMP", &[], &utc_stamp(dtstamp));
    w.raw("CREATED", &[], &utc_stamp(m.created_at));
    w.raw("LAST-MODIFIED", &[], &utc_stamp(modified));
    w.raw(
        "DTSTART",
        &[("TZID", tz.name())],
        &local_stamp(to_utc(m.starts_at), tz),
    );
    w.raw(
        "DTEND",
        &[("TZID", tz.name())],
        &local_stamp(to_utc(m.ends_at), tz),
    );
    w.text(
        "SUMMARY",
        &[("LANGUAGE", lang.as_str())],
        lang.pick(&m.title_ja, &m.title_en),
    );
    let (reader, page_url) = match copy.view {
        View::Invite {
            attendee, page_url, ..
        } => (Some(attendee), Some(page_url)),
        View::Personal { attendee } => (Some(attendee), None),
        View::Staff => (None, None),
    };
    if !bare {
        w.text(
            "DESCRIPTION",
            &[("LANGUAGE", lang.as_str())],
            &description(d, lang, reader, page_url),
        );
    }
    w.text(
        "LOCATION",
        &[("LANGUAGE", lang.as_str())],
        &location(d, lang),
    );
    if let Some(url) = m.online_url.as_ref().filter(|_| !bare) {
        if d.room.is_none() {
            w.raw("URL", &[("VALUE", "URI")], url);
        }
        // RFC 7986: how to join.
        w.raw(
            "CONFERENCE",
            &[
                ("VALUE", "URI"),
                // One value: the writer would quote a list as a whole.
                ("FEATURE", "VIDEO"),
                ("LABEL", t(lang, "meeting.online")),
            ],
            url,
        );
    }
    w.raw(
        "ORGANIZER",
        &[("CN", t(lang, "site.name"))],
        &format!("mailto:{}", info.organizer_email),
    );
    if let View::Invite {
        attendee, method, ..
    } = copy.view
    {
        let listed: Vec<&Attendee> = match method {
            Method::CancelForAttendee => vec![attendee],
            _ => d.listed().map(|a| &a.attendee).collect(),
        };
        for a in listed {
            // The address as the mail's envelope has it (a Japanese domain
            // in punycode), so that mail programs match the invite to it.
            let address = crate::domain::ascii_form(&a.email).unwrap_or_else(|| a.email.clone());
            let mut params = vec![("CN", a.name.as_str()), ("ROLE", "REQ-PARTICIPANT")];
            if method == Method::Request {
                params.extend([("PARTSTAT", a.partstat.ical()), ("RSVP", "TRUE")]);
            }
            w.raw("ATTENDEE", &params, &format!("mailto:{address}"));
        }
    }
    if !bare {
        w.text(
            "CATEGORIES",
            &[("LANGUAGE", lang.as_str())],
            t(lang, "meeting.category"),
        );
    }
    let status = status(d, copy.view);
    if let Some(status) = status {
        w.raw("STATUS", &[], status);
    }
    match status {
        // A copy that is gone no longer blocks the time.
        Some("CANCELLED") => w.raw("TRANSP", &[], "TRANSPARENT"),
        Some("TENTATIVE") => {
            w.raw("TRANSP", &[], "OPAQUE");
            // Outlook shows busy time from this, not from STATUS.
            w.raw("X-MICROSOFT-CDO-BUSYSTATUS", &[], "TENTATIVE");
        }
        _ => w.raw("TRANSP", &[], "OPAQUE"),
    }
    w.end("VEVENT");
}

/// The STATUS of a copy: a cancelled meeting or copy is CANCELLED; in an
/// attendee's feed their answer shows (accepted: CONFIRMED; tentative or
/// not yet answered: TENTATIVE; declined or taken off: CANCELLED, so that
/// their calendar drops it). The CANCEL to one attendee taken off the
/// list has none: RFC 5546 3.2.5 forbids STATUS when uninviting.
fn status(d: &MeetingDetails, view: View<'_>) -> Option<&'static str> {
    if let View::Invite {
        method: Method::CancelForAttendee,
        ..
    } = view
    {
        return None;
    }
    if d.meeting.status == MeetingStatus::Cancelled {
        return Some("CANCELLED");
    }
    Some(match view {
        View::Invite { method, .. } => match method {
            Method::Request => "CONFIRMED",
            Method::Cancel | Method::CancelForAttendee => "CANCELLED",
        },
        View::Personal { attendee } if !attendee.is_listed() => "CANCELLED",
        View::Personal { attendee } => match attendee.partstat {
            PartStat::Accepted => "CONFIRMED",
            PartStat::Tentative | PartStat::NeedsAction => "TENTATIVE",
            PartStat::Declined => "CANCELLED",
        },
        View::Staff => "CONFIRMED",
    })
}

/// An iTIP message for one attendee (RFC 5546): `REQUEST` with the meeting
/// as it is now and every attendee, or `CANCEL`.
pub fn itip(info: &CalendarInfo<'_>, copy: &Copy<'_>) -> String {
    let method = match copy.view {
        View::Invite { method, .. } => method,
        _ => Method::Request,
    };
    let m = &copy.details.meeting;
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", &[], "2.0");
    w.raw("PRODID", &[], PRODID);
    w.raw("CALSCALE", &[], "GREGORIAN");
    w.raw("METHOD", &[], method.as_str());
    write_zones(
        &mut w,
        [(m.time_zone.as_str(), to_utc(m.starts_at), to_utc(m.ends_at))],
    );
    write_vevent(&mut w, info, copy);
    w.end("VCALENDAR");
    w.finish()
}
