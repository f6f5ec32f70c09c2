//! The demo's business meetings between Osaka and overseas companies: in
//! a booth on a partnering day, one online on the Monday after the next US
//! clock change (08:00 in Osaka is 18:00 or 19:00 the day before in
//! Boston, and which one changes that weekend), a hybrid one during an
//! event, and a cancelled one.

use chrono::{Duration, NaiveDate, TimeZone as _};

use crate::db::DbConn;
use crate::db::events as edb;
use crate::domain::TimeZone;
use crate::error::AppError;
use crate::service::events::TimeInput;
use crate::service::keys::LinkKeys;
use crate::service::meetings::{self, AttendeeFields, MeetingFields};

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// (name, email, organization slug, language)
type Attendee = (&'static str, &'static str, &'static str, &'static str);

fn attendees(list: &[Attendee]) -> Vec<AttendeeFields> {
    list.iter()
        .map(|(name, email, slug, lang)| AttendeeFields {
            name: some(name),
            email: some(email),
            organization_slug: some(slug),
            language: some(lang),
            ..Default::default()
        })
        .collect()
}

/// The first Monday after `from` that follows a change of New York's
/// offset (the US changes clocks on a Sunday).
pub fn monday_after_us_clock_change(from: NaiveDate) -> NaiveDate {
    let ny = TimeZone::parse("America/New_York")
        .map(|z| z.tz())
        .unwrap_or(chrono_tz::America::New_York);
    let offset = |d: NaiveDate| {
        ny.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
            .single()
            .map(|t| chrono::Offset::fix(t.offset()).local_minus_utc())
    };
    let mut day = from + Duration::days(1);
    for _ in 0..400 {
        if offset(day) != offset(day - Duration::days(1)) {
            return day + Duration::days(1);
        }
        day += Duration::days(1);
    }
    from + Duration::days(7)
}

/// Creates the demo meetings; `room` finds a room id by (venue slug, index).
pub fn seed(
    conn: &mut DbConn,
    keys: &LinkKeys,
    today: NaiveDate,
    room: impl Fn(&str, usize) -> Option<String>,
) -> Result<(), AppError> {
    let at = |date: NaiveDate, time: &str| Some(format!("{date}T{time}"));
    let partnering = today + Duration::days(9);
    let dst_monday = monday_after_us_clock_change(today);
    let us_day = today + Duration::days(30);
    let genomics_event = edb::find_by_slug(conn, "us-genomics-business-meetings")?.map(|e| e.slug);
    let list = [
        MeetingFields {
            title_ja: some("ライン・メドテック × なにわバイオファーマ"),
            title_en: some("Rhein Medtech × Naniwa Biopharma"),
            agenda: some("欧州での販売提携について / Distribution partnership in Europe"),
            starts_at: at(partnering, "10:00"),
            ends_at: at(partnering, "10:45"),
            room_id: room("nakanoshima-qross", 2),
            interpreter: some("ja-en"),
            attendees: attendees(&[
                (
                    "Lena Vogt",
                    "lena.vogt@rhein-medtech.example.de",
                    "rhein-medtech",
                    "en",
                ),
                (
                    "中村 大輔",
                    "nakamura@naniwa-bio.example.jp",
                    "naniwa-bio",
                    "ja",
                ),
            ]),
            ..Default::default()
        },
        MeetingFields {
            title_ja: some("チャールズリバー・ゲノミクス × けんと再生医療研究所（オンライン）"),
            title_en: some("Charles River Genomics × Kento Regenerative Medicine (online)"),
            agenda: some("Series B investment and a joint study"),
            starts_at: at(dst_monday, "08:00"),
            ends_at: at(dst_monday, "09:00"),
            online_url: some("https://meet.example.com/crg-kento"),
            attendees: attendees(&[
                (
                    "Dana Whitfield",
                    "dana.whitfield@crgenomics.example.com",
                    "charles-river-genomics",
                    "en",
                ),
                (
                    "佐藤 美咲",
                    "sato@kento-regen.example.jp",
                    "kento-regen",
                    "ja",
                ),
            ]),
            ..Default::default()
        },
        MeetingFields {
            title_ja: some("マーライオン・セラピューティクス × 千里ダイアグノスティクス"),
            title_en: some("Merlion Therapeutics × Senri Diagnostics"),
            starts_at: at(us_day, "10:00"),
            ends_at: at(us_day, "11:00"),
            room_id: room("kento-innovation-hub", 0),
            online_url: some("https://meet.example.com/merlion-senri"),
            event_slug: genomics_event,
            attendees: attendees(&[
                (
                    "Tan Wei Ling",
                    "weiling.tan@merlion-tx.example.sg",
                    "merlion-therapeutics",
                    "en",
                ),
                (
                    "田中 誠",
                    "tanaka@senri-dx.example.jp",
                    "senri-diagnostics",
                    "ja",
                ),
                (
                    "大阪府 国際ビジネス課",
                    "intl-business@pref.osaka.example.jp",
                    "osaka-pref",
                    "ja",
                ),
            ]),
            ..Default::default()
        },
        MeetingFields {
            title_ja: some("ライン・メドテック × 千里ダイアグノスティクス"),
            title_en: some("Rhein Medtech × Senri Diagnostics"),
            starts_at: at(today + Duration::days(12), "16:00"),
            ends_at: at(today + Duration::days(12), "16:30"),
            online_url: some("https://meet.example.com/rhein-senri"),
            attendees: attendees(&[
                (
                    "Lena Vogt",
                    "lena.vogt@rhein-medtech.example.de",
                    "rhein-medtech",
                    "en",
                ),
                (
                    "田中 誠",
                    "tanaka@senri-dx.example.jp",
                    "senri-diagnostics",
                    "ja",
                ),
            ]),
            ..Default::default()
        },
    ];
    let mut last = None;
    for fields in list {
        let input = fields.validate(TimeInput::WallClock)?;
        last = Some(meetings::create(conn, keys, &input)?);
    }
    // One cancelled meeting shows how cancellations look.
    if let Some(d) = last {
        meetings::cancel(conn, &d.meeting.id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_monday_after_each_us_clock_change() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            monday_after_us_clock_change(d("2026-12-02")),
            d("2027-03-15")
        );
        assert_eq!(
            monday_after_us_clock_change(d("2027-03-15")),
            d("2027-11-08")
        );
        assert_eq!(
            monday_after_us_clock_change(d("2031-10-20")),
            d("2031-11-03")
        );
    }
}
