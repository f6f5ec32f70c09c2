//! The registration form and the guest's manage page, as a browser without
//! JavaScript uses them: form errors keep the input, the manage page shows
//! both zones and the guest's links, the personal feed holds every event of
//! that email, the feed URL can be changed, and "delete my data" deletes.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, csrf_token, spawn_app, spawn_app_with};
use crate::registrations::{event_with_capacity, guest, register, register_hanako};

both_backends!(
    the_form_keeps_the_input_and_names_each_problem,
    the_manage_page_shows_both_zones_and_the_personal_feed,
    deleting_my_data_removes_everything_and_frees_the_seat,
    registrations_past_the_rate_limit_get_429,
    without_smtp_mail_is_written_as_eml_files
);

async fn submit_form(app: &TestApp, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = app
        .client
        .get(app.url(&format!("/events/{slug}?lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/events/"),
        "the page offers the form: {page}"
    );
    let token = csrf_token(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(&format!("/events/{slug}/register")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn the_form_keeps_the_input_and_names_each_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 5, 20).await;
    let r = submit_form(
        &app,
        "partnering-day",
        &[
            ("name", "Anna Schmidt"),
            ("email", "anna.schmidt@@berlin"),
            ("organization", "Berlin Pharma GmbH"),
            ("country", "DE"),
            ("time_zone", "Europe/Berlin"),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"Anna Schmidt\""), "input kept");
    assert!(page.contains("value=\"anna.schmidt@@berlin\""));
    assert!(page.contains("Berlin Pharma GmbH"));
    assert!(
        page.contains("Please agree to the privacy notice."),
        "{page}"
    );
    assert!(page.contains("class=\"error\""));

    // An address typed with the Japanese input on (full-width letters) is
    // one a relay without SMTPUTF8 would refuse after the guest has left:
    // refused here, with the reason, and nothing is queued.
    let r = submit_form(
        &app,
        "partnering-day",
        &[
            ("name", "山田 花子"),
            ("email", "ｈａｎａｋｏ@osaka-bio.example.jp"),
            ("organization", "大阪バイオ株式会社"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("language", "ja"),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Use Latin letters, digits and symbols before the @"),
        "{page}"
    );
    assert!(app.unfinished_mail().is_empty());

    // A request from another site (no CSRF token) changes nothing.
    let r = reqwest::Client::new()
        .post(app.url("/events/partnering-day/register"))
        .form(&[("name", "X"), ("email", "x@example.jp"), ("consent", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = submit_form(
        &app,
        "partnering-day",
        &[
            ("name", "Anna Schmidt"),
            ("email", "anna.schmidt@berlin-pharma.example.de"),
            ("organization", "Berlin Pharma GmbH"),
            ("country", "DE"),
            ("time_zone", "Europe/Berlin"),
            ("language", "en"),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/events/partnering-day/registered");
    let page = app.browse(&location).await;
    assert!(
        page.contains("Received: we have sent a message to this address"),
        "{page}"
    );
    assert!(!page.contains("/registrations/"), "no link on the page");
    // The link reaches the guest by mail.
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].is_to("anna.schmidt@berlin-pharma.example.de"));
    let page = app.browse(&mail[0].manage_link()).await;
    assert!(page.contains("Confirmed"), "{page}");
}

async fn the_manage_page_shows_both_zones_and_the_personal_feed(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 5, 20).await;
    event_with_capacity(&app, "networking-night", 5, 22).await;
    let mut john = guest("john@boston-bio.example.com", "John Miller");
    john["time_zone"] = json!("America/New_York");
    john["language"] = json!("en");
    let (_, first) = register(&app, "partnering-day", &john).await;
    let (_, second) = register(&app, "networking-night", &john).await;
    assert_eq!(first["feed_url"], second["feed_url"], "one feed per person");

    let manage = app.local(first["manage_url"].as_str().unwrap());
    let page = app.browse(&manage).await;
    assert!(page.contains("JST"), "{page}");
    assert!(
        page.contains("EST <small>(New York)</small>"),
        "the guest's own zone: {page}"
    );
    assert!(page.contains("/events/partnering-day.ics"));
    assert!(page.contains("calendar.google.com"));
    assert!(page.contains("webcal://127.0.0.1:8080/feeds/"));

    let feed = app.local(first["feed_url"].as_str().unwrap());
    let ics = reqwest::get(&feed).await.unwrap().text().await.unwrap();
    let (python, _) = crate::feeds::parse_independently(&ics);
    assert_eq!(python["errors"], json!([]));
    assert_eq!(python["events"].as_array().unwrap().len(), 2, "{python}");

    // Changing the feed URL retires the old one.
    let r = app.press(&format!("{manage}/rotate-feed"), &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        reqwest::get(&feed).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let page = app.browse(&manage).await;
    let start = page.find("href=\"http://127.0.0.1:8080/feeds/").unwrap() + "href=\"".len();
    let new_feed = app.local(page[start..].split('"').next().unwrap());
    assert_ne!(new_feed, feed);
    assert_eq!(
        reqwest::get(&new_feed).await.unwrap().status(),
        StatusCode::OK
    );

    // Cancelling leaves the event in the feed as cancelled, so calendars drop it.
    app.press(&format!("{manage}/cancel"), &page).await;
    let ics = reqwest::get(&new_feed).await.unwrap().text().await.unwrap();
    let (python, _) = crate::feeds::parse_independently(&ics);
    let statuses: Vec<&str> = python["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELLED", "CONFIRMED"]);
    assert_eq!(
        reqwest::get(app.url("/registrations/not-a-token"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    app.send_all_mail().await;
}

async fn deleting_my_data_removes_everything_and_frees_the_seat(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 1, 20).await;
    let hanako = register_hanako(&app).await;
    let (_, taro) = register(
        &app,
        "partnering-day",
        &guest("taro@kansai-med.example.jp", "佐藤 太郎"),
    )
    .await;
    assert_eq!(taro["status"], "waitlisted");
    let manage = app.local(hanako["manage_url"].as_str().unwrap());
    let page = app.browse(&manage).await;
    let r = app.press(&format!("{manage}/delete"), &page).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("データを削除しました"));
    assert_eq!(
        app.client.get(&manage).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reqwest::get(app.local(hanako["feed_url"].as_str().unwrap()))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let recipients: Vec<String> = app
        .smtp
        .received()
        .iter()
        .flat_map(|m| m.rcpt_to.clone())
        .collect();
    assert!(
        !recipients.iter().any(|r| r.contains("hanako")),
        "no mail to deleted data: {recipients:?}"
    );
    let taro_mail: Vec<_> = app
        .smtp
        .received()
        .into_iter()
        .filter(|m| m.rcpt_to[0].contains("taro"))
        .collect();
    assert!(
        taro_mail
            .iter()
            .any(|m| m.parsed().subject().unwrap().contains("繰り上がり")),
        "Taro got the seat"
    );
    let (_, event) = app.api_get("/api/v1/events/partnering-day").await;
    assert_eq!(event["confirmed_count"], 1);
}

async fn registrations_past_the_rate_limit_get_429(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.rate_limit_per_minute = 3;
        s.trusted_proxies = vec![musubi::domain::network::Network::parse("127.0.0.1").unwrap()];
    })
    .await;
    event_with_capacity(&app, "partnering-day", 50, 20).await;
    let post = |n: usize, forwarded_for: &'static str| {
        let url = app.url("/api/v1/events/partnering-day/registrations");
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", forwarded_for)
                .json(&guest(&format!("g{n}-{forwarded_for}@example.jp"), "G"))
                .send()
                .await
                .unwrap();
            let retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            (r.status(), retry_after)
        }
    };
    // A burst of the limit passes; the next is told when to come back: a
    // minute / 3, not at the next minute boundary (which a fixed window
    // would reset at, letting through twice the limit across it).
    for n in 0..3 {
        assert_eq!(post(n, "198.51.100.1").await, (StatusCode::ACCEPTED, None));
    }
    let (status, retry_after) = post(3, "198.51.100.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after.expect("a Retry-After header");
    assert!(
        (19..=20).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        post(4, "198.51.100.1").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Behind the trusted proxy every guest has their own allowance.
    assert_eq!(post(5, "198.51.100.2").await.0, StatusCode::ACCEPTED);

    // Without a trusted proxy, a forged header does not give a new allowance.
    let direct = spawn_app_with(backend, |s| s.rate_limit_per_minute = 2).await;
    event_with_capacity(&direct, "partnering-day", 50, 20).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let r = reqwest::Client::new()
            .post(direct.url("/api/v1/events/partnering-day/registrations"))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&guest(&format!("d{n}@example.jp"), "D"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // The form counts against the same allowance and says when to return.
    let r = submit_form(
        &direct,
        "partnering-day",
        &[
            ("name", "大阪 太郎"),
            ("email", "taro@osaka-bio.example.jp"),
            ("organization", "大阪バイオ株式会社"),
            ("country", "JP"),
            ("time_zone", "Asia/Tokyo"),
            ("language", "ja"),
            ("consent", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    app.send_all_mail().await;
    direct.send_all_mail().await;
}

async fn without_smtp_mail_is_written_as_eml_files(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let app = spawn_app_with(backend, |s| {
        s.mail.smtp_url = None;
        s.mail.mail_dir = mail_dir.clone();
    })
    .await;
    event_with_capacity(&app, "partnering-day", 5, 20).await;
    register_hanako(&app).await;
    let round = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(round.sent, 1);
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(parsed.subject().unwrap().starts_with("【参加登録完了】"));
}
