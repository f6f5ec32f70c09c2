//! The registration form in a real browser: Debian's headless Chromium,
//! driven by Playwright (tools/browser-check): fill the form, submit, see the
//! confirmation, follow the manage link, cancel.

use std::process::Command;

use chrono::Utc;

use crate::helpers::{Backend, spawn_app};
use crate::registrations::event_with_capacity;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_registers_and_cancels_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/browser-check/register.mjs"
    );
    assert!(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/browser-check/node_modules/playwright-core/package.json"
        ))
        .exists(),
        "playwright-core is not installed: run scripts/test"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (.ci/run does)"
    );
    let address = app.address.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                script,
                &address,
                "partnering-day",
                "anna.schmidt@berlin-pharma.example.de",
            ])
            .env("CHROMIUM", &chromium)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(
        seen["confirmation"]
            .as_str()
            .unwrap()
            .starts_with("Thank you"),
        "{seen}"
    );
    assert_eq!(seen["status"], "Confirmed");
    let times = seen["times"].as_array().unwrap();
    assert!(times[0].as_str().unwrap().contains("JST"), "{seen}");
    assert!(
        times
            .iter()
            .any(|t| t.as_str().unwrap().contains("Europe/Berlin")),
        "{seen}"
    );
    assert_eq!(seen["status_after_cancel"], "Cancelled");

    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let subjects: Vec<String> = app
        .smtp
        .received()
        .iter()
        .map(|m| m.parsed().subject().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects,
        [
            "Registration confirmed: Regenerative Medicine Seminar",
            "Registration cancelled: Regenerative Medicine Seminar"
        ]
    );
}
