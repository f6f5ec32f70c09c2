//! Mail to guests: composing each kind of message in the guest's language
//! (subject, plain text, HTML and, for invites, an iTIP calendar part), and
//! sending it over SMTP or into .eml files.

pub mod dkim;
pub mod fold;
pub mod meeting;
pub mod partnering;
mod transport;

pub use transport::{Mailer, Outgoing, SendError};

use askama::Template;
use chrono::NaiveDateTime;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::db::events::EventDetails;
use crate::db::registrations::Registration;
use crate::db::to_utc;
use crate::domain::{EventStatus, MailKind, RegistrationStatus};
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
    /// The check-in link the QR code holds (`/check-in/<token>`).
    pub check_in_url: String,
    pub base_url: &'a str,
    pub host: &'a str,
    pub sender: &'a Sender<'a>,
}

/// Who every message is from and where answers and questions go: the same
/// for every kind of mail.
pub struct Sender<'a> {
    /// The From address, and the ORGANIZER of calendar entries.
    pub from: &'a str,
    /// Reply-To, and the address the footer names for questions.
    pub contact: &'a str,
    pub privacy_url: &'a str,
}

/// The closing lines every message ends with, in the recipient's language:
/// why they get it, where to ask, the privacy notice
/// (`templates/email/footer.{txt,html}`).
pub(crate) struct Footer<'a> {
    /// Who sends it (the site's name), at the top of the HTML part.
    pub(crate) site: &'a str,
    pub(crate) about: &'a str,
    pub(crate) contact: &'a str,
    pub(crate) privacy_url: &'a str,
    pub(crate) label_contact: &'a str,
    pub(crate) label_privacy: &'a str,
}

impl<'a> Footer<'a> {
    /// The footer whose first line is the message `about_key`.
    pub(crate) fn new(lang: Language, about_key: &'a str, sender: &'a Sender<'a>) -> Self {
        Self {
            site: t(lang, "site.name"),
            about: t(lang, about_key),
            contact: sender.contact,
            privacy_url: sender.privacy_url,
            label_contact: t(lang, "mail.contact_label"),
            label_privacy: t(lang, "mail.privacy_label"),
        }
    }
}

/// An image shown inside the HTML part (`<img src="cid:…">`).
#[derive(Debug, Clone)]
pub struct InlineImage {
    pub content_id: String,
    pub png: Vec<u8>,
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
    /// The join link of an online or hybrid event (confirmed guests only),
    /// with its platform.
    join: Option<(&'a str, String)>,
    /// The check-in QR code's content id and the link it holds.
    check_in: Option<(&'a str, &'a str)>,
    footer: Footer<'a>,
    label_join: &'a str,
    label_check_in: &'a str,
    label_check_in_link: &'a str,
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
    /// Images the HTML part shows (the check-in QR code).
    pub images: Vec<InlineImage>,
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
    let event_url = format!("{}/events/{}?lang={}", m.base_url, e.slug, lang.as_str());
    let show_links = !matches!(m.kind, MailKind::EventCancelled);
    let unsubscribe = (m.kind == MailKind::Reminder).then(|| m.links.unsubscribe.clone());
    // What only a guest with a seat gets: the join link and the check-in code.
    let seated = r.status == RegistrationStatus::Confirmed
        && e.status != EventStatus::Cancelled
        && matches!(
            m.kind,
            MailKind::Confirmed | MailKind::Promoted | MailKind::Changed | MailKind::Reminder
        );
    let join = e.online_url.as_deref().filter(|_| seated).map(|url| {
        let platform = e
            .online_platform
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        (url, platform)
    });
    const QR_ID: &str = "check-in-qr@musubi";
    let check_in =
        (seated && m.kind != MailKind::Changed).then_some((QR_ID, m.check_in_url.as_str()));
    let images = match check_in {
        Some((id, url)) => vec![InlineImage {
            content_id: id.to_owned(),
            png: crate::qr::png(url).map_err(|e| askama::Error::Custom(e.into()))?,
        }],
        None => Vec::new(),
    };
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
        join,
        check_in,
        footer: Footer::new(lang, "mail.footer", m.sender),
        label_join: t(lang, "event.join_online"),
        label_check_in: t(lang, "check_in.mail_lead"),
        label_check_in_link: t(lang, "check_in.link_beneath"),
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
            organizer_email: m.sender.from,
        };
        let invite = Invite {
            sequence: m.sequence,
            dtstamp: m.queued_at,
            cancelled: method == "CANCEL",
            attendee_name: &r.name,
            attendee_email: &r.email,
            join: seated,
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
        images,
    })
}

/// Which messages carry a calendar part, and with which iTIP method.
pub fn invite_method(kind: MailKind) -> Option<&'static str> {
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
/// `text/calendar; method=…`, as RFC 6047 describes for iMIP. Inline images
/// go with the HTML part in a multipart/related. Replies go to the contact
/// address, never to the sending address. `lang` names the sender.
pub fn to_message(
    c: &Composed,
    sender: &Sender<'_>,
    lang: Language,
    to_name: &str,
    to: &str,
) -> anyhow::Result<Message> {
    let site_name = t(lang, "site.name");
    let from: Mailbox = Mailbox::new(Some(site_name.to_owned()), sender.from.parse()?);
    let reply_to: Mailbox = Mailbox::new(Some(site_name.to_owned()), sender.contact.parse()?);
    // The envelope carries a Japanese domain in its punycode form.
    let to = crate::domain::ascii_form(to).unwrap_or_else(|| to.to_owned());
    let to: Mailbox = Mailbox::new(Some(to_name.to_owned()), to.parse()?);
    let html_part = SinglePart::builder()
        .header(ContentType::TEXT_HTML)
        .body(c.html.clone());
    let mut parts = MultiPart::alternative().singlepart(
        SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(c.text.clone()),
    );
    parts = if c.images.is_empty() {
        parts.singlepart(html_part)
    } else {
        let mut related = MultiPart::related().singlepart(html_part);
        for image in &c.images {
            related = related.singlepart(
                lettre::message::Attachment::new_inline(image.content_id.clone())
                    .body(image.png.clone(), ContentType::parse("image/png")?),
            );
        }
        parts.multipart(related)
    };
    if let Some((ics, method)) = &c.calendar {
        parts = parts.singlepart(
            SinglePart::builder()
                .header(ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={method}; name=invite.ics"
                ))?)
                .body(ics.clone()),
        );
    }
    let mut message = Message::builder()
        .from(from)
        .reply_to(reply_to)
        .to(to)
        .subject(c.subject.clone())
        .message_id(Some(c.message_id.clone()))
        .multipart(parts)?;
    let headers = message.headers_mut();
    // RFC 3834 §5: out-of-office and other automatic replies stay away.
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    ));
    if let Some(url) = &c.unsubscribe {
        const NAME: &str = "List-Unsubscribe";
        headers.insert_raw(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str(NAME),
            format!("<{url}>"),
            fold::bracketed_url(NAME.len(), url),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    Ok(message)
}
