//! A participant's agenda: each meeting with its time in Japan and in
//! their own zone, the table, the other company; printable on one A4
//! page; and the whole agenda as one calendar file.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::to_utc;
use crate::domain::TimeZone;
use crate::error::AppError;
use crate::http::AppState;
use crate::http::feed_cache::{rendered, respond};
use crate::ical::feed::{CalendarInfo, calendar_with_meetings};
use crate::ical::meeting::{self as ical, Copy, View};
use crate::routes::PageContext;
use crate::routes::views::zoned_times;
use crate::service::partnering::overview::{self as svc, AgendaItem};
use crate::service::registrations as guest;
use crate::service::{self};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/registrations/{token}/partnering/agenda.ics",
        web::get().to(ics),
    )
    .route(
        "/registrations/{token}/partnering/agenda",
        web::get().to(show),
    );
}

pub struct Line {
    pub times: Vec<String>,
    pub table: String,
    pub place: String,
    pub online_url: Option<String>,
    pub company: String,
    pub country: String,
    pub offer: String,
    pub seek: String,
    pub interpreter: bool,
    pub ics: String,
}

#[derive(Template)]
#[template(path = "partnering/agenda.html")]
struct AgendaPage<'a> {
    ctx: &'a PageContext,
    token: String,
    event_title: String,
    name: String,
    organization: String,
    lines: Vec<Line>,
}

fn load(
    state: &AppState,
    token: String,
) -> impl std::future::Future<
    Output = Result<
        (
            crate::db::registrations::Registration,
            crate::service::partnering::Day,
            Vec<AgendaItem>,
        ),
        AppError,
    >,
> {
    let pool = state.pool.clone();
    async move {
        service::run(&pool, move |conn| {
            let r = guest::by_token(conn, &token)?;
            let (day, items) = svc::agenda(conn, &r)?;
            Ok((r, day, items))
        })
        .await
    }
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (r, day, items) = load(&state, token.clone()).await?;
    let ctx = ctx.for_guest(&r.language);
    let labels = |stored: &str| {
        crate::service::partnering::profiles::categories(stored)
            .unwrap_or_default()
            .iter()
            .map(|c| ctx.t(c.label_key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let lines = items
        .iter()
        .map(|i| {
            let m = &i.meeting.meeting;
            let zone = TimeZone::from_stored(&i.me.time_zone);
            let free_text = |cats: String, text: &str| {
                [cats, text.trim().to_owned()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" — ")
            };
            Line {
                times: zoned_times(
                    &ctx,
                    to_utc(m.starts_at),
                    to_utc(m.ends_at),
                    TimeZone::TOKYO,
                    Some(zone),
                )
                .into_iter()
                .map(|t| format!("{} ({})", t.text, t.zone))
                .collect(),
                table: m.table_label.clone().unwrap_or_default(),
                place: ical::location(&i.meeting, ctx.lang),
                online_url: m.online_url.clone(),
                company: i.other.organization.clone(),
                country: i.other.country.clone(),
                offer: free_text(labels(&i.other.offer_categories), &i.other.offer),
                seek: free_text(labels(&i.other.seek_categories), &i.other.seek),
                interpreter: m.interpreter.is_some(),
                ics: format!(
                    "/meetings/{}.ics",
                    state.keys.attendee(&i.me.id, i.me.link_generation).expose()
                ),
            }
        })
        .collect();
    let e = &day.event.event;
    ctx.render(&AgendaPage {
        ctx: &ctx,
        token,
        event_title: ctx.pick(&e.title_ja, &e.title_en).to_owned(),
        name: r.name.clone(),
        organization: r.organization.clone(),
        lines,
    })
}

/// Every meeting of the agenda in one calendar (the participant's copies).
async fn ics(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (r, day, items) = load(&state, token.into_inner()).await?;
    let ctx = ctx.for_guest(&r.language);
    let settings = &state.settings;
    let host = settings.host();
    let e = &day.event.event;
    let title = ctx.pick(&e.title_ja, &e.title_en).to_owned();
    let info = CalendarInfo {
        name: &title,
        source_url: &ctx.absolute(req.path()),
        lang: ctx.lang,
        base_url: &settings.base_url,
        uid_host: &host,
        organizer_email: &settings.mail_from,
    };
    let copies: Vec<Copy> = items
        .iter()
        .map(|i| Copy {
            details: &i.meeting,
            view: View::Personal { attendee: &i.me },
        })
        .collect();
    let body = calendar_with_meetings(&info, &[], &copies);
    let changed = items
        .iter()
        .map(|i| i.meeting.meeting.updated_at.max(i.me.updated_at))
        .max()
        .unwrap_or(e.updated_at);
    Ok(crate::http::feed_cache::private(respond(
        &req,
        &rendered(body, changed),
    )))
}
