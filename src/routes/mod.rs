//! Server-rendered pages. Each resource exposes `config`; handlers are thin:
//! extract, call a service function, render.

pub mod admin;
mod check_in;
mod confirm;
mod csrf;
mod error_pages;
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
pub use error_pages::error_pages;
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

/// The site's icon: two linked rings, 結び.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(include_str!("../../static/favicon.svg"))
}

/// The registration form's script (static/form.js).
pub async fn form_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/form.js"))
}

/// Each country's time zones, `{"DE": ["Europe/Berlin", …], …}`, which
/// form.js fetches when a guest picks a country.
pub async fn country_zones() -> HttpResponse {
    static BODY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let map: std::collections::BTreeMap<&str, &[&str]> =
            crate::domain::Country::choices(crate::domain::Language::En)
                .into_iter()
                .filter_map(|(code, _)| {
                    crate::domain::Country::parse(code)
                        .ok()
                        .map(|c| (code, c.zones()))
                })
                .collect();
        serde_json::to_string(&map).unwrap_or_default()
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(BODY.as_str())
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    if req.path().starts_with("/api/") {
        Err(crate::error::ApiError(AppError::NotFound).into())
    } else {
        Err(AppError::NotFound.into())
    }
}
