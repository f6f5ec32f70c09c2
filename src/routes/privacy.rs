//! The built-in privacy notice (APPI): what musubi keeps about guests, why,
//! for how long, and how they delete it. Linked from every form and mail
//! unless `MUSUBI_PRIVACY_URL` names the organizers' own notice.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::PageContext;
use crate::error::AppError;
use crate::http::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/privacy", web::get().to(privacy));
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    ctx: &'a PageContext,
    contact: &'a str,
}

async fn privacy(state: web::Data<AppState>, ctx: PageContext) -> Result<HttpResponse, AppError> {
    ctx.render(&PrivacyPage {
        ctx: &ctx,
        contact: &state.settings.contact_email,
    })
}
