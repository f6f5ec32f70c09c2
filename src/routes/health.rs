use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;
use crate::db;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz);
}

/// 200 when the database answers, 503 otherwise (for load balancers).
#[get("/healthz")]
#[tracing::instrument(skip(state))]
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let backend = state.settings.database_url.backend_name();
    let result = web::block(move || -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        db::ping(&mut conn)?;
        Ok(())
    })
    .await;
    let reachable = match result {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            false
        }
    };
    let (mut response, status) = if reachable {
        (HttpResponse::Ok(), "ok")
    } else {
        (HttpResponse::ServiceUnavailable(), "unavailable")
    };
    response.json(json!({ "status": status, "database": backend }))
}
