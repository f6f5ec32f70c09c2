//! A meeting attendee's own page, reached by the link in their mail: the
//! meeting in Japan's time and theirs, who else attends, calendar links,
//! and their answer (Accept / Tentative / Decline), without an account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{ZonedTime, zoned_times};
use super::{CsrfForm, FeedLink, PageContext};
use crate::db::meetings::MeetingDetails;
use crate::db::to_utc;
use crate::domain::{MeetingStatus, PartStat, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::http::feed_cache::{rendered, respond};
use crate::ical::feed::{CalendarInfo, calendar_with_meetings};
use crate::ical::meeting::{self as ical, Copy, View};
use crate::service::{self, meetings::attendee as svc};

pub fn config(cfg: &mut web::ServiceConfig) {
    // The .ics route first: `{token}` alone would also match `x.ics`.
    cfg.route("/meetings/{token}.ics", web::get().to(ics))
        .route("/meetings/{token}", web::get().to(show))
        .route("/meetings/{token}/answer", web::post().to(answer))
        .route("/meetings/{token}/rotate-feed", web::post().to(rotate_feed))
        .route(
            "/meetings/{token}/unsubscribe",
            web::get().to(unsubscribe_page),
        )
        .route("/meetings/{token}/unsubscribe", web::post().to(unsubscribe));
}

struct AttendeeLine {
    name: String,
    company: String,
    answer: &'static str,
    partstat: &'static str,
    me: bool,
}

#[derive(Template)]
#[template(path = "meetings/show.html")]
struct MeetingPage<'a> {
    ctx: &'a PageContext,
    token: String,
    title: String,
    title_other: String,
    times: Vec<ZonedTime>,
    place: String,
    online_url: Option<String>,
    agenda: String,
    interpreter: Option<String>,
    attendees: Vec<AttendeeLine>,
    /// Taken off the list, or the meeting is cancelled.
    cancelled: bool,
    removed: bool,
    can_answer: bool,
    partstat: &'static str,
    answer_label: &'a str,
    saved: bool,
    google_url: String,
    feed: FeedLink,
    reminders: bool,
}

#[derive(Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn show(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let token = token.into_inner();
    let t2 = token.clone();
    let invited = service::run(&state.pool, move |conn| svc::view(conn, &keys, &t2)).await?;
    let ctx = ctx.for_guest(&invited.attendee.language);
    let me = &invited.attendee;
    let d = &invited.meeting;
    let m = &d.meeting;
    let (start, end) = (to_utc(m.starts_at), to_utc(m.ends_at));
    let times = zoned_times(
        &ctx,
        start,
        end,
        TimeZone::from_stored(&m.time_zone),
        Some(TimeZone::from_stored(&me.time_zone)),
    );
    let cancelled = m.status == MeetingStatus::Cancelled;
    let removed = !me.is_listed();
    // Someone taken off the list sees the meeting, not who attends it.
    let attendees = if removed {
        Vec::new()
    } else {
        d.listed()
            .map(|a| AttendeeLine {
                name: a.attendee.name.clone(),
                company: a.company(ctx.lang).to_owned(),
                answer: ctx.t(a.attendee.partstat.label_key()),
                partstat: a.attendee.partstat.as_str(),
                me: a.attendee.id == me.id,
            })
            .collect()
    };
    let can_answer = !cancelled && !removed && end > chrono::Utc::now();
    ctx.render(&MeetingPage {
        ctx: &ctx,
        token,
        title: ctx.pick(&m.title_ja, &m.title_en).to_owned(),
        title_other: ctx.lang.other().pick(&m.title_ja, &m.title_en).to_owned(),
        times,
        place: ical::location(d, ctx.lang),
        online_url: m.online_url.clone().filter(|_| !removed && !cancelled),
        agenda: if removed {
            String::new()
        } else {
            m.agenda.trim().to_owned()
        },
        interpreter: m
            .interpreter
            .as_ref()
            .filter(|_| !removed)
            .map(|p| p.replace('-', " ⇄ ")),
        attendees,
        cancelled,
        removed,
        can_answer,
        partstat: me.partstat.as_str(),
        answer_label: ctx.t(me.partstat.label_key()),
        saved: query.saved.is_some(),
        google_url: google_calendar_url(&ctx, d, !removed && !cancelled),
        feed: ctx.feed(format!("/feeds/{}.ics", invited.feed_token.expose())),
        reminders: me.reminders,
    })
}

/// A Google Calendar "add event" link: the title, the time, the place.
/// The way in (the online link) only for an attendee still on the list.
fn google_calendar_url(ctx: &PageContext, d: &MeetingDetails, way_in: bool) -> String {
    let m = &d.meeting;
    let stamp = |t: chrono::NaiveDateTime| to_utc(t).format("%Y%m%dT%H%M%SZ").to_string();
    let mut details = String::new();
    if let Some(url) = m.online_url.as_ref().filter(|_| way_in) {
        details.push_str(url);
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "TEMPLATE")
        .append_pair("text", ctx.pick(&m.title_ja, &m.title_en))
        .append_pair(
            "dates",
            &format!("{}/{}", stamp(m.starts_at), stamp(m.ends_at)),
        )
        .append_pair("ctz", &m.time_zone)
        .append_pair("location", &ical::location(d, ctx.lang))
        .append_pair("details", &details)
        .finish();
    format!("https://calendar.google.com/calendar/render?{query}")
}

#[derive(Deserialize)]
struct AnswerForm {
    partstat: String,
}

async fn answer(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner()?;
    let partstat = PartStat::parse(&form.partstat).map_err(|p| AppError::field("partstat", p))?;
    let token = token.into_inner();
    let t2 = token.clone();
    service::run(&state.pool, move |conn| svc::answer(conn, &t2, partstat)).await?;
    Ok(ctx.see_other(&format!("/meetings/{token}?saved=1")))
}

async fn rotate_feed(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
    form: CsrfForm<super::Button>,
) -> Result<HttpResponse, AppError> {
    form.into_inner()?;
    let token = token.into_inner();
    let t2 = token.clone();
    let keys = state.keys.clone();
    service::run(&state.pool, move |conn| svc::rotate_feed(conn, &keys, &t2)).await?;
    Ok(ctx.see_other(&format!("/meetings/{token}")))
}

/// The attendee's copy of the meeting as a one-event calendar (PUBLISH),
/// with the status of their answer.
async fn ics(
    state: web::Data<AppState>,
    ctx: PageContext,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let token = token.into_inner();
    let invited = service::run(&state.pool, move |conn| svc::view(conn, &keys, &token)).await?;
    let ctx = ctx.for_guest(&invited.attendee.language);
    let settings = &state.settings;
    let host = settings.host();
    let title = ctx
        .pick(
            &invited.meeting.meeting.title_ja,
            &invited.meeting.meeting.title_en,
        )
        .to_owned();
    let info = CalendarInfo {
        name: &title,
        source_url: &ctx.absolute(req.path()),
        lang: ctx.lang,
        base_url: &settings.base_url,
        uid_host: &host,
        organizer_email: &settings.mail_from,
    };
    let copy = Copy {
        details: &invited.meeting,
        view: View::Personal {
            attendee: &invited.attendee,
        },
    };
    let body = calendar_with_meetings(&info, &[], &[copy]);
    let changed = invited
        .meeting
        .meeting
        .updated_at
        .max(invited.attendee.updated_at);
    Ok(crate::http::feed_cache::private(respond(
        &req,
        &rendered(body, changed),
    )))
}

#[derive(Template)]
#[template(path = "meetings/unsubscribe.html")]
struct UnsubscribePage<'a> {
    ctx: &'a PageContext,
    token: String,
    title: String,
    done: bool,
}

/// A confirmation page for people who follow the link instead of their
/// mail program's one-click button.
async fn unsubscribe_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let token = token.into_inner();
    let t2 = token.clone();
    let invited = service::run(&state.pool, move |conn| svc::view(conn, &keys, &t2)).await?;
    let ctx = ctx.for_guest(&invited.attendee.language);
    let m = &invited.meeting.meeting;
    ctx.render(&UnsubscribePage {
        ctx: &ctx,
        token,
        title: ctx.pick(&m.title_ja, &m.title_en).to_owned(),
        done: false,
    })
}

/// RFC 8058 one-click unsubscribe: mail programs POST without cookies, so
/// no CSRF token is asked for; the unguessable token in the URL is the proof.
async fn unsubscribe(
    state: web::Data<AppState>,
    ctx: PageContext,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let keys = state.keys.clone();
    let token = token.into_inner();
    let t2 = token.clone();
    let invited = service::run(&state.pool, move |conn| {
        svc::unsubscribe(conn, &t2)?;
        svc::view(conn, &keys, &t2)
    })
    .await?;
    let ctx = ctx.for_guest(&invited.attendee.language);
    let m = &invited.meeting.meeting;
    ctx.render_status(
        StatusCode::OK,
        &UnsubscribePage {
            ctx: &ctx,
            token,
            title: ctx.pick(&m.title_ja, &m.title_en).to_owned(),
            done: true,
        },
    )
}
