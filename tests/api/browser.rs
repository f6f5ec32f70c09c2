//! The registration form in a real browser: Debian's headless Chromium,
//! driven by Playwright (tools/browser-check): fill the form, submit, see
//! that it was received; then follow the link from the mail, read the
//! registration and cancel it.

use std::process::Command;

use chrono::Utc;

use crate::helpers::{Backend, ORGANIZER_EMAIL, ORGANIZER_PASSWORD, spawn_app};
use crate::registrations::event_with_capacity;

/// Runs `tools/browser-check/<script>` with `args`; what it saw, as JSON.
async fn browser(script: &str, args: Vec<String>) -> serde_json::Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/browser-check");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is not installed: run scripts/test"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (.ci/run does)"
    );
    let script = format!("{dir}/{script}");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .env("CHROMIUM", &chromium)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_registers_and_cancels_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let email = "anna.schmidt@berlin-pharma.example.de";
    let seen = browser(
        "register.mjs",
        vec![app.address.clone(), "partnering-day".into(), email.into()],
    )
    .await;
    assert!(
        seen["confirmation"]
            .as_str()
            .unwrap()
            .starts_with("Received: we have sent a message to this address"),
        "{seen}"
    );
    assert!(
        !seen["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("/registrations/")),
        "the page hands out no link: {seen}"
    );

    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].is_to(email));
    let seen = browser("manage.mjs", vec![app.local(&mail[0].manage_link())]).await;
    assert_eq!(seen["status"], "Confirmed");
    let times = seen["times"].as_array().unwrap();
    assert!(times[0].as_str().unwrap().contains("JST"), "{seen}");
    assert!(
        times
            .iter()
            .any(|t| t.as_str().unwrap().contains("CET (Berlin)")),
        "{seen}"
    );
    assert_eq!(
        seen["qr"], 1,
        "a confirmed guest sees the check-in code: {seen}"
    );
    // Cancelling asks first, and going back changes nothing.
    assert_eq!(seen["confirm_title"], "Cancel your registration?");
    assert!(
        seen["confirm_text"]
            .as_str()
            .unwrap()
            .contains("Regenerative Medicine Seminar"),
        "{seen}"
    );
    assert_eq!(seen["status_after_going_back"], "Confirmed");
    assert_eq!(seen["status_after_cancel"], "Cancelled");
    assert!(
        seen["flash"].as_str().unwrap().contains("cancelled"),
        "{seen}"
    );
    assert_eq!(seen["qr_after_cancel"], 0, "{seen}");

    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let subjects: Vec<String> = app.smtp.received().iter().map(|m| m.subject()).collect();
    assert_eq!(
        subjects,
        [
            "Registration confirmed: Regenerative Medicine Seminar",
            "Registration cancelled: Regenerative Medicine Seminar"
        ]
    );
}

/// Where the browser checks leave their screenshots (CI keeps `target/`).
fn screenshot_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/target/browser-screenshots").to_owned()
}

/// The guest pages on a phone (390 px) and a desktop (1280 px), the zone
/// select with JavaScript, and axe-core on the public pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_pages_fit_phones_and_pass_axe_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    let event = event_with_capacity(&app, "regen-seminar", 10, 20).await;
    let month = &event["starts_at"].as_str().unwrap()[..7];
    let seen = browser(
        "pages.mjs",
        vec![
            app.address.clone(),
            "regen-seminar".into(),
            month.into(),
            screenshot_dir(),
        ],
    )
    .await;
    for width in ["390", "1280"] {
        let at = &seen["widths"][width];
        // A German browser gets English; the browser's zone is suggested
        // and chosen; picking the United States moves to New York.
        assert_eq!(at["lang"], "en", "{at}");
        assert_eq!(at["zoneOnLoad"], "Europe/Berlin", "{at}");
        assert_eq!(at["zoneAfterCountry"], "America/New_York", "{at}");
        let likely: Vec<&str> = at["likely"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z.as_str().unwrap())
            .collect();
        assert!(
            likely.contains(&"America/Chicago") && likely.contains(&"Europe/Berlin"),
            "{at}"
        );
        for size in at["fontSizes"].as_array().unwrap() {
            assert!(
                size.as_f64().unwrap() >= 16.0,
                "inputs at 16 px or more: {at}"
            );
        }
        assert!(at["fontSizes"].as_array().unwrap().len() >= 8, "{at}");
        for overflow in ["overflow", "calendarOverflow", "errorOverflow"] {
            assert!(
                at[overflow].as_i64().unwrap() <= 0,
                "no horizontal scroll ({overflow}): {at}"
            );
        }
        for hidden in [
            ".registration",
            ".feed-links",
            ".zone-picker",
            "header.site",
        ] {
            assert_eq!(
                at["print"][hidden], "none",
                "printed without {hidden}: {at}"
            );
        }
        assert_eq!(at["print"]["dl.facts"], "grid", "{at}");
        assert_eq!(at["print"]["h1"], "block", "{at}");
        assert_eq!(at["calendar"]["sundayColor"], "rgb(192, 28, 40)", "{at}");
        assert_eq!(at["calendar"]["saturdayColor"], "rgb(26, 95, 180)", "{at}");
    }
    let phone = &seen["widths"]["390"]["calendar"];
    assert_eq!(
        (phone["grid"].as_str(), phone["list"].as_str()),
        (Some("none"), Some("block")),
        "{phone}"
    );
    assert!(phone["items"].as_i64().unwrap() >= 1, "{phone}");
    let desktop = &seen["widths"]["1280"]["calendar"];
    assert_eq!(
        (desktop["grid"].as_str(), desktop["list"].as_str()),
        (Some("table"), Some("none")),
        "{desktop}"
    );
    for shot in [
        "event-390",
        "event-1280",
        "calendar-390",
        "calendar-1280",
        "error-404-390",
    ] {
        let path = format!("{}/{shot}.png", screenshot_dir());
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 5_000)
                .unwrap_or(false),
            "{path}"
        );
    }
    // No serious or critical accessibility violations on any page checked.
    let pages = seen["axe"].as_object().unwrap();
    assert_eq!(pages.len(), 7, "{seen}");
    for (path, violations) in pages {
        let bad: Vec<&serde_json::Value> = violations
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "axe on {path}: {bad:?}");
    }
}

/// The reception desk: the QR code's link, opened on a phone by a signed-in
/// organizer, checks the guest in once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_checks_a_guest_in_through_the_qr_link_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "regen-seminar", 10, 20).await;
    let (status, _) = app
        .api_post(
            "/api/v1/events/regen-seminar/registrations",
            &serde_json::json!({"name": "山田 太郎", "furigana": "やまだ たろう", "email": "yamada@osaka-bio.example.jp",
                    "organization": "大阪バイオ株式会社", "country": "JP", "time_zone": "Asia/Tokyo", "language": "ja", "consent": true}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    app.send_all_mail().await;
    let mail = app.smtp.received();
    let link = crate::on_the_day::check_in_link(&mail[0]);
    let seen = browser(
        "check_in.mjs",
        vec![
            app.address.clone(),
            app.local(&link),
            ORGANIZER_EMAIL.into(),
            ORGANIZER_PASSWORD.into(),
            screenshot_dir(),
        ],
    )
    .await;
    let anonymous = seen["anonymous"].as_str().unwrap();
    assert!(
        !anonymous.contains("山田"),
        "nobody named without a session: {seen}"
    );
    assert!(
        seen["guest"].as_str().unwrap().contains("山田 太郎")
            && seen["guest"]
                .as_str()
                .unwrap()
                .contains("大阪バイオ株式会社"),
        "{seen}"
    );
    assert!(seen["buttonFont"].as_f64().unwrap() >= 18.0, "{seen}");
    assert!(
        seen["after"].as_str().unwrap().contains("Checked in."),
        "{seen}"
    );
    assert!(seen["again"].as_str().unwrap().contains("JST"), "{seen}");
    assert!(seen["overflow"].as_i64().unwrap() <= 0, "{seen}");
}
