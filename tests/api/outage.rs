//! PostgreSQL going away while the service runs: requests are answered 503
//! at once, and mail that went out while the database was down is recorded
//! when it is back: none lost, none sent twice. The test runs its own
//! PostgreSQL cluster (initdb + pg_ctl on a free port), never the shared one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::{Connection, RunQueryDsl};
use reqwest::StatusCode;

use crate::helpers::spawn_app_on;
use crate::registrations::{event_with_capacity, register_guests};

/// A PostgreSQL cluster of this test's own, in a temporary directory.
struct PrivateCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

/// Runs a PostgreSQL server program as the `postgres` user when we are
/// root (PostgreSQL refuses to run as root).
fn pg_command(bin: &std::path::Path, program: &str) -> Command {
    let path = bin.join(program);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc_geteuid() } == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivateCluster {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("musubi-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if unsafe { libc_geteuid() } == 0 {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["postgres:postgres"]).arg(&dir);
                    c
                },
                "chown",
            );
        }
        let mut initdb = pg_command(&bin, "initdb");
        initdb.args(["-D"]).arg(dir.join("data")).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(initdb, "initdb");
        let cluster = Self { bin, dir, port };
        cluster.up();
        cluster
    }

    fn up(&self) {
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses='' -c fsync=off",
                self.port,
                self.dir.display()
            ))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "start"]);
        run(c, "pg_ctl start");
    }

    fn down(&self) {
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"]);
        run(c, "pg_ctl stop");
    }

    /// Over the cluster's Unix socket only: while it is down for the outage,
    /// no TCP port is free for another test to take, so it comes back where
    /// the app expects it.
    fn url(&self, database: &str) -> String {
        let socket_dir: String =
            url::form_urlencoded::byte_serialize(self.dir.to_str().unwrap().as_bytes()).collect();
        format!("postgres://postgres@{socket_dir}:{}/{database}", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let mut c = pg_command(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = c.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How long a request takes and what it answers.
async fn timed(url: String) -> (StatusCode, Duration) {
    let started = Instant::now();
    let status = reqwest::Client::new()
        .get(url)
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_outage_while_sending_loses_and_repeats_no_mail() {
    let cluster = PrivateCluster::start();
    {
        let mut conn = diesel::pg::PgConnection::establish(&cluster.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE musubi")
            .execute(&mut conn)
            .unwrap();
    }
    let url = musubi::config::DatabaseUrl::parse(&cluster.url("musubi")).unwrap();
    let app = spawn_app_on(url, None, None, |s| {
        s.mail.concurrency = 4;
        s.mail.poll_interval = Duration::from_millis(100);
    })
    .await;
    event_with_capacity(&app, "partnering-day", 200, 20).await;
    const GUESTS: usize = 160;
    register_guests(&app, "partnering-day", GUESTS).await;
    // Slow enough that sending spans the outage: about 40 messages a second.
    app.smtp.set_delay(Duration::from_millis(100));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(app.worker.clone().run(stopped));
    let started = Instant::now();
    while app.smtp.received().len() < 20 {
        assert!(started.elapsed() < Duration::from_secs(30), "nothing sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    cluster.down();
    let outage = Instant::now();
    let during = app.smtp.received().len();
    // Requests fail fast while the database is away.
    for path in ["/healthz", "/api/v1/events", "/events/partnering-day"] {
        let (status, took) = timed(app.url(path)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(took < Duration::from_millis(2500), "{path} took {took:?}");
    }
    tokio::time::sleep(Duration::from_secs(15).saturating_sub(outage.elapsed())).await;
    let sent_while_down = app.smtp.received().len() - during;
    cluster.up();

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let unsent = {
            let pool = app.pool.clone();
            tokio::task::spawn_blocking(move || {
                let Ok(mut conn) = pool.get() else {
                    return i64::MAX;
                };
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'confirmed' AND status <> 'sent'",
                )
                .get_result::<N>(&mut conn)
                .map_or(i64::MAX, |r| r.n)
            })
            .await
            .unwrap()
        };
        if unsent == 0 && app.smtp.received().len() >= GUESTS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{unsent} confirmations unsent, {} received",
            app.smtp.received().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give a wrongly repeated message (a lease run out) the time to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop.send(true);
    worker.await.unwrap();

    let mut per_guest: BTreeMap<String, usize> = BTreeMap::new();
    for m in app.smtp.received() {
        *per_guest.entry(m.rcpt_to.join(",")).or_default() += 1;
    }
    let lost = GUESTS - per_guest.len();
    let duplicated: Vec<_> = per_guest.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(lost, 0, "lost messages");
    assert!(duplicated.is_empty(), "sent twice: {duplicated:?}");
    assert!(
        sent_while_down > 0,
        "the outage fell while mail was going out ({sent_while_down} sent meanwhile)"
    );
    assert_eq!(app.worker.run_until_idle(Utc::now()).await.unwrap().sent, 0);
}
