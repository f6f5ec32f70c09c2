//! Business meetings (organizers only: every operation needs a token).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Caller, run, stamp};
use crate::db::meetings::{MeetingDetails, MeetingFilter};
use crate::domain::{
    EmailAddress, Language, MeetingId, MeetingStatus, PartStat, TimeZone, Validator,
};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::events::{TimeInput, rfc3339_in};
use crate::service::fields::{from_json, merge_patch};
use crate::service::keys::LinkKeys;
use crate::service::meetings::{self as svc, MeetingFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/meetings/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update)),
    )
    .service(web::resource("/meetings/{id}/cancel").route(web::post().to(cancel)));
}

/// An attendee of a meeting, with their answer and their own link.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingAttendee {
    id: String,
    name: String,
    email: String,
    /// The organization, when the attendee comes from a known one.
    organization_slug: Option<String>,
    /// The company's name (the organization's English name, or as typed).
    organization: String,
    country: String,
    time_zone: String,
    #[schema(example = "en")]
    language: String,
    partstat: PartStat,
    /// The attendee's own page: the meeting, RSVP, calendar links. A secret.
    manage_url: String,
}

/// The room of a meeting, with its venue.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRoom {
    id: String,
    name_ja: String,
    name_en: String,
    venue_slug: String,
    venue_name_ja: String,
    venue_name_en: String,
}

/// A business meeting. Times are RFC 3339 in the meeting's own zone.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Meeting)]
pub struct MeetingOut {
    id: String,
    title_ja: String,
    title_en: String,
    agenda: String,
    #[schema(format = DateTime, example = "2026-12-08T10:00:00+09:00")]
    starts_at: String,
    #[schema(format = DateTime, example = "2026-12-08T11:00:00+09:00")]
    ends_at: String,
    #[schema(example = "Asia/Tokyo")]
    time_zone: String,
    room_id: Option<String>,
    room: Option<MeetingRoom>,
    online_url: Option<String>,
    /// A partnering meeting's table (its room is the table's).
    table_label: Option<String>,
    event_slug: Option<String>,
    interpreter: Option<String>,
    status: MeetingStatus,
    /// Rises with every change of time, place, status or attendee list (the iCal SEQUENCE).
    revision: i32,
    reminder_offsets: Vec<i32>,
    /// The attendees on the list, in order.
    attendees: Vec<MeetingAttendee>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl MeetingOut {
    pub fn new(d: &MeetingDetails, base_url: &str, keys: &LinkKeys) -> Self {
        let m = &d.meeting;
        let zone = TimeZone::from_stored(&m.time_zone);
        let at = |t| rfc3339_in(t, zone);
        Self {
            id: m.id.to_string(),
            title_ja: m.title_ja.clone(),
            title_en: m.title_en.clone(),
            agenda: m.agenda.clone(),
            starts_at: at(m.starts_at),
            ends_at: at(m.ends_at),
            time_zone: m.time_zone.clone(),
            room_id: m.room_id.as_ref().map(|r| r.to_string()),
            room: d.room.as_ref().map(|(r, v)| MeetingRoom {
                id: r.id.to_string(),
                name_ja: r.name_ja.clone(),
                name_en: r.name_en.clone(),
                venue_slug: v.slug.clone(),
                venue_name_ja: v.name_ja.clone(),
                venue_name_en: v.name_en.clone(),
            }),
            online_url: m.online_url.clone(),
            table_label: m.table_label.clone(),
            event_slug: d.event.as_ref().map(|e| e.slug.clone()),
            interpreter: m.interpreter.clone(),
            status: m.status,
            revision: m.revision,
            reminder_offsets: crate::domain::ReminderOffsets::from_stored(&m.reminder_offsets)
                .minutes()
                .to_vec(),
            attendees: d
                .listed()
                .map(|a| MeetingAttendee {
                    id: a.attendee.id.to_string(),
                    name: a.attendee.name.clone(),
                    email: a.attendee.email.clone(),
                    organization_slug: a.organization.as_ref().map(|o| o.slug.clone()),
                    organization: a.company(Language::En).to_owned(),
                    country: a.attendee.country.clone(),
                    time_zone: a.attendee.time_zone.clone(),
                    language: a.attendee.language.clone(),
                    partstat: a.attendee.partstat,
                    manage_url: format!(
                        "{base_url}/meetings/{}",
                        keys.attendee(&a.attendee.id, a.attendee.link_generation)
                            .expose()
                    ),
                })
                .collect(),
            created_at: stamp(m.created_at),
            updated_at: stamp(m.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingList {
    meetings: Vec<MeetingOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Meetings that end after this: an RFC 3339 instant, or a date
    /// (YYYY-MM-DD) meaning midnight in Asia/Tokyo.
    from: Option<String>,
    /// Meetings that start before this (same forms as `from`).
    to: Option<String>,
    /// Meetings with an attendee of this organization (by slug).
    organization: Option<String>,
    /// Meetings with this attendee (by email; also those they were taken off).
    email: Option<String>,
}

fn out(state: &AppState, d: &MeetingDetails) -> MeetingOut {
    MeetingOut::new(d, &state.settings.base_url, &state.keys)
}

/// Meetings by start, cancelled ones included.
#[utoipa::path(get, path = "/meetings", operation_id = "list_meetings", tag = "meetings", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = MeetingList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, query))]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let mut v = Validator::new();
    let (from, to) =
        crate::service::events::period(&mut v, query.from.as_deref(), query.to.as_deref());
    let email = v.check(
        "email",
        query.email.as_deref().map(EmailAddress::parse).transpose(),
    );
    v.finish().map_err(AppError::Validation)?;
    let email_key = email
        .flatten()
        .map(|e| crate::service::registrations::email_key(e.as_str()));
    let organization = query.organization.clone();
    let meetings = run(&state, move |conn| {
        let org = match &organization {
            Some(slug) => Some(crate::service::organizations::get(conn, slug)?),
            None => None,
        };
        svc::list(
            conn,
            MeetingFilter {
                ends_after: from,
                starts_before: to,
                organization_id: org.as_ref().map(|o| &o.id),
                email_key: email_key.as_deref(),
                ..Default::default()
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(MeetingList {
        meetings: meetings.iter().map(|d| out(&state, d)).collect(),
    }))
}

/// One meeting.
#[utoipa::path(get, path = "/meetings/{id}", operation_id = "get_meeting", tag = "meetings",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MeetingOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let id = MeetingId::from(id.into_inner());
    let d = run(&state, move |conn| svc::load(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(out(&state, &d)))
}

/// Adds a meeting: its room is booked for its time, every attendee is
/// invited. 409 when the room is taken, or when an attendee is in another
/// meeting at an overlapping time (unless `allow_attendee_conflicts`).
#[utoipa::path(post, path = "/meetings", operation_id = "create_meeting", tag = "meetings",
    request_body = MeetingFields, security(("bearer" = [])),
    responses((status = 201, body = MeetingOut, headers(("Location" = String))),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let input = from_json::<MeetingFields>(&body)?.validate(TimeInput::Rfc3339)?;
    let keys = state.keys.clone();
    let d = run(&state, move |conn| svc::create(conn, &keys, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/meetings/{}", d.meeting.id)))
        .json(out(&state, &d)))
}

/// A JSON merge patch over the stored meeting; `attendees` replaces the
/// list (attendees are matched by email). A new time or place resets
/// every answer; the revision rises and attendees are told.
#[utoipa::path(patch, path = "/meetings/{id}", operation_id = "update_meeting", tag = "meetings",
    params(("id" = String, Path)), request_body = MeetingFields, security(("bearer" = [])),
    responses((status = 200, body = MeetingOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let id = MeetingId::from(id.into_inner());
    let keys = state.keys.clone();
    let d = run(&state, move |conn| {
        svc::change(conn, &keys, &id, |current| {
            merge_patch(&MeetingFields::of(current, TimeInput::Rfc3339), &body)?
                .validate(TimeInput::Rfc3339)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out(&state, &d)))
}

/// Cancels a meeting: its room and attendees are free at once, every
/// attendee gets a cancellation; it cannot be changed any more.
#[utoipa::path(post, path = "/meetings/{id}/cancel", operation_id = "cancel_meeting", tag = "meetings",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MeetingOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let id = MeetingId::from(id.into_inner());
    let d = run(&state, move |conn| svc::cancel(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(out(&state, &d)))
}
