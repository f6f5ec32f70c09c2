//! Server-rendered pages. Each resource exposes `config`; handlers are thin:
//! extract, call a service function, render.

pub mod admin;
pub mod client;
pub mod feeds;
pub mod forms;
pub mod hardening;
pub mod health;
pub mod public;
pub mod registrations;
pub mod views;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use std::future::{Ready, ready};

use crate::config::Settings;
use crate::db::Pool;
use crate::domain::{Invalid, Language, TimeZone, Token};
use crate::error::AppError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub feeds: std::sync::Arc<feeds::FeedCache>,
    pub keys: crate::service::keys::LinkKeys,
    pub limiter: std::sync::Arc<RateLimiter>,
    /// The bounded password hashing threads of sign-in.
    pub passwords: crate::service::passwords::PasswordChecker,
}

/// The client's address, as the rate limits and the lockout count it
/// (behind a trusted reverse proxy, the address the proxy reports).
pub fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[][..], |s| &s.settings.trusted_proxies[..]);
    client::client_ip(req, trusted)
}

/// Requests per client address and minute (fixed one-minute windows).
/// In memory: each instance counts its own clients.
pub struct RateLimiter {
    per_minute: u32,
    windows: std::sync::Mutex<(u64, std::collections::HashMap<std::net::IpAddr, u32>)>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Default::default(),
        }
    }

    /// Counts one request; Err(429) past the limit. 0 means no limit.
    pub fn check(&self, req: &HttpRequest) -> Result<(), AppError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Some(ip) = client_ip(req) else {
            return Ok(());
        };
        let minute = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 60);
        let mut guard = self
            .windows
            .lock()
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("rate limiter poisoned")))?;
        let (window, counts) = &mut *guard;
        if *window != minute {
            *window = minute;
            counts.clear();
        }
        let count = counts.entry(ip).or_insert(0);
        *count += 1;
        if *count > self.per_minute {
            return Err(AppError::RateLimited(None));
        }
        Ok(())
    }
}

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
pub const CSRF_COOKIE: &str = "musubi_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::config)
        .configure(feeds::config)
        .configure(public::config)
        .configure(registrations::config)
        .configure(admin::config);
}

/// Per-request page state: language, the visitor's own zone, the CSRF token
/// for forms, and which preference cookies the response must set.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub lang: Language,
    /// The visitor's chosen zone when it differs from Asia/Tokyo.
    pub viewer_zone: Option<TimeZone>,
    pub csrf_token: String,
    path: String,
    query: Vec<(String, String)>,
    new_csrf: bool,
    remember_lang: bool,
    remember_tz: Option<String>,
    secure: bool,
    base_url: String,
    /// The request's Origin (or Referer) is this site, or it sent neither.
    same_origin: bool,
}

/// A calendar feed as pages offer it: the https address to copy and the
/// `webcal://` one that opens the visitor's calendar app to subscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    pub https: String,
    pub webcal: String,
}

impl FeedLink {
    pub fn new(url: String) -> Self {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(&url);
        Self {
            webcal: format!("webcal://{rest}"),
            https: url,
        }
    }
}

impl FromRequest for PageContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageContext::of(req)))
    }
}

impl PageContext {
    pub fn of(req: &HttpRequest) -> Self {
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let settings = req.app_data::<web::Data<AppState>>().map(|s| &s.settings);
        let secure = settings.is_some_and(Settings::secure_cookies);
        let base_url = settings.map(|s| s.base_url.clone()).unwrap_or_default();
        let cookie = |name: &str| req.cookie(&cookie_name(name, secure));
        let from_query = param("lang").and_then(|l| Language::parse(&l).ok());
        let lang = from_query
            .or_else(|| cookie(LANG_COOKIE).and_then(|c| Language::parse(c.value()).ok()))
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .and_then(Language::from_accept_language)
            })
            .unwrap_or_default();
        let tz_param = param("tz");
        let viewer_zone = match &tz_param {
            Some(name) => TimeZone::parse(name).ok(),
            None => cookie(TZ_COOKIE).and_then(|c| TimeZone::parse(c.value()).ok()),
        }
        .filter(|z| *z != TimeZone::TOKYO);
        let existing_csrf = cookie(CSRF_COOKIE).and_then(|c| Token::parse(c.value()).ok());
        let new_csrf = existing_csrf.is_none();
        let csrf_token = existing_csrf
            .unwrap_or_else(Token::generate)
            .expose()
            .to_owned();
        Self {
            // Only a form needs it (pages are read far more often).
            same_origin: matches!(*req.method(), actix_web::http::Method::GET)
                || hardening::same_origin(req, &base_url),
            lang,
            viewer_zone,
            csrf_token,
            path: req.path().to_owned(),
            remember_lang: from_query.is_some(),
            // An empty or unknown ?tz= clears the remembered zone.
            remember_tz: tz_param.map(|name| {
                TimeZone::parse(&name)
                    .map(|z| z.name().to_owned())
                    .unwrap_or_default()
            }),
            query,
            new_csrf,
            secure,
            base_url,
        }
    }

    /// The absolute URL of a path on this service.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The feed at `path`, in the page's language (ja is the feeds' default).
    pub fn feed(&self, path: impl AsRef<str>) -> FeedLink {
        let path = path.as_ref();
        let lang = if self.lang == Language::default() {
            String::new()
        } else {
            format!("?lang={}", self.lang.as_str())
        };
        FeedLink::new(self.absolute(&format!("{path}{lang}")))
    }

    /// The message `key` in the page's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        crate::i18n::t(self.lang, key)
    }

    /// Picks ja or en text.
    pub fn pick<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(ja, en)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.as_str()
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().as_str()
    }

    pub fn viewer_zone_name(&self) -> &'static str {
        self.viewer_zone.map_or("", |z| z.name())
    }

    /// This page's URL with one query parameter replaced (for the language
    /// switch and the zone picker).
    pub fn url_with(&self, name: &str, value: &str) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query.iter().filter(|(k, _)| k != name) {
            out.append_pair(k, v);
        }
        out.append_pair(name, value);
        format!("{}?{}", self.path, out.finish())
    }

    /// Checks a submitted form's CSRF token against the cookie (double submit:
    /// another site can make the browser send the cookie, but cannot read it
    /// to put it in the form).
    pub fn verify_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        // A second line behind the token: browsers name the site a form
        // was sent from, and it must be this one.
        if !self.same_origin {
            return Err(AppError::Forbidden("origin"));
        }
        let valid = !self.new_csrf
            && submitted.is_some_and(|s| {
                Token::parse(&self.csrf_token).is_ok_and(|cookie| cookie.matches(s))
            });
        if valid {
            Ok(())
        } else {
            Err(AppError::Forbidden("csrf"))
        }
    }

    /// Checks a submitted form's CSRF token; answers the rest of the body
    /// for the resource's field struct.
    pub fn verify_form(&self, body: &[u8]) -> Result<Vec<u8>, AppError> {
        let (token, rest) = split_csrf(body);
        self.verify_csrf(token.as_deref())?;
        Ok(rest)
    }

    /// Whether the service is served over https (cookies are Secure and `__Host-`).
    pub fn secure(&self) -> bool {
        self.secure
    }

    fn cookie(&self, name: &str, value: String, http_only: bool) -> Cookie<'static> {
        Cookie::build(cookie_name(name, self.secure), value)
            .path("/")
            .secure(self.secure)
            .http_only(http_only)
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::days(365))
            .finish()
    }

    /// Sets the cookies this request decided on.
    pub fn finish(&self, response: &mut HttpResponse) {
        let mut cookies = Vec::new();
        if self.new_csrf {
            cookies.push(self.cookie(CSRF_COOKIE, self.csrf_token.clone(), true));
        }
        if self.remember_lang {
            cookies.push(self.cookie(LANG_COOKIE, self.lang.as_str().to_owned(), false));
        }
        if let Some(tz) = &self.remember_tz {
            let mut c = self.cookie(TZ_COOKIE, tz.clone(), false);
            if tz.is_empty() {
                c.make_removal();
            }
            cookies.push(c);
        }
        for c in cookies {
            if let Err(e) = response.add_cookie(&c) {
                tracing::warn!(error = %e, "could not set cookie");
            }
        }
    }

    pub fn render(&self, page: &impl Template) -> Result<HttpResponse, AppError> {
        self.render_status(StatusCode::OK, page)
    }

    pub fn render_status(
        &self,
        status: StatusCode,
        page: &impl Template,
    ) -> Result<HttpResponse, AppError> {
        let body = page
            .render()
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("rendering page: {e}")))?;
        let mut response = HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header((header::CONTENT_LANGUAGE, self.lang.as_str()))
            .insert_header((header::VARY, "Cookie, Accept-Language"))
            .body(body);
        self.finish(&mut response);
        Ok(response)
    }

    /// The 303 a successful POST answers with.
    pub fn see_other(&self, location: &str) -> HttpResponse {
        let mut response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish();
        self.finish(&mut response);
        response
    }

    /// A field error's message in the page's language.
    pub fn message(&self, problem: &Invalid) -> String {
        problem.message(self.lang)
    }
}

/// Splits the CSRF token off a form body, leaving the rest for the
/// resource's field struct (which refuses unknown fields).
fn split_csrf(body: &[u8]) -> (Option<String>, Vec<u8>) {
    let mut token = None;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(body) {
        if k == CSRF_FIELD {
            token = Some(v.into_owned());
        } else {
            rest.append_pair(&k, &v);
        }
    }
    (token, rest.finish().into_bytes())
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
