//! Builds the running service from settings: pool, migrations, HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, Pool};
use crate::http::AppState;
use crate::jobs::Worker;
use crate::service::keys::LinkKeys;

/// The key for guests' link tokens: configured, or kept in the database.
pub fn link_keys(settings: &Settings, pool: &Pool) -> anyhow::Result<LinkKeys> {
    let mut conn = pool
        .get()
        .context("taking a connection to read the link key")?;
    let keys = LinkKeys::load(&mut conn, settings.secret_key.as_ref())
        .map_err(|e| anyhow::anyhow!("reading the link key: {e}"))?;
    // Registrations older than check-in links get theirs (once).
    crate::service::registrations::attendees::backfill_check_in(&mut conn, &keys)
        .map_err(|e| anyhow::anyhow!("filling check-in links: {e}"))?;
    Ok(keys)
}

/// The service, bound to its port but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    pool: Pool,
    worker: Option<Worker>,
}

/// Connects to the configured database and applies pending migrations.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = db::build_pool(
        &settings.database_url,
        settings.pool_size,
        settings.db_timeout,
    )?;
    let mut conn = pool.get().context("taking a connection to migrate")?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    Ok(pool)
}

impl Application {
    /// Prepares the database and binds `settings.bind` (port 0 picks a free port).
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = prepare_database(&settings)?;
        Self::with_pool(settings, pool)
    }

    pub fn with_pool(settings: Settings, pool: Pool) -> anyhow::Result<Self> {
        crate::service::accounts::prepare_sign_in();
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        let keys = link_keys(&settings, &pool)?;
        let worker = if settings.run_worker {
            Some(Worker::new(pool.clone(), settings.clone(), keys.clone())?)
        } else {
            None
        };
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            limiter: std::sync::Arc::new(crate::http::rate_limit::RateLimiter::new(
                settings.rate_limit_per_minute,
            )),
            passwords: crate::service::passwords::PasswordChecker::start(settings.password_hashers)
                .context("starting the password hashing threads")?,
            settings,
            feeds: Default::default(),
            keys,
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(crate::routes::error_pages))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(crate::http::encoding::representations))
                .wrap(middleware::from_fn(
                    crate::http::hardening::security_headers,
                ))
                .wrap(middleware::from_fn(crate::http::hardening::head_as_get))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(256 * 1024))
                .configure(crate::api::config)
                .configure(crate::routes::config)
                .default_service(web::to(crate::routes::not_found))
        })
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            pool,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Serves until the server stops; the mail worker (when enabled) runs
    /// beside it and stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(stopped)));
        let result = self.server.await;
        let _ = stop.send(true);
        if let Some(handle) = worker {
            let _ = handle.await;
        }
        // Before the process exits: no pool thread may still be in libpq then.
        let pool = self.pool;
        let _ = tokio::task::spawn_blocking(move || pool.close()).await;
        result
    }
}
