//! A meeting's references checked against the database (the parent
//! event, the room, each attendee's organization and defaults), the check
//! that no attendee is elsewhere at the time, and writing attendee rows.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::fields::{AttendeeInput, Company, MeetingInput};
use crate::db::meetings::{self as mdb, AttendeeChanges, NewAttendee};
use crate::db::organizations::Organization;
use crate::db::{self, DbConn, events as edb, to_utc, venues as vdb};
use crate::domain::{
    AttendeeId, Country, EventId, Invalid, Language, MeetingId, PartStat, TimeZone, Validator,
};
use crate::error::AppError;
use crate::service::keys::LinkKeys;
use crate::service::registrations::email_key;

/// An attendee ready to store: the input with its organization resolved
/// and its defaults filled in.
pub(super) struct Resolved<'a> {
    input: &'a AttendeeInput,
    pub(super) email_key: String,
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
pub(super) fn resolve<'a>(
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
    // A partnering meeting is two participants who asked for it; the
    // scheduler places it whatever their companies are called.
    if resolved.len() == input.attendees.len() && input.table_label.is_none() {
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
pub(super) fn ensure_attendees_free(
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

pub(super) fn changes<'a>(
    r: &'a Resolved<'a>,
    position: i32,
    partstat: PartStat,
) -> AttendeeChanges<'a> {
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

pub(super) fn insert_attendee(
    conn: &mut DbConn,
    keys: &LinkKeys,
    meeting_id: &MeetingId,
    r: &Resolved<'_>,
    position: i32,
    now: NaiveDateTime,
) -> Result<AttendeeId, AppError> {
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
            token_hash: keys.attendee(&id, 1).hash().as_str(),
            reminders: true,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(id)
}
