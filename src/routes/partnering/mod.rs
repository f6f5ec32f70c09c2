//! A partnering participant's pages, reached from their registration's
//! manage link (no account): their company profile and the slots they
//! cannot make, the directory of the other participants, and their
//! requests, sent and received.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

mod agenda;
mod directory;

use super::views::zoned_times;
use super::{Button, CsrfForm, PageContext};
use crate::db::partnering::{self as pdb, Profile};
use crate::db::registrations::Registration;
use crate::domain::{Category, RequestId, RequestStatus, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::partnering::profiles as psvc;
use crate::service::partnering::requests::{self as rsvc, Actor};
use crate::service::partnering::{Day, ProfileFields, RequestFields};
use crate::service::registrations as guest;
use crate::service::{self};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/registrations/{token}/partnering", web::get().to(show))
        .route(
            "/registrations/{token}/partnering/profile",
            web::post().to(save_profile),
        )
        .route(
            "/registrations/{token}/partnering/requests",
            web::post().to(send_request),
        )
        .route(
            "/registrations/{token}/partnering/requests/{id}/{action}",
            web::post().to(act),
        )
        .configure(directory::config)
        .configure(agenda::config);
}

/// A category as a checkbox.
pub struct Choice {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
}

pub struct SlotChoice {
    pub starts_at: String,
    pub label: String,
    pub unavailable: bool,
    pub booked: bool,
}

/// A request as the participant sees it: the other company and the state.
pub struct RequestLine {
    pub id: String,
    pub company: String,
    pub country: String,
    pub message: String,
    pub status: &'static str,
    pub status_label: String,
    pub incoming: bool,
    pub can_answer: bool,
    pub can_withdraw: bool,
}

#[derive(Template)]
#[template(path = "partnering/participant.html")]
struct ParticipantPage<'a> {
    ctx: &'a PageContext,
    token: String,
    event_title: String,
    event_slug: String,
    open: bool,
    deadline: String,
    pub(super) profile: Profile,
    pub(super) has_profile: bool,
    zones: &'static [&'static str],
    offer: Vec<Choice>,
    seek: Vec<Choice>,
    slots: Vec<SlotChoice>,
    requests: Vec<RequestLine>,
    notice: Option<&'a str>,
    errors: Vec<String>,
}

pub(super) fn choices(ctx: &PageContext, stored: &str) -> Vec<Choice> {
    let set = psvc::categories(stored).unwrap_or_default();
    Category::ALL
        .iter()
        .map(|c| Choice {
            code: c.as_str(),
            label: ctx.t(c.label_key()).to_owned(),
            checked: set.contains(*c),
        })
        .collect()
}

pub(super) struct Loaded {
    pub(super) registration: Registration,
    pub(super) day: Day,
    profile: Profile,
    has_profile: bool,
    pub(super) unavailable: Vec<usize>,
    pub(super) booked: Vec<usize>,
    pub(super) requests: Vec<(pdb::Request, Profile)>,
}

pub(super) fn load(conn: &mut crate::db::DbConn, token: &str) -> Result<Loaded, AppError> {
    let registration = guest::by_token(conn, token)?;
    let day = psvc::day_of(conn, &registration)?;
    let (profile, has_profile) = psvc::profile_or_default(conn, &registration)?;
    let unavailable = psvc::unavailable_slots(conn, &day, &registration)?;
    let booked = psvc::booked_slots(conn, &day, &registration)?;
    let mine = pdb::requests_of(conn, &registration.id)?;
    let others: Vec<&crate::domain::RegistrationId> =
        mine.iter().map(|r| r.other(&registration.id)).collect();
    let people = crate::db::registrations::find_many(conn, &others)?;
    let mut profiles: std::collections::HashMap<_, _> = pdb::profiles_by_ids(conn, &others)?
        .into_iter()
        .map(|p| (p.registration_id.clone(), p))
        .collect();
    let requests = mine
        .into_iter()
        .filter_map(|r| {
            let other = r.other(&registration.id).clone();
            let p = profiles.remove(&other).or_else(|| {
                people
                    .iter()
                    .find(|x| x.id == other)
                    .map(psvc::default_profile)
            })?;
            profiles.insert(other, p.clone());
            Some((r, p))
        })
        .collect();
    Ok(Loaded {
        registration,
        day,
        profile,
        has_profile,
        unavailable,
        booked,
        requests,
    })
}

fn page<'a>(
    ctx: &'a PageContext,
    token: String,
    l: Loaded,
    notice: Option<&'a str>,
    errors: Vec<String>,
) -> ParticipantPage<'a> {
    let now = chrono::Utc::now();
    let open = l.day.open_at(now);
    let zone = TimeZone::from_stored(&l.profile.time_zone);
    let e = &l.day.event.event;
    let slots = l
        .day
        .slots
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotChoice {
            starts_at: s.starts_at.to_rfc3339(),
            label: zoned_times(ctx, s.starts_at, s.ends_at, TimeZone::TOKYO, Some(zone))
                .iter()
                .map(|t| format!("{} ({})", t.text, t.zone))
                .collect::<Vec<_>>()
                .join(" / "),
            unavailable: l.unavailable.contains(&i),
            booked: l.booked.contains(&i),
        })
        .collect();
    let me = &l.registration.id;
    let requests = l
        .requests
        .iter()
        .map(|(r, p)| {
            let incoming = &r.recipient_id == me;
            RequestLine {
                id: r.id.to_string(),
                company: p.organization.clone(),
                country: p.country.clone(),
                message: r.message.clone(),
                status: r.status.as_str(),
                status_label: ctx.t(r.status.label_key()).to_owned(),
                incoming,
                can_answer: open && incoming && r.status == RequestStatus::Pending,
                can_withdraw: r.meeting_id.is_none()
                    && matches!(r.status, RequestStatus::Pending | RequestStatus::Accepted),
            }
        })
        .collect();
    ParticipantPage {
        ctx,
        token,
        event_title: ctx.pick(&e.title_ja, &e.title_en).to_owned(),
        event_slug: e.slug.clone(),
        open,
        deadline: l
            .day
            .settings
            .as_ref()
            .map(|s| {
                crate::i18n::format_instant(
                    ctx.lang,
                    crate::db::to_utc(s.request_deadline),
                    TimeZone::TOKYO,
                )
            })
            .unwrap_or_default(),
        offer: choices(ctx, &l.profile.offer_categories),
        seek: choices(ctx, &l.profile.seek_categories),
        zones: super::public::COMMON_ZONES,
        has_profile: l.has_profile,
        profile: l.profile,
        slots,
        requests,
        notice,
        errors,
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t2 = token.clone();
    let loaded = service::run(&state.pool, move |conn| load(conn, &t2)).await?;
    let ctx = ctx.for_guest(&loaded.registration.language);
    let notice = match query.done.as_deref() {
        Some("profile") => Some(ctx.t("partnering.profile_saved")),
        Some("sent") => Some(ctx.t("partnering.request_sent")),
        Some("accept") => Some(ctx.t("partnering.request_accepted")),
        Some("decline") => Some(ctx.t("partnering.request_declined")),
        Some("cancel") => Some(ctx.t("partnering.request_withdrawn")),
        _ => None,
    };
    ctx.render(&page(&ctx, token, loaded, notice, Vec::new()))
}

/// An error the participant can act on, shown on their page (422, 409);
/// anything else as the error page.
async fn again(
    state: &AppState,
    ctx: &PageContext,
    token: String,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let (status, errors) = match &error {
        AppError::Validation(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, ctx.message(&f.problem)))
                .collect(),
        ),
        AppError::Conflict { problem, .. } => (StatusCode::CONFLICT, vec![ctx.message(problem)]),
        _ => return Err(error),
    };
    let t2 = token.clone();
    let loaded = service::run(&state.pool, move |conn| load(conn, &t2)).await?;
    let ctx = ctx.for_guest(&loaded.registration.language);
    ctx.render_status(status, &page(&ctx, token, loaded, None, errors))
}

async fn save_profile(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let saved = match form
        .into_inner()
        .and_then(|f| f.check().map_err(AppError::Validation))
    {
        Err(e) => Err(e),
        Ok(input) => {
            let t2 = token.clone();
            service::run(&state.pool, move |conn| {
                let r = guest::by_token(conn, &t2)?;
                psvc::save(conn, &r, &input)
            })
            .await
        }
    };
    match saved {
        Ok(_) => Ok(ctx.see_other(&format!("/registrations/{token}/partnering?done=profile"))),
        Err(e) => again(&state, &ctx, token, e).await,
    }
}

async fn send_request(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<RequestFields>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let sent = match form.into_inner() {
        Err(e) => Err(e),
        Ok(fields) => {
            let t2 = token.clone();
            let keys = state.keys.clone();
            service::run(&state.pool, move |conn| {
                let r = guest::by_token(conn, &t2)?;
                let day = psvc::day_of(conn, &r)?;
                rsvc::create(
                    conn,
                    &keys,
                    &day.event.event.slug,
                    Actor::Participant(&r),
                    &fields,
                )
            })
            .await
        }
    };
    match sent {
        Ok(_) => Ok(ctx.see_other(&format!("/registrations/{token}/partnering?done=sent"))),
        Err(e) => again(&state, &ctx, token, e).await,
    }
}

async fn act(
    state: web::Data<AppState>,
    ctx: PageContext,
    path: web::Path<(String, String, String)>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let (token, id, action) = path.into_inner();
    let (t2, a2) = (token.clone(), action.clone());
    let keys = state.keys.clone();
    let done = service::run(&state.pool, move |conn| {
        let r = guest::by_token(conn, &t2)?;
        let day = psvc::day_of(conn, &r)?;
        let slug = &day.event.event.slug;
        let id = RequestId::from(id);
        let actor = Actor::Participant(&r);
        match a2.as_str() {
            "accept" => rsvc::answer(conn, &keys, slug, &id, actor, true),
            "decline" => rsvc::answer(conn, &keys, slug, &id, actor, false),
            "cancel" => rsvc::cancel(conn, slug, &id, actor),
            _ => Err(AppError::NotFound),
        }
    })
    .await;
    match done {
        Ok(_) => Ok(ctx.see_other(&format!("/registrations/{token}/partnering?done={action}"))),
        Err(e) => again(&state, &ctx, token, e).await,
    }
}
