//! Caches and compression (RFC 9110 §8.8.3, §12.5.5): a compressed answer
//! is another representation, so it carries another ETag (the identity
//! one with `-gzip` or `-deflate` appended), and every answer whose body
//! depends on Accept-Encoding says so with `Vary: Accept-Encoding`, the
//! uncompressed ones and 304s included. Wraps actix-web's `Compress`,
//! which adds Vary only to what it compresses.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderValue,
};
use actix_web::middleware::Next;

/// What `Compress` (with actix-web's `compress-gzip` feature) offers.
fn offered() -> [Encoding; 3] {
    [
        Encoding::Known(ContentEncoding::Gzip),
        Encoding::Known(ContentEncoding::Deflate),
        Encoding::identity(),
    ]
}

/// The content coding `Compress` chooses for this request, None for identity.
fn negotiated(req: &ServiceRequest) -> Option<&'static str> {
    let accept = AcceptEncoding::parse(req).ok()?;
    match accept.negotiate(offered().iter())? {
        Encoding::Known(ContentEncoding::Gzip) => Some("gzip"),
        Encoding::Known(ContentEncoding::Deflate) => Some("deflate"),
        _ => None,
    }
}

/// Whether `Compress` compresses a body of this type (its default
/// predicate: everything but images other than SVG, and video).
fn compressible(content_type: Option<&HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let ct = ct.trim().to_ascii_lowercase();
    if ct.starts_with("image/") {
        return ct.starts_with("image/svg");
    }
    !ct.starts_with("video/")
}

/// The ETag of the representation in `coding`: `"abc"` → `"abc-gzip"`,
/// keeping a weak `W/` prefix.
pub fn coded_etag(etag: &str, coding: &str) -> Option<String> {
    let (weak, quoted) = match etag.strip_prefix("W/") {
        Some(rest) => ("W/", rest),
        None => ("", etag),
    };
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some(format!("{weak}\"{inner}-{coding}\""))
}

/// Whether an If-None-Match entity tag names `etag` in any coding (weak
/// comparison, RFC 9110 §13.1.2: `W/` and the coding suffix aside).
pub fn names(tag: &str, etag: &str) -> bool {
    let bare = |t: &str| -> Option<String> {
        let t = t.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        let inner = t.strip_prefix('"')?.strip_suffix('"')?;
        let inner = ["-gzip", "-deflate"]
            .iter()
            .find_map(|s| inner.strip_suffix(s))
            .unwrap_or(inner);
        Some(inner.to_owned())
    };
    tag.trim() == "*" || (bare(tag).is_some() && bare(tag) == bare(etag))
}

/// Tags and varies every answer as described above.
pub async fn representations(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let wanted = negotiated(&req);
    let mut res = next.call(req).await?;
    let status = res.status();
    let headers = res.headers_mut();
    if !compressible(headers.get(header::CONTENT_TYPE)) && status != StatusCode::NOT_MODIFIED {
        return Ok(res);
    }
    // The coding of this body, or for a 304 the coding a 200 would have.
    let coding = match headers.get(header::CONTENT_ENCODING) {
        Some(v) => v.to_str().ok().map(str::to_owned),
        None if status == StatusCode::NOT_MODIFIED => wanted.map(str::to_owned),
        None => None,
    };
    if let Some(coding) = coding.filter(|c| c != "identity")
        && let Some(tagged) = headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(|etag| coded_etag(etag, &coding))
        && let Ok(value) = HeaderValue::from_str(&tagged)
    {
        headers.insert(header::ETAG, value);
    }
    let varies = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|f| f.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_tags_differ_and_match_either_form() {
        assert_eq!(
            coded_etag("\"ab12\"", "gzip").as_deref(),
            Some("\"ab12-gzip\"")
        );
        assert_eq!(
            coded_etag("W/\"ab12\"", "gzip").as_deref(),
            Some("W/\"ab12-gzip\"")
        );
        assert_eq!(coded_etag("ab12", "gzip"), None);
        for tag in [
            "\"ab12\"",
            "\"ab12-gzip\"",
            "W/\"ab12-gzip\"",
            "W/\"ab12\"",
            "*",
        ] {
            assert!(names(tag, "\"ab12\""), "{tag}");
        }
        for tag in ["\"ab13\"", "\"ab12-br\"", "ab12", "\"\""] {
            assert!(!names(tag, "\"ab12\""), "{tag}");
        }
    }
}
