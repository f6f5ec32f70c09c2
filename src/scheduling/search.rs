//! The heuristic: a greedy start, then chains that add meetings, then
//! chains that trade a meeting for a better one (priority, then fairness),
//! with random kicks between when the count is below its upper bound.

use std::cmp::Reverse;
use std::time::Instant;

use super::chains::{End, Searcher, apply};
use super::fairness::Fairness;
use super::instance::{NONE, Problem};
use super::state::State;

/// Deterministic pseudo-random numbers (SplitMix64): the same instance
/// always gives the same plan, so a preview is what a confirm applies.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// An upper bound on the number of meetings: every table of every slot,
/// half the participants present in a slot, and each participant's own
/// limit (requests, free slots, maximum), halved as a meeting has two sides.
pub(crate) fn count_bound(pb: &Problem) -> usize {
    let present = |s: usize| {
        (0..pb.participants)
            .filter(|&p| !pb.is_blocked(p as u32, s))
            .count()
    };
    let tables: usize = (0..pb.slots)
        .map(|s| (pb.cap[s] as usize).min(present(s) / 2))
        .sum();
    let sides: usize = (0..pb.participants)
        .map(|p| {
            let free = (0..pb.slots)
                .filter(|&s| !pb.is_blocked(p as u32, s))
                .count();
            pb.of[p].len().min(free).min(pb.max[p] as usize)
        })
        .sum();
    pb.requests().min(tables).min(sides / 2)
}

/// Places requests one by one, the most constrained first (fewest slots
/// open to both sides, higher priority on ties), each into the open slot
/// its two sides' other requests want least.
pub(crate) fn greedy(st: &mut State) {
    let pb = st.pb;
    let slots = pb.slots;
    let mut order = st.unplaced();
    let mut demand = vec![0u32; pb.participants * slots];
    for &r in &order {
        for &s in &pb.allowed[r as usize] {
            for p in st.ends(r) {
                demand[p as usize * slots + s as usize] += 1;
            }
        }
    }
    order.sort_by_key(|&r| {
        (
            pb.allowed[r as usize].len(),
            Reverse(pb.prio[r as usize]),
            r,
        )
    });
    for r in order {
        let [a, b] = st.ends(r);
        let mut best = None;
        for &s in &pb.allowed[r as usize] {
            let s = s as usize;
            if st.fits(r, s) {
                let want = demand[a as usize * slots + s] + demand[b as usize * slots + s];
                if best.is_none_or(|(w, _)| want < w) {
                    best = Some((want, s));
                }
            }
        }
        for &s in &pb.allowed[r as usize] {
            for p in [a, b] {
                demand[p as usize * slots + s as usize] -= 1;
            }
        }
        if let Some((_, s)) = best {
            st.place(r, s);
        }
    }
}

/// Adds meetings by chains until none is found.
pub(crate) fn augment(st: &mut State, sr: &mut Searcher, bound: usize) {
    loop {
        let before = st.placed;
        let mut order = st.unplaced();
        order.sort_by_key(|&r| Reverse(st.pb.prio[r as usize]));
        for u in order {
            if st.placed >= bound {
                return;
            }
            if st.is_placed(u) || st.ends(u).iter().any(|&p| st.is_full(p)) {
                continue;
            }
            if let Some(chain) = sr.search(st, u, |_| None::<()>) {
                apply(st, &chain);
            }
        }
        if st.placed == before {
            return;
        }
    }
}

/// Random kicks: place an unplaced request by evicting what is in its way,
/// then re-place the evicted by chains; kept if the count did not drop.
/// The best state seen (by count, then priority) is what remains.
pub(crate) fn kick<'p>(
    st: &mut State<'p>,
    sr: &mut Searcher,
    bound: usize,
    rounds: usize,
    deadline: Instant,
    rng: &mut Rng,
) {
    let mut best = st.clone();
    for round in 0..rounds {
        if st.placed >= bound || (round % 64 == 0 && Instant::now() > deadline) {
            break;
        }
        let open: Vec<u32> = st
            .unplaced()
            .into_iter()
            .filter(|&u| {
                st.ends(u).iter().all(|&p| !st.is_full(p)) && !st.pb.allowed[u as usize].is_empty()
            })
            .collect();
        if open.is_empty() {
            break;
        }
        let u = open[rng.below(open.len())];
        let allowed = &st.pb.allowed[u as usize];
        let s = allowed[rng.below(allowed.len())] as usize;
        let [a, b] = st.ends(u);
        let mut out: Vec<u32> = [st.busy_at(a, s), st.busy_at(b, s)]
            .into_iter()
            .filter(|&y| y != NONE)
            .collect();
        out.dedup();
        if out.is_empty() && !st.table_free(s) {
            let movable: Vec<u32> = st.members[s]
                .iter()
                .copied()
                .filter(|&y| !st.is_fixed(y))
                .collect();
            if movable.is_empty() {
                continue;
            }
            out.push(movable[rng.below(movable.len())]);
        }
        if out.iter().any(|&y| st.is_fixed(y)) {
            continue;
        }
        let before = st.clone();
        for &y in &out {
            st.remove(y);
        }
        st.place(u, s);
        for &y in &out {
            if let Some(chain) = sr.search(st, y, |_| None::<()>) {
                apply(st, &chain);
            }
        }
        if st.placed < before.placed {
            *st = before;
            continue;
        }
        if st.score() > best.score() {
            best = st.clone();
        }
    }
    if best.score() > st.score() {
        *st = best;
    }
}

/// Trades meetings for unplaced requests of higher priority: a chain that
/// ends by dropping a lower-priority meeting, or that frees a full
/// participant by dropping one of theirs.
pub(crate) fn raise_priority(st: &mut State, sr: &mut Searcher) {
    loop {
        let before = st.score();
        let lowest = (0..st.pb.requests() as u32)
            .filter(|&r| st.is_placed(r) && !st.is_fixed(r))
            .map(|r| st.pb.prio[r as usize])
            .min();
        let Some(lowest) = lowest else { return };
        let mut order = st.unplaced();
        order.retain(|&u| st.pb.prio[u as usize] > lowest);
        order.sort_by_key(|&r| Reverse(st.pb.prio[r as usize]));
        for u in order {
            if st.is_placed(u) {
                continue;
            }
            let pu = st.pb.prio[u as usize];
            let full: Vec<u32> = st.ends(u).into_iter().filter(|&p| st.is_full(p)).collect();
            if full.is_empty() {
                let prio = &st.pb.prio;
                if let Some(chain) = sr.search(st, u, |y| {
                    (prio[y as usize] < pu).then(|| pu - prio[y as usize])
                }) {
                    apply(st, &chain);
                }
                continue;
            }
            // Drop the full sides' least important meeting, if less than u.
            let mut dropped = Vec::new();
            for p in full {
                let slots = st.pb.slots;
                let cheapest = (0..slots)
                    .map(|s| st.busy_at(p, s))
                    .filter(|&y| y != NONE && !st.is_fixed(y) && st.pb.prio[y as usize] < pu)
                    .min_by_key(|&y| st.pb.prio[y as usize]);
                match cheapest {
                    Some(y) if st.is_placed(y) => dropped.push((y, st.remove(y))),
                    _ => break,
                }
            }
            let placed = st.ends(u).iter().all(|&p| !st.is_full(p))
                && sr
                    .search(st, u, |_| None::<()>)
                    .is_some_and(|c| apply(st, &c));
            if !placed {
                for (y, s) in dropped.into_iter().rev() {
                    st.place(y, s);
                }
            }
        }
        if st.score() <= before {
            return;
        }
    }
}

/// Trades a meeting for an unplaced request of equal priority when that
/// leaves fewer participants without a meeting, or a smaller spread.
pub(crate) fn even_out(st: &mut State, sr: &mut Searcher, steps: usize) {
    let mut fair = Fairness::new(st);
    let stop = sr.spent + steps;
    loop {
        let before = fair.value();
        let mut order = st.unplaced();
        // Only a request of someone with the fewest meetings can help.
        let low = fair.lowest();
        order.retain(|&u| {
            st.ends(u)
                .iter()
                .any(|&p| fair.counts(p) && st.deg[p as usize] == low)
        });
        for u in order {
            if sr.spent > stop {
                return;
            }
            let low = fair.lowest();
            if st.is_placed(u)
                || st.ends(u).iter().any(|&p| st.is_full(p))
                || !st
                    .ends(u)
                    .iter()
                    .any(|&p| fair.counts(p) && st.deg[p as usize] == low)
            {
                continue;
            }
            let now = fair.value();
            let pu = st.pb.prio[u as usize];
            let ends_u = st.ends(u);
            let found = sr.search(st, u, |y| {
                if st.pb.prio[y as usize] != pu {
                    return None;
                }
                let after = fair.value_after(st, ends_u, st.ends(y));
                (after < now).then_some(Reverse(after))
            });
            if let Some(chain) = found {
                let End::Drop(y) = chain.end else {
                    apply(st, &chain);
                    fair = Fairness::new(st);
                    continue;
                };
                if apply(st, &chain) {
                    fair.moved(st, ends_u, st.ends(y));
                }
            }
        }
        if fair.value() >= before {
            return;
        }
    }
}
