//! Events: create, edit, publish, unpublish and cancel.

use actix_web::{HttpResponse, web};

use super::AdminUser;
use super::form_page::{FormPage, kind_options, submit, zone_options};
use crate::db::events::EventDetails;
use crate::domain::{EventKind, EventStatus};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::forms::{Field, FieldKind, Form};
use crate::routes::{Button, CsrfForm, PageContext};
use crate::service;
use crate::service::events::{self, EventFields, TimeInput};
use crate::service::organizations;
use crate::service::venues;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/new", web::get().to(new_event))
        .route("/events", web::post().to(create_event))
        .route("/events/{slug}/edit", web::get().to(edit_event))
        .route("/events/{slug}", web::post().to(update_event))
        .route("/events/{slug}/{action}", web::post().to(change_status));
}

fn event_form(
    ctx: &PageContext,
    action: String,
    fields: &EventFields,
    choices: &EventChoices,
) -> Form {
    let kinds = EventKind::ALL.iter().map(|k| (k.as_str(), k.label_key()));
    let statuses =
        [EventStatus::Draft, EventStatus::Published].map(|s| (s.as_str(), s.label_key()));
    Form::new(action, "admin.save", fields, fields.revision)
        .field(Field::new("slug", FieldKind::Text).required())
        .field(Field::new("title_ja", FieldKind::Text).required())
        .field(Field::new("title_en", FieldKind::Text).required())
        .field(Field::new("kind", FieldKind::Select(kind_options(ctx, kinds))).required())
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
            FieldKind::Select(kind_options(ctx, statuses)),
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
                        r.id.to_string(),
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
        status: Some(EventStatus::Draft.to_string()),
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
    form: CsrfForm<EventFields>,
) -> Result<HttpResponse, AppError> {
    let (fields, result) = submit(
        &state,
        form,
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
    form: CsrfForm<EventFields>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        form,
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
#[tracing::instrument(skip(state, ctx, _user, form))]
async fn change_status(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, AppError> {
    let (slug, action) = path.into_inner();
    let to = match action.as_str() {
        "publish" => Some(EventStatus::Published),
        "unpublish" => Some(EventStatus::Draft),
        "cancel" => None,
        _ => return Err(AppError::NotFound),
    };
    form.into_inner()?;
    service::run(&state.pool, move |conn| match to {
        Some(status) => events::set_status(conn, &slug, status),
        None => events::cancel(conn, &slug),
    })
    .await?;
    Ok(ctx.see_other("/admin"))
}
