use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Caller, run, stamp};
use crate::db::venues::Room;
use crate::domain::RoomId;
use crate::error::{ApiError, ErrorBody};
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

/// A room of a venue.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Room)]
pub struct RoomOut {
    id: String,
    name_ja: String,
    name_en: String,
    capacity: i32,
}

impl From<&Room> for RoomOut {
    fn from(r: &Room) -> Self {
        Self {
            id: r.id.to_string(),
            name_ja: r.name_ja.clone(),
            name_en: r.name_en.clone(),
            capacity: r.capacity,
        }
    }
}

/// A venue with its rooms.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Venue)]
pub struct VenueOut {
    id: String,
    slug: String,
    name_ja: String,
    name_en: String,
    address_ja: String,
    address_en: String,
    /// The district, e.g. Nakanoshima.
    area: String,
    /// How to get there (stations, exits, entrances); empty when not given.
    access_ja: String,
    access_en: String,
    #[schema(example = "Asia/Tokyo")]
    time_zone: String,
    rooms: Vec<RoomOut>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&VenueWithRooms> for VenueOut {
    fn from(v: &VenueWithRooms) -> Self {
        let venue = &v.venue;
        Self {
            id: venue.id.to_string(),
            slug: venue.slug.clone(),
            name_ja: venue.name_ja.clone(),
            name_en: venue.name_en.clone(),
            address_ja: venue.address_ja.clone(),
            address_en: venue.address_en.clone(),
            area: venue.area.clone(),
            access_ja: venue.access_ja.clone(),
            access_en: venue.access_en.clone(),
            time_zone: venue.time_zone.clone(),
            rooms: v.rooms.iter().map(RoomOut::from).collect(),
            created_at: stamp(venue.created_at),
            updated_at: stamp(venue.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueList {
    venues: Vec<VenueOut>,
}

/// Every venue with its rooms.
#[utoipa::path(get, path = "/venues", operation_id = "list_venues", tag = "venues", responses((status = 200, body = VenueList)))]
#[tracing::instrument(skip(state))]
async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = run(&state, svc::list).await?;
    Ok(HttpResponse::Ok().json(VenueList {
        venues: list.iter().map(VenueOut::from).collect(),
    }))
}

/// One venue with its rooms.
#[utoipa::path(get, path = "/venues/{slug}", operation_id = "get_venue", tag = "venues", params(("slug" = String, Path)),
    responses((status = 200, body = VenueOut), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state))]
async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = run(&state, move |conn| svc::get(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(VenueOut::from(&v)))
}

/// Adds a venue, with rooms if given.
#[utoipa::path(post, path = "/venues", operation_id = "create_venue", tag = "venues", request_body = VenueFields,
    security(("bearer" = [])),
    responses((status = 201, body = VenueOut, headers(("Location" = String))),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
        .json(VenueOut::from(&v)))
}

/// Changes a venue (a JSON merge patch; rooms are changed one by one).
#[utoipa::path(patch, path = "/venues/{slug}", operation_id = "update_venue", tag = "venues", params(("slug" = String, Path)),
    request_body = VenueFields, security(("bearer" = [])),
    responses((status = 200, body = VenueOut), (status = 401, body = ErrorBody),
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
    let v = run(&state, move |conn| {
        let current = svc::get(conn, &slug)?;
        let input = merge_patch(&VenueFields::of(&current.venue), &body)?.validate()?;
        svc::update(conn, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VenueOut::from(&v)))
}

/// Adds a room to a venue.
#[utoipa::path(post, path = "/venues/{slug}/rooms", operation_id = "add_room", tag = "venues",
    params(("slug" = String, Path)), request_body = RoomFields, security(("bearer" = [])),
    responses((status = 201, body = RoomOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
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
    Ok(HttpResponse::Created().json(RoomOut::from(&room)))
}

/// Changes a room (a JSON merge patch).
#[utoipa::path(patch, path = "/rooms/{id}", operation_id = "update_room", tag = "venues", params(("id" = String, Path)),
    request_body = RoomFields, security(("bearer" = [])),
    responses((status = 200, body = RoomOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
async fn update_room(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RoomId>,
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
    Ok(HttpResponse::Ok().json(RoomOut::from(&room)))
}
