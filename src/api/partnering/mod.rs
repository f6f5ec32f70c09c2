//! Partnering days (organizers only): settings, participants with their
//! profiles, and meeting requests made, answered and prioritized on their
//! behalf.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Caller, run, stamp};

pub mod participants;
pub mod requests;
pub mod schedule;
use crate::domain::TimeZone;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::events::{TimeInput, rfc3339_in};
use crate::service::fields::from_json;
use crate::service::partnering::{self as svc, Day, SettingsFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events/{slug}/partnering")
            .route(web::get().to(get_settings))
            .route(web::put().to(put_settings)),
    )
    .service(
        web::resource("/events/{slug}/partnering/participants")
            .route(web::get().to(participants::list)),
    )
    .service(
        web::resource("/events/{slug}/partnering/participants/{id}/profile")
            .route(web::put().to(participants::put_profile)),
    )
    .service(
        web::resource("/events/{slug}/partnering/requests")
            .route(web::get().to(requests::list))
            .route(web::post().to(requests::create)),
    )
    .service(
        web::resource("/events/{slug}/partnering/requests/{id}")
            .route(web::patch().to(requests::update)),
    )
    .service(
        web::resource("/events/{slug}/partnering/schedule")
            .route(web::post().to(schedule::schedule)),
    )
    .service(web::resource("/events/{slug}/partnering/plan").route(web::get().to(schedule::plan)))
    .service(
        web::resource("/events/{slug}/partnering/requests/{id}/{action}")
            .route(web::post().to(requests::act)),
    );
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowOut {
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableOut {
    /// The table's index in plans (0-based).
    index: usize,
    label: String,
    room_id: Option<String>,
    online_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotOut {
    /// The slot's index in plans (0-based).
    index: usize,
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
}

/// A partnering day's settings and the slots cut from its windows. Times
/// are RFC 3339 in Asia/Tokyo.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartneringSettings)]
pub struct SettingsOut {
    event_slug: String,
    /// False until the settings are saved the first time.
    configured: bool,
    slot_minutes: Option<i32>,
    gap_minutes: Option<i32>,
    windows: Vec<WindowOut>,
    tables: Vec<TableOut>,
    slots: Vec<SlotOut>,
    #[schema(format = DateTime)]
    request_deadline: Option<String>,
    max_meetings: Option<i32>,
    /// When a plan was last confirmed.
    #[schema(format = DateTime)]
    scheduled_at: Option<String>,
}

fn jst(t: chrono::DateTime<chrono::Utc>) -> String {
    rfc3339_in(crate::db::from_utc(t), TimeZone::TOKYO)
}

impl SettingsOut {
    fn new(day: &Day) -> Self {
        let s = day.settings.as_ref();
        Self {
            event_slug: day.event.event.slug.clone(),
            configured: s.is_some(),
            slot_minutes: s.map(|s| s.slot_minutes),
            gap_minutes: s.map(|s| s.gap_minutes),
            windows: day
                .windows
                .iter()
                .map(|w| WindowOut {
                    starts_at: jst(w.starts_at),
                    ends_at: jst(w.ends_at),
                })
                .collect(),
            tables: day
                .tables
                .iter()
                .enumerate()
                .map(|(index, t)| TableOut {
                    index,
                    label: t.label.clone(),
                    room_id: t.room_id.as_ref().map(|r| r.to_string()),
                    online_url: t.online_url.clone(),
                })
                .collect(),
            slots: day
                .slots
                .slots
                .iter()
                .enumerate()
                .map(|(index, s)| SlotOut {
                    index,
                    starts_at: jst(s.starts_at),
                    ends_at: jst(s.ends_at),
                })
                .collect(),
            request_deadline: s.map(|s| rfc3339_in(s.request_deadline, TimeZone::TOKYO)),
            max_meetings: s.and_then(|s| s.max_meetings),
            scheduled_at: s.and_then(|s| s.scheduled_at).map(stamp),
        }
    }
}

/// The partnering settings of an event of kind `partnering` (404 for other kinds).
#[utoipa::path(get, path = "/events/{slug}/partnering", operation_id = "get_partnering", tag = "partnering",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = SettingsOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
pub(super) async fn get_settings(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let day = run(&state, move |conn| svc::day(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(SettingsOut::new(&day)))
}

/// Sets slot length and gap, meeting windows (within the event), tables (in
/// the event's rooms, or online with a URL each), the request deadline (by
/// the first window) and the maximum of meetings per participant. Once
/// meetings are placed, only the deadline may change (409 otherwise).
#[utoipa::path(put, path = "/events/{slug}/partnering", operation_id = "put_partnering", tag = "partnering",
    params(("slug" = String, Path)), request_body = SettingsFields, security(("bearer" = [])),
    responses((status = 200, body = SettingsOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
pub(super) async fn put_settings(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<SettingsFields>(&body)?
        .check(TimeInput::Rfc3339, TimeZone::TOKYO)
        .map_err(AppError::Validation)?;
    let keys = state.keys.clone();
    let day = run(&state, move |conn| {
        svc::save_settings(conn, &keys, &slug, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SettingsOut::new(&day)))
}
