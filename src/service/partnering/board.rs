//! A partnering day as the scheduler sees it: participants, profiles,
//! accepted requests, where the placed ones are, and the slots each
//! participant cannot meet in (marked, or taken by another meeting); the
//! instance made of it, and the meeting a placement becomes.

use std::collections::{BTreeSet, HashMap};

use super::Day;
use super::profiles::default_profile;
use super::schedule::Mode;
use crate::db::meetings::{self as mdb, MeetingFilter};
use crate::db::partnering::{self as pdb, Profile, Request};
use crate::db::registrations::Registration;
use crate::db::{DbConn, from_utc, to_utc};
use crate::domain::{
    Country, Description, EmailAddress, Invalid, Language, LanguagePair, MeetingId, MeetingStatus,
    Name, RegistrationId, ReminderOffsets, RequestId, RequestStatus, Schedule, Slug, TimeZone,
    Website,
};
use crate::error::AppError;
use crate::scheduling::{self, Instance, Participant, Placement, Tables};
use crate::service::meetings::{self as msvc, AttendeeInput, Company, MeetingInput};

/// A day as the scheduler sees it.
pub struct Board {
    pub day: Day,
    pub participants: Vec<Registration>,
    pub profiles: HashMap<RegistrationId, Profile>,
    /// Accepted requests between current participants.
    pub accepted: Vec<Request>,
    /// Where each placed request is: slot, table, meeting.
    pub placed: HashMap<RequestId, (usize, usize, MeetingId)>,
    /// Every request's live meeting, also one whose time or table the
    /// settings no longer have (after a change of settings with a re-plan).
    pub meetings: HashMap<RequestId, MeetingId>,
    /// Per participant, the slots they cannot meet in (marked, or busy elsewhere).
    pub blocked: HashMap<RegistrationId, BTreeSet<usize>>,
}

fn not_ready() -> AppError {
    AppError::conflict(
        Some("settings"),
        Invalid::new("conflict.partnering_not_ready"),
    )
}

pub fn board(conn: &mut DbConn, day: Day) -> Result<Board, AppError> {
    if day.settings.is_none() || day.slots.slots.is_empty() || day.tables.is_empty() {
        return Err(not_ready());
    }
    let id = day.event.event.id.clone();
    let participants = pdb::participants(conn, &id)?;
    let mut profiles: HashMap<RegistrationId, Profile> = pdb::profiles(conn, &id)?
        .into_iter()
        .map(|p| (p.registration_id.clone(), p))
        .collect();
    for r in &participants {
        profiles
            .entry(r.id.clone())
            .or_insert_with(|| default_profile(r));
    }
    let is_participant = |r: &RegistrationId| participants.iter().any(|p| &p.id == r);
    let requests = pdb::requests(conn, &id)?;
    let meeting_ids: Vec<&MeetingId> = requests
        .iter()
        .filter_map(|r| r.meeting_id.as_ref())
        .collect();
    let meetings: HashMap<MeetingId, mdb::Meeting> = mdb::find_many(conn, &meeting_ids)?
        .into_iter()
        .filter(|m| m.status == MeetingStatus::Confirmed)
        .map(|m| (m.id.clone(), m))
        .collect();
    let mut placed = HashMap::new();
    let mut live = HashMap::new();
    for r in &requests {
        let Some(m) = r.meeting_id.as_ref().and_then(|m| meetings.get(m)) else {
            continue;
        };
        live.insert(r.id.clone(), m.id.clone());
        let slot = day.slots.index_of(to_utc(m.starts_at));
        let table = day
            .tables
            .iter()
            .position(|t| Some(&t.label) == m.table_label.as_ref());
        if let (Some(s), Some(t)) = (slot, table) {
            placed.insert(r.id.clone(), (s, t, m.id.clone()));
        }
    }
    let accepted: Vec<Request> = requests
        .into_iter()
        .filter(|r| {
            r.status == RequestStatus::Accepted
                && is_participant(&r.requester_id)
                && is_participant(&r.recipient_id)
        })
        .collect();
    let mut blocked: HashMap<RegistrationId, BTreeSet<usize>> = HashMap::new();
    for (who, at) in pdb::unavailability(conn, &id)? {
        if let Some(s) = day.slots.index_of(to_utc(at)) {
            blocked.entry(who).or_default().insert(s);
        }
    }
    // Other meetings of the participants during the day block their slots.
    let (first, last) = (
        day.slots.slots[0].starts_at,
        day.slots.slots[day.slots.slots.len() - 1].ends_at,
    );
    let ours: BTreeSet<&MeetingId> = live.values().collect();
    let by_email: HashMap<&str, &RegistrationId> = participants
        .iter()
        .map(|r| (r.email_key.as_str(), &r.id))
        .collect();
    let others = msvc::list(
        conn,
        MeetingFilter {
            ends_after: Some(from_utc(first)),
            starts_before: Some(from_utc(last)),
            ..Default::default()
        },
    )?;
    for d in others
        .iter()
        .filter(|d| d.meeting.status == MeetingStatus::Confirmed && !ours.contains(&d.meeting.id))
    {
        let (start, end) = (to_utc(d.meeting.starts_at), to_utc(d.meeting.ends_at));
        for a in d.listed() {
            if let Some(who) = by_email.get(a.attendee.email_key.as_str()) {
                for (s, slot) in day.slots.slots.iter().enumerate() {
                    if slot.starts_at < end && start < slot.ends_at {
                        blocked.entry((*who).clone()).or_default().insert(s);
                    }
                }
            }
        }
    }
    Ok(Board {
        day,
        participants,
        profiles,
        accepted,
        placed,
        meetings: live,
        blocked,
    })
}

impl Board {
    /// The instance: `fixed` holds the placed meetings in incremental mode.
    pub fn instance(&self, mode: Mode) -> Instance {
        let settings = self.day.settings.as_ref();
        Instance {
            slots: self.day.slots.slots.len() as u32,
            tables: Tables::Each(self.day.tables.len() as u32),
            participants: self
                .participants
                .iter()
                .map(|r| Participant {
                    id: r.id.to_string(),
                    unavailable: self
                        .blocked
                        .get(&r.id)
                        .map(|b| b.iter().map(|s| *s as u32).collect())
                        .unwrap_or_default(),
                    max_meetings: settings.and_then(|s| s.max_meetings).map(|m| m as u32),
                })
                .collect(),
            requests: self
                .accepted
                .iter()
                .map(|r| scheduling::Request {
                    id: r.id.to_string(),
                    a: r.requester_id.to_string(),
                    b: r.recipient_id.to_string(),
                    priority: r.priority.clamp(1, 5) as u8,
                })
                .collect(),
            fixed: match mode {
                Mode::Replan => Vec::new(),
                Mode::Incremental => self
                    .accepted
                    .iter()
                    .filter_map(|r| {
                        self.placed.get(&r.id).map(|(s, t, _)| Placement {
                            request: r.id.to_string(),
                            slot: *s as u32,
                            table: *t as u32,
                        })
                    })
                    .collect(),
            },
        }
    }

    /// The meeting for `request` at `slot` and `table`.
    pub(super) fn meeting(
        &self,
        request: &Request,
        slot: usize,
        table: usize,
    ) -> Result<MeetingInput, AppError> {
        let e = &self.day.event.event;
        let s = &self.day.slots.slots[slot];
        let t = &self.day.tables[table];
        let side = |id: &RegistrationId| -> Result<(AttendeeInput, &Profile), AppError> {
            let r = self
                .participants
                .iter()
                .find(|p| &p.id == id)
                .ok_or(AppError::NotFound)?;
            let p = &self.profiles[id];
            let bad = |e: Invalid| {
                AppError::Unexpected(anyhow::anyhow!("stored participant data: {}", e.code))
            };
            Ok((
                AttendeeInput {
                    name: Name::parse(&r.name).map_err(bad)?,
                    email: EmailAddress::parse(&r.email).map_err(bad)?,
                    company: Company::Named(Name::parse(&p.organization).map_err(bad)?),
                    country: Country::parse(&p.country).ok(),
                    time_zone: Some(TimeZone::from_stored(&p.time_zone)),
                    language: Language::parse(&r.language).ok(),
                },
                p,
            ))
        };
        let (a, pa) = side(&request.requester_id)?;
        let (b, pb) = side(&request.recipient_id)?;
        let title = |lead: &str| {
            let full = format!("{lead}: {} × {}", pa.organization, pb.organization);
            let short: String = full.chars().take(Name::MAX_CHARS).collect();
            Name::parse(&short).map_err(|e| AppError::field("title", e))
        };
        Ok(MeetingInput {
            title_ja: title("商談")?,
            title_en: title("Meeting")?,
            agenda: Description::parse(&request.message)
                .map_err(|e| AppError::field("message", e))?,
            schedule: Schedule::new(s.starts_at, s.ends_at, TimeZone::TOKYO)
                .map_err(|e| AppError::field("slot", e))?,
            room_id: t.room_id.clone(),
            online_url: t
                .online_url
                .as_deref()
                .map(Website::parse)
                .transpose()
                .map_err(|e| AppError::field("online_url", e))?,
            event_slug: Some(Slug::parse(&e.slug).map_err(|e| AppError::field("slug", e))?),
            interpreter: (pa.interpreter || pb.interpreter)
                .then(|| LanguagePair::parse("ja-en"))
                .transpose()
                .map_err(|e| AppError::field("interpreter", e))?,
            reminder_offsets: ReminderOffsets::standard(),
            // The plan keeps the day's meetings apart, and other meetings'
            // slots are blocked; a re-plan that swaps two meetings passes
            // through a moment in which they would overlap.
            allow_attendee_conflicts: true,
            attendees: vec![a, b],
            expected_revision: None,
            table_label: Some(t.label.clone()),
        })
    }
}
