use std::io::Write;
use std::process::{Command, Output, Stdio};

use reqwest::StatusCode;

use crate::helpers::{Backend, fresh_database};

pub fn musubi(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_musubi"))
        .args(args)
        .env_remove("MUSUBI_CONFIG")
        .env("MUSUBI_LOG", "error")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("musubi binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_bad_database_url_stops_start_up_with_one_line_naming_it() {
    for url in [
        "mysql://root@localhost/musubi",
        "sqlite://",
        "http://example.com/db",
    ] {
        let out = musubi(&["serve"], &[("MUSUBI_DATABASE_URL", url)], "");
        assert_eq!(out.status.code(), Some(1), "{url}");
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains("MUSUBI_DATABASE_URL"), "{err}");
    }
    let out = musubi(
        &["serve"],
        &[(
            "MUSUBI_DATABASE_URL",
            "postgres://musubi:secret-pw@127.0.0.1:1/musubi",
        )],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot connect") && !err.contains("secret-pw"),
        "password never printed: {err}"
    );
    let out = musubi(&["serve"], &[("MUSUBI_BIND", "everywhere")], "");
    assert!(text(&out.stderr).contains("MUSUBI_BIND"));
}

/// `admin create-user` reads the password from stdin; `create-token` prints a
/// token the API accepts; `migrate` applies and reverts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_tokens_from_the_command_line() {
    let (url, _dir, _) = fresh_database(Backend::Sqlite);
    let url = url.to_string();
    let env = [("MUSUBI_DATABASE_URL", url.as_str())];

    let out = musubi(&["migrate"], &env, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied 20261124000001"));

    let out = musubi(
        &[
            "admin",
            "create-user",
            "--email",
            "kenji@osaka.example",
            "--name",
            "大阪 健二",
        ],
        &env,
        "short\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("at least 12 characters"));
    let out = musubi(
        &[
            "admin",
            "create-user",
            "--email",
            "kenji@osaka.example",
            "--name",
            "大阪 健二",
        ],
        &env,
        "天神祭の花火は七月二十五日です\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = musubi(
        &["admin", "create-token", "--email", "nobody@osaka.example"],
        &env,
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let out = musubi(
        &["admin", "create-token", "--email", "kenji@osaka.example"],
        &env,
        "",
    );
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_owned();
    assert!(token.len() >= 43, "256 random bits: {token}");

    // The token works against a server on the same database.
    let mut settings =
        musubi::config::Settings::with_database(musubi::config::DatabaseUrl::parse(&url).unwrap());
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.workers = 1;
    let app = musubi::startup::Application::build(settings).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let body = serde_json::json!({ "slug": "osaka-pref", "name_ja": "大阪府", "name_en": "Osaka Prefecture", "kind": "government", "country": "JP" });
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/organizations"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let out = musubi(&["migrate", "--revert-all"], &env, "");
    assert!(
        text(&out.stdout).contains("reverted 20261124000001"),
        "{}",
        text(&out.stderr)
    );
}

/// `serve --demo` seeds an empty database once and the pages show it.
#[test]
fn demo_data_is_seeded_into_an_empty_database_only() {
    let (url, _dir, _) = fresh_database(Backend::Sqlite);
    let pool = musubi::db::build_pool(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    musubi::db::run_migrations(&mut conn).unwrap();
    let keys = musubi::service::keys::LinkKeys::load(&mut conn, None).unwrap();
    assert!(musubi::demo::seed_if_empty(&mut conn, &keys).unwrap());
    assert!(
        !musubi::demo::seed_if_empty(&mut conn, &keys).unwrap(),
        "never seeded twice"
    );
    let events = musubi::service::events::list(&mut conn, Default::default()).unwrap();
    assert!(events.len() >= 12, "{}", events.len());
    assert!(
        events.iter().any(|d| d.organizers.len() >= 2),
        "some events are joint"
    );
    let orgs = musubi::service::organizations::list(&mut conn).unwrap();
    for slug in ["link-j-west", "osaka-pref"] {
        assert!(orgs.iter().any(|o| o.slug == slug), "{slug}");
    }
    assert!(orgs.iter().any(|o| o.country != "JP"), "overseas companies");
    let areas: Vec<String> = musubi::service::venues::list(&mut conn)
        .unwrap()
        .into_iter()
        .map(|v| v.venue.area)
        .collect();
    for area in ["Nakanoshima", "Saito", "Kento"] {
        assert!(areas.iter().any(|a| a == area), "{area}");
    }
    // Meetings between Osaka and overseas companies, one online on the
    // Monday after a US clock change, one cancelled; no mail goes out.
    let meetings = musubi::service::meetings::list(&mut conn, Default::default()).unwrap();
    assert!(meetings.len() >= 4, "{}", meetings.len());
    let ny = chrono_tz::America::New_York;
    let online = meetings
        .iter()
        .find(|d| {
            d.room.is_none()
                && d.listed()
                    .any(|a| a.attendee.time_zone == "America/New_York")
        })
        .expect("an online meeting with a New York attendee");
    let start = online.meeting.starts_at.and_utc();
    let offset = |t: chrono::DateTime<chrono::Utc>| {
        chrono::Offset::fix(t.with_timezone(&ny).offset()).local_minus_utc()
    };
    assert_ne!(
        offset(start),
        offset(start - chrono::Duration::days(7)),
        "New York changed clocks in the week before"
    );
    assert!(
        meetings
            .iter()
            .any(|d| d.meeting.status == musubi::domain::MeetingStatus::Cancelled)
    );
    assert!(
        meetings
            .iter()
            .any(|d| d.room.is_some() && d.meeting.online_url.is_some())
    );
    let counts = musubi::db::outbox::count_by_status(&mut conn).unwrap();
    assert!(
        counts
            .iter()
            .all(|(status, _)| *status == musubi::domain::OutboxStatus::Skipped),
        "{counts:?}"
    );
}

/// Visitors who are not signed in are sent to the login page; that is
/// ordinary traffic, not an error in the log.
#[test]
fn unauthenticated_admin_visits_are_not_logged_as_errors() {
    let (url, _dir, _) = crate::helpers::fresh_database(crate::helpers::Backend::Sqlite);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_musubi"))
        .arg("serve")
        .env_remove("MUSUBI_CONFIG")
        .env("MUSUBI_DATABASE_URL", url.to_string())
        .env("MUSUBI_BIND", format!("127.0.0.1:{port}"))
        .env("MUSUBI_LOG", "info")
        .env("MUSUBI_RUN_WORKER", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for path in [
        "/admin",
        "/admin/events/new",
        "/admin/outbox",
        "/admin/account",
    ] {
        let r = client.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    server.kill().unwrap();
    let out = server.wait_with_output().unwrap();
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(log.contains("musubi is listening"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
}

#[test]
fn partnering_solve_reads_an_instance_and_prints_a_plan() {
    // p1 and p2 are both free only in slot 1; p3 is busy with p1 there too,
    // so one of the two requests must wait for a table in slot 2.
    let instance = r#"{"slots": 3, "tables": [1, 1, 0],
        "participants": [{"id": "p1", "unavailable": [0]}, {"id": "p2", "unavailable": [0, 2]},
                         {"id": "p3", "max_meetings": 1}, {"id": "p4"}],
        "requests": [{"id": "r1", "a": "p1", "b": "p2", "priority": 5},
                     {"id": "r2", "a": "p3", "b": "p4"},
                     {"id": "r3", "a": "p3", "b": "p1", "priority": 1},
                     {"id": "r4", "a": "p2", "b": "p4"}],
        "fixed": [{"request": "r2", "slot": 0, "table": 0}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instance.json");
    std::fs::write(&file, instance).unwrap();
    for (args, stdin) in [
        (
            vec!["partnering", "solve", "--input", file.to_str().unwrap()],
            "",
        ),
        (vec!["partnering", "solve"], instance),
    ] {
        let out = musubi(&args, &[("MUSUBI_DATABASE_URL", "sqlite://")], stdin);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            plan["meetings"],
            serde_json::json!([
                {"request": "r2", "slot": 0, "table": 0},
                {"request": "r1", "slot": 1, "table": 0}
            ]),
            "{plan}"
        );
        let mut unplaced = plan["unplaced"].as_array().unwrap().clone();
        unplaced.sort_by_key(|u| u["request"].as_str().unwrap().to_owned());
        assert_eq!(
            unplaced,
            [
                serde_json::json!({"request": "r3", "reason": "participant_full"}),
                serde_json::json!({"request": "r4", "reason": "participant_unavailable"}),
            ]
        );
        assert_eq!(plan["stats"]["placed"], 2);
        assert_eq!(plan["stats"]["priority"], 8);
        assert_eq!(plan["stats"]["unplaced"], 2);
        assert!(plan["stats"]["millis"].is_u64());
    }
    // Bad instances: one line naming the problem, exit code 1, no plan.
    for (bad, says) in [
        (
            r#"{"slots": 2, "tables": 1, "requests": [{"id": "r1", "a": "p1", "b": "p2"}]}"#,
            "not in participants",
        ),
        (
            r#"{"slots": 2, "tables": 1, "colour": "red"}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"slots": 2, "tables": [1]}"#,
            "tables has 1 counts but there are 2 slots",
        ),
        ("[", "not valid JSON"),
    ] {
        let out = musubi(&["partnering", "solve"], &[], bad);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{bad}: {err}");
    }
}
