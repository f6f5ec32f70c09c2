use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{Caller, run, stamp};
use crate::db::organizations::Organization;
use crate::error::ApiError;
use crate::http::AppState;
use crate::service::fields::{from_json, merge_patch};
use crate::service::organizations::{self as svc, OrganizationFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/organizations")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/organizations/{slug}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    );
}

pub fn json_of(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "slug": o.slug,
        "name_ja": o.name_ja,
        "name_en": o.name_en,
        "kind": o.kind,
        "country": o.country,
        "time_zone": o.time_zone,
        "website": o.website,
        "created_at": stamp(o.created_at),
        "updated_at": stamp(o.updated_at),
    })
}

#[tracing::instrument(skip(state))]
async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = run(&state, svc::list).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "organizations": list.iter().map(json_of).collect::<Vec<_>>() })))
}

#[tracing::instrument(skip(state))]
async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let o = run(&state, move |conn| svc::get(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(json_of(&o)))
}

#[tracing::instrument(skip(state, caller, body))]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<OrganizationFields>(&body)?.validate()?;
    let o = run(&state, move |conn| svc::create(conn, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/organizations/{}", o.slug)))
        .json(json_of(&o)))
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
    let o = run(&state, move |conn| {
        let current = svc::get(conn, &slug)?;
        let input = merge_patch(&OrganizationFields::of(&current), &body)?.validate()?;
        svc::update(conn, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json_of(&o)))
}
