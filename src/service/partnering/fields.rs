//! Partnering input as submitted (JSON or form) and its validation: the
//! settings of a day, a participant's profile, a request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    Categories, Country, Description, FieldError, Invalid, Name, Priority, RoomId, SlotPlan,
    TimeZone, Validator, Website, Window, parse_instant,
};
use crate::service::events::TimeInput;
use crate::service::fields::{opt_flag, opt_text};

pub const MAX_TABLES: usize = 500;
pub const MAX_WINDOWS: usize = 10;
/// What a profile offers or seeks, in free text: a paragraph or two.
pub const MAX_PROFILE_TEXT: usize = 2000;
/// A request's message: a few sentences.
pub const MAX_MESSAGE: usize = 1000;

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowFields {
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-08T13:00:00+09:00")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-08T15:00:00+09:00")]
    pub ends_at: Option<String>,
}

/// A table: in a room of the event, or online with its own meeting URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableFields {
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "A-01")]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub room_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = "uri")]
    pub online_url: Option<String>,
}

/// A partnering day's settings as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PartneringSettingsInput)]
#[serde(deny_unknown_fields)]
pub struct SettingsFields {
    #[schema(example = 20)]
    pub slot_minutes: Option<i64>,
    #[serde(default)]
    #[schema(example = 5)]
    pub gap_minutes: Option<i64>,
    #[serde(default)]
    pub windows: Vec<WindowFields>,
    #[serde(default)]
    pub tables: Vec<TableFields>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(format = DateTime, example = "2026-12-04T17:00:00+09:00")]
    pub request_deadline: Option<String>,
    /// The most meetings one participant gets; none: as many as slots.
    #[serde(default)]
    pub max_meetings: Option<i64>,
    /// Once meetings are placed, a change of slots, tables or maximum is
    /// refused unless this is true: then every meeting is re-planned (and
    /// moved ones re-sent) in the same step.
    #[serde(default)]
    pub replan: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct TableInput {
    pub label: Name,
    pub room_id: Option<RoomId>,
    pub online_url: Option<Website>,
}

#[derive(Debug, Clone)]
pub struct SettingsInput {
    pub slot_minutes: i64,
    pub gap_minutes: i64,
    pub windows: Vec<Window>,
    pub slots: SlotPlan,
    pub tables: Vec<TableInput>,
    pub request_deadline: DateTime<Utc>,
    pub max_meetings: Option<i32>,
    pub replan: bool,
}

impl SettingsFields {
    /// Checks what needs no database; times are RFC 3339, or wall-clock
    /// in `zone` from a form.
    pub fn check(
        &self,
        times: TimeInput,
        zone: TimeZone,
    ) -> Result<SettingsInput, Vec<FieldError>> {
        let mut v = Validator::new();
        let local = match times {
            TimeInput::WallClock => Some(zone),
            TimeInput::Rfc3339 => None,
        };
        let slot_minutes = v.require("slot_minutes", self.slot_minutes).and_then(|m| {
            v.check(
                "slot_minutes",
                (5..=240)
                    .contains(&m)
                    .then_some(m)
                    .ok_or(Invalid::new("invalid.slot_minutes")),
            )
        });
        let gap_minutes = v.check(
            "gap_minutes",
            Some(self.gap_minutes.unwrap_or(0))
                .filter(|m| (0..=120).contains(m))
                .ok_or(Invalid::new("invalid.gap_minutes")),
        );
        if self.windows.is_empty() {
            v.add("windows", Invalid::new("invalid.windows_required"));
        }
        if self.windows.len() > MAX_WINDOWS {
            v.add(
                "windows",
                Invalid::new("invalid.too_many_slots").with("max", MAX_WINDOWS),
            );
        }
        let mut windows = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            let at = |f: &str| format!("windows[{i}].{f}");
            let s = v.check(
                &at("starts_at"),
                parse_instant(w.starts_at.as_deref().unwrap_or(""), local),
            );
            let e = v.check(
                &at("ends_at"),
                parse_instant(w.ends_at.as_deref().unwrap_or(""), local),
            );
            if let (Some(starts_at), Some(ends_at)) = (s, e) {
                if ends_at <= starts_at {
                    v.add(&at("ends_at"), Invalid::new("invalid.ends_before_start"));
                } else if let Some(m) = slot_minutes
                    && ends_at - starts_at < chrono::Duration::minutes(m)
                {
                    v.add(&at("ends_at"), Invalid::new("invalid.window_too_short"));
                } else {
                    windows.push(Window { starts_at, ends_at });
                }
            }
        }
        let mut sorted = windows.clone();
        sorted.sort_by_key(|w| w.starts_at);
        if sorted.windows(2).any(|p| p[1].starts_at < p[0].ends_at) {
            v.add("windows", Invalid::new("invalid.windows_overlap"));
        }
        let slots = SlotPlan::cut(
            &windows,
            slot_minutes.unwrap_or(60),
            gap_minutes.unwrap_or(0),
        );
        if slots.slots.len() > SlotPlan::MAX_SLOTS {
            v.add(
                "windows",
                Invalid::new("invalid.too_many_slots").with("max", SlotPlan::MAX_SLOTS),
            );
        }
        if self.tables.is_empty() {
            v.add("tables", Invalid::new("invalid.tables_required"));
        }
        if self.tables.len() > MAX_TABLES {
            v.add(
                "tables",
                Invalid::new("invalid.too_many_tables").with("max", MAX_TABLES),
            );
        }
        let mut tables = Vec::new();
        let mut labels = std::collections::HashSet::new();
        for (i, t) in self.tables.iter().enumerate() {
            let at = |f: &str| format!("tables[{i}].{f}");
            let label = v.check(&at("label"), Name::parse(t.label.as_deref().unwrap_or("")));
            if let Some(l) = &label
                && !labels.insert(l.as_str().to_lowercase())
            {
                v.add(
                    &at("label"),
                    Invalid::new("invalid.table_label_taken").with("label", l.as_str()),
                );
            }
            let online_url = match &t.online_url {
                Some(u) => v.check(&at("online_url"), Website::parse(u)),
                None => None,
            };
            if t.room_id.is_some() == t.online_url.is_some() {
                v.add(&at("room_id"), Invalid::new("invalid.table_place"));
            }
            if let Some(label) = label {
                tables.push(TableInput {
                    label,
                    room_id: t.room_id.clone().map(RoomId::from),
                    online_url,
                });
            }
        }
        let deadline = v.check(
            "request_deadline",
            parse_instant(self.request_deadline.as_deref().unwrap_or(""), local),
        );
        if let (Some(d), Some(first)) = (deadline, slots.slots.first())
            && d > first.starts_at
        {
            v.add(
                "request_deadline",
                Invalid::new("invalid.deadline_after_start"),
            );
        }
        let max_meetings = match self.max_meetings {
            Some(n) if (1..=i64::from(SlotPlan::MAX_SLOTS as u16)).contains(&n) => Some(n as i32),
            Some(_) => {
                v.add("max_meetings", Invalid::new("invalid.max_meetings"));
                None
            }
            None => None,
        };
        v.finish()?;
        Ok(SettingsInput {
            slot_minutes: slot_minutes.unwrap_or_default(),
            gap_minutes: gap_minutes.unwrap_or_default(),
            windows,
            slots,
            tables,
            request_deadline: deadline.unwrap_or_default(),
            max_meetings,
            replan: self.replan.unwrap_or(false),
        })
    }
}

/// A participant's company profile as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PartneringProfileInput)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    #[serde(default, deserialize_with = "opt_text")]
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "DE")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// What the company offers (free text, ja or en).
    #[serde(default, deserialize_with = "opt_text")]
    pub offer: Option<String>,
    /// What the company seeks.
    #[serde(default, deserialize_with = "opt_text")]
    pub seek: Option<String>,
    #[serde(default)]
    #[schema(example = json!(["regenerative_medicine"]))]
    pub offer_categories: Vec<String>,
    #[serde(default)]
    #[schema(example = json!(["investment"]))]
    pub seek_categories: Vec<String>,
    /// An interpreter (ja–en) is needed in meetings.
    #[serde(default, deserialize_with = "opt_flag")]
    pub interpreter: Option<bool>,
    /// Shown in the event's directory to the other participants.
    #[serde(default, deserialize_with = "opt_flag")]
    pub listed: Option<bool>,
    /// Starts of the slots the participant is not available in (RFC 3339).
    #[serde(default)]
    pub unavailable: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub organization: Name,
    pub country: Country,
    pub time_zone: TimeZone,
    pub offer: Description,
    pub seek: Description,
    pub offer_categories: Categories,
    pub seek_categories: Categories,
    pub interpreter: bool,
    pub listed: bool,
    pub unavailable: Vec<DateTime<Utc>>,
}

impl ProfileFields {
    pub fn check(&self) -> Result<ProfileInput, Vec<FieldError>> {
        let mut v = Validator::new();
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let organization = v.check("organization", Name::parse(&text(&self.organization)));
        let country = v.check("country", Country::parse(&text(&self.country)));
        let time_zone = v.check("time_zone", TimeZone::parse(&text(&self.time_zone)));
        let long = |v: &mut Validator, field: &str, o: &Option<String>| {
            let n = o.as_deref().unwrap_or("").chars().count();
            if n > MAX_PROFILE_TEXT {
                v.add(
                    field,
                    Invalid::new("invalid.too_long")
                        .with("max", MAX_PROFILE_TEXT)
                        .with("actual", n),
                );
                return None;
            }
            v.check(field, Description::parse(&text(o)))
        };
        let offer = long(&mut v, "offer", &self.offer);
        let seek = long(&mut v, "seek", &self.seek);
        if self.unavailable.len() > SlotPlan::MAX_SLOTS {
            v.add(
                "unavailable",
                Invalid::new("invalid.too_many_slots").with("max", SlotPlan::MAX_SLOTS),
            );
        }
        let offer_categories = v.check(
            "offer_categories",
            Categories::parse(&self.offer_categories),
        );
        let seek_categories = v.check("seek_categories", Categories::parse(&self.seek_categories));
        let mut unavailable = Vec::new();
        for (i, at) in self
            .unavailable
            .iter()
            .take(SlotPlan::MAX_SLOTS)
            .enumerate()
        {
            if let Some(t) = v.check(&format!("unavailable[{i}]"), parse_instant(at, None)) {
                unavailable.push(t);
            }
        }
        v.finish()?;
        match (
            organization,
            country,
            time_zone,
            offer,
            seek,
            offer_categories,
            seek_categories,
        ) {
            (
                Some(organization),
                Some(country),
                Some(time_zone),
                Some(offer),
                Some(seek),
                Some(o),
                Some(s),
            ) => Ok(ProfileInput {
                organization,
                country,
                time_zone,
                offer,
                seek,
                offer_categories: o,
                seek_categories: s,
                interpreter: self.interpreter.unwrap_or(false),
                listed: self.listed.unwrap_or(false),
                unavailable,
            }),
            _ => crate::service::organizations::unreachable_validation(),
        }
    }
}

/// A request as submitted: to whom, with a message; organizers may set a
/// priority and make it on someone's behalf.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PartneringRequestInput)]
#[serde(deny_unknown_fields)]
pub struct RequestFields {
    /// The participant asking (organizers only; a participant asks as themselves).
    #[serde(default, deserialize_with = "opt_text")]
    pub from: Option<String>,
    /// The participant asked (their registration id).
    #[serde(default, deserialize_with = "opt_text")]
    pub to: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub message: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5, example = 3)]
    pub priority: Option<i64>,
    /// Organizers only: accept it at once for the other side.
    #[serde(default)]
    pub accepted: bool,
}

pub fn check_message(v: &mut Validator, message: &Option<String>) -> Option<Description> {
    let m = message.clone().unwrap_or_default();
    if m.chars().count() > MAX_MESSAGE {
        v.add(
            "message",
            Invalid::new("invalid.too_long")
                .with("max", MAX_MESSAGE)
                .with("actual", m.chars().count()),
        );
        return None;
    }
    v.check("message", Description::parse(&m))
}

pub fn check_priority(v: &mut Validator, p: Option<i64>) -> Option<Priority> {
    match p {
        None => Some(Priority::DEFAULT),
        Some(n) => v.check("priority", Priority::parse(n)),
    }
}
