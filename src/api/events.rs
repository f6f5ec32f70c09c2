use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Caller, run, stamp};
use crate::db::events::{EventDetails, EventFilter};
use crate::domain::{Attendance, EventKind, EventStatus, TimeZone, Validator};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::events::{self as svc, EventFields, PUBLIC_STATUSES, TimeInput, rfc3339_in};
use crate::service::fields::{from_json, merge_patch};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/events/{slug}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    )
    .service(web::resource("/events/{slug}/cancel").route(web::post().to(cancel)));
}

/// Who reads an event: the exact seat count is for organizers only (a
/// public count that rose or not after a registration would tell whether
/// an email was already registered); everyone sees whether it is full.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Public,
    Organizer,
}

/// An organizer of an event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventOrganizer {
    slug: String,
    name_ja: String,
    name_en: String,
}

/// A room an event is held in, with its venue.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRoom {
    id: String,
    name_ja: String,
    name_en: String,
    capacity: i32,
    venue_slug: String,
    venue_name_ja: String,
    venue_name_en: String,
}

/// An event. Times are RFC 3339 in the event's own zone, so that
/// `14:00+09:00` reads as the organizers wrote it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Event)]
pub struct EventOut {
    id: String,
    slug: String,
    title_ja: String,
    title_en: String,
    description_ja: String,
    description_en: String,
    kind: EventKind,
    status: EventStatus,
    #[schema(format = DateTime, example = "2026-12-01T14:00:00+09:00")]
    starts_at: String,
    #[schema(format = DateTime, example = "2026-12-01T17:00:00+09:00")]
    ends_at: String,
    #[schema(example = "Asia/Tokyo")]
    time_zone: String,
    capacity: Option<i32>,
    /// Whether every seat is taken (new registrations go on the waitlist).
    full: bool,
    /// Seats taken: for organizers only (a public count that rose or not
    /// after a registration would tell whether an email was registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed_count: Option<i32>,
    /// Minutes before the start when registered guests are reminded.
    reminder_offsets: Vec<i32>,
    /// At the venue, online (a join link and no room), or both.
    attendance: Attendance,
    /// What the join link opens ("Zoom").
    online_platform: Option<String>,
    /// The join link: for organizers only (guests get it in their mail and
    /// on their own page once confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    online_url: Option<String>,
    #[schema(format = DateTime)]
    registration_opens_at: Option<String>,
    #[schema(format = DateTime)]
    registration_closes_at: Option<String>,
    /// Rises with every change of time, place or status (the iCal SEQUENCE).
    revision: i32,
    organizer_slugs: Vec<String>,
    organizers: Vec<EventOrganizer>,
    room_ids: Vec<String>,
    rooms: Vec<EventRoom>,
    /// The public page.
    url: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl EventOut {
    pub fn new(d: &EventDetails, base_url: &str, reader: Reader) -> Self {
        let e = &d.event;
        let zone = TimeZone::from_stored(&e.time_zone);
        let at = |t| rfc3339_in(t, zone);
        Self {
            id: e.id.to_string(),
            slug: e.slug.clone(),
            title_ja: e.title_ja.clone(),
            title_en: e.title_en.clone(),
            description_ja: e.description_ja.clone(),
            description_en: e.description_en.clone(),
            kind: e.kind,
            status: e.status,
            starts_at: at(e.starts_at),
            ends_at: at(e.ends_at),
            time_zone: e.time_zone.clone(),
            capacity: e.capacity,
            full: e.capacity.is_some_and(|c| e.confirmed_count >= c),
            confirmed_count: (reader == Reader::Organizer).then_some(e.confirmed_count),
            reminder_offsets: crate::domain::ReminderOffsets::from_stored(&e.reminder_offsets)
                .minutes()
                .to_vec(),
            attendance: d.attendance(),
            online_platform: e.online_platform.clone(),
            online_url: e.online_url.clone().filter(|_| reader == Reader::Organizer),
            registration_opens_at: e.registration_opens_at.map(at),
            registration_closes_at: e.registration_closes_at.map(at),
            revision: e.revision,
            organizer_slugs: d.organizers.iter().map(|o| o.slug.clone()).collect(),
            organizers: d
                .organizers
                .iter()
                .map(|o| EventOrganizer {
                    slug: o.slug.clone(),
                    name_ja: o.name_ja.clone(),
                    name_en: o.name_en.clone(),
                })
                .collect(),
            room_ids: d.rooms.iter().map(|(r, _)| r.id.to_string()).collect(),
            rooms: d
                .rooms
                .iter()
                .map(|(r, v)| EventRoom {
                    id: r.id.to_string(),
                    name_ja: r.name_ja.clone(),
                    name_en: r.name_en.clone(),
                    capacity: r.capacity,
                    venue_slug: v.slug.clone(),
                    venue_name_ja: v.name_ja.clone(),
                    venue_name_en: v.name_en.clone(),
                })
                .collect(),
            url: format!("{base_url}/events/{}", e.slug),
            created_at: stamp(e.created_at),
            updated_at: stamp(e.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventList {
    events: Vec<EventOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Events that end after this: an RFC 3339 instant, or a date
    /// (YYYY-MM-DD) meaning midnight in Asia/Tokyo.
    from: Option<String>,
    /// Events that start before this (same forms as `from`).
    to: Option<String>,
}

/// Published and cancelled events (organizers see drafts too), by start.
#[utoipa::path(get, path = "/events", operation_id = "list_events", tag = "events", params(ListQuery),
    responses((status = 200, body = EventList), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Validator::new();
    let (from, to) =
        crate::service::events::period(&mut v, query.from.as_deref(), query.to.as_deref());
    v.finish().map_err(AppError::Validation)?;
    let statuses: &'static [crate::domain::EventStatus] = if caller.is_organizer() {
        &[]
    } else {
        PUBLIC_STATUSES
    };
    let events = run(&state, move |conn| {
        svc::list(
            conn,
            EventFilter {
                ends_after: from,
                starts_before: to,
                statuses,
                ..Default::default()
            },
        )
    })
    .await?;
    let base = &state.settings.base_url;
    let reader = caller.reader();
    Ok(HttpResponse::Ok().json(EventList {
        events: events
            .iter()
            .map(|d| EventOut::new(d, base, reader))
            .collect(),
    }))
}

/// One event (a draft only for organizers).
#[utoipa::path(get, path = "/events/{slug}", operation_id = "get_event", tag = "events", params(("slug" = String, Path)),
    responses((status = 200, body = EventOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let organizer = caller.is_organizer();
    let d = run(&state, move |conn| {
        if organizer {
            svc::load(conn, &slug)
        } else {
            svc::load_public(conn, &slug)
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(EventOut::new(&d, &state.settings.base_url, caller.reader())))
}

/// Adds an event; its rooms are booked for its time (409 when taken).
#[utoipa::path(post, path = "/events", operation_id = "create_event", tag = "events", request_body = EventFields,
    security(("bearer" = [])),
    responses((status = 201, body = EventOut, headers(("Location" = String))),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<EventFields>(&body)?.validate(TimeInput::Rfc3339)?;
    let d = run(&state, move |conn| svc::create(conn, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/events/{}", d.event.slug)))
        .json(EventOut::new(
            &d,
            &state.settings.base_url,
            Reader::Organizer,
        )))
}

/// A JSON merge patch over the stored event; the result is validated whole.
/// Send `revision` to refuse the change when someone else changed the event first.
#[utoipa::path(patch, path = "/events/{slug}", operation_id = "update_event", tag = "events", params(("slug" = String, Path)),
    request_body = EventFields, security(("bearer" = [])),
    responses((status = 200, body = EventOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let slug = slug.into_inner();
    let d = run(&state, move |conn| {
        let current = svc::load(conn, &slug)?;
        svc::ensure_not_cancelled(&current)?;
        let input = merge_patch(&EventFields::of(&current, TimeInput::Rfc3339), &body)?
            .validate(TimeInput::Rfc3339)?;
        svc::update(conn, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EventOut::new(
        &d,
        &state.settings.base_url,
        Reader::Organizer,
    )))
}

/// Cancels an event: it stays listed as cancelled, its rooms are freed and
/// its guests are told; it cannot be changed any more.
#[utoipa::path(post, path = "/events/{slug}/cancel", operation_id = "cancel_event", tag = "events",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let d = run(&state, move |conn| svc::cancel(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(EventOut::new(
        &d,
        &state.settings.base_url,
        Reader::Organizer,
    )))
}
