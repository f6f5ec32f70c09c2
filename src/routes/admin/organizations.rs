//! The organizations that run events.

use actix_web::{HttpResponse, web};

use super::AdminUser;
use super::form_page::{FormPage, kind_options, submit, zone_options};
use crate::domain::OrganizationKind;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::forms::{Field, FieldKind, Form};
use crate::routes::{CsrfForm, PageContext};
use crate::service;
use crate::service::organizations::{self, OrganizationFields};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/new", web::get().to(new_organization))
        .route("/organizations", web::post().to(create_organization))
        .route(
            "/organizations/{slug}/edit",
            web::get().to(edit_organization),
        )
        .route("/organizations/{slug}", web::post().to(update_organization));
}

fn organization_form(ctx: &PageContext, action: String, fields: &OrganizationFields) -> Form {
    let kinds = OrganizationKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label_key()));
    Form::new(action, "admin.save", fields, None)
        .field(
            Field::new("slug", FieldKind::Text)
                .required()
                .hint("hint.slug_organization"),
        )
        .field(Field::new("name_ja", FieldKind::Text).required())
        .field(Field::new("name_en", FieldKind::Text).required())
        .field(Field::new("kind", FieldKind::Select(kind_options(ctx, kinds))).required())
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
    form: CsrfForm<OrganizationFields>,
) -> Result<HttpResponse, AppError> {
    let (fields, result) = submit(
        &state,
        form,
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
    form: CsrfForm<OrganizationFields>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let target = slug.clone();
    let (fields, result) = submit(
        &state,
        form,
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
