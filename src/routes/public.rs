//! The public pages: upcoming events, the month calendar, an event, a venue.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, Utc};

use super::forms::Form;
use super::registrations;
use super::views::{EventView, google_calendar_url};
use super::{AppState, PageContext};
use crate::db::events::{EventDetails, EventFilter};
use crate::db::{self, to_utc};
use crate::domain::{Invalid, TimeZone};
use crate::error::AppError;
use crate::i18n::{format_time_short, month_title};
use crate::service::{self, events::PUBLIC_STATUSES};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(calendar)
        .service(event_page)
        .service(venue_page)
        .route("/static/site.css", web::get().to(super::stylesheet))
        .route("/static/form.js", web::get().to(super::form_script))
        .route(
            "/static/country-zones.json",
            web::get().to(super::country_zones),
        )
        .route("/favicon.ico", web::get().to(super::favicon))
        .route("/static/favicon.svg", web::get().to(super::favicon));
}

/// The zone pickers offer these; any IANA name works in `?tz=`.
pub const COMMON_ZONES: &[&str] = &[
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Stockholm",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "UTC",
];

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a PageContext,
    events: Vec<EventView>,
    zones: &'a [&'a str],
}

#[get("/")]
#[tracing::instrument(skip(state, ctx))]
async fn home(state: web::Data<AppState>, ctx: PageContext) -> Result<HttpResponse, AppError> {
    let now = db::now();
    let events = service::run(&state.pool, move |conn| {
        service::events::list(
            conn,
            EventFilter {
                ends_after: Some(now),
                statuses: PUBLIC_STATUSES,
                limit: Some(100),
                ..Default::default()
            },
        )
    })
    .await?;
    let events = events.iter().map(|d| EventView::new(&ctx, d)).collect();
    ctx.render(&HomePage {
        ctx: &ctx,
        events,
        zones: COMMON_ZONES,
    })
}

#[derive(Debug, Clone)]
struct DayCell {
    day: u32,
    /// "12月23日（水）" or "Wed 23 Dec", for the agenda list on phones.
    label: String,
    in_month: bool,
    today: bool,
    /// "sat", "sun" or "holiday": Japanese calendars print Saturdays blue
    /// and Sundays and public holidays red.
    color: &'static str,
    holiday: Option<&'static str>,
    entries: Vec<CalendarEntry>,
}

#[derive(Debug, Clone)]
struct CalendarEntry {
    slug: String,
    time: String,
    title: String,
    cancelled: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage<'a> {
    ctx: &'a PageContext,
    title: String,
    month: String,
    prev: String,
    next: String,
    weeks: Vec<Vec<DayCell>>,
    weekdays: Vec<&'a str>,
    event_count: usize,
}

#[derive(serde::Deserialize)]
struct CalendarQuery {
    month: Option<String>,
}

fn parse_month(input: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(&format!("{}-01", input.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| Invalid::new("invalid.month"))
}

fn add_months(first: NaiveDate, months: i32) -> NaiveDate {
    let index = first.year() * 12 + first.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(first)
}

/// A month grid in Asia/Tokyo, weeks starting on Sunday as Japanese
/// calendars do; an event spanning several days appears on each.
#[get("/calendar")]
#[tracing::instrument(skip(state, ctx, query))]
async fn calendar(
    state: web::Data<AppState>,
    ctx: PageContext,
    query: web::Query<CalendarQuery>,
) -> Result<HttpResponse, AppError> {
    let tokyo = TimeZone::TOKYO;
    let today = Utc::now().with_timezone(&tokyo.tz()).date_naive();
    let first = match &query.month {
        Some(m) => parse_month(m).map_err(|p| AppError::field("month", p))?,
        None => today.with_day(1).unwrap_or(today),
    };
    let next_first = add_months(first, 1);
    let grid_start = first - Duration::days(i64::from(first.weekday().num_days_from_sunday()));
    let days_in_grid = ((next_first - grid_start).num_days() + 6) / 7 * 7;
    let grid_end = grid_start + Duration::days(days_in_grid);
    let local_midnight = |d: NaiveDate| {
        tokyo
            .localize(d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .map(db::from_utc)
    };
    let (from, to) = (local_midnight(grid_start), local_midnight(grid_end));
    let (Ok(from), Ok(to)) = (from, to) else {
        return Err(AppError::field("month", Invalid::new("invalid.month")));
    };
    let events = service::run(&state.pool, move |conn| {
        service::events::list(
            conn,
            EventFilter {
                ends_after: Some(from),
                starts_before: Some(to),
                statuses: PUBLIC_STATUSES,
                ..Default::default()
            },
        )
    })
    .await?;
    let holidays = crate::domain::holidays::between(grid_start, grid_end);
    let mut cells: Vec<DayCell> = (0..days_in_grid)
        .map(|i| {
            let date = grid_start + Duration::days(i);
            let holiday = holidays
                .iter()
                .find(|h| h.date == date)
                .map(|h| h.name(ctx.lang));
            DayCell {
                day: date.day(),
                label: crate::i18n::format_day_label(ctx.lang, date),
                in_month: date.month() == first.month(),
                today: date == today,
                color: match (holiday, i % 7) {
                    (Some(_), _) | (None, 0) => "sun",
                    (None, 6) => "sat",
                    _ => "",
                },
                holiday,
                entries: Vec::new(),
            }
        })
        .collect();
    let in_month = events.iter().filter(|d| {
        let s = to_utc(d.event.starts_at)
            .with_timezone(&tokyo.tz())
            .date_naive();
        s >= first && s < next_first
    });
    let event_count = in_month.count();
    for d in &events {
        let view = EventView::new(&ctx, d);
        let start_day = view.starts_at.with_timezone(&tokyo.tz()).date_naive();
        // An event ending at midnight does not occupy the next day.
        let end_day = (view.ends_at - Duration::seconds(1))
            .with_timezone(&tokyo.tz())
            .date_naive();
        let mut day = start_day.max(grid_start);
        while day <= end_day && day < grid_end {
            let index = (day - grid_start).num_days() as usize;
            cells[index].entries.push(CalendarEntry {
                slug: view.slug.clone(),
                time: if day == start_day {
                    format_time_short(view.starts_at, tokyo)
                } else {
                    "…".into()
                },
                title: view.title.clone(),
                cancelled: view.cancelled,
            });
            day += Duration::days(1);
        }
    }
    let weeks = cells.chunks(7).map(<[DayCell]>::to_vec).collect();
    let weekday_keys = [
        "weekday.sun",
        "weekday.mon",
        "weekday.tue",
        "weekday.wed",
        "weekday.thu",
        "weekday.fri",
        "weekday.sat",
    ];
    ctx.render(&CalendarPage {
        ctx: &ctx,
        title: month_title(ctx.lang, first.year(), first.month()),
        month: first.format("%Y-%m").to_string(),
        prev: add_months(first, -1).format("%Y-%m").to_string(),
        next: next_first.format("%Y-%m").to_string(),
        weeks,
        weekdays: weekday_keys.iter().map(|k| ctx.t(k)).collect(),
        event_count,
    })
}

#[derive(Template)]
#[template(path = "events/show.html")]
pub struct EventPage<'a> {
    ctx: &'a PageContext,
    event: EventView,
    zones: &'a [&'a str],
    event_feed: String,
    google_url: String,
    /// The registration form, when registration is open.
    form: Option<Form>,
    general_errors: Vec<String>,
    /// Why registration is not open (a message key), when it is not.
    closed: Option<&'static str>,
    full: bool,
}

impl<'a> EventPage<'a> {
    pub fn new(
        ctx: &'a PageContext,
        details: &EventDetails,
        form: Option<Form>,
        general_errors: Vec<String>,
    ) -> Self {
        let closed = crate::service::registrations::closed_reason(&details.event, db::now());
        let e = &details.event;
        let form = match closed {
            Some(_) => None,
            None => Some(form.unwrap_or_else(|| {
                registrations::registration_form(ctx, &e.slug, &registrations::default_fields(ctx))
            })),
        };
        Self {
            ctx,
            event: EventView::new(ctx, details),
            zones: COMMON_ZONES,
            event_feed: format!("/events/{}.ics", e.slug),
            google_url: google_calendar_url(ctx, details),
            form,
            general_errors,
            closed,
            full: e.capacity.is_some_and(|c| e.confirmed_count >= c),
        }
    }
}

#[get("/events/{slug}")]
#[tracing::instrument(skip(state, ctx))]
async fn event_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let details = service::run(&state.pool, move |conn| {
        service::events::load_public(conn, &slug)
    })
    .await?;
    ctx.render(&EventPage::new(&ctx, &details, None, Vec::new()))
}

#[derive(Template)]
#[template(path = "venues/show.html")]
struct VenuePage<'a> {
    ctx: &'a PageContext,
    name: String,
    other_name: String,
    address: String,
    /// The district in romaji: shown on English pages only.
    area: Option<String>,
    /// The venue's zone, named only when it is not Tokyo's.
    zone: Option<&'static str>,
    /// How to get there, in the page's language.
    access: String,
    /// An OpenStreetMap search for the address.
    map_url: String,
    rooms: Vec<(String, i32)>,
    events: Vec<EventView>,
    /// When meetings hold rooms: (room, time) and nothing about them.
    booked: Vec<(String, String)>,
    venue_feed: String,
}

#[get("/venues/{slug}")]
#[tracing::instrument(skip(state, ctx))]
async fn venue_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let now = db::now();
    let (venue, events, slots) = service::run(&state.pool, move |conn| {
        let venue = service::venues::get(conn, &slug)?;
        let slots = crate::db::bookings::meeting_slots(conn, &venue.venue.id, now, 100)?;
        let events = service::events::list(
            conn,
            EventFilter {
                ends_after: Some(now),
                statuses: &[crate::domain::EventStatus::Published],
                venue_id: Some(&venue.venue.id),
                ..Default::default()
            },
        )?;
        Ok((venue, events, slots))
    })
    .await?;
    let v = &venue.venue;
    let lang = ctx.lang;
    let zone = TimeZone::from_stored(&v.time_zone);
    let booked = slots
        .iter()
        .map(|(room_id, starts, ends)| {
            let room = venue
                .rooms
                .iter()
                .find(|r| &r.id == room_id)
                .map(|r| lang.pick(&r.name_ja, &r.name_en).to_owned())
                .unwrap_or_default();
            (
                room,
                crate::i18n::format_range(lang, db::to_utc(*starts), db::to_utc(*ends), zone),
            )
        })
        .collect();
    ctx.render(&VenuePage {
        ctx: &ctx,
        name: lang.pick(&v.name_ja, &v.name_en).to_owned(),
        other_name: lang.other().pick(&v.name_ja, &v.name_en).to_owned(),
        address: lang.pick(&v.address_ja, &v.address_en).to_owned(),
        area: (lang == crate::domain::Language::En && !v.area.is_empty()).then(|| v.area.clone()),
        zone: (zone != TimeZone::TOKYO).then(|| zone.name()),
        access: lang.pick(&v.access_ja, &v.access_en).trim().to_owned(),
        map_url: format!(
            "https://www.openstreetmap.org/search?query={}",
            url::form_urlencoded::byte_serialize(v.address_ja.as_bytes()).collect::<String>()
        ),
        rooms: venue
            .rooms
            .iter()
            .map(|r| (lang.pick(&r.name_ja, &r.name_en).to_owned(), r.capacity))
            .collect(),
        events: events.iter().map(|d| EventView::new(&ctx, d)).collect(),
        booked,
        venue_feed: format!("/venues/{}/calendar.ics", v.slug),
    })
}
