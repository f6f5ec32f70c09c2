//! The organizer's own account: API tokens (created, last used, revoke)
//! and "sign out everywhere".

use actix_web::{HttpResponse, web};
use askama::Template;

use super::AdminUser;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::{Button, CsrfForm, PageContext};
use crate::service::{self, accounts};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(account_page))
        .route("/account/tokens/{id}/revoke", web::post().to(revoke_token))
        .route(
            "/account/sign-out-everywhere",
            web::post().to(sign_out_everywhere),
        );
}

struct TokenLine {
    id: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    tokens: Vec<TokenLine>,
}

async fn account_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let who = user.0.clone();
    let tokens = service::run(&state.pool, move |conn| accounts::own_tokens(conn, &who)).await?;
    let when = |t| {
        crate::i18n::format_instant(
            ctx.lang,
            crate::db::to_utc(t),
            crate::domain::TimeZone::TOKYO,
        )
    };
    let tokens = tokens
        .into_iter()
        .map(|t| TokenLine {
            created: when(t.created_at),
            last_used: t
                .last_used_at
                .map_or_else(|| ctx.t("admin.token_never_used").to_owned(), when),
            id: t.id.to_string(),
        })
        .collect();
    ctx.render(&AccountPage {
        ctx: &ctx,
        user: &user.0,
        tokens,
    })
}

async fn revoke_token(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let id = id.into_inner().into();
    service::run(&state.pool, move |conn| {
        accounts::revoke_own_token(conn, &user.0, &id)
    })
    .await?;
    Ok(ctx.see_other("/admin/account"))
}

/// Ends every session of this organizer, this one included.
async fn sign_out_everywhere(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    service::run(&state.pool, move |conn| {
        accounts::sign_out_everywhere(conn, &user.0)
    })
    .await?;
    Ok(super::session::without_session(
        &ctx,
        ctx.see_other("/admin/login"),
    ))
}
