//! Partnering meeting requests, made, answered, prioritized and
//! withdrawn by organizers on participants' behalf.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Caller, run, stamp};
use crate::db::partnering::Request;
use crate::domain::{Priority, RequestId, RequestStatus, Validator};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::http::AppState;
use crate::service::fields::from_json;
use crate::service::partnering::requests::{self as rsvc, Actor};
use crate::service::partnering::{self as svc, RequestFields};

/// A meeting request between two participants.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartneringRequest)]
pub struct RequestOut {
    id: String,
    /// The registration id of the participant who asked.
    from: String,
    /// The registration id of the participant asked.
    to: String,
    message: String,
    #[schema(minimum = 1, maximum = 5)]
    priority: i32,
    status: RequestStatus,
    /// The business meeting it was placed as, once scheduled.
    meeting_id: Option<String>,
    /// Made or answered by an organizer on a participant's behalf.
    by_organizer: bool,
    #[schema(format = DateTime)]
    answered_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Request> for RequestOut {
    fn from(r: &Request) -> Self {
        Self {
            id: r.id.to_string(),
            from: r.requester_id.to_string(),
            to: r.recipient_id.to_string(),
            message: r.message.clone(),
            priority: r.priority,
            status: r.status,
            meeting_id: r.meeting_id.as_ref().map(|m| m.to_string()),
            by_organizer: r.organizer_id.is_some(),
            answered_at: r.answered_at.map(stamp),
            created_at: stamp(r.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestList {
    requests: Vec<RequestOut>,
}

/// Every request of the event, oldest first.
#[utoipa::path(get, path = "/events/{slug}/partnering/requests", operation_id = "list_partnering_requests",
    tag = "partnering", params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RequestList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
pub(in crate::api) async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let list = run(&state, move |conn| {
        let e = svc::event(conn, &slug)?;
        Ok(crate::db::partnering::requests(conn, &e.id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RequestList {
        requests: list.iter().map(RequestOut::from).collect(),
    }))
}

/// Makes a request on a participant's behalf (`from`, `to`: registration
/// ids), with a priority; `accepted: true` accepts it for the other side at
/// once. The participant asked is mailed unless it is accepted already.
#[utoipa::path(post, path = "/events/{slug}/partnering/requests", operation_id = "create_partnering_request",
    tag = "partnering", params(("slug" = String, Path)), request_body = RequestFields, security(("bearer" = [])),
    responses((status = 201, body = RequestOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
pub(in crate::api) async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let user = caller.require()?.id.clone();
    let fields = from_json::<RequestFields>(&body)?;
    let keys = state.keys.clone();
    let r = run(&state, move |conn| {
        rsvc::create(conn, &keys, &slug, Actor::Organizer(&user), &fields)
    })
    .await?;
    Ok(HttpResponse::Created().json(RequestOut::from(&r)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
    #[schema(minimum = 1, maximum = 5)]
    priority: i64,
}

/// Sets a request's priority (1–5), which the scheduler weighs.
#[utoipa::path(patch, path = "/events/{slug}/partnering/requests/{id}", operation_id = "update_partnering_request",
    tag = "partnering", params(("slug" = String, Path), ("id" = String, Path)), request_body = RequestPatch,
    security(("bearer" = [])),
    responses((status = 200, body = RequestOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
pub(in crate::api) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let (slug, id) = path.into_inner();
    let patch = from_json::<RequestPatch>(&body)?;
    let mut v = Validator::new();
    let priority = v.check("priority", Priority::parse(patch.priority));
    v.finish().map_err(AppError::Validation)?;
    let priority = priority.unwrap_or(Priority::DEFAULT);
    let r = run(&state, move |conn| {
        rsvc::set_priority(conn, &slug, &RequestId::from(id), priority)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RequestOut::from(&r)))
}

/// `accept` or `decline` a pending request for the participant asked, or
/// `cancel` (withdraw) a pending or accepted one; the other side is mailed.
/// 409 when the request was already answered or withdrawn.
#[utoipa::path(post, path = "/events/{slug}/partnering/requests/{id}/{action}", operation_id = "act_on_partnering_request",
    tag = "partnering",
    params(("slug" = String, Path), ("id" = String, Path),
        ("action" = String, Path, description = "accept, decline or cancel")),
    security(("bearer" = [])),
    responses((status = 200, body = RequestOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
pub(in crate::api) async fn act(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.require()?.id.clone();
    let (slug, id, action) = path.into_inner();
    let id = RequestId::from(id);
    let keys = state.keys.clone();
    let r = run(&state, move |conn| {
        let actor = Actor::Organizer(&user);
        match action.as_str() {
            "accept" => rsvc::answer(conn, &keys, &slug, &id, actor, true),
            "decline" => rsvc::answer(conn, &keys, &slug, &id, actor, false),
            "cancel" => rsvc::cancel(conn, &slug, &id, actor),
            _ => Err(AppError::NotFound),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(RequestOut::from(&r)))
}
