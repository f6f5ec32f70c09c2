//! Requests per client and minute, by the generic cell rate algorithm
//! (GCRA, as the `governor` crate and ATM networks use it): each client has
//! a "theoretical arrival time" that every request pushes one emission
//! interval (a minute / the limit) ahead. A request is refused while that
//! time is more than a minute ahead. So a client may send the limit at once
//! (a family registering together), then one request per interval; there
//! is no window boundary at which the count resets, and a refused client
//! is told exactly when the next request will pass (`Retry-After`).
//!
//! One number per client, in memory: each instance counts its own clients.
//! Clients are the address [`super::client_ip`] names (behind a trusted
//! proxy, the forwarded one; IPv6 by /64).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::error::AppError;

/// Clients whose time has passed are forgotten when the table grows past
/// this (they would start afresh anyway).
const SWEEP_AT: usize = 4096;

pub struct RateLimiter {
    /// A minute divided by the limit; `None` means no limit.
    interval: Option<Duration>,
    /// How far ahead a client's arrival time may run (the burst).
    tolerance: Duration,
    clients: Mutex<Clients>,
}

#[derive(Default)]
struct Clients {
    arrival: HashMap<IpAddr, Instant>,
    sweep_at: usize,
}

impl RateLimiter {
    /// `per_minute` requests per client and minute; 0 means no limit.
    pub fn new(per_minute: u32) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            interval: (per_minute > 0).then(|| minute / per_minute),
            tolerance: minute,
            clients: Mutex::new(Clients {
                sweep_at: SWEEP_AT,
                ..Clients::default()
            }),
        }
    }

    /// Counts one request of the client; 429 with the wait past the limit.
    pub fn check(&self, req: &HttpRequest) -> Result<(), AppError> {
        match super::client_ip(req) {
            Some(ip) => self
                .admit(ip, Instant::now())
                .map_err(|wait| AppError::RateLimited(Some(wait))),
            None => Ok(()),
        }
    }

    /// Admits a request of `client` at `now`, or answers how long it must wait.
    pub fn admit(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        let client = crate::domain::network::counted_as(client);
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let arrival = clients
            .arrival
            .get(&client)
            .copied()
            .unwrap_or(now)
            .max(now);
        let next = arrival + interval;
        let ahead = next - now;
        if ahead > self.tolerance {
            // The first moment at which `next` is within the tolerance.
            return Err(ahead - self.tolerance);
        }
        clients.arrival.insert(client, next);
        if clients.arrival.len() >= clients.sweep_at {
            clients.arrival.retain(|_, t| *t > now);
            clients.sweep_at = (clients.arrival.len() * 2).max(SWEEP_AT);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_of_the_limit_passes_then_one_per_interval() {
        let limiter = RateLimiter::new(6); // one per 10 s
        let t0 = Instant::now();
        for _ in 0..6 {
            assert_eq!(limiter.admit(ip("192.0.2.1"), t0), Ok(()));
        }
        assert_eq!(
            limiter.admit(ip("192.0.2.1"), t0),
            Err(Duration::from_secs(10))
        );
        // Others are not affected.
        assert_eq!(limiter.admit(ip("192.0.2.2"), t0), Ok(()));
        let later = t0 + Duration::from_secs(4);
        assert_eq!(
            limiter.admit(ip("192.0.2.1"), later),
            Err(Duration::from_secs(6))
        );
        let after_wait = t0 + Duration::from_secs(10);
        assert_eq!(limiter.admit(ip("192.0.2.1"), after_wait), Ok(()));
        assert!(limiter.admit(ip("192.0.2.1"), after_wait).is_err());
    }

    /// A fixed window lets through twice the limit around its boundary;
    /// here no minute, wherever it starts, sees more than the burst plus
    /// what the rate refills within it.
    #[test]
    fn no_boundary_doubles_the_limit() {
        let limiter = RateLimiter::new(30);
        let t0 = Instant::now();
        let mut passed = Vec::new();
        // A client that tries every 100 ms for three minutes.
        for step in 0..1800u64 {
            let at = t0 + Duration::from_millis(step * 100);
            if limiter.admit(ip("198.51.100.7"), at).is_ok() {
                passed.push(step);
            }
        }
        // The burst, then one every 2 s: 30 + 89 (the 90th would be due
        // at 180 s, just after the last try).
        assert_eq!(passed.len(), 30 + 89);
        for start in 0..1200u64 {
            let in_minute = passed
                .iter()
                .filter(|s| **s >= start && **s < start + 600)
                .count();
            // Never more than the burst and the minute's refill (a fixed
            // window admits 60 within one second around its boundary).
            assert!(in_minute <= 30 + 30, "minute from {start}: {in_minute}");
            if start >= 600 {
                assert!(in_minute <= 30, "steady minute from {start}: {in_minute}");
            }
        }
    }

    #[test]
    fn zero_means_no_limit_and_ipv6_counts_by_64() {
        let open = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(open.admit(ip("192.0.2.1"), t0).is_ok());
        }
        let limiter = RateLimiter::new(2);
        assert!(limiter.admit(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.admit(ip("2001:db8:1:2::ffff"), t0).is_ok());
        assert!(limiter.admit(ip("2001:db8:1:2:3::9"), t0).is_err());
        assert!(limiter.admit(ip("2001:db8:1:3::1"), t0).is_ok());
    }

    #[test]
    fn forgotten_clients_are_swept() {
        let limiter = RateLimiter::new(60);
        let t0 = Instant::now();
        let many = |from: u32, at: Instant| {
            for n in from..from + SWEEP_AT as u32 {
                let client = IpAddr::from(std::net::Ipv4Addr::from(0x0A00_0000 + n));
                assert!(limiter.admit(client, at).is_ok());
            }
        };
        many(0, t0);
        // Those of a minute ago have passed their time and go.
        many(SWEEP_AT as u32, t0 + Duration::from_secs(60));
        let kept = limiter.clients.lock().unwrap().arrival.len();
        assert!(kept <= SWEEP_AT, "{kept}");
    }
}
