//! The check-in link a guest's QR code holds: `/check-in/<token>`. Opened
//! by an organizer's phone it shows who this is and one big button; the
//! button (a POST with CSRF) checks the guest in. Without an organizer's
//! session the page says only that staff scan it: it names nobody and
//! checks nobody in.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::admin::AdminUser;
use super::{Button, CsrfForm, PageContext};
use crate::db::events::Event;
use crate::db::registrations::Registration;
use crate::db::to_utc;
use crate::domain::{RegistrationStatus, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::i18n::{format, format_instant, format_time_short};
use crate::service;
use crate::service::registrations::attendees::{self as svc, CheckIn};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/check-in/{token}", web::get().to(show))
        .route("/check-in/{token}", web::post().to(check_in));
}

/// What the page says about the guest, if anything.
enum State {
    /// Not signed in: nothing about the guest.
    StaffOnly {
        login: String,
    },
    /// Ready: the big button.
    Ready,
    /// Just now, or earlier at this time.
    Done,
    Already(String),
    NoSeat(String),
}

#[derive(Template)]
#[template(path = "check_in.html")]
struct CheckInPage<'a> {
    ctx: &'a PageContext,
    token: String,
    event_title: String,
    event_when: String,
    name: String,
    furigana: String,
    organization: String,
    state: State,
}

impl<'a> CheckInPage<'a> {
    fn new(
        ctx: &'a PageContext,
        token: String,
        event: &Event,
        registration: Option<&Registration>,
        state: State,
    ) -> Self {
        Self {
            ctx,
            token,
            event_title: ctx.pick(&event.title_ja, &event.title_en).to_owned(),
            event_when: format_instant(ctx.lang, to_utc(event.starts_at), TimeZone::TOKYO),
            name: registration.map(|r| r.name.clone()).unwrap_or_default(),
            furigana: registration
                .and_then(|r| r.furigana.clone())
                .unwrap_or_default(),
            organization: registration
                .map(|r| r.organization.clone())
                .unwrap_or_default(),
            state,
        }
    }
}

fn already(ctx: &PageContext, r: &Registration) -> State {
    let at = r
        .checked_in_at
        .map(|t| format_time_short(to_utc(t), TimeZone::TOKYO))
        .unwrap_or_default();
    State::Already(format(ctx.lang, "check_in.already", &[("time", at)]))
}

fn no_seat(ctx: &PageContext, r: &Registration) -> State {
    State::NoSeat(format(
        ctx.lang,
        "check_in.no_seat",
        &[("status", ctx.t(r.status.label_key()).to_owned())],
    ))
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: Option<AdminUser>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t2 = token.clone();
    let (registration, event) =
        service::run(&state.pool, move |conn| svc::by_check_in_token(conn, &t2)).await?;
    let page = if user.is_none() {
        let login = format!(
            "/admin/login?next={}",
            url::form_urlencoded::byte_serialize(format!("/check-in/{token}").as_bytes())
                .collect::<String>()
        );
        CheckInPage::new(&ctx, token, &event, None, State::StaffOnly { login })
    } else {
        let s = if registration.status != RegistrationStatus::Confirmed {
            no_seat(&ctx, &registration)
        } else if registration.checked_in_at.is_some() {
            already(&ctx, &registration)
        } else {
            State::Ready
        };
        CheckInPage::new(&ctx, token, &event, Some(&registration), s)
    };
    let mut response = ctx.render(&page)?;
    // A shared or cached copy must never show a guest to someone else.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[tracing::instrument(skip_all)]
async fn check_in(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    token: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let token = token.into_inner();
    let t2 = token.clone();
    let by = user.0.id.clone();
    let (outcome, event) = service::run(&state.pool, move |conn| {
        svc::check_in_by_token(conn, &t2, &by)
    })
    .await?;
    let (registration, s) = match &outcome {
        CheckIn::Done(r) => (r, State::Done),
        CheckIn::Already(r) => (r, already(&ctx, r)),
        CheckIn::NoSeat(r) => (r, no_seat(&ctx, r)),
    };
    ctx.render(&CheckInPage::new(
        &ctx,
        token,
        &event,
        Some(registration),
        s,
    ))
}
