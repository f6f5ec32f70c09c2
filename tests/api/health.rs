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
    let name = url.rsplit('/').next().unwrap().to_owned();
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
