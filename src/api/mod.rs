//! The JSON API under `/api/v1`. Reads of public data need no token; drafts
//! and every change need `Authorization: Bearer <token>`
//! (`musubi admin create-token`). Errors are JSON (see [`ApiError`]).

pub mod doc;
mod events;
mod meetings;
mod organizations;
mod partnering;
mod registrations;
mod venues;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use std::future::Future;
use std::pin::Pin;

use crate::db::users::User;
use crate::error::{ApiError, AppError};
use crate::http::AppState;
use crate::service;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError(AppError::field(
                    "query",
                    crate::domain::Invalid::new("invalid.form").with("detail", e),
                ))
                .into()
            }))
            .wrap(actix_web::middleware::from_fn(json_bodies_only))
            .route("/openapi.json", web::get().to(doc::serve))
            .configure(organizations::config)
            .configure(venues::config)
            .configure(events::config)
            .configure(registrations::config)
            .configure(meetings::config)
            .configure(partnering::config)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError(AppError::NotFound))
            })),
    );
}

/// The API reads JSON only: a body of another type is refused (415)
/// before any handler sees it, so a cross-site HTML form (which can only
/// send form or text bodies) never reaches one.
async fn json_bodies_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let headers = req.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"));
    if has_body && !json {
        return Err(ApiError(AppError::UnsupportedMediaType).into());
    }
    next.call(req).await
}

/// Who is calling: anyone, or an organizer with a valid bearer token.
/// A token that is present but unknown is refused rather than treated as
/// anonymous, so a typo never silently hides drafts.
pub enum Caller {
    Public,
    Organizer(User),
}

impl Caller {
    pub fn require(&self) -> Result<&User, ApiError> {
        match self {
            Caller::Organizer(user) => Ok(user),
            Caller::Public => Err(ApiError(AppError::Unauthorized)),
        }
    }

    pub fn is_organizer(&self) -> bool {
        matches!(self, Caller::Organizer(_))
    }

    pub fn reader(&self) -> events::Reader {
        if self.is_organizer() {
            events::Reader::Organizer
        } else {
            events::Reader::Public
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|h| h.to_str().map(str::to_owned));
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = match header {
                None => return Ok(Caller::Public),
                Some(Ok(value)) => match value.split_once(' ') {
                    Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                        token.trim().to_owned()
                    }
                    _ => return Err(ApiError(AppError::Unauthorized)),
                },
                Some(Err(_)) => return Err(ApiError(AppError::Unauthorized)),
            };
            let state = state
                .ok_or_else(|| ApiError(AppError::Unexpected(anyhow::anyhow!("no app state"))))?;
            let user = service::run(&state.pool, move |conn| {
                service::accounts::user_by_api_token(conn, &token)
            })
            .await?;
            user.map(Caller::Organizer)
                .ok_or(ApiError(AppError::Unauthorized))
        })
    }
}

/// Instants in API answers: RFC 3339 in UTC for bookkeeping stamps.
pub fn stamp(t: NaiveDateTime) -> String {
    crate::db::to_utc(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Runs a service call and turns its error into JSON.
pub async fn run<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    Ok(service::run(&state.pool, f).await?)
}
