use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{Backend, json_of, postgres_admin_url, spawn_app};

both_backends!(healthz_answers_200_with_the_backend);

async fn healthz_answers_200_with_the_backend(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = json_of(app.get("/healthz").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["database"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
}

/// When the database goes away the health check says so (503), and comes
/// back without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_503_when_postgres_refuses_connections() {
    let app = spawn_app(Backend::Postgres).await;
    let musubi::config::DatabaseUrl::Postgres(url) = &app.database_url else {
        unreachable!()
    };
    let name = url::Url::parse(url).unwrap().path()[1..].to_owned();
    let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
    ))
    .execute(&mut admin)
    .unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
    let (status, body) = json_of(app.get("/healthz").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    diesel::sql_query(format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .unwrap();
    let (status, _) = json_of(app.get("/healthz").await).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_described_and_unknown_api_paths_answer_json() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, doc) = json_of(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/organizations",
        "/venues/{slug}/rooms",
        "/events",
        "/events/{slug}",
        "/events/{slug}/cancel",
        "/events/{slug}/registrations",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let fields = doc["components"]["schemas"]["EventInput"]["properties"]
        .as_object()
        .unwrap();
    for field in [
        "slug",
        "title_ja",
        "starts_at",
        "time_zone",
        "organizer_slugs",
        "room_ids",
        "revision",
        "reminder_offsets",
    ] {
        assert!(fields.contains_key(field), "{field}");
    }
    // The registration schema names exactly the fields the API accepts.
    let registration = doc["components"]["schemas"]["RegistrationInput"]["properties"]
        .as_object()
        .unwrap();
    let mut documented: Vec<&str> = registration.keys().map(String::as_str).collect();
    documented.sort_unstable();
    let mut accepted: Vec<String> =
        serde_json::to_value(musubi::service::registrations::RegistrationFields::default())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
    accepted.sort_unstable();
    assert_eq!(documented, accepted);
    let (status, body) = json_of(app.get("/api/v1/nothing-here").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    let page = app.get("/nothing-here").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
