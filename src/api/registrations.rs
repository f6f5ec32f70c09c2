//! Registration without an account: `POST /api/v1/events/{slug}/registrations`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Caller, run, stamp};
use crate::domain::RegistrationStatus;
use crate::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::service::fields::from_json;
use crate::service::registrations::{self as svc, Registered, RegistrationFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/events/{slug}/registrations").route(web::post().to(create)));
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
