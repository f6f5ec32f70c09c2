//! Mail that is waiting, failed or dead, and the button to try it again.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::AdminUser;
use crate::db::users::User;
use crate::domain::{OutboxId, OutboxStatus};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{Button, CsrfForm, PageContext};
use crate::service;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/outbox", web::get().to(outbox_page))
        .route("/outbox/{id}/retry", web::post().to(retry_message));
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    counts: Vec<(String, i64)>,
    rows: Vec<OutboxLine>,
}

struct OutboxLine {
    id: String,
    kind: String,
    recipient: String,
    status: String,
    status_label: String,
    attempts: i32,
    due: String,
    error: String,
    retryable: bool,
    /// The event's or meeting's title in the page's language, and its page.
    about: Option<(String, String)>,
}

/// Mail waiting, failed or dead, with the error of its last try.
async fn outbox_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let overview = service::run(&state.pool, service::outbox::overview).await?;
    let rows = overview
        .rows
        .into_iter()
        .map(
            |crate::service::outbox::OutboxEntry {
                 row,
                 recipient,
                 about,
             }| OutboxLine {
                // A decline notice goes to the organizers; it is about the attendee.
                recipient: if row.kind == crate::domain::MailKind::MeetingDeclined {
                    crate::i18n::format(
                        ctx.lang,
                        "admin.outbox_to_organizers",
                        &[("about", recipient)],
                    )
                } else {
                    recipient
                },
                about: about.map(|(ja, en, href)| (ctx.pick(&ja, &en).to_owned(), href)),
                retryable: matches!(row.status, OutboxStatus::Failed | OutboxStatus::Dead),
                due: crate::i18n::format_instant(
                    ctx.lang,
                    crate::db::to_utc(row.due_at),
                    crate::domain::TimeZone::TOKYO,
                ),
                error: row.last_error.unwrap_or_default(),
                id: row.id.to_string(),
                kind: ctx.t(row.kind.label_key()).to_owned(),
                status: row.status.to_string(),
                status_label: ctx.t(row.status.label_key()).to_owned(),
                attempts: row.attempts,
            },
        )
        .collect();
    ctx.render(&OutboxPage {
        ctx: &ctx,
        user: &user.0,
        counts: overview
            .counts
            .into_iter()
            .map(|(status, n)| (ctx.t(status.label_key()).to_owned(), n))
            .collect(),
        rows,
    })
}

async fn retry_message(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    id: web::Path<OutboxId>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let id = id.into_inner();
    service::run(&state.pool, move |conn| service::outbox::retry(conn, &id)).await?;
    Ok(ctx.see_other("/admin/outbox"))
}
