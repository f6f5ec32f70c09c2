//! One error type for the service. Handlers under `routes/` return
//! `AppError` (rendered as a bilingual HTML page); handlers under `api/`
//! return `ApiError`, the same error rendered as JSON.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};

use crate::domain::{FieldError, Invalid, Language};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed: {}", summary(.0))]
    Validation(Vec<FieldError>),
    /// A request no form of ours sends (e.g. a line break in a redirect target).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound,
    /// A body that is not JSON sent to the JSON API.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("conflict: {problem}")]
    Conflict {
        field: Option<&'static str>,
        problem: Invalid,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Too many requests from this client or for this account; when it
    /// may try again, if known (sent as `Retry-After`).
    #[error("too many requests")]
    RateLimited(Option<std::time::Duration>),
    /// The work is bounded and all of it is taken (e.g. every password
    /// hashing thread): 503 with `Retry-After: 1`, answered at once.
    #[error("busy")]
    Busy,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.problem))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    pub fn conflict(field: Option<&'static str>, problem: Invalid) -> Self {
        Self::Conflict { field, problem }
    }

    pub fn field(field: &str, problem: Invalid) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            problem,
        }])
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::BadRequest(_) => "bad_request",
            Self::NotFound => "not_found",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Conflict { .. } => "conflict",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::RateLimited(_) => "rate_limited",
            Self::Busy => "busy",
            Self::Unavailable(_) => "unavailable",
            Self::Unexpected(_) => "internal_error",
        }
    }

    /// What a user may read; the cause of an unexpected error is logged, never shown.
    pub fn public_message(&self, lang: Language) -> String {
        use crate::i18n::t;
        match self {
            Self::Validation(_) => t(lang, "error.validation").to_owned(),
            Self::BadRequest(_) => t(lang, "error.bad_request").to_owned(),
            Self::NotFound => t(lang, "error.not_found").to_owned(),
            Self::UnsupportedMediaType => t(lang, "error.unsupported_media_type").to_owned(),
            Self::Conflict { problem, .. } => problem.message(lang),
            Self::Unauthorized => t(lang, "error.unauthorized").to_owned(),
            Self::Forbidden(reason) => format!("{} ({reason})", t(lang, "error.forbidden")),
            Self::RateLimited(_) => t(lang, "error.rate_limited").to_owned(),
            Self::Busy => t(lang, "error.busy").to_owned(),
            Self::Unavailable(_) => t(lang, "error.unavailable").to_owned(),
            Self::Unexpected(_) => t(lang, "error.unexpected").to_owned(),
        }
    }

    /// Seconds a client should wait before trying again, if it should.
    fn retry_after(&self) -> Option<u64> {
        match self {
            // Rounded up, and never 0 (which would invite an instant retry).
            Self::RateLimited(Some(wait)) => {
                Some((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
            }
            Self::RateLimited(None) => Some(60),
            Self::Busy | Self::Unavailable(_) => Some(1),
            _ => None,
        }
    }

    /// The response builder with the status and the headers every
    /// rendering of this error carries.
    fn response(&self) -> actix_web::HttpResponseBuilder {
        let mut response = HttpResponse::build(status_of(self));
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response
    }

    fn log(&self) {
        match self {
            Self::Unexpected(e) => tracing::error!(error = ?e, "unexpected error"),
            Self::Unavailable(why) => tracing::warn!(why, "unavailable"),
            _ => {}
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict(None, Invalid::new("conflict.duplicate"))
            }
            // PostgreSQL's exclusion constraint, the backstop against double booking.
            Error::DatabaseError(_, info)
                if info.constraint_name() == Some("room_bookings_no_overlap") =>
            {
                Self::conflict(
                    Some("room_ids"),
                    Invalid::new("conflict.room_booked_concurrently"),
                )
            }
            _ => Self::Unexpected(anyhow::Error::new(e).context("database query")),
        }
    }
}

impl From<crate::db::PoolError> for AppError {
    fn from(e: crate::db::PoolError) -> Self {
        Self::Unavailable(format!("no database connection: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Unexpected(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A page error. Error pages cannot see the request's language, so they
/// say it in both.
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status_of(self)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut details = String::new();
        if let Self::Validation(errors) = self {
            for e in errors {
                details.push_str(&format!(
                    "<li><code>{}</code>: {} / {}</li>",
                    html_escape(&e.field),
                    html_escape(&e.problem.message(Language::Ja)),
                    html_escape(&e.problem.message(Language::En))
                ));
            }
            details = format!("<ul>{details}</ul>");
        }
        let body = format!(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>{code} · musubi</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main class=\"error\">\
             <h1>{status}</h1><p lang=\"ja\">{ja}</p><p lang=\"en\">{en}</p>{details}<p><a href=\"/\">musubi · トップへ / Home</a></p></main></body></html>",
            code = status_of(self).as_u16(),
            status = status_of(self),
            ja = html_escape(&self.public_message(Language::Ja)),
            en = html_escape(&self.public_message(Language::En)),
        );
        self.response().content_type(ContentType::html()).body(body)
    }
}

/// An error as the API answers it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// validation_failed | not_found | conflict | unauthorized | forbidden |
    /// bad_request | unsupported_media_type | rate_limited | busy |
    /// unavailable | internal_error
    error: &'static str,
    /// In English; the `code` of each field names its message in Japanese too.
    message: String,
    /// Each field that was refused (validation and conflicts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<FieldProblem>>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldProblem {
    /// snake_case field name, e.g. `starts_at` or `room_ids[1]`.
    field: String,
    /// e.g. `invalid.required`, `conflict.room_booked`.
    code: &'static str,
    message: String,
}

impl FieldProblem {
    fn new(field: &str, problem: &Invalid) -> Self {
        Self {
            field: field.to_owned(),
            code: problem.code,
            message: problem.message(Language::En),
        }
    }
}

/// The same error, rendered as JSON for `/api`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Self(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let fields = match &self.0 {
            AppError::Validation(errors) => Some(
                errors
                    .iter()
                    .map(|e| FieldProblem::new(&e.field, &e.problem))
                    .collect(),
            ),
            AppError::Conflict {
                field: Some(field),
                problem,
            } => Some(vec![FieldProblem::new(field, problem)]),
            _ => None,
        };
        let body = ErrorBody {
            error: self.0.code(),
            message: self.0.public_message(Language::En),
            fields,
        };
        let mut response = self.0.response();
        if matches!(self.0, AppError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"musubi\""));
        }
        response.json(body)
    }
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
