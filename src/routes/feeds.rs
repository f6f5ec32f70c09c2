//! iCalendar feeds. A rendered feed is cached per data version (and day,
//! since cancelled events leave feeds 30 days after their end); a request
//! costs a version check, which itself is answered from memory for up to a
//! second unless this process has committed a write since.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::db;
use crate::db::events::{EventDetails, EventFilter};
use crate::domain::{EventKind, Language, Validator};
use crate::error::AppError;
use crate::http::AppState;
use crate::http::feed_cache::{Rendered, rendered, respond};
use crate::i18n::t;
use crate::ical::feed::{CalendarInfo, calendar, calendar_with_meetings};
use crate::ical::meeting::{Copy, View};
use crate::service::{self, events::PUBLIC_STATUSES};

/// The feeds named by a slug, and which events each holds.
type SlugFeed = (&'static str, fn(String) -> Scope);
const SLUG_FEEDS: [SlugFeed; 3] = [
    ("/events/{slug}.ics", Scope::Event),
    ("/organizations/{slug}/calendar.ics", Scope::Organization),
    ("/venues/{slug}/calendar.ics", Scope::Venue),
];

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/calendar.ics", web::get().to(all_events))
        .route("/feeds/{token}.ics", web::get().to(personal))
        .route("/feeds/staff/{token}.ics", web::get().to(staff));
    for (path, scope) in SLUG_FEEDS {
        cfg.route(
            path,
            web::get().to(
                move |state: web::Data<AppState>,
                      req: HttpRequest,
                      slug: web::Path<String>,
                      query: web::Query<FeedQuery>| async move {
                    serve(&state, &req, language(&query)?, scope(slug.into_inner())).await
                },
            ),
        );
    }
}

pub use crate::service::calendars::CANCELLED_GRACE_DAYS;
#[derive(Debug, Deserialize)]
struct FeedQuery {
    lang: Option<String>,
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
}

/// Which events a feed holds, and what it is called.
enum Scope {
    All {
        from: Option<NaiveDateTime>,
        to: Option<NaiveDateTime>,
        kind: Option<EventKind>,
    },
    Event(String),
    Organization(String),
    Venue(String),
}

fn language(query: &FeedQuery) -> Result<Language, AppError> {
    query.lang.as_deref().map_or(Ok(Language::Ja), |l| {
        Language::parse(l).map_err(|p| AppError::field("lang", p))
    })
}

async fn all_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    let mut v = Validator::new();
    let (from, to) =
        crate::service::events::period(&mut v, query.from.as_deref(), query.to.as_deref());
    let kind = v.check(
        "kind",
        query.kind.as_deref().map(EventKind::parse).transpose(),
    );
    v.finish().map_err(AppError::Validation)?;
    let scope = Scope::All {
        from,
        to,
        kind: kind.flatten(),
    };
    serve(&state, &req, language(&query)?, scope).await
}

async fn serve(
    state: &AppState,
    req: &HttpRequest,
    lang: Language,
    scope: Scope,
) -> Result<HttpResponse, AppError> {
    let (version, changed_at) = state.feeds.version(&state.pool).await?;
    let today = Utc::now().date_naive();
    let key = format!(
        "{version}|{today}|{}|{}|{}",
        lang.as_str(),
        req.path(),
        req.query_string()
    );
    let rendered = match state.feeds.get(&key) {
        Some(r) => r,
        None => {
            let r = Arc::new(render(state, req, lang, scope, changed_at, today).await?);
            state.feeds.put(key, r.clone());
            r
        }
    };
    Ok(respond(req, &rendered))
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    lang: Language,
    scope: Scope,
    changed_at: NaiveDateTime,
    today: chrono::NaiveDate,
) -> Result<Rendered, AppError> {
    let cutoff = today.and_time(chrono::NaiveTime::MIN) - Duration::days(CANCELLED_GRACE_DAYS);
    let site = t(lang, "site.name").to_owned();
    let (name, events): (String, Vec<EventDetails>) = service::run(&state.pool, move |conn| {
        let base = EventFilter {
            statuses: PUBLIC_STATUSES,
            cancelled_ended_after: Some(cutoff),
            ..Default::default()
        };
        Ok(match scope {
            Scope::All { from, to, kind } => {
                let filter = EventFilter {
                    ends_after: from,
                    starts_before: to,
                    kind,
                    ..base
                };
                (site, service::events::list(conn, filter)?)
            }
            Scope::Event(slug) => {
                let d = service::events::load_public(conn, &slug)?;
                (
                    lang.pick(&d.event.title_ja, &d.event.title_en).to_owned(),
                    vec![d],
                )
            }
            Scope::Organization(slug) => {
                let o = service::organizations::get(conn, &slug)?;
                let filter = EventFilter {
                    organization_id: Some(&o.id),
                    ..base
                };
                (
                    format!("{} – {site}", lang.pick(&o.name_ja, &o.name_en)),
                    service::events::list(conn, filter)?,
                )
            }
            Scope::Venue(slug) => {
                let v = service::venues::get(conn, &slug)?;
                let filter = EventFilter {
                    venue_id: Some(&v.venue.id),
                    ..base
                };
                (
                    format!("{} – {site}", lang.pick(&v.venue.name_ja, &v.venue.name_en)),
                    service::events::list(conn, filter)?,
                )
            }
        })
    })
    .await?;
    let settings = &state.settings;
    let source_url = format!(
        "{}{}",
        settings.base_url,
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let host = settings.host();
    let info = CalendarInfo {
        name: &name,
        source_url: &source_url,
        lang,
        base_url: &settings.base_url,
        uid_host: &host,
        organizer_email: &settings.mail_from,
    };
    Ok(rendered(calendar(&info, &events), changed_at))
}

/// A person's own feed: every event registered with their email address
/// and their copy of every meeting they were invited to (see
/// [`service::calendars::personal`]). Not cached: it is small and private.
async fn personal(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    let asked = query
        .lang
        .as_deref()
        .map(|l| Language::parse(l).map_err(|p| AppError::field("lang", p)))
        .transpose()?;
    let token = token.into_inner();
    let p = service::run(&state.pool, move |conn| {
        service::calendars::personal(conn, &token)
    })
    .await?;
    // The person's own language unless the URL asks for another.
    let lang = asked
        .or_else(|| p.language.as_deref().and_then(|l| Language::parse(l).ok()))
        .unwrap_or_default();
    let name = format!(
        "{} – {}",
        t(lang, "site.name"),
        t(lang, "registration.personal_feed")
    );
    let copies: Vec<Copy<'_>> = p
        .meetings
        .iter()
        .map(|(attendee, details)| Copy {
            details,
            view: View::Personal { attendee },
        })
        .collect();
    private_calendar(&state, &req, lang, &name, &p.events, &copies, p.changed_at)
}

/// The staff calendar of one organizer account: every event and meeting.
async fn staff(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = language(&query)?;
    let token = token.into_inner();
    let (events, meetings) = service::run(&state.pool, move |conn| {
        service::calendars::staff(conn, &token)
    })
    .await?;
    let name = format!(
        "{} – {}",
        t(lang, "site.name"),
        t(lang, "admin.staff_calendar")
    );
    let changed_at = events
        .iter()
        .map(|d| d.event.updated_at)
        .chain(meetings.iter().map(|d| d.meeting.updated_at))
        .max()
        .unwrap_or(NaiveDateTime::MIN);
    let copies: Vec<Copy<'_>> = meetings
        .iter()
        .map(|details| Copy {
            details,
            view: View::Staff,
        })
        .collect();
    private_calendar(&state, &req, lang, &name, &events, &copies, changed_at)
}

fn private_calendar(
    state: &AppState,
    req: &HttpRequest,
    lang: Language,
    name: &str,
    events: &[EventDetails],
    meetings: &[Copy<'_>],
    changed_at: NaiveDateTime,
) -> Result<HttpResponse, AppError> {
    let settings = &state.settings;
    let source_url = format!(
        "{}{}",
        settings.base_url,
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let host = settings.host();
    let info = CalendarInfo {
        name,
        source_url: &source_url,
        lang,
        base_url: &settings.base_url,
        uid_host: &host,
        organizer_email: &settings.mail_from,
    };
    let changed_at = if changed_at == NaiveDateTime::MIN {
        db::now()
    } else {
        changed_at
    };
    let r = rendered(calendar_with_meetings(&info, events, meetings), changed_at);
    Ok(crate::http::feed_cache::private(respond(req, &r)))
}
