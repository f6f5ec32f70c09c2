//! Mail to guests: composing each kind of message in the guest's language
//! (subject, plain text, HTML and, for invites, an iTIP calendar part), and
//! sending it over SMTP or into .eml files.

pub mod meeting;
pub mod partnering;
mod transport;

pub use transport::{Mailer, SendError};

use askama::Template;
use chrono::NaiveDateTime;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::db::events::EventDetails;
use crate::db::registrations::Registration;
use crate::db::to_utc;
use crate::domain::MailKind;
use crate::domain::{Language, TimeZone};
use crate::i18n::{format, format_range, t};
use crate::ical::feed::{CalendarInfo, Invite, itip};

/// The links a message carries; the tokens in them are the guest's secrets.
pub struct Links {
    pub manage: String,
    pub feed: String,
    pub unsubscribe: String,
}

/// Everything one message is made of.
pub struct MailInput<'a> {
    pub kind: MailKind,
    pub registration: &'a Registration,
    pub event: &'a EventDetails,
    /// The SEQUENCE an invite carries.
    pub sequence: i32,
    /// When the message was queued: its DTSTAMP, the same on every retry.
    pub queued_at: NaiveDateTime,
    /// Unique per message; the Message-ID is made from it.
    pub message_key: &'a str,
    pub reminder_minutes: Option<i32>,
    pub links: Links,
    pub base_url: &'a str,
    pub host: &'a str,
    pub from: &'a str,
}

#[derive(Template)]
#[template(path = "email/subject.txt")]
pub(crate) struct Subject<'a> {
    pub(crate) subject: &'a str,
}

/// What the plain-text and HTML bodies show, already in the guest's language.
struct MailBody<'a> {
    lang: &'a str,
    greeting: &'a str,
    intro: &'a str,
    title: &'a str,
    title_other: &'a str,
    when: &'a str,
    when_local: &'a Option<String>,
    place: &'a str,
    organizers: &'a str,
    event_url: &'a str,
    manage_url: &'a str,
    feed_url: &'a str,
    unsubscribe_url: &'a Option<String>,
    show_links: bool,
    footer: &'a str,
    label_when: &'a str,
    label_where: &'a str,
    label_organizers: &'a str,
    label_event_page: &'a str,
    label_manage: &'a str,
    label_feed: &'a str,
    label_unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/body.txt")]
struct BodyText<'a> {
    m: &'a MailBody<'a>,
}

#[derive(Template)]
#[template(path = "email/body.html")]
struct BodyHtml<'a> {
    m: &'a MailBody<'a>,
}

/// The parts of a message before they become MIME.
#[derive(Debug, Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The iTIP part and its method (REQUEST or CANCEL).
    pub calendar: Option<(String, &'static str)>,
    pub message_id: String,
    /// RFC 8058 one-click unsubscribe URL (reminders only).
    pub unsubscribe: Option<String>,
}

/// Composes one message in the guest's language.
pub fn compose(m: &MailInput<'_>) -> Result<Composed, askama::Error> {
    let r = m.registration;
    let e = &m.event.event;
    let lang = Language::parse(&r.language).unwrap_or_default();
    let title = lang.pick(&e.title_ja, &e.title_en);
    let title_other = lang.other().pick(&e.title_ja, &e.title_en);
    let (start, end) = (to_utc(e.starts_at), to_utc(e.ends_at));
    let when = format_range(lang, start, end, TimeZone::TOKYO);
    let guest_zone = TimeZone::from_stored(&r.time_zone);
    let when_local = (guest_zone != TimeZone::TOKYO)
        .then(|| format!("({})", format_range(lang, start, end, guest_zone)));
    let place = m
        .event
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
        .collect::<Vec<_>>()
        .join(" / ");
    let organizers = m
        .event
        .organizers
        .iter()
        .map(|o| lang.pick(&o.name_ja, &o.name_en))
        .collect::<Vec<_>>()
        .join(" × ");
    let reminder_when = m
        .reminder_minutes
        .map(|minutes| reminder_phrase(lang, minutes))
        .unwrap_or_default();
    let args = [
        ("title", title.to_owned()),
        ("name", r.name.clone()),
        ("when", reminder_when),
        ("status", t(lang, r.status.label_key()).to_owned()),
    ];
    let (subject_key, intro_key) = m.kind.text_keys();
    let subject = format(lang, &subject_key, &args);
    let intro = format(lang, &intro_key, &args);
    let greeting = format(lang, "mail.greeting", &args);
    let event_url = format!("{}/events/{}", m.base_url, e.slug);
    let show_links = !matches!(m.kind, MailKind::EventCancelled);
    let unsubscribe = (m.kind == MailKind::Reminder).then(|| m.links.unsubscribe.clone());
    let footer = t(lang, "mail.footer");
    let body = MailBody {
        lang: lang.as_str(),
        greeting: &greeting,
        intro: &intro,
        title,
        title_other,
        when: &when,
        when_local: &when_local,
        place: &place,
        organizers: &organizers,
        event_url: &event_url,
        manage_url: &m.links.manage,
        feed_url: &m.links.feed,
        unsubscribe_url: &unsubscribe,
        show_links,
        footer,
        label_when: t(lang, "event.when"),
        label_where: t(lang, "event.where"),
        label_organizers: t(lang, "event.organizers"),
        label_event_page: t(lang, "mail.event_page"),
        label_manage: t(lang, "mail.manage"),
        label_feed: t(lang, "mail.feed"),
        label_unsubscribe: t(lang, "mail.unsubscribe"),
    };
    let text = BodyText { m: &body }.render()?;
    let html = BodyHtml { m: &body }.render()?;
    let calendar = invite_method(m.kind).map(|method| {
        let site = t(lang, "site.name");
        let info = CalendarInfo {
            name: site,
            source_url: &event_url,
            lang,
            base_url: m.base_url,
            uid_host: m.host,
            organizer_email: m.from,
        };
        let invite = Invite {
            sequence: m.sequence,
            dtstamp: m.queued_at,
            cancelled: method == "CANCEL",
            attendee_name: &r.name,
            attendee_email: &r.email,
        };
        (itip(&info, m.event, &invite), method)
    });
    Ok(Composed {
        subject: Subject { subject: &subject }.render()?.trim().to_owned(),
        text,
        html,
        calendar,
        message_id: format!("<{}.{}@{}>", m.kind.as_str(), m.message_key, m.host),
        unsubscribe,
    })
}

/// Which messages carry a calendar part, and with which iTIP method.
fn invite_method(kind: MailKind) -> Option<&'static str> {
    match kind {
        MailKind::Confirmed | MailKind::Promoted | MailKind::Changed => Some("REQUEST"),
        MailKind::EventCancelled | MailKind::RegistrationCancelled => Some("CANCEL"),
        MailKind::Waitlisted | MailKind::Reminder | MailKind::AlreadyRegistered => None,
        // Meeting mail is composed by `meeting::compose`.
        MailKind::MeetingInvite
        | MailKind::MeetingUpdated
        | MailKind::MeetingCancelled
        | MailKind::MeetingRemoved
        | MailKind::MeetingReminder
        | MailKind::MeetingDeclined => None,
        // Partnering request mail is composed by `partnering::compose`.
        MailKind::PartneringRequest
        | MailKind::PartneringAccepted
        | MailKind::PartneringDeclined
        | MailKind::PartneringExpired
        | MailKind::PartneringCancelled => None,
    }
}

/// The SEQUENCE of a message's invite: the event's revision when queued;
/// a guest's own cancellation goes one higher, since the event itself did
/// not change but the guest's copy must.
pub fn sequence_for(kind: MailKind, event_revision: i32) -> i32 {
    match kind {
        MailKind::RegistrationCancelled => event_revision + 1,
        _ => event_revision,
    }
}

pub(crate) fn reminder_phrase(lang: Language, minutes: i32) -> String {
    let (n, one, many) = if minutes % 1440 == 0 {
        (minutes / 1440, "reminder.in_one_day", "reminder.in_days")
    } else if minutes % 60 == 0 {
        (minutes / 60, "reminder.in_one_hour", "reminder.in_hours")
    } else {
        (minutes, "reminder.in_one_minute", "reminder.in_minutes")
    };
    let key = if n == 1 { one } else { many };
    format(lang, key, &[("n", n.to_string())])
}

/// The MIME message: multipart/alternative of text, HTML and (for invites)
/// `text/calendar; method=…`, as RFC 6047 describes for iMIP.
pub fn to_message(
    c: &Composed,
    from: &str,
    site_name: &str,
    to_name: &str,
    to: &str,
) -> anyhow::Result<Message> {
    let from: Mailbox = Mailbox::new(Some(site_name.to_owned()), from.parse()?);
    // The envelope carries a Japanese domain in its punycode form.
    let to = crate::domain::ascii_form(to).unwrap_or_else(|| to.to_owned());
    let to: Mailbox = Mailbox::new(Some(to_name.to_owned()), to.parse()?);
    let mut parts = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(c.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(c.html.clone()),
        );
    if let Some((ics, method)) = &c.calendar {
        parts = parts.singlepart(
            SinglePart::builder()
                .header(ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={method}"
                ))?)
                .body(ics.clone()),
        );
    }
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(c.subject.clone())
        .message_id(Some(c.message_id.clone()))
        .multipart(parts)?;
    if let Some(url) = &c.unsubscribe {
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    Ok(message)
}
