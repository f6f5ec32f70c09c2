use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Integer, Text};
use musubi::db::{self, DbConn};

use crate::both_backends;
use crate::helpers::{Backend, fresh_database};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every table the migrations create.
const TABLES: &str = "'organizations','venues','rooms','events','event_organizers','room_bookings',\
     'users','api_tokens','sessions','data_version','registrations','guest_feeds','service_keys',\
     'outbox','login_failures','meetings','meeting_attendees','staff_feeds','partnering_settings',\
     'partnering_windows','partnering_tables','partnering_profiles','partnering_unavailability',\
     'partnering_requests','calendar_sequences'";

fn table_count(conn: &mut DbConn, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => format!(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ({TABLES})"
        ),
        Backend::Postgres => format!(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name IN ({TABLES})"
        ),
    };
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

both_backends!(migrations_apply_revert_and_apply_again);

async fn migrations_apply_revert_and_apply_again(backend: Backend) {
    let (url, _dir, pg) = fresh_database(backend);
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), 9, "{applied:?}");
    assert_eq!(table_count(&mut conn, backend), 25);
    assert!(
        db::run_migrations(&mut conn).unwrap().is_empty(),
        "a second run applies nothing"
    );
    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(
        reverted,
        applied.iter().rev().cloned().collect::<Vec<_>>(),
        "reverted newest first"
    );
    assert_eq!(
        table_count(&mut conn, backend),
        0,
        "down.sql drops every table"
    );
    assert_eq!(db::run_migrations(&mut conn).unwrap(), applied);
    assert_eq!(table_count(&mut conn, backend), 25);
    drop(conn);
    if let Some((admin, name)) = pg {
        let mut c = <diesel::pg::PgConnection as diesel::Connection>::establish(&admin).unwrap();
        drop(pool);
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .unwrap();
    }
}

#[derive(diesel::QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(diesel::QueryableByName)]
struct IntPragma {
    #[diesel(sql_type = Integer)]
    value: i32,
}

/// Every pooled SQLite connection gets busy_timeout, WAL, synchronous=NORMAL
/// and foreign keys.
#[test]
fn sqlite_connections_use_wal_foreign_keys_and_busy_timeout() {
    let (url, _dir, _) = fresh_database(Backend::Sqlite);
    let pool = db::build_pool(&url, 2, std::time::Duration::from_secs(10)).unwrap();
    let (mut a, mut b) = (pool.get().unwrap(), pool.get().unwrap());
    for conn in [&mut *a, &mut *b] {
        let mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result::<Pragma>(conn)
            .unwrap();
        assert_eq!(mode.journal_mode, "wal");
        let int = |conn: &mut DbConn, sql: &str| {
            diesel::sql_query(sql)
                .get_result::<IntPragma>(conn)
                .unwrap()
                .value
        };
        assert_eq!(
            int(
                conn,
                "SELECT foreign_keys AS value FROM pragma_foreign_keys"
            ),
            1
        );
        assert_eq!(
            int(conn, "SELECT timeout AS value FROM pragma_busy_timeout"),
            10_000
        );
        assert_eq!(
            int(conn, "SELECT synchronous AS value FROM pragma_synchronous"),
            1,
            "NORMAL"
        );
        assert_eq!(
            int(
                conn,
                "SELECT journal_size_limit AS value FROM pragma_journal_size_limit"
            ),
            i32::try_from(db::SQLITE_WAL_LIMIT).unwrap()
        );
    }
}

/// A burst of writes grows the WAL; after the next checkpoint it is cut
/// back to the limit instead of staying that large for good.
#[test]
fn the_sqlite_wal_is_checkpointed_and_cut_back() {
    let (url, dir, _) = fresh_database(Backend::Sqlite);
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    diesel::sql_query("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)")
        .execute(&mut *conn)
        .unwrap();
    // 40 MiB in one transaction: the WAL must hold all of it until commit.
    diesel::sql_query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10240) \
         INSERT INTO filler (data) SELECT randomblob(4096) FROM n",
    )
    .execute(&mut *conn)
    .unwrap();
    let wal = dir.as_ref().unwrap().path().join("musubi.db-wal");
    let size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(size() > 40 * 1024 * 1024, "the burst went through the WAL");
    // Small writes afterwards: the automatic checkpoint resets the WAL,
    // and journal_size_limit truncates the file.
    for i in 0..2000 {
        diesel::sql_query(format!(
            "UPDATE filler SET data = zeroblob(10) WHERE id = {i}"
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    assert!(
        size() <= db::SQLITE_WAL_LIMIT as u64,
        "WAL still {} bytes",
        size()
    );
}

#[derive(diesel::QueryableByName)]
struct Kept {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Integer)]
    revision: i32,
}

both_backends!(the_meetings_migration_keeps_bookings_and_mail);

/// The migration that lets meetings book rooms and receive mail rebuilds
/// two tables on SQLite: existing bookings and queued mail survive it, and
/// its revert.
async fn the_meetings_migration_keeps_bookings_and_mail(backend: Backend) {
    use diesel_migrations::MigrationHarness;
    let (url, _dir, _pg) = fresh_database(backend);
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    let step = |conn: &mut DbConn| match conn {
        DbConn::Sqlite(c) => c.run_next_migration(db::SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Pg(c) => c.run_next_migration(db::POSTGRES_MIGRATIONS).map(|_| ()),
    };
    for _ in 0..4 {
        step(&mut conn).unwrap();
    }
    let ts = "'2031-12-01 05:00:00'";
    for sql in [
        format!("INSERT INTO venues (id, slug, name_ja, name_en, address_ja, address_en, area, time_zone, created_at, updated_at) VALUES ('v1', 'v', 'V', 'V', 'A', 'A', 'N', 'Asia/Tokyo', {ts}, {ts})"),
        format!("INSERT INTO rooms (id, venue_id, name_ja, name_en, capacity, created_at, updated_at) VALUES ('r1', 'v1', 'R', 'R', 10, {ts}, {ts})"),
        format!("INSERT INTO events (id, slug, title_ja, title_en, description_ja, description_en, kind, starts_at, ends_at, time_zone, status, revision, created_at, updated_at) VALUES ('e1', 'e', 'E', 'E', '', '', 'seminar', '2031-12-09 05:00:00', '2031-12-09 08:00:00', 'Asia/Tokyo', 'published', 2, {ts}, {ts})"),
        "INSERT INTO room_bookings (event_id, room_id, starts_at, ends_at, active) VALUES ('e1', 'r1', '2031-12-09 05:00:00', '2031-12-09 08:00:00', TRUE)".to_owned(),
        format!("INSERT INTO registrations (id, event_id, email, email_key, name, organization, country, time_zone, language, status, token_hash, consented_at, created_at, updated_at) VALUES ('g1', 'e1', 'a@x.example', 'a@x.example', 'A', 'X', 'JP', 'Asia/Tokyo', 'ja', 'confirmed', 'h1', {ts}, {ts}, {ts})"),
        format!("INSERT INTO outbox (id, dedupe_key, kind, registration_id, event_id, event_revision, status, due_at, created_at, updated_at) VALUES ('m1', 'confirmed:g1', 'confirmed', 'g1', 'e1', 2, 'pending', {ts}, {ts}, {ts})"),
    ] {
        diesel::sql_query(sql).execute(&mut *conn).unwrap();
    }
    step(&mut conn).unwrap();
    let kept = |conn: &mut DbConn| {
        let booking = diesel::sql_query(
            "SELECT event_id AS id, 0 AS revision FROM room_bookings WHERE active",
        )
        .load::<Kept>(conn)
        .unwrap();
        let mail = diesel::sql_query("SELECT id, revision FROM outbox")
            .load::<Kept>(conn)
            .unwrap();
        (
            booking.into_iter().map(|k| k.id).collect::<Vec<_>>(),
            mail.into_iter()
                .map(|k| (k.id, k.revision))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        kept(&mut conn),
        (vec!["e1".to_owned()], vec![("m1".to_owned(), 2)])
    );
    // The app sees them (with the later migrations applied, as the app
    // expects): the booking still holds the room.
    db::run_migrations(&mut conn).unwrap();
    let clashes = db::bookings::overlapping(
        &mut conn,
        &[&"r1".into()],
        chrono::NaiveDate::from_ymd_opt(2031, 12, 9)
            .unwrap()
            .and_hms_opt(6, 0, 0)
            .unwrap(),
        chrono::NaiveDate::from_ymd_opt(2031, 12, 9)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(clashes.len(), 1);
    // Back to before the meetings migration: the later ones first.
    while diesel::sql_query("SELECT 1 AS n FROM meetings LIMIT 0")
        .execute(&mut *conn)
        .is_ok()
    {
        match &mut *conn {
            DbConn::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS).map(|_| ()),
            DbConn::Pg(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS).map(|_| ()),
        }
        .unwrap();
    }
    let booking = diesel::sql_query("SELECT event_id AS id, 0 AS revision FROM room_bookings")
        .load::<Kept>(&mut *conn)
        .unwrap();
    assert_eq!(booking.len(), 1);
    let mail = diesel::sql_query("SELECT id, event_revision AS revision FROM outbox")
        .load::<Kept>(&mut *conn)
        .unwrap();
    assert_eq!((mail[0].id.as_str(), mail[0].revision), ("m1", 2));
    drop(conn);
    if let Some((admin, name)) = _pg {
        let mut c = <diesel::pg::PgConnection as diesel::Connection>::establish(&admin).unwrap();
        drop(pool);
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .unwrap();
    }
}
