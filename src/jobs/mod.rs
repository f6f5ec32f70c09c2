//! The outbox worker: claims due messages with a lease, composes and sends
//! them, and records the outcome. Runs inside `musubi serve` and alone as
//! `musubi worker`; several workers may run against one PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use rand::Rng;

use crate::config::Settings;
use crate::db::events::{self as edb, EventDetails};
use crate::db::outbox::{self, OutboxRow};
use crate::db::registrations::{self as rdb, Registration};
use crate::db::{self, Pool};
use crate::domain::{EventStatus, Language};
use crate::email::{self, Links, MailInput, Mailer};
use crate::error::AppError;
use crate::i18n::t;
use crate::service::{self, keys::LinkKeys, registrations::MailKind};

/// How long a claimed message stays with its worker before another may take it.
const LEASE: Duration = Duration::minutes(5);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::hours(6);

#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    settings: Arc<Settings>,
    keys: LinkKeys,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
}

enum Outcome {
    Sent,
    Retry,
    Failed,
    Skipped,
}

impl Worker {
    pub fn new(pool: Pool, settings: Settings, keys: LinkKeys) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.mail)?;
        Ok(Self {
            pool,
            mailer,
            settings: Arc::new(settings),
            keys,
        })
    }

    pub fn describe(&self) -> String {
        self.mailer.describe()
    }

    /// Claims what is due at `now` and sends it, several at a time.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Round, AppError> {
        let limit = (self.settings.mail.concurrency * 8) as i64;
        let at = db::from_utc(now);
        let rows = service::run(&self.pool, move |conn| {
            Ok(outbox::claim(conn, at, at + LEASE, limit)?)
        })
        .await?;
        let mut round = Round {
            claimed: rows.len(),
            ..Round::default()
        };
        // One guest's messages go out in the order they were queued (a
        // cancellation must not overtake the invite it cancels); different
        // guests' messages go out side by side.
        let mut by_guest: Vec<Vec<OutboxRow>> = Vec::new();
        for row in rows {
            match by_guest
                .iter_mut()
                .find(|g| g[0].registration_id == row.registration_id)
            {
                Some(group) => group.push(row),
                None => by_guest.push(vec![row]),
            }
        }
        let outcomes: Vec<Outcome> = futures_util::stream::iter(by_guest)
            .map(|group| async move {
                let mut outcomes = Vec::with_capacity(group.len());
                for row in group {
                    outcomes.push(self.process(row, now).await);
                }
                outcomes
            })
            .buffer_unordered(self.settings.mail.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        for o in outcomes {
            match o {
                Outcome::Sent => round.sent += 1,
                Outcome::Retry => round.retried += 1,
                Outcome::Failed => round.failed += 1,
                Outcome::Skipped => round.skipped += 1,
            }
        }
        Ok(round)
    }

    /// Rounds at `now` until nothing is due (for tests and `worker --once`).
    pub async fn run_until_idle(&self, now: DateTime<Utc>) -> Result<Round, AppError> {
        let mut total = Round::default();
        loop {
            let round = self.run_once(now).await?;
            if round.claimed == 0 {
                return Ok(total);
            }
            total.claimed += round.claimed;
            total.sent += round.sent;
            total.retried += round.retried;
            total.failed += round.failed;
            total.skipped += round.skipped;
        }
    }

    /// Works until `stop` turns true: a round whenever the last one found
    /// work, else after the poll interval.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(transport = %self.describe(), "mail worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.run_once(Utc::now()).await {
                Ok(round) => round.claimed > 0,
                Err(e) => {
                    tracing::error!(error = %e, "mail worker round failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.mail.poll_interval) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!("mail worker stopped");
    }

    async fn process(&self, row: OutboxRow, now: DateTime<Utc>) -> Outcome {
        match self.try_process(&row, now).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(id = %row.id, error = %e, "could not process a message");
                let message = e.to_string();
                self.record(row, now, Err((true, message))).await
            }
        }
    }

    async fn try_process(&self, row: &OutboxRow, now: DateTime<Utc>) -> Result<Outcome, AppError> {
        let kind = MailKind::parse(&row.kind)
            .ok_or_else(|| anyhow::anyhow!("unknown mail kind {}", row.kind))?;
        let (registration_id, event_id) = (row.registration_id.clone(), row.event_id.clone());
        let keys = self.keys.clone();
        let loaded = service::run(&self.pool, move |conn| {
            let Some(registration) = rdb::find(conn, &registration_id)? else {
                return Ok(None);
            };
            let Some(event) = edb::find(conn, &event_id)? else {
                return Ok(None);
            };
            let event = edb::with_details(conn, vec![event])?
                .pop()
                .ok_or(AppError::NotFound)?;
            let generation = rdb::feed_generation(
                conn,
                &registration.email_key,
                |g| {
                    keys.feed(&registration.email_key, g)
                        .hash()
                        .as_str()
                        .to_owned()
                },
                db::now(),
            )?;
            Ok(Some((registration, event, generation)))
        })
        .await?;
        let Some((registration, event, generation)) = loaded else {
            return Ok(self
                .record(row.clone(), now, Ok(Some("guest or event deleted")))
                .await);
        };
        if let Some(why) = skip_reason(kind, &registration, &event, now) {
            return Ok(self.record(row.clone(), now, Ok(Some(why))).await);
        }
        let token = self.keys.registration(&registration.id);
        let feed_token = self.keys.feed(&registration.email_key, generation);
        let base = &self.settings.base_url;
        let host = self.settings.host();
        let input = MailInput {
            kind,
            registration: &registration,
            event: &event,
            sequence: email::sequence_for(kind, row.event_revision),
            queued_at: row.created_at,
            message_key: &row.id,
            reminder_minutes: row.reminder_minutes,
            links: Links {
                manage: format!("{base}/registrations/{}", token.expose()),
                feed: format!("{base}/feeds/{}.ics", feed_token.expose()),
                unsubscribe: format!("{base}/registrations/{}/unsubscribe", token.expose()),
            },
            base_url: base,
            host: &host,
            from: &self.settings.mail_from,
        };
        let composed = email::compose(&input).map_err(|e| anyhow::anyhow!("composing: {e}"))?;
        let lang = Language::parse(&registration.language).unwrap_or_default();
        let message = email::to_message(
            &composed,
            &self.settings.mail_from,
            t(lang, "site.name"),
            &registration.name,
            &registration.email,
        )
        .map_err(|e| AppError::Unexpected(e.context("building the message")))?;
        let result = self.mailer.send(&message, &row.id).await;
        Ok(self
            .record(
                row.clone(),
                now,
                match result {
                    Ok(()) => Ok(None),
                    Err(e) => Err((e.transient, e.message)),
                },
            )
            .await)
    }

    /// Stores the outcome: `Ok(None)` sent, `Ok(Some(why))` skipped,
    /// `Err((transient, error))` not delivered.
    async fn record(
        &self,
        row: OutboxRow,
        now: DateTime<Utc>,
        result: Result<Option<&'static str>, (bool, String)>,
    ) -> Outcome {
        let at = db::from_utc(now);
        let max = self.settings.mail.max_attempts;
        let base = self.settings.mail.retry_base;
        // A temporary failure is retried until the attempts run out (dead);
        // a permanent one (SMTP 5xx) fails at once.
        let (outcome, stored, status_on_failure) = match result {
            Ok(None) => (Outcome::Sent, None, "failed"),
            Ok(Some(why)) => (Outcome::Skipped, Some(why.to_owned()), "failed"),
            Err((true, e)) if row.attempts < max => (Outcome::Retry, Some(e), "failed"),
            Err((true, e)) => (Outcome::Failed, Some(e), "dead"),
            Err((false, e)) => (Outcome::Failed, Some(e), "failed"),
        };
        let delay = backoff(base, row.attempts);
        let id = row.id.clone();
        let written = service::run(&self.pool, move |conn| {
            match (&outcome, stored.as_deref()) {
                (Outcome::Sent, _) => outbox::mark_sent(conn, &row, at)?,
                (Outcome::Skipped, why) => outbox::mark_skipped(conn, &row, why.unwrap_or(""), at)?,
                (Outcome::Retry, e) => {
                    outbox::mark_retry(conn, &row, e.unwrap_or(""), at + delay, at)?
                }
                (Outcome::Failed, e) => {
                    outbox::mark_failed(conn, &row, status_on_failure, e.unwrap_or(""), at)?
                }
            }
            Ok(outcome)
        })
        .await;
        match written {
            Ok(outcome) => outcome,
            Err(e) => {
                // The lease runs out and the message is tried again.
                tracing::error!(%id, error = %e, "could not record a send outcome");
                Outcome::Retry
            }
        }
    }
}

/// Why a message should not go out any more, if it should not.
fn skip_reason(
    kind: MailKind,
    registration: &Registration,
    event: &EventDetails,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    let e = &event.event;
    if kind == MailKind::Reminder {
        if db::to_utc(e.starts_at) <= now {
            return Some("the event has started");
        }
        if e.status != EventStatus::Published.as_str() {
            return Some("the event is not published");
        }
        if registration.status != "confirmed" {
            return Some("the registration is not confirmed");
        }
        if !registration.reminders {
            return Some("the guest turned reminders off");
        }
    }
    None
}

/// Doubling delays from `base`, jittered by ±20% so that retries of many
/// messages spread out, capped at [`MAX_BACKOFF`].
fn backoff(base: std::time::Duration, attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    let millis = (base.as_millis() as f64) * 2f64.powi(exponent);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    let millis = (millis * jitter).min(MAX_BACKOFF.num_milliseconds() as f64);
    Duration::milliseconds(millis as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let base = std::time::Duration::from_secs(30);
        for attempts in 1..=5 {
            let d = backoff(base, attempts).num_milliseconds() as f64;
            let expected = 30_000.0 * 2f64.powi(attempts - 1);
            assert!(
                d >= expected * 0.8 && d <= expected * 1.2,
                "{attempts}: {d}"
            );
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF);
    }
}
