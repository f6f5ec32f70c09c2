//! A partnering day for its organizers: the grid of slots × tables with
//! each meeting, the accepted requests still without one and why, the
//! counts, a preview of a run (incremental or re-plan) to confirm, and
//! the CSV exports.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

mod requests;

use super::AdminUser;
use crate::db::users::User;
use crate::domain::RequestStatus;
use crate::error::AppError;
use crate::http::AppState;
use crate::i18n::format_range;
use crate::routes::{CsrfForm, PageContext};
use crate::scheduling::Plan;
use crate::service::partnering::overview::{self as svc, Counts, Overview};
use crate::service::partnering::schedule::{self as ssvc, Mode};
use crate::service::{self};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{slug}/partnering", web::get().to(show))
        .route(
            "/events/{slug}/partnering/schedule",
            web::post().to(confirm),
        )
        .route(
            "/events/{slug}/partnering/schedule.csv",
            web::get().to(schedule_csv),
        )
        .route(
            "/events/{slug}/partnering/participants.csv",
            web::get().to(participants_csv),
        )
        .configure(requests::config);
}

/// One meeting in a cell of the grid.
pub struct Cell {
    pub a: String,
    pub b: String,
    pub interpreter: bool,
    pub href: Option<String>,
}

pub struct Row {
    pub time: String,
    pub cells: Vec<Option<Cell>>,
}

/// A request as organizers manage it.
pub struct RequestLine {
    pub id: String,
    pub a: String,
    pub b: String,
    pub message: String,
    pub status: &'static str,
    pub status_label: String,
    pub priority: i32,
    pub can_answer: bool,
    pub can_cancel: bool,
}

pub struct Person {
    pub id: String,
    pub label: String,
}

pub struct WaitingLine {
    pub a: String,
    pub b: String,
    pub priority: i32,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin/partnering.html")]
struct PartneringPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    slug: String,
    title: String,
    tables: Vec<String>,
    rows: Vec<Row>,
    waiting: Vec<WaitingLine>,
    counts: Counts,
    requests: Vec<RequestLine>,
    people: Vec<Person>,
    /// A preview: its mode, its fingerprint, and what it would change.
    preview: Option<(&'static str, String, usize)>,
}

#[derive(Deserialize)]
struct ShowQuery {
    preview: Option<String>,
}

fn mode(text: &str) -> Result<Mode, AppError> {
    match text {
        "incremental" => Ok(Mode::Incremental),
        "replan" => Ok(Mode::Replan),
        _ => Err(AppError::field(
            "mode",
            crate::domain::Invalid::new("invalid.choice").with("allowed", "incremental, replan"),
        )),
    }
}

fn grid(ctx: &PageContext, o: &Overview, cells: Vec<(usize, usize, Cell)>) -> Vec<Row> {
    let mut at: HashMap<(usize, usize), Cell> =
        cells.into_iter().map(|(s, t, c)| ((s, t), c)).collect();
    o.board
        .day
        .slots
        .slots
        .iter()
        .enumerate()
        .map(|(s, slot)| Row {
            time: format_range(
                ctx.lang,
                slot.starts_at,
                slot.ends_at,
                crate::domain::TimeZone::TOKYO,
            ),
            cells: (0..o.board.day.tables.len())
                .map(|t| at.remove(&(s, t)))
                .collect(),
        })
        .collect()
}

fn interpreter(
    o: &Overview,
    a: &crate::domain::RegistrationId,
    b: &crate::domain::RegistrationId,
) -> bool {
    [a, b]
        .iter()
        .any(|p| o.profile(p).is_some_and(|p| p.interpreter))
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let preview_mode = query.preview.as_deref().map(mode).transpose()?;
    let keys = state.keys.clone();
    let s2 = slug.clone();
    let (o, preview): (Overview, Option<(Plan, String)>) = service::run(&state.pool, move |conn| {
        let preview = match preview_mode {
            Some(m) => Some(ssvc::schedule_checked(conn, &keys, &s2, m, true, None)?),
            None => None,
        };
        Ok((svc::overview(conn, &s2)?, preview))
    })
    .await?;
    let (cells, waiting, preview_info) = match &preview {
        None => (
            o.placed
                .iter()
                .map(|p| {
                    let (a, b) = (&p.request.requester_id, &p.request.recipient_id);
                    let cell = Cell {
                        a: o.company(a),
                        b: o.company(b),
                        interpreter: interpreter(&o, a, b),
                        href: Some(format!("/admin/meetings/{}", p.meeting.meeting.id)),
                    };
                    (p.slot, p.table, cell)
                })
                .collect::<Vec<_>>(),
            o.waiting
                .iter()
                .map(|w| WaitingLine {
                    a: o.company(&w.request.requester_id),
                    b: o.company(&w.request.recipient_id),
                    priority: w.request.priority,
                    reason: ctx
                        .t(w.reason
                            .map_or("partnering.reason.next_run", |r| reason_key(r)))
                        .to_owned(),
                })
                .collect::<Vec<_>>(),
            None,
        ),
        Some((plan, fingerprint)) => {
            let by_id: HashMap<&str, &crate::db::partnering::Request> = o
                .board
                .accepted
                .iter()
                .map(|r| (r.id.as_str(), r))
                .collect();
            let changes = plan
                .meetings
                .iter()
                .filter(|m| {
                    by_id.get(m.request.as_str()).is_some_and(|r| {
                        o.board
                            .placed
                            .get(&r.id)
                            .map(|(s, t, _)| (*s as u32, *t as u32))
                            != Some((m.slot, m.table))
                    })
                })
                .count()
                + plan
                    .unplaced
                    .iter()
                    .filter(|u| {
                        by_id
                            .get(u.request.as_str())
                            .is_some_and(|r| o.board.placed.contains_key(&r.id))
                    })
                    .count();
            let cells = plan
                .meetings
                .iter()
                .filter_map(|m| {
                    // A request withdrawn between the preview and this read is left out.
                    let r = by_id.get(m.request.as_str())?;
                    let (a, b) = (&r.requester_id, &r.recipient_id);
                    let cell = Cell {
                        a: o.company(a),
                        b: o.company(b),
                        interpreter: interpreter(&o, a, b),
                        href: None,
                    };
                    Some((m.slot as usize, m.table as usize, cell))
                })
                .collect();
            let waiting = plan
                .unplaced
                .iter()
                .filter_map(|u| {
                    let r = by_id.get(u.request.as_str())?;
                    Some(WaitingLine {
                        a: o.company(&r.requester_id),
                        b: o.company(&r.recipient_id),
                        priority: r.priority,
                        reason: ctx.t(reason_key(u.reason)).to_owned(),
                    })
                })
                .collect();
            let m = if query.preview.as_deref() == Some("replan") {
                "replan"
            } else {
                "incremental"
            };
            (cells, waiting, Some((m, fingerprint.clone(), changes)))
        }
    };
    let requests = o
        .requests
        .iter()
        .map(|r| RequestLine {
            id: r.id.to_string(),
            a: o.company(&r.requester_id),
            b: o.company(&r.recipient_id),
            message: r.message.clone(),
            status: r.status.as_str(),
            status_label: ctx.t(r.status.label_key()).to_owned(),
            priority: r.priority,
            can_answer: r.status == RequestStatus::Pending,
            can_cancel: r.meeting_id.is_none()
                && matches!(r.status, RequestStatus::Pending | RequestStatus::Accepted),
        })
        .collect();
    let people = o
        .board
        .participants
        .iter()
        .map(|r| Person {
            id: r.id.to_string(),
            label: format!("{} – {}", o.company(&r.id), r.name),
        })
        .collect();
    let e = &o.board.day.event.event;
    ctx.render(&PartneringPage {
        ctx: &ctx,
        user: &user.0,
        slug,
        title: ctx.pick(&e.title_ja, &e.title_en).to_owned(),
        tables: o.board.day.tables.iter().map(|t| t.label.clone()).collect(),
        rows: grid(&ctx, &o, cells),
        waiting,
        counts: o.counts,
        requests,
        people,
        preview: preview_info,
    })
}

fn reason_key(r: crate::scheduling::Reason) -> &'static str {
    match r {
        crate::scheduling::Reason::ParticipantUnavailable => {
            "partnering.reason.participant_unavailable"
        }
        crate::scheduling::Reason::NoTable => "partnering.reason.no_table",
        crate::scheduling::Reason::ParticipantFull => "partnering.reason.participant_full",
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    mode: String,
    fingerprint: String,
}

/// Applies the previewed run, unless what it was computed from changed.
async fn confirm(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
    form: CsrfForm<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let mode = mode(&form.mode)?;
    let slug = slug.into_inner();
    let s2 = slug.clone();
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| {
        ssvc::schedule_checked(conn, &keys, &s2, mode, false, Some(&form.fingerprint))
    })
    .await?;
    Ok(ctx.see_other(&format!("/admin/events/{slug}/partnering")))
}

async fn schedule_csv(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let s2 = slug.clone();
    let o = service::run(&state.pool, move |conn| svc::overview(conn, &s2)).await?;
    Ok(super::download(
        svc::schedule_csv(&o, ctx.lang),
        &format!("{slug}-schedule.csv"),
        super::CSV,
    ))
}

async fn participants_csv(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let s2 = slug.clone();
    let o = service::run(&state.pool, move |conn| svc::overview(conn, &s2)).await?;
    Ok(super::download(
        svc::participants_csv(&o, ctx.lang),
        &format!("{slug}-participants.csv"),
        super::CSV,
    ))
}
