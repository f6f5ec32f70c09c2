//! One message's way out: what it needs (loaded for a whole batch at
//! once), whether it still applies, composing and sending it, and what to
//! record (sent, skipped, retried with backoff, failed or dead).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::Worker;
use super::partners::RequestContext;
use super::skip::Deadline;
use crate::db;
use crate::db::events::{self as edb, EventDetails};
use crate::db::meetings::{self as mdb, Attendee, MeetingDetails};
use crate::db::outbox::{OutboxRow, Recipient};
use crate::db::registrations::{self as rdb, Registration};
use crate::domain::{AttendeeId, EventId, MeetingId, OutboxStatus, RegistrationId, RequestId};
use crate::email::Outgoing;
use crate::error::AppError;
use crate::service;

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::hours(6);

/// What became of one message when it was tried.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Delivery {
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
pub(super) enum Outcome {
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
pub(super) enum Context {
    Guest {
        registration: Registration,
        event: Arc<EventDetails>,
        feed_generation: i32,
    },
    Attendee {
        attendee: Attendee,
        meeting: Arc<MeetingDetails>,
        feed_generation: i32,
    },
    Partner {
        registration: Registration,
        event: Arc<EventDetails>,
        request: Arc<RequestContext>,
    },
}

/// A message composed and formatted, ready to send, or why it is not sent.
pub(super) type Prepared = Result<Ready, Delivery>;

pub(super) struct Ready {
    message: Outgoing,
    /// When it no longer applies (a reminder once its event has started).
    deadline: Option<Deadline>,
}

pub(super) struct Decision {
    pub(super) row: OutboxRow,
    pub(super) outcome: Outcome,
}

impl Worker {
    /// What each message needs, read in one go: the registrations and
    /// attendees, the events and meetings with their details and the
    /// recipients' feed generations, each in one query for the whole batch
    /// (a feed is created only for an email seen for the first time).
    pub(super) async fn load(
        &self,
        rows: Vec<OutboxRow>,
    ) -> Result<Vec<Option<Context>>, AppError> {
        let keys = self.keys.clone();
        service::run(&self.pool, move |conn| {
            let mut registration_ids: Vec<&RegistrationId> = Vec::new();
            let mut event_ids: Vec<&EventId> = Vec::new();
            let mut attendee_ids: Vec<&AttendeeId> = Vec::new();
            let mut meeting_ids: Vec<&MeetingId> = Vec::new();
            let mut request_ids: Vec<&RequestId> = Vec::new();
            for row in &rows {
                match row.recipient() {
                    Some(Recipient::Guest(r, e)) => {
                        registration_ids.push(r);
                        event_ids.push(e);
                    }
                    Some(Recipient::Partner(r, e, q)) => {
                        registration_ids.push(r);
                        event_ids.push(e);
                        request_ids.push(q);
                    }
                    Some(Recipient::Attendee(a, m)) => {
                        attendee_ids.push(a);
                        meeting_ids.push(m);
                    }
                    None => {}
                }
            }
            event_ids.sort_unstable();
            event_ids.dedup();
            meeting_ids.sort_unstable();
            meeting_ids.dedup();
            let registrations: HashMap<RegistrationId, Registration> =
                rdb::find_many(conn, &registration_ids)?
                    .into_iter()
                    .map(|r| (r.id.clone(), r))
                    .collect();
            let found = edb::find_many(conn, &event_ids)?;
            let events: HashMap<EventId, Arc<EventDetails>> = edb::with_details(conn, found)?
                .into_iter()
                .map(|d| (d.event.id.clone(), Arc::new(d)))
                .collect();
            let found = mdb::find_many(conn, &meeting_ids)?;
            let meetings: HashMap<MeetingId, Arc<MeetingDetails>> = mdb::with_details(conn, found)?
                .into_iter()
                .map(|d| (d.meeting.id.clone(), Arc::new(d)))
                .collect();
            let requests: HashMap<RequestId, Arc<RequestContext>> =
                super::partners::load(conn, &request_ids)?
                    .into_iter()
                    .map(|(id, c)| (id, Arc::new(c)))
                    .collect();
            let attendees: HashMap<&AttendeeId, &Attendee> = meetings
                .values()
                .flat_map(|m| m.attendees.iter().map(|a| (&a.attendee.id, &a.attendee)))
                .collect();
            let mut emails: Vec<&str> = registrations
                .values()
                .map(|r| r.email_key.as_str())
                .chain(attendees.values().map(|a| a.email_key.as_str()))
                .collect();
            emails.sort_unstable();
            emails.dedup();
            let mut generations: HashMap<String, i32> =
                rdb::feed_generations(conn, &emails)?.into_iter().collect();
            // Recipients seen for the first time get their feed, all in one go.
            let missing: Vec<(String, String)> = emails
                .iter()
                .filter(|key| !generations.contains_key(**key))
                .map(|key| {
                    (
                        key.to_string(),
                        keys.feed(key, 1).hash().as_str().to_owned(),
                    )
                })
                .collect();
            if !missing.is_empty() {
                db::write_tx(conn, |conn| rdb::create_feeds(conn, &missing, db::now()))?;
                let created: Vec<&str> = missing.iter().map(|(k, _)| k.as_str()).collect();
                generations.extend(rdb::feed_generations(conn, &created)?);
            }
            let contexts = rows
                .iter()
                .map(|row| match row.recipient()? {
                    Recipient::Guest(r, e) => {
                        let registration = registrations.get(r)?;
                        Some(Context::Guest {
                            feed_generation: *generations.get(&registration.email_key)?,
                            registration: registration.clone(),
                            event: events.get(e)?.clone(),
                        })
                    }
                    Recipient::Partner(r, e, q) => Some(Context::Partner {
                        registration: registrations.get(r)?.clone(),
                        event: events.get(e)?.clone(),
                        request: requests.get(q)?.clone(),
                    }),
                    Recipient::Attendee(a, m) => {
                        let attendee = *attendees.get(a)?;
                        Some(Context::Attendee {
                            feed_generation: *generations.get(&attendee.email_key)?,
                            attendee: attendee.clone(),
                            meeting: meetings.get(m)?.clone(),
                        })
                    }
                })
                .collect();
            Ok(contexts)
        })
        .await
    }

    /// Composes a batch's messages on blocking threads, one share per
    /// core, so that they are ready (formatted to bytes) before their
    /// sessions need them: a batch is composed while the one before it is
    /// being sent. A message whose composing panics fails for good.
    pub(super) async fn prepare_all(
        &self,
        items: Vec<(OutboxRow, Option<Context>)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(OutboxRow, Prepared)>, AppError> {
        let total = items.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = total.div_ceil(threads);
        let mut items = items.into_iter();
        let mut shares = Vec::new();
        loop {
            let part: Vec<_> = items.by_ref().take(share).collect();
            if part.is_empty() {
                break;
            }
            let worker = self.clone();
            shares.push(tokio::task::spawn_blocking(move || {
                part.into_iter()
                    .map(|(row, context)| {
                        let compose = || worker.compose(&row, context, now);
                        let prepared =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(compose))
                                .unwrap_or_else(|panic| Err(composing_panicked(&*panic)));
                        (row, prepared)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut prepared = Vec::with_capacity(total);
        for share in shares {
            // A share fails only when the runtime is going away; the batch's
            // messages stay claimed until their leases run out, then are
            // tried again.
            prepared.extend(
                share
                    .await
                    .map_err(|e| anyhow::anyhow!("composing mail stopped: {e}"))?,
            );
        }
        Ok(prepared)
    }

    /// Sends one prepared message (or passes on why it is not sent). A
    /// reminder composed before its event started but due to go out after
    /// is skipped here.
    pub(super) async fn deliver(
        &self,
        row: &OutboxRow,
        prepared: Prepared,
        now: DateTime<Utc>,
    ) -> Delivery {
        let ready = match prepared {
            Ok(ready) => ready,
            Err(not_sent) => return not_sent,
        };
        if let Some(why) = ready.deadline.and_then(|d| d.passed(now)) {
            return Delivery::Skipped(why);
        }
        match self.mailer.send(&ready.message, row.id.as_str()).await {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Failed {
                transient: e.transient,
                error: e.message,
            },
        }
    }

    /// The message of `row`, or why it is not sent: skipped (a reminder
    /// after the start …) or failed for good (what cannot be built will not
    /// build on a retry either).
    fn compose(&self, row: &OutboxRow, context: Option<Context>, now: DateTime<Utc>) -> Prepared {
        let Some(context) = context else {
            return Err(Delivery::Skipped("recipient or subject deleted"));
        };
        let deadline = super::skip::deadline(row.kind, &context);
        if let Some(why) = deadline.and_then(|d| d.passed(now)) {
            return Err(Delivery::Skipped(why));
        }
        let built = match context {
            Context::Guest {
                registration,
                event,
                feed_generation,
            } => {
                if let Some(why) = super::skip::guest(row.kind, &registration, &event) {
                    return Err(Delivery::Skipped(why));
                }
                self.guest_message(row, &registration, &event, feed_generation)
            }
            Context::Attendee {
                attendee,
                meeting,
                feed_generation,
            } => {
                if let Some(why) = super::skip::attendee(row, &attendee, &meeting) {
                    return Err(Delivery::Skipped(why));
                }
                self.attendee_message(row, &attendee, &meeting, feed_generation)
            }
            Context::Partner {
                registration,
                event,
                request,
            } => {
                if let Some(why) = super::skip::partner(row.kind, &request.request) {
                    return Err(Delivery::Skipped(why));
                }
                self.partner_message(row, &registration, &event, &request)
            }
        };
        built
            .map(|message| Ready {
                message: Outgoing::new(&message, self.settings.mail.dkim.as_deref()),
                deadline,
            })
            .map_err(|error| Delivery::Failed {
                transient: false,
                error,
            })
    }

    /// What to record: a temporary failure is retried until the attempts
    /// run out (dead); a permanent one (SMTP 5xx) fails at once.
    pub(super) fn decide(
        &self,
        row: OutboxRow,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> Decision {
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

/// A message whose composing panicked: a permanent failure that says why.
fn composing_panicked(panic: &(dyn std::any::Any + Send)) -> Delivery {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    Delivery::Failed {
        transient: false,
        error: format!("composing the message failed: panic {what}"),
    }
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
