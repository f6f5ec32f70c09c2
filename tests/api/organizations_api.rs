use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, error_fields, json_of, spawn_app};

both_backends!(
    organizations_are_created_read_listed_and_patched,
    organization_errors_are_named
);

async fn organizations_are_created_read_listed_and_patched(backend: Backend) {
    let app = spawn_app(backend).await;
    let long_name = "大阪府健康医療部 ライフサイエンス産業課 国際連携グループ（海外企業との商談会・パートナリング担当）";
    let (status, created) = app
        .api_post(
            "/api/v1/organizations",
            &json!({
                "slug": "osaka-pref", "name_ja": long_name, "name_en": "Osaka Prefectural Government",
                "kind": "government", "country": "jp", "website": "https://www.pref.osaka.lg.jp/"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name_ja"], long_name);
    assert_eq!(
        created["country"], "JP",
        "country codes are normalized to upper case"
    );
    assert_eq!(created["time_zone"], "Asia/Tokyo", "the default zone");

    let (status, got) = app.api_get_public("/api/v1/organizations/osaka-pref").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["id"], created["id"]);

    let (status, patched) = app
        .api_patch(
            "/api/v1/organizations/osaka-pref",
            &json!({ "name_en": "Osaka Prefecture", "website": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name_en"], "Osaka Prefecture");
    assert_eq!(
        patched["name_ja"], long_name,
        "fields not in the patch stay"
    );
    assert!(
        patched["website"].is_null(),
        "null removes an optional field"
    );

    let (status, list) = app.api_get_public("/api/v1/organizations").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["organizations"].as_array().unwrap().len(), 1);
    assert_eq!(list["organizations"][0]["name_en"], "Osaka Prefecture");

    let (status, body) = app
        .api_get_public("/api/v1/organizations/no-such-org")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

async fn organization_errors_are_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let valid = json!({ "slug": "link-j-west", "name_ja": "LINK-J WEST", "name_en": "LINK-J WEST", "kind": "organizer", "country": "JP" });

    // Without a token, or with a wrong one, nothing is created.
    let anonymous = reqwest::Client::new()
        .post(app.url("/api/v1/organizations"))
        .json(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().get("www-authenticate").is_some());
    let forged = reqwest::Client::new()
        .post(app.url("/api/v1/organizations"))
        .bearer_auth("not-a-token")
        .json(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let (_, list) = app.api_get_public("/api/v1/organizations").await;
    assert!(list["organizations"].as_array().unwrap().is_empty());

    let (status, body) = app
        .api_post(
            "/api/v1/organizations",
            &json!({
                "slug": "LINK J", "name_ja": "", "name_en": "a\u{0007}b", "kind": "club",
                "country": "XX", "time_zone": "Asia/Osaka", "website": "javascript:alert(1)"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "validation_failed");
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "country",
            "kind",
            "name_en",
            "name_ja",
            "slug",
            "time_zone",
            "website"
        ]
    );

    let (status, body) = app
        .api_post(
            "/api/v1/organizations",
            &json!({ "slug": "x", "colour": "red" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {body}"
    );
    let (status, body) = app
        .api_post("/api/v1/organizations", &json!({ "slug": ["a"] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body), ["slug"]);
    let malformed = app
        .client
        .post(app.url("/api/v1/organizations"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"slug\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(malformed).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.api_post("/api/v1/organizations", &valid).await.0,
        StatusCode::CREATED
    );
    let (status, body) = app.api_post("/api/v1/organizations", &valid).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_fields(&body), ["slug"]);
}
