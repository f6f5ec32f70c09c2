//! Demo data for `musubi serve --demo`: the partners, a few Osaka and
//! overseas companies, three venues, a dozen events and a few business
//! meetings over the coming months. Seeded into an empty database only,
//! never over real data; the demo sends no mail.
//!
//! Longer than most files (about 400 lines) because most of it is the data
//! itself, one literal per organization, venue and event; split, it would
//! read worse.

mod meetings;

use chrono::{Duration, Utc};

use crate::db::{DbConn, events as edb, organizations as orgs, venues as vdb};
use crate::domain::TimeZone;
use crate::error::AppError;
use crate::service::events::{self as events, EventFields, TimeInput};
use crate::service::keys::LinkKeys;
use crate::service::organizations::{self as organizations, OrganizationFields};
use crate::service::venues::{self as venues, RoomFields, VenueFields};

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// (slug, ja, en, kind, country, zone, website)
type OrganizationRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);
const ORGANIZATIONS: &[OrganizationRow] = &[
    (
        "link-j-west",
        "LINK-J WEST",
        "LINK-J WEST",
        "organizer",
        "JP",
        "Asia/Tokyo",
        Some("https://www.link-j.org/"),
    ),
    (
        "osaka-pref",
        "大阪府",
        "Osaka Prefectural Government",
        "government",
        "JP",
        "Asia/Tokyo",
        Some("https://www.pref.osaka.lg.jp/"),
    ),
    (
        "naniwa-bio",
        "なにわバイオファーマ株式会社",
        "Naniwa Biopharma Inc.",
        "company",
        "JP",
        "Asia/Tokyo",
        None,
    ),
    (
        "senri-diagnostics",
        "千里ダイアグノスティクス株式会社",
        "Senri Diagnostics K.K.",
        "company",
        "JP",
        "Asia/Tokyo",
        None,
    ),
    (
        "kento-regen",
        "けんと再生医療研究所",
        "Kento Regenerative Medicine Institute",
        "research_institute",
        "JP",
        "Asia/Tokyo",
        None,
    ),
    (
        "rhein-medtech",
        "ライン・メドテック GmbH",
        "Rhein Medtech GmbH",
        "company",
        "DE",
        "Europe/Berlin",
        None,
    ),
    (
        "charles-river-genomics",
        "チャールズリバー・ゲノミクス",
        "Charles River Genomics Inc.",
        "company",
        "US",
        "America/New_York",
        None,
    ),
    (
        "merlion-therapeutics",
        "マーライオン・セラピューティクス",
        "Merlion Therapeutics Pte. Ltd.",
        "company",
        "SG",
        "Asia/Singapore",
        None,
    ),
];

/// (slug, ja, en, address ja, address en, area, rooms: (ja, en, capacity))
type VenueRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, i32)],
);
const VENUES: &[VenueRow] = &[
    (
        "nakanoshima-qross",
        "中之島クロス",
        "Nakanoshima Qross",
        "大阪府大阪市北区中之島4丁目3-51",
        "4-3-51 Nakanoshima, Kita-ku, Osaka",
        "Nakanoshima",
        &[
            ("ホール", "Hall", 200),
            ("会議室A", "Meeting Room A", 40),
            ("商談ブース", "Meeting Booths", 24),
        ],
    ),
    (
        "saito-life-science-park",
        "彩都ライフサイエンスパーク",
        "Saito Life Science Park",
        "大阪府茨木市彩都あさぎ7丁目7-15",
        "7-7-15 Saito-Asagi, Ibaraki, Osaka",
        "Saito",
        &[
            ("セミナールーム", "Seminar Room", 80),
            ("交流ラウンジ", "Networking Lounge", 60),
        ],
    ),
    (
        "kento-innovation-hub",
        "健都イノベーションハブ",
        "Kento Innovation Hub",
        "大阪府摂津市千里丘新町6-1",
        "6-1 Senriokashinmachi, Settsu, Osaka",
        "Kento",
        &[
            ("多目的室", "Multipurpose Room", 120),
            ("会議室1", "Meeting Room 1", 16),
        ],
    ),
];

/// (slug, ja, en, kind, days from today, start, end, zone, organizers, (venue, room index), capacity)
type EventRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<(&'static str, usize)>,
    Option<i32>,
);
const EVENTS: &[EventRow] = &[
    (
        "osaka-life-science-seminar-1",
        "大阪ライフサイエンスセミナー：再生医療の産業化",
        "Osaka Life Science Seminar: Industrializing Regenerative Medicine",
        "seminar",
        9,
        "14:00",
        "17:00",
        "Asia/Tokyo",
        &["link-j-west", "osaka-pref"],
        Some(("nakanoshima-qross", 0)),
        Some(150),
    ),
    (
        "nakanoshima-networking-night",
        "中之島ネットワーキングナイト",
        "Nakanoshima Networking Night",
        "networking",
        9,
        "17:30",
        "20:00",
        "Asia/Tokyo",
        &["link-j-west"],
        Some(("nakanoshima-qross", 1)),
        Some(40),
    ),
    (
        "germany-japan-medtech-partnering",
        "日独メドテック・パートナリング",
        "Germany–Japan Medtech Partnering Day",
        "partnering",
        16,
        "10:00",
        "18:00",
        "Asia/Tokyo",
        &["osaka-pref", "link-j-west", "rhein-medtech"],
        Some(("nakanoshima-qross", 2)),
        Some(24),
    ),
    (
        "saito-open-lab",
        "彩都オープンラボ見学会",
        "Saito Open Lab Tour",
        "seminar",
        23,
        "13:30",
        "16:00",
        "Asia/Tokyo",
        &["link-j-west"],
        Some(("saito-life-science-park", 0)),
        Some(60),
    ),
    (
        "us-genomics-business-meetings",
        "米国ゲノミクス企業との商談会",
        "Business Meetings with US Genomics Companies",
        "business_meeting",
        30,
        "19:00",
        "22:00",
        "America/New_York",
        &["osaka-pref", "charles-river-genomics"],
        Some(("kento-innovation-hub", 1)),
        Some(16),
    ),
    (
        "kento-healthcare-forum",
        "健都ヘルスケアフォーラム",
        "Kento Healthcare Forum",
        "seminar",
        37,
        "13:00",
        "17:30",
        "Asia/Tokyo",
        &["osaka-pref", "kento-regen"],
        Some(("kento-innovation-hub", 0)),
        Some(120),
    ),
    (
        "singapore-osaka-bio-exchange",
        "シンガポール・大阪バイオ交流会",
        "Singapore–Osaka Bio Exchange",
        "networking",
        44,
        "18:00",
        "20:30",
        "Asia/Tokyo",
        &["link-j-west", "merlion-therapeutics"],
        Some(("saito-life-science-park", 1)),
        Some(60),
    ),
    (
        "diagnostics-startup-pitch",
        "診断薬スタートアップ・ピッチ",
        "Diagnostics Start-up Pitch",
        "seminar",
        51,
        "15:00",
        "17:00",
        "Asia/Tokyo",
        &["link-j-west", "senri-diagnostics"],
        Some(("nakanoshima-qross", 1)),
        Some(40),
    ),
    (
        "winter-partnering-day",
        "冬のパートナリングデー",
        "Winter Partnering Day",
        "partnering",
        65,
        "10:00",
        "17:00",
        "Asia/Tokyo",
        &["link-j-west", "osaka-pref"],
        Some(("nakanoshima-qross", 0)),
        Some(200),
    ),
    (
        "berlin-online-briefing",
        "ベルリン・オンライン説明会（ドイツ医療機器市場）",
        "Berlin Online Briefing: The German Medical Device Market",
        "seminar",
        72,
        "09:00",
        "10:30",
        "Europe/Berlin",
        &["osaka-pref", "rhein-medtech"],
        None,
        None,
    ),
    (
        "drug-discovery-networking",
        "創薬ネットワーキング",
        "Drug Discovery Networking",
        "networking",
        86,
        "18:00",
        "20:00",
        "Asia/Tokyo",
        &["link-j-west", "naniwa-bio"],
        Some(("nakanoshima-qross", 1)),
        Some(40),
    ),
    (
        "spring-joint-symposium",
        "LINK-J WEST × 大阪府 春の合同シンポジウム",
        "LINK-J WEST × Osaka Prefecture Spring Joint Symposium",
        "seminar",
        100,
        "13:00",
        "18:00",
        "Asia/Tokyo",
        &["link-j-west", "osaka-pref"],
        Some(("kento-innovation-hub", 0)),
        Some(120),
    ),
];

/// How to reach a demo venue (ja, en).
fn access(slug: &str) -> Option<(&'static str, &'static str)> {
    match slug {
        "nakanoshima-qross" => Some((
            "京阪中之島線「中之島駅」6番出口から徒歩約3分。1階総合受付でお名前をお伝えください。",
            "About 3 minutes' walk from exit 6 of Nakanoshima Station (Keihan Nakanoshima Line). Give your name at the main reception on the ground floor.",
        )),
        "saito-life-science-park" => Some((
            "大阪モノレール彩都線「彩都西駅」から徒歩約10分。",
            "About 10 minutes' walk from Saito-nishi Station (Osaka Monorail Saito Line).",
        )),
        _ => None,
    }
}

/// The join link of the demo's online and hybrid events (url, platform).
fn online(slug: &str) -> Option<(&'static str, &'static str)> {
    match slug {
        "osaka-life-science-seminar-1" => Some(("https://zoom.us/j/81234567890", "Zoom")),
        "berlin-online-briefing" => Some((
            "https://teams.microsoft.com/l/meetup-join/musubi-demo",
            "Microsoft Teams",
        )),
        _ => None,
    }
}

/// Seeds the demo data when there are no organizations, venues or events.
/// Returns whether it seeded.
pub fn seed_if_empty(conn: &mut DbConn, keys: &LinkKeys) -> Result<bool, AppError> {
    if orgs::count(conn)? > 0 || vdb::count(conn)? > 0 || edb::count(conn)? > 0 {
        return Ok(false);
    }
    for (slug, ja, en, kind, country, zone, website) in ORGANIZATIONS {
        let fields = OrganizationFields {
            slug: some(slug),
            name_ja: some(ja),
            name_en: some(en),
            kind: some(kind),
            country: some(country),
            time_zone: some(zone),
            website: website.map(str::to_owned),
        };
        organizations::create(conn, &fields.validate()?)?;
    }
    let mut room_ids = std::collections::HashMap::new();
    for (slug, ja, en, address_ja, address_en, area, rooms) in VENUES {
        let fields = VenueFields {
            slug: some(slug),
            name_ja: some(ja),
            name_en: some(en),
            address_ja: some(address_ja),
            address_en: some(address_en),
            area: some(area),
            access_ja: access(slug).map(|(ja, _)| ja.to_owned()),
            access_en: access(slug).map(|(_, en)| en.to_owned()),
            time_zone: some("Asia/Tokyo"),
            rooms: rooms
                .iter()
                .map(|(ja, en, capacity)| RoomFields {
                    name_ja: some(ja),
                    name_en: some(en),
                    capacity: Some(capacity.to_string()),
                })
                .collect(),
        };
        let venue = venues::create(conn, &fields.validate()?)?;
        for (i, (_, en, _)) in rooms.iter().enumerate() {
            if let Some(room) = venue.rooms.iter().find(|r| r.name_en == *en) {
                room_ids.insert((*slug, i), room.id.to_string());
            }
        }
    }
    let today = Utc::now().with_timezone(&TimeZone::TOKYO.tz()).date_naive();
    for (slug, ja, en, kind, days, start, end, zone, organizers, room, capacity) in EVENTS {
        let date = today + Duration::days(*days);
        let fields = EventFields {
            slug: some(slug),
            title_ja: some(ja),
            title_en: some(en),
            description_ja: Some(format!(
                "{ja}を開催します。\n\n大阪・関西のライフサイエンス企業、研究機関、海外企業の皆さまのご参加をお待ちしています。\n\n※ これはデモ用のデータです。"
            )),
            description_en: Some(format!(
                "Join us for the {en}.\n\nLife-science companies and institutes from Osaka, Kansai and abroad are welcome.\n\n(This is demo data.)"
            )),
            kind: some(kind),
            starts_at: Some(format!("{date}T{start}")),
            ends_at: Some(format!("{date}T{end}")),
            time_zone: some(zone),
            capacity: capacity.map(|c| c.to_string()),
            registration_opens_at: None,
            registration_closes_at: Some(format!("{}T12:00", date - Duration::days(2))),
            status: some(if *slug == "drug-discovery-networking" {
                "draft"
            } else {
                "published"
            }),
            organizer_slugs: organizers.iter().map(|s| s.to_string()).collect(),
            room_ids: room
                .and_then(|key| room_ids.get(&key).cloned())
                .into_iter()
                .collect(),
            reminder_offsets: None,
            online_url: online(slug).map(|(url, _)| url.to_owned()),
            online_platform: online(slug).map(|(_, platform)| platform.to_owned()),
            revision: None,
        };
        events::create(conn, &fields.validate(TimeInput::WallClock)?)?;
    }
    // One cancelled event shows how cancellations look.
    events::cancel(conn, "diagnostics-startup-pitch")?;
    meetings::seed(conn, keys, today, |venue, i| {
        room_ids.get(&(venue, i)).cloned()
    })?;
    // The demo's people are made up: their invites are not sent.
    crate::db::outbox::skip_pending(conn, "demo data")?;
    Ok(true)
}
