//! Why a message no longer applies when its turn comes (a reminder after
//! the start, an invite replaced by a newer one, a request answered before
//! its mail went out): it is then skipped, with the reason recorded.

use chrono::{DateTime, Utc};

use super::delivery::Context;

use crate::db;
use crate::db::events::EventDetails;
use crate::db::meetings::{Attendee, MeetingDetails};
use crate::db::outbox::OutboxRow;
use crate::db::partnering::Request;
use crate::db::registrations::Registration;
use crate::domain::{
    EventStatus, MailKind, MeetingStatus, PartStat, RegistrationStatus, RequestStatus,
};

const EVENT_STARTED: &str = "the event has started";
const MEETING_STARTED: &str = "the meeting has started";

/// A time after which a message no longer applies, and why.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    at: DateTime<Utc>,
    why: &'static str,
}

impl Deadline {
    pub(super) fn passed(self, now: DateTime<Utc>) -> Option<&'static str> {
        (self.at <= now).then_some(self.why)
    }
}

/// The deadline of a message: a reminder's is its event's or meeting's
/// start. Checked before the message is composed and again just before it
/// is sent, since a batch is composed while the one before it goes out.
pub(super) fn deadline(kind: MailKind, context: &Context) -> Option<Deadline> {
    match (kind, context) {
        (MailKind::Reminder, Context::Guest { event, .. }) => Some(Deadline {
            at: db::to_utc(event.event.starts_at),
            why: EVENT_STARTED,
        }),
        (MailKind::MeetingReminder, Context::Attendee { meeting, .. }) => Some(Deadline {
            at: db::to_utc(meeting.meeting.starts_at),
            why: MEETING_STARTED,
        }),
        _ => None,
    }
}

/// Why a message should not go out any more, if it should not (besides
/// its [`deadline`]).
pub(super) fn guest(
    kind: MailKind,
    registration: &Registration,
    event: &EventDetails,
) -> Option<&'static str> {
    let e = &event.event;
    if kind == MailKind::Reminder {
        if e.status != EventStatus::Published {
            return Some("the event is not published");
        }
        if registration.status != RegistrationStatus::Confirmed {
            return Some("the registration is not confirmed");
        }
        if !registration.reminders {
            return Some("the guest turned reminders off");
        }
    }
    None
}

/// Why a meeting message should not go out any more, if it should not
/// (besides its [`deadline`]).
pub(super) fn attendee(
    row: &OutboxRow,
    attendee: &Attendee,
    meeting: &MeetingDetails,
) -> Option<&'static str> {
    let m = &meeting.meeting;
    match row.kind {
        MailKind::MeetingReminder => {
            if m.status != MeetingStatus::Confirmed {
                return Some("the meeting is cancelled");
            }
            if !attendee.is_listed() {
                return Some("the attendee was taken off the list");
            }
            if attendee.partstat == PartStat::Declined {
                return Some("the attendee declined");
            }
            if !attendee.reminders {
                return Some("the attendee turned reminders off");
            }
        }
        // Taken off and put back on the list before this went out: the
        // newer invite stands.
        MailKind::MeetingRemoved if attendee.is_listed() => {
            return Some("the attendee is on the list again");
        }
        MailKind::MeetingInvite | MailKind::MeetingUpdated => {
            if m.status != MeetingStatus::Confirmed || !attendee.is_listed() {
                return Some("the invite no longer applies");
            }
            // Every later revision sent each listed attendee a newer REQUEST.
            if row.revision < m.revision {
                return Some("a newer invite replaces it");
            }
        }
        _ => {}
    }
    None
}

/// Why a request message should not go out any more, if it should not.
pub(super) fn partner(kind: MailKind, request: &Request) -> Option<&'static str> {
    (kind == MailKind::PartneringRequest && request.status != RequestStatus::Pending)
        .then_some("the request was answered or withdrawn before this went out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_has_passed_at_its_time_and_after() {
        let at = DateTime::parse_from_rfc3339("2026-12-10T10:00:00+09:00")
            .unwrap()
            .with_timezone(&Utc);
        let d = Deadline {
            at,
            why: EVENT_STARTED,
        };
        assert_eq!(d.passed(at - chrono::Duration::seconds(1)), None);
        assert_eq!(d.passed(at), Some(EVENT_STARTED));
        assert_eq!(
            d.passed(at + chrono::Duration::hours(1)),
            Some(EVENT_STARTED)
        );
    }
}
