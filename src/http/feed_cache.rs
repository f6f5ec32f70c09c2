//! Rendered calendars with their validators: a strong ETag and
//! Last-Modified per body, 304 for a current copy, and a cache of public
//! feeds that is invalidated by any committed change (this instance's at
//! once, another instance's within a second).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::db::{self, Pool, data_version};
use crate::error::AppError;
use crate::service;

/// How long another instance's change may take to show (one process sees
/// its own changes at once).
const VERSION_TTL: StdDuration = StdDuration::from_secs(1);
const MAX_ENTRIES: usize = 512;

pub struct Rendered {
    body: web::Bytes,
    etag: String,
    last_modified: HttpDate,
}

#[derive(Clone, Copy)]
struct Version {
    number: i64,
    changed_at: NaiveDateTime,
    checked_at: Instant,
    local_commits: u64,
}

#[derive(Default)]
pub struct FeedCache {
    version: Mutex<Option<Version>>,
    entries: Mutex<HashMap<String, Arc<Rendered>>>,
}

impl FeedCache {
    pub async fn version(&self, pool: &Pool) -> Result<(i64, NaiveDateTime), AppError> {
        let commits = data_version::local_commits();
        if let Ok(guard) = self.version.lock()
            && let Some(v) = *guard
            && v.local_commits == commits
            && v.checked_at.elapsed() < VERSION_TTL
        {
            return Ok((v.number, v.changed_at));
        }
        let (number, changed_at) =
            service::run(pool, |conn| Ok(data_version::current(conn)?)).await?;
        if let Ok(mut guard) = self.version.lock() {
            *guard = Some(Version {
                number,
                changed_at,
                checked_at: Instant::now(),
                local_commits: commits,
            });
        }
        Ok((number, changed_at))
    }

    pub fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    pub fn put(&self, key: String, rendered: Arc<Rendered>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, rendered);
        }
    }
}

/// A calendar body with its strong ETag and Last-Modified.
pub fn rendered(body: String, changed_at: NaiveDateTime) -> Rendered {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let last_modified = HttpDate::from(std::time::SystemTime::from(db::to_utc(changed_at)));
    Rendered {
        body: web::Bytes::from(body),
        etag,
        last_modified,
    }
}

/// One person's calendar: kept by their own client only, and asked for
/// again each time (a copy from before they were taken off must not be
/// served by a shared cache).
pub fn private(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// 200 with the feed, or 304 when the client's copy is current
/// (If-None-Match wins over If-Modified-Since, RFC 9110 §13.2.2).
pub fn respond(req: &HttpRequest, r: &Rendered) -> HttpResponse {
    let headers = req.headers();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
    {
        Some(tags) => tags
            .split(',')
            .map(str::trim)
            .any(|tag| super::encoding::names(tag, &r.etag)),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|h| h.to_str().ok())
            .and_then(|s| s.parse::<HttpDate>().ok())
            .is_some_and(|since| {
                std::time::SystemTime::from(since) >= std::time::SystemTime::from(r.last_modified)
            }),
    };
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, r.etag.clone()))
        .insert_header((header::LAST_MODIFIED, r.last_modified.to_string()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    if not_modified {
        response.finish()
    } else {
        response
            .content_type("text/calendar; charset=utf-8")
            .body(r.body.clone())
    }
}
