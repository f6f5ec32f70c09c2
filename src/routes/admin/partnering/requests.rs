//! Requests managed by organizers on the partnering page: made on a
//! participant's behalf, accepted, declined, withdrawn, prioritized.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::super::AdminUser;
use crate::domain::RequestId;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{CsrfForm, PageContext};
use crate::service::partnering::RequestFields;
use crate::service::partnering::requests::{self as rsvc, Actor};
use crate::service::{self};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/events/{slug}/partnering/requests",
        web::post().to(create_request),
    )
    .route(
        "/events/{slug}/partnering/requests/{id}/{action}",
        web::post().to(act_on_request),
    );
}

/// A request made on a participant's behalf (priority, accepted at once).
async fn create_request(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    form: CsrfForm<RequestFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner()?;
    let slug = slug.into_inner();
    let s2 = slug.clone();
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| {
        rsvc::create(conn, &keys, &s2, Actor::Organizer(&user.0.id), &fields)
    })
    .await?;
    Ok(ctx.see_other(&format!("/admin/events/{slug}/partnering#requests")))
}

#[derive(Deserialize)]
struct PriorityForm {
    priority: Option<i64>,
}

/// `accept`, `decline`, `cancel` or `priority` for one request.
async fn act_on_request(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    path: web::Path<(String, String, String)>,
    form: CsrfForm<PriorityForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let (slug, id, action) = path.into_inner();
    let s2 = slug.clone();
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| {
        let id = RequestId::from(id);
        let actor = Actor::Organizer(&user.0.id);
        match action.as_str() {
            "accept" => rsvc::answer(conn, &keys, &s2, &id, actor, true),
            "decline" => rsvc::answer(conn, &keys, &s2, &id, actor, false),
            "cancel" => rsvc::cancel(conn, &s2, &id, actor),
            "priority" => {
                let p = crate::domain::Priority::parse(form.priority.unwrap_or(0))
                    .map_err(|e| AppError::field("priority", e))?;
                rsvc::set_priority(conn, &s2, &id, p)
            }
            _ => Err(AppError::NotFound),
        }
    })
    .await?;
    Ok(ctx.see_other(&format!("/admin/events/{slug}/partnering#requests")))
}
