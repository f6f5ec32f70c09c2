//! Dates and times as people in Osaka and overseas read them, always with
//! the zone named: `2026年12月1日(火) 14:00–17:00 JST` /
//! `Tue 1 Dec 2026, 14:00–17:00 JST`.

use chrono::{DateTime, Datelike, Utc, Weekday};

use crate::domain::{Language, TimeZone};

const JA_WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const EN_MONTHS_LONG: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

fn date(lang: Language, t: &DateTime<chrono_tz::Tz>) -> String {
    match lang {
        Language::Ja => format!(
            "{}年{}月{}日({})",
            t.year(),
            t.month(),
            t.day(),
            JA_WEEKDAYS[t.weekday().num_days_from_monday() as usize]
        ),
        Language::En => format!(
            "{} {} {} {}",
            weekday_en(t.weekday()),
            t.day(),
            EN_MONTHS[t.month0() as usize],
            t.year()
        ),
    }
}

/// The zone's abbreviation where it has one (JST, CET, EDT), else its name.
fn zone_label(t: &DateTime<chrono_tz::Tz>, zone: TimeZone) -> String {
    let abbr = t.format("%Z").to_string();
    if abbr.starts_with('+') || abbr.starts_with('-') {
        format!("{} (UTC{abbr})", zone.name())
    } else {
        abbr
    }
}

/// A start–end range in `zone`. The date is repeated only when the range
/// crosses midnight there; the zone abbreviation is that of the start
/// (and of the end too, when a DST change falls in between).
pub fn format_range(
    lang: Language,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    zone: TimeZone,
) -> String {
    let s = start.with_timezone(&zone.tz());
    let e = end.with_timezone(&zone.tz());
    let (zs, ze) = (zone_label(&s, zone), zone_label(&e, zone));
    let sep = match lang {
        Language::Ja => " ",
        Language::En => ", ",
    };
    let start_text = format!("{}{sep}{}", date(lang, &s), s.format("%H:%M"));
    if s.date_naive() == e.date_naive() && zs == ze {
        format!("{start_text}–{} {zs}", e.format("%H:%M"))
    } else if zs == ze {
        format!(
            "{start_text} – {}{sep}{} {zs}",
            date(lang, &e),
            e.format("%H:%M")
        )
    } else {
        format!(
            "{start_text} {zs} – {}{sep}{} {ze}",
            date(lang, &e),
            e.format("%H:%M")
        )
    }
}

/// One instant with its date: `2026年12月1日(火) 14:00 JST`.
pub fn format_instant(lang: Language, instant: DateTime<Utc>, zone: TimeZone) -> String {
    let t = instant.with_timezone(&zone.tz());
    let sep = match lang {
        Language::Ja => " ",
        Language::En => ", ",
    };
    format!(
        "{}{sep}{} {}",
        date(lang, &t),
        t.format("%H:%M"),
        zone_label(&t, zone)
    )
}

/// `14:00 JST`, for grids and short lists.
pub fn format_time_short(instant: DateTime<Utc>, zone: TimeZone) -> String {
    let t = instant.with_timezone(&zone.tz());
    format!("{} {}", t.format("%H:%M"), zone_label(&t, zone))
}

/// A day of a month without its year: `12月23日(水)` / `Wed 23 Dec`.
pub fn format_day_label(lang: Language, d: chrono::NaiveDate) -> String {
    match lang {
        Language::Ja => format!(
            "{}月{}日({})",
            d.month(),
            d.day(),
            JA_WEEKDAYS[d.weekday().num_days_from_monday() as usize]
        ),
        Language::En => format!(
            "{} {} {}",
            weekday_en(d.weekday()),
            d.day(),
            EN_MONTHS[d.month0() as usize]
        ),
    }
}

/// `2026年12月` / `December 2026`.
pub fn month_title(lang: Language, year: i32, month: u32) -> String {
    match lang {
        Language::Ja => format!("{year}年{month}月"),
        Language::En => format!(
            "{} {year}",
            EN_MONTHS_LONG[(month as usize).saturating_sub(1) % 12]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s, None).unwrap()
    }

    #[test]
    fn tokyo_ranges_read_naturally_in_both_languages() {
        let (s, e) = (
            at("2026-12-01T14:00:00+09:00"),
            at("2026-12-01T17:00:00+09:00"),
        );
        assert_eq!(
            format_range(Language::Ja, s, e, TimeZone::TOKYO),
            "2026年12月1日(火) 14:00–17:00 JST"
        );
        assert_eq!(
            format_range(Language::En, s, e, TimeZone::TOKYO),
            "Tue 1 Dec 2026, 14:00–17:00 JST"
        );
    }

    #[test]
    fn overseas_zones_show_their_own_abbreviation_and_date() {
        let (s, e) = (
            at("2026-12-01T14:00:00+09:00"),
            at("2026-12-01T17:00:00+09:00"),
        );
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            format_range(Language::En, s, e, berlin),
            "Tue 1 Dec 2026, 06:00–09:00 CET"
        );
        let ny = TimeZone::parse("America/New_York").unwrap();
        // 14:00 JST is the previous evening in New York.
        assert_eq!(
            format_range(Language::En, s, e, ny),
            "Tue 1 Dec 2026, 00:00–03:00 EST"
        );
        let (s, e) = (
            at("2026-07-01T10:00:00+09:00"),
            at("2026-07-01T12:00:00+09:00"),
        );
        assert_eq!(
            format_range(Language::En, s, e, ny),
            "Tue 30 Jun 2026, 21:00–23:00 EDT"
        );
    }

    #[test]
    fn multi_day_and_dst_crossing_ranges_name_both_ends() {
        let (s, e) = (
            at("2026-12-01T09:00:00+09:00"),
            at("2026-12-02T18:00:00+09:00"),
        );
        assert_eq!(
            format_range(Language::Ja, s, e, TimeZone::TOKYO),
            "2026年12月1日(火) 09:00 – 2026年12月2日(水) 18:00 JST"
        );
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let (s, e) = (
            at("2026-10-24T20:00:00+02:00"),
            at("2026-10-25T10:00:00+01:00"),
        );
        assert_eq!(
            format_range(Language::En, s, e, berlin),
            "Sat 24 Oct 2026, 20:00 CEST – Sun 25 Oct 2026, 10:00 CET"
        );
    }

    #[test]
    fn single_instants() {
        let t = at("2026-11-30T18:00:00+09:00");
        assert_eq!(
            format_instant(Language::Ja, t, TimeZone::TOKYO),
            "2026年11月30日(月) 18:00 JST"
        );
        assert_eq!(
            format_instant(Language::En, t, TimeZone::TOKYO),
            "Mon 30 Nov 2026, 18:00 JST"
        );
        assert_eq!(format_time_short(t, TimeZone::TOKYO), "18:00 JST");
    }

    #[test]
    fn month_titles() {
        assert_eq!(month_title(Language::Ja, 2026, 12), "2026年12月");
        assert_eq!(month_title(Language::En, 2026, 12), "December 2026");
    }
}
