use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Caller, run, stamp};
use crate::db::organizations::Organization;
use crate::domain::OrganizationKind;
use crate::error::{ApiError, ErrorBody};
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

/// An organization that runs or joins events.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Organization)]
pub struct OrganizationOut {
    id: String,
    slug: String,
    name_ja: String,
    name_en: String,
    kind: OrganizationKind,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "JP")]
    country: String,
    /// IANA zone.
    #[schema(example = "Asia/Tokyo")]
    time_zone: String,
    website: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&Organization> for OrganizationOut {
    fn from(o: &Organization) -> Self {
        Self {
            id: o.id.to_string(),
            slug: o.slug.clone(),
            name_ja: o.name_ja.clone(),
            name_en: o.name_en.clone(),
            kind: o.kind,
            country: o.country.clone(),
            time_zone: o.time_zone.clone(),
            website: o.website.clone(),
            created_at: stamp(o.created_at),
            updated_at: stamp(o.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationList {
    organizations: Vec<OrganizationOut>,
}

/// Every organization.
#[utoipa::path(get, path = "/organizations", operation_id = "list_organizations", tag = "organizations",
    responses((status = 200, body = OrganizationList)))]
#[tracing::instrument(skip(state))]
async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = run(&state, svc::list).await?;
    Ok(HttpResponse::Ok().json(OrganizationList {
        organizations: list.iter().map(OrganizationOut::from).collect(),
    }))
}

/// One organization.
#[utoipa::path(get, path = "/organizations/{slug}", operation_id = "get_organization", tag = "organizations",
    params(("slug" = String, Path)),
    responses((status = 200, body = OrganizationOut), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state))]
async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let o = run(&state, move |conn| svc::get(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(OrganizationOut::from(&o)))
}

/// Adds an organization.
#[utoipa::path(post, path = "/organizations", operation_id = "create_organization", tag = "organizations",
    request_body = OrganizationFields, security(("bearer" = [])),
    responses((status = 201, body = OrganizationOut, headers(("Location" = String))),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
        .json(OrganizationOut::from(&o)))
}

/// Changes an organization: a JSON merge patch over the stored record, validated whole.
#[utoipa::path(patch, path = "/organizations/{slug}", operation_id = "update_organization", tag = "organizations",
    params(("slug" = String, Path)), request_body = OrganizationFields, security(("bearer" = [])),
    responses((status = 200, body = OrganizationOut), (status = 401, body = ErrorBody),
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
    let o = run(&state, move |conn| {
        let current = svc::get(conn, &slug)?;
        let input = merge_patch(&OrganizationFields::of(&current), &body)?.validate()?;
        svc::update(conn, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationOut::from(&o)))
}
