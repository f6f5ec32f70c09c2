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

fn table_count(conn: &mut DbConn, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN \
             ('organizations','venues','rooms','events','event_organizers','room_bookings','users','api_tokens','sessions','data_version','registrations','guest_feeds','service_keys','outbox','login_failures','meetings','meeting_attendees','staff_feeds')"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN \
             ('organizations','venues','rooms','events','event_organizers','room_bookings','users','api_tokens','sessions','data_version','registrations','guest_feeds','service_keys','outbox','login_failures','meetings','meeting_attendees','staff_feeds')"
        }
    };
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

both_backends!(migrations_apply_revert_and_apply_again);

async fn migrations_apply_revert_and_apply_again(backend: Backend) {
    let (url, _dir, pg) = fresh_database(backend);
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), 5, "{applied:?}");
    assert_eq!(table_count(&mut conn, backend), 18);
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
    assert_eq!(table_count(&mut conn, backend), 18);
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
