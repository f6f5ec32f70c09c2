//! Signing in and out of the organizer pages.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::SESSION_COOKIE;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{Button, CsrfForm, PageContext};
use crate::service::{self, accounts};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    ctx: &'a PageContext,
    email: String,
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only paths under /admin on this site, so the login cannot be used to
/// redirect elsewhere (`//host`, `/\host` and schemes never start with
/// `/admin`); a line break is an attempt at header injection (400).
fn safe_next(next: Option<&str>) -> Result<String, AppError> {
    match next {
        Some(n) if n.chars().any(char::is_control) => {
            Err(AppError::BadRequest("line break in next"))
        }
        Some(n) if n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?") => {
            Ok(n.to_owned())
        }
        _ => Ok("/admin".to_owned()),
    }
}

async fn login_form(
    ctx: PageContext,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    ctx.render(&LoginPage {
        ctx: &ctx,
        email: String::new(),
        next: safe_next(query.next.as_deref())?,
        failed: false,
    })
}

#[derive(Deserialize)]
struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[tracing::instrument(skip(state, ctx, req, form))]
async fn login(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    form: CsrfForm<LoginFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner()?;
    let next = safe_next(fields.next.as_deref())?;
    let session = accounts::login(
        &state.pool,
        &state.passwords,
        accounts::LoginPolicy::from_settings(&state.settings),
        &fields.email,
        fields.password,
        crate::http::client_ip(&req),
    )
    .await?;
    let Some(token) = session else {
        return ctx.render_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                ctx: &ctx,
                email: fields.email,
                next,
                failed: true,
            },
        );
    };
    let cookie = Cookie::build(
        crate::routes::cookie_name(SESSION_COOKIE, ctx.secure()),
        token.expose().to_owned(),
    )
    .path("/")
    .http_only(true)
    .secure(ctx.secure())
    .same_site(SameSite::Lax)
    .max_age(CookieDuration::hours(accounts::SESSION_HOURS))
    .finish();
    let mut response = ctx.see_other(&next);
    response
        .add_cookie(&cookie)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(response)
}

async fn logout(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    if let Some(session) = req
        .cookie(&crate::routes::cookie_name(SESSION_COOKIE, ctx.secure()))
        .map(|c| c.value().to_owned())
    {
        service::run(&state.pool, move |conn| accounts::logout(conn, &session)).await?;
    }
    Ok(without_session(&ctx, ctx.see_other("/")))
}

/// The response with the session cookie removed.
pub(super) fn without_session(ctx: &PageContext, mut response: HttpResponse) -> HttpResponse {
    let mut removal = Cookie::build(crate::routes::cookie_name(SESSION_COOKIE, ctx.secure()), "")
        .path("/")
        .secure(ctx.secure())
        .finish();
    removal.make_removal();
    if let Err(e) = response.add_cookie(&removal) {
        tracing::warn!(error = %e, "could not remove the session cookie");
    }
    response
}
