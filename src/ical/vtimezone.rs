//! VTIMEZONE components generated from the time zone database, so that
//! every TZID a calendar uses is defined in it (RFC 5545 §3.6.5).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::writer::Writer;

/// The offset in effect at an instant, with its abbreviation and whether it is summer time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    offset: FixedOffset,
    name: String,
    daylight: bool,
}

fn observance(tz: Tz, at: DateTime<Utc>) -> Observance {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
    Observance {
        offset: offset.fix(),
        name: offset
            .abbreviation()
            .map(str::to_owned)
            .unwrap_or_else(|| format_offset(offset.fix())),
        daylight: !offset.dst_offset().is_zero(),
    }
}

/// A change of offset (or name) at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    from: Observance,
    to: Observance,
}

/// The transitions of `tz` from the start of `from_year` to the end of
/// `to_year`: a daily scan, then a binary search to the second.
pub fn transitions(tz: Tz, from_year: i32, to_year: i32) -> Vec<Transition> {
    let start = year_start(from_year);
    let end = year_start(to_year + 1);
    let mut found = Vec::new();
    let mut day = start;
    let mut current = observance(tz, day);
    while day < end {
        let next = day + Duration::days(1);
        let after = observance(tz, next);
        if after != current {
            // Whole seconds: lo is in the old observance, hi in the new.
            let (mut lo, mut hi) = (day.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let at = DateTime::from_timestamp(mid, 0).unwrap_or(day);
                if observance(tz, at) == current {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            let at = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            found.push(Transition {
                at,
                from: current,
                to: after.clone(),
            });
            current = after;
        }
        day = next;
    }
    found
}

fn year_start(year: i32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or_default()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

fn format_offset(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, s / 60 % 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Writes the VTIMEZONE of `tz` valid for `from_year..=to_year`: the
/// observance in effect at the start (from 1970, so that any earlier date
/// also resolves), then one observance per transition in the range.
///
/// Each (zone, years) is worked out once and kept: every invitation mail
/// carries one, and a zone's rules do not change while the process runs.
pub fn write(w: &mut Writer, tz: Tz, from_year: i32, to_year: i32) {
    type Cache = std::sync::Mutex<std::collections::HashMap<(Tz, i32, i32), std::sync::Arc<str>>>;
    static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Default::default);
    let key = (tz, from_year, to_year);
    let cached = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
        .cloned();
    let block = cached.unwrap_or_else(|| {
        let mut own = Writer::new();
        write_uncached(&mut own, tz, from_year, to_year);
        let block: std::sync::Arc<str> = own.finish().into();
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Zones × year spans in use are few; a bound keeps a flood of odd
        // dates from growing it without end.
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(key, block.clone());
        block
    });
    w.lines(&block);
}

fn write_uncached(w: &mut Writer, tz: Tz, from_year: i32, to_year: i32) {
    let first = observance(tz, year_start(from_year));
    w.begin("VTIMEZONE");
    w.raw("TZID", &[], tz.name());
    write_observance(w, "19700101T000000", &first, &first);
    for t in transitions(tz, from_year, to_year) {
        // DTSTART is the local time of the change in the offset before it.
        let local = t.at.with_timezone(&t.from.offset).naive_local();
        write_observance(
            w,
            &local.format("%Y%m%dT%H%M%S").to_string(),
            &t.from,
            &t.to,
        );
    }
    w.end("VTIMEZONE");
}

fn write_observance(w: &mut Writer, dtstart: &str, from: &Observance, to: &Observance) {
    let kind = if to.daylight { "DAYLIGHT" } else { "STANDARD" };
    w.begin(kind);
    w.raw("DTSTART", &[], dtstart);
    w.raw("TZOFFSETFROM", &[], &format_offset(from.offset));
    w.raw("TZOFFSETTO", &[], &format_offset(to.offset));
    w.text("TZNAME", &[], &to.name);
    w.end(kind);
}

/// The years a set of instants spans, in `tz`.
pub fn year_span(tz: Tz, instants: impl IntoIterator<Item = DateTime<Utc>>) -> Option<(i32, i32)> {
    instants
        .into_iter()
        .map(|t| t.with_timezone(&tz).year())
        .fold(None, |span, y| match span {
            None => Some((y, y)),
            Some((lo, hi)) => Some((lo.min(y), hi.max(y))),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(tz: Tz, from: i32, to: i32) -> String {
        let mut w = Writer::new();
        write(&mut w, tz, from, to);
        w.finish()
    }

    #[test]
    fn tokyo_is_one_standard_block() {
        assert_eq!(
            text(chrono_tz::Asia::Tokyo, 2026, 2031),
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\n\
             TZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn berlin_changes_on_the_last_sundays_of_march_and_october() {
        let t = transitions(chrono_tz::Europe::Berlin, 2026, 2027);
        let at: Vec<String> = t.iter().map(|t| t.at.to_rfc3339()).collect();
        assert_eq!(
            at,
            [
                "2026-03-29T01:00:00+00:00",
                "2026-10-25T01:00:00+00:00",
                "2027-03-28T01:00:00+00:00",
                "2027-10-31T01:00:00+00:00"
            ]
        );
        let v = text(chrono_tz::Europe::Berlin, 2026, 2026);
        assert!(v.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n"
        ), "{v}");
        assert!(v.contains(
            "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n"
        ), "{v}");
    }

    #[test]
    fn new_york_changes_on_the_second_sunday_of_march_and_first_of_november() {
        let t = transitions(chrono_tz::America::New_York, 2031, 2031);
        let local: Vec<String> = t
            .iter()
            .map(|t| t.at.with_timezone(&t.from.offset).naive_local().to_string())
            .collect();
        assert_eq!(local, ["2031-03-09 02:00:00", "2031-11-02 02:00:00"]);
        let v = text(chrono_tz::America::New_York, 2031, 2031);
        assert!(
            v.contains(
                "DTSTART:20310309T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT"
            ),
            "{v}"
        );
        assert!(
            v.contains(
                "DTSTART:20311102T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST"
            ),
            "{v}"
        );
        assert!(v.starts_with("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:-0500"));
    }
}
