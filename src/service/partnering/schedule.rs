//! Turning accepted requests into business meetings at tables: the
//! instance the scheduler solves (participants' blocked slots include the
//! times of their other meetings), applying its plan (new meetings get
//! invites; moved ones a new REQUEST with a higher SEQUENCE; dropped ones a
//! CANCEL), and placing a request accepted after a run at once.

use std::collections::{BTreeSet, HashMap};

use super::board::{Board, board};
use super::{Day, event, load_day};
use crate::db::partnering::{self as pdb, Request};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{Invalid, RegistrationId};
use crate::error::AppError;
use crate::scheduling::{self, Instance, Plan};
use crate::service::keys::LinkKeys;
use crate::service::meetings as msvc;

/// `incremental` keeps every placed meeting where it is; `replan` may move them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Incremental,
    Replan,
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
    Ok(schedule_checked(conn, keys, slug, mode, dry_run, None)?.0)
}

/// [`schedule`], refused (409) when `expected` is given and the instance
/// is no longer the one previewed; answers the plan and the instance's
/// fingerprint (what a confirm of this preview must name).
pub fn schedule_checked(
    conn: &mut DbConn,
    keys: &LinkKeys,
    slug: &str,
    mode: Mode,
    dry_run: bool,
    expected: Option<&str>,
) -> Result<(Plan, String), AppError> {
    write_tx(conn, |conn| {
        let e = event(conn, slug)?;
        pdb::lock(conn, &e.id)?;
        let day = load_day(conn, e)?;
        let board = board(conn, day)?;
        let instance = board.instance(mode);
        let fingerprint = fingerprint(&instance);
        if expected.is_some_and(|f| f != fingerprint) {
            return Err(AppError::conflict(
                Some("fingerprint"),
                Invalid::new("conflict.plan_changed"),
            ));
        }
        let plan = scheduling::solve(&instance).map_err(|e| {
            AppError::conflict(
                Some("plan"),
                Invalid::new("conflict.plan_impossible").with("reason", e.0),
            )
        })?;
        if !dry_run {
            apply(conn, keys, &board, &plan)?;
        }
        Ok((plan, fingerprint))
    })
}

/// A digest of what the scheduler is given: equal digests, equal plans.
fn fingerprint(instance: &Instance) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(instance).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Re-plans every meeting of `day` inside the caller's transaction (after
/// its settings changed).
pub(super) fn replan_in(conn: &mut DbConn, keys: &LinkKeys, day: Day) -> Result<(), AppError> {
    let board = board(conn, day)?;
    let plan = scheduling::solve(&board.instance(Mode::Replan)).map_err(|e| {
        AppError::conflict(
            Some("plan"),
            Invalid::new("conflict.plan_impossible").with("reason", e.0),
        )
    })?;
    apply(conn, keys, &board, &plan)
}

fn apply(conn: &mut DbConn, keys: &LinkKeys, board: &Board, plan: &Plan) -> Result<(), AppError> {
    let by_id: HashMap<&str, &Request> =
        board.accepted.iter().map(|r| (r.id.as_str(), r)).collect();
    let now = db::now();
    for m in &plan.meetings {
        let request = by_id[m.request.as_str()];
        let (slot, table) = (m.slot as usize, m.table as usize);
        let at = board.placed.get(&request.id).map(|(s, t, _)| (*s, *t));
        match board.meetings.get(&request.id) {
            Some(_) if at == Some((slot, table)) => {}
            Some(meeting) => {
                let input = board.meeting(request, slot, table)?;
                msvc::change_in(conn, keys, meeting, |_| Ok(input))?;
            }
            None => place(conn, keys, board, request, slot, table, now)?,
        }
    }
    for u in &plan.unplaced {
        let request = by_id[u.request.as_str()];
        if let Some(meeting) = board.meetings.get(&request.id) {
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

/// The plan as it stands: the placed meetings, and the accepted requests a
/// run now could not place, with their reasons. (Those a run would place
/// are in neither list: a dry run shows where they would go.)
pub fn current(conn: &mut DbConn, slug: &str) -> Result<Plan, AppError> {
    let e = event(conn, slug)?;
    let day = load_day(conn, e)?;
    let board = board(conn, day)?;
    let preview = scheduling::solve(&board.instance(Mode::Incremental)).map_err(|e| {
        AppError::conflict(
            Some("plan"),
            Invalid::new("conflict.plan_impossible").with("reason", e.0),
        )
    })?;
    let mut meetings: Vec<scheduling::Placement> = board
        .accepted
        .iter()
        .filter_map(|r| {
            board
                .placed
                .get(&r.id)
                .map(|(s, t, _)| scheduling::Placement {
                    request: r.id.to_string(),
                    slot: *s as u32,
                    table: *t as u32,
                })
        })
        .collect();
    meetings.sort_by_key(|m| (m.slot, m.table));
    let priority = board
        .accepted
        .iter()
        .filter(|r| board.placed.contains_key(&r.id))
        .map(|r| r.priority.clamp(1, 5) as u64)
        .sum();
    Ok(Plan {
        stats: scheduling::Stats {
            placed: meetings.len(),
            priority,
            unplaced: preview.unplaced.len(),
            millis: preview.stats.millis,
        },
        meetings,
        unplaced: preview.unplaced,
    })
}
