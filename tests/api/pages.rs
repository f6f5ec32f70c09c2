use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, event_body, spawn_app_with, spawn_with_seminar};

both_backends!(
    pages_speak_japanese_by_default_and_english_on_request,
    times_name_their_zone_and_the_visitors_own,
    calendar_and_venue_pages_show_the_bookings,
    pages_offer_each_feed_as_https_and_webcal
);

async fn pages_speak_japanese_by_default_and_english_on_request(backend: Backend) {
    let (app, _, _) = spawn_with_seminar(backend).await;

    let (status, ja) = app.page("/events/regen-seminar", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ja.contains("<html lang=\"ja\">"));
    assert!(ja.contains("<h1>再生医療セミナー</h1>"), "{ja}");
    assert!(
        ja.contains("LINK-J WEST × 大阪府"),
        "joint organizers are both named"
    );
    assert!(ja.contains("中之島クロス"));

    let (_, en) = app.page("/events/regen-seminar?lang=en", None).await;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("<h1>Regenerative Medicine Seminar</h1>"));
    assert!(en.contains("LINK-J WEST × Osaka Prefectural Government"));

    let (_, by_header) = app.page("/", Some("en-GB,en;q=0.9,ja;q=0.5")).await;
    assert!(by_header.contains("Upcoming events"));
    let (_, prefers_ja) = app.page("/", Some("ja,en;q=0.8")).await;
    assert!(prefers_ja.contains("開催予定のイベント"));

    // ?lang= is remembered in a cookie and beats Accept-Language afterwards.
    let r = app
        .client
        .get(app.url("/?lang=en"))
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Upcoming events"));
    let r = app
        .client
        .get(app.url("/calendar"))
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Next month"));

    let (status, missing) = app.page("/events/no-such-event", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("ページが見つかりません") && missing.contains("<html lang=\"ja\">"));
    let (status, missing) = app
        .page("/events/no-such-event", Some("en-GB,en;q=0.8"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found") && !missing.contains("ページが見つかりません"));
}

async fn times_name_their_zone_and_the_visitors_own(backend: Backend) {
    let (app, _, _) = spawn_with_seminar(backend).await;

    let (_, ja) = app.page("/events/regen-seminar", None).await;
    assert!(ja.contains("2031年12月2日(火) 14:00–17:00 JST"), "{ja}");
    let (_, en) = app.page("/events/regen-seminar?lang=en", None).await;
    assert!(en.contains("Tue 2 Dec 2031, 14:00–17:00 JST"));
    assert!(!en.contains("CET"));

    let (_, berlin) = app
        .page("/events/regen-seminar?lang=en&tz=Europe/Berlin", None)
        .await;
    assert!(
        berlin.contains("Tue 2 Dec 2031, 14:00–17:00 JST"),
        "Tokyo time stays first"
    );
    assert!(
        berlin.contains("Tue 2 Dec 2031, 06:00–09:00 CET"),
        "{berlin}"
    );
    let (_, new_york) = app
        .page("/events/regen-seminar?lang=en&tz=America/New_York", None)
        .await;
    assert!(
        new_york.contains("Tue 2 Dec 2031, 00:00–03:00 EST"),
        "{new_york}"
    );
    let (_, bogus) = app
        .page("/events/regen-seminar?lang=en&tz=Not/AZone", None)
        .await;
    assert!(
        bogus.contains("14:00–17:00 JST"),
        "an unknown zone is ignored, not an error"
    );

    // An event held in Berlin's zone shows Tokyo time and its own.
    let mut body = event_body(
        "berlin-briefing",
        "2031-07-01T09:00:00+02:00",
        "2031-07-01T10:30:00+02:00",
        &[],
    );
    body["time_zone"] = json!("Europe/Berlin");
    app.create_event(&body).await;
    let (_, page) = app.page("/events/berlin-briefing?lang=en", None).await;
    assert!(page.contains("Tue 1 Jul 2031, 16:00–17:30 JST"), "{page}");
    assert!(page.contains("Tue 1 Jul 2031, 09:00–10:30 CEST"));
    let (_, page) = app.page("/events/berlin-briefing", None).await;
    assert!(page.contains("2031年7月1日(火) 16:00–17:30 JST"));
}

async fn calendar_and_venue_pages_show_the_bookings(backend: Backend) {
    let (app, _, _) = spawn_with_seminar(backend).await;
    // 23:30 UTC on the 9th is the 10th in Tokyo.
    app.create_event(&event_body(
        "late-utc",
        "2031-12-09T23:30:00Z",
        "2031-12-10T01:00:00Z",
        &[],
    ))
    .await;
    app.create_event(&event_body(
        "cancelled-one",
        "2031-12-20T14:00:00+09:00",
        "2031-12-20T15:00:00+09:00",
        &[],
    ))
    .await;
    app.api_post("/api/v1/events/cancelled-one/cancel", &json!({}))
        .await;

    let (status, cal) = app.page("/calendar?month=2031-12&lang=en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cal.contains("December 2031"), "{cal}");
    let cell_of = |slug: &str| {
        let at = cal
            .find(&format!("/events/{slug}\""))
            .unwrap_or_else(|| panic!("{slug} missing"));
        let cell_start =
            cal[..at].rfind("<span class=\"day\">").unwrap() + "<span class=\"day\">".len();
        cal[cell_start..].split('<').next().unwrap().to_owned()
    };
    assert_eq!(cell_of("regen-seminar"), "2");
    assert_eq!(cell_of("late-utc"), "10");
    assert!(cal.contains("class=\"entry cancelled\""));
    let (status, _) = app.page("/calendar?month=2031-13", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, venue) = app.page("/venues/nakanoshima?lang=en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(venue.contains("Nakanoshima Qross") && venue.contains("Hall") && venue.contains("200"));
    assert!(venue.contains("/events/regen-seminar"));
    assert!(
        !venue.contains("/events/late-utc"),
        "only this venue's bookings"
    );

    let (_, cancelled) = app.page("/events/cancelled-one?lang=en", None).await;
    assert!(cancelled.contains("This event has been cancelled."));
}

/// Every `href` of a page, HTML entities undone.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|rest| {
            let raw = rest.split('"').next().unwrap();
            raw.replace("&#38;", "&").replace("&amp;", "&")
        })
        .collect()
}

/// Asserts the page links `path` on the public base URL both as https and
/// as webcal, and that the https link answers with a calendar.
async fn assert_feed_offered(app: &TestApp, page: &str, path: &str) {
    let links = hrefs(page);
    let https = format!("https://events.link-j.example{path}");
    let webcal = format!("webcal://events.link-j.example{path}");
    assert!(links.contains(&https), "{https} missing in {links:?}");
    assert!(links.contains(&webcal), "{webcal} missing in {links:?}");
    let response = app
        .get(https.trim_start_matches("https://events.link-j.example"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("BEGIN:VCALENDAR\r\n")
    );
}

async fn pages_offer_each_feed_as_https_and_webcal(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.base_url = "https://events.link-j.example".into();
    })
    .await;
    let (hall, _) = app.seed_basics().await;
    app.create_event(&event_body(
        "regen-seminar",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    ))
    .await;

    let (_, home) = app.page("/", None).await;
    assert_feed_offered(&app, &home, "/calendar.ics").await;
    let (_, home_en) = app.page("/?lang=en", None).await;
    assert_feed_offered(&app, &home_en, "/calendar.ics?lang=en").await;
    let (_, calendar) = app.page("/calendar?month=2031-12", None).await;
    assert_feed_offered(&app, &calendar, "/calendar.ics").await;
    let (_, venue) = app.page("/venues/nakanoshima", None).await;
    assert_feed_offered(&app, &venue, "/venues/nakanoshima/calendar.ics").await;

    let (_, event) = app.page("/events/regen-seminar", None).await;
    assert_feed_offered(&app, &event, "/events/regen-seminar.ics").await;
    for organizer in ["link-j-west", "osaka-pref"] {
        let path = format!("/organizations/{organizer}/calendar.ics");
        assert_feed_offered(&app, &event, &path).await;
    }
    let links = hrefs(&event);
    assert!(
        links.contains(&"/events/regen-seminar.ics".to_owned()),
        "add to calendar: {links:?}"
    );

    // Google Calendar's template link carries the times in UTC (14:00 JST
    // is 05:00Z), the Japanese title, the place and a link back.
    let google = links
        .iter()
        .find(|l| l.starts_with("https://calendar.google.com/calendar/render?"))
        .expect("a Google Calendar link");
    let query: std::collections::HashMap<String, String> = url::Url::parse(google)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["action"], "TEMPLATE");
    assert_eq!(query["text"], "再生医療セミナー");
    assert_eq!(query["dates"], "20311202T050000Z/20311202T080000Z");
    assert_eq!(query["ctz"], "Asia/Tokyo");
    assert!(query["location"].contains("中之島クロス"), "{query:?}");
    assert!(
        query["details"].ends_with("https://events.link-j.example/events/regen-seminar"),
        "{query:?}"
    );

    let (_, event_en) = app.page("/events/regen-seminar?lang=en", None).await;
    assert_feed_offered(&app, &event_en, "/events/regen-seminar.ics?lang=en").await;
    assert!(event_en.contains("Add to Google Calendar"));
    assert!(event_en.contains("Subscribe (webcal)"));
}
