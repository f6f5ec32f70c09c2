use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, error_fields, event_body, spawn_app, spawn_with_seminar};

both_backends!(
    a_joint_event_is_created_read_and_listed,
    revision_rises_on_time_place_and_status_only,
    cancelling_keeps_the_event_frees_the_room_and_locks_it,
    drafts_are_hidden_from_the_public,
    event_errors_are_named,
    overseas_zones_keep_their_wall_clock,
);

async fn a_joint_event_is_created_read_and_listed(backend: Backend) {
    let (app, hall, created) = spawn_with_seminar(backend).await;
    assert_eq!(created["starts_at"], "2031-12-02T14:00:00+09:00");
    assert_eq!(created["ends_at"], "2031-12-02T17:00:00+09:00");
    assert_eq!(created["time_zone"], "Asia/Tokyo");
    assert_eq!(
        created["organizer_slugs"],
        json!(["link-j-west", "osaka-pref"]),
        "organizers keep their order"
    );
    assert_eq!(created["room_ids"], json!([hall]));
    assert_eq!(created["revision"], 0);
    assert_eq!(created["status"], "published");

    // An instant given with another offset is the same instant.
    let (_, other) = app
        .api_post(
            "/api/v1/events",
            &event_body(
                "utc-given",
                "2031-12-09T05:00:00Z",
                "2031-12-09T08:00:00Z",
                &[],
            ),
        )
        .await;
    assert_eq!(other["starts_at"], "2031-12-09T14:00:00+09:00");

    let (status, got) = app.api_get_public("/api/v1/events/regen-seminar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["title_ja"], "再生医療セミナー");
    assert_eq!(
        got["organizers"][1]["name_en"],
        "Osaka Prefectural Government"
    );
    assert_eq!(got["rooms"][0]["venue_slug"], "nakanoshima");

    let slugs = |v: &serde_json::Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = app.api_get_public("/api/v1/events").await;
    assert_eq!(slugs(&all), ["regen-seminar", "utc-given"]);
    let (_, first_week) = app
        .api_get_public("/api/v1/events?from=2031-12-01&to=2031-12-08")
        .await;
    assert_eq!(slugs(&first_week), ["regen-seminar"]);
    let (_, later) = app
        .api_get_public("/api/v1/events?from=2031-12-02T17:00:00%2B09:00")
        .await;
    assert_eq!(
        slugs(&later),
        ["utc-given"],
        "an event ending exactly at `from` is over"
    );
    let (status, body) = app
        .api_get_public("/api/v1/events?from=yesterday&to=2031-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), ["from"]);
}

async fn revision_rises_on_time_place_and_status_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    app.create_event(&event_body(
        "seminar",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    ))
    .await;
    let patch = |body: serde_json::Value| {
        let app = &app;
        async move { app.api_patch("/api/v1/events/seminar", &body).await }
    };
    let (status, e) = patch(json!({ "title_en": "Regenerative Medicine Seminar 2031" })).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["revision"], 0, "a new title does not move the event");
    let (_, e) = patch(json!({ "starts_at": "2031-12-02T15:00:00+09:00" })).await;
    assert_eq!(e["revision"], 1);
    assert_eq!(e["starts_at"], "2031-12-02T15:00:00+09:00");
    let (_, e) = patch(json!({ "room_ids": [room_a] })).await;
    assert_eq!(e["revision"], 2);
    let (_, e) = patch(json!({ "status": "draft" })).await;
    assert_eq!(e["revision"], 3);
    let (status, body) = patch(json!({ "capacity": 30, "revision": 1 })).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a stale revision is refused: {body}"
    );
    assert_eq!(error_fields(&body), ["revision"]);
    let (status, e) = patch(json!({ "capacity": 30, "revision": 3 })).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["capacity"], 30);
    let (status, body) = patch(json!({ "slug": "Bad Slug" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), ["slug"]);
    assert_eq!(
        app.api_patch("/api/v1/events/nope", &json!({ "capacity": 3 }))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn cancelling_keeps_the_event_frees_the_room_and_locks_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    app.create_event(&event_body(
        "night",
        "2031-12-02T18:00:00+09:00",
        "2031-12-02T20:00:00+09:00",
        &[&hall],
    ))
    .await;
    let (status, e) = app
        .api_post("/api/v1/events/night/cancel", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "cancelled");
    assert_eq!(e["revision"], 1);
    let (_, again) = app
        .api_post("/api/v1/events/night/cancel", &json!({}))
        .await;
    assert_eq!(again["revision"], 1, "cancelling twice changes nothing");

    let (_, public) = app.api_get_public("/api/v1/events").await;
    assert_eq!(
        public["events"][0]["status"], "cancelled",
        "cancelled events stay listed"
    );
    // The hall is free again.
    app.create_event(&event_body(
        "replacement",
        "2031-12-02T18:00:00+09:00",
        "2031-12-02T20:00:00+09:00",
        &[&hall],
    ))
    .await;
    let (status, body) = app
        .api_patch("/api/v1/events/night", &json!({ "title_en": "Back on" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app
        .api_patch(
            "/api/v1/events/replacement",
            &json!({ "status": "cancelled" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cancel has its own endpoint: {body}"
    );
    let anonymous = reqwest::Client::new()
        .post(app.url("/api/v1/events/replacement/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.api_get_public("/api/v1/events/replacement").await.1["status"],
        "published"
    );
}

async fn drafts_are_hidden_from_the_public(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let mut body = event_body(
        "secret-plan",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[],
    );
    body.as_object_mut().unwrap().remove("status");
    let created = app.create_event(&body).await;
    assert_eq!(
        created["status"], "draft",
        "new events are drafts unless published"
    );
    assert_eq!(
        app.api_get_public("/api/v1/events/secret-plan").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.api_get_public("/api/v1/events").await.1["events"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.api_get("/api/v1/events/secret-plan").await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.api_get("/api/v1/events").await.1["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.page("/events/secret-plan", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!app.page("/", None).await.1.contains("secret-plan"));
    assert!(
        !app.page("/calendar?month=2031-12", None)
            .await
            .1
            .contains("secret-plan")
    );
}

async fn event_errors_are_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    let mut body = event_body(
        "bad",
        "2031-12-02T17:00:00+09:00",
        "2031-12-02T14:00:00+09:00",
        &[&hall],
    );
    body["kind"] = json!("party");
    body["time_zone"] = json!("Mars/Olympus");
    body["capacity"] = json!(-3);
    let (status, e) = app.api_post("/api/v1/events", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let mut fields = error_fields(&e);
    fields.sort();
    assert_eq!(fields, ["capacity", "kind", "time_zone"]);

    let body = event_body(
        "bad",
        "2031-12-02T17:00:00+09:00",
        "2031-12-02T14:00:00+09:00",
        &[&hall],
    );
    let (_, e) = app.api_post("/api/v1/events", &body).await;
    assert_eq!(error_fields(&e), ["ends_at"]);
    let body = event_body(
        "bad",
        "2031-12-02 14:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    );
    let (_, e) = app.api_post("/api/v1/events", &body).await;
    assert_eq!(error_fields(&e), ["starts_at"], "the API wants an offset");

    let mut body = event_body(
        "bad",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall, "no-such-room"],
    );
    body["organizer_slugs"] = json!(["link-j-west", "no-such-org"]);
    body["capacity"] = json!(5000);
    let (status, e) = app.api_post("/api/v1/events", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let mut fields = error_fields(&e);
    fields.sort();
    assert_eq!(fields, ["capacity", "organizer_slugs[1]", "room_ids[1]"]);

    let mut body = event_body(
        "bad",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[],
    );
    body["organizer_slugs"] = json!([]);
    body["registration_opens_at"] = json!("2031-12-01T00:00:00+09:00");
    body["registration_closes_at"] = json!("2031-12-03T00:00:00+09:00");
    let (_, e) = app.api_post("/api/v1/events", &body).await;
    let mut fields = error_fields(&e);
    fields.sort();
    assert_eq!(fields, ["organizer_slugs", "registration_closes_at"]);
    assert!(
        app.api_get("/api/v1/events").await.1["events"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );

    app.create_event(&event_body(
        "taken",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[],
    ))
    .await;
    let (status, e) = app
        .api_post(
            "/api/v1/events",
            &event_body(
                "taken",
                "2031-12-05T14:00:00+09:00",
                "2031-12-05T17:00:00+09:00",
                &[],
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_fields(&e), ["slug"]);
}

/// An event of an overseas partner keeps its own zone: times come back in
/// that zone's offset, across a DST change.
async fn overseas_zones_keep_their_wall_clock(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_basics().await;
    let mut body = event_body(
        "berlin-briefing",
        "2031-03-28T10:00:00+01:00",
        "2031-03-28T11:30:00+01:00",
        &[],
    );
    body["time_zone"] = json!("Europe/Berlin");
    body["organizer_slugs"] = json!(["osaka-pref", "rhein-medtech"]);
    app.create_event(&body).await;
    // Moved past the spring change (30 March 2031): same wall clock, new offset.
    let (status, e) = app
        .api_patch("/api/v1/events/berlin-briefing", &json!({ "starts_at": "2031-04-04T10:00:00+02:00", "ends_at": "2031-04-04T11:30:00+02:00" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["starts_at"], "2031-04-04T10:00:00+02:00");
    let (_, tokyo_view) = app
        .api_get_public(
            "/api/v1/events?from=2031-04-04T17:00:00%2B09:00&to=2031-04-04T17:00:01%2B09:00",
        )
        .await;
    assert_eq!(
        tokyo_view["events"].as_array().unwrap().len(),
        1,
        "10:00 CEST is 17:00 JST"
    );
}
