//! Venues and their rooms.

use actix_web::{HttpResponse, web};

use super::AdminUser;
use super::form_page::{FormPage, submit, zone_options};
use crate::db::users::User;
use crate::domain::RoomId;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::forms::{Field, FieldKind, Form};
use crate::routes::{CsrfForm, PageContext};
use crate::service;
use crate::service::venues::{self, RoomFields, VenueFields, VenueWithRooms};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/venues/new", web::get().to(new_venue))
        .route("/venues", web::post().to(create_venue))
        .route("/venues/{slug}/edit", web::get().to(edit_venue))
        .route("/venues/{slug}", web::post().to(update_venue))
        .route("/venues/{slug}/rooms", web::post().to(add_room))
        .route("/rooms/{id}/edit", web::get().to(edit_room))
        .route("/rooms/{id}", web::post().to(update_room));
}

fn venue_form(action: String, fields: &VenueFields) -> Form {
    Form::new(action, "admin.save", fields, None)
        .field(
            Field::new("slug", FieldKind::Text)
                .required()
                .hint("hint.slug_venue"),
        )
        .field(Field::new("name_ja", FieldKind::Text).required())
        .field(Field::new("name_en", FieldKind::Text).required())
        .field(Field::new("address_ja", FieldKind::Text).required())
        .field(Field::new("address_en", FieldKind::Text).required())
        .field(Field::new("area", FieldKind::Text).required())
        .field(Field::new("access_ja", FieldKind::TextArea))
        .field(Field::new("access_en", FieldKind::TextArea))
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
    form: CsrfForm<VenueFields>,
) -> Result<HttpResponse, AppError> {
    let (fields, result) = submit(&state, form, VenueFields::validate, venues::create).await?;
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
    form: CsrfForm<VenueFields>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(&state, form, VenueFields::validate, move |conn, input| {
        venues::update(conn, &target, input)
    })
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
    form: CsrfForm<RoomFields>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        form,
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
    id: web::Path<RoomId>,
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
    id: web::Path<RoomId>,
    form: CsrfForm<RoomFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let target = id.clone();
    let (fields, result) = submit(
        &state,
        form,
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
