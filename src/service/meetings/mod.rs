//! Business meetings: created, changed, cancelled and listed, each in one
//! transaction that also books the room and queues every attendee's mail.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use crate::db::bookings::{self, Holder};
use crate::db::meetings::{
    self as mdb, AttendeeChanges, MeetingDetails, MeetingFilter, MeetingRow, NewAttendee,
};
use crate::db::organizations::Organization;
use crate::db::{
    self, DbConn, events as edb, organizations as orgs, to_utc, venues as vdb, write_tx,
};
use crate::domain::{
    AttendeeId, Country, EventId, Invalid, Language, MeetingId, MeetingStatus, PartStat, RoomId,
    TimeZone, Validator,
};
use crate::error::AppError;
use crate::service::keys::LinkKeys;
use crate::service::registrations::email_key;

pub mod attendee;
mod fields;
mod mail;

pub use fields::{AttendeeFields, Company, MeetingFields, MeetingInput};

/// An attendee ready to store: the input with its organization resolved
/// and its defaults filled in.
struct Resolved<'a> {
    input: &'a fields::AttendeeInput,
    email_key: String,
    organization: Option<&'a Organization>,
    country: Country,
    time_zone: TimeZone,
    language: Language,
}

impl Resolved<'_> {
    /// Who counts as one organization: a known one by id, a typed name by
    /// its letters (case and spacing aside), also when it is a known one's name.
    fn company_key(&self, known: &[Organization]) -> String {
        match (&self.organization, &self.input.company) {
            (Some(o), _) => o.id.to_string(),
            (None, Company::Named(name)) => {
                let typed: String = name
                    .as_str()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                known
                    .iter()
                    .find(|o| o.name_en.to_lowercase() == typed || o.name_ja == typed)
                    .map_or(typed, |o| o.id.to_string())
            }
            (None, Company::Known(slug)) => slug.to_string(),
        }
    }
}

/// The references of a meeting, checked against the database: the parent
/// event, the room, each attendee's organization. Every unknown reference
/// is a field error; fewer than two organizations is one too.
fn resolve<'a>(
    conn: &mut DbConn,
    input: &'a MeetingInput,
    organizations: &'a [Organization],
) -> Result<(Option<EventId>, Vec<Resolved<'a>>), AppError> {
    let mut v = Validator::new();
    let event_id = match &input.event_slug {
        Some(slug) => match edb::find_by_slug(conn, slug.as_str())? {
            Some(e) => Some(e.id),
            None => {
                v.add(
                    "event_slug",
                    Invalid::new("invalid.unknown_event").with("slug", slug),
                );
                None
            }
        },
        None => None,
    };
    if let Some(room_id) = &input.room_id
        && vdb::rooms_by_ids(conn, &[room_id])?.is_empty()
    {
        v.add(
            "room_id",
            Invalid::new("invalid.unknown_room").with("id", room_id),
        );
    }
    let mut resolved = Vec::new();
    for (i, a) in input.attendees.iter().enumerate() {
        let organization = match &a.company {
            Company::Known(slug) => {
                let found = organizations.iter().find(|o| o.slug == slug.as_str());
                if found.is_none() {
                    v.add(
                        &format!("attendees[{i}].organization_slug"),
                        Invalid::new("invalid.unknown_organization").with("slug", slug),
                    );
                    continue;
                }
                found
            }
            Company::Named(_) => None,
        };
        let country = match (a.country, organization) {
            (Some(c), _) => c,
            (None, Some(o)) => match Country::parse(&o.country) {
                Ok(c) => c,
                Err(_) => continue,
            },
            (None, None) => {
                v.add(
                    &format!("attendees[{i}].country"),
                    Invalid::new("invalid.required"),
                );
                continue;
            }
        };
        let time_zone = a.time_zone.unwrap_or_else(|| {
            organization.map_or(TimeZone::TOKYO, |o| TimeZone::from_stored(&o.time_zone))
        });
        let language = a.language.unwrap_or(if country.as_str() == "JP" {
            Language::Ja
        } else {
            Language::En
        });
        resolved.push(Resolved {
            input: a,
            email_key: email_key(a.email.as_str()),
            organization,
            country,
            time_zone,
            language,
        });
    }
    if resolved.len() == input.attendees.len() {
        let companies: HashSet<String> = resolved
            .iter()
            .map(|r| r.company_key(organizations))
            .collect();
        if companies.len() < 2 {
            v.add(
                "attendees",
                Invalid::new("invalid.meeting_organizations_min"),
            );
        }
    }
    v.finish().map_err(AppError::Validation)?;
    Ok((event_id, resolved))
}

/// Refuses (409) an attendee who is in another confirmed meeting at an
/// overlapping time, naming them and that meeting; `emails` are the ones
/// to check.
fn ensure_attendees_free(
    conn: &mut DbConn,
    emails: &[&str],
    input: &MeetingInput,
    except: Option<&MeetingId>,
) -> Result<(), AppError> {
    mdb::lock_emails(conn, emails)?;
    if input.allow_attendee_conflicts || emails.is_empty() {
        return Ok(());
    }
    let clashes = mdb::attendee_conflicts(
        conn,
        emails,
        db::from_utc(input.schedule.starts_at()),
        db::from_utc(input.schedule.ends_at()),
        except,
    )?;
    let Some((attendee, other)) = clashes.first() else {
        return Ok(());
    };
    let zone = TimeZone::from_stored(&other.time_zone);
    Err(AppError::conflict(
        Some("attendees"),
        Invalid::new("conflict.attendee_busy")
            .with(
                "attendee",
                format!("{} <{}>", attendee.name, attendee.email),
            )
            .with(
                "meeting",
                format!("{} (meeting {})", other.title_en, other.id),
            )
            .with(
                "when",
                crate::i18n::format_range(
                    Language::En,
                    to_utc(other.starts_at),
                    to_utc(other.ends_at),
                    zone,
                ),
            ),
    ))
}

fn row<'a>(
    input: &'a MeetingInput,
    event_id: Option<&'a EventId>,
    reminder_offsets: &'a str,
    status: MeetingStatus,
    revision: i32,
) -> MeetingRow<'a> {
    MeetingRow {
        title_ja: input.title_ja.as_str(),
        title_en: input.title_en.as_str(),
        agenda: input.agenda.as_str(),
        starts_at: db::from_utc(input.schedule.starts_at()),
        ends_at: db::from_utc(input.schedule.ends_at()),
        time_zone: input.schedule.zone().name(),
        room_id: input.room_id.as_ref(),
        online_url: input.online_url.as_ref().map(|u| u.as_str()),
        event_id,
        interpreter: input.interpreter.as_ref().map(|i| i.as_str()),
        status,
        revision,
        reminder_offsets,
        updated_at: db::now(),
    }
}

fn organizations_for(
    conn: &mut DbConn,
    input: &MeetingInput,
) -> Result<Vec<Organization>, AppError> {
    // All of them: few, and typed company names are matched against them.
    let _ = input;
    Ok(orgs::list(conn)?)
}

fn changes<'a>(r: &'a Resolved<'a>, position: i32, partstat: PartStat) -> AttendeeChanges<'a> {
    AttendeeChanges {
        position,
        email: r.input.email.as_str(),
        name: r.input.name.as_str(),
        organization_id: r.organization.map(|o| &o.id),
        organization: match &r.input.company {
            Company::Named(n) if r.organization.is_none() => Some(n.as_str()),
            _ => None,
        },
        country: r.country.as_str(),
        time_zone: r.time_zone.name(),
        language: r.language.as_str(),
        partstat,
        removed_at: None,
        updated_at: db::now(),
    }
}

fn insert_attendee(
    conn: &mut DbConn,
    keys: &LinkKeys,
    meeting_id: &MeetingId,
    r: &Resolved<'_>,
    position: i32,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let id = AttendeeId::generate();
    let c = changes(r, position, PartStat::NeedsAction);
    mdb::insert_attendee(
        conn,
        &NewAttendee {
            id: &id,
            meeting_id,
            position,
            email: c.email,
            email_key: &r.email_key,
            name: c.name,
            organization_id: c.organization_id,
            organization: c.organization,
            country: c.country,
            time_zone: c.time_zone,
            language: c.language,
            partstat: PartStat::NeedsAction,
            token_hash: keys.attendee(&id).hash().as_str(),
            reminders: true,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub fn create(
    conn: &mut DbConn,
    keys: &LinkKeys,
    input: &MeetingInput,
) -> Result<MeetingDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let organizations = organizations_for(conn, input)?;
        let (event_id, attendees) = resolve(conn, input, &organizations)?;
        let id = MeetingId::generate();
        if let Some(room_id) = &input.room_id {
            let rooms = vdb::rooms_by_ids(conn, &[room_id])?;
            crate::service::bookings::ensure_rooms_free(
                conn,
                &[room_id],
                &rooms,
                input.schedule.starts_at(),
                input.schedule.ends_at(),
                None,
                "room_id",
            )?;
        }
        let emails: Vec<&str> = attendees.iter().map(|a| a.email_key.as_str()).collect();
        ensure_attendees_free(conn, &emails, input, None)?;
        let offsets = input.reminder_offsets.to_stored();
        let now = db::now();
        mdb::insert(
            conn,
            &id,
            &row(
                input,
                event_id.as_ref(),
                &offsets,
                MeetingStatus::Confirmed,
                0,
            ),
        )?;
        for (i, a) in attendees.iter().enumerate() {
            insert_attendee(conn, keys, &id, a, i as i32, now)?;
        }
        book(conn, &id, input, true)?;
        let after = load(conn, &id)?;
        mail::meeting_created(conn, &after)?;
        Ok(after)
    })
}

fn book(
    conn: &mut DbConn,
    id: &MeetingId,
    input: &MeetingInput,
    active: bool,
) -> Result<(), AppError> {
    let rooms: Vec<&RoomId> = input.room_id.iter().collect();
    bookings::set(
        conn,
        Holder::Meeting(id),
        &rooms,
        db::from_utc(input.schedule.starts_at()),
        db::from_utc(input.schedule.ends_at()),
        active,
    )?;
    Ok(())
}

/// What a change did, for the mail it causes.
#[derive(Debug, Default)]
pub struct Change {
    /// A new time or place: every answer starts again.
    pub moved: bool,
    pub added: Vec<AttendeeId>,
    pub removed: Vec<AttendeeId>,
}

impl Change {
    pub fn is_significant(&self) -> bool {
        self.moved || !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// Changes a meeting: a new time or place, or a changed attendee list,
/// raises the revision and tells the attendees (see [`mail::meeting_changed`]).
#[tracing::instrument(skip(conn, keys, input))]
pub fn update(
    conn: &mut DbConn,
    keys: &LinkKeys,
    id: &MeetingId,
    input: &MeetingInput,
) -> Result<MeetingDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = load(conn, id)?;
        ensure_not_cancelled(&current)?;
        let m = &current.meeting;
        if let Some(expected) = input.expected_revision
            && expected != m.revision
        {
            return Err(AppError::conflict(
                Some("revision"),
                Invalid::new("conflict.stale_revision").with("current", m.revision),
            ));
        }
        let organizations = organizations_for(conn, input)?;
        let (event_id, attendees) = resolve(conn, input, &organizations)?;
        let moved = to_utc(m.starts_at) != input.schedule.starts_at()
            || to_utc(m.ends_at) != input.schedule.ends_at()
            || m.time_zone != input.schedule.zone().name()
            || m.room_id != input.room_id
            || m.online_url.as_deref() != input.online_url.as_ref().map(|u| u.as_str());
        if let Some(room_id) = &input.room_id {
            let rooms = vdb::rooms_by_ids(conn, &[room_id])?;
            crate::service::bookings::ensure_rooms_free(
                conn,
                &[room_id],
                &rooms,
                input.schedule.starts_at(),
                input.schedule.ends_at(),
                Some(Holder::Meeting(id)),
                "room_id",
            )?;
        }
        let by_email: HashMap<&str, &mdb::AttendeeDetails> = current
            .attendees
            .iter()
            .map(|a| (a.attendee.email_key.as_str(), a))
            .collect();
        let timing_changed = to_utc(m.starts_at) != input.schedule.starts_at()
            || to_utc(m.ends_at) != input.schedule.ends_at();
        // Everyone is checked when the time moves; otherwise those joining.
        let to_check: Vec<&str> = attendees
            .iter()
            .filter(|a| {
                timing_changed
                    || !by_email
                        .get(a.email_key.as_str())
                        .is_some_and(|old| old.attendee.is_listed())
            })
            .map(|a| a.email_key.as_str())
            .collect();
        ensure_attendees_free(conn, &to_check, input, Some(id))?;
        let now = db::now();
        let mut change = Change {
            moved,
            ..Change::default()
        };
        let wanted: HashSet<&str> = attendees.iter().map(|a| a.email_key.as_str()).collect();
        for (i, a) in attendees.iter().enumerate() {
            match by_email.get(a.email_key.as_str()) {
                Some(old) if old.attendee.is_listed() => {
                    let partstat = if moved {
                        PartStat::NeedsAction
                    } else {
                        old.attendee.partstat
                    };
                    mdb::update_attendee(conn, &old.attendee.id, &changes(a, i as i32, partstat))?;
                }
                Some(old) => {
                    // Back on the list: a fresh invite, a fresh answer.
                    mdb::update_attendee(
                        conn,
                        &old.attendee.id,
                        &changes(a, i as i32, PartStat::NeedsAction),
                    )?;
                    change.added.push(old.attendee.id.clone());
                }
                None => {
                    insert_attendee(conn, keys, id, a, i as i32, now)?;
                }
            }
        }
        for old in current.listed() {
            if !wanted.contains(old.attendee.email_key.as_str()) {
                let a = &old.attendee;
                mdb::update_attendee(
                    conn,
                    &a.id,
                    &AttendeeChanges {
                        position: a.position,
                        email: &a.email,
                        name: &a.name,
                        organization_id: a.organization_id.as_ref(),
                        organization: a.organization.as_deref(),
                        country: &a.country,
                        time_zone: &a.time_zone,
                        language: &a.language,
                        partstat: a.partstat,
                        removed_at: Some(now),
                        updated_at: now,
                    },
                )?;
                change.removed.push(a.id.clone());
            }
        }
        if moved {
            mdb::reset_answers(conn, id, now)?;
        }
        // New rows: found by email after the writes.
        let written = load(conn, id)?;
        for a in written.listed() {
            if !by_email.contains_key(a.attendee.email_key.as_str()) {
                change.added.push(a.attendee.id.clone());
            }
        }
        let revision = if change.is_significant() {
            m.revision + 1
        } else {
            m.revision
        };
        let offsets = input.reminder_offsets.to_stored();
        mdb::update(
            conn,
            id,
            &row(input, event_id.as_ref(), &offsets, m.status, revision),
        )?;
        book(conn, id, input, true)?;
        let after = load(conn, id)?;
        mail::meeting_changed(conn, &current, &after, &change)?;
        Ok(after)
    })
}

/// A cancelled meeting is final.
pub fn ensure_not_cancelled(current: &MeetingDetails) -> Result<(), AppError> {
    if current.meeting.status == MeetingStatus::Cancelled {
        return Err(AppError::conflict(
            Some("status"),
            Invalid::new("conflict.meeting_cancelled"),
        ));
    }
    Ok(())
}

/// Cancels a meeting: its room and attendees are free at once, its
/// revision rises and every attendee gets a CANCEL. Twice changes nothing.
#[tracing::instrument(skip(conn))]
pub fn cancel(conn: &mut DbConn, id: &MeetingId) -> Result<MeetingDetails, AppError> {
    write_tx(conn, |conn| {
        db::data_version::touch(conn)?;
        let current = load(conn, id)?;
        let m = &current.meeting;
        if m.status == MeetingStatus::Cancelled {
            return Ok(current);
        }
        let rooms: Vec<&RoomId> = m.room_id.iter().collect();
        bookings::set(
            conn,
            Holder::Meeting(id),
            &rooms,
            m.starts_at,
            m.ends_at,
            false,
        )?;
        mdb::update(
            conn,
            id,
            &MeetingRow {
                title_ja: &m.title_ja,
                title_en: &m.title_en,
                agenda: &m.agenda,
                starts_at: m.starts_at,
                ends_at: m.ends_at,
                time_zone: &m.time_zone,
                room_id: m.room_id.as_ref(),
                online_url: m.online_url.as_deref(),
                event_id: m.event_id.as_ref(),
                interpreter: m.interpreter.as_deref(),
                status: MeetingStatus::Cancelled,
                revision: m.revision + 1,
                reminder_offsets: &m.reminder_offsets,
                updated_at: db::now(),
            },
        )?;
        let after = load(conn, id)?;
        mail::meeting_cancelled(conn, &after)?;
        Ok(after)
    })
}

/// One meeting with its place and attendees.
pub fn load(conn: &mut DbConn, id: &MeetingId) -> Result<MeetingDetails, AppError> {
    let meeting = mdb::find(conn, id)?.ok_or(AppError::NotFound)?;
    mdb::with_details(conn, vec![meeting])?
        .pop()
        .ok_or(AppError::NotFound)
}

pub fn list(conn: &mut DbConn, filter: MeetingFilter<'_>) -> Result<Vec<MeetingDetails>, AppError> {
    let meetings = mdb::list(conn, filter)?;
    Ok(mdb::with_details(conn, meetings)?)
}
