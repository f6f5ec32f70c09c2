use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, run, stamp};
use crate::db::events::{EventDetails, EventFilter};
use crate::domain::{TimeZone, Validator};
use crate::error::{ApiError, AppError};
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

/// An event as JSON: times as RFC 3339 in the event's own zone, so that
/// `14:00+09:00` reads as the organizers wrote it.
pub fn json_of(d: &EventDetails, base_url: &str, reader: Reader) -> Value {
    let e = &d.event;
    let zone = TimeZone::from_stored(&e.time_zone);
    let at = |t| rfc3339_in(t, zone);
    let mut json = json!({
        "id": e.id,
        "slug": e.slug,
        "title_ja": e.title_ja,
        "title_en": e.title_en,
        "description_ja": e.description_ja,
        "description_en": e.description_en,
        "kind": e.kind,
        "status": e.status,
        "starts_at": at(e.starts_at),
        "ends_at": at(e.ends_at),
        "time_zone": e.time_zone,
        "capacity": e.capacity,
        "full": e.capacity.is_some_and(|c| e.confirmed_count >= c),
        "reminder_offsets": crate::domain::ReminderOffsets::from_stored(&e.reminder_offsets).minutes(),
        "registration_opens_at": e.registration_opens_at.map(at),
        "registration_closes_at": e.registration_closes_at.map(at),
        "revision": e.revision,
        "organizer_slugs": d.organizers.iter().map(|o| o.slug.as_str()).collect::<Vec<_>>(),
        "organizers": d.organizers.iter().map(|o| json!({ "slug": o.slug, "name_ja": o.name_ja, "name_en": o.name_en })).collect::<Vec<_>>(),
        "room_ids": d.rooms.iter().map(|(r, _)| r.id.as_str()).collect::<Vec<_>>(),
        "rooms": d.rooms.iter().map(|(r, v)| json!({
            "id": r.id, "name_ja": r.name_ja, "name_en": r.name_en, "capacity": r.capacity,
            "venue_slug": v.slug, "venue_name_ja": v.name_ja, "venue_name_en": v.name_en,
        })).collect::<Vec<_>>(),
        "url": format!("{base_url}/events/{}", e.slug),
        "created_at": stamp(e.created_at),
        "updated_at": stamp(e.updated_at),
    });
    if reader == Reader::Organizer {
        json["confirmed_count"] = json!(e.confirmed_count);
    }
    json
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `from`/`to`: RFC 3339 instants, or dates (YYYY-MM-DD) meaning midnight in Asia/Tokyo.
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
    Ok(HttpResponse::Ok().json(
        json!({ "events": events.iter().map(|d| json_of(d, base, reader)).collect::<Vec<_>>() }),
    ))
}

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
    Ok(HttpResponse::Ok().json(json_of(&d, &state.settings.base_url, caller.reader())))
}

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
        .json(json_of(&d, &state.settings.base_url, Reader::Organizer)))
}

/// A JSON merge patch over the stored event; the result is validated whole.
/// Send `revision` to refuse the change when someone else changed the event first.
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
    Ok(HttpResponse::Ok().json(json_of(&d, &state.settings.base_url, Reader::Organizer)))
}

#[tracing::instrument(skip(state, caller))]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let d = run(&state, move |conn| svc::cancel(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(json_of(&d, &state.settings.base_url, Reader::Organizer)))
}
