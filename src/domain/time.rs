use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};

use super::Invalid;

/// An IANA time zone. Asia/Tokyo is the default, and is always named in output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const TOKYO: TimeZone = TimeZone(chrono_tz::Asia::Tokyo);

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        if name.is_empty() {
            return Err(Invalid::new("invalid.required"));
        }
        name.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| Invalid::new("invalid.time_zone"))
    }

    /// A zone read back from the database, where only parsed zones are
    /// written. A bad value there is logged loudly, then shown as Tokyo time
    /// (which the output names, so nothing is assumed silently).
    pub fn from_stored(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| {
            tracing::error!(
                zone = name,
                "unknown time zone in the database; showing Asia/Tokyo"
            );
            Self::TOKYO
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    /// Turns a wall-clock time in this zone into an instant; a time skipped
    /// by a DST change is refused, and an ambiguous one takes the earlier.
    pub fn localize(&self, local: NaiveDateTime) -> Result<DateTime<Utc>, Invalid> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
            LocalResult::None => {
                Err(Invalid::new("invalid.nonexistent_local_time").with("zone", self.name()))
            }
        }
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self::TOKYO
    }
}

/// Reads an instant: RFC 3339 with an offset, or — when `local_zone` is
/// given, as for HTML `datetime-local` inputs — a wall-clock time in that zone.
pub fn parse_instant(input: &str, local_zone: Option<TimeZone>) -> Result<DateTime<Utc>, Invalid> {
    let instant = parse_any_instant(input, local_zone)?;
    // Far years are typos, and would make every calendar that holds the
    // event carry time zone rules for each year in between.
    if !(MIN_YEAR..=MAX_YEAR).contains(&chrono::Datelike::year(&instant)) {
        return Err(Invalid::new("invalid.year_range")
            .with("min", MIN_YEAR)
            .with("max", MAX_YEAR));
    }
    Ok(instant)
}

/// The years an event or meeting may be in.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

fn parse_any_instant(input: &str, local_zone: Option<TimeZone>) -> Result<DateTime<Utc>, Invalid> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Invalid::new("invalid.required"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).with_nanosecond_zero());
    }
    match local_zone {
        Some(zone) => ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .ok_or_else(|| Invalid::new("invalid.datetime_local"))
            .and_then(|local| zone.localize(local)),
        None => Err(Invalid::new("invalid.datetime")),
    }
}

trait NanoZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanoZero for DateTime<Utc> {
    /// Instants are kept to the second: calendars and forms work in minutes,
    /// and equal times then compare equal on both database backends.
    fn with_nanosecond_zero(self) -> Self {
        self - Duration::nanoseconds(self.timestamp_subsec_nanos() as i64)
    }
}

/// When an event happens: start before end, in a named zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    zone: TimeZone,
}

impl Schedule {
    /// Longest event musubi accepts: a multi-day partnering forum fits.
    pub const MAX_DAYS: i64 = 31;

    pub fn new(
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        zone: TimeZone,
    ) -> Result<Self, Invalid> {
        if ends_at <= starts_at {
            return Err(Invalid::new("invalid.ends_before_start"));
        }
        if ends_at - starts_at > Duration::days(Self::MAX_DAYS) {
            return Err(Invalid::new("invalid.too_long_event").with("max", Self::MAX_DAYS));
        }
        Ok(Self {
            starts_at,
            ends_at,
            zone,
        })
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    pub fn zone(&self) -> TimeZone {
        self.zone
    }
}

/// A bound of a listing: an RFC 3339 instant, or a date (YYYY-MM-DD)
/// meaning midnight in Asia/Tokyo.
pub fn parse_bound(input: &str) -> Result<DateTime<Utc>, Invalid> {
    let s = input.trim();
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(date) => TimeZone::TOKYO.localize(date.and_time(chrono::NaiveTime::MIN)),
        Err(_) => parse_instant(s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            TimeZone::parse("Mars/Olympus").unwrap_err().code,
            "invalid.time_zone"
        );
        assert_eq!(TimeZone::default().name(), "Asia/Tokyo");
    }

    #[test]
    fn instants_need_an_offset_unless_a_zone_is_given() {
        let t = parse_instant("2026-12-01T14:00:00+09:00", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-01T05:00:00+00:00");
        assert_eq!(
            parse_instant("2026-12-01T14:00", None).unwrap_err().code,
            "invalid.datetime"
        );
        let local = parse_instant("2026-12-01T14:00", Some(TimeZone::TOKYO)).unwrap();
        assert_eq!(local, t);
    }

    #[test]
    fn dst_gaps_are_refused_and_overlaps_take_the_earlier_instant() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00).
        assert_eq!(
            parse_instant("2026-03-29T02:30", Some(berlin))
                .unwrap_err()
                .code,
            "invalid.nonexistent_local_time"
        );
        // 2026-10-25 02:30 happens twice; the first is CEST (+02:00).
        let t = parse_instant("2026-10-25T02:30", Some(berlin)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn schedules_end_after_they_start() {
        let a = parse_instant("2026-12-01T14:00:00+09:00", None).unwrap();
        let b = parse_instant("2026-12-01T17:00:00+09:00", None).unwrap();
        assert!(Schedule::new(a, b, TimeZone::TOKYO).is_ok());
        assert_eq!(
            Schedule::new(b, a, TimeZone::TOKYO).unwrap_err().code,
            "invalid.ends_before_start"
        );
        assert_eq!(
            Schedule::new(a, a, TimeZone::TOKYO).unwrap_err().code,
            "invalid.ends_before_start"
        );
        assert_eq!(
            Schedule::new(a, a + Duration::days(40), TimeZone::TOKYO)
                .unwrap_err()
                .code,
            "invalid.too_long_event"
        );
    }
}
