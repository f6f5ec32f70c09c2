use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{Backend, error_fields, event_body, spawn_app};

both_backends!(
    a_room_cannot_be_double_booked,
    concurrent_bookings_of_one_room_give_one_winner
);

async fn a_room_cannot_be_double_booked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, room_a) = app.seed_basics().await;
    app.create_event(&event_body(
        "first",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&hall],
    ))
    .await;

    let (status, body) = app
        .api_post(
            "/api/v1/events",
            &event_body(
                "overlap",
                "2031-12-02T16:30:00+09:00",
                "2031-12-02T18:00:00+09:00",
                &[&room_a, &hall],
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_fields(&body), ["room_ids"]);
    let message = body["fields"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Hall") && message.contains("\"Regenerative Medicine Seminar\""),
        "the message names the room and the other event: {message}"
    );

    // Back to back is fine, and another room at the same time is fine.
    app.create_event(&event_body(
        "after",
        "2031-12-02T17:00:00+09:00",
        "2031-12-02T19:00:00+09:00",
        &[&hall],
    ))
    .await;
    app.create_event(&event_body(
        "parallel",
        "2031-12-02T14:00:00+09:00",
        "2031-12-02T17:00:00+09:00",
        &[&room_a],
    ))
    .await;

    // Moving an event onto a booked slot is refused too, and changes nothing.
    let (status, _) = app
        .api_patch(
            "/api/v1/events/after",
            &serde_json::json!({ "starts_at": "2031-12-02T16:00:00+09:00" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.api_get("/api/v1/events/after").await.1["starts_at"],
        "2031-12-02T17:00:00+09:00"
    );
    // An event may be edited in place without clashing with itself.
    let (status, body) = app
        .api_patch(
            "/api/v1/events/first",
            &serde_json::json!({ "ends_at": "2031-12-02T16:45:00+09:00" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn concurrent_bookings_of_one_room_give_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    for round in 0..3 {
        let requests = (0..12).map(|i| {
            let body = event_body(
                &format!("rush-{round}-{i}"),
                &format!("2031-12-1{round}T14:00:00+09:00"),
                &format!("2031-12-1{round}T16:00:00+09:00"),
                &[&hall],
            );
            let app = &app;
            async move { app.api_post("/api/v1/events", &body).await }
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
        assert_eq!((created, refused), (1, 11), "round {round}: {results:?}");
    }
    let pool = app.pool.clone();
    let bookings = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        diesel::sql_query("SELECT COUNT(*) AS n FROM room_bookings WHERE active")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n
    })
    .await
    .unwrap();
    assert_eq!(bookings, 3);
}

/// On PostgreSQL the exclusion constraint refuses an overlapping booking even
/// when a writer skips the room lock; the error becomes the booking conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_exclusion_constraint_backs_the_lock() {
    let (app, hall, first) = crate::helpers::spawn_with_seminar(Backend::Postgres).await;
    let venue = app.api_get_public("/api/v1/venues/nakanoshima").await.1;
    let room_a = venue["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name_en"] == "Room A")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app
        .create_event(&event_body(
            "second",
            "2031-12-02T15:00:00+09:00",
            "2031-12-02T16:00:00+09:00",
            &[&room_a],
        ))
        .await;
    let pool = app.pool.clone();
    let (second_id, first_starts) = (
        second["id"].as_str().unwrap().to_owned(),
        first["starts_at"].clone(),
    );
    assert_eq!(first_starts, "2031-12-02T14:00:00+09:00");
    let refused = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().naive_utc();
        // Straight to the table: no lock, no overlap check.
        let second_id: musubi::domain::EventId = second_id.as_str().into();
        musubi::db::bookings::set(
            &mut conn,
            musubi::db::bookings::Holder::Event(&second_id),
            &[&hall.as_str().into()],
            at("2031-12-02T15:00:00+09:00"),
            at("2031-12-02T16:00:00+09:00"),
            true,
        )
        .unwrap_err()
    })
    .await
    .unwrap();
    match musubi::error::AppError::from(refused) {
        musubi::error::AppError::Conflict { field, problem } => {
            assert_eq!(field, Some("room_ids"));
            assert_eq!(problem.code, "conflict.room_booked_concurrently");
        }
        other => panic!("expected a booking conflict, got {other:?}"),
    }
}
