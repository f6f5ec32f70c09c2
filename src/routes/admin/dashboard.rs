//! The organizer's overview: events, organizations and venues.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::AdminUser;
use crate::db::events::EventFilter;
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::PageContext;
use crate::service;
use crate::service::events;
use crate::service::organizations;
use crate::service::venues::{self, VenueWithRooms};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(dashboard))
        .route("/", web::get().to(dashboard));
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    events: Vec<crate::routes::views::EventView>,
    organizations: Vec<Organization>,
    venues: Vec<VenueWithRooms>,
}

#[tracing::instrument(skip_all)]
async fn dashboard(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let (list, organizations, venues) = service::run(&state.pool, |conn| {
        Ok((
            events::list(conn, EventFilter::default())?,
            organizations::list(conn)?,
            venues::list(conn)?,
        ))
    })
    .await?;
    let events = list
        .iter()
        .map(|d| crate::routes::views::EventView::new(&ctx, d))
        .collect();
    ctx.render(&Dashboard {
        ctx: &ctx,
        user: &user.0,
        events,
        organizations,
        venues,
    })
}
