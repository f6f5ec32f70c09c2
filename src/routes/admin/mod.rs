//! Organizer pages under `/admin`: sign-in with a session cookie, and forms
//! to create and edit organizations, venues, rooms and events. Every POST
//! carries the CSRF token; success answers 303, invalid input re-renders
//! the form with what was typed and each problem named (422).

use std::future::Future;
use std::pin::Pin;

mod account;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::{Field, FieldKind, Form, FormErrors};
use super::{AppState, PageContext};
use crate::db::DbConn;
use crate::db::events::{EventDetails, EventFilter};
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::domain::{EventKind, EventStatus, OrganizationKind};
use crate::error::AppError;
use crate::service::events::{self as events, EventFields, TimeInput};
use crate::service::fields::from_form;
use crate::service::organizations::{self as organizations, OrganizationFields};
use crate::service::venues::{self as venues, RoomFields, VenueFields, VenueWithRooms};
use crate::service::{self, accounts};

pub const SESSION_COOKIE: &str = "musubi_session";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(dashboard))
            .route("/", web::get().to(dashboard))
            .route("/login", web::get().to(login_form))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/organizations/new", web::get().to(new_organization))
            .route("/organizations", web::post().to(create_organization))
            .route(
                "/organizations/{slug}/edit",
                web::get().to(edit_organization),
            )
            .route("/organizations/{slug}", web::post().to(update_organization))
            .route("/venues/new", web::get().to(new_venue))
            .route("/venues", web::post().to(create_venue))
            .route("/venues/{slug}/edit", web::get().to(edit_venue))
            .route("/venues/{slug}", web::post().to(update_venue))
            .route("/venues/{slug}/rooms", web::post().to(add_room))
            .route("/rooms/{id}/edit", web::get().to(edit_room))
            .route("/rooms/{id}", web::post().to(update_room))
            .route("/events/new", web::get().to(new_event))
            .route("/events", web::post().to(create_event))
            .route("/events/{slug}/edit", web::get().to(edit_event))
            .route("/events/{slug}", web::post().to(update_event))
            .route("/events/{slug}/{action}", web::post().to(change_status))
            .route("/outbox", web::get().to(outbox_page))
            .route("/outbox/{id}/retry", web::post().to(retry_message))
            .configure(account::config),
    );
}

/// A signed-in organizer. Without a valid session the request is sent to
/// the login page instead of reaching the handler.
pub struct AdminUser(pub User);

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secure = state.as_ref().is_some_and(|s| s.settings.secure_cookies());
        let token = req
            .cookie(&super::cookie_name(SESSION_COOKIE, secure))
            .map(|c| c.value().to_owned());
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        Box::pin(async move {
            let to_login = || {
                let location = format!(
                    "/admin/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                InternalError::from_response(
                    "login required",
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, location))
                        .finish(),
                )
                .into()
            };
            let (Some(token), Some(state)) = (token, state) else {
                return Err(to_login());
            };
            let user = service::run(&state.pool, move |conn| {
                accounts::user_by_session(conn, &token)
            })
            .await?;
            user.map(AdminUser).ok_or_else(to_login)
        })
    }
}

/// Reads a form body after checking its CSRF token.
fn checked_form<T: serde::de::DeserializeOwned>(
    ctx: &PageContext,
    body: &[u8],
) -> Result<Result<T, AppError>, AppError> {
    Ok(from_form(&ctx.verify_form(body)?))
}

// ---------- sign-in ----------

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage<'a> {
    ctx: &'a PageContext,
    email: String,
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only paths under /admin on this site, so the login cannot be used to
/// redirect elsewhere (`//host`, `/\host` and schemes never start with
/// `/admin`); a line break is an attempt at header injection (400).
fn safe_next(next: Option<&str>) -> Result<String, AppError> {
    match next {
        Some(n) if n.chars().any(char::is_control) => {
            Err(AppError::BadRequest("line break in next"))
        }
        Some(n) if n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?") => {
            Ok(n.to_owned())
        }
        _ => Ok("/admin".to_owned()),
    }
}

async fn login_form(
    ctx: PageContext,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    ctx.render(&LoginPage {
        ctx: &ctx,
        email: String::new(),
        next: safe_next(query.next.as_deref())?,
        failed: false,
    })
}

#[derive(Deserialize)]
struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[tracing::instrument(skip(state, ctx, req, body))]
async fn login(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields: LoginFields = checked_form(&ctx, &body)??;
    let next = safe_next(fields.next.as_deref())?;
    let session = accounts::login(
        &state.pool,
        &state.passwords,
        accounts::LoginPolicy::from_settings(&state.settings),
        &fields.email,
        fields.password,
        super::client_ip(&req),
    )
    .await?;
    let Some(token) = session else {
        return ctx.render_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                ctx: &ctx,
                email: fields.email,
                next,
                failed: true,
            },
        );
    };
    let cookie = Cookie::build(
        super::cookie_name(SESSION_COOKIE, ctx.secure()),
        token.expose().to_owned(),
    )
    .path("/")
    .http_only(true)
    .secure(ctx.secure())
    .same_site(SameSite::Lax)
    .max_age(CookieDuration::hours(accounts::SESSION_HOURS))
    .finish();
    let mut response = ctx.see_other(&next);
    response
        .add_cookie(&cookie)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(response)
}

async fn logout(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    ctx.verify_form(&body)?;
    if let Some(session) = req
        .cookie(&super::cookie_name(SESSION_COOKIE, ctx.secure()))
        .map(|c| c.value().to_owned())
    {
        service::run(&state.pool, move |conn| accounts::logout(conn, &session)).await?;
    }
    Ok(without_session(&ctx, ctx.see_other("/")))
}

/// The response with the session cookie removed.
fn without_session(ctx: &PageContext, mut response: HttpResponse) -> HttpResponse {
    let mut removal = Cookie::build(super::cookie_name(SESSION_COOKIE, ctx.secure()), "")
        .path("/")
        .secure(ctx.secure())
        .finish();
    removal.make_removal();
    if let Err(e) = response.add_cookie(&removal) {
        tracing::warn!(error = %e, "could not remove the session cookie");
    }
    response
}

// ---------- dashboard ----------

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    events: Vec<super::views::EventView>,
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
        .map(|d| super::views::EventView::new(&ctx, d))
        .collect();
    ctx.render(&Dashboard {
        ctx: &ctx,
        user: &user.0,
        events,
        organizations,
        venues,
    })
}

// ---------- outbox ----------

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
    attempts: i32,
    due: String,
    error: String,
    retryable: bool,
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
        .map(|(row, recipient)| OutboxLine {
            retryable: row.status == "failed" || row.status == "dead",
            due: crate::i18n::format_instant(
                ctx.lang,
                crate::db::to_utc(row.due_at),
                crate::domain::TimeZone::TOKYO,
            ),
            error: row.last_error.unwrap_or_default(),
            id: row.id,
            kind: row.kind,
            recipient,
            status: row.status,
            attempts: row.attempts,
        })
        .collect();
    ctx.render(&OutboxPage {
        ctx: &ctx,
        user: &user.0,
        counts: overview.counts,
        rows,
    })
}

async fn retry_message(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    ctx.verify_form(&body)?;
    let id = id.into_inner();
    service::run(&state.pool, move |conn| service::outbox::retry(conn, &id)).await?;
    Ok(ctx.see_other("/admin/outbox"))
}

// ---------- forms ----------

#[derive(Template)]
#[template(path = "admin/form.html")]
struct FormPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    title: String,
    forms: Vec<Form>,
    general_errors: Vec<String>,
    rooms: Vec<(String, String)>,
}

impl<'a> FormPage<'a> {
    fn new(ctx: &'a PageContext, user: &'a User, title: String, form: Form) -> Self {
        Self {
            ctx,
            user,
            title,
            forms: vec![form],
            general_errors: Vec::new(),
            rooms: Vec::new(),
        }
    }

    /// Renders the page; with errors, each lands beside its field (or on
    /// top when it names no field of this form) and the status says why.
    fn show(mut self, errors: Option<FormErrors>) -> Result<HttpResponse, AppError> {
        let status = match errors {
            None => StatusCode::OK,
            Some(errors) => {
                self.general_errors = self.forms[0].attach(self.ctx, &errors.fields);
                errors.status
            }
        };
        self.ctx.render_status(status, &self)
    }
}

/// Handles a submitted form: checks its CSRF token, parses and validates it
/// and runs `change` in one service call. Returns the fields as typed (to
/// re-render them) with the outcome; validation problems and conflicts are
/// form errors, anything else is the error it is.
async fn submit<F, I, T>(
    state: &AppState,
    ctx: &PageContext,
    body: &[u8],
    validate: impl FnOnce(F) -> Result<I, AppError>,
    change: impl FnOnce(&mut DbConn, &I) -> Result<T, AppError> + Send + 'static,
) -> Result<(F, Result<T, FormErrors>), AppError>
where
    F: serde::de::DeserializeOwned + Clone + Default,
    I: Send + 'static,
    T: Send + 'static,
{
    let submitted: Result<F, AppError> = checked_form(ctx, body)?;
    let fields = submitted.as_ref().ok().cloned().unwrap_or_default();
    let result = match submitted.and_then(validate) {
        Ok(input) => service::run(&state.pool, move |conn| change(conn, &input)).await,
        Err(e) => Err(e),
    };
    let outcome = match result {
        Ok(value) => Ok(value),
        Err(e) => Err(FormErrors::from_error(e)?),
    };
    Ok((fields, outcome))
}

fn kind_options(ctx: &PageContext, all: &[&'static str], prefix: &str) -> Vec<(String, String)> {
    all.iter()
        .map(|v| ((*v).to_owned(), ctx.t(&format!("{prefix}.{v}")).to_owned()))
        .collect()
}

fn zone_options() -> Vec<(String, String)> {
    super::public::COMMON_ZONES
        .iter()
        .map(|z| ((*z).to_owned(), (*z).to_owned()))
        .collect()
}

// Organizations.

fn organization_form(ctx: &PageContext, action: String, fields: &OrganizationFields) -> Form {
    let kinds: Vec<&str> = OrganizationKind::ALL.iter().map(|k| k.as_str()).collect();
    Form::new(action, "admin.save", fields, None)
        .field(Field::new("slug", FieldKind::Text).required())
        .field(Field::new("name_ja", FieldKind::Text).required())
        .field(Field::new("name_en", FieldKind::Text).required())
        .field(
            Field::new(
                "kind",
                FieldKind::Select(kind_options(ctx, &kinds, "organization_kind")),
            )
            .required(),
        )
        .field(Field::new("country", FieldKind::Text).required())
        .field(Field::new("time_zone", FieldKind::Choice(zone_options())))
        .field(Field::new("website", FieldKind::Url))
}

async fn new_organization(ctx: PageContext, user: AdminUser) -> Result<HttpResponse, AppError> {
    let defaults = OrganizationFields {
        country: Some("JP".into()),
        time_zone: Some("Asia/Tokyo".into()),
        ..Default::default()
    };
    let form = organization_form(&ctx, "/admin/organizations".into(), &defaults);
    FormPage::new(&ctx, &user.0, ctx.t("admin.new_organization").into(), form).show(None)
}

#[tracing::instrument(skip_all)]
async fn create_organization(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        OrganizationFields::validate,
        organizations::create,
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other("/admin")),
        Err(errors) => {
            let form = organization_form(&ctx, "/admin/organizations".into(), &fields);
            FormPage::new(&ctx, &user.0, ctx.t("admin.new_organization").into(), form)
                .show(Some(errors))
        }
    }
}

async fn edit_organization(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let lookup = slug.clone();
    let o = service::run(&state.pool, move |conn| organizations::get(conn, &lookup)).await?;
    let form = organization_form(
        &ctx,
        format!("/admin/organizations/{slug}"),
        &OrganizationFields::of(&o),
    );
    FormPage::new(
        &ctx,
        &user.0,
        ctx.pick(&o.name_ja, &o.name_en).to_owned(),
        form,
    )
    .show(None)
}

#[tracing::instrument(skip_all)]
async fn update_organization(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        OrganizationFields::validate,
        move |conn, input| organizations::update(conn, &target, input),
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other("/admin")),
        Err(errors) => {
            let form = organization_form(&ctx, format!("/admin/organizations/{slug}"), &fields);
            FormPage::new(&ctx, &user.0, slug, form).show(Some(errors))
        }
    }
}

// Venues and rooms.

fn venue_form(action: String, fields: &VenueFields) -> Form {
    Form::new(action, "admin.save", fields, None)
        .field(Field::new("slug", FieldKind::Text).required())
        .field(Field::new("name_ja", FieldKind::Text).required())
        .field(Field::new("name_en", FieldKind::Text).required())
        .field(Field::new("address_ja", FieldKind::Text).required())
        .field(Field::new("address_en", FieldKind::Text).required())
        .field(Field::new("area", FieldKind::Text).required())
        .field(Field::new("time_zone", FieldKind::Choice(zone_options())))
}

fn room_form(action: String, submit: &'static str, fields: &RoomFields) -> Form {
    Form::new(action, submit, fields, None)
        .field(Field::new("name_ja", FieldKind::Text).required())
        .field(Field::new("name_en", FieldKind::Text).required())
        .field(Field::new("capacity", FieldKind::Number).required())
}

async fn new_venue(ctx: PageContext, user: AdminUser) -> Result<HttpResponse, AppError> {
    let defaults = VenueFields {
        time_zone: Some("Asia/Tokyo".into()),
        ..Default::default()
    };
    FormPage::new(
        &ctx,
        &user.0,
        ctx.t("admin.new_venue").into(),
        venue_form("/admin/venues".into(), &defaults),
    )
    .show(None)
}

#[tracing::instrument(skip_all)]
async fn create_venue(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (fields, result) =
        submit(&state, &ctx, &body, VenueFields::validate, venues::create).await?;
    match result {
        // Rooms are added on the edit page that follows.
        Ok(v) => Ok(ctx.see_other(&format!("/admin/venues/{}/edit", v.venue.slug))),
        Err(errors) => FormPage::new(
            &ctx,
            &user.0,
            ctx.t("admin.new_venue").into(),
            venue_form("/admin/venues".into(), &fields),
        )
        .show(Some(errors)),
    }
}

/// The venue form, its rooms with edit links, and a form to add a room.
fn venue_page<'a>(
    ctx: &'a PageContext,
    user: &'a User,
    venue: &VenueWithRooms,
    fields: &VenueFields,
) -> FormPage<'a> {
    let v = &venue.venue;
    let mut page = FormPage::new(
        ctx,
        user,
        ctx.pick(&v.name_ja, &v.name_en).to_owned(),
        venue_form(format!("/admin/venues/{}", v.slug), fields),
    );
    page.forms.push(room_form(
        format!("/admin/venues/{}/rooms", v.slug),
        "admin.add_room",
        &RoomFields::default(),
    ));
    page.rooms = venue
        .rooms
        .iter()
        .map(|r| {
            (
                format!("{} / {} ({})", r.name_ja, r.name_en, r.capacity),
                format!("/admin/rooms/{}/edit", r.id),
            )
        })
        .collect();
    page
}

async fn edit_venue(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let venue = service::run(&state.pool, move |conn| venues::get(conn, &slug)).await?;
    venue_page(&ctx, &user.0, &venue, &VenueFields::of(&venue.venue)).show(None)
}

#[tracing::instrument(skip_all)]
async fn update_venue(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        VenueFields::validate,
        move |conn, input| venues::update(conn, &target, input),
    )
    .await?;
    match result {
        Ok(v) => Ok(ctx.see_other(&format!("/admin/venues/{}/edit", v.venue.slug))),
        Err(errors) => {
            let venue = service::run(&state.pool, move |conn| venues::get(conn, &slug)).await?;
            venue_page(&ctx, &user.0, &venue, &fields).show(Some(errors))
        }
    }
}

#[tracing::instrument(skip_all)]
async fn add_room(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        |f: RoomFields| f.validate(),
        move |conn, input| venues::add_room(conn, &target, input),
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other(&format!("/admin/venues/{slug}/edit"))),
        Err(errors) => {
            let venue = service::run(&state.pool, move |conn| venues::get(conn, &slug)).await?;
            let mut page = venue_page(&ctx, &user.0, &venue, &VenueFields::of(&venue.venue));
            // The errors belong to the room form, which goes first.
            page.forms.swap(0, 1);
            page.forms[0] = room_form(
                format!("/admin/venues/{}/rooms", venue.venue.slug),
                "admin.add_room",
                &fields,
            );
            page.show(Some(errors))
        }
    }
}

async fn edit_room(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let room = service::run(&state.pool, move |conn| venues::get_room(conn, &lookup)).await?;
    let title = ctx.pick(&room.name_ja, &room.name_en).to_owned();
    FormPage::new(
        &ctx,
        &user.0,
        title,
        room_form(
            format!("/admin/rooms/{id}"),
            "admin.save",
            &RoomFields::of(&room),
        ),
    )
    .show(None)
}

#[tracing::instrument(skip_all)]
async fn update_room(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let target = id.clone();
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        |f: RoomFields| f.validate(),
        move |conn, input| {
            let room = venues::update_room(conn, &target, input)?;
            venues::venue_slug(conn, &room.venue_id)
        },
    )
    .await?;
    match result {
        Ok(venue_slug) => Ok(ctx.see_other(&format!("/admin/venues/{venue_slug}/edit"))),
        Err(errors) => FormPage::new(
            &ctx,
            &user.0,
            ctx.t("venue.room").into(),
            room_form(format!("/admin/rooms/{id}"), "admin.save", &fields),
        )
        .show(Some(errors)),
    }
}

// Events.

fn event_form(
    ctx: &PageContext,
    action: String,
    fields: &EventFields,
    choices: &EventChoices,
) -> Form {
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let statuses = [EventStatus::Draft.as_str(), EventStatus::Published.as_str()];
    Form::new(action, "admin.save", fields, fields.revision)
        .field(Field::new("slug", FieldKind::Text).required())
        .field(Field::new("title_ja", FieldKind::Text).required())
        .field(Field::new("title_en", FieldKind::Text).required())
        .field(
            Field::new(
                "kind",
                FieldKind::Select(kind_options(ctx, &kinds, "event_kind")),
            )
            .required(),
        )
        .field(Field::new("time_zone", FieldKind::Choice(zone_options())))
        .field(
            Field::new("starts_at", FieldKind::DateTime)
                .required()
                .hint("admin.wall_clock_hint"),
        )
        .field(Field::new("ends_at", FieldKind::DateTime).required())
        .field(Field::new(
            "organizer_slugs",
            FieldKind::Checkboxes(choices.organizers.clone()),
        ))
        .field(Field::new(
            "room_ids",
            FieldKind::Checkboxes(choices.rooms.clone()),
        ))
        .field(Field::new("capacity", FieldKind::Number))
        .field(Field::new("registration_opens_at", FieldKind::DateTime))
        .field(Field::new("registration_closes_at", FieldKind::DateTime))
        .field(Field::new("reminder_offsets", FieldKind::Text).hint("hint.reminder_offsets"))
        .field(Field::new(
            "status",
            FieldKind::Select(kind_options(ctx, &statuses, "event_status")),
        ))
        .field(Field::new("description_ja", FieldKind::TextArea))
        .field(Field::new("description_en", FieldKind::TextArea))
}

/// The organizations and rooms an event form offers.
#[derive(Default)]
struct EventChoices {
    organizers: Vec<(String, String)>,
    rooms: Vec<(String, String)>,
}

async fn event_choices(state: &AppState, ctx: &PageContext) -> Result<EventChoices, AppError> {
    let (organizations, venues) = service::run(&state.pool, |conn| {
        Ok((organizations::list(conn)?, venues::list(conn)?))
    })
    .await?;
    Ok(EventChoices {
        organizers: organizations
            .iter()
            .map(|o| (o.slug.clone(), ctx.pick(&o.name_ja, &o.name_en).to_owned()))
            .collect(),
        rooms: venues
            .iter()
            .flat_map(|v| {
                v.rooms.iter().map(move |r| {
                    (
                        r.id.clone(),
                        format!(
                            "{} – {} ({})",
                            ctx.pick(&v.venue.name_ja, &v.venue.name_en),
                            ctx.pick(&r.name_ja, &r.name_en),
                            r.capacity
                        ),
                    )
                })
            })
            .collect(),
    })
}

async fn new_event(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let choices = event_choices(&state, &ctx).await?;
    let defaults = EventFields {
        time_zone: Some("Asia/Tokyo".into()),
        status: Some("draft".into()),
        ..Default::default()
    };
    let form = event_form(&ctx, "/admin/events".into(), &defaults, &choices);
    FormPage::new(&ctx, &user.0, ctx.t("admin.new_event").into(), form).show(None)
}

#[tracing::instrument(skip_all)]
async fn create_event(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        |f: EventFields| f.validate(TimeInput::WallClock),
        events::create,
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other("/admin")),
        Err(errors) => {
            let choices = event_choices(&state, &ctx).await?;
            let form = event_form(&ctx, "/admin/events".into(), &fields, &choices);
            FormPage::new(&ctx, &user.0, ctx.t("admin.new_event").into(), form).show(Some(errors))
        }
    }
}

async fn edit_event(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let lookup = slug.clone();
    let details: EventDetails =
        service::run(&state.pool, move |conn| events::load(conn, &lookup)).await?;
    let choices = event_choices(&state, &ctx).await?;
    let mut fields = EventFields::of(&details, TimeInput::WallClock);
    fields.revision = Some(details.event.revision);
    let form = event_form(&ctx, format!("/admin/events/{slug}"), &fields, &choices);
    FormPage::new(
        &ctx,
        &user.0,
        ctx.pick(&details.event.title_ja, &details.event.title_en)
            .to_owned(),
        form,
    )
    .show(None)
}

#[tracing::instrument(skip_all)]
async fn update_event(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        &ctx,
        &body,
        |f: EventFields| f.validate(TimeInput::WallClock),
        move |conn, input| events::update(conn, &target, input),
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other("/admin")),
        Err(errors) => {
            let choices = event_choices(&state, &ctx).await?;
            let form = event_form(&ctx, format!("/admin/events/{slug}"), &fields, &choices);
            FormPage::new(&ctx, &user.0, slug, form).show(Some(errors))
        }
    }
}

/// The dashboard's buttons: `publish`, `unpublish` (back to draft) and `cancel`.
#[tracing::instrument(skip(state, ctx, _user, body))]
async fn change_status(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (slug, action) = path.into_inner();
    let to = match action.as_str() {
        "publish" => Some(EventStatus::Published),
        "unpublish" => Some(EventStatus::Draft),
        "cancel" => None,
        _ => return Err(AppError::NotFound),
    };
    ctx.verify_form(&body)?;
    service::run(&state.pool, move |conn| match to {
        Some(status) => events::set_status(conn, &slug, status),
        None => events::cancel(conn, &slug),
    })
    .await?;
    Ok(ctx.see_other("/admin"))
}
