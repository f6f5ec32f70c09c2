//! Partnering days: the settings of an event of kind `partnering`, its
//! participants' profiles, the requests between them (see `requests`) and
//! the schedule that turns accepted requests into business meetings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::events::{self as edb, Event, EventDetails};
use crate::db::partnering::{self as pdb, Settings, Table, WindowRow};
use crate::db::registrations::Registration;
use crate::db::{self, DbConn, from_utc, to_utc, write_tx};
use crate::domain::{EventKind, Invalid, RegistrationId, SlotPlan, TableId, Window, WindowId};
use crate::error::AppError;

pub mod board;
pub mod fields;
pub mod overview;
pub mod profiles;
pub mod requests;
pub mod schedule;

pub use fields::{ProfileFields, RequestFields, SettingsFields, SettingsInput};

/// An event's partnering day as stored: its settings (none yet on a new
/// partnering event), windows, tables and the slots cut from them.
#[derive(Debug, Clone)]
pub struct Day {
    pub event: EventDetails,
    pub settings: Option<Settings>,
    pub windows: Vec<Window>,
    pub tables: Vec<Table>,
    pub slots: SlotPlan,
}

impl Day {
    /// Whether requests are still open at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        self.settings
            .as_ref()
            .is_some_and(|s| now < to_utc(s.request_deadline))
    }
}

/// The partnering event with this slug; another kind of event is a 404
/// here, as it has no partnering day.
pub fn event(conn: &mut DbConn, slug: &str) -> Result<Event, AppError> {
    match edb::find_by_slug(conn, slug)? {
        Some(e) if e.kind == EventKind::Partnering => Ok(e),
        _ => Err(AppError::NotFound),
    }
}

pub fn load_day(conn: &mut DbConn, event: Event) -> Result<Day, AppError> {
    let settings = pdb::settings(conn, &event.id)?;
    let windows: Vec<Window> = pdb::windows(conn, &event.id)?
        .into_iter()
        .map(|w| Window {
            starts_at: to_utc(w.starts_at),
            ends_at: to_utc(w.ends_at),
        })
        .collect();
    let tables = pdb::tables(conn, &event.id)?;
    let slots = match &settings {
        Some(s) => SlotPlan::cut(
            &windows,
            i64::from(s.slot_minutes),
            i64::from(s.gap_minutes),
        ),
        None => SlotPlan { slots: Vec::new() },
    };
    let event = edb::with_details(conn, vec![event])?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Day {
        event,
        settings,
        windows,
        tables,
        slots,
    })
}

pub fn day(conn: &mut DbConn, slug: &str) -> Result<Day, AppError> {
    let e = event(conn, slug)?;
    load_day(conn, e)
}

/// Saves a day's settings. Once meetings are placed, the slots and tables
/// (and the maximum per participant) stay as they are: changing them
/// needs a re-plan. The deadline may always move.
#[tracing::instrument(skip(conn, input))]
pub fn save_settings(
    conn: &mut DbConn,
    keys: &crate::service::keys::LinkKeys,
    slug: &str,
    input: &SettingsInput,
) -> Result<Day, AppError> {
    write_tx(conn, |conn| {
        let e = event(conn, slug)?;
        pdb::lock(conn, &e.id)?;
        let day = load_day(conn, e)?;
        check_against_event(&day.event, input)?;
        let placed = pdb::requests(conn, &day.event.event.id)?
            .iter()
            .any(|r| r.meeting_id.is_some());
        let tables_now: Vec<(String, Option<String>, Option<String>)> = day
            .tables
            .iter()
            .map(|t| {
                (
                    t.label.clone(),
                    t.room_id.as_ref().map(|r| r.to_string()),
                    t.online_url.clone(),
                )
            })
            .collect();
        let tables_new: Vec<(String, Option<String>, Option<String>)> = input
            .tables
            .iter()
            .map(|t| {
                (
                    t.label.as_str().to_owned(),
                    t.room_id.as_ref().map(|r| r.to_string()),
                    t.online_url.as_ref().map(|u| u.as_str().to_owned()),
                )
            })
            .collect();
        let same_shape = day.slots == input.slots
            && tables_now == tables_new
            && day.settings.as_ref().and_then(|s| s.max_meetings) == input.max_meetings;
        let replan = placed && !same_shape;
        if replan && !input.replan {
            return Err(AppError::conflict(
                Some("windows"),
                Invalid::new("conflict.settings_scheduled"),
            ));
        }
        let id = day.event.event.id.clone();
        let now = db::now();
        let settings = Settings {
            event_id: id.clone(),
            slot_minutes: input.slot_minutes as i32,
            gap_minutes: input.gap_minutes as i32,
            request_deadline: from_utc(input.request_deadline),
            max_meetings: input.max_meetings,
            scheduled_at: day.settings.as_ref().and_then(|s| s.scheduled_at),
            revision: day.settings.as_ref().map_or(0, |s| s.revision + 1),
            updated_at: now,
        };
        pdb::save_settings(conn, &settings, day.settings.is_some())?;
        let windows: Vec<WindowRow> = input
            .windows
            .iter()
            .map(|w| WindowRow {
                id: WindowId::generate(),
                event_id: id.clone(),
                starts_at: from_utc(w.starts_at),
                ends_at: from_utc(w.ends_at),
            })
            .collect();
        pdb::replace_windows(conn, &id, &windows)?;
        // A table keeps its id while its label stays.
        let ids: HashMap<&str, &TableId> = day
            .tables
            .iter()
            .map(|t| (t.label.as_str(), &t.id))
            .collect();
        let tables: Vec<Table> = input
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| Table {
                id: ids
                    .get(t.label.as_str())
                    .map_or_else(TableId::generate, |id| (*id).clone()),
                event_id: id.clone(),
                position: i as i32,
                label: t.label.as_str().to_owned(),
                room_id: t.room_id.clone(),
                online_url: t.online_url.as_ref().map(|u| u.as_str().to_owned()),
            })
            .collect();
        pdb::replace_tables(conn, &id, &tables)?;
        let e = day.event.event;
        if replan {
            let fresh = load_day(conn, e.clone())?;
            schedule::replan_in(conn, keys, fresh)?;
        }
        load_day(conn, e)
    })
}

/// Windows within the event, tables in the event's rooms.
fn check_against_event(event: &EventDetails, input: &SettingsInput) -> Result<(), AppError> {
    let mut v = crate::domain::Validator::new();
    let (start, end) = (to_utc(event.event.starts_at), to_utc(event.event.ends_at));
    for (i, w) in input.windows.iter().enumerate() {
        if w.starts_at < start || w.ends_at > end {
            v.add(
                &format!("windows[{i}].starts_at"),
                Invalid::new("invalid.window_outside_event"),
            );
        }
    }
    for (i, t) in input.tables.iter().enumerate() {
        if let Some(room) = &t.room_id
            && !event.rooms.iter().any(|(r, _)| &r.id == room)
        {
            v.add(
                &format!("tables[{i}].room_id"),
                Invalid::new("invalid.table_room_not_booked").with("id", room),
            );
        }
    }
    v.finish().map_err(AppError::Validation)
}

/// The confirmed registrant `who` of the day's event, or a 422 naming the field.
pub fn participant(
    participants: &[Registration],
    who: &RegistrationId,
    field: &str,
) -> Result<Registration, AppError> {
    participants
        .iter()
        .find(|r| &r.id == who)
        .cloned()
        .ok_or_else(|| AppError::field(field, Invalid::new("invalid.not_a_participant")))
}
