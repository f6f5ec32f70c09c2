//! The organizer's overview: events, organizations and venues.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::AdminUser;
use crate::db::events::EventFilter;
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{Button, CsrfForm, FeedLink, PageContext};
use crate::service;
use crate::service::events;
use crate::service::organizations;
use crate::service::registrations::attendees::{self, Counts};
use crate::service::venues::{self, VenueWithRooms};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(dashboard))
        .route("/", web::get().to(dashboard))
        .route("/staff-feed/rotate", web::post().to(rotate_staff_feed));
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    /// Each event with its guests counted.
    events: Vec<(crate::routes::views::EventView, Counts)>,
    organizations: Vec<Organization>,
    venues: Vec<VenueWithRooms>,
    /// This account's private calendar of every event and meeting.
    staff_feed: FeedLink,
}

#[tracing::instrument(skip_all)]
async fn dashboard(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let user_id = user.0.id.clone();
    let (list, counts, organizations, venues, staff_token) =
        service::run(&state.pool, move |conn| {
            Ok((
                events::list(conn, EventFilter::default())?,
                attendees::counts(conn)?,
                organizations::list(conn)?,
                venues::list(conn)?,
                service::calendars::staff_feed_token(conn, &keys, &user_id)?,
            ))
        })
        .await?;
    let events = list
        .iter()
        .map(|d| {
            (
                crate::routes::views::EventView::new(&ctx, d),
                counts.get(&d.event.id).copied().unwrap_or_default(),
            )
        })
        .collect();
    ctx.render(&Dashboard {
        ctx: &ctx,
        user: &user.0,
        events,
        organizations,
        venues,
        staff_feed: ctx.feed(format!("/feeds/staff/{}.ics", staff_token.expose())),
    })
}

/// A new URL for this account's staff calendar; the old one stops working.
async fn rotate_staff_feed(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let keys = state.keys.clone();
    let user_id = user.0.id.clone();
    service::run(&state.pool, move |conn| {
        service::calendars::rotate_staff_feed(conn, &keys, &user_id)
    })
    .await?;
    Ok(ctx.see_other_with("/admin", "flash.feed_rotated"))
}
