//! What organizers do with an event's guests: the attendee list (pages,
//! search, counts), cancelling a registration or moving a waitlisted guest
//! up on a guest's behalf, and check-in at the reception.

use std::collections::HashMap;

use super::guest::cancel_in;
use super::promote_waitlisted;
use crate::db::events::{self as edb, Event};
use crate::db::registrations::{self as rdb, Registration};
use crate::db::{self, DbConn, write_tx};
use crate::domain::{
    EventId, Invalid, Language, RegistrationId, RegistrationStatus, Token, UserId,
};
use crate::error::AppError;
use crate::i18n::t;
use crate::service::keys::LinkKeys;

/// A registration as organizers see it, with its place on the waitlist
/// (1 for the next to get a seat) counted, not stored.
#[derive(Debug, Clone)]
pub struct Attendee {
    pub registration: Registration,
    pub waitlist_rank: Option<i64>,
}

/// One page of an event's attendee list.
#[derive(Debug, Clone)]
pub struct AttendeePage {
    pub event: Event,
    pub attendees: Vec<Attendee>,
    pub total: i64,
}

/// How many guests an event has, by status, and how many are checked in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub confirmed: i64,
    pub waitlisted: i64,
    pub cancelled: i64,
    pub checked_in: i64,
}

pub const MAX_PER_PAGE: i64 = 500;

fn event(conn: &mut DbConn, slug: &str) -> Result<Event, AppError> {
    edb::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)
}

/// The waitlisted guests' places, 1 for the first.
fn waitlist_ranks(
    conn: &mut DbConn,
    event_id: &EventId,
) -> Result<HashMap<RegistrationId, i64>, AppError> {
    Ok(rdb::waitlisted(conn, event_id)?
        .into_iter()
        .zip(1..)
        .map(|(r, rank)| (r.id, rank))
        .collect())
}

fn with_ranks(ranks: &HashMap<RegistrationId, i64>, rows: Vec<Registration>) -> Vec<Attendee> {
    rows.into_iter()
        .map(|registration| Attendee {
            waitlist_rank: ranks.get(&registration.id).copied(),
            registration,
        })
        .collect()
}

/// A waitlisted guest's place (1 for the next to get a seat).
pub fn waitlist_rank(conn: &mut DbConn, r: &Registration) -> Result<Option<i64>, AppError> {
    if r.status != RegistrationStatus::Waitlisted {
        return Ok(None);
    }
    Ok(waitlist_ranks(conn, &r.event_id)?.get(&r.id).copied())
}

/// One page (from 1) of an event's registrations in the order they came.
pub fn page(
    conn: &mut DbConn,
    slug: &str,
    status: Option<RegistrationStatus>,
    page: i64,
    per_page: i64,
) -> Result<AttendeePage, AppError> {
    let event = event(conn, slug)?;
    let offset = (page - 1).saturating_mul(per_page);
    let (rows, total) = rdb::page_for_event(conn, &event.id, status, offset, per_page)?;
    let ranks = waitlist_ranks(conn, &event.id)?;
    Ok(AttendeePage {
        attendees: with_ranks(&ranks, rows),
        event,
        total,
    })
}

/// Every registration of an event whose name, furigana, organization or
/// email contains `query` (case and width of Latin letters aside), with
/// the given status. An event has at most a few thousand guests, so the
/// search runs over the loaded rows.
pub fn search(
    conn: &mut DbConn,
    slug: &str,
    status: Option<RegistrationStatus>,
    query: &str,
) -> Result<AttendeePage, AppError> {
    let event = event(conn, slug)?;
    let needle = fold(query.trim());
    let rows: Vec<Registration> = rdb::all_for_event(conn, &event.id)?
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .filter(|r| {
            needle.is_empty()
                || [
                    Some(r.name.as_str()),
                    r.furigana.as_deref(),
                    Some(r.organization.as_str()),
                    Some(r.email.as_str()),
                ]
                .into_iter()
                .flatten()
                .any(|field| fold(field).contains(&needle))
        })
        .collect();
    let ranks = waitlist_ranks(conn, &event.id)?;
    Ok(AttendeePage {
        total: rows.len() as i64,
        attendees: with_ranks(&ranks, rows),
        event,
    })
}

/// Lowercase, full-width Latin letters and digits as half-width, and
/// katakana as hiragana, so that 「ヤマダ」 finds 「やまだ」.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Counts per event (events without guests are absent).
pub fn counts(conn: &mut DbConn) -> Result<HashMap<EventId, Counts>, AppError> {
    Ok(counted(rdb::counts(conn, None)?))
}

/// The counts of one event.
pub fn counts_of(conn: &mut DbConn, event_id: &EventId) -> Result<Counts, AppError> {
    Ok(counted(rdb::counts(conn, Some(event_id))?)
        .remove(event_id)
        .unwrap_or_default())
}

fn counted(rows: Vec<(EventId, RegistrationStatus, i64, i64)>) -> HashMap<EventId, Counts> {
    let mut out: HashMap<EventId, Counts> = HashMap::new();
    for (event_id, status, n, checked_in) in rows {
        let c = out.entry(event_id).or_default();
        match status {
            RegistrationStatus::Confirmed => c.confirmed += n,
            RegistrationStatus::Waitlisted => c.waitlisted += n,
            RegistrationStatus::Cancelled => c.cancelled += n,
        }
        c.checked_in += checked_in;
    }
    out
}

/// A registration of this event by its id (404 when it belongs to another).
pub fn of_event(
    conn: &mut DbConn,
    slug: &str,
    id: &str,
) -> Result<(Event, Registration), AppError> {
    let event = event(conn, slug)?;
    let registration = rdb::find(conn, &RegistrationId::from(id))?
        .filter(|r| r.event_id == event.id)
        .ok_or(AppError::NotFound)?;
    Ok((event, registration))
}

/// An organizer cancels a guest's registration: the guest gets the same
/// mail as when they cancel themselves, and a freed seat goes to the
/// waitlist.
#[tracing::instrument(skip(conn))]
pub fn cancel_by_organizer(
    conn: &mut DbConn,
    slug: &str,
    id: &str,
) -> Result<Registration, AppError> {
    write_tx(conn, |conn| {
        let (_, registration) = of_event(conn, slug, id)?;
        cancel_in(conn, registration, db::now())
    })
}

/// What moving a waitlisted guest up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedUp {
    /// A seat was free: confirmed, with the same mail as any promotion.
    Confirmed,
    /// The event is full: first on the waitlist, for the next free seat.
    FirstInLine,
}

/// Puts a waitlisted guest first in line, and gives them a seat when one is
/// free.
#[tracing::instrument(skip(conn))]
pub fn move_up(conn: &mut DbConn, slug: &str, id: &str) -> Result<MovedUp, AppError> {
    let now = db::now();
    write_tx(conn, |conn| {
        let (event, registration) = of_event(conn, slug, id)?;
        rdb::lock_event(conn, &event.id)?;
        if registration.status != RegistrationStatus::Waitlisted {
            return Err(AppError::conflict(
                Some("status"),
                Invalid::new("conflict.not_waitlisted"),
            ));
        }
        rdb::move_to_front(conn, &event.id, &registration.id, now)?;
        promote_waitlisted(conn, &event.id, now)?;
        let after = rdb::find(conn, &registration.id)?.ok_or(AppError::NotFound)?;
        Ok(if after.status == RegistrationStatus::Confirmed {
            MovedUp::Confirmed
        } else {
            MovedUp::FirstInLine
        })
    })
}

/// What a check-in link or button found.
#[derive(Debug, Clone)]
pub enum CheckIn {
    /// Checked in now.
    Done(Registration),
    /// Someone checked this guest in before, at `checked_in_at`.
    Already(Registration),
    /// The registration is cancelled or still waitlisted: no seat to sit in.
    NoSeat(Registration),
}

/// The registration behind a check-in link, with its event.
pub fn by_check_in_token(
    conn: &mut DbConn,
    token: &str,
) -> Result<(Registration, Event), AppError> {
    let token = Token::parse(token).map_err(|_| AppError::NotFound)?;
    let registration =
        rdb::find_by_check_in_hash(conn, token.hash().as_str())?.ok_or(AppError::NotFound)?;
    let event = edb::find(conn, &registration.event_id)?.ok_or(AppError::NotFound)?;
    Ok((registration, event))
}

fn check_in_registration(
    conn: &mut DbConn,
    registration: Registration,
    by: &UserId,
) -> Result<CheckIn, AppError> {
    if registration.status != RegistrationStatus::Confirmed {
        return Ok(CheckIn::NoSeat(registration));
    }
    let done = rdb::check_in(conn, &registration.id, db::now(), by.as_str())?;
    let after = rdb::find(conn, &registration.id)?.ok_or(AppError::NotFound)?;
    Ok(if done {
        CheckIn::Done(after)
    } else {
        CheckIn::Already(after)
    })
}

/// Checks in the guest behind a check-in link (an organizer scanned it).
#[tracing::instrument(skip(conn, token))]
pub fn check_in_by_token(
    conn: &mut DbConn,
    token: &str,
    by: &UserId,
) -> Result<(CheckIn, Event), AppError> {
    write_tx(conn, |conn| {
        let (registration, event) = by_check_in_token(conn, token)?;
        Ok((check_in_registration(conn, registration, by)?, event))
    })
}

/// Checks in a guest found on the attendee page (no code at hand).
#[tracing::instrument(skip(conn))]
pub fn check_in_by_id(
    conn: &mut DbConn,
    slug: &str,
    id: &str,
    by: &UserId,
) -> Result<CheckIn, AppError> {
    write_tx(conn, |conn| {
        let (_, registration) = of_event(conn, slug, id)?;
        check_in_registration(conn, registration, by)
    })
}

/// The check-in link's path of a registration.
pub fn check_in_path(keys: &LinkKeys, id: &RegistrationId) -> String {
    format!("/check-in/{}", keys.check_in(id).expose())
}

/// Fills the check-in hash of registrations stored before check-in links
/// existed (at start-up; once there are none, one read and no write).
pub fn backfill_check_in(conn: &mut DbConn, keys: &LinkKeys) -> Result<usize, AppError> {
    let ids = rdb::without_check_in_hash(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    write_tx(conn, |conn| {
        for id in &ids {
            rdb::set_check_in_hash(conn, id, keys.check_in(id).hash().as_str())?;
        }
        Ok(ids.len())
    })
}

/// A stored instant as Tokyo wall-clock time, for lists and exports
/// (their header names the zone).
pub fn jst(t: chrono::NaiveDateTime) -> String {
    db::to_utc(t)
        .with_timezone(&crate::domain::TimeZone::TOKYO.tz())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The attendee list as spreadsheet rows: a header in `lang`, then one
/// row per registration in the order they came.
pub fn table(attendees: &[Attendee], lang: Language) -> Vec<Vec<String>> {
    let header = [
        "field.name",
        "field.furigana",
        "field.organization",
        "field.country",
        "field.email",
        "field.language",
        "field.status",
        "attendees.position",
        "attendees.registered_at_jst",
        "attendees.checked_in_at_jst",
    ]
    .map(|k| t(lang, k).to_owned())
    .to_vec();
    let mut rows = vec![header];
    for a in attendees {
        let r = &a.registration;
        rows.push(vec![
            r.name.clone(),
            r.furigana.clone().unwrap_or_default(),
            r.organization.clone(),
            r.country.clone(),
            r.email.clone(),
            Language::parse(&r.language)
                .map(|l| t(lang, l.label_key()).to_owned())
                .unwrap_or_else(|_| r.language.clone()),
            t(lang, r.status.label_key()).to_owned(),
            a.waitlist_rank.map(|n| n.to_string()).unwrap_or_default(),
            jst(r.created_at),
            r.checked_in_at.map(jst).unwrap_or_default(),
        ]);
    }
    rows
}

/// The reading by which the reception list is sorted: the furigana (or
/// the name) in hiragana, so that 五十音順 is the order of code points.
pub fn reading(r: &Registration) -> String {
    fold(r.furigana.as_deref().unwrap_or(&r.name).trim())
}

/// Confirmed guests by reading (五十音順), for the reception desk.
pub fn reception_list(mut attendees: Vec<Attendee>) -> Vec<Attendee> {
    attendees.retain(|a| a.registration.status == RegistrationStatus::Confirmed);
    attendees.sort_by_cached_key(|a| (reading(&a.registration), a.registration.name.clone()));
    attendees
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn search_folds_case_width_and_kana() {
        assert_eq!(fold("ヤマダ"), "やまだ");
        assert_eq!(fold("ＬＩＮＫ－Ｊ"), "link-j");
        assert_eq!(fold("Dana Smith"), "dana smith");
        assert!(fold("大阪バイオ株式会社").contains(&fold("ばいお")));
    }
}
