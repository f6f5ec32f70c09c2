//! Registration without an account: `POST /api/v1/events/{slug}/registrations`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Caller, run, stamp};
use crate::domain::{Invalid, RegistrationStatus, Validator};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::fields::from_json;
use crate::service::registrations::attendees::{self, Attendee};
use crate::service::registrations::{self as svc, Registered, RegistrationFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events/{slug}/registrations")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    );
}

/// A registration in the attendee list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Attendee)]
pub struct AttendeeOut {
    id: String,
    name: String,
    furigana: Option<String>,
    organization: String,
    /// ISO 3166-1 alpha-2.
    country: String,
    #[schema(format = Email)]
    email: String,
    /// The language of the guest's pages and mail: `ja` or `en`.
    language: String,
    status: RegistrationStatus,
    /// 1 for the next to get a seat; null unless waitlisted.
    waitlist_position: Option<i64>,
    #[schema(format = DateTime)]
    registered_at: String,
    /// Null until the guest is checked in at the reception.
    #[schema(format = DateTime)]
    checked_in_at: Option<String>,
}

impl From<&Attendee> for AttendeeOut {
    fn from(a: &Attendee) -> Self {
        let r = &a.registration;
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            furigana: r.furigana.clone(),
            organization: r.organization.clone(),
            country: r.country.clone(),
            email: r.email.clone(),
            language: r.language.clone(),
            status: r.status,
            waitlist_position: a.waitlist_rank,
            registered_at: stamp(r.created_at),
            checked_in_at: r.checked_in_at.map(stamp),
        }
    }
}

/// One page of an event's attendee list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeList {
    registrations: Vec<AttendeeOut>,
    page: i64,
    per_page: i64,
    /// Registrations matching the filter, over all pages.
    total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this status: `confirmed`, `waitlisted` or `cancelled`.
    status: Option<String>,
    /// From 1.
    #[param(minimum = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<i64>,
}

/// An event's registrations in the order they came (organizers only).
#[utoipa::path(get, path = "/events/{slug}/registrations", operation_id = "list_registrations", tag = "registrations",
    params(("slug" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, body = AttendeeList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let mut v = Validator::new();
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| v.check("status", RegistrationStatus::parse(s)));
    let page = query.page.unwrap_or(1);
    if page < 1 {
        v.add("page", Invalid::new("invalid.page"));
    }
    let per_page = query.per_page.unwrap_or(50);
    if !(1..=attendees::MAX_PER_PAGE).contains(&per_page) {
        v.add(
            "per_page",
            Invalid::new("invalid.per_page").with("max", attendees::MAX_PER_PAGE),
        );
    }
    v.finish().map_err(AppError::Validation)?;
    let slug = slug.into_inner();
    let result = run(&state, move |conn| {
        attendees::page(conn, &slug, status, page, per_page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AttendeeList {
        registrations: result.attendees.iter().map(AttendeeOut::from).collect(),
        page,
        per_page,
        total: result.total,
    }))
}

/// The answer to an organizer's registration: where the guest stands and
/// their links (mail carries them too).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Registration)]
pub struct RegistrationOut {
    id: String,
    /// The event's slug.
    event: String,
    status: RegistrationStatus,
    /// 1 for the first on the waitlist; null when confirmed.
    waitlist_position: Option<i64>,
    name: String,
    furigana: Option<String>,
    #[schema(format = Email)]
    email: String,
    organization: String,
    country: String,
    time_zone: String,
    language: String,
    /// The guest's own page (cancel, calendar links, delete my data).
    manage_url: String,
    /// The guest's personal iCal feed.
    feed_url: String,
    #[schema(format = DateTime)]
    created_at: String,
}

impl RegistrationOut {
    fn new(r: &Registered, base_url: &str) -> Self {
        let reg = &r.registration;
        Self {
            id: reg.id.to_string(),
            event: r.event.slug.clone(),
            status: reg.status,
            waitlist_position: reg.waitlist_position,
            name: reg.name.clone(),
            furigana: reg.furigana.clone(),
            email: reg.email.clone(),
            organization: reg.organization.clone(),
            country: reg.country.clone(),
            time_zone: reg.time_zone.clone(),
            language: reg.language.clone(),
            manage_url: format!("{base_url}/registrations/{}", r.token.expose()),
            feed_url: format!("{base_url}/feeds/{}.ics", r.feed_token.expose()),
            created_at: stamp(reg.created_at),
        }
    }
}

/// What a guest's registration is answered: received, and the mailbox
/// learns what happened.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Received {
    status: ReceivedStatus,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum ReceivedStatus {
    Received,
}

/// A guest (no token) gets `202 {"status": "received"}` whatever happened,
/// so the answer reveals neither whether the email was registered nor any
/// link: the mailbox is told. An organizer (bearer token) gets the full
/// record with status and links: 201, and the same answer for the same
/// body sent again.
#[utoipa::path(post, path = "/events/{slug}/registrations", operation_id = "register", tag = "registrations",
    params(("slug" = String, Path)), request_body = RegistrationFields,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "An organizer registered a guest", body = RegistrationOut,
            headers(("Location" = String))),
        (status = 202, description = "A guest's registration was received", body = Received),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip(state, req, caller, body))]
async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if caller.is_organizer() {
        let input = from_json::<RegistrationFields>(&body)?.validate()?;
        let (keys, slug) = (state.keys.clone(), slug.into_inner());
        let registered = run(&state, move |conn| {
            svc::register(conn, &keys, &slug, &input)
        })
        .await?;
        return Ok(HttpResponse::Created()
            .insert_header((
                "Location",
                format!("/registrations/{}", registered.token.expose()),
            ))
            .json(RegistrationOut::new(&registered, &state.settings.base_url)));
    }
    state.limiter.check(&req)?;
    let input = from_json::<RegistrationFields>(&body)?.validate()?;
    let (keys, slug) = (state.keys.clone(), slug.into_inner());
    run(&state, move |conn| svc::submit(conn, &keys, &slug, &input)).await?;
    Ok(HttpResponse::Accepted().json(Received {
        status: ReceivedStatus::Received,
    }))
}
