//! Business meetings: creation, conflicts, invites (iMIP) to every
//! attendee, answers from the attendee's page, changes, cancellation,
//! calendars and privacy. Every storage test runs on both backends, with
//! the real SMTP server of the harness and the two independent iCal readers.

use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::feeds::parse_independently;
use crate::helpers::{Backend, TestApp, csrf_token, error_fields, event_body, spawn_app};
use crate::registrations::{calendar_method, part};
use crate::smtp::Received;

/// The Monday after the US clock change (2031-11-02): 08:00 in Osaka is
/// 18:00 EST the day before in Boston (it was 19:00 EDT a week earlier).
const DST_MONDAY_START: &str = "2031-11-03T08:00:00+09:00";
const DST_MONDAY_END: &str = "2031-11-03T09:00:00+09:00";

pub fn osaka(email: &str, name: &str) -> Value {
    json!({ "name": name, "email": email, "organization_slug": "osaka-pref" })
}

pub fn boston(email: &str, name: &str) -> Value {
    json!({
        "name": name, "email": email, "organization": "Charles River Ventures",
        "country": "US", "time_zone": "America/New_York", "language": "en"
    })
}

pub fn rhein(email: &str, name: &str) -> Value {
    json!({ "name": name, "email": email, "organization_slug": "rhein-medtech" })
}

pub fn meeting(starts: &str, ends: &str, place: Value, attendees: Value) -> Value {
    let mut body = json!({
        "title_ja": "大阪スタートアップとの商談",
        "title_en": "Meeting with an Osaka start-up",
        "agenda": "再生医療の共同研究について\nCo-development in regenerative medicine",
        "starts_at": starts, "ends_at": ends,
        "interpreter": "ja-en",
        "attendees": attendees,
    });
    for (k, v) in place.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn create(app: &TestApp, body: &Value) -> Value {
    let (status, created) = app.api_post("/api/v1/meetings", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// The mail sent to `address` so far, oldest first.
pub fn mail_to(app: &TestApp, address: &str) -> Vec<Received> {
    app.smtp
        .received()
        .into_iter()
        .filter(|m| m.is_to(address))
        .collect()
}

/// The calendar part of a message, read by both parsers; checks what
/// every iTIP part must have and answers the Python reading.
pub fn itip(m: &Received) -> (String, Value) {
    let parsed = m.parsed();
    let root = parsed.content_type().unwrap();
    assert_eq!(
        (root.ctype(), root.subtype()),
        ("multipart", Some("alternative"))
    );
    let method = calendar_method(&parsed).expect("a text/calendar part");
    let ics = part(&parsed, "text/calendar").unwrap();
    let (python, icaljs) = parse_independently(&ics);
    assert_eq!(python["errors"], json!([]), "{python}");
    assert_eq!(python["missing_tzids"], json!([]), "{ics}");
    assert_eq!(python["method"], method, "METHOD matches method=");
    assert_eq!(python["events"].as_array().unwrap().len(), 1);
    assert!(!python["events"][0]["tzid"].as_str().unwrap().is_empty());
    assert_eq!(
        icaljs["events"][0]["uid"], python["events"][0]["uid"],
        "{icaljs}"
    );
    assert_eq!(
        icaljs["events"][0]["start_utc"].as_str().unwrap()[..16],
        chrono::DateTime::parse_from_rfc3339(python["events"][0]["start"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    );
    (method, python["events"][0].clone())
}

fn text_of(m: &Received) -> String {
    part(&m.parsed(), "text/plain").unwrap()
}

/// The attendee's page link, without its `?lang=`.
pub fn page_link(m: &Received) -> String {
    let text = text_of(m);
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/meetings/") && !w.contains("/unsubscribe"))
        .unwrap_or_else(|| panic!("no meeting link in {text}"));
    crate::smtp::without_lang(link)
}

both_backends!(
    a_meeting_invites_every_attendee_in_their_language_and_zone,
    an_attendee_answers_from_their_page,
    room_and_attendee_conflicts_are_refused,
    concurrent_meetings_for_one_room_give_one_winner,
    moves_and_attendee_changes_reach_everyone,
    meetings_stay_private,
);

async fn a_meeting_invites_every_attendee_in_their_language_and_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let body = meeting(
        DST_MONDAY_START,
        DST_MONDAY_END,
        json!({ "online_url": "https://meet.example.com/osaka-boston" }),
        json!([
            osaka("kenji@pref.osaka.example", "山田 健二"),
            boston("dana@crv.example", "Dana Whitfield")
        ]),
    );
    let created = create(&app, &body).await;
    assert_eq!(created["status"], "confirmed");
    assert_eq!(created["revision"], 0);
    assert_eq!(created["interpreter"], "ja-en");
    let attendees = created["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 2);
    for a in attendees {
        assert_eq!(a["partstat"], "needs_action");
        assert!(a["id"].as_str().is_some());
        assert!(a["manage_url"].as_str().unwrap().contains("/meetings/"));
    }
    // The Osaka attendee got the organization's country and zone, Japanese.
    assert_eq!(attendees[0]["country"], "JP");
    assert_eq!(attendees[0]["language"], "ja");
    assert_eq!(attendees[1]["time_zone"], "America/New_York");
    app.send_all_mail().await;

    let uid = format!("meeting-{}@127.0.0.1", created["id"].as_str().unwrap());
    let dana = mail_to(&app, "dana@crv.example");
    assert_eq!(dana.len(), 1);
    assert_eq!(
        dana[0].subject(),
        "Meeting invitation: Meeting with an Osaka start-up"
    );
    let (method, vevent) = itip(&dana[0]);
    assert_eq!(method, "REQUEST");
    assert_eq!(vevent["uid"], uid);
    assert_eq!(vevent["sequence"], 0);
    assert_eq!(vevent["status"], "CONFIRMED");
    assert_eq!(
        vevent["organizer"],
        format!("mailto:{}", app.settings.mail_from)
    );
    let listed: Vec<(&str, &str)> = vevent["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["address"].as_str().unwrap(),
                a["partstat"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("mailto:kenji@pref.osaka.example", "NEEDS-ACTION"),
            ("mailto:dana@crv.example", "NEEDS-ACTION")
        ]
    );
    assert_eq!(vevent["location"], "Online");
    // Her own time, after the US clock change, in the mail and the invite.
    let text = text_of(&dana[0]);
    assert!(text.contains("Dear Dana Whitfield,"), "{text}");
    assert!(
        text.contains("the organizers invited you to this meeting"),
        "{text}"
    );
    assert!(text.contains("08:00–09:00 JST"), "{text}");
    assert!(text.contains("18:00–19:00 EST"), "{text}");
    assert!(text.contains("Sun 2 Nov 2031, 18:00–19:00 EST"), "{text}");
    assert!(
        text.contains("山田 健二 (Osaka Prefectural Government)"),
        "{text}"
    );
    assert!(
        text.contains("An interpreter will be present (ja ⇄ en)"),
        "{text}"
    );
    assert!(
        text.contains("https://meet.example.com/osaka-boston"),
        "{text}"
    );
    let html = part(&dana[0].parsed(), "text/html").unwrap();
    assert!(html.contains("18:00–19:00 EST"), "{html}");
    assert!(html.contains("Osaka Prefectural Government"), "{html}");
    let description = vevent["description"].as_str().unwrap();
    assert!(description.contains("18:00–19:00 EST"), "{description}");
    assert!(description.contains("Co-development"), "{description}");

    let kenji = mail_to(&app, "kenji@pref.osaka.example");
    assert_eq!(
        kenji[0].subject(),
        "【商談のご案内】大阪スタートアップとの商談"
    );
    let text = text_of(&kenji[0]);
    assert!(text.contains("山田 健二 様"), "{text}");
    assert!(
        text.contains("Dana Whitfield (Charles River Ventures)"),
        "{text}"
    );
    assert!(
        !text.contains("現地時間"),
        "no second zone for Japan: {text}"
    );
    assert_eq!(itip(&kenji[0]).1["uid"], uid);

    // The page shows her time too, and the feed has her copy, tentative.
    let page = app.browse(&page_link(&dana[0])).await;
    assert!(page.contains("18:00–19:00 EST"), "{page}");
    let feed = text_of(&dana[0])
        .split_whitespace()
        .find(|w| w.contains("/feeds/"))
        .unwrap()
        .to_owned();
    assert!(
        feed.ends_with("?lang=en"),
        "the link carries Dana's language: {feed}"
    );
    let ics = app.browse(&feed).await;
    let (python, icaljs) = parse_independently(&ics);
    assert_eq!(python["method"], "PUBLISH");
    assert_eq!(python["missing_tzids"], json!([]));
    assert_eq!(python["events"][0]["uid"], uid);
    assert_eq!(python["events"][0]["status"], "TENTATIVE");
    assert_eq!(
        python["events"][0]["attendees"],
        json!([]),
        "PUBLISH has no ATTENDEE"
    );
    assert_eq!(icaljs["events"][0]["start_utc"], "2031-11-02T23:00:00.000Z");
    assert!(
        python["events"][0]["description"]
            .as_str()
            .unwrap()
            .contains("山田 健二 (Osaka Prefectural Government): Not yet answered")
    );
}

/// Presses one of the answer buttons on the attendee's page.
async fn answer(app: &TestApp, link: &str, partstat: &str) -> reqwest::Response {
    let page = app.browse(link).await;
    app.client
        .post(format!("{}/answer", app.local(link)))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("partstat", partstat),
        ])
        .send()
        .await
        .unwrap()
}

async fn an_attendee_answers_from_their_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, room_a) = app.seed_basics().await;
    let created = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                rhein("lena@rhein.example", "Lena Vogt")
            ]),
        ),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    app.send_all_mail().await;
    let link = page_link(&mail_to(&app, "lena@rhein.example")[0]);

    // Without the CSRF token nothing changes.
    let forged = app
        .client
        .post(format!("{}/answer", app.local(&link)))
        .form(&[("partstat", "declined")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let r = answer(&app, &link, "accepted").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.browse(r.headers()["location"].to_str().unwrap()).await;
    assert!(
        page.contains("Your answer is saved") || page.contains("回答を受け付けました"),
        "{page}"
    );
    let (_, got) = app.api_get(&format!("/api/v1/meetings/{id}")).await;
    assert_eq!(got["attendees"][1]["partstat"], "accepted");
    assert_eq!(
        got["revision"], 0,
        "an answer is not a change of the meeting"
    );

    // Declining tells the organizers, once.
    assert_eq!(
        answer(&app, &link, "declined").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        answer(&app, &link, "tentative").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        answer(&app, &link, "declined").await.status(),
        StatusCode::SEE_OTHER
    );
    app.send_all_mail().await;
    let notices = mail_to(&app, &app.settings.organizer_email);
    assert_eq!(notices.len(), 1, "one notice per revision");
    assert!(
        notices[0].subject().contains("Lena Vogt"),
        "{}",
        notices[0].subject()
    );
    assert!(text_of(&notices[0]).contains(&format!("/admin/meetings/{id}")));
    assert!(calendar_method(&notices[0].parsed()).is_none());
    // Later invites carry the answer.
    let (status, _) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "attendees": [
                osaka("kenji@pref.osaka.example", "山田 健二"),
                rhein("lena@rhein.example", "Lena Vogt"),
                boston("dana@crv.example", "Dana Whitfield"),
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.send_all_mail().await;
    let (_, vevent) = itip(mail_to(&app, "kenji@pref.osaka.example").last().unwrap());
    let lena = vevent["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "mailto:lena@rhein.example")
        .unwrap();
    assert_eq!(lena["partstat"], "DECLINED");
    // Her feed drops the meeting.
    let feed = text_of(&mail_to(&app, "lena@rhein.example")[0])
        .split_whitespace()
        .find(|w| w.contains("/feeds/"))
        .unwrap()
        .to_owned();
    let (python, _) = parse_independently(&app.browse(&feed).await);
    assert_eq!(python["events"][0]["status"], "CANCELLED");
    // A new feed URL from her page retires the old one.
    let page = app.browse(&link).await;
    let r = app.press(&format!("{link}/rotate-feed"), &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&app.local(&feed).replace(&app.address, ""))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Having declined, she is free at that time; once in another meeting
    // then, she cannot take the decline back.
    create(
        &app,
        &meeting(
            "2031-12-09T10:30:00+09:00",
            "2031-12-09T11:30:00+09:00",
            json!({ "online_url": "https://meet.example.com/y" }),
            json!([
                rhein("lena@rhein.example", "Lena Vogt"),
                boston("erin@crv.example", "Erin Park")
            ]),
        ),
    )
    .await;
    assert_eq!(
        answer(&app, &link, "accepted").await.status(),
        StatusCode::CONFLICT
    );
    app.send_all_mail().await;
    // A made-up token is a 404.
    let (status, _) = app
        .page(
            "/meetings/not-a-real-token-at-all-xxxxxxxxxxxxxxxxxxxx",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn room_and_attendee_conflicts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    app.create_event(&event_body(
        "seminar",
        "2031-12-09T13:00:00+09:00",
        "2031-12-09T17:00:00+09:00",
        &[&hall],
    ))
    .await;
    let pair = || {
        json!([
            osaka("kenji@pref.osaka.example", "山田 健二"),
            rhein("lena@rhein.example", "Lena Vogt")
        ])
    };
    // The room held by an event.
    let (status, body) = app
        .api_post(
            "/api/v1/meetings",
            &meeting(
                "2031-12-09T16:00:00+09:00",
                "2031-12-09T17:30:00+09:00",
                json!({ "room_id": hall }),
                pair(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or(&body.to_string())
            .contains("Regenerative Medicine Seminar"),
        "{body}"
    );
    // A meeting in Room A, then another at an overlapping time there.
    let first = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            pair(),
        ),
    )
    .await;
    let others = json!([
        osaka("aiko@pref.osaka.example", "佐藤 愛子"),
        boston("dana@crv.example", "Dana Whitfield")
    ]);
    let (status, body) = app
        .api_post(
            "/api/v1/meetings",
            &meeting(
                "2031-12-09T10:30:00+09:00",
                "2031-12-09T11:30:00+09:00",
                json!({ "room_id": room_a, "allow_attendee_conflicts": true }),
                others.clone(),
            ),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a room conflict cannot be overridden: {body}"
    );
    // An event cannot take the room a meeting holds either.
    let (status, body) = app
        .api_post(
            "/api/v1/events",
            &event_body(
                "late",
                "2031-12-09T10:45:00+09:00",
                "2031-12-09T12:00:00+09:00",
                &[&room_a],
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The same person in two meetings at once, elsewhere: refused, naming them.
    let busy = meeting(
        "2031-12-09T10:30:00+09:00",
        "2031-12-09T11:30:00+09:00",
        json!({ "online_url": "https://meet.example.com/x" }),
        json!([
            rhein("LENA@rhein.example", "Lena Vogt"),
            boston("erin@crv.example", "Erin Park")
        ]),
    );
    let (status, body) = app.api_post("/api/v1/meetings", &busy).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("lena@rhein.example") && text.contains(first["id"].as_str().unwrap()),
        "{text}"
    );
    // Deliberately overridden.
    let mut allowed = busy.clone();
    allowed["allow_attendee_conflicts"] = json!(true);
    create(&app, &allowed).await;
    // Cancelling frees the room and the attendees at once.
    let (status, cancelled) = app
        .api_post(
            &format!("/api/v1/meetings/{}/cancel", first["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["revision"], 1);
    create(
        &app,
        &meeting(
            "2031-12-09T10:30:00+09:00",
            "2031-12-09T11:30:00+09:00",
            json!({ "room_id": room_a }),
            others,
        ),
    )
    .await;
    // Validation names each field.
    let (status, body) = app
        .api_post(
            "/api/v1/meetings",
            &json!({ "title_en": "x", "starts_at": "2031-12-09T10:00:00+09:00", "ends_at": "2031-12-09T09:00:00+09:00",
                     "attendees": [ { "name": "A", "email": "a@x.example", "organization": "A" },
                                    { "name": "B", "email": "b@x.example", "organization_slug": "nobody" } ] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), ["ends_at", "room_id"]);
    let (status, body) = app
        .api_post(
            "/api/v1/meetings",
            &meeting(
                "2031-12-10T10:00:00+09:00",
                "2031-12-10T11:00:00+09:00",
                json!({ "online_url": "https://x.example" }),
                json!([ { "name": "A", "email": "a@x.example", "organization_slug": "osaka-pref" },
                        { "name": "B", "email": "b@x.example", "organization_slug": "nobody" } ]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), ["attendees[1].organization_slug"]);
    let (status, body) = app
        .api_post(
            "/api/v1/meetings",
            &meeting(
                "2031-12-10T10:00:00+09:00",
                "2031-12-10T11:00:00+09:00",
                json!({ "online_url": "https://x.example" }),
                json!([osaka("a@x.example", "A"), osaka("b@x.example", "B")]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        error_fields(&body),
        ["attendees"],
        "two organizations are needed"
    );
    app.send_all_mail().await;
}

async fn concurrent_meetings_for_one_room_give_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, room_a) = app.seed_basics().await;
    let requests = (0..20).map(|i| {
        let body = meeting(
            "2031-12-11T10:00:00+09:00",
            "2031-12-11T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka(&format!("o{i}@pref.osaka.example"), "O"),
                rhein(&format!("r{i}@rhein.example"), "R")
            ]),
        );
        let app = &app;
        async move { app.api_post("/api/v1/meetings", &body).await }
    });
    let results = futures::future::join_all(requests).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (1, 19), "{results:?}");
    // And one person, twenty meetings in twenty different online rooms.
    let requests = (0..20).map(|i| {
        let body = meeting(
            "2031-12-12T10:00:00+09:00",
            "2031-12-12T11:00:00+09:00",
            json!({ "online_url": format!("https://meet.example.com/{i}") }),
            json!([
                osaka("busy@pref.osaka.example", "O"),
                rhein(&format!("r{i}@rhein.example"), "R")
            ]),
        );
        let app = &app;
        async move { app.api_post("/api/v1/meetings", &body).await }
    });
    let results = futures::future::join_all(requests).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    app.send_all_mail().await;
}

async fn moves_and_attendee_changes_reach_everyone(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    let created = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                rhein("lena@rhein.example", "Lena Vogt"),
                boston("dana@crv.example", "Dana Whitfield")
            ]),
        ),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let uid = format!("meeting-{id}@127.0.0.1");
    app.send_all_mail().await;
    let link = page_link(&mail_to(&app, "lena@rhein.example")[0]);
    answer(&app, &link, "accepted").await;

    // A move: revision 1, every answer reset, a new REQUEST to everyone.
    let (status, moved) = app
        .api_patch(&format!("/api/v1/meetings/{id}"), &json!({ "starts_at": "2031-12-09T14:00:00+09:00", "ends_at": "2031-12-09T15:00:00+09:00", "room_id": hall }))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["revision"], 1);
    assert!(
        moved["attendees"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["partstat"] == "needs_action")
    );
    app.send_all_mail().await;
    for who in [
        "kenji@pref.osaka.example",
        "lena@rhein.example",
        "dana@crv.example",
    ] {
        let mail = mail_to(&app, who);
        assert_eq!(mail.len(), 2, "{who}");
        let (method, vevent) = itip(&mail[1]);
        assert_eq!(
            (method.as_str(), vevent["sequence"].as_i64()),
            ("REQUEST", Some(1))
        );
        assert_eq!(vevent["uid"], uid);
        assert!(
            vevent["attendees"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["partstat"] == "NEEDS-ACTION")
        );
        let location = vevent["location"].as_str().unwrap();
        assert!(
            location.contains("Hall") || location.contains("ホール"),
            "{location}"
        );
    }
    // The old room is free again.
    create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("aiko@pref.osaka.example", "佐藤 愛子"),
                rhein("jonas@rhein.example", "Jonas")
            ]),
        ),
    )
    .await;
    answer(&app, &link, "tentative").await;

    // Dana leaves, Aiko joins: revision 2; answers kept for the others.
    let (status, changed) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "attendees": [osaka("kenji@pref.osaka.example", "山田 健二"), rhein("lena@rhein.example", "Lena Vogt"), osaka("mika@pref.osaka.example", "田中 美香")] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["revision"], 2);
    assert_eq!(changed["attendees"][1]["partstat"], "tentative");
    app.send_all_mail().await;
    let dana = mail_to(&app, "dana@crv.example");
    let (method, vevent) = itip(dana.last().unwrap());
    assert_eq!(
        (method.as_str(), vevent["sequence"].as_i64()),
        ("CANCEL", Some(2))
    );
    assert_eq!(vevent["attendees"].as_array().unwrap().len(), 1);
    let mika = mail_to(&app, "mika@pref.osaka.example");
    assert_eq!(mika.len(), 1);
    let (method, vevent) = itip(&mika[0]);
    assert_eq!(
        (method.as_str(), vevent["sequence"].as_i64()),
        ("REQUEST", Some(2))
    );
    assert_eq!(vevent["attendees"].as_array().unwrap().len(), 3);
    let (method, vevent) = itip(mail_to(&app, "lena@rhein.example").last().unwrap());
    assert_eq!(method, "REQUEST");
    let lena = vevent["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == "mailto:lena@rhein.example")
        .unwrap()
        .clone();
    assert_eq!(lena["partstat"], "TENTATIVE");
    // Dana's link still answers (in her language), without the others'
    // names; her feed cancels.
    let dana_page = app.browse(&page_link(&dana[0])).await;
    assert!(
        dana_page.contains("You are no longer on the list of attendees of this meeting."),
        "{dana_page}"
    );
    assert!(!dana_page.contains("田中 美香"));

    // A new title: no new revision, but everyone's calendar gets it.
    let before = mail_to(&app, "lena@rhein.example").len();
    let (status, retitled) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "title_en": "Meeting with an Osaka start-up, Room 2" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(retitled["revision"], 2);
    app.send_all_mail().await;
    let lena_mail = mail_to(&app, "lena@rhein.example");
    assert_eq!(lena_mail.len(), before + 1);
    let (method, vevent) = itip(lena_mail.last().unwrap());
    assert_eq!(
        (method.as_str(), vevent["sequence"].as_i64()),
        ("REQUEST", Some(2))
    );
    assert_eq!(vevent["summary"], "Meeting with an Osaka start-up, Room 2");

    // Cancelled: CANCEL with revision 3 to everyone on the list.
    let (status, cancelled) = app
        .api_post(&format!("/api/v1/meetings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["revision"], 3);
    app.send_all_mail().await;
    for who in [
        "kenji@pref.osaka.example",
        "lena@rhein.example",
        "mika@pref.osaka.example",
    ] {
        let (method, vevent) = itip(mail_to(&app, who).last().unwrap());
        assert_eq!(
            (method.as_str(), vevent["sequence"].as_i64()),
            ("CANCEL", Some(3)),
            "{who}"
        );
        assert_eq!(vevent["status"], "CANCELLED");
    }
    assert_eq!(
        mail_to(&app, "dana@crv.example").len(),
        dana.len(),
        "Dana is no longer told"
    );
    let (status, _) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "title_en": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // One UID across every message: everything these four received is
    // about this meeting (the other meeting here went to Aiko and Jonas).
    let uids: std::collections::BTreeSet<String> = app
        .smtp
        .received()
        .iter()
        .filter(|m| {
            [
                "kenji@pref.osaka.example",
                "lena@rhein.example",
                "mika@pref.osaka.example",
                "dana@crv.example",
            ]
            .iter()
            .any(|who| m.is_to(who))
        })
        .filter(|m| calendar_method(&m.parsed()).is_some())
        .map(|m| itip(m).1["uid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uids, std::collections::BTreeSet::from([uid]));
}

async fn meetings_stay_private(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, room_a) = app.seed_basics().await;
    let created = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                rhein("lena@rhein.example", "Lena Vogt")
            ]),
        ),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    for path in ["/api/v1/meetings", &format!("/api/v1/meetings/{id}")] {
        let (status, _) = app.api_get_public(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in [
        "/",
        "/calendar.ics",
        "/venues/nakanoshima",
        "/venues/nakanoshima/calendar.ics",
        "/api/v1/events",
        "/organizations/osaka-pref/calendar.ics",
    ] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(
            !body.contains("Osaka start-up")
                && !body.contains("大阪スタートアップ")
                && !body.contains("Lena"),
            "{path}: {body}"
        );
    }
    // The venue page says the room is booked then, and nothing more.
    let (_, venue) = app.page("/venues/nakanoshima", Some("en")).await;
    let booked = venue
        .split("Other bookings")
        .nth(1)
        .unwrap_or_else(|| panic!("{venue}"));
    assert!(
        booked.contains("10:00–11:00") && booked.contains("Room A") && booked.contains("Booked"),
        "{booked}"
    );
    let (_, by_org) = app
        .api_get("/api/v1/meetings?organization=rhein-medtech")
        .await;
    assert_eq!(by_org["meetings"].as_array().unwrap().len(), 1);
    let (_, by_email) = app
        .api_get("/api/v1/meetings?email=nobody%40x.example")
        .await;
    assert_eq!(by_email["meetings"], json!([]));
    let (status, _) = app.api_get("/api/v1/meetings?organization=nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.send_all_mail().await;
}

both_backends!(
    meeting_reminders_follow_the_rules_of_registration_reminders,
    the_staff_calendar_has_every_event_and_meeting,
    organizers_plan_meetings_on_the_admin_pages,
);

/// A meeting `days` from now at 10:00 Tokyo time, in Room A; its start.
async fn meeting_in(
    app: &TestApp,
    days: i64,
    room: &str,
    attendees: Value,
) -> (Value, chrono::DateTime<chrono::Utc>) {
    let date = (chrono::Utc::now() + chrono::Duration::days(days))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let created = create(
        app,
        &meeting(
            &format!("{date}T10:00:00+09:00"),
            &format!("{date}T11:00:00+09:00"),
            json!({ "room_id": room }),
            attendees,
        ),
    )
    .await;
    let start = chrono::DateTime::parse_from_rfc3339(created["starts_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    (created, start)
}

async fn meeting_reminders_follow_the_rules_of_registration_reminders(backend: Backend) {
    use chrono::{Duration, Utc};
    let app = spawn_app(backend).await;
    let (_, room_a) = app.seed_basics().await;
    let (created, start) = meeting_in(
        &app,
        3,
        &room_a,
        json!([
            osaka("kenji@pref.osaka.example", "山田 健二"),
            boston("dana@crv.example", "Dana Whitfield"),
            rhein("lena@rhein.example", "Lena Vogt")
        ]),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.send_all_mail().await;
    // Lena declines: no reminders for her.
    let lena = page_link(&mail_to(&app, "lena@rhein.example")[0]);
    answer(&app, &lena, "declined").await;
    app.send_all_mail().await;
    let before = app.smtp.received().len();
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
    let dana = mail_to(&app, "dana@crv.example");
    let reminder = dana.last().unwrap().parsed();
    assert_eq!(
        reminder.subject().unwrap(),
        "Meeting reminder: Meeting with an Osaka start-up"
    );
    // Folded within its brackets (RFC 2369: whitespace there is ignored).
    let unsubscribe: String = reminder
        .header_raw("List-Unsubscribe")
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        unsubscribe.starts_with("<http") && unsubscribe.ends_with("/unsubscribe?lang=en>"),
        "{unsubscribe}"
    );
    assert_eq!(
        reminder.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );
    assert!(
        reminder.body_text(0).unwrap().contains("in 1 day"),
        "{:?}",
        reminder.body_text(0)
    );
    assert!(
        calendar_method(&reminder).is_none(),
        "a reminder is no invite"
    );
    // One-click unsubscribe, as a mail program does it: no cookie, no token.
    let url = unsubscribe.trim_matches(['<', '>']);
    let r = reqwest::Client::new()
        .post(app.local(url))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.smtp.received().len(), before + 2);

    // Moved a day later: the reminders follow the new start.
    let later = start + Duration::days(1);
    let tokyo = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono_tz::Asia::Tokyo).to_rfc3339();
    let (status, _) = app
        .api_patch(
            &format!("/api/v1/meetings/{id}"),
            &json!({ "starts_at": tokyo(later), "ends_at": tokyo(later + Duration::hours(1)) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.send_all_mail().await;
    let after_move = app.smtp.received().len();
    let round = app
        .worker
        .run_until_idle(start - Duration::minutes(59))
        .await
        .unwrap();
    assert_eq!(round.claimed, 0, "nothing at the old hour: {round:?}");
    let round = app
        .worker
        .run_until_idle(later - Duration::days(1) + Duration::seconds(1))
        .await
        .unwrap();
    // Kenji only: Dana turned reminders off; Lena declined, and the move
    // asked her again, but a new answer is needed before reminders return.
    let reminded: Vec<String> = app.smtp.received()[after_move..]
        .iter()
        .flat_map(|m| m.rcpt_to.clone())
        .collect();
    assert!(
        reminded.iter().any(|r| r.contains("kenji@")),
        "{reminded:?} {round:?}"
    );
    assert!(
        !reminded.iter().any(|r| r.contains("dana@")),
        "{reminded:?}"
    );

    // Cancelled: no reminder at all afterwards.
    let (status, _) = app
        .api_post(&format!("/api/v1/meetings/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.send_all_mail().await;
    let after_cancel = app.smtp.received().len();
    let round = app
        .worker
        .run_until_idle(later - Duration::minutes(59))
        .await
        .unwrap();
    assert_eq!(round.sent, 0, "{round:?}");
    assert_eq!(app.smtp.received().len(), after_cancel);
}

async fn the_staff_calendar_has_every_event_and_meeting(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    let event = app
        .create_event(&event_body(
            "seminar",
            "2031-12-09T13:00:00+09:00",
            "2031-12-09T17:00:00+09:00",
            &[&hall],
        ))
        .await;
    let online = create(
        &app,
        &meeting(
            DST_MONDAY_START,
            DST_MONDAY_END,
            json!({ "online_url": "https://meet.example.com/x" }),
            json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                boston("dana@crv.example", "Dana Whitfield")
            ]),
        ),
    )
    .await;
    let booth = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("aiko@pref.osaka.example", "佐藤 愛子"),
                rhein("lena@rhein.example", "Lena Vogt")
            ]),
        ),
    )
    .await;
    app.api_post(
        &format!("/api/v1/meetings/{}/cancel", booth["id"].as_str().unwrap()),
        &json!({}),
    )
    .await;
    // Signed in, the dashboard shows this account's private URL.
    crate::admin::login(&app).await;
    let dashboard = app.browse("/admin").await;
    let feed = dashboard
        .split('"')
        .find(|s| s.contains("/feeds/staff/") && s.starts_with("http"))
        .unwrap_or_else(|| panic!("{dashboard}"))
        .to_owned();
    let ics = reqwest::get(app.local(&format!("{feed}?lang=en")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (python, icaljs) = parse_independently(&ics);
    assert_eq!(python["errors"], json!([]));
    assert_eq!(python["missing_tzids"], json!([]));
    assert_eq!(python["method"], "PUBLISH");
    let by_uid = |uid: String| {
        python["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["uid"] == uid)
            .cloned()
            .unwrap_or_else(|| panic!("{uid} in {python}"))
    };
    let host = "127.0.0.1";
    let e = by_uid(format!("event-{}@{host}", event["id"].as_str().unwrap()));
    assert_eq!(e["sequence"], 0);
    let m = by_uid(format!("meeting-{}@{host}", online["id"].as_str().unwrap()));
    assert_eq!(
        (m["status"].as_str(), m["sequence"].as_i64()),
        (Some("CONFIRMED"), Some(0))
    );
    assert!(
        m["description"]
            .as_str()
            .unwrap()
            .contains("Dana Whitfield (Charles River Ventures): Not yet answered")
    );
    let c = by_uid(format!("meeting-{}@{host}", booth["id"].as_str().unwrap()));
    assert_eq!(
        (c["status"].as_str(), c["sequence"].as_i64()),
        (Some("CANCELLED"), Some(1))
    );
    assert_eq!(icaljs["events"].as_array().unwrap().len(), 3);
    // A new URL retires the old one.
    let page = app.browse("/admin").await;
    let r = app.press("/admin/staff-feed/rotate", &page).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        reqwest::get(app.local(&feed)).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let fresh = app.browse("/admin").await;
    assert!(!fresh.contains(&feed));
    // Public calendars and the venue page show no meeting; the venue page
    // shows that the room is booked, and nothing else about it.
    let (status, venue) = app.page("/venues/nakanoshima", Some("en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !venue.contains("Osaka start-up") && !venue.contains("Lena"),
        "{venue}"
    );
    app.send_all_mail().await;
}

async fn organizers_plan_meetings_on_the_admin_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    app.create_event(&event_body(
        "seminar",
        "2031-12-09T13:00:00+09:00",
        "2031-12-09T17:00:00+09:00",
        &[&hall],
    ))
    .await;
    let first = create(
        &app,
        &meeting(
            "2031-12-09T10:00:00+09:00",
            "2031-12-09T11:00:00+09:00",
            json!({ "room_id": room_a }),
            json!([
                osaka("kenji@pref.osaka.example", "山田 健二"),
                rhein("lena@rhein.example", "Lena Vogt")
            ]),
        ),
    )
    .await;
    crate::admin::login(&app).await;
    // The day: rooms as columns, the meeting and the event in their cells.
    let day = app.browse("/admin/meetings?day=2031-12-09").await;
    assert!(day.contains("ホール") && day.contains("会議室A"), "{day}");
    assert!(
        day.contains(&format!(
            "/admin/meetings/{}",
            first["id"].as_str().unwrap()
        )),
        "{day}"
    );
    assert!(day.contains("rowspan=\"2\""), "an hour is two rows: {day}");
    assert!(
        day.contains("rowspan=\"8\""),
        "the seminar's four hours: {day}"
    );
    // A form with a problem comes back with the input and the problem beside it.
    let form = app.browse("/admin/meetings/new").await;
    let token = csrf_token(&form);
    let body = [
        ("csrf_token", token.as_str()),
        ("title_en", "Booth talk"),
        ("time_zone", "Asia/Tokyo"),
        ("starts_at", "2031-12-09T10:30"),
        ("ends_at", "2031-12-09T11:30"),
        ("room_id", room_a.as_str()),
        ("attendee_name", "Dana Whitfield"),
        ("attendee_email", "dana@crv.example"),
        ("attendee_organization_slug", ""),
        ("attendee_organization", "Charles River Ventures"),
        ("attendee_country", "US"),
        ("attendee_time_zone", "America/New_York"),
        ("attendee_language", "en"),
        ("attendee_name", ""),
        ("attendee_email", ""),
        ("attendee_organization_slug", ""),
        ("attendee_organization", ""),
        ("attendee_country", ""),
        ("attendee_time_zone", ""),
        ("attendee_language", ""),
        ("attendee_name", "佐藤 愛子"),
        ("attendee_email", "not-an-address"),
        ("attendee_organization_slug", "osaka-pref"),
        ("attendee_organization", ""),
        ("attendee_country", ""),
        ("attendee_time_zone", ""),
        ("attendee_language", ""),
    ];
    let r = app
        .client
        .post(app.url("/admin/meetings"))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("value=\"Dana Whitfield\"") && page.contains("value=\"not-an-address\""),
        "{page}"
    );
    let after_email = page.split("value=\"not-an-address\"").nth(1).unwrap();
    assert!(
        after_email[..after_email.find("</div>").unwrap()].contains("class=\"error\""),
        "the problem is beside the email: {page}"
    );
    // Fixed: the room is taken by the first meeting (409, said on the form).
    let fixed: Vec<(&str, &str)> = body
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *v == "not-an-address" {
                    "aiko@pref.osaka.example"
                } else {
                    *v
                },
            )
        })
        .collect();
    let r = app
        .client
        .post(app.url("/admin/meetings"))
        .form(&fixed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Room A") || page.contains("会議室A"),
        "{page}"
    );
    // Online instead: created, and the organizer lands on the meeting.
    let online: Vec<(&str, &str)> = fixed
        .iter()
        .map(|(k, v)| match *k {
            "room_id" => ("online_url", "https://meet.example.com/booth"),
            _ => (*k, *v),
        })
        .collect();
    let r = app
        .client
        .post(app.url("/admin/meetings"))
        .form(&online)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let shown = app.browse(&location).await;
    assert!(
        shown.contains("Dana Whitfield") && shown.contains("佐藤 愛子") && shown.contains("未回答"),
        "{shown}"
    );
    // A new link for Dana: the old one is a 404, the new one arrives by mail.
    app.send_all_mail().await;
    let old_link = page_link(mail_to(&app, "dana@crv.example").last().unwrap());
    let dana_id = {
        let (_, got) = app
            .api_get(&format!("/api/v1{}", location.trim_start_matches("/admin")))
            .await;
        got["attendees"][0]["id"].as_str().unwrap().to_owned()
    };
    let r = app
        .press(&format!("{location}/attendees/{dana_id}/new-link"), &shown)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&app.local(&old_link).replace(&app.address, ""))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    app.send_all_mail().await;
    let new_link = page_link(mail_to(&app, "dana@crv.example").last().unwrap());
    assert_ne!(new_link, old_link);
    let (status, _) = app
        .page(&app.local(&new_link).replace(&app.address, ""), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // Edit: the form holds the attendees; cancelling from the page.
    let edit = app.browse(&format!("{location}/edit")).await;
    assert!(edit.contains("value=\"dana@crv.example\""), "{edit}");
    let r = app.press(&format!("{location}/cancel"), &shown).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, got) = app
        .api_get(&format!("/api/v1{}", location.trim_start_matches("/admin")))
        .await;
    assert_eq!(got["status"], "cancelled");
    app.send_all_mail().await;
}
