//! Events: create, edit, publish, unpublish and cancel.

use actix_web::{HttpResponse, web};

use super::AdminUser;
use super::form_page::{FormPage, kind_options, submit, zone_options};
use crate::db::events::EventDetails;
use crate::domain::{EventKind, EventStatus};
use crate::error::AppError;
use crate::http::AppState;
use crate::i18n::format;
use crate::routes::forms::{Field, FieldKind, Form};
use crate::routes::{Button, ConfirmPage, CsrfForm, PageContext};
use crate::service;
use crate::service::events::{self, EventFields, TimeInput};
use crate::service::organizations;
use crate::service::registrations::attendees::{self, Counts};
use crate::service::venues;
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/new", web::get().to(new_event))
        .route("/events", web::post().to(create_event))
        .route("/events/{slug}/edit", web::get().to(edit_event))
        .route("/events/{slug}", web::post().to(update_event))
        .route("/events/{slug}/cancel", web::get().to(confirm_cancel))
        .route("/events/{slug}/restore", web::get().to(confirm_restore))
        .route("/events/{slug}/restore", web::post().to(restore))
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
        .field(
            Field::new("slug", FieldKind::Text)
                .required()
                .hint("hint.slug_event"),
        )
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
        .field(Field::new("online_url", FieldKind::Url).hint("hint.online_url"))
        .field(Field::new("online_platform", FieldKind::Text).hint("hint.online_platform"))
        .field(
            Field::new(
                "reminder_offsets",
                FieldKind::Checkboxes(reminder_choices(ctx, fields)),
            )
            .sends_empty()
            .hint("hint.reminder_offsets"),
        )
        .field(Field::new(
            "status",
            FieldKind::Select(kind_options(ctx, statuses)),
        ))
        .field(Field::new("description_ja", FieldKind::TextArea))
        .field(Field::new("description_en", FieldKind::TextArea))
}

/// When reminders can go out: a week, a day, three hours and an hour
/// before, plus any other offset the event already has (set by the API).
fn reminder_choices(ctx: &PageContext, fields: &EventFields) -> Vec<(String, String)> {
    const STANDARD: [i32; 4] = [10_080, 1_440, 180, 60];
    let mut minutes: Vec<i32> = STANDARD.to_vec();
    if let Some(current) = &fields.reminder_offsets {
        for m in current
            .split(',')
            .filter_map(|m| m.trim().parse::<i32>().ok())
        {
            if !minutes.contains(&m) {
                minutes.push(m);
            }
        }
    }
    minutes.sort_unstable_by(|a, b| b.cmp(a));
    minutes
        .into_iter()
        .map(|m| {
            let label = if STANDARD.contains(&m) {
                ctx.t(&format!("reminder.choice.{m}")).to_owned()
            } else {
                format(
                    ctx.lang,
                    "reminder.choice.other",
                    &[("minutes", m.to_string())],
                )
            };
            (m.to_string(), label)
        })
        .collect()
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
        reminder_offsets: Some(crate::domain::ReminderOffsets::standard().to_stored()),
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
        Ok(_) => Ok(ctx.see_other_with("/admin", "flash.event_saved")),
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
        Ok(_) => Ok(ctx.see_other_with("/admin", "flash.event_saved")),
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
    let (to, flash) = match action.as_str() {
        "publish" => (Some(EventStatus::Published), "flash.event_published"),
        "unpublish" => (Some(EventStatus::Draft), "flash.event_unpublished"),
        "cancel" => (None, "flash.event_cancelled"),
        _ => return Err(AppError::NotFound),
    };
    form.into_inner()?;
    service::run(&state.pool, move |conn| match to {
        Some(status) => events::set_status(conn, &slug, status),
        None => events::cancel(conn, &slug),
    })
    .await?;
    Ok(ctx.see_other_with("/admin", flash))
}

/// The event and how many guests an action on it concerns.
async fn event_and_counts(
    state: &AppState,
    slug: String,
) -> Result<(EventDetails, Counts), AppError> {
    service::run(&state.pool, move |conn| {
        let details = events::load(conn, &slug)?;
        let counts = attendees::counts_of(conn, &details.event.id)?;
        Ok((details, counts))
    })
    .await
}

/// Asks before an event is cancelled, saying how many guests are mailed.
async fn confirm_cancel(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (details, counts) = event_and_counts(&state, slug.clone()).await?;
    let e = &details.event;
    if e.status == EventStatus::Cancelled {
        return Ok(ctx.see_other("/admin"));
    }
    let title = ctx.pick(&e.title_ja, &e.title_en).to_owned();
    ctx.render(&ConfirmPage {
        ctx: &ctx,
        title: ctx.t("confirm.cancel_event_title").to_owned(),
        text: vec![
            format(
                ctx.lang,
                "confirm.cancel_event_text",
                &[
                    ("title", title),
                    ("guests", (counts.confirmed + counts.waitlisted).to_string()),
                ],
            ),
            ctx.t("confirm.cancel_event_undo").to_owned(),
        ],
        action: format!("/admin/events/{slug}/cancel"),
        button: ctx.t("confirm.yes_cancel_event").to_owned(),
        danger: true,
        option: None,
        back: "/admin".into(),
    })
}

/// Asks before a cancelled event comes back, offering to tell the guests.
async fn confirm_restore(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (details, counts) = event_and_counts(&state, slug.clone()).await?;
    let e = &details.event;
    if e.status != EventStatus::Cancelled {
        return Ok(ctx.see_other("/admin"));
    }
    let title = ctx.pick(&e.title_ja, &e.title_en).to_owned();
    ctx.render(&ConfirmPage {
        ctx: &ctx,
        title: ctx.t("confirm.restore_title").to_owned(),
        text: vec![format(
            ctx.lang,
            "confirm.restore_text",
            &[("title", title)],
        )],
        action: format!("/admin/events/{slug}/restore"),
        button: ctx.t("confirm.yes_restore").to_owned(),
        danger: false,
        option: Some((
            "notify".into(),
            format(
                ctx.lang,
                "confirm.restore_notify",
                &[("guests", counts.confirmed.to_string())],
            ),
            ctx.t("confirm.restore_silent").to_owned(),
        )),
        back: "/admin".into(),
    })
}

#[derive(Debug, Default, Deserialize)]
struct RestoreForm {
    #[serde(default, deserialize_with = "crate::service::fields::opt_flag")]
    notify: Option<bool>,
}

#[tracing::instrument(skip(state, ctx, _user, form))]
async fn restore(
    state: web::Data<AppState>,
    ctx: PageContext,
    _user: AdminUser,
    slug: web::Path<String>,
    form: CsrfForm<RestoreForm>,
) -> Result<HttpResponse, AppError> {
    let notify = form.into_inner()?.notify.unwrap_or(false);
    let slug = slug.into_inner();
    let s2 = slug.clone();
    service::run(&state.pool, move |conn| events::restore(conn, &s2, notify)).await?;
    Ok(ctx.see_other_with("/admin", "flash.event_restored"))
}
