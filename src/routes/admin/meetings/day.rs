//! The day view: rooms as columns, half hours as rows, meetings and
//! events in their cells, so that a free room shows at a glance.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::Deserialize;

use super::super::AdminUser;
use crate::db::meetings::{MeetingDetails, MeetingFilter};
use crate::db::users::User;
use crate::db::{self, bookings::BookedBy};
use crate::domain::{Invalid, MeetingId, MeetingStatus, TimeZone};
use crate::error::AppError;
use crate::http::AppState;
use crate::routes::PageContext;
use crate::service::meetings as svc;
use crate::service::{self, venues};

pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/meetings", web::get().to(day_view));
}

/// The grid's rows: every half hour from 08:00 to 20:00 (Japan time),
/// wider when a meeting of the day starts earlier or ends later.
const SLOT_MINUTES: i64 = 30;

enum Cell {
    Free,
    /// A meeting or event starts in this slot and spans `rows` slots.
    Taken {
        rows: usize,
        title: String,
        href: Option<String>,
        when: String,
        class: &'static str,
    },
    /// Covered by the cell above.
    Covered,
}

struct GridRow {
    time: String,
    cells: Vec<Cell>,
}

struct OnlineMeeting {
    title: String,
    href: String,
    when: String,
}

#[derive(Template)]
#[template(path = "admin/meetings/day.html")]
struct DayPage<'a> {
    ctx: &'a PageContext,
    user: &'a User,
    day: String,
    previous: String,
    next: String,
    rooms: Vec<String>,
    grid: Vec<GridRow>,
    online: Vec<OnlineMeeting>,
    cancelled: Vec<OnlineMeeting>,
}

#[derive(Deserialize)]
struct DayQuery {
    day: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn day_view(
    state: web::Data<AppState>,
    ctx: PageContext,
    user: AdminUser,
    query: web::Query<DayQuery>,
) -> Result<HttpResponse, AppError> {
    let tokyo = TimeZone::TOKYO.tz();
    let today = Utc::now().with_timezone(&tokyo).date_naive();
    let day = match query.day.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .filter(|d| {
                (crate::domain::MIN_YEAR..=crate::domain::MAX_YEAR)
                    .contains(&chrono::Datelike::year(d))
            })
            .ok_or_else(|| AppError::field("day", Invalid::new("invalid.date")))?,
        None => today,
    };
    let start = tokyo
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .ok_or(AppError::NotFound)?
        .with_timezone(&Utc);
    let end = start + Duration::days(1);
    let (from, to) = (db::from_utc(start), db::from_utc(end));
    let (meetings, venues, bookings) = service::run(&state.pool, move |conn| {
        let meetings = svc::list(
            conn,
            MeetingFilter {
                ends_after: Some(from),
                starts_before: Some(to),
                ..Default::default()
            },
        )?;
        let venues = venues::list(conn)?;
        let rooms: Vec<crate::domain::RoomId> = venues
            .iter()
            .flat_map(|v| v.rooms.iter().map(|r| r.id.clone()))
            .collect();
        let refs: Vec<&crate::domain::RoomId> = rooms.iter().collect();
        let bookings = db::bookings::overlapping(conn, &refs, from, to, None)?;
        Ok((meetings, venues, bookings))
    })
    .await?;
    let rooms: Vec<(crate::domain::RoomId, String)> = venues
        .iter()
        .flat_map(|v| {
            v.rooms.iter().map(|r| {
                (
                    r.id.clone(),
                    format!(
                        "{} {}",
                        ctx.pick(&v.venue.name_ja, &v.venue.name_en),
                        ctx.pick(&r.name_ja, &r.name_en)
                    ),
                )
            })
        })
        .collect();
    let by_id: HashMap<&MeetingId, &MeetingDetails> =
        meetings.iter().map(|d| (&d.meeting.id, d)).collect();
    // The hours shown: 08:00–20:00, or wider for what the day holds.
    let hour_of = |t: chrono::NaiveDateTime| {
        let local = db::to_utc(t).with_timezone(&tokyo);
        if local.date_naive() < day {
            0
        } else if local.date_naive() > day {
            24 * 60
        } else {
            i64::from(chrono::Timelike::hour(&local)) * 60
                + i64::from(chrono::Timelike::minute(&local))
        }
    };
    let mut first = 8 * 60;
    let mut last = 20 * 60;
    for (_, b) in &bookings {
        let (s, e, _) = b.interval();
        first = first.min(hour_of(s) / SLOT_MINUTES * SLOT_MINUTES);
        last = last.max(hour_of(e));
    }
    let slots: Vec<i64> = (first..last).step_by(SLOT_MINUTES as usize).collect();
    let mut grid: Vec<GridRow> = slots
        .iter()
        .map(|m| GridRow {
            time: format!("{:02}:{:02}", m / 60, m % 60),
            cells: rooms.iter().map(|_| Cell::Free).collect(),
        })
        .collect();
    for (room_id, booked) in &bookings {
        let Some(col) = rooms.iter().position(|(id, _)| id == room_id) else {
            continue;
        };
        let (s, e, _) = booked.interval();
        let (from_min, to_min) = (hour_of(s), hour_of(e));
        let Some(row) = slots.iter().position(|m| m + SLOT_MINUTES > from_min) else {
            continue;
        };
        let rows = slots[row..]
            .iter()
            .take_while(|m| **m < to_min)
            .count()
            .max(1);
        let when = format!("{}–{}", clock(s), clock(e));
        let (title, href, class) = match booked {
            BookedBy::Meeting(m) => (
                by_id
                    .get(&m.id)
                    .map(|d| meeting_label(&ctx, d))
                    .unwrap_or_else(|| ctx.pick(&m.title_ja, &m.title_en).to_owned()),
                Some(format!("/admin/meetings/{}", m.id)),
                "meeting",
            ),
            BookedBy::Event(e) => (
                ctx.pick(&e.title_ja, &e.title_en).to_owned(),
                Some(format!("/admin/events/{}/edit", e.slug)),
                "event",
            ),
        };
        grid[row].cells[col] = Cell::Taken {
            rows,
            title,
            href,
            when,
            class,
        };
        for r in grid.iter_mut().skip(row + 1).take(rows - 1) {
            r.cells[col] = Cell::Covered;
        }
    }
    let listed = |d: &MeetingDetails| OnlineMeeting {
        title: meeting_label(&ctx, d),
        href: format!("/admin/meetings/{}", d.meeting.id),
        when: format!(
            "{}–{}",
            clock(d.meeting.starts_at),
            clock(d.meeting.ends_at)
        ),
    };
    let online = meetings
        .iter()
        .filter(|d| d.room.is_none() && d.meeting.status == MeetingStatus::Confirmed)
        .map(listed)
        .collect();
    let cancelled = meetings
        .iter()
        .filter(|d| d.meeting.status == MeetingStatus::Cancelled)
        .map(listed)
        .collect();
    ctx.render(&DayPage {
        ctx: &ctx,
        user: &user.0,
        day: day.format("%Y-%m-%d").to_string(),
        previous: (day - Duration::days(1)).format("%Y-%m-%d").to_string(),
        next: (day + Duration::days(1)).format("%Y-%m-%d").to_string(),
        rooms: rooms.into_iter().map(|(_, name)| name).collect(),
        grid,
        online,
        cancelled,
    })
}

/// A time of day in Japan (the page says all its times are).
fn clock(t: chrono::NaiveDateTime) -> String {
    db::to_utc(t)
        .with_timezone(&TimeZone::TOKYO.tz())
        .format("%H:%M")
        .to_string()
}

/// A meeting in a list: its title and the companies meeting.
fn meeting_label(ctx: &PageContext, d: &MeetingDetails) -> String {
    let mut companies: Vec<&str> = Vec::new();
    for a in d.listed() {
        let c = a.company(ctx.lang);
        if !companies.contains(&c) {
            companies.push(c);
        }
    }
    format!(
        "{} ({})",
        ctx.pick(&d.meeting.title_ja, &d.meeting.title_en),
        companies.join(" × ")
    )
}
