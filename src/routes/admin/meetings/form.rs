//! The create and edit forms: the meeting's fields, and one row per
//! attendee (repeated keys), each problem shown beside its cell. (About
//! 480 lines: the form, its conversion both ways and its page belong together.)

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::super::AdminUser;
use super::super::form_page::{submit, zone_options};
use crate::db;
use crate::db::users::User;
use crate::domain::{Language, MeetingId, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::forms::{Field, FieldKind, Form, FormErrors};
use crate::routes::{CsrfForm, PageContext};
use crate::service::events::TimeInput;
use crate::service::meetings::{self as svc, AttendeeFields, MeetingFields};
use crate::service::{self, organizations, venues};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/meetings", web::post().to(create))
        .route("/meetings/new", web::get().to(new_meeting))
        .route("/meetings/{id}", web::post().to(update))
        .route("/meetings/{id}/edit", web::get().to(edit));
}

/// The HTML form: the meeting's fields, and the attendee rows as repeated
/// keys (one value per row, in row order; blank rows are left out).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct MeetingForm {
    title_ja: Option<String>,
    title_en: Option<String>,
    agenda: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    time_zone: Option<String>,
    room_id: Option<String>,
    online_url: Option<String>,
    event_slug: Option<String>,
    interpreter: Option<String>,
    reminder_offsets: Option<String>,
    allow_attendee_conflicts: Option<String>,
    revision: Option<String>,
    attendee_name: Vec<String>,
    attendee_email: Vec<String>,
    attendee_organization_slug: Vec<String>,
    attendee_organization: Vec<String>,
    attendee_country: Vec<String>,
    attendee_time_zone: Vec<String>,
    attendee_language: Vec<String>,
}

/// The columns of an attendee row: (form key, field name in the API).
const COLUMNS: [(&str, &str); 7] = [
    ("attendee_name", "name"),
    ("attendee_email", "email"),
    ("attendee_organization_slug", "organization_slug"),
    ("attendee_organization", "organization"),
    ("attendee_country", "country"),
    ("attendee_time_zone", "time_zone"),
    ("attendee_language", "language"),
];

impl MeetingForm {
    fn column(&self, key: &str) -> &[String] {
        match key {
            "attendee_name" => &self.attendee_name,
            "attendee_email" => &self.attendee_email,
            "attendee_organization_slug" => &self.attendee_organization_slug,
            "attendee_organization" => &self.attendee_organization,
            "attendee_country" => &self.attendee_country,
            "attendee_time_zone" => &self.attendee_time_zone,
            _ => &self.attendee_language,
        }
    }

    fn cell(&self, key: &str, row: usize) -> String {
        self.column(key).get(row).cloned().unwrap_or_default()
    }

    fn rows(&self) -> usize {
        COLUMNS
            .iter()
            .map(|(key, _)| self.column(key).len())
            .max()
            .unwrap_or(0)
            .min(crate::service::meetings::MAX_ATTENDEES * 4)
    }

    /// The rows that are not blank, by their index on the page.
    fn filled_rows(&self) -> Vec<usize> {
        (0..self.rows())
            .filter(|row| {
                COLUMNS
                    .iter()
                    .any(|(key, _)| !self.cell(key, *row).trim().is_empty())
            })
            .collect()
    }

    fn to_fields(&self) -> MeetingFields {
        let some = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let cell =
            |key: &str, row: usize| Some(self.cell(key, row)).filter(|v| !v.trim().is_empty());
        MeetingFields {
            title_ja: some(&self.title_ja),
            title_en: some(&self.title_en),
            agenda: some(&self.agenda),
            starts_at: some(&self.starts_at),
            ends_at: some(&self.ends_at),
            time_zone: some(&self.time_zone),
            room_id: some(&self.room_id),
            online_url: some(&self.online_url),
            event_slug: some(&self.event_slug),
            interpreter: some(&self.interpreter),
            reminder_offsets: some(&self.reminder_offsets),
            allow_attendee_conflicts: Some(self.allow_attendee_conflicts.is_some()),
            attendees: self
                .filled_rows()
                .into_iter()
                .map(|row| AttendeeFields {
                    name: cell("attendee_name", row),
                    email: cell("attendee_email", row),
                    organization_slug: cell("attendee_organization_slug", row),
                    organization: cell("attendee_organization", row),
                    country: cell("attendee_country", row),
                    time_zone: cell("attendee_time_zone", row),
                    language: cell("attendee_language", row),
                })
                .collect(),
            revision: self.revision.as_deref().and_then(|r| r.trim().parse().ok()),
        }
    }

    fn of(fields: &MeetingFields, revision: Option<i32>) -> Self {
        let column = |f: fn(&AttendeeFields) -> &Option<String>| {
            fields
                .attendees
                .iter()
                .map(|a| f(a).clone().unwrap_or_default())
                .collect()
        };
        Self {
            title_ja: fields.title_ja.clone(),
            title_en: fields.title_en.clone(),
            agenda: fields.agenda.clone(),
            starts_at: fields.starts_at.clone(),
            ends_at: fields.ends_at.clone(),
            time_zone: fields.time_zone.clone(),
            room_id: fields.room_id.clone(),
            online_url: fields.online_url.clone(),
            event_slug: fields.event_slug.clone(),
            interpreter: fields.interpreter.clone(),
            reminder_offsets: fields.reminder_offsets.clone(),
            allow_attendee_conflicts: None,
            revision: revision.map(|r| r.to_string()),
            attendee_name: column(|a| &a.name),
            attendee_email: column(|a| &a.email),
            attendee_organization_slug: column(|a| &a.organization_slug),
            attendee_organization: column(|a| &a.organization),
            attendee_country: column(|a| &a.country),
            attendee_time_zone: column(|a| &a.time_zone),
            attendee_language: column(|a| &a.language),
        }
    }
}

struct AttendeeCell {
    key: &'static str,
    label: String,
    value: String,
    input: &'static str,
    options: Vec<(String, String)>,
    errors: Vec<String>,
}

struct AttendeeRow {
    number: usize,
    cells: Vec<AttendeeCell>,
}

#[derive(Template)]
#[template(path = "admin/meetings/form.html")]
struct FormPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    title: String,
    form: Form,
    rows: Vec<AttendeeRow>,
    general_errors: Vec<String>,
    allow_conflicts: bool,
}

/// What the form offers: rooms, parent events, organizations.
struct Choices {
    rooms: Vec<(String, String)>,
    events: Vec<(String, String)>,
    organizations: Vec<(String, String)>,
}

async fn choices(state: &AppState, ctx: &PageContext) -> Result<Choices, AppError> {
    let (venues, events, organizations) = service::run(&state.pool, |conn| {
        Ok((
            venues::list(conn)?,
            service::events::list(
                conn,
                crate::db::events::EventFilter {
                    ends_after: Some(db::now() - Duration::days(1)),
                    ..Default::default()
                },
            )?,
            organizations::list(conn)?,
        ))
    })
    .await?;
    Ok(Choices {
        rooms: venues
            .iter()
            .flat_map(|v| {
                v.rooms.iter().map(move |r| {
                    (
                        r.id.to_string(),
                        format!(
                            "{} – {}",
                            ctx.pick(&v.venue.name_ja, &v.venue.name_en),
                            ctx.pick(&r.name_ja, &r.name_en)
                        ),
                    )
                })
            })
            .collect(),
        events: events
            .iter()
            .map(|d| {
                (
                    d.event.slug.clone(),
                    ctx.pick(&d.event.title_ja, &d.event.title_en).to_owned(),
                )
            })
            .collect(),
        organizations: organizations
            .iter()
            .map(|o| (o.slug.clone(), ctx.pick(&o.name_ja, &o.name_en).to_owned()))
            .collect(),
    })
}

/// Renders the form with what was typed and, after a refusal, each
/// problem beside its field (an attendee's beside their cell).
fn form_page(
    ctx: &PageContext,
    user: &AdminUser,
    title: String,
    action: String,
    form: &MeetingForm,
    choices: &Choices,
    errors: Option<FormErrors>,
) -> Result<HttpResponse, AppError> {
    let fields = form.to_fields();
    let revision = form.revision.as_deref().and_then(|r| r.parse().ok());
    let mut general = Form::new(action, "admin.save", &fields, revision)
        // One title is enough: the other language shows the same.
        .field(Field::new("title_ja", FieldKind::Text).hint("hint.one_title"))
        .field(Field::new("title_en", FieldKind::Text))
        .field(Field::new("time_zone", FieldKind::Choice(zone_options())))
        .field(
            Field::new("starts_at", FieldKind::DateTime)
                .required()
                .hint("admin.wall_clock_hint"),
        )
        .field(Field::new("ends_at", FieldKind::DateTime).required())
        .field(Field::new(
            "room_id",
            FieldKind::Select(choices.rooms.clone()),
        ))
        .field(Field::new("online_url", FieldKind::Url))
        .field(Field::new(
            "event_slug",
            FieldKind::Select(choices.events.clone()),
        ))
        .field(Field::new("interpreter", FieldKind::Text).hint("hint.interpreter"))
        .field(Field::new("reminder_offsets", FieldKind::Text).hint("hint.reminder_offsets"))
        .field(Field::new("agenda", FieldKind::TextArea));
    let filled = form.filled_rows();
    let shown = form.rows().max(filled.last().map_or(0, |r| r + 1)) + 2;
    // Never more rows than a meeting may have (a form of thousands of
    // blank rows is not drawn again).
    let shown = shown.clamp(4, crate::service::meetings::MAX_ATTENDEES + 2);
    let languages = vec![
        (Language::Ja.as_str().to_owned(), "日本語".to_owned()),
        (Language::En.as_str().to_owned(), "English".to_owned()),
    ];
    let mut rows: Vec<AttendeeRow> = (0..shown)
        .map(|row| AttendeeRow {
            number: row + 1,
            cells: COLUMNS
                .iter()
                .map(|(key, name)| {
                    let (input, options) = match *name {
                        "organization_slug" => ("select", choices.organizations.clone()),
                        "language" => ("select", languages.clone()),
                        "email" => ("email", Vec::new()),
                        "time_zone" => ("choice", zone_options()),
                        _ => ("text", Vec::new()),
                    };
                    AttendeeCell {
                        key,
                        label: ctx.t(&format!("field.attendee_{name}")).to_owned(),
                        value: form.cell(key, row),
                        input,
                        options,
                        errors: Vec::new(),
                    }
                })
                .collect(),
        })
        .collect();
    let mut status = actix_web::http::StatusCode::OK;
    let mut general_errors = Vec::new();
    if let Some(errors) = errors {
        status = errors.status;
        let mut rest = Vec::new();
        for (field, problem) in errors.fields {
            // `attendees[2].email`: the third filled row, its email cell.
            let cell = field
                .strip_prefix("attendees[")
                .and_then(|s| s.split_once("]."))
                .and_then(|(i, name)| Some((i.parse::<usize>().ok()?, name.to_owned())));
            match cell {
                Some((i, name)) if i < filled.len() && filled[i] < rows.len() => {
                    let row = &mut rows[filled[i]];
                    if let Some(c) = row
                        .cells
                        .iter_mut()
                        .find(|c| c.key == format!("attendee_{name}"))
                    {
                        c.errors.push(ctx.message(&problem));
                        continue;
                    }
                    rest.push((field, problem));
                }
                _ => rest.push((field, problem)),
            }
        }
        general_errors = general.attach(ctx, &rest);
    }
    ctx.render_status(
        status,
        &FormPage {
            ctx,
            user: &user.0,
            title,
            form: general,
            rows,
            general_errors,
            allow_conflicts: form.allow_attendee_conflicts.is_some(),
        },
    )
}

async fn new_meeting(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
) -> Result<HttpResponse, AppError> {
    let choices = choices(&state, &ctx).await?;
    let form = MeetingForm {
        time_zone: Some(TimeZone::TOKYO.name().to_owned()),
        ..Default::default()
    };
    let title = ctx.t("admin.new_meeting").to_owned();
    form_page(
        &ctx,
        &user,
        title,
        "/admin/meetings".into(),
        &form,
        &choices,
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn create(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    form: CsrfForm<MeetingForm>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let (form, result) = submit(
        &state,
        form,
        |f: MeetingForm| f.to_fields().validate(TimeInput::WallClock),
        move |conn, input| svc::create(conn, &keys, input),
    )
    .await?;
    match result {
        Ok(d) => Ok(ctx.see_other(&format!("/admin/meetings/{}", d.meeting.id))),
        Err(errors) => {
            let choices = choices(&state, &ctx).await?;
            let title = ctx.t("admin.new_meeting").to_owned();
            form_page(
                &ctx,
                &user,
                title,
                "/admin/meetings".into(),
                &form,
                &choices,
                Some(errors),
            )
        }
    }
}

async fn edit(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = MeetingId::from(id.into_inner());
    let target = id.clone();
    let d = service::run(&state.pool, move |conn| svc::load(conn, &target)).await?;
    svc::ensure_not_cancelled(&d)?;
    let fields = MeetingFields::of(&d, TimeInput::WallClock);
    let form = MeetingForm::of(&fields, Some(d.meeting.revision));
    let choices = choices(&state, &ctx).await?;
    let title = ctx
        .pick(&d.meeting.title_ja, &d.meeting.title_en)
        .to_owned();
    form_page(
        &ctx,
        &user,
        title,
        format!("/admin/meetings/{id}"),
        &form,
        &choices,
        None,
    )
}

#[tracing::instrument(skip_all)]
async fn update(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    id: web::Path<String>,
    form: CsrfForm<MeetingForm>,
) -> Result<HttpResponse, AppError> {
    let id = MeetingId::from(id.into_inner());
    let target = id.clone();
    let keys = state.keys.clone();
    let (form, result) = submit(
        &state,
        form,
        |f: MeetingForm| f.to_fields().validate(TimeInput::WallClock),
        move |conn, input| svc::update(conn, &keys, &target, input),
    )
    .await?;
    match result {
        Ok(_) => Ok(ctx.see_other(&format!("/admin/meetings/{id}"))),
        Err(errors) => {
            let choices = choices(&state, &ctx).await?;
            let title = form.title_en.clone().unwrap_or_default();
            form_page(
                &ctx,
                &user,
                title,
                format!("/admin/meetings/{id}"),
                &form,
                &choices,
                Some(errors),
            )
        }
    }
}
