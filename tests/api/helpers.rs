//! The test harness: the real application on a random port, against a
//! fresh database of either backend.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use musubi::config::{DatabaseUrl, Settings};
use musubi::db::Pool;
use musubi::jobs::Worker;
use musubi::service::accounts;
use musubi::startup::{Application, link_keys};

use crate::smtp::SmtpSink;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod <test> { fn sqlite(); fn postgres(); }` so that every
/// storage test runs on both backends.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub const ORGANIZER_EMAIL: &str = "organizer@link-j-west.example";
pub const ORGANIZER_PASSWORD: &str = "中之島で会いましょう-2031";

pub struct TestApp {
    pub address: String,
    pub pool: Pool,
    /// A client that keeps cookies and does not follow redirects.
    pub client: reqwest::Client,
    /// An organizer's API bearer token.
    pub token: String,
    pub database_url: DatabaseUrl,
    /// The SMTP server the app sends to.
    pub smtp: SmtpSink,
    /// A mail worker over the same database and SMTP server, driven by the
    /// tests (the app's own worker is off unless a test turns it on).
    pub worker: Worker,
    pub settings: Settings,
    /// Set by a test that means to end with mail unsent, failed or dead.
    leaves_mail: std::sync::atomic::AtomicBool,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
}

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server URL of the PostgreSQL the tests may create databases in.
pub fn postgres_admin_url() -> String {
    std::env::var("MUSUBI_TEST_POSTGRES_URL").expect(
        "MUSUBI_TEST_POSTGRES_URL is not set: the PostgreSQL half of the tests needs it \
         (run scripts/test, which starts PostgreSQL and sets it)",
    )
}

/// A fresh, empty database of `backend`; the temp dir (SQLite) must live as long as it.
pub fn fresh_database(
    backend: Backend,
) -> (
    DatabaseUrl,
    Option<tempfile::TempDir>,
    Option<(String, String)>,
) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            (
                DatabaseUrl::Sqlite(dir.path().join("musubi.db")),
                Some(dir),
                None,
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!(
                "musubi_test_{}_{}_{}",
                std::process::id(),
                DB_COUNTER.fetch_add(1, Ordering::SeqCst),
                uuid::Uuid::new_v4()
                    .simple()
                    .to_string()
                    .get(..8)
                    .unwrap_or_default()
            );
            let mut conn = PgConnection::establish(&admin)
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("MUSUBI_TEST_POSTGRES_URL is a URL");
            url.set_path(&format!("/{name}"));
            (
                DatabaseUrl::parse(url.as_str()).expect("postgres url"),
                None,
                Some((admin, name)),
            )
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Like crates.io's test app: mail a test queued and did not send
        // (or that failed) is a finding, unless the test said it leaves some.
        if !std::thread::panicking() && !self.leaves_mail.load(Ordering::Relaxed) {
            let mut left = self.unfinished_mail();
            // A running worker may still be recording what it just sent.
            for _ in 0..30 {
                if !left.keys().any(|(_, status)| status == "sending") {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
                left = self.unfinished_mail();
            }
            if !left.is_empty() {
                panic!(
                    "the test ended with mail unsent, failed or dead (call app.leaves_mail() if it means to): {left:?}"
                );
            }
        }
        // Every handle of the app's pool (the server's, the worker's) sees
        // it closed: its connections end here and its threads are joined,
        // so none is still inside libpq when the test binary exits.
        let closed = self.pool.close();
        assert_eq!(
            closed,
            musubi::db::Closed {
                opening: 0,
                threads: 0
            },
            "the pool did not close"
        );
        if let Some((admin, name)) = &self.pg_database
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with settings changed before the app starts.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, dir, pg_database) = fresh_database(backend);
    spawn_app_on(database_url, dir, pg_database, configure).await
}

/// The app on a given (empty) database, e.g. a private PostgreSQL cluster.
pub async fn spawn_app_on(
    database_url: DatabaseUrl,
    dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::with_database(database_url.clone());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.workers = 2;
    settings.pool_size = 12;
    settings.log = "warn".into();
    let smtp = SmtpSink::start().await;
    settings.mail.smtp_url = Some(musubi::config::SmtpUrl::parse(&smtp.url()).unwrap());
    settings.mail.retry_base = std::time::Duration::from_secs(1);
    settings.run_worker = false;
    settings.rate_limit_per_minute = 0;
    configure(&mut settings);
    musubi::telemetry::init(&std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()));
    let app = Application::build(settings.clone()).expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool().clone();
    tokio::spawn(app.run_until_stopped());
    let keys = link_keys(&settings, &pool).unwrap();
    let worker = Worker::new(pool.clone(), settings.clone(), keys).unwrap();
    let token = {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            accounts::create_user(
                &mut conn,
                ORGANIZER_EMAIL,
                "山田 花子 (LINK-J WEST)",
                ORGANIZER_PASSWORD,
            )
            .unwrap();
            accounts::create_token(&mut conn, ORGANIZER_EMAIL)
                .unwrap()
                .expose()
                .to_owned()
        })
        .await
        .unwrap()
    };
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        pool,
        client,
        token,
        database_url,
        smtp,
        worker,
        settings,
        leaves_mail: Default::default(),
        _dir: dir,
        pg_database,
    }
}

impl TestApp {
    /// Sends every message that is due, as the worker would; none may fail.
    pub async fn send_all_mail(&self) {
        let round = self
            .worker
            .run_until_idle(chrono::Utc::now())
            .await
            .expect("the worker runs");
        assert_eq!(round.failed + round.retried, 0, "{round:?}");
    }

    /// This test means to end with mail not sent (queued, failed or dead).
    pub fn leaves_mail(&self) {
        self.leaves_mail.store(true, Ordering::Relaxed);
    }

    /// How many messages of each `(kind, status)` are due and not sent,
    /// waiting for a retry, in flight, failed or dead. (Reminders due later,
    /// never tried, are not counted: they are the future, not left-over work.)
    pub fn unfinished_mail(&self) -> std::collections::BTreeMap<(String, String), usize> {
        use diesel::prelude::*;
        use musubi::db::schema::outbox;
        let mut conn = self
            .pool
            .get()
            .expect("a connection to count the mail left");
        let now = chrono::Utc::now().naive_utc();
        let rows: Vec<(String, String)> = outbox::table
            .filter(
                outbox::status
                    .eq_any(["sending", "failed", "dead"])
                    .or(outbox::status
                        .eq("pending")
                        .and(outbox::due_at.le(now).or(outbox::attempts.gt(0)))),
            )
            .select((outbox::kind, outbox::status))
            .load(&mut *conn)
            .expect("counting the mail left");
        let mut counts = std::collections::BTreeMap::new();
        for row in rows {
            *counts.entry(row).or_default() += 1;
        }
        counts
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A link the app made (on its default base URL) or a path, on this app.
    pub fn local(&self, url: &str) -> String {
        match url.strip_prefix("http://127.0.0.1:8080") {
            Some(path) => self.url(path),
            None if url.starts_with('/') => self.url(url),
            None => url.to_owned(),
        }
    }

    /// A page as the cookie-keeping client sees it.
    pub async fn browse(&self, url: &str) -> String {
        let r = self
            .client
            .get(self.local(url))
            .send()
            .await
            .expect("request");
        r.text().await.expect("page text")
    }

    /// Presses a button-only form (`action`) of `page`: a POST with the
    /// page's CSRF token.
    pub async fn press(&self, action: &str, page: &str) -> Response {
        self.client
            .post(self.local(action))
            .form(&[("csrf_token", csrf_token(page).as_str())])
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A page as text, with a fresh client (no cookies) and an optional Accept-Language.
    pub async fn page(&self, path: &str, accept_language: Option<&str>) -> (StatusCode, String) {
        let mut request = reqwest::Client::new().get(self.url(path));
        if let Some(lang) = accept_language {
            request = request.header("Accept-Language", lang);
        }
        let response = request.send().await.expect("request");
        (response.status(), response.text().await.unwrap())
    }

    pub async fn api_get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        json_of(r).await
    }

    pub async fn api_get_public(&self, path: &str) -> (StatusCode, Value) {
        json_of(
            reqwest::Client::new()
                .get(self.url(path))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn api_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.client
                .post(self.url(path))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn api_patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.client
                .patch(self.url(path))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn api_put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.client
                .put(self.url(path))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// The two partners and an overseas company, and a venue with two rooms;
    /// returns the room ids (Hall, Room A).
    pub async fn seed_basics(&self) -> (String, String) {
        for (slug, ja, en, kind, country, zone) in [
            (
                "link-j-west",
                "LINK-J WEST",
                "LINK-J WEST",
                "organizer",
                "JP",
                "Asia/Tokyo",
            ),
            (
                "osaka-pref",
                "大阪府",
                "Osaka Prefectural Government",
                "government",
                "JP",
                "Asia/Tokyo",
            ),
            (
                "rhein-medtech",
                "ライン・メドテック",
                "Rhein Medtech GmbH",
                "company",
                "DE",
                "Europe/Berlin",
            ),
        ] {
            let (status, body) = self
                .api_post(
                    "/api/v1/organizations",
                    &json!({ "slug": slug, "name_ja": ja, "name_en": en, "kind": kind, "country": country, "time_zone": zone }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, venue) = self
            .api_post(
                "/api/v1/venues",
                &json!({
                    "slug": "nakanoshima", "name_ja": "中之島クロス", "name_en": "Nakanoshima Qross",
                    "address_ja": "大阪市北区中之島4-3-51", "address_en": "4-3-51 Nakanoshima, Kita-ku, Osaka",
                    "area": "Nakanoshima",
                    "rooms": [
                        { "name_ja": "ホール", "name_en": "Hall", "capacity": 200 },
                        { "name_ja": "会議室A", "name_en": "Room A", "capacity": 40 }
                    ]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{venue}");
        let room = |name: &str| {
            venue["rooms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name_en"] == name)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        (room("Hall"), room("Room A"))
    }

    pub async fn create_event(&self, body: &Value) -> Value {
        let (status, event) = self.api_post("/api/v1/events", body).await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        event
    }
}

/// A joint published event of LINK-J WEST and Osaka Prefecture.
pub fn event_body(slug: &str, starts_at: &str, ends_at: &str, room_ids: &[&str]) -> Value {
    json!({
        "slug": slug,
        "title_ja": "再生医療セミナー",
        "title_en": "Regenerative Medicine Seminar",
        "description_ja": "大阪と海外の企業が集まります。",
        "description_en": "Osaka and overseas companies meet.",
        "kind": "seminar",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": 40,
        "status": "published",
        "organizer_slugs": ["link-j-west", "osaka-pref"],
        "room_ids": room_ids,
    })
}

pub async fn json_of(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

/// The field names a 422/409 answer names.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The CSRF token from a page's form.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The app with [`TestApp::seed_basics`] and one published joint seminar,
/// `regen-seminar`, in the Hall on Tuesday 2 December 2031, 14:00–17:00 JST.
/// Returns the app, the Hall's id and the event as the API answered.
pub async fn spawn_with_seminar(backend: Backend) -> (TestApp, String, Value) {
    let app = spawn_app(backend).await;
    let (hall, _) = app.seed_basics().await;
    let seminar = app
        .create_event(&event_body(
            "regen-seminar",
            "2031-12-02T14:00:00+09:00",
            "2031-12-02T17:00:00+09:00",
            &[&hall],
        ))
        .await;
    (app, hall, seminar)
}
