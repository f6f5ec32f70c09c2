//! A meeting as submitted (form or JSON) and its validation into
//! [`MeetingInput`]. What needs the database (organizations, rooms, the
//! parent event, conflicts) is checked by the service.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::meetings::MeetingDetails;
use crate::db::to_utc;
use crate::domain::{
    Country, Description, EmailAddress, FieldError, Invalid, Language, LanguagePair, Name,
    ReminderOffsets, RoomId, Schedule, Slug, TimeZone, Validator, Website, parse_instant,
};
use crate::error::AppError;
use crate::service::events::{TimeInput, rfc3339_in};
use crate::service::fields::{opt_flag, opt_minutes, opt_text};
use crate::service::organizations::unreachable_validation;

/// The longest meeting musubi accepts.
pub const MAX_MEETING_HOURS: i64 = 12;
/// The longest attendee list of one meeting.
pub const MAX_ATTENDEES: usize = 50;

/// One attendee as submitted. The company is a known organization
/// (`organization_slug`) or a free-text name (`organization`); country and
/// time zone default to the organization's, the language to Japanese for
/// Japan and English elsewhere.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = MeetingAttendeeInput)]
#[serde(deny_unknown_fields)]
pub struct AttendeeFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = Email)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "osaka-bio")]
    pub organization_slug: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Rhein Medtech GmbH")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "DE")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "en")]
    pub language: Option<String>,
}

/// A meeting as submitted, before validation. Times are RFC 3339 with an
/// offset (API) or, for HTML forms, wall-clock times in `time_zone`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = MeetingInput)]
#[serde(deny_unknown_fields)]
pub struct MeetingFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub title_ja: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub title_en: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub agenda: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-08T10:00:00+09:00")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-08T11:00:00+09:00")]
    pub ends_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Asia/Tokyo")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub room_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = "uri")]
    pub online_url: Option<String>,
    /// The partnering day or networking night the meeting belongs to.
    #[serde(default, deserialize_with = "opt_text")]
    pub event_slug: Option<String>,
    /// An interpreter is needed between these languages, e.g. `ja-en`.
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "ja-en")]
    pub interpreter: Option<String>,
    /// Minutes before the start when attendees are reminded.
    #[serde(default, deserialize_with = "opt_minutes")]
    #[schema(value_type = Option<Vec<i32>>, example = json!([1440, 60]))]
    pub reminder_offsets: Option<String>,
    /// Accept attendees who are in another meeting at an overlapping time.
    #[serde(default, deserialize_with = "opt_flag")]
    pub allow_attendee_conflicts: Option<bool>,
    #[serde(default)]
    pub attendees: Vec<AttendeeFields>,
    /// Optimistic concurrency for PATCH: when given, must equal the current revision.
    #[serde(default)]
    pub revision: Option<i32>,
}

/// A validated attendee; `country` may still come from the organization.
#[derive(Debug, Clone)]
pub struct AttendeeInput {
    pub name: Name,
    pub email: EmailAddress,
    pub company: Company,
    pub country: Option<Country>,
    pub time_zone: Option<TimeZone>,
    pub language: Option<Language>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Company {
    Known(Slug),
    Named(Name),
}

#[derive(Debug, Clone)]
pub struct MeetingInput {
    pub title_ja: Name,
    pub title_en: Name,
    pub agenda: Description,
    pub schedule: Schedule,
    pub room_id: Option<RoomId>,
    pub online_url: Option<Website>,
    pub event_slug: Option<Slug>,
    pub interpreter: Option<LanguagePair>,
    pub reminder_offsets: ReminderOffsets,
    pub allow_attendee_conflicts: bool,
    pub attendees: Vec<AttendeeInput>,
    pub expected_revision: Option<i32>,
    /// At a partnering table (set by the scheduler, never from a form).
    pub table_label: Option<String>,
}

fn text(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

impl AttendeeFields {
    fn check(&self, v: &mut Validator, at: &str) -> Option<AttendeeInput> {
        let field = |name: &str| format!("{at}.{name}");
        let name = v.check(&field("name"), Name::parse(&text(&self.name)));
        let email = v.check(&field("email"), EmailAddress::parse(&text(&self.email)));
        let company = match (&self.organization_slug, &self.organization) {
            (Some(slug), None) => v
                .check(&field("organization_slug"), Slug::parse(slug))
                .map(Company::Known),
            (None, Some(name)) => v
                .check(&field("organization"), Name::parse(name))
                .map(Company::Named),
            (Some(_), Some(_)) => {
                v.add(
                    &field("organization"),
                    Invalid::new("invalid.company_one_of"),
                );
                None
            }
            (None, None) => {
                v.add(
                    &field("organization"),
                    Invalid::new("invalid.company_required"),
                );
                None
            }
        };
        let country = v.check(
            &field("country"),
            self.country.as_deref().map(Country::parse).transpose(),
        );
        let time_zone = v.check(
            &field("time_zone"),
            self.time_zone.as_deref().map(TimeZone::parse).transpose(),
        );
        let language = v.check(
            &field("language"),
            self.language.as_deref().map(Language::parse).transpose(),
        );
        Some(AttendeeInput {
            name: name?,
            email: email?,
            company: company?,
            country: country?,
            time_zone: time_zone?,
            language: language?,
        })
    }
}

impl MeetingFields {
    pub fn validate(self, times: TimeInput) -> Result<MeetingInput, AppError> {
        self.check(times).map_err(AppError::Validation)
    }

    fn check(self, times: TimeInput) -> Result<MeetingInput, Vec<FieldError>> {
        let mut v = Validator::new();
        // One title is enough; the other language shows the same.
        let (ja, en) = match (&self.title_ja, &self.title_en) {
            (Some(ja), None) => (Some(ja.clone()), Some(ja.clone())),
            (None, Some(en)) => (Some(en.clone()), Some(en.clone())),
            (ja, en) => (ja.clone(), en.clone()),
        };
        let title_ja = v.check("title_ja", Name::parse(&text(&ja)));
        let title_en = v.check("title_en", Name::parse(&text(&en)));
        let agenda = v.check("agenda", Description::parse(&text(&self.agenda)));
        let zone = v.check(
            "time_zone",
            self.time_zone
                .as_deref()
                .map_or(Ok(TimeZone::TOKYO), TimeZone::parse),
        );
        let local = match times {
            TimeInput::WallClock => Some(zone.unwrap_or_default()),
            TimeInput::Rfc3339 => None,
        };
        let starts_at = v.check("starts_at", parse_instant(&text(&self.starts_at), local));
        let ends_at = v.check("ends_at", parse_instant(&text(&self.ends_at), local));
        let schedule = match (starts_at, ends_at, zone) {
            (Some(s), Some(e), Some(z)) => v.check(
                "ends_at",
                Schedule::new(s, e, z).and_then(|schedule| {
                    if e - s > Duration::hours(MAX_MEETING_HOURS) {
                        Err(Invalid::new("invalid.meeting_too_long").with("max", MAX_MEETING_HOURS))
                    } else {
                        Ok(schedule)
                    }
                }),
            ),
            _ => None,
        };
        let room_id = self.room_id.as_deref().map(|id| RoomId::from(id.trim()));
        let online_url = v.check(
            "online_url",
            self.online_url.as_deref().map(Website::parse).transpose(),
        );
        if room_id.is_none() && self.online_url.is_none() {
            v.add("room_id", Invalid::new("invalid.meeting_place_required"));
        }
        let event_slug = v.check(
            "event_slug",
            self.event_slug.as_deref().map(Slug::parse).transpose(),
        );
        let interpreter = v.check(
            "interpreter",
            self.interpreter
                .as_deref()
                .map(LanguagePair::parse)
                .transpose(),
        );
        let reminder_offsets = v.check(
            "reminder_offsets",
            self.reminder_offsets
                .as_deref()
                .map_or(Ok(ReminderOffsets::standard()), ReminderOffsets::parse),
        );
        let mut attendees = Vec::new();
        let mut seen = HashSet::new();
        for (i, a) in self.attendees.iter().enumerate() {
            let at = format!("attendees[{i}]");
            if let Some(attendee) = a.check(&mut v, &at) {
                if !seen.insert(attendee.email.as_str().to_lowercase()) {
                    v.add(
                        &format!("{at}.email"),
                        Invalid::new("invalid.duplicate_attendee"),
                    );
                }
                attendees.push(attendee);
            }
        }
        if self.attendees.len() < 2 {
            v.add("attendees", Invalid::new("invalid.meeting_attendees_min"));
        }
        if self.attendees.len() > MAX_ATTENDEES {
            v.add(
                "attendees",
                Invalid::new("invalid.meeting_attendees_max").with("max", MAX_ATTENDEES),
            );
        }
        v.finish()?;
        match (
            title_ja,
            title_en,
            agenda,
            schedule,
            online_url,
            event_slug,
            interpreter,
            reminder_offsets,
        ) {
            (
                Some(title_ja),
                Some(title_en),
                Some(agenda),
                Some(schedule),
                Some(online_url),
                Some(event_slug),
                Some(interpreter),
                Some(reminder_offsets),
            ) => Ok(MeetingInput {
                title_ja,
                title_en,
                agenda,
                schedule,
                room_id,
                online_url,
                event_slug,
                interpreter,
                reminder_offsets,
                allow_attendee_conflicts: self.allow_attendee_conflicts.unwrap_or(false),
                attendees,
                expected_revision: self.revision,
                table_label: None,
            }),
            _ => unreachable_validation(),
        }
    }

    /// The stored meeting as fields (listed attendees only), with times as
    /// `times` expects them; the base of a PATCH and of the edit form.
    pub fn of(details: &MeetingDetails, times: TimeInput) -> Self {
        let m = &details.meeting;
        let zone = TimeZone::from_stored(&m.time_zone);
        let show = |t: NaiveDateTime| match times {
            TimeInput::Rfc3339 => rfc3339_in(t, zone),
            TimeInput::WallClock => to_utc(t)
                .with_timezone(&zone.tz())
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
        };
        Self {
            title_ja: Some(m.title_ja.clone()),
            title_en: Some(m.title_en.clone()),
            agenda: Some(m.agenda.clone()).filter(|a| !a.is_empty()),
            starts_at: Some(show(m.starts_at)),
            ends_at: Some(show(m.ends_at)),
            time_zone: Some(m.time_zone.clone()),
            room_id: m.room_id.as_ref().map(|r| r.to_string()),
            online_url: m.online_url.clone(),
            event_slug: details.event.as_ref().map(|e| e.slug.clone()),
            interpreter: m.interpreter.clone(),
            reminder_offsets: Some(m.reminder_offsets.clone()),
            allow_attendee_conflicts: None,
            attendees: details
                .listed()
                .map(|a| AttendeeFields {
                    name: Some(a.attendee.name.clone()),
                    email: Some(a.attendee.email.clone()),
                    organization_slug: a.organization.as_ref().map(|o| o.slug.clone()),
                    organization: a.attendee.organization.clone(),
                    country: Some(a.attendee.country.clone()),
                    time_zone: Some(a.attendee.time_zone.clone()),
                    language: Some(a.attendee.language.clone()),
                })
                .collect(),
            revision: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attendee(email: &str, company: &str) -> AttendeeFields {
        AttendeeFields {
            name: Some("A".into()),
            email: Some(email.into()),
            organization: Some(company.into()),
            ..Default::default()
        }
    }

    fn fields() -> MeetingFields {
        MeetingFields {
            title_en: Some("Intro".into()),
            starts_at: Some("2026-12-08T10:00:00+09:00".into()),
            ends_at: Some("2026-12-08T11:00:00+09:00".into()),
            online_url: Some("https://meet.example.com/x".into()),
            attendees: vec![attendee("a@x.example", "X"), attendee("b@y.example", "Y")],
            ..Default::default()
        }
    }

    fn problems(f: MeetingFields) -> Vec<String> {
        match f.check(TimeInput::Rfc3339) {
            Ok(_) => Vec::new(),
            Err(list) => list
                .into_iter()
                .map(|e| format!("{}:{}", e.field, e.problem.code))
                .collect(),
        }
    }

    #[test]
    fn one_title_serves_both_languages() {
        let input = fields().check(TimeInput::Rfc3339).unwrap();
        assert_eq!(input.title_ja.as_str(), "Intro");
        assert_eq!(input.title_en.as_str(), "Intro");
        assert_eq!(input.schedule.zone(), TimeZone::TOKYO);
    }

    #[test]
    fn names_each_problem_by_its_field() {
        let mut f = fields();
        f.online_url = None;
        f.attendees[1].email = Some("A@X.example".into());
        f.attendees[1].organization = None;
        f.attendees.push(AttendeeFields {
            email: Some("c@z.example".into()),
            organization_slug: Some("z".into()),
            organization: Some("Z".into()),
            time_zone: Some("Mars/Olympus".into()),
            ..Default::default()
        });
        f.interpreter = Some("ja".into());
        f.ends_at = Some("2026-12-09T10:00:00+09:00".into());
        assert_eq!(
            problems(f),
            [
                "ends_at:invalid.meeting_too_long",
                "room_id:invalid.meeting_place_required",
                "interpreter:invalid.language_pair",
                "attendees[1].organization:invalid.company_required",
                "attendees[2].name:invalid.required",
                "attendees[2].organization:invalid.company_one_of",
                "attendees[2].time_zone:invalid.time_zone",
            ]
        );
        let mut f = fields();
        f.attendees[1].email = Some("A@X.example".into());
        assert_eq!(
            problems(f),
            ["attendees[1].email:invalid.duplicate_attendee"]
        );
        let mut f = fields();
        f.attendees.pop();
        assert_eq!(problems(f), ["attendees:invalid.meeting_attendees_min"]);
    }
}
