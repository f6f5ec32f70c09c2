//! The connection pool and its end.
//!
//! r2d2 opens connections on threads of its own and never joins them: its
//! reaper job keeps them alive for as long as the process runs, and a
//! connection being opened when the process exits is still inside libpq,
//! which then meets the exit handlers of the libraries it uses (libkrb5
//! for GSSAPI: `k5_mutex_lock: Assertion 'r == 0' failed`; OpenSSL for
//! TLS: a SIGSEGV). So the pool here owns those threads: [`Pool::close`]
//! opens no connection from then on, waits for the ones being opened,
//! closes the idle ones and joins the threads. A pool whose last handle is
//! dropped is closed the same way.

use std::cell::RefCell;
use std::sync::{Arc, Barrier, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use scheduled_thread_pool::{OnPoolDropBehavior, ScheduledThreadPool};

use super::Manager;

pub type PooledConn = r2d2::PooledConnection<Manager>;

/// How many threads open connections in the background (r2d2's default is 3).
const POOL_THREADS: usize = 2;
/// How long closing waits for connections being opened, connections in use
/// and the pool's threads before it gives up and says so in the log.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("the database pool is closed")]
    Closed,
    #[error(transparent)]
    Unavailable(#[from] r2d2::Error),
}

/// A handle on the pool; clones share it.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    /// `None` once closed.
    pool: RwLock<Option<r2d2::Pool<Manager>>>,
    gate: Arc<Gate>,
    threads: Arc<Counter>,
    max_size: u32,
}

/// What closing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Connections still being opened when closing gave up waiting.
    pub opening: usize,
    /// The pool's threads still alive when closing gave up waiting (a
    /// connection still in use keeps them).
    pub threads: usize,
}

impl Pool {
    /// A pool of at most `max_size` connections; `get` waits at most
    /// `timeout`; connections are tested before use when `test_on_check_out`.
    pub(super) fn new(
        manager: Manager,
        max_size: u32,
        timeout: Duration,
        test_on_check_out: bool,
    ) -> Self {
        let gate = manager.gate.clone();
        let threads = Arc::new(Counter::default());
        let workers = Arc::new(
            ScheduledThreadPool::builder()
                .num_threads(POOL_THREADS)
                .thread_name_pattern("musubi-db-{}")
                // The reaper is a job at a fixed rate: kept, it would keep
                // the threads alive after the pool is gone.
                .on_drop_behavior(OnPoolDropBehavior::DiscardPendingScheduled)
                .build(),
        );
        tag_threads(&workers, &threads);
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .connection_timeout(timeout)
            .test_on_check_out(test_on_check_out)
            .thread_pool(workers)
            .build_unchecked(manager);
        Self {
            shared: Arc::new(Shared {
                pool: RwLock::new(Some(pool)),
                gate,
                threads,
                max_size,
            }),
        }
    }

    fn handle(&self) -> Result<r2d2::Pool<Manager>, PoolError> {
        read(&self.shared.pool).clone().ok_or(PoolError::Closed)
    }

    /// A connection, waiting at most the pool's connection timeout.
    pub fn get(&self) -> Result<PooledConn, PoolError> {
        Ok(self.handle()?.get()?)
    }

    /// A connection, waiting at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn, PoolError> {
        Ok(self.handle()?.get_timeout(timeout)?)
    }

    /// Whether every connection the pool may hold is open (so a wait for
    /// one is a busy database, not a lost one).
    pub fn is_full(&self) -> bool {
        self.handle()
            .is_ok_and(|p| p.state().connections >= self.shared.max_size)
    }

    /// Opens no connection from now on, waits for those being opened,
    /// closes the idle ones (and those in use once they are given back),
    /// and joins the pool's threads. Every handle sees the pool closed.
    pub fn close(&self) -> Closed {
        self.shared.close()
    }
}

impl Shared {
    fn close(&self) -> Closed {
        let Some(pool) = write(&self.pool).take() else {
            return Closed {
                opening: 0,
                threads: 0,
            };
        };
        let deadline = Instant::now() + CLOSE_WAIT;
        let opening = self.gate.close(deadline);
        // The last handle but for connections in use: the idle connections
        // close here, and the threads end with the pool's last reference.
        drop(pool);
        let threads = self.threads.wait_for_zero(deadline);
        let closed = Closed { opening, threads };
        if opening > 0 || threads > 0 {
            tracing::warn!(
                opening,
                threads,
                "the database pool did not close in {CLOSE_WAIT:?}"
            );
        }
        closed
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close();
    }
}

/// Counts the connections being opened, and turns new ones away once closed.
#[derive(Debug, Default)]
pub(super) struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    opening: usize,
}

/// A connection being opened; dropped when it is open or has failed.
pub(super) struct Opening<'a>(&'a Gate);

impl Gate {
    pub(super) fn enter(&self) -> Option<Opening<'_>> {
        let mut state = lock(&self.state);
        if state.closed {
            return None;
        }
        state.opening += 1;
        Some(Opening(self))
    }

    /// Closes the gate; returns how many were still opening at `deadline`.
    fn close(&self, deadline: Instant) -> usize {
        let mut state = lock(&self.state);
        state.closed = true;
        wait_until(&self.changed, state, deadline, |s| s.opening == 0).opening
    }
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).opening -= 1;
        self.0.changed.notify_all();
    }
}

/// The pool's live threads.
#[derive(Debug, Default)]
struct Counter {
    live: Mutex<usize>,
    changed: Condvar,
    /// The kernel's ids of the pool's threads.
    tids: Mutex<Vec<libc::pid_t>>,
}

impl Counter {
    /// Waits until every thread has ended; returns how many had not by `deadline`.
    fn wait_for_zero(&self, deadline: Instant) -> usize {
        let live = *wait_until(&self.changed, lock(&self.live), deadline, |n| *n == 0);
        if live > 0 {
            return live;
        }
        // A thread's Rust destructors run before the C libraries' own
        // (pthread keys: libkrb5 frees its per-thread state there), so the
        // notice alone is not the end: the thread is gone when the kernel
        // no longer lists it, as after a join.
        let tids = lock(&self.tids);
        loop {
            let running = tids
                .iter()
                .filter(|tid| std::path::Path::new(&format!("/proc/self/task/{tid}")).exists())
                .count();
            if running == 0 || Instant::now() >= deadline {
                return running;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

thread_local! {
    /// Set on each of the pool's threads; dropped when the thread ends,
    /// after its last job.
    static EXIT_NOTICE: RefCell<Option<ExitNotice>> = const { RefCell::new(None) };
}

struct ExitNotice(Arc<Counter>);

impl Drop for ExitNotice {
    fn drop(&mut self) {
        *lock(&self.0.live) -= 1;
        self.0.changed.notify_all();
    }
}

/// Counts each of the pool's threads in `threads` until it ends. The jobs
/// wait for one another, so each runs on a thread of its own.
fn tag_threads(workers: &ScheduledThreadPool, threads: &Arc<Counter>) {
    let all = Arc::new(Barrier::new(POOL_THREADS + 1));
    for _ in 0..POOL_THREADS {
        let (all, threads) = (all.clone(), threads.clone());
        workers.execute(move || {
            *lock(&threads.live) += 1;
            // SAFETY: gettid has no preconditions.
            lock(&threads.tids).push(unsafe { libc::gettid() });
            EXIT_NOTICE.with(|n| *n.borrow_mut() = Some(ExitNotice(threads)));
            all.wait();
        });
    }
    all.wait();
}

/// Waits on `changed` until `done` holds or `deadline` passes.
fn wait_until<'a, T>(
    changed: &Condvar,
    guard: MutexGuard<'a, T>,
    deadline: Instant,
    mut done: impl FnMut(&T) -> bool,
) -> MutexGuard<'a, T> {
    let left = deadline.saturating_duration_since(Instant::now());
    changed
        .wait_timeout_while(guard, left, |v| !done(v))
        .unwrap_or_else(|e| e.into_inner())
        .0
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("max_size", &self.shared.max_size)
            .field("closed", &read(&self.shared.pool).is_none())
            .finish()
    }
}
