//! Why a message no longer applies when its turn comes (a reminder after
//! the start, an invite replaced by a newer one, a request answered before
//! its mail went out): it is then skipped, with the reason recorded.

use chrono::{DateTime, Utc};

use crate::db;
use crate::db::events::EventDetails;
use crate::db::meetings::{Attendee, MeetingDetails};
use crate::db::outbox::OutboxRow;
use crate::db::partnering::Request;
use crate::db::registrations::Registration;
use crate::domain::{
    EventStatus, MailKind, MeetingStatus, PartStat, RegistrationStatus, RequestStatus,
};

/// Why a message should not go out any more, if it should not.
pub(super) fn guest(
    kind: MailKind,
    registration: &Registration,
    event: &EventDetails,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    let e = &event.event;
    if kind == MailKind::Reminder {
        if db::to_utc(e.starts_at) <= now {
            return Some("the event has started");
        }
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

/// Why a meeting message should not go out any more, if it should not.
pub(super) fn attendee(
    row: &OutboxRow,
    attendee: &Attendee,
    meeting: &MeetingDetails,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    let m = &meeting.meeting;
    match row.kind {
        MailKind::MeetingReminder => {
            if db::to_utc(m.starts_at) <= now {
                return Some("the meeting has started");
            }
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
