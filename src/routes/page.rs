//! Per-request page state: the language, the visitor's zone, the CSRF
//! cookie, and how a page is rendered and answered.

use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;

use super::csrf::CSRF_COOKIE;
use super::{FLASH_COOKIE, LANG_COOKIE, TZ_COOKIE, cookie_name};
use crate::config::Settings;
use crate::domain::{Invalid, Language, TimeZone, Token};
use crate::error::AppError;
use crate::http::{AppState, hardening};

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
    pub(super) new_csrf: bool,
    remember_lang: bool,
    remember_tz: Option<String>,
    secure: bool,
    base_url: String,
    /// The request's Origin (or Referer) is this site, or it sent neither.
    pub(super) same_origin: bool,
    /// The message the previous action left for this page (a message key),
    /// shown once.
    flash: Option<String>,
    /// The message this response leaves for the next page.
    new_flash: Option<&'static str>,
    /// The privacy notice every page's footer links to.
    pub privacy_url: String,
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
                    .map(Language::negotiate)
            })
            .unwrap_or_default();
        let tz_param = param("tz");
        let viewer_zone = match &tz_param {
            Some(name) => TimeZone::parse(name).ok(),
            None => cookie(TZ_COOKIE).and_then(|c| TimeZone::parse(c.value()).ok()),
        }
        .filter(|z| *z != TimeZone::TOKYO);
        // Only message keys are kept in the cookie, and only those under
        // `flash.`: a planted cookie can show no text of its own.
        let flash = cookie(FLASH_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|k| k.starts_with("flash.") && crate::i18n::has_key(k));
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
            flash,
            new_flash: None,
            privacy_url: settings.map_or_else(|| "/privacy".to_owned(), Settings::privacy_url),
        }
    }

    /// This context for a guest's own page: the language they chose when
    /// they registered, unless this very URL asks for the other (`?lang=`).
    pub fn for_guest(&self, chosen: &str) -> Self {
        let mut ctx = self.clone();
        if !self.remember_lang
            && let Ok(lang) = Language::parse(chosen)
        {
            ctx.lang = lang;
        }
        ctx
    }

    /// The message the previous action left, in the page's language.
    pub fn flash(&self) -> Option<&str> {
        self.flash.as_deref().map(|k| self.t(k))
    }

    /// The 303 after an action, with a message for the next page.
    pub fn see_other_with(&self, location: &str, flash: &'static str) -> HttpResponse {
        let mut ctx = self.clone();
        ctx.new_flash = Some(flash);
        ctx.see_other(location)
    }

    /// The absolute URL of a path on this service.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The feed at `path`, in the page's language (ja is the public feeds'
    /// default; a personal feed's is its owner's, so it always says).
    pub fn feed(&self, path: impl AsRef<str>) -> FeedLink {
        let path = path.as_ref();
        let personal = path.starts_with("/feeds/") && !path.starts_with("/feeds/staff/");
        let lang = if self.lang == Language::default() && !personal {
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
        // One leading slash: a path like `//evil.example/x` must not become
        // a link to another site.
        format!(
            "/{}?{}",
            self.path.trim_start_matches(['/', '\\']),
            out.finish()
        )
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
        if let Some(key) = self.new_flash {
            let mut c = self.cookie(FLASH_COOKIE, key.to_owned(), true);
            c.set_max_age(CookieDuration::minutes(5));
            cookies.push(c);
        } else if self.flash.is_some() {
            let mut c = self.cookie(FLASH_COOKIE, String::new(), true);
            c.make_removal();
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
