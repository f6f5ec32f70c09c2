//! Mail about business meetings: invites, updates, cancellations and
//! reminders to each attendee in their language (with the time in Japan
//! and in their own zone), and the notice to the organizers when an
//! attendee declines.

use askama::Template;
use chrono::NaiveDateTime;

use super::{Composed, Footer, Sender, Subject, reminder_phrase};
use crate::db::meetings::{Attendee, MeetingDetails};
use crate::db::to_utc;
use crate::domain::{Language, MailKind, TimeZone};
use crate::i18n::{format, format_range, t};
use crate::ical::feed::CalendarInfo;
use crate::ical::meeting::{self as ical, Method, View};

/// The links a meeting message carries; the tokens are the attendee's secrets.
pub struct MeetingLinks {
    /// The attendee's page (for the organizers' notice: the admin page).
    pub page: String,
    pub feed: String,
    pub unsubscribe: String,
}

/// Everything one meeting message is made of.
pub struct MeetingMail<'a> {
    pub kind: MailKind,
    /// Whom it is to; for [`MailKind::MeetingDeclined`], who declined.
    pub attendee: &'a Attendee,
    pub meeting: &'a MeetingDetails,
    pub sequence: i32,
    pub queued_at: NaiveDateTime,
    pub message_key: &'a str,
    pub reminder_minutes: Option<i32>,
    pub links: MeetingLinks,
    pub base_url: &'a str,
    pub host: &'a str,
    pub sender: &'a Sender<'a>,
}

struct MeetingBody<'a> {
    lang: &'a str,
    greeting: &'a str,
    intro: &'a str,
    title: &'a str,
    title_other: &'a str,
    when: &'a str,
    when_local: &'a Option<String>,
    place: &'a str,
    online_url: Option<&'a str>,
    others: Vec<String>,
    agenda: &'a str,
    interpreter: Option<String>,
    page_url: &'a str,
    feed_url: &'a str,
    unsubscribe_url: &'a Option<String>,
    show_links: bool,
    footer: Footer<'a>,
    label_when: &'a str,
    label_where: &'a str,
    label_online: &'a str,
    label_with: &'a str,
    label_agenda: &'a str,
    label_page: &'a str,
    label_feed: &'a str,
    label_unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "email/meeting/body.txt")]
struct BodyText<'a> {
    m: &'a MeetingBody<'a>,
}

#[derive(Template)]
#[template(path = "email/meeting/body.html")]
struct BodyHtml<'a> {
    m: &'a MeetingBody<'a>,
}

/// The iTIP method a kind of meeting mail carries, if any.
pub fn method(kind: MailKind) -> Option<Method> {
    match kind {
        MailKind::MeetingInvite | MailKind::MeetingUpdated => Some(Method::Request),
        MailKind::MeetingCancelled => Some(Method::Cancel),
        MailKind::MeetingRemoved => Some(Method::CancelForAttendee),
        _ => None,
    }
}

/// The language a message is written in: the attendee's, or Japanese for
/// the organizers' notice.
pub fn language(m: &MeetingMail<'_>) -> Language {
    if m.kind == MailKind::MeetingDeclined {
        Language::Ja
    } else {
        Language::parse(&m.attendee.language).unwrap_or_default()
    }
}

pub fn compose(m: &MeetingMail<'_>) -> Result<Composed, askama::Error> {
    let a = m.attendee;
    let d = m.meeting;
    let meeting = &d.meeting;
    let notice = m.kind == MailKind::MeetingDeclined;
    // Taken off the list: the message says so, and no longer who attends,
    // the agenda or the way in.
    let redacted = !a.is_listed() || m.kind == MailKind::MeetingRemoved;
    let lang = language(m);
    let title = lang.pick(&meeting.title_ja, &meeting.title_en);
    let title_other = lang.other().pick(&meeting.title_ja, &meeting.title_en);
    let (start, end) = (to_utc(meeting.starts_at), to_utc(meeting.ends_at));
    let when = format_range(lang, start, end, TimeZone::TOKYO);
    let zone = TimeZone::from_stored(&a.time_zone);
    let when_local = (!notice && zone != TimeZone::TOKYO).then(|| {
        format!(
            "({}: {} {})",
            t(lang, "meeting.time_yours"),
            format_range(lang, start, end, zone),
            zone.name()
        )
    });
    let company = d
        .attendees
        .iter()
        .find(|x| x.attendee.id == a.id)
        .map(|x| x.company(lang).to_owned())
        .unwrap_or_default();
    // The others, or everyone for the organizers; with answers for them.
    let others: Vec<String> = d
        .listed()
        .filter(|x| !redacted && (notice || x.attendee.id != a.id))
        .map(|x| {
            let who = format!("{} ({})", x.attendee.name, x.company(lang));
            if notice {
                format!("{who}: {}", t(lang, x.attendee.partstat.label_key()))
            } else {
                who
            }
        })
        .collect();
    let reminder_when = m
        .reminder_minutes
        .map(|minutes| reminder_phrase(lang, minutes))
        .unwrap_or_default();
    let args = [
        ("title", title.to_owned()),
        ("name", a.name.clone()),
        ("when", reminder_when),
        ("company", company),
    ];
    let (subject_key, intro_key) = m.kind.text_keys();
    let subject = format(lang, &subject_key, &args);
    let intro = format(lang, &intro_key, &args);
    let greeting = if notice {
        t(lang, "mail.greeting_organizers").to_owned()
    } else {
        format(lang, "mail.greeting", &args)
    };
    let interpreter = meeting
        .interpreter
        .as_ref()
        .filter(|_| !redacted)
        .map(|pair| {
            format(
                lang,
                "meeting.interpreter_note",
                &[("pair", pair.replace('-', " ⇄ "))],
            )
        });
    let unsubscribe = (m.kind == MailKind::MeetingReminder).then(|| m.links.unsubscribe.clone());
    let place = ical::location(d, lang);
    let body = MeetingBody {
        lang: lang.as_str(),
        greeting: &greeting,
        intro: &intro,
        title,
        title_other,
        when: &when,
        when_local: &when_local,
        place: &place,
        online_url: meeting.online_url.as_deref().filter(|_| !redacted),
        others,
        agenda: if redacted { "" } else { meeting.agenda.trim() },
        interpreter,
        page_url: &m.links.page,
        feed_url: &m.links.feed,
        unsubscribe_url: &unsubscribe,
        show_links: !matches!(
            m.kind,
            MailKind::MeetingCancelled | MailKind::MeetingRemoved
        ),
        footer: Footer::new(
            lang,
            if notice {
                "mail.footer_organizers"
            } else {
                "mail.footer_meeting"
            },
            m.sender,
        ),
        label_when: t(lang, "event.when"),
        label_where: t(lang, "event.where"),
        label_online: t(lang, "meeting.online"),
        label_with: t(
            lang,
            if notice {
                "meeting.attendees"
            } else {
                "meeting.with"
            },
        ),
        label_agenda: t(lang, "meeting.agenda"),
        label_page: t(
            lang,
            if notice {
                "meeting.admin_page"
            } else {
                "meeting.your_page"
            },
        ),
        label_feed: t(lang, "meeting.feed"),
        label_unsubscribe: t(lang, "mail.unsubscribe"),
    };
    let text = BodyText { m: &body }.render()?;
    let html = BodyHtml { m: &body }.render()?;
    let calendar = method(m.kind).map(|method| {
        let info = CalendarInfo {
            name: t(lang, "site.name"),
            source_url: &m.links.page,
            lang,
            base_url: m.base_url,
            uid_host: m.host,
            organizer_email: m.sender.from,
        };
        let copy = ical::Copy {
            details: d,
            view: View::Invite {
                attendee: a,
                method,
                sequence: m.sequence,
                dtstamp: m.queued_at,
                page_url: &m.links.page,
            },
        };
        (ical::itip(&info, &copy), method.as_str())
    });
    Ok(Composed {
        subject: Subject { subject: &subject }.render()?.trim().to_owned(),
        text,
        html,
        calendar,
        message_id: format!("<{}.{}@{}>", m.kind.as_str(), m.message_key, m.host),
        unsubscribe,
        images: Vec::new(),
    })
}
