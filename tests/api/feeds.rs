//! The iCalendar feeds, read back by parsers musubi did not write: the
//! Python `icalendar` package and ical.js.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, event_body, spawn_with_seminar};

fn checker(file: &str) -> String {
    format!("{}/tools/ical-check/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn run_json(mut command: Command) -> Value {
    let out = command.output().expect("checker runs");
    assert!(
        out.status.success(),
        "checker failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("checker prints JSON")
}

/// (Python icalendar's reading, ical.js's reading) of a calendar.
pub fn parse_independently(ics: &str) -> (Value, Value) {
    parse_many_independently(&[ics]).pop().unwrap()
}

/// The readings of several calendars, one start of each parser for all.
pub fn parse_many_independently(calendars: &[&str]) -> Vec<(Value, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<std::path::PathBuf> = calendars
        .iter()
        .enumerate()
        .map(|(i, ics)| {
            let path = dir.path().join(format!("feed-{i}.ics"));
            std::fs::write(&path, ics).unwrap();
            path
        })
        .collect();
    let python = std::env::var("MUSUBI_ICAL_PYTHON")
        .expect("MUSUBI_ICAL_PYTHON is not set: run scripts/test, which installs the Python icalendar package");
    let mut py = Command::new(python);
    py.arg(checker("check_ics.py")).args(&paths);
    assert!(
        std::path::Path::new(&checker("node_modules/ical.js/package.json")).exists(),
        "ical.js is not installed: run scripts/test"
    );
    let mut node = Command::new("node");
    node.arg(checker("check_icaljs.mjs")).args(&paths);
    let (python, icaljs) = (run_json(py), run_json(node));
    if calendars.len() == 1 {
        return vec![(python, icaljs)];
    }
    let list = |v: Value| v.as_array().cloned().expect("a list of readings");
    list(python).into_iter().zip(list(icaljs)).collect()
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if status == StatusCode::OK {
        assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    }
    (status, etag, r.text().await.unwrap())
}

fn event<'a>(parsed: &'a Value, uid_part: &str) -> &'a Value {
    parsed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"].as_str().unwrap().contains(uid_part))
        .unwrap_or_else(|| panic!("{uid_part} in {parsed}"))
}

both_backends!(
    feeds_read_back_equal_in_independent_parsers,
    revisions_cancellations_and_caching,
    a_calendar_with_nothing_in_it_is_still_valid,
    compressed_and_plain_answers_are_two_representations
);

/// (status, ETag, Content-Encoding, Vary) of a GET with these headers.
async fn representation(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String, String, Vec<String>) {
    let mut request = reqwest::Client::new().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (etag, coding) = (header("etag"), header("content-encoding"));
    let vary = r
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect();
    (r.status(), etag, coding, vary)
}

/// RFC 9110: a gzip body and an identity body are different
/// representations: different ETags, `Vary: Accept-Encoding` on both (and
/// on pages, compressed or not), and If-None-Match answers 304 for either.
async fn compressed_and_plain_answers_are_two_representations(backend: Backend) {
    let (app, _, _) = spawn_with_seminar(backend).await;
    const GZIP: (&str, &str) = ("accept-encoding", "gzip");
    const IDENTITY: (&str, &str) = ("accept-encoding", "identity");
    for path in [
        "/calendar.ics",
        "/events/regen-seminar.ics",
        "/organizations/osaka-pref/calendar.ics",
    ] {
        let (status, zipped, coding, vary) = representation(&app, path, &[GZIP]).await;
        assert_eq!(
            (status, coding.as_str()),
            (StatusCode::OK, "gzip"),
            "{path}"
        );
        assert!(
            vary.iter().any(|v| v.contains("accept-encoding")),
            "{path}: {vary:?}"
        );
        for plain_request in [&[IDENTITY][..], &[]] {
            let (status, plain, coding, vary) = representation(&app, path, plain_request).await;
            assert_eq!((status, coding.as_str()), (StatusCode::OK, ""), "{path}");
            assert_eq!(
                vary,
                ["accept-encoding"],
                "{path}: one Vary, on the plain answer too"
            );
            assert!(
                plain.starts_with('"') && zipped.starts_with('"'),
                "{plain} {zipped}"
            );
            assert_ne!(plain, zipped, "{path}: one ETag for two representations");
        }
        let (_, plain, _, _) = representation(&app, path, &[IDENTITY]).await;
        // Either form gets 304, tagged and varied as a 200 would be.
        for tag in [&plain, &zipped] {
            for (accept, expected) in [(GZIP, &zipped), (IDENTITY, &plain)] {
                let (status, etag, _, vary) =
                    representation(&app, path, &[accept, ("if-none-match", tag.as_str())]).await;
                assert_eq!(status, StatusCode::NOT_MODIFIED, "{path} {tag} {accept:?}");
                assert_eq!(&etag, expected, "{path} {tag} {accept:?}");
                assert!(
                    vary.iter().any(|v| v.contains("accept-encoding")),
                    "{vary:?}"
                );
            }
        }
        let (status, ..) =
            representation(&app, path, &[GZIP, ("if-none-match", "\"other\"")]).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Pages have no ETag, but their body depends on Accept-Encoding all the same.
    for path in ["/", "/events/regen-seminar"] {
        for accept in [GZIP, IDENTITY] {
            let (status, _, _, vary) = representation(&app, path, &[accept]).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                vary.iter().any(|v| v.contains("accept-encoding")),
                "{path} {accept:?}: {vary:?}"
            );
        }
    }
}

/// RFC 5545 §3.6: a calendar has at least one component. An organization
/// with nothing yet, or a fresh service, keeps Japan time's VTIMEZONE.
async fn a_calendar_with_nothing_in_it_is_still_valid(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    app.seed_basics().await;
    for path in ["/calendar.ics", "/organizations/rhein-medtech/calendar.ics"] {
        let (status, _, ics) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!ics.contains("BEGIN:VEVENT"), "{ics}");
        let zone = ics
            .split("BEGIN:VTIMEZONE\r\n")
            .nth(1)
            .unwrap_or_else(|| panic!("no component in {path}: {ics}"));
        assert!(zone.starts_with("TZID:Asia/Tokyo\r\n"), "{ics}");
        assert!(zone.contains("TZOFFSETTO:+0900\r\n"), "{ics}");
        let (python, icaljs) = parse_independently(&ics);
        assert_eq!(python["events"], json!([]), "{python}");
        assert_eq!(icaljs["events"], json!([]), "{icaljs}");
    }
}

async fn feeds_read_back_equal_in_independent_parsers(backend: Backend) {
    let (app, _, tokyo) = spawn_with_seminar(backend).await;
    let mut body = event_body(
        "berlin-briefing",
        "2031-03-28T09:00:00+01:00",
        "2031-03-28T10:30:00+01:00",
        &[],
    );
    body["time_zone"] = json!("Europe/Berlin");
    body["organizer_slugs"] = json!(["osaka-pref", "rhein-medtech"]);
    body["title_en"] = json!("Briefing; \"Medtech\", Germany\\Japan");
    let berlin = app.create_event(&body).await;
    let mut draft = event_body(
        "draft-plan",
        "2031-12-05T14:00:00+09:00",
        "2031-12-05T15:00:00+09:00",
        &[],
    );
    draft["status"] = json!("draft");
    app.create_event(&draft).await;

    let (status, _, ics) = fetch(&app, "/calendar.ics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//LINK-J WEST//musubi//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"));
    assert!(
        ics.contains("X-WR-TIMEZONE:Asia/Tokyo\r\n")
            && ics.contains("REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n")
    );
    assert!(ics.contains(&format!(
        "SOURCE;VALUE=URI:{}/calendar.ics\r\n",
        "http://127.0.0.1:8080"
    )));
    assert!(!ics.contains("draft-plan"), "drafts never appear");
    let (py, js) = parse_independently(&ics);
    assert_eq!(py["errors"], json!([]), "{py}");
    assert_eq!(py["missing_tzids"], json!([]));
    assert_eq!(py["events"].as_array().unwrap().len(), 2);
    let id = |e: &Value| e["id"].as_str().unwrap().to_owned();
    for (stored, zone) in [(&tokyo, "Asia/Tokyo"), (&berlin, "Europe/Berlin")] {
        let p = event(&py, &id(stored));
        assert_eq!(p["uid"], format!("event-{}@127.0.0.1", id(stored)));
        assert_eq!(p["tzid"], zone);
        assert_eq!(
            p["start"], stored["starts_at"],
            "python reads the stored start"
        );
        assert_eq!(p["end"], stored["ends_at"]);
        assert_eq!(p["status"], "CONFIRMED");
        let j = event(&js, &id(stored));
        assert_eq!(j["zone"], zone, "ical.js resolves the zone: {j}");
        assert_eq!(j["floating"], false);
        let stored_utc =
            chrono::DateTime::parse_from_rfc3339(stored["starts_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc);
        assert_eq!(
            j["start_utc"],
            stored_utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        );
    }
    let b = event(&py, &id(&berlin));
    assert_eq!(
        b["summary"], "再生医療セミナー",
        "ja is the default language"
    );
    assert_eq!(b["organizer_cn"], "大阪府 × ライン・メドテック");
    let t = event(&py, &id(&tokyo));
    assert!(
        t["location"]
            .as_str()
            .unwrap()
            .contains("中之島クロス ホール"),
        "{t}"
    );
    assert!(
        t["description"]
            .as_str()
            .unwrap()
            .contains("Regenerative Medicine Seminar"),
        "the other language's title"
    );

    let (_, _, en) = fetch(&app, "/calendar.ics?lang=en").await;
    let (py_en, _) = parse_independently(&en);
    assert_eq!(
        event(&py_en, &id(&berlin))["summary"],
        "Briefing; \"Medtech\", Germany\\Japan",
        "escaping round-trips"
    );

    // One event, an organization's and a venue's feed.
    let (_, _, one) = fetch(&app, "/events/berlin-briefing.ics").await;
    let (py_one, _) = parse_independently(&one);
    assert_eq!(py_one["events"].as_array().unwrap().len(), 1);
    assert_eq!(py_one["missing_tzids"], json!([]));
    let (_, _, org) = fetch(&app, "/organizations/rhein-medtech/calendar.ics").await;
    assert_eq!(
        parse_independently(&org).0["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(org.contains("berlin-briefing") && !org.contains("regen-seminar"));
    let (_, _, venue) = fetch(&app, "/venues/nakanoshima/calendar.ics").await;
    assert!(venue.contains("regen-seminar") && !venue.contains("berlin-briefing"));
    let (_, _, seminars) = fetch(&app, "/calendar.ics?kind=seminar&from=2031-12-01").await;
    assert!(seminars.contains("regen-seminar") && !seminars.contains("berlin-briefing"));
    assert_eq!(
        fetch(&app, "/events/draft-plan.ics").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/organizations/nobody/calendar.ics").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, "/calendar.ics?kind=party").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn revisions_cancellations_and_caching(backend: Backend) {
    let (app, _, stored) = spawn_with_seminar(backend).await;
    let id = stored["id"].as_str().unwrap();
    let (_, etag, first) = fetch(&app, "/calendar.ics").await;
    let (_, etag_again, again) = fetch(&app, "/calendar.ics").await;
    assert_eq!(first, again, "the same data gives byte-identical output");
    assert_eq!(etag, etag_again);
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");

    let client = reqwest::Client::new();
    let r = client
        .get(app.url("/calendar.ics"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let last_modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    let r = client
        .get(app.url("/calendar.ics"))
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = client
        .get(app.url("/calendar.ics"))
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (status, _) = app
        .api_patch(
            "/api/v1/events/regen-seminar",
            &json!({ "starts_at": "2031-12-02T15:00:00+09:00" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, moved_etag, moved) = fetch(&app, "/calendar.ics").await;
    assert_ne!(moved_etag, etag, "a change shows at once");
    let (py, _) = parse_independently(&moved);
    let e = &py["events"][0];
    assert_eq!(
        e["uid"],
        format!("event-{id}@127.0.0.1"),
        "the UID never changes"
    );
    assert_eq!(e["sequence"], 1);
    assert_eq!(e["start"], "2031-12-02T15:00:00+09:00");
    let r = client
        .get(app.url("/calendar.ics"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the old ETag no longer matches");

    app.api_post("/api/v1/events/regen-seminar/cancel", &json!({}))
        .await;
    let (_, _, cancelled) = fetch(&app, "/calendar.ics").await;
    let (py, _) = parse_independently(&cancelled);
    let e = &py["events"][0];
    assert_eq!(
        (
            e["uid"].as_str(),
            e["status"].as_str(),
            e["sequence"].as_i64()
        ),
        (
            Some(format!("event-{id}@127.0.0.1").as_str()),
            Some("CANCELLED"),
            Some(2)
        )
    );

    // A cancelled event leaves the feeds 30 days after its end.
    let now = chrono::Utc::now();
    for (slug, days_ago) in [("ended-40-days-ago", 40), ("ended-10-days-ago", 10)] {
        let start = (now - chrono::Duration::days(days_ago)).to_rfc3339();
        let end =
            (now - chrono::Duration::days(days_ago) + chrono::Duration::hours(2)).to_rfc3339();
        app.create_event(&event_body(slug, &start, &end, &[])).await;
        app.api_post(&format!("/api/v1/events/{slug}/cancel"), &json!({}))
            .await;
    }
    let (_, _, feed) = fetch(&app, "/calendar.ics").await;
    assert!(feed.contains("ended-10-days-ago") && !feed.contains("ended-40-days-ago"));
}
