//! Building one message for its recipient: a registered guest (about
//! their event) or a meeting attendee (or the organizers, about one), with
//! the links that carry the recipient's tokens.

use super::Worker;
use crate::db::events::EventDetails;
use crate::db::meetings::{Attendee, MeetingDetails};
use crate::db::outbox::OutboxRow;
use crate::db::registrations::Registration;
use crate::domain::{Language, MailKind};
use crate::email::meeting::{MeetingLinks, MeetingMail};
use crate::email::{self, Links, MailInput};
use crate::i18n::t;

impl Worker {
    /// Who every message is from and where questions go.
    pub(super) fn sender(&self) -> email::Sender<'_> {
        email::Sender {
            from: &self.settings.mail_from,
            contact: &self.settings.contact_email,
            privacy_url: &self.privacy_url,
        }
    }

    /// A message to a registered guest about their event.
    pub(super) fn guest_message(
        &self,
        row: &OutboxRow,
        registration: &Registration,
        event: &EventDetails,
        feed_generation: i32,
    ) -> Result<lettre::Message, String> {
        let kind = row.kind;
        let token = self.keys.registration(&registration.id);
        let feed_token = self.keys.feed(&registration.email_key, feed_generation);
        let base = &self.settings.base_url;
        // Every link opens in the guest's language.
        let lang = Language::parse(&registration.language).unwrap_or_default();
        let q = format!("?lang={}", lang.as_str());
        let sender = self.sender();
        let input = MailInput {
            kind,
            registration,
            event,
            sequence: row
                .sequence
                .unwrap_or_else(|| email::sequence_for(kind, row.revision)),
            queued_at: row.created_at,
            message_key: row.id.as_str(),
            reminder_minutes: row.reminder_minutes,
            links: Links {
                manage: format!("{base}/registrations/{}{q}", token.expose()),
                feed: format!("{base}/feeds/{}.ics{q}", feed_token.expose()),
                unsubscribe: format!("{base}/registrations/{}/unsubscribe{q}", token.expose()),
            },
            check_in_url: format!(
                "{base}{}",
                crate::service::registrations::attendees::check_in_path(
                    &self.keys,
                    &registration.id
                )
            ),
            base_url: base,
            host: &self.host,
            sender: &sender,
        };
        let composed = email::compose(&input).map_err(|e| format!("composing: {e}"))?;
        email::to_message(
            &composed,
            &sender,
            lang,
            &registration.name,
            &registration.email,
        )
        .map_err(|e| format!("building the message: {e}"))
    }

    /// A message to a meeting attendee, or about one to the organizers.
    pub(super) fn attendee_message(
        &self,
        row: &OutboxRow,
        attendee: &Attendee,
        meeting: &MeetingDetails,
        feed_generation: i32,
    ) -> Result<lettre::Message, String> {
        let kind = row.kind;
        let token = self.keys.attendee(&attendee.id, attendee.link_generation);
        let feed_token = self.keys.feed(&attendee.email_key, feed_generation);
        let base = &self.settings.base_url;
        let notice = kind == MailKind::MeetingDeclined;
        // Every link opens in the attendee's language.
        let q = format!(
            "?lang={}",
            Language::parse(&attendee.language)
                .unwrap_or_default()
                .as_str()
        );
        let page = if notice {
            format!("{base}/admin/meetings/{}", meeting.meeting.id)
        } else {
            format!("{base}/meetings/{}{q}", token.expose())
        };
        let sender = self.sender();
        let input = MeetingMail {
            kind,
            attendee,
            meeting,
            sequence: row.sequence.unwrap_or(row.revision),
            queued_at: row.created_at,
            message_key: row.id.as_str(),
            reminder_minutes: row.reminder_minutes,
            links: MeetingLinks {
                page,
                feed: format!("{base}/feeds/{}.ics{q}", feed_token.expose()),
                unsubscribe: format!("{base}/meetings/{}/unsubscribe{q}", token.expose()),
            },
            base_url: base,
            host: &self.host,
            sender: &sender,
        };
        let composed = email::meeting::compose(&input).map_err(|e| format!("composing: {e}"))?;
        let lang = email::meeting::language(&input);
        let (to_name, to) = if notice {
            (
                t(lang, "mail.organizers"),
                self.settings.organizer_email.as_str(),
            )
        } else {
            (attendee.name.as_str(), attendee.email.as_str())
        };
        email::to_message(&composed, &sender, lang, to_name, to)
            .map_err(|e| format!("building the message: {e}"))
    }
}
