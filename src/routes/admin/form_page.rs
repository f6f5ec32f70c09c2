//! The page every organizer form is shown on, and how a submitted form is
//! validated, saved, or shown again with its problems.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::db::DbConn;
use crate::db::users::User;
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::forms::{Form, FormErrors};
use crate::routes::{CsrfForm, PageContext};
use crate::service;

#[derive(Template)]
#[template(path = "admin/form.html")]
pub struct FormPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    title: String,
    pub forms: Vec<Form>,
    general_errors: Vec<String>,
    pub rooms: Vec<(String, String)>,
}

impl<'a> FormPage<'a> {
    pub fn new(ctx: &'a PageContext, user: &'a User, title: String, form: Form) -> Self {
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
    pub fn show(mut self, errors: Option<FormErrors>) -> Result<HttpResponse, AppError> {
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

/// Handles a submitted form (its CSRF token already checked): validates it
/// and runs `change` in one service call. Returns the fields as typed (to
/// re-render them) with the outcome; validation problems and conflicts are
/// form errors, anything else is the error it is.
pub async fn submit<F, I, T>(
    state: &AppState,
    form: CsrfForm<F>,
    validate: impl FnOnce(F) -> Result<I, AppError>,
    change: impl FnOnce(&mut DbConn, &I) -> Result<T, AppError> + Send + 'static,
) -> Result<(F, Result<T, FormErrors>), AppError>
where
    F: serde::de::DeserializeOwned + Clone + Default,
    I: Send + 'static,
    T: Send + 'static,
{
    let submitted = form.into_inner();
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

/// Choices of a closed set, each `(value, label key)`, labelled in the page's language.
pub fn kind_options(
    ctx: &PageContext,
    all: impl IntoIterator<Item = (&'static str, &'static str)>,
) -> Vec<(String, String)> {
    all.into_iter()
        .map(|(value, key)| (value.to_owned(), ctx.t(key).to_owned()))
        .collect()
}

pub fn zone_options() -> Vec<(String, String)> {
    crate::routes::public::COMMON_ZONES
        .iter()
        .map(|z| ((*z).to_owned(), (*z).to_owned()))
        .collect()
}
