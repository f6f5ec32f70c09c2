//! Every copy of a calendar entry right for its reader: someone taken off a
//! meeting keeps its UID, time, place and title and nothing else (in the
//! CANCEL, their feed, the .ics download and the page), and the SEQUENCE
//! a person sees never goes down (cancel and register again, taken off
//! and put back).

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::meetings::{boston, itip, mail_to, meeting, osaka, page_link, rhein};
use crate::registrations::{event_with_capacity, guest, register};
use crate::smtp::Received;

both_backends!(
    someone_taken_off_a_meeting_keeps_nothing_private,
    a_guest_who_cancels_and_registers_again_gets_a_higher_sequence,
    every_link_and_page_speaks_the_readers_language,
    a_cancelled_guest_of_an_online_event_loses_the_way_in
);

/// Every part of a message as text (the QR image aside), decoded.
fn all_text(m: &Received) -> String {
    let parsed = m.parsed();
    parsed
        .parts
        .iter()
        .filter_map(|p| p.text_contents().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The calendar part of a message, unfolded (RFC 5545 §3.1).
fn ics_of(m: &Received) -> String {
    let parsed = m.parsed();
    crate::registrations::part(&parsed, "text/calendar")
        .expect("a calendar part")
        .replace("\r\n ", "")
}

/// The VEVENT with this UID in a calendar, unfolded.
fn vevent<'a>(ics: &'a str, uid: &str) -> &'a str {
    ics.split("BEGIN:VEVENT\r\n")
        .skip(1)
        .find(|v| v.contains(&format!("UID:{uid}\r\n")))
        .and_then(|v| v.split("END:VEVENT").next())
        .unwrap_or_else(|| panic!("no {uid} in {ics}"))
}

fn property<'a>(vevent: &'a str, name: &str) -> Option<&'a str> {
    vevent
        .split("\r\n")
        .find(|l| l.starts_with(&format!("{name}:")) || l.starts_with(&format!("{name};")))
        .map(|l| l.split_once(':').unwrap().1)
}

async fn fetch_ics(app: &TestApp, url: &str) -> String {
    let r = reqwest::get(app.local(url)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.text().await.unwrap().replace("\r\n ", "")
}

/// The personal feed link in a message's plain text.
fn feed_link(m: &Received) -> String {
    let parsed = m.parsed();
    let text = crate::registrations::part(&parsed, "text/plain").unwrap();
    text.split_whitespace()
        .find(|w| w.contains("/feeds/"))
        .unwrap_or_else(|| panic!("no feed link in {text}"))
        .to_owned()
}

const SECRET_URL: &str = "https://meet.example.com/osaka-boston-7f3k";
const AGENDA: &str = "未公開の共同研究計画 / unpublished co-development plan";

async fn someone_taken_off_a_meeting_keeps_nothing_private(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let mut body = meeting(
        "2031-11-03T08:00:00+09:00",
        "2031-11-03T09:00:00+09:00",
        json!({ "online_url": SECRET_URL }),
        json!([
            osaka("kenji@pref.osaka.example", "山田 健二"),
            boston("dana@crv.example", "Dana Whitfield"),
            rhein("lena@rhein.example", "Lena Vogt")
        ]),
    );
    body["agenda"] = json!(AGENDA);
    let (status, created) = app.api_post("/api/v1/meetings", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let uid = format!("meeting-{id}@127.0.0.1");
    app.send_all_mail().await;
    let invite = mail_to(&app, "dana@crv.example").pop().unwrap();
    // What a listed attendee has, so that its absence below means something.
    let listed = ics_of(&invite);
    for private in [
        SECRET_URL,
        "未公開の共同研究計画",
        "山田 健二",
        "Lena Vogt",
        "CONFERENCE",
    ] {
        assert!(listed.contains(private), "{private} in the invite");
    }
    let (page, feed) = (page_link(&invite), feed_link(&invite));

    // Dana is taken off.
    let (status, changed) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "attendees": [osaka("kenji@pref.osaka.example", "山田 健二"), rhein("lena@rhein.example", "Lena Vogt")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    app.send_all_mail().await;
    let cancel = mail_to(&app, "dana@crv.example").pop().unwrap();
    let (method, reading) = itip(&cancel);
    assert_eq!(method, "CANCEL");
    let cancel_sequence = reading["sequence"].as_i64().unwrap();
    let ics = ics_of(&cancel);
    let copy = vevent(&ics, &uid);
    // RFC 5546 §3.2.5: an uninvite has no STATUS; the attendee is the only one.
    assert_eq!(property(copy, "STATUS"), None, "{copy}");
    assert_eq!(copy.matches("ATTENDEE").count(), 1, "{copy}");
    assert!(
        property(copy, "ATTENDEE")
            .unwrap()
            .ends_with("mailto:dana@crv.example")
    );

    let download = fetch_ics(&app, &format!("{page}.ics")).await;
    let personal = fetch_ics(&app, &feed).await;
    let shown = app.browse(&page).await;
    for (what, text) in [
        ("the CANCEL", all_text(&cancel)),
        ("the .ics download", download.clone()),
        ("the personal feed", personal.clone()),
        ("the page", shown),
    ] {
        for private in [
            SECRET_URL,
            "osaka-boston-7f3k",
            "未公開の共同研究計画",
            "co-development plan",
            "山田 健二",
            "Lena Vogt",
        ] {
            assert!(!text.contains(private), "{private} still in {what}: {text}");
        }
    }
    for (what, calendar) in [("download", &download), ("feed", &personal)] {
        let copy = vevent(calendar, &uid);
        for gone in ["DESCRIPTION", "CONFERENCE", "URL", "ATTENDEE", "CATEGORIES"] {
            assert_eq!(property(copy, gone), None, "{gone} in the {what}: {copy}");
        }
        // What stays: the time, the place, the title, and that it is gone.
        for kept in ["DTSTART", "DTEND", "SUMMARY", "LOCATION"] {
            assert!(property(copy, kept).is_some(), "{kept} in the {what}");
        }
        assert_eq!(property(copy, "STATUS"), Some("CANCELLED"), "{what}");
        assert_eq!(
            property(copy, "SEQUENCE"),
            Some(cancel_sequence.to_string().as_str()),
            "the {what} shows what the CANCEL said"
        );
    }

    // Put back: a REQUEST above the CANCEL, and the feed says the same.
    let (status, _) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "attendees": [osaka("kenji@pref.osaka.example", "山田 健二"), rhein("lena@rhein.example", "Lena Vogt"), boston("dana@crv.example", "Dana Whitfield")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.send_all_mail().await;
    let back = mail_to(&app, "dana@crv.example").pop().unwrap();
    let (method, reading) = itip(&back);
    assert_eq!(method, "REQUEST");
    let back_sequence = reading["sequence"].as_i64().unwrap();
    assert!(
        back_sequence > cancel_sequence,
        "{back_sequence} after {cancel_sequence}"
    );
    assert!(
        all_text(&back).contains(SECRET_URL),
        "listed again: the way in"
    );
    let feed = feed_link(&back);
    let personal = fetch_ics(&app, &feed).await;
    assert_eq!(
        property(vevent(&personal, &uid), "SEQUENCE"),
        Some(back_sequence.to_string().as_str())
    );
}

async fn a_guest_who_cancels_and_registers_again_gets_a_higher_sequence(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 5).await;
    let uid = format!("event-{}@127.0.0.1", event["id"].as_str().unwrap());
    let hanako = guest("hanako@osaka-bio.example.jp", "山田 花子");
    let (status, first) = register(&app, "partnering-day", &hanako).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    app.send_all_mail().await;
    let manage = first["manage_url"].as_str().unwrap().to_owned();
    let page = app.browse(&manage).await;
    app.press(&format!("{manage}/cancel"), &page).await;
    app.send_all_mail().await;
    // Her cancellation is an uninvite (RFC 5546 §3.2.5): no STATUS, and
    // nothing but the UID, time, place and title.
    let cancel = mail_to(&app, "hanako@osaka-bio.example.jp").pop().unwrap();
    let ics = ics_of(&cancel);
    let copy = vevent(&ics, &uid);
    for gone in ["STATUS", "DESCRIPTION", "URL", "CATEGORIES"] {
        assert_eq!(property(copy, gone), None, "{gone} in {copy}");
    }
    // The event moves twice while she is away; her feed shows the copy
    // cancelled, with a number the next invite must pass.
    let feed = feed_link(&cancel);
    let mut start = event["starts_at"].as_str().unwrap().to_owned();
    for hour in ["T14:30", "T15:00"] {
        start = start.replacen(&start[10..16], hour, 1);
        let (status, moved) = app
            .api_patch(
                "/api/v1/events/partnering-day",
                &json!({ "starts_at": start }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
    }
    app.send_all_mail().await;
    let away = fetch_ics(&app, &feed).await;
    let away_copy = vevent(&away, &uid);
    assert_eq!(property(away_copy, "STATUS"), Some("CANCELLED"));
    let shown_away: i64 = property(away_copy, "SEQUENCE").unwrap().parse().unwrap();
    let (status, _) = register(&app, "partnering-day", &hanako).await;
    assert_eq!(status, StatusCode::CREATED);
    app.send_all_mail().await;
    let mail = mail_to(&app, "hanako@osaka-bio.example.jp");
    let sequences: Vec<(String, i64)> = mail
        .iter()
        .map(|m| {
            let (method, reading) = itip(m);
            assert_eq!(reading["uid"], uid);
            (method, reading["sequence"].as_i64().unwrap())
        })
        .collect();
    let methods: Vec<&str> = sequences.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["REQUEST", "CANCEL", "REQUEST"]);
    assert!(
        sequences.windows(2).all(|w| w[1].1 > w[0].1),
        "every message above the one before: {sequences:?}"
    );
    assert!(
        sequences[2].1 > shown_away,
        "{sequences:?} after the feed's {shown_away}"
    );
    // The personal feed shows the last number sent.
    let personal = fetch_ics(&app, &feed_link(&mail[2])).await;
    let copy = vevent(&personal, &uid);
    assert_eq!(
        property(copy, "SEQUENCE"),
        Some(sequences[2].1.to_string().as_str()),
        "{copy}"
    );
    assert_eq!(property(copy, "STATUS"), Some("CONFIRMED"));

    // The event moves again: the next REQUEST is above everything too.
    let (status, _) = app
        .api_patch(
            "/api/v1/events/partnering-day",
            &json!({ "starts_at": start.replacen("T15:00", "T15:30", 1) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.send_all_mail().await;
    let moved = mail_to(&app, "hanako@osaka-bio.example.jp").pop().unwrap();
    let (method, reading) = itip(&moved);
    assert_eq!(method, "REQUEST");
    assert!(
        reading["sequence"].as_i64().unwrap() > sequences[2].1,
        "{reading}"
    );
}

/// The links of a message's plain text, in order.
fn links(m: &Received) -> Vec<String> {
    let parsed = m.parsed();
    let text = crate::registrations::part(&parsed, "text/plain").unwrap();
    text.split_whitespace()
        .filter(|w| w.starts_with("http://127.0.0.1"))
        .map(str::to_owned)
        .collect()
}

/// `<html lang="…">` of a page.
fn page_language(html: &str) -> &str {
    html.split("<html lang=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no <html lang> in {html}"))
}

async fn every_link_and_page_speaks_the_readers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 5).await;
    let mut john = guest("john@boston-bio.example.com", "John Miller");
    john["language"] = json!("en");
    john["time_zone"] = json!("America/New_York");
    let (status, _) = register(&app, "partnering-day", &john).await;
    assert_eq!(status, StatusCode::CREATED);
    // An English attendee of a meeting.
    let (status, _) = app
        .api_post(
            "/api/v1/meetings",
            &meeting(
                "2031-11-03T08:00:00+09:00",
                "2031-11-03T09:00:00+09:00",
                json!({ "online_url": SECRET_URL }),
                json!([
                    osaka("kenji@pref.osaka.example", "山田 健二"),
                    boston("dana@crv.example", "Dana Whitfield")
                ]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.send_all_mail().await;
    let confirmation = mail_to(&app, "john@boston-bio.example.com").pop().unwrap();
    let invite = mail_to(&app, "dana@crv.example").pop().unwrap();
    let kenji = mail_to(&app, "kenji@pref.osaka.example").pop().unwrap();
    for (m, lang) in [(&confirmation, "en"), (&invite, "en"), (&kenji, "ja")] {
        let found = links(m);
        let ours: Vec<&String> = found
            .iter()
            .filter(|l| !l.contains("/check-in/") && !l.ends_with("/privacy"))
            .collect();
        assert!(ours.len() >= 2, "{found:?}");
        for link in ours {
            assert!(link.ends_with(&format!("?lang={lang}")), "{link}");
        }
    }
    // Reached through the guest's token without ?lang=: their language,
    // whatever the browser says (this client sends no Accept-Language).
    let manage = confirmation.manage_link();
    let feed = feed_link(&confirmation)
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = page_link(&invite);
    for path in [
        manage.clone(),
        format!("{manage}/unsubscribe"),
        page.clone(),
        format!("{page}/unsubscribe"),
    ] {
        let html = reqwest::get(app.local(&path))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page_language(&html), "en", "{path}");
        // ?lang= still wins.
        let html = reqwest::get(app.local(&format!("{path}?lang=ja")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page_language(&html), "ja", "{path}?lang=ja");
    }
    // His page in Japanese links his feed in Japanese (a personal feed's
    // own default is his English).
    let html = reqwest::get(app.local(&format!("{manage}?lang=ja")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shown_feed = html
        .split('"')
        .find(|s| s.contains("/feeds/") && s.starts_with("http"))
        .unwrap_or_else(|| panic!("no feed link in {html}"));
    assert!(shown_feed.ends_with(".ics?lang=ja"), "{shown_feed}");
    let calendar = fetch_ics(&app, &feed).await;
    assert!(
        calendar.contains("SUMMARY;LANGUAGE=en:Regenerative Medicine Seminar"),
        "{calendar}"
    );
    assert!(
        calendar.contains("X-WR-CALNAME:LINK-J WEST × Osaka Prefecture"),
        "{calendar}"
    );
    let calendar = fetch_ics(&app, &format!("{feed}?lang=ja")).await;
    assert!(
        calendar.contains("SUMMARY;LANGUAGE=ja:再生医療セミナー"),
        "{calendar}"
    );
    let download = fetch_ics(&app, &format!("{page}.ics")).await;
    assert!(
        download.contains("SUMMARY;LANGUAGE=en:Meeting with an Osaka start-up"),
        "{download}"
    );
    // The one-click unsubscribe (a POST without cookies) answers in English too.
    let r = reqwest::Client::new()
        .post(app.local(&format!("{manage}/unsubscribe")))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(page_language(&r.text().await.unwrap()), "en");
}

const JOIN_URL: &str = "https://zoom.example.com/j/81234567890";

async fn a_cancelled_guest_of_an_online_event_loses_the_way_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let date = (chrono::Utc::now() + chrono::Duration::days(5))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let mut body = crate::helpers::event_body(
        "online-briefing",
        &format!("{date}T10:00:00+09:00"),
        &format!("{date}T11:00:00+09:00"),
        &[],
    );
    body["online_url"] = json!(JOIN_URL);
    body["online_platform"] = json!("Zoom");
    let created = app.create_event(&body).await;
    let uid = format!("event-{}@127.0.0.1", created["id"].as_str().unwrap());
    let (status, first) = register(
        &app,
        "online-briefing",
        &guest("hanako@osaka-bio.example.jp", "山田 花子"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    app.send_all_mail().await;
    let confirmation = mail_to(&app, "hanako@osaka-bio.example.jp").pop().unwrap();
    assert!(
        all_text(&confirmation).contains(JOIN_URL),
        "a seated guest has the way in"
    );
    let manage = confirmation.manage_link();
    let page = app.browse(&manage).await;
    app.press(&format!("{manage}/cancel"), &page).await;
    app.send_all_mail().await;
    let cancel = mail_to(&app, "hanako@osaka-bio.example.jp").pop().unwrap();
    assert_eq!(itip(&cancel).0, "CANCEL");
    let ics = ics_of(&cancel);
    for gone in ["STATUS", "DESCRIPTION", "URL", "CONFERENCE"] {
        assert_eq!(property(vevent(&ics, &uid), gone), None, "{gone} in {ics}");
    }
    let feed = fetch_ics(&app, &feed_link(&cancel)).await;
    assert_eq!(property(vevent(&feed, &uid), "STATUS"), Some("CANCELLED"));
    let shown = app.browse(&manage).await;
    for (what, text) in [
        ("the CANCEL", all_text(&cancel)),
        ("the feed", feed),
        ("the page", shown),
    ] {
        assert!(
            !text.contains(JOIN_URL) && !text.contains("81234567890"),
            "the join link in {what}: {text}"
        );
    }
}
