//! The outbox worker: claims due messages with a lease, composes and sends
//! them, and records the outcome. Runs inside `musubi serve` and alone as
//! `musubi worker`; several workers may run against one PostgreSQL.

use std::collections::HashMap;
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
use crate::domain::{MailKind, OutboxStatus, RegistrationStatus};
use crate::email::{self, Links, MailInput, Mailer};
use crate::error::AppError;
use crate::i18n::t;
use crate::service::{self, keys::LinkKeys};

/// How long a claimed message stays with its worker before another may
/// take it (a worker that died). Renewed every [`RENEW_EVERY`] while the
/// batch is in flight, so a slow send does not lose it, and short, so a
/// dead worker's mail is taken over soon.
const LEASE: Duration = Duration::seconds(60);
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// Recording outcomes is retried with growing pauses up to this one.
const RECORD_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(2);
/// After a stop was asked for, how long unrecorded outcomes are still
/// retried before the worker gives up (then the lease runs out and the
/// messages go out again: a duplicate, not a loss).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(30);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::hours(6);

#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    settings: Arc<Settings>,
    /// The host part of UIDs and Message-IDs (derived once, not per message).
    host: Arc<str>,
    keys: LinkKeys,
    /// Set once a stop was asked for.
    stopping: Arc<std::sync::atomic::AtomicBool>,
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

impl Round {
    fn add(&mut self, other: Round) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Claimed messages with what they need, and the task that keeps their
/// leases from the moment they were claimed (a batch claimed ahead waits
/// while the one before it is sent) until they are recorded.
struct Batch {
    items: Vec<(OutboxRow, Option<Context>)>,
    _leases: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Batch {
    fn empty() -> Self {
        Self {
            items: Vec::new(),
            _leases: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What became of one message when it was tried.
#[derive(Debug, PartialEq, Eq)]
enum Delivery {
    Sent,
    /// Not to be sent any more, and why (a reminder after the start…).
    Skipped(&'static str),
    /// Not delivered; a transient failure (a 4xx, a lost connection) may
    /// pass on a retry, a permanent one (a 5xx, a message that cannot be
    /// built) will not.
    Failed {
        transient: bool,
        error: String,
    },
}

/// What is recorded for a message.
enum Outcome {
    Sent,
    Skipped(&'static str),
    /// Tried again at the time given.
    Retry {
        due: chrono::NaiveDateTime,
        error: String,
    },
    /// `failed` (refused) or `dead` (out of attempts).
    Failed {
        status: OutboxStatus,
        error: String,
    },
}

/// What a message needs besides its outbox row.
#[derive(Clone)]
struct Context {
    registration: Registration,
    event: Arc<EventDetails>,
    feed_generation: i32,
}

struct Decision {
    row: OutboxRow,
    outcome: Outcome,
}

impl Worker {
    pub fn new(pool: Pool, settings: Settings, keys: LinkKeys) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.mail)?;
        Ok(Self {
            pool,
            mailer,
            host: settings.host().into(),
            settings: Arc::new(settings),
            keys,
            stopping: Arc::default(),
        })
    }

    pub fn describe(&self) -> String {
        self.mailer.describe()
    }

    /// Claims what is due at `now` and sends it, several at a time: one
    /// query round to load what the messages need, the sends side by side,
    /// one transaction to record the outcomes.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Round, AppError> {
        let batch = self.fetch(now, Vec::new()).await?;
        Ok(self.deliver_batch(batch, now).await)
    }

    /// Claims due messages (not of the registrations in `exclude`) and loads
    /// what they need.
    async fn fetch(&self, now: DateTime<Utc>, exclude: Vec<String>) -> Result<Batch, AppError> {
        let limit = (self.settings.mail.concurrency * 16) as i64;
        let at = db::from_utc(now);
        let rows = service::run(&self.pool, move |conn| {
            Ok(outbox::claim(conn, at, at + LEASE, limit, &exclude)?)
        })
        .await?;
        if rows.is_empty() {
            return Ok(Batch::empty());
        }
        let leases = self.keep_leases(
            rows.iter().map(|r| (r.id.clone(), r.attempts)).collect(),
            at,
        );
        let contexts = self.load(rows.clone()).await?;
        Ok(Batch {
            items: rows.into_iter().zip(contexts).collect(),
            _leases: Some(leases),
        })
    }

    /// Rounds until nothing is due, the next batch claimed and loaded while
    /// the current one is being sent.
    async fn drain(&self, now: impl Fn() -> DateTime<Utc>) -> Result<Round, AppError> {
        let mut total = Round::default();
        let mut batch = self.fetch(now(), Vec::new()).await?;
        while !batch.is_empty() {
            let in_flight = batch
                .items
                .iter()
                .map(|(r, _)| r.registration_id.clone())
                .collect();
            let (this, at) = (self.clone(), now());
            let next = tokio::spawn(async move { this.fetch(at, in_flight).await });
            let round = self.deliver_batch(batch, now()).await;
            total.add(round);
            batch = next
                .await
                .map_err(|e| anyhow::anyhow!("fetching mail: {e}"))??;
        }
        Ok(total)
    }

    /// Sends a claimed batch and records the outcomes.
    async fn deliver_batch(&self, batch: Batch, now: DateTime<Utc>) -> Round {
        let Batch {
            items: batch,
            _leases: leases,
        } = batch;
        // The leases are kept until the outcomes are recorded, below.
        let _leases = leases;
        let mut round = Round {
            claimed: batch.len(),
            ..Round::default()
        };
        if batch.is_empty() {
            return round;
        }
        let at = db::from_utc(now);
        // One guest's messages go out in the order they were queued (a
        // cancellation must not overtake the invite it cancels); different
        // guests' messages go out side by side.
        let mut by_guest: Vec<Vec<(OutboxRow, Option<Context>)>> = Vec::new();
        for (row, context) in batch {
            match by_guest
                .iter_mut()
                .find(|g| g[0].0.registration_id == row.registration_id)
            {
                Some(group) => group.push((row, context)),
                None => by_guest.push(vec![(row, context)]),
            }
        }
        let decisions: Vec<Decision> = futures_util::stream::iter(by_guest)
            .map(|group| async move {
                let mut decisions = Vec::with_capacity(group.len());
                for (row, context) in group {
                    let delivery = self.deliver(&row, context, now).await;
                    decisions.push(self.decide(row, delivery, now));
                }
                decisions
            })
            .buffer_unordered(self.settings.mail.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        for d in &decisions {
            match d.outcome {
                Outcome::Sent => round.sent += 1,
                Outcome::Retry { .. } => round.retried += 1,
                Outcome::Failed { .. } => round.failed += 1,
                Outcome::Skipped(_) => round.skipped += 1,
            }
        }
        self.record(decisions, at).await;
        round
    }

    /// Records the outcomes of a batch. A message that went out must not go
    /// out again, so when the database does not answer (restarting, a lost
    /// connection) the outcomes are kept and written when it is back: tried
    /// again with growing pauses while the lease keeps being renewed; after
    /// a stop was asked for, for [`STOP_GRACE`] more.
    async fn record(&self, decisions: Vec<Decision>, at: chrono::NaiveDateTime) {
        let decisions = Arc::new(decisions);
        let mut pause = std::time::Duration::from_millis(50);
        let mut stop_deadline: Option<std::time::Instant> = None;
        loop {
            let batch = decisions.clone();
            let written = service::run(&self.pool, move |conn| {
                db::write_tx(conn, |conn| {
                    for d in batch.iter() {
                        match &d.outcome {
                            Outcome::Sent => outbox::mark_sent(conn, &d.row, at)?,
                            Outcome::Skipped(why) => outbox::mark_skipped(conn, &d.row, why, at)?,
                            Outcome::Retry { due, error } => {
                                outbox::mark_retry(conn, &d.row, error, *due, at)?
                            }
                            Outcome::Failed { status, error } => {
                                outbox::mark_failed(conn, &d.row, *status, error, at)?
                            }
                        }
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await;
            let Err(e) = written else {
                return;
            };
            if self.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                let deadline =
                    *stop_deadline.get_or_insert_with(|| std::time::Instant::now() + STOP_GRACE);
                if std::time::Instant::now() >= deadline {
                    tracing::error!(error = %e, messages = decisions.len(), "stopping with send outcomes unrecorded; they will be sent again");
                    return;
                }
            }
            tracing::warn!(error = %e, messages = decisions.len(), "could not record send outcomes; retrying");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(RECORD_RETRY_MAX);
        }
    }

    /// Keeps the claim on `rows` while they are being sent and recorded:
    /// every [`RENEW_EVERY`] their lease is moved to a full [`LEASE`] ahead
    /// (on the batch's clock, so that a worker driven with an explicit time
    /// stays consistent), until the returned sender is dropped. A renewal
    /// that fails (database away) is tried again at the next tick; the
    /// lease is long enough to ride out an outage of tens of seconds.
    fn keep_leases(
        &self,
        rows: Vec<(String, i32)>,
        at: chrono::NaiveDateTime,
    ) -> tokio::sync::oneshot::Sender<()> {
        let (done, mut finished) = tokio::sync::oneshot::channel::<()>();
        let pool = self.pool.clone();
        let started = std::time::Instant::now();
        let rows = Arc::new(rows);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut finished => return,
                    _ = tokio::time::sleep(RENEW_EVERY) => {}
                }
                let elapsed = Duration::from_std(started.elapsed()).unwrap_or_default();
                let until = at + elapsed + LEASE;
                let rows = rows.clone();
                if let Err(e) = service::run(&pool, move |conn| {
                    Ok(db::write_tx(conn, |conn| {
                        outbox::renew_leases(conn, &rows, until)
                    })?)
                })
                .await
                {
                    tracing::warn!(error = %e, "could not renew the mail leases");
                }
            }
        });
        done
    }

    /// What each message needs, read in one go: the registrations, the
    /// events with their details and the guests' feed generations, each in
    /// one query for the whole batch (a feed is created only for an email
    /// seen for the first time).
    async fn load(&self, rows: Vec<OutboxRow>) -> Result<Vec<Option<Context>>, AppError> {
        let keys = self.keys.clone();
        service::run(&self.pool, move |conn| {
            let ids: Vec<&str> = rows.iter().map(|r| r.registration_id.as_str()).collect();
            let registrations: HashMap<String, Registration> = rdb::find_many(conn, &ids)?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            let mut event_ids: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
            event_ids.sort_unstable();
            event_ids.dedup();
            let found = edb::find_many(conn, &event_ids)?;
            let events: HashMap<String, Arc<EventDetails>> = edb::with_details(conn, found)?
                .into_iter()
                .map(|d| (d.event.id.clone(), Arc::new(d)))
                .collect();
            let emails: Vec<&str> = registrations
                .values()
                .map(|r| r.email_key.as_str())
                .collect();
            let mut generations: HashMap<String, i32> =
                rdb::feed_generations(conn, &emails)?.into_iter().collect();
            let mut contexts = Vec::with_capacity(rows.len());
            for row in &rows {
                let (Some(registration), Some(event)) = (
                    registrations.get(&row.registration_id),
                    events.get(&row.event_id),
                ) else {
                    contexts.push(None);
                    continue;
                };
                let key = registration.email_key.clone();
                let feed_generation = match generations.get(&key) {
                    Some(g) => *g,
                    None => {
                        let g = rdb::ensure_feed(
                            conn,
                            &key,
                            |g| keys.feed(&key, g).hash().as_str().to_owned(),
                            db::now(),
                        )?;
                        generations.insert(key, g);
                        g
                    }
                };
                contexts.push(Some(Context {
                    registration: registration.clone(),
                    event: event.clone(),
                    feed_generation,
                }));
            }
            Ok(contexts)
        })
        .await
    }

    /// Rounds at `now` until nothing is due (for tests and `worker --once`).
    pub async fn run_until_idle(&self, now: DateTime<Utc>) -> Result<Round, AppError> {
        self.drain(|| now).await
    }

    /// Works until `stop` turns true: a round whenever the last one found
    /// work, else after the poll interval.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(transport = %self.describe(), "mail worker started");
        let stopping = self.stopping.clone();
        let mut watch_stop = stop.clone();
        tokio::spawn(async move {
            while watch_stop.changed().await.is_ok() {
                if *watch_stop.borrow() {
                    break;
                }
            }
            stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.drain(Utc::now).await {
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

    /// Sends one message.
    async fn deliver(
        &self,
        row: &OutboxRow,
        context: Option<Context>,
        now: DateTime<Utc>,
    ) -> Delivery {
        let Some(Context {
            registration,
            event,
            feed_generation,
        }) = context
        else {
            return Delivery::Skipped("guest or event deleted");
        };
        let kind = row.kind;
        if let Some(why) = skip_reason(kind, &registration, &event, now) {
            return Delivery::Skipped(why);
        }
        let token = self.keys.registration(&registration.id);
        let feed_token = self.keys.feed(&registration.email_key, feed_generation);
        let base = &self.settings.base_url;
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
            host: &self.host,
            from: &self.settings.mail_from,
        };
        // A message that cannot be built will not build on a retry either.
        let permanent = |error: String| Delivery::Failed {
            transient: false,
            error,
        };
        let composed = match email::compose(&input) {
            Ok(c) => c,
            Err(e) => return permanent(format!("composing: {e}")),
        };
        let lang = Language::parse(&registration.language).unwrap_or_default();
        let message = match email::to_message(
            &composed,
            &self.settings.mail_from,
            t(lang, "site.name"),
            &registration.name,
            &registration.email,
        ) {
            Ok(m) => m,
            Err(e) => return permanent(format!("building the message: {e}")),
        };
        match self.mailer.send(&message, &row.id).await {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Failed {
                transient: e.transient,
                error: e.message,
            },
        }
    }

    /// What to record: a temporary failure is retried until the attempts
    /// run out (dead); a permanent one (SMTP 5xx) fails at once.
    fn decide(&self, row: OutboxRow, delivery: Delivery, now: DateTime<Utc>) -> Decision {
        let max = self.settings.mail.max_attempts;
        let outcome = match delivery {
            Delivery::Sent => Outcome::Sent,
            Delivery::Skipped(why) => Outcome::Skipped(why),
            Delivery::Failed {
                transient: true,
                error,
            } if row.attempts < max => {
                let due = db::from_utc(now) + backoff(self.settings.mail.retry_base, row.attempts);
                tracing::warn!(id = %row.id, attempts = row.attempts, %error, "mail not delivered; will retry");
                Outcome::Retry { due, error }
            }
            Delivery::Failed {
                transient: true,
                error,
            } => {
                tracing::error!(id = %row.id, %error, "mail not delivered; giving up");
                Outcome::Failed {
                    status: OutboxStatus::Dead,
                    error,
                }
            }
            Delivery::Failed {
                transient: false,
                error,
            } => {
                tracing::error!(id = %row.id, %error, "mail refused");
                Outcome::Failed {
                    status: OutboxStatus::Failed,
                    error,
                }
            }
        };
        Decision { row, outcome }
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
        if e.status != EventStatus::Published {
            return Some("the event is not published");
        }
        if registration.status != RegistrationStatus::Confirmed {
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
