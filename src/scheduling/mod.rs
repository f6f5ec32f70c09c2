//! The partnering scheduler: no I/O, no clock but its own stopwatch.
//!
//! Given slots, tables per slot, participants (blocked slots, an optional
//! maximum), accepted requests (priority 1–5) and meetings already fixed,
//! [`solve`] gives each request a slot and a table, or a reason why not.
//! Objective, in this order: meetings placed, the sum of their priorities,
//! then fairness (fewest participants with a request but no meeting, then
//! the smallest spread of meetings per participant).
//!
//! How: a greedy start (most constrained request first, into the slot its
//! two sides' other requests want least), then augmenting chains (move a
//! meeting that is in the way to another slot, and so on, until one more
//! fits), random kicks while the count is below its upper bound, chains
//! that trade a meeting for a higher-priority or fairer one, and, on small
//! instances, a branch and bound that proves the result optimal.

mod chains;
mod exact;
mod fairness;
pub mod instance;
mod search;
mod state;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

pub use instance::{
    Instance, InstanceError, Participant, Placement, Plan, Reason, Request, Stats, Tables, Unplaced,
};

use chains::Searcher;
use instance::Problem;
use state::State;

/// The longest the random kicks may run; they stop sooner when the count
/// reaches its bound or their rounds are spent (which is what makes the
/// plan the same on every run).
const KICK_TIME: Duration = Duration::from_secs(3);

/// How long fairness may be worked on, in search steps (about 70 ms
/// here): it is the last objective, and an organizer waits for the plan.
const FAIRNESS_STEPS: usize = 1_000_000;

/// Schedules an instance.
pub fn solve(instance: &Instance) -> Result<Plan, InstanceError> {
    let start = Instant::now();
    let pb = Problem::from_instance(instance)?;
    let st = optimize(&pb, start);
    Ok(plan(instance, &st, start))
}

fn optimize(pb: &Problem, start: Instant) -> State<'_> {
    let mut st = State::new(pb);
    let mut sr = Searcher::new(pb.requests());
    let bound = search::count_bound(pb);
    search::greedy(&mut st);
    search::augment(&mut st, &mut sr, bound);
    if st.placed < bound {
        let rounds = (20 * pb.requests()).max(20_000);
        let mut rng = search::Rng::new(0x6d75_7375_6269);
        search::kick(&mut st, &mut sr, bound, rounds, start + KICK_TIME, &mut rng);
    }
    // Trades are worth less than meetings: shorter searches.
    sr.budget = 20_000;
    search::raise_priority(&mut st, &mut sr);
    if pb.requests() <= exact::MAX_REQUESTS {
        exact::improve(&mut st);
    }
    sr.budget = 5_000;
    search::even_out(&mut st, &mut sr, FAIRNESS_STEPS);
    fill(&mut st);
    st
}

/// Places whatever still fits as it is (a plan leaves no request out that
/// has a free slot and table).
fn fill(st: &mut State) {
    for u in st.unplaced() {
        if let Some(&s) = st.pb.allowed[u as usize]
            .iter()
            .find(|&&s| st.fits(u, s as usize))
        {
            st.place(u, s as usize);
        }
    }
}

fn reason(st: &State, r: u32) -> Reason {
    let [a, b] = st.ends(r);
    if st.is_full(a) || st.is_full(b) {
        Reason::ParticipantFull
    } else if st.pb.allowed[r as usize].iter().any(|&s| {
        st.busy_at(a, s as usize) == instance::NONE && st.busy_at(b, s as usize) == instance::NONE
    }) {
        Reason::NoTable
    } else {
        Reason::ParticipantUnavailable
    }
}

fn plan(instance: &Instance, st: &State, start: Instant) -> Plan {
    let pb = st.pb;
    let mut taken: Vec<Vec<bool>> = pb.cap.iter().map(|&n| vec![false; n as usize]).collect();
    for (s, t) in pb.fixed.iter().flatten() {
        taken[*s as usize][*t as usize] = true;
    }
    let mut next = vec![0usize; pb.slots];
    let mut meetings = Vec::with_capacity(st.placed);
    let mut unplaced = Vec::new();
    for (r, req) in instance.requests.iter().enumerate() {
        let slot = st.slot_of[r];
        if slot == state::UNSET {
            unplaced.push(Unplaced {
                request: req.id.clone(),
                reason: reason(st, r as u32),
            });
            continue;
        }
        let s = slot as usize;
        let table = match pb.fixed[r] {
            Some((_, t)) => t,
            None => {
                while taken[s][next[s]] {
                    next[s] += 1;
                }
                taken[s][next[s]] = true;
                next[s] as u32
            }
        };
        meetings.push(Placement {
            request: req.id.clone(),
            slot: slot as u32,
            table,
        });
    }
    meetings.sort_by_key(|m| (m.slot, m.table));
    Plan {
        stats: Stats {
            placed: meetings.len(),
            priority: st.prio_sum,
            unplaced: unplaced.len(),
            millis: start.elapsed().as_millis() as u64,
        },
        meetings,
        unplaced,
    }
}
