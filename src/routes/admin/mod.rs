//! Organizer pages under `/admin`, one module per concern, each with its
//! `config`: sign-in, the dashboard, the outbox, organizations, venues and
//! rooms, events, and the organizer's own account. Every POST is a
//! [`crate::routes::CsrfForm`]; success answers 303, invalid input shows
//! the form again with what was typed and each problem named (422).

use std::future::Future;
use std::pin::Pin;

mod account;
mod attendees;
mod dashboard;
mod events;
mod form_page;
mod meetings;
mod organizations;
mod outbox;
mod partnering;
mod session;
mod venues;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use crate::db::users::User;
use crate::http::AppState;
use crate::service::{self, accounts};

pub const SESSION_COOKIE: &str = "musubi_session";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .configure(dashboard::config)
            .configure(session::config)
            .configure(organizations::config)
            .configure(venues::config)
            .configure(partnering::config)
            .configure(attendees::config)
            .configure(events::config)
            .configure(meetings::config)
            .configure(outbox::config)
            .configure(account::config),
    );
}

/// A file to save (CSV, XLSX), never cached: it holds guests' data.
pub(super) fn download(
    body: impl actix_web::body::MessageBody + 'static,
    name: &str,
    content_type: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub(super) const CSV: &str = "text/csv; charset=utf-8";

/// A signed-in organizer. Without a valid session the request is sent to
/// the login page instead of reaching the handler.
pub struct AdminUser(pub User);

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secure = state.as_ref().is_some_and(|s| s.settings.secure_cookies());
        let token = req
            .cookie(&crate::routes::cookie_name(SESSION_COOKIE, secure))
            .map(|c| c.value().to_owned());
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        Box::pin(async move {
            let to_login = || {
                let location = format!(
                    "/admin/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                InternalError::from_response(
                    "login required",
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, location))
                        .finish(),
                )
                .into()
            };
            let (Some(token), Some(state)) = (token, state) else {
                return Err(to_login());
            };
            let user = service::run(&state.pool, move |conn| {
                accounts::user_by_session(conn, &token)
            })
            .await?;
            user.map(AdminUser).ok_or_else(to_login)
        })
    }
}
