//! Registration through the event page's form (works without JavaScript),
//! and the guest's manage page reached by the link in every message.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::forms::{Field, FieldKind, Form, FormErrors};
use super::public::EventPage;
use super::views::{EventView, ZonedTime, zoned_times};
use super::{Button, CsrfForm, FeedLink, PageContext};
use crate::db::to_utc;
use crate::domain::RegistrationStatus;
use crate::domain::{Country, EventStatus, Language, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::registrations::{self as svc, RegistrationFields};
use crate::service::{self};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{slug}/register", web::post().to(register))
        .route("/events/{slug}/registered", web::get().to(received))
        .route("/registrations/{token}", web::get().to(manage))
        .route(
            "/registrations/{token}/cancel",
            web::get().to(confirm_cancel),
        )
        .route("/registrations/{token}/cancel", web::post().to(cancel))
        .route(
            "/registrations/{token}/delete",
            web::get().to(confirm_delete),
        )
        .route("/registrations/{token}/delete", web::post().to(delete))
        .route(
            "/registrations/{token}/rotate-feed",
            web::post().to(rotate_feed),
        )
        .route(
            "/registrations/{token}/unsubscribe",
            web::get().to(unsubscribe_page),
        )
        .route(
            "/registrations/{token}/unsubscribe",
            web::post().to(unsubscribe),
        );
}

/// Regions of the zone select, in the order shown: (zone name prefix,
/// message key).
const ZONE_REGIONS: &[(&[&str], &str)] = &[
    (&["Asia"], "zone_region.asia"),
    (&["Europe"], "zone_region.europe"),
    (&["America"], "zone_region.americas"),
    (&["Australia", "Pacific"], "zone_region.pacific"),
    (&["Africa"], "zone_region.africa"),
    (
        &["Atlantic", "Indian", "Antarctica", "Arctic"],
        "zone_region.other",
    ),
];

/// The time zone select: a group of the likely zones first (the visitor's
/// own, the chosen country's, Tokyo, UTC), then every zone by region, each
/// labelled with its city and its offset today ("Berlin (UTC+01:00)").
/// With JavaScript, static/form.js refills the first group when the country
/// changes and adds the browser's zone.
pub fn zone_choices(
    ctx: &PageContext,
    country: Option<&str>,
    chosen: Option<&str>,
) -> Vec<(String, String)> {
    let now = chrono::Utc::now();
    let label = |zone: &str| {
        // Japan's own zone as Japanese readers call it: 日本時間.
        let city = if zone == TimeZone::TOKYO.name() {
            ctx.t("zone.japan_time").to_owned()
        } else {
            zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
        };
        let offset = TimeZone::parse(zone)
            .map(|z| now.with_timezone(&z.tz()).format("%:z").to_string())
            .unwrap_or_default();
        if zone == "UTC" {
            "UTC".to_owned()
        } else {
            format!("{city} (UTC{offset})")
        }
    };
    let country_zones = country
        .and_then(|c| Country::parse(c).ok())
        .map(|c| c.zones())
        .unwrap_or_default();
    let mut likely: Vec<&str> = Vec::new();
    let candidates = chosen
        .into_iter()
        .chain(ctx.viewer_zone.map(|z| z.name()))
        .chain(country_zones.iter().copied())
        .chain(["Asia/Tokyo", "UTC"]);
    for zone in candidates {
        if !likely.contains(&zone) && TimeZone::parse(zone).is_ok() {
            likely.push(zone);
        }
    }
    let mut out = vec![(
        "optgroup:likely".to_owned(),
        ctx.t("zone_region.likely").to_owned(),
    )];
    out.extend(likely.iter().map(|z| ((*z).to_owned(), label(z))));
    let all = Country::all_zones();
    for (prefixes, key) in ZONE_REGIONS {
        out.push((format!("optgroup:{key}"), ctx.t(key).to_owned()));
        let mut zones: Vec<(&str, String)> = all
            .iter()
            .filter(|z| prefixes.iter().any(|p| z.split('/').next() == Some(*p)))
            .filter(|z| !likely.contains(z))
            .map(|z| (*z, label(z)))
            .collect();
        zones.sort_by(|a, b| a.1.cmp(&b.1));
        out.extend(zones.into_iter().map(|(z, l)| (z.to_owned(), l)));
    }
    out
}

/// The registration form, filled with `fields` (the guest's own input after
/// an error; their language and zone preferences on first view).
pub fn registration_form(ctx: &PageContext, slug: &str, fields: &RegistrationFields) -> Form {
    let zones = zone_choices(ctx, fields.country.as_deref(), fields.time_zone.as_deref());
    let countries = Country::choices(ctx.lang)
        .into_iter()
        .map(|(code, name)| (code.to_owned(), name.to_owned()))
        .collect();
    let languages = Language::ALL
        .iter()
        .map(|l| (l.as_str().to_owned(), ctx.t(l.label_key()).to_owned()))
        .collect();
    Form::new(
        format!("/events/{slug}/register"),
        "registration.submit",
        fields,
        None,
    )
    .field(
        Field::new("name", FieldKind::Text)
            .required()
            .autocomplete("name"),
    )
    .field(Field::new("furigana", FieldKind::Text).hint("hint.furigana"))
    .field(
        Field::new("email", FieldKind::Email)
            .required()
            .autocomplete("email"),
    )
    .field(
        Field::new("organization", FieldKind::Text)
            .required()
            .autocomplete("organization"),
    )
    .field(
        Field::new("country", FieldKind::Select(countries))
            .required()
            .autocomplete("country"),
    )
    .field(
        Field::new("time_zone", FieldKind::Select(zones))
            .required()
            .hint("hint.guest_time_zone"),
    )
    .field(Field::new("language", FieldKind::Select(languages)).required())
    .field(
        Field::new("consent", FieldKind::Checkbox)
            .required()
            .hint("hint.consent")
            .with_privacy_link(),
    )
}

/// The first view's defaults: the page's language and the visitor's zone.
pub fn default_fields(ctx: &PageContext) -> RegistrationFields {
    RegistrationFields {
        time_zone: Some(ctx.viewer_zone.unwrap_or(TimeZone::TOKYO).name().to_owned()),
        language: Some(ctx.lang.as_str().to_owned()),
        country: Some("JP".into()),
        ..Default::default()
    }
}

#[tracing::instrument(skip(state, ctx, req, form))]
async fn register(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    slug: web::Path<String>,
    form: CsrfForm<RegistrationFields>,
) -> Result<HttpResponse, AppError> {
    state.limiter.check(&req)?;
    let slug = slug.into_inner();
    let submitted = form.into_inner();
    let fields = submitted.as_ref().ok().cloned().unwrap_or_default();
    let keys = state.keys.clone();
    let result = match submitted.and_then(|f| f.validate()) {
        Ok(input) => {
            let slug = slug.clone();
            service::run(&state.pool, move |conn| {
                svc::submit(conn, &keys, &slug, &input)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        // The same page for a new guest and a known email: what happened
        // is told to the mailbox only.
        Ok(()) => Ok(ctx.see_other(&format!("/events/{slug}/registered"))),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let slug2 = slug.clone();
            let details = service::run(&state.pool, move |conn| {
                service::events::load_public(conn, &slug2)
            })
            .await?;
            let mut form = registration_form(&ctx, &slug, &fields);
            let general_errors = form.attach(&ctx, &errors.fields);
            let page = EventPage::new(&ctx, &details, Some(form), general_errors);
            ctx.render_status(errors.status, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "registrations/manage.html")]
struct ManagePage<'a> {
    ctx: &'a PageContext,
    token: String,
    event: EventView,
    name: String,
    email: String,
    organization: String,
    status: RegistrationStatus,
    status_label: &'a str,
    waitlist_position: Option<i64>,
    times: Vec<ZonedTime>,
    reminders: bool,
    feed: FeedLink,
    event_ics: String,
    google_url: String,
    open: bool,
    /// A confirmed participant of a partnering day: a way to its pages.
    partnering: bool,
    /// Confirmed for an event still ahead: calendar links, reminders, the
    /// check-in code and the join link apply.
    seated: bool,
    /// The check-in QR code (SVG) and the link it holds.
    check_in: Option<(String, String)>,
    /// The join link of an online or hybrid event, with its platform.
    join: Option<(String, String)>,
}

#[tracing::instrument(skip_all)]
async fn manage(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let token = token.into_inner();
    let t2 = token.clone();
    let keys2 = state.keys.clone();
    let (m, rank) = service::run(&state.pool, move |conn| {
        let m = svc::manage(conn, &keys, &t2)?;
        let rank = svc::attendees::waitlist_rank(conn, &m.registration)?;
        Ok((m, rank))
    })
    .await?;
    let r = &m.registration;
    let ctx = ctx.for_guest(&r.language);
    let guest_zone = TimeZone::from_stored(&r.time_zone);
    let e = &m.event.event;
    let times = zoned_times(
        &ctx,
        to_utc(e.starts_at),
        to_utc(e.ends_at),
        TimeZone::from_stored(&e.time_zone),
        Some(guest_zone),
    );
    let status = r.status;
    let open = status != RegistrationStatus::Cancelled
        && e.status != EventStatus::Cancelled
        && to_utc(e.starts_at) > chrono::Utc::now();
    let seated = status == RegistrationStatus::Confirmed && e.status != EventStatus::Cancelled;
    let check_in = if seated && to_utc(e.ends_at) > chrono::Utc::now() {
        let url = ctx.absolute(&svc::attendees::check_in_path(&keys2, &r.id));
        let svg = crate::qr::svg(&url, ctx.t("check_in.qr_label"))?;
        Some((svg, url))
    } else {
        None
    };
    let join = e.online_url.clone().filter(|_| seated).map(|url| {
        let platform = e.online_platform.clone().unwrap_or_default();
        (url, platform)
    });
    ctx.render(&ManagePage {
        ctx: &ctx,
        seated,
        check_in,
        join,
        token: token.clone(),
        event: EventView::new(&ctx, &m.event),
        name: r.name.clone(),
        email: r.email.clone(),
        organization: r.organization.clone(),
        status,
        status_label: ctx.t(status.label_key()),
        waitlist_position: rank,
        times,
        reminders: r.reminders,
        feed: ctx.feed(format!("/feeds/{}.ics", m.feed_token.expose())),
        event_ics: format!("/events/{}.ics", e.slug),
        google_url: super::views::google_calendar_url(&ctx, &m.event),
        open,
        partnering: e.kind == crate::domain::EventKind::Partnering
            && status == RegistrationStatus::Confirmed
            && e.status != EventStatus::Cancelled,
    })
}

async fn cancel(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let token = token.into_inner();
    let t2 = token.clone();
    service::run(&state.pool, move |conn| svc::cancel(conn, &t2)).await?;
    Ok(ctx.see_other_with(
        &format!("/registrations/{token}"),
        "flash.registration_cancelled",
    ))
}

/// Asks before a guest cancels: what happens, and that it cannot be undone.
async fn confirm_cancel(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (keys, t2) = (state.keys.clone(), token.clone());
    let m = service::run(&state.pool, move |conn| svc::manage(conn, &keys, &t2)).await?;
    let ctx = ctx.for_guest(&m.registration.language);
    if m.registration.status == RegistrationStatus::Cancelled {
        return Ok(ctx.see_other(&format!("/registrations/{token}")));
    }
    let e = &m.event.event;
    let mut text = vec![crate::i18n::format(
        ctx.lang,
        "confirm.cancel_registration_text",
        &[("title", ctx.pick(&e.title_ja, &e.title_en).to_owned())],
    )];
    if m.registration.status == RegistrationStatus::Confirmed {
        text.push(ctx.t("confirm.seat_goes").to_owned());
    }
    ctx.render(&super::ConfirmPage {
        ctx: &ctx,
        title: ctx.t("confirm.cancel_registration_title").to_owned(),
        text,
        action: format!("/registrations/{token}/cancel"),
        button: ctx.t("confirm.yes_cancel_registration").to_owned(),
        danger: true,
        option: None,
        back: format!("/registrations/{token}"),
    })
}

/// Asks before a guest deletes their data: all events of the email.
async fn confirm_delete(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t2 = token.clone();
    let (r, count) = service::run(&state.pool, move |conn| svc::data_of(conn, &t2)).await?;
    let ctx = ctx.for_guest(&r.language);
    ctx.render(&super::ConfirmPage {
        ctx: &ctx,
        title: ctx.t("confirm.delete_title").to_owned(),
        text: vec![crate::i18n::format(
            ctx.lang,
            "confirm.delete_text",
            &[("email", r.email), ("count", count.to_string())],
        )],
        action: format!("/registrations/{token}/delete"),
        button: ctx.t("confirm.yes_delete").to_owned(),
        danger: true,
        option: None,
        back: format!("/registrations/{token}"),
    })
}

async fn rotate_feed(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let token = token.into_inner();
    let t2 = token.clone();
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| svc::rotate_feed(conn, &keys, &t2)).await?;
    Ok(ctx.see_other_with(&format!("/registrations/{token}"), "flash.feed_rotated"))
}

#[derive(Template)]
#[template(path = "registrations/message.html")]
struct MessagePage<'a> {
    ctx: &'a PageContext,
    title: &'a str,
    text: &'a str,
    back: Option<(String, String)>,
}

/// After the form: received, and a message is on its way to the address.
async fn received(
    state: web::Data<AppState>,
    ctx: PageContext,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let s2 = slug.clone();
    let details = service::run(&state.pool, move |conn| {
        service::events::load_public(conn, &s2)
    })
    .await?;
    let e = &details.event;
    ctx.render(&MessagePage {
        ctx: &ctx,
        title: ctx.t("registration.received_title"),
        text: ctx.t("registration.received_text"),
        back: Some((
            format!("/events/{slug}"),
            ctx.pick(&e.title_ja, &e.title_en).to_owned(),
        )),
    })
}

async fn delete(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let token = token.into_inner();
    service::run(&state.pool, move |conn| svc::delete_data(conn, &token)).await?;
    ctx.render(&MessagePage {
        ctx: &ctx,
        title: ctx.t("registration.deleted_title"),
        text: ctx.t("registration.deleted_text"),
        back: None,
    })
}

#[derive(Template)]
#[template(path = "registrations/unsubscribe.html")]
struct UnsubscribePage<'a> {
    ctx: &'a PageContext,
    token: String,
    title: String,
}

/// A confirmation page for people who follow the link instead of their mail
/// program's one-click button.
async fn unsubscribe_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let keys = state.keys.clone();
    let t2 = token.clone();
    let m = service::run(&state.pool, move |conn| svc::manage(conn, &keys, &t2)).await?;
    let ctx = ctx.for_guest(&m.registration.language);
    ctx.render(&UnsubscribePage {
        ctx: &ctx,
        token,
        title: ctx
            .pick(&m.event.event.title_ja, &m.event.event.title_en)
            .to_owned(),
    })
}

/// RFC 8058 one-click unsubscribe: mail programs POST
/// `List-Unsubscribe=One-Click` without cookies, so no CSRF token is asked
/// for; the unguessable token in the URL is the proof.
async fn unsubscribe(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let r = service::run(&state.pool, move |conn| svc::unsubscribe(conn, &token)).await?;
    let ctx = ctx.for_guest(&r.language);
    ctx.render_status(
        StatusCode::OK,
        &MessagePage {
            ctx: &ctx,
            title: ctx.t("registration.unsubscribed_title"),
            text: ctx.t("registration.unsubscribed_text"),
            back: None,
        },
    )
}
