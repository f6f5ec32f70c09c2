use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, error_fields, spawn_app};

both_backends!(venues_nest_their_rooms);

async fn venues_nest_their_rooms(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;

    let (status, room) = app
        .api_post(
            "/api/v1/venues/nakanoshima/rooms",
            &json!({ "name_ja": "商談ブース", "name_en": "Booths", "capacity": "24" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    assert_eq!(room["capacity"], 24);

    let (status, body) = app
        .api_post(
            "/api/v1/venues/nakanoshima/rooms",
            &json!({ "name_ja": "x", "name_en": "x", "capacity": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), ["capacity"]);
    assert_eq!(
        app.api_post(
            "/api/v1/venues/nowhere/rooms",
            &json!({ "name_ja": "x", "name_en": "x", "capacity": 5 })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, patched) = app
        .api_patch(
            &format!("/api/v1/rooms/{hall}"),
            &json!({ "capacity": 180 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["capacity"], 180);
    assert_eq!(patched["name_ja"], "ホール");

    let (status, venue) = app.api_get_public("/api/v1/venues/nakanoshima").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(venue["time_zone"], "Asia/Tokyo");
    let rooms: Vec<(&str, i64)> = venue["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name_en"].as_str().unwrap(),
                r["capacity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rooms.len(), 3, "{rooms:?}");
    assert!(
        rooms.contains(&("Hall", 180))
            && rooms.contains(&("Booths", 24))
            && rooms.contains(&("Room A", 40))
    );

    let (status, venue) = app
        .api_patch(
            "/api/v1/venues/nakanoshima",
            &json!({ "area": "中之島 (Nakanoshima)" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{venue}");
    assert_eq!(venue["rooms"].as_array().unwrap().len(), 3);

    let (status, body) = app
        .api_post(
            "/api/v1/venues",
            &json!({ "slug": "saito", "name_ja": "彩都", "name_en": "Saito", "address_ja": "茨木市", "address_en": "Ibaraki", "area": "Saito",
                     "rooms": [{ "name_ja": "", "name_en": "Lounge", "capacity": 60 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), ["rooms[0].name_ja"]);
    assert_eq!(
        app.api_get_public("/api/v1/venues/saito").await.0,
        StatusCode::NOT_FOUND,
        "nothing half-written"
    );
}
