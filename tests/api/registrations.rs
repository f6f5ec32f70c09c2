//! Registration: seats and waitlist, resubmission, refusals, the mail each
//! change sends (read back with a MIME parser and the iCal checkers), and
//! 200 guests racing for 10 seats.

use chrono::{Duration, Utc};
use futures::future::join_all;
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::feeds::parse_independently;
use crate::helpers::{Backend, TestApp, error_fields, event_body, spawn_app};
use crate::smtp::Received;

both_backends!(
    seats_then_waitlist_and_each_guest_gets_the_right_mail,
    a_resubmitted_form_creates_nothing_new,
    registration_is_refused_when_closed_cancelled_or_draft,
    bad_input_is_refused_and_nothing_is_stored,
    two_hundred_guests_race_for_ten_seats,
    changes_and_cancellations_send_updated_invites,
    the_database_refuses_more_seats_than_capacity
);

/// A registration body for the API.
pub fn guest(email: &str, name: &str) -> Value {
    json!({
        "name": name,
        "furigana": "やまだ はなこ",
        "email": email,
        "organization": "大阪バイオ株式会社",
        "country": "JP",
        "time_zone": "Asia/Tokyo",
        "language": "ja",
        "consent": true,
    })
}

/// Registers a guest as an organizer would (bearer token): the answer has
/// the status and the guest's links.
pub async fn register(app: &TestApp, slug: &str, body: &Value) -> (StatusCode, Value) {
    app.api_post(&format!("/api/v1/events/{slug}/registrations"), body)
        .await
}

/// Registers `n` guests (`guest000@osaka-bio.example.jp` …) one after the
/// other, each confirmed or waitlisted; their addresses as SMTP envelopes
/// name them (`<…>`), in the order they registered.
pub async fn register_guests(app: &TestApp, slug: &str, n: usize) -> Vec<String> {
    let mut envelopes = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("guest{i:03}@osaka-bio.example.jp");
        let (status, body) = register(app, slug, &guest(&email, &format!("ゲスト {i}"))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        envelopes.push(format!("<{email}>"));
    }
    envelopes
}

/// Registers as a guest would: no token, so the answer tells nothing but
/// that the form was received.
pub async fn register_public(app: &TestApp, slug: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/events/{slug}/registrations")))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// Registers 山田 花子 of an Osaka company for `partnering-day`.
pub async fn register_hanako(app: &TestApp) -> Value {
    let (status, answer) = register(
        app,
        "partnering-day",
        &guest("hanako@osaka-bio.example.jp", "山田 花子"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

/// A published event `slug` in the Hall with `capacity` seats, starting
/// `days` from now (Tokyo 14:00–17:00).
pub async fn event_with_capacity(app: &TestApp, slug: &str, capacity: i32, days: i64) -> Value {
    let hall = match app.api_get_public("/api/v1/venues/nakanoshima").await {
        (StatusCode::OK, venue) => venue["rooms"][0]["id"].as_str().unwrap().to_owned(),
        _ => app.seed_basics().await.0,
    };
    let date = (Utc::now() + Duration::days(days))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let mut body = event_body(
        slug,
        &format!("{date}T14:00:00+09:00"),
        &format!("{date}T17:00:00+09:00"),
        &[&hall],
    );
    body["capacity"] = json!(capacity);
    app.create_event(&body).await
}

fn count(app: &TestApp, sql_status: &str) -> i64 {
    use diesel::prelude::*;
    use musubi::db::schema::registrations::dsl as r;
    let mut conn = app.pool.get().unwrap();
    r::registrations
        .filter(r::status.eq(sql_status.to_owned()))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

pub fn part<'a>(m: &'a mail_parser::Message<'a>, content_type: &str) -> Option<String> {
    m.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        let full = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default());
        (full == content_type).then(|| String::from_utf8_lossy(p.contents()).into_owned())
    })
}

pub fn calendar_method(m: &mail_parser::Message<'_>) -> Option<String> {
    m.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        (ct.ctype() == "text" && ct.subtype() == Some("calendar"))
            .then(|| ct.attribute("method").unwrap_or_default().to_owned())
    })
}

fn to_of(r: &Received) -> String {
    r.rcpt_to.join(",")
}

async fn seats_then_waitlist_and_each_guest_gets_the_right_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 2, 20).await;
    let mut answers = Vec::new();
    for (email, name) in [
        ("hanako@osaka-bio.example.jp", "山田 花子"),
        ("anna.schmidt@berlin-pharma.example.de", "Anna Schmidt"),
        ("taro@kansai-med.example.jp", "佐藤 太郎"),
    ] {
        let mut body = guest(email, name);
        if email.ends_with(".de") {
            body["time_zone"] = json!("Europe/Berlin");
            body["language"] = json!("en");
            body["country"] = json!("DE");
        }
        let (status, answer) = register(&app, "partnering-day", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answers.push(answer);
    }
    assert_eq!(answers[0]["status"], "confirmed");
    assert_eq!(answers[1]["status"], "confirmed");
    assert_eq!(answers[2]["status"], "waitlisted");
    assert_eq!(answers[2]["waitlist_position"], 1);
    for a in &answers {
        assert!(
            a["manage_url"]
                .as_str()
                .unwrap()
                .contains("/registrations/")
        );
        assert!(a["feed_url"].as_str().unwrap().ends_with(".ics"));
    }

    // No mail is sent inside the request; the worker sends it.
    assert!(app.smtp.received().is_empty());
    let round = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(round.sent, 3, "{round:?}");
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 3);

    let to_anna = mail
        .iter()
        .find(|m| to_of(m).contains("anna.schmidt"))
        .unwrap();
    let parsed = to_anna.parsed();
    assert_eq!(
        parsed.subject().unwrap(),
        "Registration confirmed: Regenerative Medicine Seminar"
    );
    assert!(parsed.message_id().unwrap().contains('@'));
    let root = parsed.content_type().unwrap();
    assert_eq!(
        (root.ctype(), root.subtype()),
        ("multipart", Some("alternative"))
    );
    let text = part(&parsed, "text/plain").unwrap();
    assert!(text.contains("Dear Anna Schmidt,"), "{text}");
    assert!(text.contains("14:00–17:00 JST"), "{text}");
    // Her own zone beside Japan time.
    assert!(
        text.contains("06:00–09:00 CET") || text.contains("07:00–10:00 CEST"),
        "{text}"
    );
    assert!(
        part(&parsed, "text/html")
            .unwrap()
            .contains("<html lang=\"en\">")
    );
    assert_eq!(calendar_method(&parsed).as_deref(), Some("REQUEST"));
    let ics = part(&parsed, "text/calendar").unwrap();
    assert!(ics.contains("METHOD:REQUEST\r\n"));
    let (python, icaljs) = parse_independently(&ics);
    assert_eq!(python["errors"], json!([]), "{python}");
    assert_eq!(python["missing_tzids"], json!([]));
    assert_eq!(python["method"], "REQUEST");
    let vevent = &python["events"][0];
    assert_eq!(
        vevent["uid"],
        format!("event-{}@127.0.0.1", event["id"].as_str().unwrap())
    );
    assert_eq!(vevent["sequence"], 0);
    assert_eq!(
        vevent["organizer"],
        format!("mailto:{}", app.settings.mail_from)
    );
    assert_eq!(
        vevent["attendees"][0]["address"],
        "mailto:anna.schmidt@berlin-pharma.example.de"
    );
    assert_eq!(vevent["attendees"][0]["partstat"], "ACCEPTED");
    assert_eq!(icaljs["events"][0]["zone"], "Asia/Tokyo", "{icaljs}");

    let to_taro = mail.iter().find(|m| to_of(m).contains("taro@")).unwrap();
    let parsed = to_taro.parsed();
    assert!(parsed.subject().unwrap().starts_with("【キャンセル待ち】"));
    assert_eq!(calendar_method(&parsed), None, "no invite while waitlisted");
    assert!(
        part(&parsed, "text/plain")
            .unwrap()
            .contains("佐藤 太郎 様")
    );

    // Hanako cancels: Taro moves up and is told, with an invite.
    let manage = answers[0]["manage_url"].as_str().unwrap();
    let page = app.browse(manage).await;
    assert!(page.contains("参加確定"), "{page}");
    let r = app.press(&format!("{manage}/cancel"), &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "confirmed"), 2);
    assert_eq!(count(&app, "waitlisted"), 0);
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 5);
    let cancel = mail[3..]
        .iter()
        .find(|m| to_of(m).contains("hanako@"))
        .unwrap();
    let parsed = cancel.parsed();
    assert_eq!(calendar_method(&parsed).as_deref(), Some("CANCEL"));
    let (python, _) = parse_independently(&part(&parsed, "text/calendar").unwrap());
    // Her own cancellation removes her (RFC 5546 §3.2.5): no STATUS.
    assert_eq!(python["events"][0]["status"], "");
    assert_eq!(
        python["events"][0]["sequence"], 1,
        "higher than the invite's 0"
    );
    let promoted = mail[3..]
        .iter()
        .find(|m| to_of(m).contains("taro@"))
        .unwrap();
    let parsed = promoted.parsed();
    assert!(
        parsed.subject().unwrap().contains("繰り上がり"),
        "{:?}",
        parsed.subject()
    );
    assert_eq!(calendar_method(&parsed).as_deref(), Some("REQUEST"));

    // Nothing more is due: every message went out once.
    let again = app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(again.claimed, 0);
    assert_eq!(app.smtp.received().len(), 5);
}

async fn a_resubmitted_form_creates_nothing_new(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let body = guest("hanako@osaka-bio.example.jp", "山田 花子");
    let (first_status, first) = register(&app, "partnering-day", &body).await;
    let (second_status, second) = register(&app, "partnering-day", &body).await;
    assert_eq!(first_status, StatusCode::CREATED);
    assert_eq!(second_status, first_status);
    assert_eq!(first, second, "answers like the first time");
    // The same address in other case is the same person.
    let mut upper = body.clone();
    upper["email"] = json!("HANAKO@osaka-bio.example.jp");
    upper["name"] = json!("山田 花子 (LINK-J)");
    let (status, answer) = register(&app, "partnering-day", &upper).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(error_fields(&answer), ["email"]);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("already registered")
    );
    assert_eq!(count(&app, "confirmed"), 1);
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    assert_eq!(app.smtp.received().len(), 1, "one confirmation");
}

async fn registration_is_refused_when_closed_cancelled_or_draft(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    let mut draft = event_body(
        "draft-event",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    );
    draft["status"] = json!("draft");
    app.create_event(&draft).await;
    let (status, _) = register(&app, "draft-event", &guest("a@example.jp", "A")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut closed = event_body(
        "closed-event",
        "2031-12-03T14:00:00+09:00",
        "2031-12-03T17:00:00+09:00",
        &[],
    );
    closed["registration_closes_at"] = json!("2026-01-01T00:00:00+09:00");
    app.create_event(&closed).await;
    let (status, answer) = register(&app, "closed-event", &guest("a@example.jp", "A")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        answer["message"].as_str().unwrap().contains("closed"),
        "{answer}"
    );
    let (_, page) = app.page("/events/closed-event?lang=en", None).await;
    assert!(page.contains("Registration has closed."), "{page}");
    assert!(
        !page.contains("/events/closed-event/register"),
        "no form when closed"
    );

    let mut later = event_body(
        "later-event",
        "2031-12-04T14:00:00+09:00",
        "2031-12-04T17:00:00+09:00",
        &[],
    );
    later["registration_opens_at"] = json!("2031-11-01T00:00:00+09:00");
    app.create_event(&later).await;
    let (status, answer) = register(&app, "later-event", &guest("a@example.jp", "A")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        answer["message"].as_str().unwrap().contains("not opened"),
        "{answer}"
    );

    app.create_event(&event_body(
        "cancelled-event",
        "2031-12-05T14:00:00+09:00",
        "2031-12-05T17:00:00+09:00",
        &[],
    ))
    .await;
    app.api_post("/api/v1/events/cancelled-event/cancel", &json!({}))
        .await;
    let (status, answer) = register(&app, "cancelled-event", &guest("a@example.jp", "A")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        answer["message"].as_str().unwrap().contains("cancelled"),
        "{answer}"
    );
    assert_eq!(count(&app, "confirmed") + count(&app, "waitlisted"), 0);
}

async fn bad_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 10, 20).await;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"name": "x".repeat(201)}), &["name"]),
        (json!({"name": "Eve\r\nBcc: victim@example.com"}), &["name"]),
        (json!({"name": "Eve\u{7}"}), &["name"]),
        (
            json!({"organization": "ACME\nX-Injected: yes"}),
            &["organization"],
        ),
        (json!({"email": "not-an-address"}), &["email"]),
        (
            json!({"email": "a@b.example\r\nBcc: x@y.example"}),
            &["email"],
        ),
        (json!({"time_zone": "Mars/Olympus_Mons"}), &["time_zone"]),
        (json!({"country": "XX"}), &["country"]),
        (json!({"language": "fr"}), &["language"]),
        (json!({"consent": false}), &["consent"]),
        (json!({"name": "", "email": ""}), &["name", "email"]),
    ];
    for (change, fields) in cases {
        let mut body = guest("hanako@osaka-bio.example.jp", "山田 花子");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = register(&app, "partnering-day", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {answer}"
        );
        assert_eq!(error_fields(&answer), fields, "{change}");
    }
    let (status, answer) =
        register(&app, "partnering-day", &json!({"name": "A", "unknown": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(count(&app, "confirmed") + count(&app, "waitlisted"), 0);
    assert_eq!(
        app.worker.run_until_idle(Utc::now()).await.unwrap().claimed,
        0
    );
}

async fn two_hundred_guests_race_for_ten_seats(backend: Backend) {
    let app = spawn_app(backend).await;
    for round in 0..3 {
        let slug = format!("popular-{round}");
        event_with_capacity(&app, &slug, 10, 20 + round).await;
        let client = reqwest::Client::new();
        let requests = (0..200).map(|i| {
            let client = client.clone();
            let url = app.url(&format!("/api/v1/events/{slug}/registrations"));
            let token = app.token.clone();
            let body = guest(
                &format!("guest{i}@example{round}.jp"),
                &format!("Guest {i}"),
            );
            async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let v: Value = r.json().await.unwrap();
                (status, v)
            }
        });
        let answers = join_all(requests).await;
        let confirmed = answers
            .iter()
            .filter(|(s, v)| *s == StatusCode::CREATED && v["status"] == "confirmed")
            .count();
        let waitlisted = answers
            .iter()
            .filter(|(s, v)| *s == StatusCode::CREATED && v["status"] == "waitlisted")
            .count();
        assert_eq!((confirmed, waitlisted), (10, 190), "round {round}");
        let mut positions: Vec<i64> = answers
            .iter()
            .filter_map(|(_, v)| v["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(
            positions,
            (1..=190).collect::<Vec<_>>(),
            "waitlist order has no gaps or repeats"
        );
        let (_, event) = app.api_get(&format!("/api/v1/events/{slug}")).await;
        assert_eq!(event["confirmed_count"], 10);
        // The public sees whether it is full, not how many registered.
        let (_, public) = app.api_get_public(&format!("/api/v1/events/{slug}")).await;
        assert_eq!(public["full"], true);
        assert!(public.get("confirmed_count").is_none(), "{public}");
    }
    assert_eq!(count(&app, "confirmed"), 30);
    assert_eq!(count(&app, "waitlisted"), 570);
    // The race is about seats: its 600 messages are counted, not sent.
    app.leaves_mail();
}

async fn changes_and_cancellations_send_updated_invites(backend: Backend) {
    let app = spawn_app(backend).await;
    let event = event_with_capacity(&app, "partnering-day", 10, 20).await;
    register_hanako(&app).await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();

    // A new time: an updated REQUEST with SEQUENCE 1, same UID.
    let start = chrono::DateTime::parse_from_rfc3339(event["starts_at"].as_str().unwrap()).unwrap();
    let moved = start + Duration::hours(1);
    let (status, changed) = app
        .api_patch(
            "/api/v1/events/partnering-day",
            &json!({"starts_at": moved.to_rfc3339(), "ends_at": (moved + Duration::hours(3)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["revision"], 1);
    // A change of description only is not a new revision and sends nothing.
    app.api_patch(
        "/api/v1/events/partnering-day",
        &json!({"description_en": "Updated agenda."}),
    )
    .await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 2, "confirmation and one change");
    let parsed = mail[1].parsed();
    assert!(
        parsed
            .subject()
            .unwrap()
            .starts_with("【日時・会場の変更】")
    );
    assert_eq!(calendar_method(&parsed).as_deref(), Some("REQUEST"));
    let (python, _) = parse_independently(&part(&parsed, "text/calendar").unwrap());
    assert_eq!(python["events"][0]["sequence"], 1);
    assert!(
        python["events"][0]["uid"]
            .as_str()
            .unwrap()
            .starts_with(&format!("event-{}@", event["id"].as_str().unwrap()))
    );
    assert_eq!(python["events"][0]["start"], moved.to_rfc3339());

    // The event is cancelled: a CANCEL with a higher SEQUENCE.
    app.api_post("/api/v1/events/partnering-day/cancel", &json!({}))
        .await;
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), 3);
    let parsed = mail[2].parsed();
    assert!(parsed.subject().unwrap().starts_with("【開催中止】"));
    assert_eq!(calendar_method(&parsed).as_deref(), Some("CANCEL"));
    let (python, _) = parse_independently(&part(&parsed, "text/calendar").unwrap());
    assert_eq!(python["method"], "CANCEL");
    assert_eq!(python["events"][0]["status"], "CANCELLED");
    assert_eq!(python["events"][0]["sequence"], 2);
}

/// The backstop under the conditional UPDATE: even a write that skips the
/// service cannot give out more seats than the event has.
async fn the_database_refuses_more_seats_than_capacity(backend: Backend) {
    use diesel::prelude::*;
    use musubi::db::schema::events::dsl as e;
    let app = spawn_app(backend).await;
    event_with_capacity(&app, "partnering-day", 2, 20).await;
    let mut conn = app.pool.get().unwrap();
    let set = |conn: &mut musubi::db::DbConn, n: i32| {
        diesel::update(e::events.filter(e::slug.eq("partnering-day")))
            .set(e::confirmed_count.eq(n))
            .execute(conn)
    };
    assert_eq!(set(&mut conn, 2).unwrap(), 1, "up to the capacity is fine");
    let refused = set(&mut conn, 3).unwrap_err();
    assert!(
        matches!(
            refused,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::CheckViolation,
                _
            )
        ),
        "{refused:?}"
    );
    assert!(set(&mut conn, -1).is_err(), "no negative seat count");
}
