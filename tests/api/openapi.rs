//! The served OpenAPI document describes what the API really answers: a
//! tour calls every operation (successes and the usual refusals), records
//! each exchange, and an independent validator (Python `openapi-core`,
//! tools/openapi-check) checks every answer's status, content type and body
//! against the document the app serves.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, event_body, spawn_app_with};
use crate::registrations::guest;

both_backends!(every_answer_matches_the_served_openapi_document);

/// Calls the API and keeps each exchange for the validator.
struct Tour<'a> {
    app: &'a TestApp,
    exchanges: Vec<Value>,
}

enum Body<'a> {
    None,
    Json(&'a Value),
    /// A body of another type (answered 415).
    Text(&'a str),
}

impl<'a> Tour<'a> {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        organizer: bool,
        body: Body<'_>,
        expected: StatusCode,
    ) -> Value {
        let mut request = reqwest::Client::new().request(method.clone(), self.app.url(path));
        if organizer {
            request = request.bearer_auth(&self.app.token);
        }
        let (request_type, request_body) = match body {
            Body::None => (None, None),
            Body::Json(v) => (Some("application/json"), Some(v.to_string())),
            Body::Text(t) => (Some("text/plain"), Some(t.to_owned())),
        };
        if let (Some(t), Some(b)) = (request_type, &request_body) {
            request = request.header("content-type", t).body(b.clone());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        assert_eq!(status, expected, "{method} {path}: {text}");
        self.exchanges.push(json!({
            "method": method.as_str(),
            "path": path,
            "status": status.as_u16(),
            "content_type": content_type,
            "body": text,
            "request_content_type": request_type,
            "request_body": request_body,
        }));
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

async fn every_answer_matches_the_served_openapi_document(backend: Backend) {
    use Method as M;
    use StatusCode as S;
    let app = spawn_app_with(backend, |s| s.rate_limit_per_minute = 2).await;
    let mut tour = Tour {
        app: &app,
        exchanges: Vec::new(),
    };
    let t = &mut tour;

    // Organizations.
    t.call(M::GET, "/api/v1/organizations", false, Body::None, S::OK)
        .await;
    let osaka = json!({ "slug": "osaka-pref", "name_ja": "大阪府", "name_en": "Osaka Prefectural Government", "kind": "government", "country": "JP" });
    let rhein = json!({ "slug": "rhein-medtech", "name_ja": "ライン・メドテック", "name_en": "Rhein Medtech GmbH", "kind": "company", "country": "DE", "time_zone": "Europe/Berlin", "website": "https://rhein-medtech.example.de" });
    let organizations = "/api/v1/organizations";
    t.call(
        M::POST,
        organizations,
        false,
        Body::Json(&osaka),
        S::UNAUTHORIZED,
    )
    .await;
    t.call(M::POST, organizations, true, Body::Json(&osaka), S::CREATED)
        .await;
    t.call(M::POST, organizations, true, Body::Json(&rhein), S::CREATED)
        .await;
    t.call(
        M::POST,
        organizations,
        true,
        Body::Json(&osaka),
        S::CONFLICT,
    )
    .await;
    let bad = json!({ "slug": "Bad Slug", "kind": "party" });
    t.call(
        M::POST,
        organizations,
        true,
        Body::Json(&bad),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::POST,
        organizations,
        true,
        Body::Text("slug=x"),
        S::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    t.call(M::GET, organizations, false, Body::None, S::OK)
        .await;
    t.call(
        M::GET,
        "/api/v1/organizations/osaka-pref",
        false,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::GET,
        "/api/v1/organizations/nobody",
        false,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let patch = json!({ "website": "https://www.pref.osaka.lg.jp" });
    t.call(
        M::PATCH,
        "/api/v1/organizations/osaka-pref",
        true,
        Body::Json(&patch),
        S::OK,
    )
    .await;
    let patch = json!({ "kind": "sponsor" });
    t.call(
        M::PATCH,
        "/api/v1/organizations/osaka-pref",
        true,
        Body::Json(&patch),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Venues and rooms.
    let venue = json!({
        "slug": "nakanoshima", "name_ja": "中之島クロス", "name_en": "Nakanoshima Qross",
        "address_ja": "大阪市北区中之島4-3-51", "address_en": "4-3-51 Nakanoshima, Kita-ku, Osaka",
        "area": "Nakanoshima",
        "rooms": [{ "name_ja": "ホール", "name_en": "Hall", "capacity": 200 }]
    });
    let created = t
        .call(
            M::POST,
            "/api/v1/venues",
            true,
            Body::Json(&venue),
            S::CREATED,
        )
        .await;
    let hall = created["rooms"][0]["id"].as_str().unwrap().to_owned();
    t.call(
        M::POST,
        "/api/v1/venues",
        true,
        Body::Json(&venue),
        S::CONFLICT,
    )
    .await;
    t.call(M::GET, "/api/v1/venues", false, Body::None, S::OK)
        .await;
    t.call(
        M::GET,
        "/api/v1/venues/nakanoshima",
        false,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::GET,
        "/api/v1/venues/saito",
        false,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let patch = json!({ "area": "Nakanoshima, Kita-ku" });
    t.call(
        M::PATCH,
        "/api/v1/venues/nakanoshima",
        true,
        Body::Json(&patch),
        S::OK,
    )
    .await;
    let room = json!({ "name_ja": "会議室A", "name_en": "Room A", "capacity": 40 });
    let room = t
        .call(
            M::POST,
            "/api/v1/venues/nakanoshima/rooms",
            true,
            Body::Json(&room),
            S::CREATED,
        )
        .await;
    let room_path = format!("/api/v1/rooms/{}", room["id"].as_str().unwrap());
    t.call(
        M::PATCH,
        &room_path,
        true,
        Body::Json(&json!({ "capacity": 36 })),
        S::OK,
    )
    .await;
    t.call(
        M::PATCH,
        &room_path,
        true,
        Body::Json(&json!({ "capacity": 0 })),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::PATCH,
        "/api/v1/rooms/none",
        true,
        Body::Json(&json!({})),
        S::NOT_FOUND,
    )
    .await;

    // Events.
    let date = (Utc::now() + Duration::days(20))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let mut event = event_body(
        "osaka-rhein-partnering",
        &format!("{date}T14:00:00+09:00"),
        &format!("{date}T17:00:00+09:00"),
        &[&hall],
    );
    event["organizer_slugs"] = json!(["osaka-pref", "rhein-medtech"]);
    event["capacity"] = json!(1);
    t.call(
        M::POST,
        "/api/v1/events",
        true,
        Body::Json(&event),
        S::CREATED,
    )
    .await;
    let mut clash = event.clone();
    clash["slug"] = json!("same-hall-same-time");
    t.call(
        M::POST,
        "/api/v1/events",
        true,
        Body::Json(&clash),
        S::CONFLICT,
    )
    .await;
    let mut draft = event.clone();
    draft["slug"] = json!("draft-seminar");
    draft["room_ids"] = json!([]);
    draft["status"] = json!("draft");
    draft["capacity"] = Value::Null;
    draft["reminder_offsets"] = json!([]);
    t.call(
        M::POST,
        "/api/v1/events",
        true,
        Body::Json(&draft),
        S::CREATED,
    )
    .await;
    t.call(M::GET, "/api/v1/events", false, Body::None, S::OK)
        .await;
    t.call(
        M::GET,
        "/api/v1/events?from=2026-01-01&to=2030-01-01",
        true,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::GET,
        "/api/v1/events?from=yesterday",
        false,
        Body::None,
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    let one = "/api/v1/events/osaka-rhein-partnering";
    t.call(M::GET, one, false, Body::None, S::OK).await;
    t.call(M::GET, one, true, Body::None, S::OK).await;
    t.call(
        M::GET,
        "/api/v1/events/draft-seminar",
        false,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let patch = json!({ "title_en": "Osaka × Rhein partnering day", "revision": 0 });
    t.call(M::PATCH, one, true, Body::Json(&patch), S::OK).await;
    // A later end is a change of time: the revision rises, and a patch
    // made against the old revision is refused.
    let later = json!({ "ends_at": format!("{date}T18:00:00+09:00"), "revision": 0 });
    t.call(M::PATCH, one, true, Body::Json(&later), S::OK).await;
    t.call(M::PATCH, one, true, Body::Json(&later), S::CONFLICT)
        .await;
    let patch = json!({ "ends_at": "yesterday" });
    t.call(
        M::PATCH,
        one,
        true,
        Body::Json(&patch),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Registrations: an organizer's, a guest's, then the waitlist and refusals.
    let registrations = "/api/v1/events/osaka-rhein-partnering/registrations";
    let hanako = guest("hanako@osaka-bio.example.jp", "山田 花子");
    t.call(
        M::POST,
        registrations,
        true,
        Body::Json(&hanako),
        S::CREATED,
    )
    .await;
    let mut anna = guest("anna@rhein-medtech.example.de", "Anna Schmidt");
    anna["furigana"] = Value::Null;
    anna["time_zone"] = json!("Europe/Berlin");
    anna["language"] = json!("en");
    anna["country"] = json!("DE");
    let waitlisted = t
        .call(M::POST, registrations, true, Body::Json(&anna), S::CREATED)
        .await;
    assert_eq!(waitlisted["waitlist_position"], 1);
    let taro = guest("taro@osaka-bio.example.jp", "大阪 太郎");
    t.call(
        M::POST,
        registrations,
        false,
        Body::Json(&taro),
        S::ACCEPTED,
    )
    .await;
    let no_consent = json!({ "name": "X", "email": "not-an-address" });
    t.call(
        M::POST,
        registrations,
        false,
        Body::Json(&no_consent),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::POST,
        registrations,
        false,
        Body::Json(&taro),
        S::TOO_MANY_REQUESTS,
    )
    .await;
    t.call(
        M::POST,
        "/api/v1/events/draft-seminar/registrations",
        true,
        Body::Json(&taro),
        S::NOT_FOUND,
    )
    .await;
    // The attendee list: organizers only, filtered and paged.
    let listed = t
        .call(
            M::GET,
            &format!("{registrations}?status=waitlisted&page=1&per_page=10"),
            true,
            Body::None,
            S::OK,
        )
        .await;
    assert!(listed["total"].as_i64().unwrap() >= 1, "{listed}");
    t.call(M::GET, registrations, false, Body::None, S::UNAUTHORIZED)
        .await;
    t.call(
        M::GET,
        &format!("{registrations}?per_page=0"),
        true,
        Body::None,
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::GET,
        "/api/v1/events/none/registrations",
        true,
        Body::None,
        S::NOT_FOUND,
    )
    .await;

    // Meetings: organizers only; conflicts, validation, change, cancel.
    let meetings = "/api/v1/meetings";
    let body = json!({
        "title_en": "Rhein Medtech × Osaka", "agenda": "Distribution in Japan",
        "starts_at": "2031-12-08T10:00:00+09:00", "ends_at": "2031-12-08T11:00:00+09:00",
        "room_id": hall, "online_url": "https://meet.example.com/rhein",
        "interpreter": "ja-de",
        "attendees": [
            { "name": "山田 健二", "email": "kenji@pref.osaka.example", "organization_slug": "osaka-pref" },
            { "name": "Lena Vogt", "email": "lena@rhein.example", "organization_slug": "rhein-medtech", "language": "en" },
            { "name": "Dana Whitfield", "email": "dana@crv.example", "organization": "Charles River Ventures",
              "country": "US", "time_zone": "America/New_York" }
        ]
    });
    t.call(M::POST, meetings, false, Body::Json(&body), S::UNAUTHORIZED)
        .await;
    let meeting = t
        .call(M::POST, meetings, true, Body::Json(&body), S::CREATED)
        .await;
    let one_meeting = format!("{meetings}/{}", meeting["id"].as_str().unwrap());
    t.call(M::POST, meetings, true, Body::Json(&body), S::CONFLICT)
        .await;
    let invalid = json!({ "title_en": "x", "attendees": [{ "email": "x" }] });
    t.call(
        M::POST,
        meetings,
        true,
        Body::Json(&invalid),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::POST,
        meetings,
        true,
        Body::Text("x"),
        S::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    t.call(M::GET, meetings, false, Body::None, S::UNAUTHORIZED)
        .await;
    t.call(
        M::GET,
        &format!(
            "{meetings}?from=2031-12-01&organization=rhein-medtech&email=lena%40rhein.example"
        ),
        true,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::GET,
        &format!("{meetings}?from=soon"),
        true,
        Body::None,
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(M::GET, &one_meeting, true, Body::None, S::OK).await;
    t.call(
        M::GET,
        &format!("{meetings}/none"),
        true,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let meeting_later =
        json!({ "starts_at": "2031-12-08T13:00:00+09:00", "ends_at": "2031-12-08T14:00:00+09:00" });
    let moved = t
        .call(
            M::PATCH,
            &one_meeting,
            true,
            Body::Json(&meeting_later),
            S::OK,
        )
        .await;
    assert_eq!(moved["revision"], 1);
    let stale = json!({ "title_en": "y", "revision": 0 });
    t.call(
        M::PATCH,
        &one_meeting,
        true,
        Body::Json(&stale),
        S::CONFLICT,
    )
    .await;
    let too_few = json!({ "attendees": [] });
    t.call(
        M::PATCH,
        &one_meeting,
        true,
        Body::Json(&too_few),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::PATCH,
        &format!("{meetings}/none"),
        true,
        Body::Json(&meeting_later),
        S::NOT_FOUND,
    )
    .await;
    t.call(
        M::POST,
        &format!("{one_meeting}/cancel"),
        true,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::POST,
        &format!("{meetings}/none/cancel"),
        true,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    t.call(
        M::POST,
        &format!("{one_meeting}/cancel"),
        false,
        Body::None,
        S::UNAUTHORIZED,
    )
    .await;

    // Partnering: settings, participants and their profiles, requests.
    let mut partnering = event_body(
        "tour-partnering",
        "2031-12-09T10:00:00+09:00",
        "2031-12-09T18:00:00+09:00",
        &[&hall],
    );
    partnering["kind"] = json!("partnering");
    partnering["organizer_slugs"] = json!(["osaka-pref", "rhein-medtech"]);
    t.call(
        M::POST,
        "/api/v1/events",
        true,
        Body::Json(&partnering),
        S::CREATED,
    )
    .await;
    let day = "/api/v1/events/tour-partnering/partnering";
    t.call(M::GET, day, true, Body::None, S::OK).await;
    t.call(M::GET, day, false, Body::None, S::UNAUTHORIZED)
        .await;
    t.call(
        M::GET,
        "/api/v1/events/draft-seminar/partnering",
        true,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let settings = crate::partnering::settings(&hall);
    t.call(M::PUT, day, true, Body::Json(&settings), S::OK)
        .await;
    let mut bad = settings.clone();
    bad["slot_minutes"] = json!(1);
    t.call(M::PUT, day, true, Body::Json(&bad), S::UNPROCESSABLE_ENTITY)
        .await;
    t.call(
        M::PUT,
        day,
        true,
        Body::Text("x"),
        S::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let participants = "/api/v1/events/tour-partnering/registrations";
    let mut ids = Vec::new();
    for (email, name) in [
        ("keiko@osaka-bio.example.jp", "大阪 恵子"),
        ("max@rhein.example", "Max Bauer"),
    ] {
        let r = t
            .call(
                M::POST,
                participants,
                true,
                Body::Json(&guest(email, name)),
                S::CREATED,
            )
            .await;
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    t.call(
        M::GET,
        &format!("{day}/participants"),
        true,
        Body::None,
        S::OK,
    )
    .await;
    let profile = json!({
        "organization": "大阪バイオ株式会社", "country": "JP", "time_zone": "Asia/Tokyo",
        "offer": "iPS細胞", "offer_categories": ["regenerative_medicine"], "seek_categories": ["investment"],
        "listed": true, "interpreter": false, "unavailable": ["2031-12-09T13:00:00+09:00"]
    });
    let one_profile = format!("{day}/participants/{}/profile", ids[0]);
    t.call(M::PUT, &one_profile, true, Body::Json(&profile), S::OK)
        .await;
    t.call(
        M::PUT,
        &format!("{day}/participants/nobody/profile"),
        true,
        Body::Json(&profile),
        S::NOT_FOUND,
    )
    .await;
    let mut bad = profile.clone();
    bad["offer_categories"] = json!(["cosmetics"]);
    t.call(
        M::PUT,
        &one_profile,
        true,
        Body::Json(&bad),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    let requests = format!("{day}/requests");
    let ask = json!({ "from": ids[0], "to": ids[1], "message": "ぜひ", "priority": 4 });
    let made = t
        .call(M::POST, &requests, true, Body::Json(&ask), S::CREATED)
        .await;
    t.call(M::POST, &requests, true, Body::Json(&ask), S::CONFLICT)
        .await;
    t.call(
        M::POST,
        &requests,
        true,
        Body::Json(&json!({ "from": ids[0] })),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(M::GET, &requests, true, Body::None, S::OK).await;
    let one_request = format!("{requests}/{}", made["id"].as_str().unwrap());
    t.call(
        M::PATCH,
        &one_request,
        true,
        Body::Json(&json!({ "priority": 1 })),
        S::OK,
    )
    .await;
    t.call(
        M::PATCH,
        &one_request,
        true,
        Body::Json(&json!({ "priority": 7 })),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::POST,
        &format!("{one_request}/accept"),
        true,
        Body::None,
        S::OK,
    )
    .await;
    t.call(
        M::POST,
        &format!("{one_request}/decline"),
        true,
        Body::None,
        S::CONFLICT,
    )
    .await;
    t.call(
        M::POST,
        &format!("{requests}/none/cancel"),
        true,
        Body::None,
        S::NOT_FOUND,
    )
    .await;
    let schedule = format!("{day}/schedule");
    let preview = json!({ "mode": "incremental", "dry_run": true });
    let plan = t
        .call(M::POST, &schedule, true, Body::Json(&preview), S::OK)
        .await;
    assert_eq!(plan["stats"]["placed"], 1, "{plan}");
    t.call(
        M::POST,
        &schedule,
        true,
        Body::Json(&json!({ "mode": "replan" })),
        S::OK,
    )
    .await;
    t.call(
        M::POST,
        &schedule,
        true,
        Body::Json(&json!({ "mode": "sideways" })),
        S::UNPROCESSABLE_ENTITY,
    )
    .await;
    t.call(
        M::POST,
        "/api/v1/events/draft-seminar/partnering/schedule",
        true,
        Body::Json(&preview),
        S::NOT_FOUND,
    )
    .await;
    let current = t
        .call(M::GET, &format!("{day}/plan"), true, Body::None, S::OK)
        .await;
    assert_eq!(current["stats"]["placed"], 1, "{current}");
    t.call(
        M::GET,
        &format!("{day}/plan"),
        false,
        Body::None,
        S::UNAUTHORIZED,
    )
    .await;
    t.call(
        M::POST,
        "/api/v1/events/kobe-unset/partnering/schedule",
        true,
        Body::Json(&preview),
        S::NOT_FOUND,
    )
    .await;

    // Cancelling, and what a cancelled event refuses.
    t.call(
        M::POST,
        &format!("{one}/cancel"),
        false,
        Body::None,
        S::UNAUTHORIZED,
    )
    .await;
    t.call(M::POST, &format!("{one}/cancel"), true, Body::None, S::OK)
        .await;
    let gone = "/api/v1/events/none/cancel";
    t.call(M::POST, gone, true, Body::None, S::NOT_FOUND).await;
    t.call(M::PATCH, one, true, Body::Json(&later), S::CONFLICT)
        .await;
    t.call(M::POST, registrations, true, Body::Json(&taro), S::CONFLICT)
        .await;

    let exchanges = std::mem::take(&mut tour.exchanges);
    let (status, document) = crate::helpers::json_of(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, S::OK);
    let report = validate(&document, &exchanges);
    assert!(
        report.contains(&format!(
            "{} exchanges, 0 failures, operations covered: 32 of 32",
            exchanges.len()
        )),
        "{report}"
    );
    app.send_all_mail().await;
}

/// Runs the independent validator; answers its report (it fails the test
/// on any mismatch).
fn validate(document: &Value, exchanges: &[Value]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("openapi.json");
    let recorded = dir.path().join("exchanges.json");
    std::fs::write(&spec, document.to_string()).unwrap();
    std::fs::write(&recorded, serde_json::to_string(exchanges).unwrap()).unwrap();
    let python = std::env::var("MUSUBI_ICAL_PYTHON")
        .expect("MUSUBI_ICAL_PYTHON is not set: run scripts/test, which installs openapi-core");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/openapi-check/validate.py"
    );
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(&spec)
        .arg(&recorded)
        .output()
        .expect("running the OpenAPI validator");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the validator found mismatches:\n{report}"
    );
    report
}
