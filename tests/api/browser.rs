//! The registration form in a real browser: Debian's headless Chromium,
//! driven by Playwright (tools/browser-check): fill the form, submit, see
//! that it was received; then follow the link from the mail, read the
//! registration and cancel it.

use std::process::Command;

use chrono::Utc;

use crate::helpers::{Backend, spawn_app};
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
            .any(|t| t.as_str().unwrap().contains("Europe/Berlin")),
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
