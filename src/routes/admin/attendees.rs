//! An event's attendees for organizers: the list with search and filters,
//! exports (CSV, XLSX, a printable reception list), check-in without a
//! code, cancelling a registration (after a confirmation page) and moving
//! a waitlisted guest up.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::AdminUser;
use crate::db::events::Event;
use crate::db::users::User;
use crate::domain::{RegistrationStatus, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::i18n::{format, format_instant};
use crate::routes::{Button, ConfirmPage, CsrfForm, PageContext};
use crate::service;
use crate::service::registrations::attendees::{
    self as svc, Attendee, AttendeePage, CheckIn, MovedUp,
};

pub fn config(cfg: &mut web::ServiceConfig) {
    let base = "/events/{slug}/registrations";
    cfg.route(base, web::get().to(list))
        .route(&format!("{base}.{{format}}"), web::get().to(export))
        .route(&format!("{base}/print"), web::get().to(print_list))
        .route(
            &format!("{base}/{{id}}/cancel"),
            web::get().to(confirm_cancel),
        )
        .route(&format!("{base}/{{id}}/{{action}}"), web::post().to(act));
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    q: Option<String>,
}

impl ListQuery {
    fn status(&self) -> Option<RegistrationStatus> {
        self.status
            .as_deref()
            .and_then(|s| RegistrationStatus::parse(s).ok())
    }

    fn query(&self) -> String {
        self.q.clone().unwrap_or_default()
    }

    /// The filters as a query string (empty without filters), which the
    /// list's actions carry so that they return to the same view.
    fn query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = self.status() {
            out.append_pair("status", s.as_str());
        }
        if let Some(q) = self.q.as_deref().filter(|q| !q.trim().is_empty()) {
            out.append_pair("q", q);
        }
        out.finish()
    }

    /// The list's own URL with these filters (where actions return).
    fn back(&self, slug: &str) -> String {
        match self.query_string() {
            q if q.is_empty() => format!("/admin/events/{slug}/registrations"),
            q => format!("/admin/events/{slug}/registrations?{q}"),
        }
    }
}

/// One row of the list as shown.
struct Row {
    id: String,
    name: String,
    furigana: String,
    organization: String,
    country: String,
    email: String,
    status: RegistrationStatus,
    status_label: String,
    rank: Option<i64>,
    registered_at: String,
    checked_in_at: Option<String>,
}

impl Row {
    fn new(ctx: &PageContext, a: &Attendee) -> Self {
        let r = &a.registration;
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            furigana: r.furigana.clone().unwrap_or_default(),
            organization: r.organization.clone(),
            country: r.country.clone(),
            email: r.email.clone(),
            status: r.status,
            status_label: ctx.t(r.status.label_key()).to_owned(),
            rank: a.waitlist_rank,
            registered_at: svc::jst(r.created_at),
            checked_in_at: r
                .checked_in_at
                .map(|t| crate::i18n::format_time_short(crate::db::to_utc(t), TimeZone::TOKYO)),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/attendees.html")]
struct ListPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    slug: String,
    title: String,
    rows: Vec<Row>,
    total: String,
    /// (value, label, current) for the status filter.
    filters: Vec<(String, String, bool)>,
    query: String,
    /// The filters as a query string, for the actions to return to them.
    filters_query: String,
    counts: svc::Counts,
    capacity: Option<i32>,
}

#[tracing::instrument(skip(state, ctx, user))]
async fn list(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let query = query.into_inner();
    let (s2, status, q) = (slug.clone(), query.status(), query.query());
    let (page, counts) = service::run(&state.pool, move |conn| {
        let page = svc::search(conn, &s2, status, &q)?;
        let counts = svc::counts(conn)?
            .remove(&page.event.id)
            .unwrap_or_default();
        Ok((page, counts))
    })
    .await?;
    let mut filters = vec![(
        String::new(),
        ctx.t("attendees.all").to_owned(),
        status.is_none(),
    )];
    filters.extend(RegistrationStatus::ALL.iter().map(|s| {
        (
            s.as_str().to_owned(),
            ctx.t(s.label_key()).to_owned(),
            status == Some(*s),
        )
    }));
    ctx.render(&ListPage {
        ctx: &ctx,
        user: &user.0,
        title: ctx
            .pick(&page.event.title_ja, &page.event.title_en)
            .to_owned(),
        rows: page.attendees.iter().map(|a| Row::new(&ctx, a)).collect(),
        total: format(
            ctx.lang,
            "attendees.total",
            &[("total", page.total.to_string())],
        ),
        filters,
        query: query.query(),
        filters_query: query.query_string(),
        capacity: page.event.capacity,
        counts,
        slug,
    })
}

async fn load_all(state: &AppState, slug: String) -> Result<AttendeePage, AppError> {
    service::run(&state.pool, move |conn| svc::search(conn, &slug, None, "")).await
}

/// The attendee list as a file: `csv` for Excel in Japan (UTF-8 with BOM,
/// CRLF) or `xlsx`, the header in the page's language.
async fn export(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let page = load_all(&state, slug.clone()).await?;
    let rows = svc::table(&page.attendees, ctx.lang);
    let name = format!("{slug}-attendees.{format}");
    Ok(if format == "csv" {
        super::download(service::export::csv(&rows), &name, super::CSV)
    } else {
        super::download(
            service::export::xlsx(ctx.t("attendees.title"), &rows)?,
            &name,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    })
}

#[derive(Template)]
#[template(path = "admin/reception.html")]
struct ReceptionList<'a> {
    ctx: &'a PageContext,
    title: String,
    when: String,
    rows: Vec<Row>,
}

/// Confirmed guests by furigana (五十音順), one line each with a box to
/// tick, for the reception desk's printout.
async fn print_list(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = load_all(&state, slug.into_inner()).await?;
    let event: &Event = &page.event;
    let rows = svc::reception_list(page.attendees.clone())
        .iter()
        .map(|a| Row::new(&ctx, a))
        .collect();
    ctx.render(&ReceptionList {
        ctx: &ctx,
        title: ctx.pick(&event.title_ja, &event.title_en).to_owned(),
        when: format_instant(
            ctx.lang,
            crate::db::to_utc(event.starts_at),
            TimeZone::TOKYO,
        ),
        rows,
    })
}

/// Asks before an organizer cancels a guest's registration.
async fn confirm_cancel(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    path: web::Path<(String, String)>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (s2, id2) = (slug.clone(), id.clone());
    let (event, r) = service::run(&state.pool, move |conn| svc::of_event(conn, &s2, &id2)).await?;
    let title = ctx.pick(&event.title_ja, &event.title_en);
    let mut text = vec![format(
        ctx.lang,
        "confirm.cancel_by_organizer_text",
        &[
            ("name", r.name.clone()),
            ("organization", r.organization.clone()),
            ("title", title.to_owned()),
        ],
    )];
    if r.status == RegistrationStatus::Confirmed {
        text.push(ctx.t("confirm.seat_goes_to_waitlist").to_owned());
    }
    ctx.render(&ConfirmPage {
        ctx: &ctx,
        title: ctx.t("confirm.cancel_by_organizer_title").to_owned(),
        text,
        action: format!(
            "/admin/events/{slug}/registrations/{id}/cancel?{}",
            query.query_string()
        ),
        button: ctx.t("attendees.cancel").to_owned(),
        danger: true,
        option: None,
        back: query.back(&slug),
    })
}

/// The list's buttons: `cancel` (pressed on its confirmation page),
/// `move-up` and `check-in` (a guest found by the search box, no code at
/// hand). Each returns to the list as it was filtered, with a message.
#[tracing::instrument(skip(state, ctx, user, query, form))]
async fn act(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    path: web::Path<(String, String, String)>,
    query: web::Query<ListQuery>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let (slug, id, action) = path.into_inner();
    let (s2, by) = (slug.clone(), user.0.id.clone());
    let flash = service::run(&state.pool, move |conn| {
        Ok(match action.as_str() {
            "cancel" => {
                svc::cancel_by_organizer(conn, &s2, &id)?;
                "flash.registration_cancelled_by_organizer"
            }
            "move-up" => match svc::move_up(conn, &s2, &id)? {
                MovedUp::Confirmed => "flash.moved_up_confirmed",
                MovedUp::FirstInLine => "flash.moved_up_first",
            },
            "check-in" => match svc::check_in_by_id(conn, &s2, &id, &by)? {
                CheckIn::Done(_) => "flash.checked_in",
                CheckIn::Already(_) => "flash.already_checked_in",
                CheckIn::NoSeat(_) => "flash.no_seat",
            },
            _ => return Err(AppError::NotFound),
        })
    })
    .await?;
    Ok(ctx.see_other_with(&query.back(&slug), flash))
}
