//! Participants' company profiles, the slots they cannot make, and the
//! directory in which they find each other.

use chrono::NaiveDateTime;

use super::fields::ProfileInput;
use super::{Day, load_day};
use crate::db::partnering::{self as pdb, Profile};
use crate::db::registrations::Registration;
use crate::db::{self, DbConn, from_utc, to_utc, write_tx};
use crate::domain::{
    Categories, Category, Country, EventKind, Invalid, RegistrationStatus, Validator,
};
use crate::error::AppError;

/// A participant's profile; before they fill it in, one made from their
/// registration (organization, country, zone), unlisted.
pub fn profile_or_default(
    conn: &mut DbConn,
    r: &Registration,
) -> Result<(Profile, bool), AppError> {
    Ok(match pdb::profile(conn, &r.id)? {
        Some(p) => (p, true),
        None => (default_profile(r), false),
    })
}

/// The profile of someone who has not filled theirs in: what their
/// registration says, unlisted.
pub fn default_profile(r: &Registration) -> Profile {
    Profile {
        registration_id: r.id.clone(),
        event_id: r.event_id.clone(),
        organization: r.organization.clone(),
        country: r.country.clone(),
        time_zone: r.time_zone.clone(),
        offer: String::new(),
        seek: String::new(),
        offer_categories: String::new(),
        seek_categories: String::new(),
        interpreter: false,
        listed: false,
        created_at: r.created_at,
        updated_at: r.created_at,
    }
}

/// The day of a participant's event; a registration that is not a
/// confirmed one of a partnering event has none (404: its link shows no
/// partnering pages).
pub fn day_of(conn: &mut DbConn, r: &Registration) -> Result<Day, AppError> {
    if r.status != RegistrationStatus::Confirmed {
        return Err(AppError::NotFound);
    }
    let event = crate::db::events::find(conn, &r.event_id)?.ok_or(AppError::NotFound)?;
    if event.kind != EventKind::Partnering {
        return Err(AppError::NotFound);
    }
    load_day(conn, event)
}

/// Saves a profile and the participant's unavailable slots: each must be
/// a slot of the day, and not one in which they already have a meeting.
#[tracing::instrument(skip_all)]
pub fn save(
    conn: &mut DbConn,
    r: &Registration,
    input: &ProfileInput,
) -> Result<Profile, AppError> {
    write_tx(conn, |conn| {
        let day = day_of(conn, r)?;
        // A run placing a meeting meanwhile would miss the new blocks.
        pdb::lock(conn, &day.event.event.id)?;
        let mut v = Validator::new();
        let booked = booked_slots(conn, &day, r)?;
        let mut starts: Vec<NaiveDateTime> = Vec::new();
        for (i, at) in input.unavailable.iter().enumerate() {
            match day.slots.index_of(*at) {
                None => v.add(
                    &format!("unavailable[{i}]"),
                    Invalid::new("invalid.unknown_slot"),
                ),
                Some(s) if booked.contains(&s) => v.add(
                    &format!("unavailable[{i}]"),
                    Invalid::new("invalid.slot_has_meeting"),
                ),
                Some(_) => starts.push(from_utc(*at)),
            }
        }
        v.finish().map_err(AppError::Validation)?;
        starts.sort();
        starts.dedup();
        let (old, exists) = profile_or_default(conn, r)?;
        let now = db::now();
        let p = Profile {
            organization: input.organization.as_str().to_owned(),
            country: input.country.as_str().to_owned(),
            time_zone: input.time_zone.name().to_owned(),
            offer: input.offer.as_str().to_owned(),
            seek: input.seek.as_str().to_owned(),
            offer_categories: input.offer_categories.to_stored(),
            seek_categories: input.seek_categories.to_stored(),
            interpreter: input.interpreter,
            listed: input.listed,
            created_at: if exists { old.created_at } else { now },
            updated_at: now,
            ..old
        };
        pdb::save_profile(conn, &p, exists)?;
        pdb::set_unavailable(conn, &r.id, &starts)?;
        Ok(p)
    })
}

/// The slot indexes in which the participant has a placed meeting.
pub fn booked_slots(
    conn: &mut DbConn,
    day: &Day,
    r: &Registration,
) -> Result<Vec<usize>, AppError> {
    let requests = pdb::requests_of(conn, &r.id)?;
    let ids: Vec<&crate::domain::MeetingId> = requests
        .iter()
        .filter_map(|q| q.meeting_id.as_ref())
        .collect();
    let meetings = crate::db::meetings::find_many(conn, &ids)?;
    Ok(meetings
        .iter()
        .filter(|m| m.status == crate::domain::MeetingStatus::Confirmed)
        .filter_map(|m| day.slots.index_of(to_utc(m.starts_at)))
        .collect())
}

/// The slot indexes a participant marked unavailable.
pub fn unavailable_slots(
    conn: &mut DbConn,
    day: &Day,
    r: &Registration,
) -> Result<Vec<usize>, AppError> {
    Ok(pdb::unavailable_of(conn, &r.id)?
        .into_iter()
        .filter_map(|at| day.slots.index_of(to_utc(at)))
        .collect())
}

/// What the directory is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    pub category: Option<Category>,
    pub country: Option<Country>,
    pub text: Option<String>,
}

/// Why a profile fits the viewer: it offers what they seek, or seeks what
/// they offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    Offers(Vec<Category>),
    Seeks(Vec<Category>),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub profile: Profile,
    pub offer_categories: Categories,
    pub seek_categories: Categories,
    pub fit: Vec<Fit>,
}

impl Entry {
    fn score(&self) -> usize {
        self.fit
            .iter()
            .map(|f| match f {
                Fit::Offers(c) => 2 * c.len(),
                Fit::Seeks(c) => c.len(),
            })
            .sum()
    }
}

/// The listed profiles of the viewer's event (never another event's, and
/// not their own), narrowed by the filter and ordered by fit: first those
/// offering what the viewer seeks, then those seeking what they offer.
pub fn directory(
    conn: &mut DbConn,
    me: &Registration,
    filter: &DirectoryFilter,
) -> Result<Vec<Entry>, AppError> {
    day_of(conn, me)?;
    let (mine, _) = profile_or_default(conn, me)?;
    let my_offer = categories(&mine.offer_categories)?;
    let my_seek = categories(&mine.seek_categories)?;
    let participants = pdb::participants(conn, &me.event_id)?;
    let text = filter
        .text
        .as_ref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    let mut entries = Vec::new();
    for p in pdb::profiles(conn, &me.event_id)? {
        if !p.listed
            || p.registration_id == me.id
            || !participants.iter().any(|r| r.id == p.registration_id)
        {
            continue;
        }
        let offer = categories(&p.offer_categories)?;
        let seek = categories(&p.seek_categories)?;
        if filter
            .category
            .is_some_and(|c| !offer.contains(c) && !seek.contains(c))
            || filter
                .country
                .as_ref()
                .is_some_and(|c| c.as_str() != p.country)
            || text.as_ref().is_some_and(|t| {
                ![&p.organization, &p.offer, &p.seek]
                    .iter()
                    .any(|f| f.to_lowercase().contains(t.as_str()))
            })
        {
            continue;
        }
        let mut fit = Vec::new();
        let offers = offer.common(&my_seek);
        if !offers.is_empty() {
            fit.push(Fit::Offers(offers));
        }
        let seeks = seek.common(&my_offer);
        if !seeks.is_empty() {
            fit.push(Fit::Seeks(seeks));
        }
        entries.push(Entry {
            profile: p,
            offer_categories: offer,
            seek_categories: seek,
            fit,
        });
    }
    entries.sort_by(|a, b| {
        b.score().cmp(&a.score()).then_with(|| {
            a.profile
                .organization
                .to_lowercase()
                .cmp(&b.profile.organization.to_lowercase())
        })
    });
    Ok(entries)
}

pub fn categories(stored: &str) -> Result<Categories, AppError> {
    Categories::from_stored(stored).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))
}

/// A participant as organizers see them: registration, profile, blocked slots.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub registration: Registration,
    pub profile: Profile,
    pub has_profile: bool,
    pub unavailable: Vec<usize>,
}

/// Every participant of the partnering event `slug`, in registration order.
pub fn roster(conn: &mut DbConn, slug: &str) -> Result<Vec<RosterEntry>, AppError> {
    let day = super::day(conn, slug)?;
    let id = &day.event.event.id;
    let people = pdb::participants(conn, id)?;
    let mut profiles: std::collections::HashMap<_, _> = pdb::profiles(conn, id)?
        .into_iter()
        .map(|p| (p.registration_id.clone(), p))
        .collect();
    let mut blocked: std::collections::HashMap<_, Vec<usize>> = std::collections::HashMap::new();
    for (who, at) in pdb::unavailability(conn, id)? {
        if let Some(s) = day.slots.index_of(to_utc(at)) {
            blocked.entry(who).or_default().push(s);
        }
    }
    Ok(people
        .into_iter()
        .map(|r| {
            let (profile, has_profile) = match profiles.remove(&r.id) {
                Some(p) => (p, true),
                None => (default_profile(&r), false),
            };
            let mut unavailable = blocked.remove(&r.id).unwrap_or_default();
            unavailable.sort_unstable();
            RosterEntry {
                registration: r,
                profile,
                has_profile,
                unavailable,
            }
        })
        .collect())
}

pub fn roster_entry(
    conn: &mut DbConn,
    day: &Day,
    r: Registration,
) -> Result<RosterEntry, AppError> {
    let (profile, has_profile) = profile_or_default(conn, &r)?;
    let mut unavailable = unavailable_slots(conn, day, &r)?;
    unavailable.sort_unstable();
    Ok(RosterEntry {
        registration: r,
        profile,
        has_profile,
        unavailable,
    })
}
