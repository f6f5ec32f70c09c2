//! The outbox worker: claims due messages with a lease, composes and sends
//! them, and records the outcome. Runs inside `musubi serve` and alone as
//! `musubi worker`; several workers may run against one PostgreSQL.

mod compose;
mod delivery;
mod partners;
mod skip;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use crate::config::Settings;
use crate::db::outbox::{self, Busy, OutboxRow};
use crate::db::{self, Pool};
use crate::domain::OutboxId;
use crate::email::Mailer;
use crate::error::AppError;
use crate::service::{self, keys::LinkKeys};

use delivery::{Decision, Outcome, Prepared};

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

#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    settings: Arc<Settings>,
    /// The host part of UIDs and Message-IDs (derived once, not per message).
    host: Arc<str>,
    /// The privacy notice every footer links to.
    privacy_url: Arc<str>,
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

/// Claimed messages, composed and ready to send, and the task that keeps
/// their leases from the moment they were claimed (a batch claimed ahead
/// waits while the one before it is sent) until they are recorded.
struct Batch {
    items: Vec<(OutboxRow, Prepared)>,
    leases: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Batch {
    fn empty() -> Self {
        Self {
            items: Vec::new(),
            leases: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A sent batch: what became of each message, to be recorded, and the
/// leases, kept until it is.
struct Sent {
    decisions: Vec<Decision>,
    at: chrono::NaiveDateTime,
    leases: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The outcomes of a sent batch being written, in a task of their own so
/// that the next batch goes out meanwhile.
#[derive(Default)]
struct Recording {
    task: Option<tokio::task::JoinHandle<()>>,
    /// Set when a write failed (the database is away) and is being retried.
    troubled: Arc<std::sync::atomic::AtomicBool>,
}

impl Recording {
    fn start(worker: &Worker, sent: Sent) -> Self {
        if sent.decisions.is_empty() {
            return Self::default();
        }
        let troubled: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let (worker, flag) = (worker.clone(), troubled.clone());
        let task = tokio::spawn(async move {
            worker.record(sent.decisions, sent.at, &flag).await;
            drop(sent.leases);
        });
        Self {
            task: Some(task),
            troubled,
        }
    }

    /// Whether the outcomes could not be written yet at the first try.
    fn troubled(&self) -> bool {
        self.task.is_some() && self.troubled.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until the outcomes are written (or given up on, see
    /// [`Worker::record`]).
    async fn finish(&mut self) {
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "recording send outcomes stopped");
        }
    }
}

impl Worker {
    pub fn new(pool: Pool, settings: Settings, keys: LinkKeys) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.mail)?;
        Ok(Self {
            pool,
            mailer,
            host: settings.host().into(),
            privacy_url: settings.privacy_url().into(),
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
        let batch = self.fetch(now, Busy::default()).await?;
        let (round, sent) = self.deliver_batch(batch, now).await;
        Recording::start(self, sent).finish().await;
        Ok(round)
    }

    /// Claims due messages (not of the recipients in `exclude`), loads what
    /// they need and composes them.
    async fn fetch(&self, now: DateTime<Utc>, exclude: Busy) -> Result<Batch, AppError> {
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
        let items = self
            .prepare_all(rows.into_iter().zip(contexts).collect(), now)
            .await?;
        Ok(Batch {
            items,
            leases: Some(leases),
        })
    }

    /// Rounds until nothing is due: the next batch claimed, loaded and
    /// composed while the current one is being sent, and the outcomes of
    /// the one before recorded meanwhile (one recording at a time).
    async fn drain(&self, now: impl Fn() -> DateTime<Utc>) -> Result<Round, AppError> {
        let mut total = Round::default();
        // Requests left unanswered at a partnering deadline expire now, and
        // the mail that says so goes out in this round.
        let at = crate::db::from_utc(now());
        let expired = crate::service::run(&self.pool, move |conn| {
            crate::service::partnering::requests::expire_overdue(conn, at)
        })
        .await;
        match expired {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "partnering requests expired at their deadline"),
            Err(e) => tracing::error!(error = %e, "expiring partnering requests failed"),
        }
        let mut batch = self.fetch(now(), Busy::default()).await?;
        let mut recording = Recording::default();
        while !batch.is_empty() {
            let in_flight = Busy::of(batch.items.iter().map(|(r, _)| r));
            let (this, at) = (self.clone(), now());
            let next = tokio::spawn(async move { this.fetch(at, in_flight).await });
            // While the batch before cannot be recorded (the database is
            // away), no more goes out: a message sent but not on record is
            // sent again once its lease runs out.
            if recording.troubled() {
                recording.finish().await;
            }
            let (round, sent) = self.deliver_batch(batch, now()).await;
            total.add(round);
            // One recording at a time, in the order the batches went out.
            recording.finish().await;
            recording = Recording::start(self, sent);
            let fetched = next
                .await
                .map_err(|e| AppError::from(anyhow::anyhow!("fetching mail: {e}")));
            batch = match fetched {
                Ok(Ok(batch)) => batch,
                Ok(Err(e)) | Err(e) => {
                    recording.finish().await;
                    return Err(e);
                }
            };
        }
        recording.finish().await;
        Ok(total)
    }

    /// Sends a claimed batch; returns what became of each message, for
    /// [`Recording::start`].
    async fn deliver_batch(&self, batch: Batch, now: DateTime<Utc>) -> (Round, Sent) {
        let Batch {
            items: batch,
            leases,
        } = batch;
        let mut round = Round {
            claimed: batch.len(),
            ..Round::default()
        };
        let at = db::from_utc(now);
        // One guest's messages go out in the order they were queued (a
        // cancellation must not overtake the invite it cancels); different
        // guests' messages go out side by side.
        let mut by_guest: Vec<Vec<(OutboxRow, Prepared)>> = Vec::new();
        for (row, prepared) in batch {
            match by_guest
                .iter_mut()
                .find(|g| g[0].0.recipient_key() == row.recipient_key())
            {
                Some(group) => group.push((row, prepared)),
                None => by_guest.push(vec![(row, prepared)]),
            }
        }
        let decisions: Vec<Decision> = futures_util::stream::iter(by_guest)
            .map(|group| async move {
                let mut decisions = Vec::with_capacity(group.len());
                for (row, prepared) in group {
                    let delivery = self.deliver(&row, prepared, now).await;
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
        (
            round,
            Sent {
                decisions,
                at,
                leases,
            },
        )
    }

    /// Records the outcomes of a batch. A message that went out must not go
    /// out again, so when the database does not answer (restarting, a lost
    /// connection) the outcomes are kept and written when it is back: tried
    /// again with growing pauses while the lease keeps being renewed; after
    /// a stop was asked for, for [`STOP_GRACE`] more.
    /// `troubled` is set once a write failed.
    async fn record(
        &self,
        decisions: Vec<Decision>,
        at: chrono::NaiveDateTime,
        troubled: &std::sync::atomic::AtomicBool,
    ) {
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
            troubled.store(true, std::sync::atomic::Ordering::Relaxed);
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
        rows: Vec<(OutboxId, i32)>,
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
}
