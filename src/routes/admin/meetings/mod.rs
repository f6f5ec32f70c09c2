//! Business meetings: a day view (rooms as columns, times as rows), one
//! meeting with each attendee's answer, the create and edit forms with
//! attendee rows, cancelling, and a new link for an attendee.

mod day;
mod form;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::AdminUser;
use crate::db;
use crate::db::users::User;
use crate::domain::{MeetingId, MeetingStatus, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{Button, CsrfForm, PageContext};
use crate::service;
use crate::service::meetings as svc;

pub fn config(cfg: &mut web::ServiceConfig) {
    // The form's `/meetings/new` before `/meetings/{id}`.
    cfg.configure(day::config)
        .configure(form::config)
        .route("/meetings/{id}", web::get().to(show))
        .route("/meetings/{id}/cancel", web::post().to(cancel))
        .route(
            "/meetings/{id}/attendees/{attendee}/new-link",
            web::post().to(new_link),
        );
}

struct AttendeeView {
    id: String,
    name: String,
    email: String,
    company: String,
    zone: String,
    language: String,
    answer: String,
    partstat: &'static str,
}

#[derive(Template)]
#[template(path = "admin/meetings/show.html")]
struct ShowPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    id: String,
    title: String,
    day: String,
    times: Vec<crate::routes::views::ZonedTime>,
    place: String,
    online_url: Option<String>,
    event: Option<(String, String)>,
    agenda: String,
    interpreter: Option<String>,
    status: String,
    cancelled: bool,
    revision: i32,
    attendees: Vec<AttendeeView>,
    removed: Vec<AttendeeView>,
}

async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = MeetingId::from(id.into_inner());
    let d = service::run(&state.pool, move |conn| svc::load(conn, &id)).await?;
    let m = &d.meeting;
    let view = |a: &crate::db::meetings::AttendeeDetails| AttendeeView {
        id: a.attendee.id.to_string(),
        name: a.attendee.name.clone(),
        email: a.attendee.email.clone(),
        company: a.company(ctx.lang).to_owned(),
        zone: a.attendee.time_zone.clone(),
        language: a.attendee.language.clone(),
        answer: ctx.t(a.attendee.partstat.label_key()).to_owned(),
        partstat: a.attendee.partstat.as_str(),
    };
    ctx.render(&ShowPage {
        ctx: &ctx,
        user: &user.0,
        id: m.id.to_string(),
        title: ctx.pick(&m.title_ja, &m.title_en).to_owned(),
        day: db::to_utc(m.starts_at)
            .with_timezone(&TimeZone::TOKYO.tz())
            .format("%Y-%m-%d")
            .to_string(),
        times: crate::routes::views::zoned_times(
            &ctx,
            db::to_utc(m.starts_at),
            db::to_utc(m.ends_at),
            TimeZone::from_stored(&m.time_zone),
            None,
        ),
        place: crate::ical::meeting::location(&d, ctx.lang),
        online_url: m.online_url.clone(),
        event: d.event.as_ref().map(|e| {
            (
                e.slug.clone(),
                ctx.pick(&e.title_ja, &e.title_en).to_owned(),
            )
        }),
        agenda: m.agenda.clone(),
        interpreter: m.interpreter.as_ref().map(|p| p.replace('-', " ⇄ ")),
        status: ctx.t(m.status.label_key()).to_owned(),
        cancelled: m.status == MeetingStatus::Cancelled,
        revision: m.revision,
        attendees: d.listed().map(view).collect(),
        removed: d
            .attendees
            .iter()
            .filter(|a| !a.attendee.is_listed())
            .map(view)
            .collect(),
    })
}

async fn cancel(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    id: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let id = MeetingId::from(id.into_inner());
    let target = id.clone();
    service::run(&state.pool, move |conn| svc::cancel(conn, &target)).await?;
    Ok(ctx.see_other(&format!("/admin/meetings/{id}")))
}

/// Sends an attendee a new link; the old one stops working.
async fn new_link(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let (id, attendee) = path.into_inner();
    let (meeting_id, attendee_id) = (
        MeetingId::from(id.clone()),
        crate::domain::AttendeeId::from(attendee),
    );
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| {
        svc::attendee::new_link(conn, &keys, &meeting_id, &attendee_id)
    })
    .await?;
    Ok(ctx.see_other(&format!("/admin/meetings/{id}")))
}
