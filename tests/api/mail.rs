//! Delivery faults and reminders, against the test SMTP server: temporary
//! refusals are retried, permanent ones fail at once and show to the admin,
//! reminders go out once at their time and not after a cancellation or the
//! start, and a worker killed mid-send loses nothing.

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::registrations::{
    event_with_capacity, guest, register, register_guests, register_hanako,
};

both_backends!(
    the_worker_inside_serve_sends_without_help,
    temporary_refusals_are_retried_until_delivered_once,
    a_permanent_refusal_fails_at_once_and_the_admin_can_retry,
    reminders_arrive_once_at_their_time_and_never_after_cancellation,
    reminders_due_while_smtp_is_down_go_out_when_it_is_back,
    reminders_follow_a_moved_event_and_new_offsets,
    a_killed_worker_loses_nothing,
    mail_goes_out_oldest_first_and_in_order_per_guest
);

/// The test app fails a test that ends with mail due and not sent: a
/// message queued that no test looked at is a finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_app_fails_a_test_that_leaves_mail_behind() {
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "partnering-day", 5, 20).await;
    register_hanako(&app).await;
    let left = app.unfinished_mail();
    assert_eq!(
        left.into_iter().collect::<Vec<_>>(),
        [(("confirmed".to_owned(), "pending".to_owned()), 1)]
    );
    let dropped = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(app)))
    })
    .await
    .unwrap();
    assert!(
        dropped.is_err(),
        "dropping the app with mail left must fail"
    );

    // Sent (or said to be left), it passes; reminders due later do not count.
    let app = spawn_app(Backend::Sqlite).await;
    event_with_capacity(&app, "partnering-day", 5, 20).await;
    register_hanako(&app).await;
    app.send_all_mail().await;
    assert!(app.unfinished_mail().is_empty());
}

/// (kind, status, attempts) of the outbox's messages other than reminders.
fn outbox_rows(app: &TestApp) -> Vec<(String, String, i32)> {
    use diesel::prelude::*;
    use musubi::db::schema::outbox::dsl as o;
    let mut conn = app.pool.get().unwrap();
    o::outbox
        .filter(o::kind.ne("reminder"))
        .select((o::kind, o::status, o::attempts))
        .order(o::created_at.asc())
        .load(&mut conn)
        .unwrap()
}

pub fn starts_at(event: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(event["starts_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn the_worker_inside_serve_sends_without_help(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| {
        s.run_worker = true;
        s.mail.poll_interval = StdDuration::from_millis(50);
    })
    .await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    register_hanako(&app).await;
    let mail = app.smtp.wait_for(1, StdDuration::from_secs(20)).await;
    assert_eq!(mail[0].mail_from, format!("<{}>", app.settings.mail_from));
    assert_eq!(mail[0].rcpt_to, ["<hanako@osaka-bio.example.jp>"]);
}

async fn temporary_refusals_are_retried_until_delivered_once(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    app.smtp
        .refuse_next(3, "451 4.3.0 Mailbox busy, try again later");
    register_hanako(&app).await;
    let mut now = Utc::now();
    let first = app.worker.run_until_idle(now).await.unwrap();
    assert_eq!((first.sent, first.retried), (0, 1));
    // Not due again at once: the retry waits.
    assert_eq!(app.worker.run_until_idle(now).await.unwrap().claimed, 0);
    for _ in 0..3 {
        now += Duration::hours(1);
        app.worker.run_until_idle(now).await.unwrap();
    }
    assert_eq!(app.smtp.data_attempts(), 4);
    assert_eq!(
        app.smtp.received().len(),
        1,
        "delivered once, on the 4th try"
    );
    assert_eq!(
        outbox_rows(&app),
        [("confirmed".to_owned(), "sent".to_owned(), 4)]
    );
}

async fn a_permanent_refusal_fails_at_once_and_the_admin_can_retry(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    app.smtp.refuse_next(1, "550 5.1.1 No such user here");
    register(
        &app,
        "partnering-day",
        &guest("nobody@osaka-bio.example.jp", "山田 花子"),
    )
    .await;
    let round = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(round.failed, 1);
    assert_eq!(
        app.worker
            .run_until_idle(Utc::now() + Duration::days(1))
            .await
            .unwrap()
            .claimed,
        0,
        "a 5xx is not retried by itself"
    );
    assert_eq!(
        outbox_rows(&app),
        [("confirmed".to_owned(), "failed".to_owned(), 1)]
    );

    crate::admin::login(&app).await;
    let page = app.browse("/admin/outbox").await;
    assert!(page.contains("nobody@osaka-bio.example.jp"), "{page}");
    // Which event and which guest the message belongs to, in the page's
    // language, with a link to the event's attendees.
    assert!(
        page.contains(
            "<a href=\"/admin/events/partnering-day/registrations\">再生医療セミナー</a>"
        ),
        "{page}"
    );
    assert!(page.contains("(550): 5.1.1 No such user here"), "{page}");
    let action_at = page.find("/retry\"").expect("a retry button");
    let action_start = page[..action_at].rfind("action=\"").unwrap() + "action=\"".len();
    let action = &page[action_start..action_at + "/retry".len()];
    let r = app.press(action, &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(app.smtp.received().len(), 1);
    assert_eq!(outbox_rows(&app)[0].1, "sent");
}

async fn reminders_arrive_once_at_their_time_and_never_after_cancellation(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 3).await;
    let start = starts_at(&event);
    let hanako = register_hanako(&app).await;
    let mut en = guest("john@boston-bio.example.com", "John Miller");
    en["language"] = serde_json::json!("en");
    en["time_zone"] = serde_json::json!("America/New_York");
    let (_, john) = register(&app, "partnering-day", &en).await;
    assert_eq!(app.worker.run_until_idle(Utc::now()).await.unwrap().sent, 2);

    let day_before = start - Duration::days(1);
    assert_eq!(
        app.worker
            .run_until_idle(day_before - Duration::minutes(1))
            .await
            .unwrap()
            .claimed,
        0,
        "nothing before its time"
    );
    let round = app
        .worker
        .run_until_idle(day_before + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(round.sent, 2, "{round:?}");
    let mail = app.smtp.received();
    let john_reminder = mail[2..]
        .iter()
        .find(|m| m.rcpt_to.join(",").contains("john@"))
        .unwrap();
    let parsed = john_reminder.parsed();
    assert_eq!(
        parsed.subject().unwrap(),
        "Reminder: Regenerative Medicine Seminar"
    );
    // Folded within its brackets (RFC 2369: whitespace there is ignored).
    let unsubscribe: String = parsed
        .header_raw("List-Unsubscribe")
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        unsubscribe.starts_with("<http") && unsubscribe.ends_with("/unsubscribe?lang=en>"),
        "{unsubscribe}"
    );
    assert_eq!(
        parsed.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("starts in 1 day"), "{text}");
    assert!(
        text.contains("EST") || text.contains("EDT"),
        "the guest's own zone: {text}"
    );
    assert_eq!(
        app.worker
            .run_until_idle(day_before + Duration::minutes(5))
            .await
            .unwrap()
            .claimed,
        0,
        "each reminder once"
    );

    // John stops reminders with the one-click POST (RFC 8058) his mail program sends.
    let url = unsubscribe
        .trim_matches(['<', '>'])
        .replace("http://127.0.0.1:8080", &app.address);
    let r = reqwest::Client::new()
        .post(&url)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Hanako cancels her registration.
    let manage = hanako["manage_url"].as_str().unwrap();
    let page = app.browse(manage).await;
    app.press(&format!("{manage}/cancel"), &page).await;
    assert!(john["status"] == "confirmed");
    let before = app.smtp.received().len();
    let round = app
        .worker
        .run_until_idle(start - Duration::minutes(59))
        .await
        .unwrap();
    assert_eq!(
        round.sent, 1,
        "only Hanako's cancellation, no reminder: {round:?}"
    );
    let last = app.smtp.received();
    assert_eq!(last.len(), before + 1);
    assert!(
        last[before]
            .parsed()
            .subject()
            .unwrap()
            .starts_with("【キャンセル完了】")
    );
    assert_eq!(
        app.worker
            .run_until_idle(start + Duration::hours(1))
            .await
            .unwrap()
            .sent,
        0
    );
}

async fn reminders_due_while_smtp_is_down_go_out_when_it_is_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 3).await;
    let start = starts_at(&event);
    register_hanako(&app).await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();

    app.smtp.set_down(true);
    let down_at = start - Duration::minutes(50);
    let round = app.worker.run_until_idle(down_at).await.unwrap();
    assert_eq!(
        (round.sent, round.retried),
        (0, 2),
        "both reminders fell due: {round:?}"
    );
    app.smtp.set_down(false);
    let round = app
        .worker
        .run_until_idle(down_at + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(round.sent, 2, "sent late, before the start: {round:?}");
    let reminders: Vec<_> = app.smtp.received().into_iter().skip(1).collect();
    assert_eq!(reminders.len(), 2);
    assert!(reminders.iter().all(|m| {
        m.parsed()
            .subject()
            .unwrap()
            .starts_with("【リマインダー】")
    }));
    assert_eq!(
        app.worker
            .run_until_idle(start - Duration::minutes(1))
            .await
            .unwrap()
            .claimed,
        0
    );
}

async fn a_killed_worker_loses_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 50, 20).await;
    let guests: BTreeSet<String> = register_guests(&app, "partnering-day", 12)
        .await
        .into_iter()
        .collect();
    // A slow server, so that the worker is surely mid-send when it is killed.
    app.smtp.set_delay(StdDuration::from_millis(300));
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_musubi"))
        .arg("worker")
        .env_remove("MUSUBI_CONFIG")
        .env("MUSUBI_DATABASE_URL", app.database_url.to_string())
        .env("MUSUBI_SMTP_URL", app.smtp.url())
        .env("MUSUBI_WORKER_POLL_MS", "50")
        .env("MUSUBI_LOG", "error")
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + StdDuration::from_secs(30);
    while app.smtp.received().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker sent nothing"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    worker.kill().unwrap(); // SIGKILL
    worker.wait().unwrap();
    let delivered_before = app.smtp.received().len();
    assert!(delivered_before < 12, "killed before the end");
    assert!(
        outbox_rows(&app)
            .iter()
            .any(|(_, status, _)| status == "sending"),
        "some messages were claimed when it died: {:?}",
        outbox_rows(&app)
    );

    // A new worker takes over once the dead worker's lease has run out.
    app.smtp.set_delay(StdDuration::ZERO);
    app.worker
        .run_until_idle(Utc::now() + Duration::minutes(6))
        .await
        .unwrap();
    let received = app.smtp.received();
    let recipients: BTreeSet<String> = received.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    assert_eq!(recipients, guests, "every guest got their confirmation");
    assert!(
        outbox_rows(&app)
            .iter()
            .all(|(_, status, _)| status == "sent")
    );
    // A message cut off mid-send may arrive twice, with the same Message-ID.
    let ids: Vec<String> = received
        .iter()
        .map(|m| m.parsed().message_id().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 12);
}

async fn reminders_follow_a_moved_event_and_new_offsets(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 3).await;
    let old_start = starts_at(&event);
    register_hanako(&app).await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let new_start = old_start + Duration::days(1);
    let (status, changed) = app
        .api_patch(
            "/api/v1/events/partnering-day",
            &serde_json::json!({
                "starts_at": new_start.to_rfc3339(),
                "ends_at": (new_start + Duration::hours(3)).to_rfc3339(),
                "reminder_offsets": [120],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["reminder_offsets"], serde_json::json!([120]));
    let round = app
        .worker
        .run_until_idle(old_start - Duration::minutes(59))
        .await
        .unwrap();
    assert_eq!(
        round.sent, 1,
        "only the change notice, no reminder for the old time: {round:?}"
    );
    assert_eq!(
        app.worker
            .run_until_idle(new_start - Duration::minutes(121))
            .await
            .unwrap()
            .claimed,
        0
    );
    let round = app
        .worker
        .run_until_idle(new_start - Duration::minutes(119))
        .await
        .unwrap();
    assert_eq!(round.sent, 1, "{round:?}");
    let last = app.smtp.received().pop().unwrap();
    assert!(
        last.parsed().body_text(0).unwrap().contains("2時間後"),
        "the new offset"
    );
    let (status, refused) = app
        .api_patch(
            "/api/v1/events/partnering-day",
            &serde_json::json!({"reminder_offsets": [0]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(crate::helpers::error_fields(&refused), ["reminder_offsets"]);
}

/// Batches of 16 (one session): the oldest due messages are claimed first,
/// and a guest's change notice never overtakes their confirmation, though
/// the two are queued 40 messages apart and sent in different batches.
async fn mail_goes_out_oldest_first_and_in_order_per_guest(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.mail.concurrency = 1).await;
    let event = event_with_capacity(&app, "partnering-day", 50, 20).await;
    const GUESTS: usize = 40;
    let order = register_guests(&app, "partnering-day", GUESTS).await;
    let later = starts_at(&event) + Duration::hours(1);
    let (status, changed) = app
        .api_patch(
            "/api/v1/events/partnering-day",
            &serde_json::json!({
                "starts_at": later.to_rfc3339(),
                "ends_at": (later + Duration::hours(3)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let round = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(round.sent, 2 * GUESTS, "{round:?}");
    // (recipient, kind) in the order the SMTP server got them.
    let received: Vec<(String, String)> = app
        .smtp
        .received()
        .iter()
        .map(|m| {
            let id = m.parsed().message_id().unwrap().to_owned();
            let kind = id.split('.').next().unwrap().to_owned();
            (m.rcpt_to.join(","), kind)
        })
        .collect();
    let confirmations: Vec<&String> = received
        .iter()
        .filter(|(_, kind)| kind == "confirmed")
        .map(|(to, _)| to)
        .collect();
    assert_eq!(
        confirmations,
        order.iter().collect::<Vec<_>>(),
        "confirmations in the order guests registered"
    );
    for to in &order {
        let kinds: Vec<&str> = received
            .iter()
            .filter(|(r, _)| r == to)
            .map(|(_, k)| k.as_str())
            .collect();
        assert_eq!(kinds, ["confirmed", "changed"], "{to}");
    }
    // All confirmations (queued first) went out before any change notice.
    let first_change = received.iter().position(|(_, k)| k == "changed").unwrap();
    assert_eq!(first_change, GUESTS, "{received:?}");
}
