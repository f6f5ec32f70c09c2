//! The directory of a partnering day: the listed profiles of the same
//! event, filtered and ordered by fit, each with a request form.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Choice, load};
use crate::domain::{Category, Country};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::PageContext;
use crate::service::partnering::profiles::{self as psvc, DirectoryFilter, Fit};
use crate::service::{self};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/registrations/{token}/partnering/directory",
        web::get().to(show),
    );
}

/// A profile in the directory, with why it fits and whether a request
/// between the two exists already.
pub struct DirectoryLine {
    pub id: String,
    pub organization: String,
    pub country: String,
    pub offer: String,
    pub seek: String,
    pub offer_labels: String,
    pub seek_labels: String,
    pub reasons: Vec<String>,
    pub requested: Option<String>,
}

#[derive(Template)]
#[template(path = "partnering/directory.html")]
struct DirectoryPage<'a> {
    ctx: &'a PageContext,
    token: String,
    event_title: String,
    open: bool,
    has_profile: bool,
    categories: Vec<Choice>,
    country: String,
    q: String,
    lines: Vec<DirectoryLine>,
}

#[derive(Deserialize)]
struct DirectoryQuery {
    category: Option<String>,
    country: Option<String>,
    q: Option<String>,
}

fn labels(ctx: &PageContext, set: &crate::domain::Categories) -> String {
    set.iter()
        .map(|c| ctx.t(c.label_key()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    query: web::Query<DirectoryQuery>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let q = query.into_inner();
    let filter = DirectoryFilter {
        category: q
            .category
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| Category::parse(c).ok()),
        country: q
            .country
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| Country::parse(c).ok()),
        text: q.q.clone(),
    };
    let t2 = token.clone();
    let f2 = filter.clone();
    let (loaded, entries) = service::run(&state.pool, move |conn| {
        let loaded = load(conn, &t2)?;
        let entries = psvc::directory(conn, &loaded.registration, &f2)?;
        Ok((loaded, entries))
    })
    .await?;
    // The participant's pages are in the language they registered in.
    let ctx = ctx.for_guest(&loaded.registration.language);
    let lines = entries
        .iter()
        .map(|e| {
            let requested = loaded
                .requests
                .iter()
                .find(|(r, _)| r.other(&loaded.registration.id) == &e.profile.registration_id)
                .map(|(r, _)| ctx.t(r.status.label_key()).to_owned());
            DirectoryLine {
                id: e.profile.registration_id.to_string(),
                organization: e.profile.organization.clone(),
                country: e.profile.country.clone(),
                offer: e.profile.offer.clone(),
                seek: e.profile.seek.clone(),
                offer_labels: labels(&ctx, &e.offer_categories),
                seek_labels: labels(&ctx, &e.seek_categories),
                reasons: e
                    .fit
                    .iter()
                    .map(|f| match f {
                        Fit::Offers(c) => crate::i18n::format(
                            ctx.lang,
                            "partnering.fit_offers",
                            &[(
                                "what",
                                c.iter()
                                    .map(|c| ctx.t(c.label_key()))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            )],
                        ),
                        Fit::Seeks(c) => crate::i18n::format(
                            ctx.lang,
                            "partnering.fit_seeks",
                            &[(
                                "what",
                                c.iter()
                                    .map(|c| ctx.t(c.label_key()))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            )],
                        ),
                    })
                    .collect(),
                requested,
            }
        })
        .collect();
    let e = &loaded.day.event.event;
    ctx.render(&DirectoryPage {
        ctx: &ctx,
        token,
        event_title: ctx.pick(&e.title_ja, &e.title_en).to_owned(),
        open: loaded.day.open_at(chrono::Utc::now()),
        has_profile: loaded.has_profile,
        categories: Category::ALL
            .iter()
            .map(|c| Choice {
                code: c.as_str(),
                label: ctx.t(c.label_key()).to_owned(),
                checked: filter.category == Some(*c),
            })
            .collect(),
        country: filter
            .country
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        lines,
    })
}
