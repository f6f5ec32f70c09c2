//! Error pages inside the site's layout: every page error (404, 409, 422,
//! 429, 500 …) is rendered again here, where the request is known, with the
//! same header, navigation and footer as every page, in the visitor's
//! language, and with a way back. JSON errors under `/api` are left alone.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use askama::Template;

use super::PageContext;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageContext,
    code: u16,
    title: &'a str,
    message: String,
    /// Each field that was refused: (field label, message).
    details: Vec<(String, String)>,
    /// The page the visitor came from on this site, for "back".
    back: Option<String>,
}

/// The title key of a status: what happened, in words.
fn title_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 | 405 => "error_page.404",
        409 => "error_page.409",
        422 | 400 | 413 | 415 => "error_page.422",
        401 | 403 => "error_page.403",
        429 => "error_page.429",
        503 => "error_page.503",
        _ => "error_page.500",
    }
}

pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_page_error = status.as_u16() >= 400
        && !res.request().path().starts_with("/api/")
        && res.response().error().is_some();
    if !is_page_error {
        return Ok(res.map_into_left_body());
    }
    let ctx = PageContext::of(res.request());
    let lang = ctx.lang;
    let error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    let message = match error {
        Some(e) => e.public_message(lang),
        None => ctx
            .t(match status.as_u16() {
                404 | 405 => "error.not_found",
                413 => "error.too_large",
                _ if status.is_client_error() => "error.bad_request",
                _ => "error.unexpected",
            })
            .to_owned(),
    };
    // "Not found." says no more than the title; say what to do instead.
    let message = if status == StatusCode::NOT_FOUND {
        ctx.t("error_page.404_text").to_owned()
    } else {
        message
    };
    let details = match error {
        Some(AppError::Validation(errors)) => errors
            .iter()
            .map(|e| (field_label(&ctx, &e.field), e.problem.message(lang)))
            .collect(),
        _ => Vec::new(),
    };
    let back = res
        .request()
        .headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| same_site_path(r, res.request()))
        .filter(|path| path != res.request().path());
    let page = ErrorPage {
        ctx: &ctx,
        code: status.as_u16(),
        title: ctx.t(title_key(status)),
        message,
        details,
        back,
    };
    let Ok(body) = page.render() else {
        return Ok(res.map_into_left_body());
    };
    // Only the body and its type change: the status, the error (for the
    // request log) and every header the error set (Retry-After,
    // WWW-Authenticate, cookies) stay.
    Ok(res
        .map_body(|head, _| {
            let headers = head.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if let Ok(value) = header::HeaderValue::from_str(lang.as_str()) {
                headers.insert(header::CONTENT_LANGUAGE, value);
            }
            headers.remove(header::CONTENT_LENGTH);
            actix_web::body::BoxBody::new(body)
        })
        .map_into_right_body())
}

/// A field's label in the page's language when the form has one, else its name.
fn field_label(ctx: &PageContext, field: &str) -> String {
    let key = format!("field.{field}");
    if crate::i18n::has_key(&key) {
        ctx.t(&key).to_owned()
    } else {
        field.to_owned()
    }
}

/// The path of a Referer on this site (host and scheme as requested), so
/// that "back" never leads elsewhere.
fn same_site_path(referer: &str, req: &actix_web::HttpRequest) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    let info = req.connection_info();
    let host = url.host_str()?;
    let with_port = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    // One leading slash: `//evil.example/x` would lead to another site.
    let path = format!("/{}", url.path().trim_start_matches(['/', '\\']));
    (with_port == info.host()).then(|| match url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}
