//! Partnering participants (confirmed registrants) and their profiles.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{Caller, run};
use crate::db::partnering::Profile;
use crate::db::registrations::Registration;
use crate::domain::RegistrationId;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::fields::from_json;
use crate::service::partnering::{self as svc, ProfileFields};

/// A participant (a confirmed registrant) with their company profile.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartneringParticipant)]
pub struct ParticipantOut {
    /// The registration id: what requests name.
    id: String,
    name: String,
    email: String,
    language: String,
    /// False while the participant has not filled in a profile (the rest
    /// then comes from their registration).
    has_profile: bool,
    organization: String,
    country: String,
    time_zone: String,
    offer: String,
    seek: String,
    offer_categories: Vec<String>,
    seek_categories: Vec<String>,
    interpreter: bool,
    listed: bool,
    /// Indexes of the slots they are not available in.
    unavailable: Vec<usize>,
}

fn codes(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ParticipantOut {
    fn new(r: &Registration, p: &Profile, has_profile: bool, unavailable: Vec<usize>) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            email: r.email.clone(),
            language: r.language.clone(),
            has_profile,
            organization: p.organization.clone(),
            country: p.country.clone(),
            time_zone: p.time_zone.clone(),
            offer: p.offer.clone(),
            seek: p.seek.clone(),
            offer_categories: codes(&p.offer_categories),
            seek_categories: codes(&p.seek_categories),
            interpreter: p.interpreter,
            listed: p.listed,
            unavailable,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantList {
    participants: Vec<ParticipantOut>,
}

/// Every confirmed registrant of the event with their profile.
#[utoipa::path(get, path = "/events/{slug}/partnering/participants", operation_id = "list_partnering_participants",
    tag = "partnering", params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ParticipantList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
pub(in crate::api) async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let list = run(&state, move |conn| svc::profiles::roster(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(ParticipantList {
        participants: list
            .iter()
            .map(|e| {
                ParticipantOut::new(
                    &e.registration,
                    &e.profile,
                    e.has_profile,
                    e.unavailable.clone(),
                )
            })
            .collect(),
    }))
}

/// Sets a participant's profile and unavailable slots (RFC 3339 slot starts).
#[utoipa::path(put, path = "/events/{slug}/partnering/participants/{id}/profile",
    operation_id = "put_partnering_profile", tag = "partnering",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ProfileFields,
    security(("bearer" = [])),
    responses((status = 200, body = ParticipantOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
pub(in crate::api) async fn put_profile(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let (slug, id) = path.into_inner();
    let input = from_json::<ProfileFields>(&body)?
        .check()
        .map_err(AppError::Validation)?;
    let e = run(&state, move |conn| {
        let day = svc::day(conn, &slug)?;
        let people = crate::db::partnering::participants(conn, &day.event.event.id)?;
        let r = svc::participant(&people, &RegistrationId::from(id), "id")
            .map_err(|_| AppError::NotFound)?;
        svc::profiles::save(conn, &r, &input)?;
        svc::profiles::roster_entry(conn, &day, r)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ParticipantOut::new(
        &e.registration,
        &e.profile,
        e.has_profile,
        e.unavailable,
    )))
}
