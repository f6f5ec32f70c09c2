//! Mail about partnering requests, to a participant in their language: a
//! request received, accepted, declined, expired or withdrawn, with the
//! other company's profile and the way to the participant's page.

use askama::Template;

use super::{Composed, Footer, Sender, Subject};
use crate::db::events::EventDetails;
use crate::db::partnering::{Profile, Request};
use crate::db::registrations::Registration;
use crate::domain::{Categories, Language, MailKind};
use crate::i18n::{format, t};

/// Everything one request message is made of.
pub struct RequestMail<'a> {
    pub kind: MailKind,
    pub to: &'a Registration,
    pub event: &'a EventDetails,
    pub request: &'a Request,
    /// The other side: their registration's name, and their profile.
    pub other_name: &'a str,
    pub other: &'a Profile,
    /// The participant's partnering page (their manage link's).
    pub page_url: &'a str,
    pub message_key: &'a str,
    pub host: &'a str,
    pub sender: &'a Sender<'a>,
}

struct Body<'a> {
    lang: &'a str,
    greeting: String,
    intro: String,
    company: String,
    offer: &'a str,
    seek: &'a str,
    offer_categories: String,
    seek_categories: String,
    message: &'a str,
    page_url: &'a str,
    footer: Footer<'a>,
    label_company: &'a str,
    label_offer: &'a str,
    label_seek: &'a str,
    label_message: &'a str,
    label_page: &'a str,
}

#[derive(Template)]
#[template(path = "email/partnering/body.txt")]
struct BodyText<'a> {
    m: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "email/partnering/body.html")]
struct BodyHtml<'a> {
    m: &'a Body<'a>,
}

fn labels(lang: Language, stored: &str) -> String {
    Categories::from_stored(stored)
        .unwrap_or_default()
        .iter()
        .map(|c| t(lang, c.label_key()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn compose(m: &RequestMail<'_>) -> Result<Composed, askama::Error> {
    let lang = Language::parse(&m.to.language).unwrap_or_default();
    let e = &m.event.event;
    let company = format!("{} ({})", m.other.organization, m.other.country);
    let args = [
        ("name", m.to.name.clone()),
        ("other", m.other.organization.clone()),
        ("event", lang.pick(&e.title_ja, &e.title_en).to_owned()),
    ];
    let (subject_key, intro_key) = m.kind.text_keys();
    let subject = format(lang, &subject_key, &args);
    let body = Body {
        lang: lang.as_str(),
        greeting: format(lang, "mail.greeting", &args),
        intro: format(lang, &intro_key, &args),
        // A person's name only once both want to meet; until then the
        // company, as in the directory.
        company: if m.kind == MailKind::PartneringAccepted {
            format!("{company} — {}", m.other_name)
        } else {
            company
        },
        offer: m.other.offer.trim(),
        seek: m.other.seek.trim(),
        offer_categories: labels(lang, &m.other.offer_categories),
        seek_categories: labels(lang, &m.other.seek_categories),
        message: m.request.message.trim(),
        page_url: m.page_url,
        footer: Footer::new(lang, "mail.footer_partnering", m.sender),
        label_company: t(lang, "partnering.company"),
        label_offer: t(lang, "partnering.offer"),
        label_seek: t(lang, "partnering.seek"),
        label_message: t(lang, "partnering.message"),
        label_page: t(lang, "partnering.your_page"),
    };
    Ok(Composed {
        subject: Subject { subject: &subject }.render()?.trim().to_owned(),
        text: BodyText { m: &body }.render()?,
        html: BodyHtml { m: &body }.render()?,
        calendar: None,
        message_id: format!("<{}.{}@{}>", m.kind.as_str(), m.message_key, m.host),
        unsubscribe: None,
        images: Vec::new(),
    })
}
