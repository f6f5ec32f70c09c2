//! Hostile text through every text field of every form and API: script,
//! SQL, template, header and iCalendar injection and bidirectional
//! controls. What is accepted comes back unchanged from the API and only
//! escaped in pages, feeds and mail; what can break a format (line breaks
//! in one-line fields, control and bidi characters) is refused, naming the
//! field, and nothing is stored.

use chrono::{Duration, Utc};
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::feeds::parse_many_independently;
use crate::helpers::{Backend, TestApp, csrf_token, error_fields, spawn_app};

/// Accepted in any text field, and stored as typed.
const ACCEPTED: &[&str] = &[
    "<script>alert(\"x\")</script>",
    "\"><img src=x onerror=alert('x')>",
    "'; DROP TABLE events; --",
    "Robert\"); DELETE FROM registrations; -- 大阪",
    "a;b,c\\d:e END:VEVENT",
    "{{ 7*7 }} ${7*7} <%= 7*7 %> {% raw %}",
];

/// Refused in one-line fields: they would break a header, an iCalendar
/// line, or what a reader sees.
const REFUSED: &[&str] = &[
    "x\r\nBcc: evil@example.com",
    "x\nEND:VEVENT\nBEGIN:VEVENT",
    "Evil\u{202E}gpj.exe",
    "a\u{2066}b\u{2069}",
    "a\u{0}b",
    "a\u{1b}[31mred",
];

/// A multi-line description that tries to end the event and start another.
fn description(p: &str) -> String {
    format!("{p}\nEND:VEVENT\r\nBEGIN:VEVENT\nSUMMARY:injected\n{p}")
}

/// What a browser shows of an HTML text: named and numeric entities decoded.
fn shown(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The payload appears only escaped: not raw (when it has markup
/// characters), but as text once entities are decoded.
fn only_escaped(html: &str, payload: &str, what: &str) {
    if payload.contains(['<', '>', '"', '\'']) {
        assert!(!html.contains(payload), "{what}: raw {payload:?}");
    }
    assert!(shown(html).contains(payload), "{what}: {payload:?} missing");
}

both_backends!(hostile_text_is_stored_as_typed_and_shown_only_escaped);

async fn hostile_text_is_stored_as_typed_and_shown_only_escaped(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::admin::login(&app).await;
    let date = (Utc::now() + Duration::days(20))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let mut feeds = Vec::new();
    for (i, p) in ACCEPTED.iter().enumerate() {
        let (status, org) = app
            .api_post(
                "/api/v1/organizations",
                &json!({"slug": format!("org-{i}"), "name_ja": p, "name_en": p,
                        "kind": "company", "country": "DE", "time_zone": "Europe/Berlin"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        assert_eq!(org["name_ja"], *p, "stored as typed");
        let (status, venue) = app
            .api_post(
                "/api/v1/venues",
                &json!({"slug": format!("venue-{i}"), "name_ja": p, "name_en": p,
                        "address_ja": p, "address_en": p, "area": p,
                        "rooms": [{"name_ja": p, "name_en": p, "capacity": 50}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{venue}");
        let room = venue["rooms"][0]["id"].as_str().unwrap().to_owned();
        let hour = 9 + i;
        let (status, event) = app
            .api_post(
                "/api/v1/events",
                &json!({"slug": format!("event-{i}"), "title_ja": p, "title_en": p,
                        "description_ja": description(p), "description_en": description(p),
                        "kind": "seminar", "status": "published", "capacity": 10,
                        "starts_at": format!("{date}T{hour:02}:00:00+09:00"),
                        "ends_at": format!("{date}T{hour:02}:45:00+09:00"),
                        "organizer_slugs": [format!("org-{i}")], "room_ids": [room]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        assert_eq!(event["title_en"], *p);
        let (status, guest) = app
            .api_post(
                &format!("/api/v1/events/event-{i}/registrations"),
                &json!({"name": p, "furigana": p, "email": format!("guest{i}@example.jp"),
                        "organization": p, "country": "JP", "language": if i % 2 == 0 { "ja" } else { "en" },
                        "consent": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{guest}");
        assert_eq!(guest["name"], *p);

        // Pages, public and private, in both languages.
        let manage = app.local(guest["manage_url"].as_str().unwrap());
        for path in [
            "/".to_owned(),
            "/?lang=en".to_owned(),
            format!("/calendar?month={}", &date.to_string()[..7]),
            format!("/events/event-{i}"),
            format!("/events/event-{i}?lang=en"),
            format!("/venues/venue-{i}"),
            manage.clone(),
            "/admin".to_owned(),
            format!("/admin/events/event-{i}/edit"),
            format!("/admin/organizations/org-{i}/edit"),
            format!("/admin/venues/venue-{i}/edit"),
        ] {
            let r = app.client.get(app.local(&path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            only_escaped(&r.text().await.unwrap(), p, &path);
        }

        for path in [
            format!("/events/event-{i}.ics"),
            format!("/venues/venue-{i}/calendar.ics"),
        ] {
            feeds.push((i, path.clone(), app.get(&path).await.text().await.unwrap()));
        }
    }

    // Feeds: one event each, its texts read back exactly.
    let texts: Vec<&str> = feeds.iter().map(|(_, _, ics)| ics.as_str()).collect();
    for ((i, path, _), (python, icaljs)) in feeds.iter().zip(parse_many_independently(&texts)) {
        let p = ACCEPTED[*i];
        assert_eq!(python["errors"], json!([]), "{path}");
        assert_eq!(
            python["events"].as_array().unwrap().len(),
            1,
            "{path}: no injected event"
        );
        assert_eq!(icaljs["events"].as_array().unwrap().len(), 1, "{path}");
        let event = &python["events"][0];
        assert_eq!(event["summary"], *p, "{path}");
        assert_eq!(icaljs["events"][0]["summary"], *p, "{path}");
        assert!(
            event["description"]
                .as_str()
                .unwrap()
                .starts_with(&description(p).replace("\r\n", "\n")),
            "{path}: {}",
            event["description"]
        );
        assert!(event["location"].as_str().unwrap().contains(p), "{path}");
    }

    // Mail: the HTML part escapes, the calendar part holds one event, the
    // headers hold what they should and nothing more.
    app.worker.run_until_idle(Utc::now()).await.unwrap();
    let mail = app.smtp.received();
    assert_eq!(mail.len(), ACCEPTED.len());
    let mut invites = Vec::new();
    for (i, p) in ACCEPTED.iter().enumerate() {
        let m = mail
            .iter()
            .find(|m| m.is_to(&format!("guest{i}@example.jp")))
            .unwrap();
        let parsed = m.parsed();
        assert!(
            parsed.subject().unwrap().contains(p),
            "subject: {:?}",
            parsed.subject()
        );
        let raw = String::from_utf8_lossy(&m.data);
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers.to_ascii_lowercase().contains("\nbcc:"),
            "{headers}"
        );
        let html = parsed.body_html(0).unwrap();
        only_escaped(&html, p, "mail html");
        assert!(parsed.body_text(0).unwrap().contains(p), "mail text");
        let ics = parsed
            .parts
            .iter()
            .find(|part| {
                part.content_type()
                    .is_some_and(|ct| ct.subtype() == Some("calendar"))
            })
            .map(|part| String::from_utf8_lossy(part.contents()).into_owned())
            .unwrap();
        invites.push(ics);
    }
    let texts: Vec<&str> = invites.iter().map(String::as_str).collect();
    for (p, (python, icaljs)) in ACCEPTED.iter().zip(parse_many_independently(&texts)) {
        assert_eq!(python["events"].as_array().unwrap().len(), 1);
        assert_eq!(python["events"][0]["summary"], *p);
        assert_eq!(python["events"][0]["attendees"][0]["cn"], *p);
        assert_eq!(icaljs["events"][0]["attendees"][0]["cn"], *p);
    }

    // A form sent back with an error shows the typed payload escaped too.
    let page = app.browse("/events/event-0").await;
    let r = app
        .client
        .post(app.url("/events/event-0/register"))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("name", ACCEPTED[1]),
            ("organization", ACCEPTED[0]),
            ("email", "not an email"),
            ("country", "JP"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    only_escaped(&html, ACCEPTED[1], "re-rendered form");
    only_escaped(&html, ACCEPTED[0], "re-rendered form");

    // Tables are all still there.
    let (status, events) = app.api_get("/api/v1/events").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        events["events"].as_array().map_or(0, Vec::len),
        ACCEPTED.len(),
        "{events}"
    );

    refused_everywhere(&app).await;
}

/// Each refused payload in each one-line text field: 422 naming the field,
/// through the API and the forms alike; nothing is stored or queued.
async fn refused_everywhere(app: &TestApp) {
    let before_events = app.api_get("/api/v1/events").await.1;
    let fields: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "/api/v1/organizations",
            json!({"slug": "bad-org", "name_ja": "A", "name_en": "A", "kind": "company", "country": "JP"}),
            vec!["name_ja", "name_en"],
        ),
        (
            "/api/v1/venues",
            json!({"slug": "bad-venue", "name_ja": "A", "name_en": "A", "address_ja": "A",
                   "address_en": "A", "area": "A"}),
            vec!["name_ja", "name_en", "address_ja", "address_en", "area"],
        ),
        (
            "/api/v1/events",
            json!({"slug": "bad-event", "title_ja": "A", "title_en": "A", "kind": "seminar",
                   "starts_at": "2031-12-02T14:00:00+09:00", "ends_at": "2031-12-02T15:00:00+09:00",
                   "organizer_slugs": ["org-0"]}),
            vec!["title_ja", "title_en"],
        ),
        (
            "/api/v1/events/event-0/registrations",
            json!({"name": "A", "email": "bad@example.jp", "organization": "A", "country": "JP",
                   "consent": true}),
            vec!["name", "furigana", "organization", "email"],
        ),
    ];
    for (path, base, names) in &fields {
        for field in names {
            for p in REFUSED {
                let mut body = base.clone();
                body[*field] = json!(p);
                let (status, answer) = app.api_post(path, &body).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{path} {field} {p:?}: {answer}"
                );
                assert_eq!(error_fields(&answer), [*field], "{path} {p:?}");
            }
        }
    }
    // Descriptions may hold line breaks, not bidi or other controls.
    for p in &REFUSED[2..] {
        let (status, answer) = app
            .api_patch("/api/v1/events/event-0", &json!({"description_en": p}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p:?}: {answer}");
        assert_eq!(error_fields(&answer), ["description_en"]);
    }
    // The same through the forms.
    let page = app.browse("/admin/organizations/new").await;
    for p in REFUSED {
        let r = app
            .client
            .post(app.url("/admin/organizations"))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("slug", "bad-org"),
                ("name_ja", p),
                ("name_en", "A"),
                ("kind", "company"),
                ("country", "JP"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{p:?}");
    }
    let page = app.browse("/events/event-0").await;
    for p in REFUSED {
        let r = app
            .client
            .post(app.url("/events/event-0/register"))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("name", p),
                ("email", "refused@example.jp"),
                ("organization", "A"),
                ("country", "JP"),
                ("consent", "on"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{p:?}");
    }
    assert_eq!(app.api_get("/api/v1/events").await.1, before_events);
    assert_eq!(
        app.api_get("/api/v1/organizations/bad-org").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_get("/api/v1/venues/bad-venue").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.worker.run_until_idle(Utc::now()).await.unwrap().claimed,
        0,
        "no mail queued"
    );
}
