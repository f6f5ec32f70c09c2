//! Running the partnering scheduler: a preview (`dry_run`) or the real
//! thing, keeping placed meetings (`incremental`) or free to move them
//! (`replan`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::{Caller, run};
use crate::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::scheduling::Plan;
use crate::service::fields::from_json;
use crate::service::partnering::schedule::{self as svc, Mode};

/// The plan as it stands: the placed meetings (`request`, `slot`, `table`
/// as in a run's answer) and the accepted requests that a run now could
/// not place, with their reasons. Accepted requests a run would place are
/// in neither list; `POST …/schedule` with `dry_run` shows where they go.
#[utoipa::path(get, path = "/events/{slug}/partnering/plan", operation_id = "get_partnering_plan",
    tag = "partnering", params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Plan), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller))]
pub(in crate::api) async fn plan(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let plan = run(&state, move |conn| svc::current(conn, &slug)).await?;
    Ok(HttpResponse::Ok().json(plan))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartneringScheduleInput)]
pub struct ScheduleFields {
    /// `incremental` (default) keeps every placed meeting where it is;
    /// `replan` may move them.
    #[serde(default)]
    mode: Option<Mode>,
    /// Only compute the plan; change nothing (default false).
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Places the accepted requests at slots and tables. Unless `dry_run`, new
/// meetings are created and both sides invited; a re-plan that moves a
/// meeting sends a new invite with a higher SEQUENCE, and one that leaves
/// a placed request out cancels its meeting. Answers the plan: `request`
/// is the request's id, `slot` and `table` are indexes into the settings'
/// `slots` and `tables`. 409 when the day has no slots or tables yet.
#[utoipa::path(post, path = "/events/{slug}/partnering/schedule", operation_id = "schedule_partnering",
    tag = "partnering", params(("slug" = String, Path)), request_body = ScheduleFields,
    security(("bearer" = [])),
    responses((status = 200, body = Plan), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip(state, caller, body))]
pub(in crate::api) async fn schedule(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require()?;
    let fields = from_json::<ScheduleFields>(&body)?;
    let mode = fields.mode.unwrap_or(Mode::Incremental);
    let dry_run = fields.dry_run.unwrap_or(false);
    let keys = state.keys.clone();
    let plan = run(&state, move |conn| {
        svc::schedule(conn, &keys, &slug, mode, dry_run)
    })
    .await?;
    Ok(HttpResponse::Ok().json(plan))
}
