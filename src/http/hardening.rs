//! What every response and request passes through: security headers,
//! HEAD answered like GET, and the request origin of forms.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use super::AppState;

/// Pages load scripts and styles from this site only (nothing inline), and
/// no other site may frame them.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Pages that show one person's data or an organizer's: never stored by a
/// browser or a proxy.
const PRIVATE_PREFIXES: &[&str] = &["/admin", "/registrations/", "/meetings/", "/check-in/"];

/// Security headers on every answer: CSP and framing on HTML,
/// `Strict-Transport-Security` when the service is served over https,
/// `Cache-Control: no-store` on private pages.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies());
    let private = PRIVATE_PREFIXES
        .iter()
        .any(|p| req.path().starts_with(p) || req.path() == p.trim_end_matches('/'));
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// HEAD is answered like GET without the body: routes are declared for GET,
/// and the HTTP layer, which saw the HEAD, leaves the body out.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Whether a form comes from this site: its `Origin` (or, without one, its
/// `Referer`) is the base URL's origin or this request's own host. A request
/// with neither header passes (the CSRF token still has to match); `null`
/// (a sandboxed or privacy-stripped origin) does not.
pub fn same_origin(req: &HttpRequest, base_url: &str) -> bool {
    let headers = req.headers();
    let claimed = match headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().ok().map(str::to_owned),
        None => match headers.get(header::REFERER) {
            Some(referer) => referer
                .to_str()
                .ok()
                .and_then(|r| url::Url::parse(r).ok())
                .map(|u| u.origin().ascii_serialization()),
            None => return true,
        },
    };
    let Some(claimed) = claimed else {
        return false;
    };
    let base = url::Url::parse(base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if claimed == base {
        return true;
    }
    let host = req.connection_info().host().to_owned();
    claimed == format!("http://{host}") || claimed == format!("https://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::post().insert_header(("Host", "127.0.0.1:41000"));
        for h in headers {
            r = r.insert_header(*h);
        }
        r.to_http_request()
    }

    #[test]
    fn forms_from_other_sites_are_told_apart() {
        let base = "https://events.link-j.example";
        assert!(
            same_origin(&request(&[]), base),
            "no header: the token decides"
        );
        assert!(same_origin(
            &request(&[("Origin", "https://events.link-j.example")]),
            base
        ));
        assert!(same_origin(
            &request(&[("Origin", "http://127.0.0.1:41000")]),
            base
        ));
        assert!(same_origin(
            &request(&[("Referer", "https://events.link-j.example/events/x?lang=en")]),
            base
        ));
        for bad in [
            ("Origin", "https://evil.example"),
            ("Origin", "null"),
            ("Origin", "https://events.link-j.example.evil.example"),
            ("Referer", "https://evil.example/events.link-j.example"),
            ("Referer", "not a url"),
        ] {
            assert!(!same_origin(&request(&[bad]), base), "{bad:?}");
        }
    }
}
