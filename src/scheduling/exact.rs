//! Branch and bound over every request's slot, for small instances: it
//! proves the heuristic's count and priority optimal or finds better.

use std::cmp::Reverse;

use super::state::{Score, State};

/// Small enough to search exhaustively (with pruning) in well under a
/// second; bigger instances keep the heuristic's plan.
pub(crate) const MAX_REQUESTS: usize = 40;
const MAX_NODES: usize = 2_000_000;

struct Bb<'p> {
    order: Vec<u32>,
    best: Score,
    best_slots: Vec<u16>,
    nodes: usize,
    st: State<'p>,
}

/// Searches for a plan better than `st`'s; replaces `st` by the best found.
/// Returns whether the search finished (the result is then optimal).
pub(crate) fn improve(st: &mut State) -> bool {
    let mut order: Vec<u32> = (0..st.pb.requests() as u32)
        .filter(|&r| !st.is_fixed(r))
        .collect();
    order.sort_by_key(|&r| {
        (
            st.pb.allowed[r as usize].len(),
            Reverse(st.pb.prio[r as usize]),
        )
    });
    let mut fresh = st.clone();
    for &r in &order {
        if fresh.is_placed(r) {
            fresh.remove(r);
        }
    }
    let mut bb = Bb {
        order,
        best: st.score(),
        best_slots: st.slot_of.clone(),
        nodes: 0,
        st: fresh,
    };
    bb.branch(0);
    if bb.best > st.score() {
        for r in 0..st.pb.requests() as u32 {
            if st.is_placed(r) && !st.is_fixed(r) {
                st.remove(r);
            }
        }
        for &r in &bb.order {
            let s = bb.best_slots[r as usize];
            if s != super::state::UNSET {
                st.place(r, s as usize);
            }
        }
    }
    bb.nodes < MAX_NODES
}

impl Bb<'_> {
    fn branch(&mut self, depth: usize) {
        self.nodes += 1;
        if self.nodes >= MAX_NODES {
            return;
        }
        if self.bound(depth) <= self.best {
            return;
        }
        let Some(&r) = self.order.get(depth) else {
            self.best = self.st.score();
            self.best_slots.clone_from(&self.st.slot_of);
            return;
        };
        let pb = self.st.pb;
        for &s in &pb.allowed[r as usize] {
            if self.st.fits(r, s as usize) {
                self.st.place(r, s as usize);
                self.branch(depth + 1);
                self.st.remove(r);
            }
        }
        self.branch(depth + 1);
    }

    /// The most the requests from `depth` on could add: those that still
    /// fit somewhere, no more than the free tables, at their priorities.
    fn bound(&self, depth: usize) -> Score {
        let st = &self.st;
        let free: usize = (0..st.pb.slots)
            .map(|s| (st.pb.cap[s] as usize).saturating_sub(st.members[s].len()))
            .sum();
        let mut open: Vec<u8> = self.order[depth..]
            .iter()
            .filter(|&&r| {
                st.pb.allowed[r as usize]
                    .iter()
                    .any(|&s| st.fits(r, s as usize))
            })
            .map(|&r| st.pb.prio[r as usize])
            .collect();
        open.sort_unstable_by(|a, b| b.cmp(a));
        open.truncate(free);
        let prio: u64 = open.iter().map(|&p| u64::from(p)).sum();
        (st.placed + open.len(), st.prio_sum + prio)
    }
}
