//! Turning accepted requests into business meetings at tables: the
//! instance the scheduler solves (participants' blocked slots include the
//! times of their other meetings), applying its plan (new meetings get
//! invites; moved ones a new REQUEST with a higher SEQUENCE; dropped ones a
//! CANCEL), and placing a request accepted after a run at once.

use std::collections::{BTreeSet, HashMap};

use super::profiles::default_profile;
use super::{Day, event, load_day};
use crate::db::meetings::{self as mdb, MeetingFilter};
use crate::db::partnering::{self as pdb, Profile, Request};
use crate::db::registrations::Registration;
use crate::db::{self, DbConn, from_utc, to_utc, write_tx};
use crate::domain::{
    Country, Description, EmailAddress, Invalid, Language, LanguagePair, MeetingId, MeetingStatus,
    Name, RegistrationId, ReminderOffsets, RequestId, RequestStatus, Schedule, Slug, TimeZone,
    Website,
};
use crate::error::AppError;
use crate::scheduling::{self, Instance, Participant, Placement, Plan, Tables};
use crate::service::keys::LinkKeys;
use crate::service::meetings::{self as msvc, AttendeeInput, Company, MeetingInput};

/// `incremental` keeps every placed meeting where it is; `replan` may move them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Incremental,
    Replan,
}

/// A day as the scheduler sees it.
pub struct Board {
    pub day: Day,
    pub participants: Vec<Registration>,
    pub profiles: HashMap<RegistrationId, Profile>,
    /// Accepted requests between current participants.
    pub accepted: Vec<Request>,
    /// Where each placed request is: slot, table, meeting.
    pub placed: HashMap<RequestId, (usize, usize, MeetingId)>,
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
    for r in &requests {
        let Some(m) = r.meeting_id.as_ref().and_then(|m| meetings.get(m)) else {
            continue;
        };
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
    let ours: BTreeSet<&MeetingId> = placed.values().map(|(_, _, m)| m).collect();
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
    fn meeting(
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

/// Runs the scheduler on the event `slug`; unless `dry_run`, applies the
/// plan in the same transaction. Answers the plan (request ids, slot and
/// table indexes).
#[tracing::instrument(skip(conn, keys))]
pub fn schedule(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    mode: Mode,
    dry_run: bool,
) -> Result<Plan, AppError> {
    write_tx(conn, |conn| {
        let e = event(conn, slug)?;
        pdb::lock(conn, &e.id)?;
        let day = load_day(conn, e)?;
        let board = board(conn, day)?;
        let plan = scheduling::solve(&board.instance(mode)).map_err(|e| {
            AppError::conflict(
                Some("plan"),
                Invalid::new("conflict.plan_impossible").with("reason", e.0),
            )
        })?;
        if !dry_run {
            apply(conn, keys, &board, &plan)?;
        }
        Ok(plan)
    })
}

fn apply(conn: &mut DbConn, keys: &LinkKeys, board: &Board, plan: &Plan) -> Result<(), AppError> {
    let by_id: HashMap<&str, &Request> =
        board.accepted.iter().map(|r| (r.id.as_str(), r)).collect();
    let now = db::now();
    for m in &plan.meetings {
        let request = by_id[m.request.as_str()];
        let (slot, table) = (m.slot as usize, m.table as usize);
        match board.placed.get(&request.id) {
            Some((s, t, _)) if (*s, *t) == (slot, table) => {}
            Some((_, _, meeting)) => {
                let input = board.meeting(request, slot, table)?;
                msvc::change_in(conn, keys, meeting, |_| Ok(input))?;
            }
            None => place(conn, keys, board, request, slot, table, now)?,
        }
    }
    for u in &plan.unplaced {
        let request = by_id[u.request.as_str()];
        if let Some((_, _, meeting)) = board.placed.get(&request.id) {
            msvc::cancel_in(conn, meeting)?;
            let mut r = request.clone();
            r.meeting_id = None;
            r.updated_at = now;
            pdb::update_request(conn, &r)?;
        }
    }
    pdb::mark_scheduled(conn, &board.day.event.event.id, now).map_err(AppError::from)
}

fn place(
    conn: &mut DbConn,
    keys: &LinkKeys,
    board: &Board,
    request: &Request,
    slot: usize,
    table: usize,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let created = msvc::create_in(conn, keys, &board.meeting(request, slot, table)?)?;
    let mut r = request.clone();
    r.meeting_id = Some(created.meeting.id);
    r.updated_at = now;
    pdb::update_request(conn, &r)?;
    Ok(())
}

/// After a run, a request accepted is placed at once: in the first slot
/// in which both are free and available (and under their maximum), at
/// the first free table. Returns whether it found a place.
pub fn place_now(
    conn: &mut DbConn,
    keys: &LinkKeys,
    day: Day,
    request: &Request,
) -> Result<bool, AppError> {
    if day.settings.as_ref().and_then(|s| s.scheduled_at).is_none() {
        return Ok(false);
    }
    let board = board(conn, day)?;
    let max = board
        .day
        .settings
        .as_ref()
        .and_then(|s| s.max_meetings)
        .map(|m| m as usize);
    let mut busy: BTreeSet<(&RegistrationId, usize)> = BTreeSet::new();
    let mut count: HashMap<&RegistrationId, usize> = HashMap::new();
    let mut tables: BTreeSet<(usize, usize)> = BTreeSet::new();
    for r in &board.accepted {
        if let Some((s, t, _)) = board.placed.get(&r.id) {
            tables.insert((*s, *t));
            for p in [&r.requester_id, &r.recipient_id] {
                busy.insert((p, *s));
                *count.entry(p).or_default() += 1;
            }
        }
    }
    let sides = [&request.requester_id, &request.recipient_id];
    if sides
        .iter()
        .any(|p| max.is_some_and(|m| count.get(p).copied().unwrap_or(0) >= m))
    {
        return Ok(false);
    }
    for s in 0..board.day.slots.slots.len() {
        let free = sides.iter().all(|p| {
            !busy.contains(&(*p, s)) && !board.blocked.get(*p).is_some_and(|b| b.contains(&s))
        });
        if !free {
            continue;
        }
        if let Some(t) = (0..board.day.tables.len()).find(|t| !tables.contains(&(s, *t))) {
            place(conn, keys, &board, request, s, t, db::now())?;
            return Ok(true);
        }
    }
    Ok(false)
}
