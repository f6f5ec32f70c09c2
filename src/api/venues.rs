use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{Caller, run, stamp};
use crate::db::venues::Room;
use crate::error::ApiError;
use crate::http::AppState;
use crate::service::fields::{from_json, merge_patch};
use crate::service::venues::{self as svc, RoomFields, VenueFields, VenueWithRooms};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/venues")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/venues/{slug}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    )
    .service(web::resource("/venues/{slug}/rooms").route(web::post().to(add_room)))
    .service(web::resource("/rooms/{id}").route(web::patch().to(update_room)));
}

pub fn room_json(r: &Room) -> Value {
    json!({ "id": r.id, "name_ja": r.name_ja, "name_en": r.name_en, "capacity": r.capacity })
}

pub fn json_of(v: &VenueWithRooms) -> Value {
    let venue = &v.venue;
    json!({
        "id": venue.id,
        "slug": venue.slug,
        "name_ja": venue.name_ja,
        "name_en": venue.name_en,
        "address_ja": venue.address_ja,
        "address_en": venue.address_en,
        "area": venue.area,
        "time_zone": venue.time_zone,
        "rooms": v.rooms.iter().map(room_json).collect::<Vec<_>>(),
        "created_at": stamp(venue.created_at),
        "updated_at": stamp(venue.updated_at),
    })
}

#[tracing::instrument(skip(state))]
async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = run(&state, svc::list).await?;
    Ok(HttpResponse::Ok().json(json!({ "venues": list.iter().map(json_of).collect::<Vec<_>>() })))
}

#[tracing::instrument(skip(state))]
async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = run(&state, move |conn| svc::get(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(json_of(&v)))
}

#[tracing::instrument(skip(state, caller, body))]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<VenueFields>(&body)?.validate()?;
    let v = run(&state, move |conn| svc::create(conn, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/venues/{}", v.venue.slug)))
        .json(json_of(&v)))
}

#[tracing::instrument(skip(state, caller, body))]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let slug = slug.into_inner();
    let v = run(&state, move |conn| {
        let current = svc::get(conn, &slug)?;
        let input = merge_patch(&VenueFields::of(&current.venue), &body)?.validate()?;
        svc::update(conn, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json_of(&v)))
}

#[tracing::instrument(skip(state, caller, body))]
async fn add_room(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<RoomFields>(&body)?.validate()?;
    let room = run(&state, move |conn| svc::add_room(conn, &slug, &input)).await?;
    Ok(HttpResponse::Created().json(room_json(&room)))
}

#[tracing::instrument(skip(state, caller, body))]
async fn update_room(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let id = id.into_inner();
    let room = run(&state, move |conn| {
        let current = svc::get_room(conn, &id)?;
        let input = merge_patch(&RoomFields::of(&current), &body)?.validate()?;
        svc::update_room(conn, &id, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(room_json(&room)))
}
