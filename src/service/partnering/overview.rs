//! What organizers and participants look at: the grid of slots × tables,
//! the requests left out and why, counts, a participant's agenda, and the
//! CSV exports (UTF-8 with a BOM and CRLF, as Excel in Japan expects).

use std::collections::HashMap;

use super::board::{Board, board};
use super::schedule::Mode;
use super::{event, load_day};
use crate::db::DbConn;
use crate::db::meetings::{self as mdb, MeetingDetails};
use crate::db::partnering::{self as pdb, Profile, Request};
use crate::db::registrations::Registration;
use crate::domain::{Language, MeetingId, RegistrationId, RequestStatus, TimeZone};
use crate::error::AppError;
use crate::i18n::{format_range, t};
use crate::scheduling::{self, Reason};
use crate::service::export::csv;

/// A placed meeting in the grid.
pub struct Placed {
    pub request: Request,
    pub meeting: MeetingDetails,
    pub slot: usize,
    pub table: usize,
}

/// An accepted request without a meeting: why (none: the next run places it).
pub struct Waiting {
    pub request: Request,
    pub reason: Option<Reason>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: usize,
    pub accepted: usize,
    pub placed: usize,
    pub without_meeting: usize,
}

pub struct Overview {
    pub board: Board,
    /// Every request of the day, in the order made.
    pub requests: Vec<Request>,
    pub placed: Vec<Placed>,
    pub waiting: Vec<Waiting>,
    pub counts: Counts,
}

impl Overview {
    pub fn profile(&self, who: &RegistrationId) -> Option<&Profile> {
        self.board.profiles.get(who)
    }

    pub fn person(&self, who: &RegistrationId) -> Option<&Registration> {
        self.board.participants.iter().find(|r| &r.id == who)
    }

    /// "Company (CC)" of a side.
    pub fn company(&self, who: &RegistrationId) -> String {
        self.profile(who)
            .map(|p| format!("{} ({})", p.organization, p.country))
            .unwrap_or_default()
    }
}

pub fn overview(conn: &mut DbConn, slug: &str) -> Result<Overview, AppError> {
    let e = event(conn, slug)?;
    let day = load_day(conn, e)?;
    let all = pdb::requests(conn, &day.event.event.id)?;
    let board = board(conn, day)?;
    let ids: Vec<&MeetingId> = board.placed.values().map(|(_, _, m)| m).collect();
    let found = mdb::find_many(conn, &ids)?;
    let mut meetings: HashMap<MeetingId, MeetingDetails> = mdb::with_details(conn, found)?
        .into_iter()
        .map(|d| (d.meeting.id.clone(), d))
        .collect();
    let mut placed: Vec<Placed> = board
        .accepted
        .iter()
        .filter_map(|r| {
            let (slot, table, m) = board.placed.get(&r.id)?;
            Some(Placed {
                request: r.clone(),
                meeting: meetings.remove(m)?,
                slot: *slot,
                table: *table,
            })
        })
        .collect();
    placed.sort_by_key(|p| (p.slot, p.table));
    // Why the others wait: what a run now would say of them.
    let preview = scheduling::solve(&board.instance(Mode::Incremental)).ok();
    let reasons: HashMap<&str, Reason> = preview
        .iter()
        .flat_map(|p| p.unplaced.iter().map(|u| (u.request.as_str(), u.reason)))
        .collect();
    let waiting: Vec<Waiting> = board
        .accepted
        .iter()
        .filter(|r| !board.placed.contains_key(&r.id))
        .map(|r| Waiting {
            request: r.clone(),
            reason: reasons.get(r.id.as_str()).copied(),
        })
        .collect();
    let mut with_meeting = std::collections::HashSet::new();
    for p in &placed {
        with_meeting.insert(&p.request.requester_id);
        with_meeting.insert(&p.request.recipient_id);
    }
    let counts = Counts {
        requests: all.len(),
        accepted: all
            .iter()
            .filter(|r| r.status == RequestStatus::Accepted)
            .count(),
        placed: placed.len(),
        without_meeting: board
            .participants
            .iter()
            .filter(|r| !with_meeting.contains(&r.id))
            .count(),
    };
    Ok(Overview {
        board,
        requests: all,
        placed,
        waiting,
        counts,
    })
}

/// The schedule: one line per meeting, by slot and table, in `lang`.
pub fn schedule_csv(o: &Overview, lang: Language) -> String {
    let mut rows = vec![
        [
            "csv.time",
            "csv.table",
            "csv.place",
            "csv.company_a",
            "csv.contact_a",
            "csv.company_b",
            "csv.contact_b",
            "csv.interpreter",
            "csv.priority",
        ]
        .iter()
        .map(|k| t(lang, k).to_owned())
        .collect::<Vec<_>>(),
    ];
    for p in &o.placed {
        let slot = &o.board.day.slots.slots[p.slot];
        let table = &o.board.day.tables[p.table];
        let contact = |who: &RegistrationId| {
            o.person(who)
                .map(|r| format!("{} <{}>", r.name, r.email))
                .unwrap_or_default()
        };
        let place = match (&p.meeting.room, &table.online_url) {
            (Some((room, venue)), _) => format!(
                "{} {}",
                lang.pick(&venue.name_ja, &venue.name_en),
                lang.pick(&room.name_ja, &room.name_en)
            ),
            (None, Some(url)) => url.clone(),
            (None, None) => String::new(),
        };
        rows.push(vec![
            format_range(lang, slot.starts_at, slot.ends_at, TimeZone::TOKYO),
            table.label.clone(),
            place,
            o.company(&p.request.requester_id),
            contact(&p.request.requester_id),
            o.company(&p.request.recipient_id),
            contact(&p.request.recipient_id),
            p.meeting.meeting.interpreter.clone().unwrap_or_default(),
            p.request.priority.to_string(),
        ]);
    }
    csv(&rows)
}

/// The participants with their profiles, in `lang`.
pub fn participants_csv(o: &Overview, lang: Language) -> String {
    let mut rows = vec![
        [
            "csv.name",
            "csv.email",
            "csv.company",
            "csv.country",
            "csv.time_zone",
            "csv.language",
            "csv.offer_categories",
            "csv.offer",
            "csv.seek_categories",
            "csv.seek",
            "csv.listed",
            "csv.interpreter",
            "csv.unavailable",
            "csv.meetings",
        ]
        .iter()
        .map(|k| t(lang, k).to_owned())
        .collect::<Vec<_>>(),
    ];
    let labels = |stored: &str| {
        super::profiles::categories(stored)
            .unwrap_or_default()
            .iter()
            .map(|c| t(lang, c.label_key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let yes_no = |b: bool| t(lang, if b { "csv.yes" } else { "csv.no" }).to_owned();
    for r in &o.board.participants {
        let Some(p) = o.profile(&r.id) else { continue };
        let unavailable = o
            .board
            .blocked
            .get(&r.id)
            .map(|b| {
                b.iter()
                    .map(|s| {
                        let slot = &o.board.day.slots.slots[*s];
                        format_range(lang, slot.starts_at, slot.ends_at, TimeZone::TOKYO)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let meetings = o
            .placed
            .iter()
            .filter(|m| m.request.requester_id == r.id || m.request.recipient_id == r.id)
            .count();
        rows.push(vec![
            r.name.clone(),
            r.email.clone(),
            p.organization.clone(),
            p.country.clone(),
            p.time_zone.clone(),
            r.language.clone(),
            labels(&p.offer_categories),
            p.offer.clone(),
            labels(&p.seek_categories),
            p.seek.clone(),
            yes_no(p.listed),
            yes_no(p.interpreter),
            unavailable,
            meetings.to_string(),
        ]);
    }
    csv(&rows)
}

/// One meeting of a participant's agenda.
pub struct AgendaItem {
    pub meeting: MeetingDetails,
    /// The participant's own attendee row (their answer, their link).
    pub me: mdb::Attendee,
    pub other: Profile,
    pub table: Option<crate::db::partnering::Table>,
}

/// A participant's partnering meetings, in time order.
pub fn agenda(
    conn: &mut DbConn,
    r: &Registration,
) -> Result<(super::Day, Vec<AgendaItem>), AppError> {
    let day = super::profiles::day_of(conn, r)?;
    let requests = pdb::requests_of(conn, &r.id)?;
    let ids: Vec<&MeetingId> = requests
        .iter()
        .filter_map(|q| q.meeting_id.as_ref())
        .collect();
    let found = mdb::find_many(conn, &ids)?;
    let details = mdb::with_details(conn, found)?;
    let others: Vec<&RegistrationId> = requests.iter().map(|q| q.other(&r.id)).collect();
    let people = crate::db::registrations::find_many(conn, &others)?;
    let profiles: HashMap<RegistrationId, Profile> = pdb::profiles_by_ids(conn, &others)?
        .into_iter()
        .map(|p| (p.registration_id.clone(), p))
        .collect();
    let mut items = Vec::new();
    for d in details {
        if d.meeting.status != crate::domain::MeetingStatus::Confirmed {
            continue;
        }
        let Some(q) = requests
            .iter()
            .find(|q| q.meeting_id.as_ref() == Some(&d.meeting.id))
        else {
            continue;
        };
        let Some(me) = d
            .listed()
            .find(|a| a.attendee.email_key == r.email_key)
            .map(|a| a.attendee.clone())
        else {
            continue;
        };
        let other_id = q.other(&r.id);
        let other = match profiles.get(other_id) {
            Some(p) => p.clone(),
            None => match people.iter().find(|p| &p.id == other_id) {
                Some(p) => super::profiles::default_profile(p),
                None => continue,
            },
        };
        let table = day
            .tables
            .iter()
            .find(|t| Some(&t.label) == d.meeting.table_label.as_ref())
            .cloned();
        items.push(AgendaItem {
            meeting: d,
            me,
            other,
            table,
        });
    }
    items.sort_by_key(|i| i.meeting.meeting.starts_at);
    Ok((day, items))
}
