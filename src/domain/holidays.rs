//! Japanese public holidays (国民の祝日), computed from the rules of the
//! Public Holiday Act for 2000–2150, the years the month calendar shows:
//! fixed days, "Happy Monday" days, the equinoxes (the formula the National
//! Astronomical Observatory's announcements follow in this range), the
//! one-off days of 2019 (the enthronement) and the Olympic moves of 2020
//! and 2021, substitute holidays (振替休日) and days between two holidays
//! (国民の休日). Outside those years no day is a holiday.

use chrono::{Datelike, NaiveDate, Weekday};

use super::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    name_ja: &'static str,
    name_en: &'static str,
}

impl Holiday {
    pub fn name(&self, lang: Language) -> &'static str {
        match lang {
            Language::Ja => self.name_ja,
            Language::En => self.name_en,
        }
    }
}

pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2150;

const SUBSTITUTE: (&str, &str) = ("振替休日", "Substitute holiday");
const BETWEEN: (&str, &str) = ("国民の休日", "Citizens' holiday");

/// The `n`th `weekday` of a month (n from 1).
fn nth(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn equinox(year: i32, spring: bool) -> Option<NaiveDate> {
    let base = match (spring, year < 2100) {
        (true, true) => 20.8431,
        (true, false) => 21.8510,
        (false, true) => 23.2488,
        (false, false) => 24.2488,
    };
    let y = f64::from(year - 1980);
    let day = (base + 0.242194 * y - (y / 4.0).floor()).floor() as u32;
    NaiveDate::from_ymd_opt(year, if spring { 3 } else { 9 }, day)
}

/// The holidays the Act names for `year` (without substitute days and days
/// between holidays).
fn named(year: i32) -> Vec<(NaiveDate, &'static str, &'static str)> {
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let mut days = vec![
        (day(1, 1), "元日", "New Year's Day"),
        (
            nth(year, 1, Weekday::Mon, 2),
            "成人の日",
            "Coming of Age Day",
        ),
        (day(2, 11), "建国記念の日", "National Foundation Day"),
        (equinox(year, true), "春分の日", "Vernal Equinox Day"),
        (day(5, 3), "憲法記念日", "Constitution Memorial Day"),
        (day(5, 5), "こどもの日", "Children's Day"),
        (equinox(year, false), "秋分の日", "Autumnal Equinox Day"),
        (day(11, 3), "文化の日", "Culture Day"),
        (day(11, 23), "勤労感謝の日", "Labour Thanksgiving Day"),
    ];
    let emperor = match year {
        ..=2018 => day(12, 23),
        2019 => None,
        _ => day(2, 23),
    };
    days.push((emperor, "天皇誕生日", "The Emperor's Birthday"));
    if year <= 2006 {
        days.push((day(4, 29), "みどりの日", "Greenery Day"));
    } else {
        days.push((day(4, 29), "昭和の日", "Shōwa Day"));
        days.push((day(5, 4), "みどりの日", "Greenery Day"));
    }
    let marine = match year {
        ..=2002 => day(7, 20),
        2020 => day(7, 23),
        2021 => day(7, 22),
        _ => nth(year, 7, Weekday::Mon, 3),
    };
    days.push((marine, "海の日", "Marine Day"));
    let mountain = match year {
        ..=2015 => None,
        2020 => day(8, 10),
        2021 => day(8, 8),
        _ => day(8, 11),
    };
    days.push((mountain, "山の日", "Mountain Day"));
    let aged = if year <= 2002 {
        day(9, 15)
    } else {
        nth(year, 9, Weekday::Mon, 3)
    };
    days.push((aged, "敬老の日", "Respect for the Aged Day"));
    let sports = match year {
        ..=2019 => (
            nth(year, 10, Weekday::Mon, 2),
            "体育の日",
            "Health and Sports Day",
        ),
        2020 => (day(7, 24), "スポーツの日", "Sports Day"),
        2021 => (day(7, 23), "スポーツの日", "Sports Day"),
        _ => (nth(year, 10, Weekday::Mon, 2), "スポーツの日", "Sports Day"),
    };
    days.push(sports);
    if year == 2019 {
        days.push((day(5, 1), "天皇の即位の日", "Enthronement Day"));
        days.push((
            day(10, 22),
            "即位礼正殿の儀の行われる日",
            "Enthronement Ceremony Day",
        ));
    }
    days.into_iter()
        .filter_map(|(d, ja, en)| d.map(|d| (d, ja, en)))
        .collect()
}

/// Every holiday of `year`, in date order.
pub fn of_year(year: i32) -> Vec<Holiday> {
    if !YEARS.contains(&year) {
        return Vec::new();
    }
    let named = named(year);
    let is_named = |d: NaiveDate| named.iter().any(|(n, ..)| *n == d);
    let mut all: Vec<Holiday> = named
        .iter()
        .map(|&(date, name_ja, name_en)| Holiday {
            date,
            name_ja,
            name_en,
        })
        .collect();
    // 振替休日: a holiday on a Sunday moves to the next day that is not a
    // holiday (until 2006: to the Monday, when that was not one).
    for &(date, ..) in &named {
        if date.weekday() != Weekday::Sun {
            continue;
        }
        let mut next = date.succ_opt();
        while let Some(d) = next.filter(|d| year >= 2007 && is_named(*d)) {
            next = d.succ_opt();
        }
        if let Some(d) = next.filter(|d| !is_named(*d) && d.year() == year) {
            all.push(Holiday {
                date: d,
                name_ja: SUBSTITUTE.0,
                name_en: SUBSTITUTE.1,
            });
        }
    }
    // 国民の休日: a day between two holidays (until 2006 not a Sunday or a
    // substitute day).
    for &(date, ..) in &named {
        let (Some(between), Some(after)) =
            (date.succ_opt(), date.succ_opt().and_then(|d| d.succ_opt()))
        else {
            continue;
        };
        let taken = all.iter().any(|h| h.date == between);
        let sunday_before_2007 = year <= 2006 && between.weekday() == Weekday::Sun;
        if is_named(after) && !taken && !sunday_before_2007 {
            all.push(Holiday {
                date: between,
                name_ja: BETWEEN.0,
                name_en: BETWEEN.1,
            });
        }
    }
    all.sort_by_key(|h| h.date);
    all
}

/// The holidays from `from` up to but not including `to`.
pub fn between(from: NaiveDate, to: NaiveDate) -> Vec<Holiday> {
    (from.year()..=to.year())
        .flat_map(of_year)
        .filter(|h| h.date >= from && h.date < to)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(year: i32) -> Vec<String> {
        of_year(year)
            .iter()
            .map(|h| h.date.format("%m-%d").to_string())
            .collect()
    }

    /// The Cabinet Office's lists (内閣府「国民の祝日について」).
    #[test]
    fn matches_the_cabinet_office_lists() {
        assert_eq!(
            dates(2026),
            [
                "01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"
            ]
        );
        // The enthronement year: a ten-day Golden Week, no Emperor's Birthday.
        assert_eq!(
            dates(2019),
            [
                "01-01", "01-14", "02-11", "03-21", "04-29", "04-30", "05-01", "05-02", "05-03",
                "05-04", "05-05", "05-06", "07-15", "08-11", "08-12", "09-16", "09-23", "10-14",
                "10-22", "11-03", "11-04", "11-23"
            ]
        );
        // The Olympic years moved Marine, Sports and Mountain Day.
        assert_eq!(
            dates(2020),
            [
                "01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04",
                "05-05", "05-06", "07-23", "07-24", "08-10", "09-21", "09-22", "11-03", "11-23"
            ]
        );
        assert_eq!(
            dates(2021),
            [
                "01-01", "01-11", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                "07-22", "07-23", "08-08", "08-09", "09-20", "09-23", "11-03", "11-23"
            ]
        );
        // Before 2007: Greenery Day on 29 April and 4 May a day between
        // holidays; the Emperor's Birthday in December; New Year's Day on a
        // Sunday moves to Monday.
        assert_eq!(
            dates(2006),
            [
                "01-01", "01-02", "01-09", "02-11", "03-21", "04-29", "05-03", "05-04", "05-05",
                "07-17", "09-18", "09-23", "10-09", "11-03", "11-23", "12-23"
            ]
        );
        // 2009's "Silver Week": a day between Respect for the Aged Day and
        // the equinox.
        assert!(dates(2009).contains(&"09-22".to_owned()));
        // 2008: Constitution Day on a Saturday, Greenery Day on a Sunday,
        // Children's Day on Monday, so the substitute is Tuesday the 6th.
        assert!(dates(2008).contains(&"05-06".to_owned()));
    }

    #[test]
    fn names_in_both_languages_and_nothing_outside_the_range() {
        let first = of_year(2027)[0];
        assert_eq!(first.name(Language::Ja), "元日");
        assert_eq!(first.name(Language::En), "New Year's Day");
        let may6 = of_year(2026)
            .into_iter()
            .find(|h| h.date.format("%m-%d").to_string() == "05-06");
        assert_eq!(may6.map(|h| h.name(Language::Ja)), Some("振替休日"));
        assert!(of_year(1999).is_empty() && of_year(2151).is_empty());
        for year in YEARS {
            let all = of_year(year);
            assert!((14..=22).contains(&all.len()), "{year}: {}", all.len());
            assert!(
                all.windows(2).all(|w| w[0].date < w[1].date),
                "{year}: sorted, no day twice"
            );
        }
        let (from, to) = (
            NaiveDate::from_ymd_opt(2026, 12, 27).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        );
        let span: Vec<_> = between(from, to)
            .iter()
            .map(|h| h.date.to_string())
            .collect();
        assert_eq!(span, ["2027-01-01", "2027-01-11"]);
    }
}
