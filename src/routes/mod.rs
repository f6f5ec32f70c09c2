//! Server-rendered pages. Each resource exposes `config`; handlers are thin:
//! extract, call a service function, render.

pub mod admin;
mod check_in;
mod confirm;
mod csrf;
pub mod feeds;
pub mod forms;
pub mod health;
pub mod meetings;
mod page;
pub mod partnering;
mod privacy;
pub mod public;
pub mod registrations;
pub mod views;

pub use confirm::ConfirmPage;
pub use csrf::{Button, CsrfForm};
pub use page::{FeedLink, PageContext};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::http::AppState;

/// A cookie's name as sent. Over https it carries the `__Host-` prefix:
/// browsers then accept it only with Secure, Path=/ and no Domain, so no
/// subdomain and no plain-http page can plant or overwrite it.
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

pub const LANG_COOKIE: &str = "musubi_lang";
pub const TZ_COOKIE: &str = "musubi_tz";
/// A message key for the next page after an action ("Registration cancelled").
pub const FLASH_COOKIE: &str = "musubi_flash";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::config)
        .configure(feeds::config)
        .configure(public::config)
        .configure(registrations::config)
        .configure(check_in::config)
        .configure(privacy::config)
        .configure(meetings::config)
        .configure(partnering::config)
        .configure(admin::config);
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/site.css"))
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    if req.path().starts_with("/api/") {
        Err(crate::error::ApiError(AppError::NotFound).into())
    } else {
        Err(AppError::NotFound.into())
    }
}
