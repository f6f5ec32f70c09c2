//! Registration without an account: `POST /api/v1/events/{slug}/registrations`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::{Caller, run, stamp};
use crate::error::ApiError;
use crate::http::AppState;
use crate::service::fields::from_json;
use crate::service::registrations::{self as svc, Registered, RegistrationFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/events/{slug}/registrations").route(web::post().to(create)));
}

/// The answer to an organizer's registration: where the guest stands and
/// their links (mail carries them too).
pub fn json_of(r: &Registered, base_url: &str) -> Value {
    let reg = &r.registration;
    json!({
        "id": reg.id,
        "event": r.event.slug,
        "status": reg.status,
        "waitlist_position": reg.waitlist_position,
        "name": reg.name,
        "furigana": reg.furigana,
        "email": reg.email,
        "organization": reg.organization,
        "country": reg.country,
        "time_zone": reg.time_zone,
        "language": reg.language,
        "manage_url": format!("{base_url}/registrations/{}", r.token.expose()),
        "feed_url": format!("{base_url}/feeds/{}.ics", r.feed_token.expose()),
        "created_at": stamp(reg.created_at),
    })
}

/// A guest (no token) gets `202 {"status": "received"}` whatever happened,
/// so the answer reveals neither whether the email was registered nor any
/// link: the mailbox is told. An organizer (bearer token) gets the full
/// record with status and links: 201, and the same answer for the same
/// body sent again.
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
            .json(json_of(&registered, &state.settings.base_url)));
    }
    state.limiter.check(&req)?;
    let input = from_json::<RegistrationFields>(&body)?.validate()?;
    let (keys, slug) = (state.keys.clone(), slug.into_inner());
    run(&state, move |conn| svc::submit(conn, &keys, &slug, &input)).await?;
    Ok(HttpResponse::Accepted().json(json!({ "status": "received" })))
}
