//! A partial assignment of requests to slots, with the tables that make
//! "is this move legal?" a constant-time question.

use super::instance::{NONE, Problem};

pub(crate) const UNSET: u16 = u16::MAX;

/// Placed count, then priority sum: compared as a pair.
pub(crate) type Score = (usize, u64);

#[derive(Clone)]
pub(crate) struct State<'p> {
    pub pb: &'p Problem,
    /// Per request, its slot or `UNSET`.
    pub slot_of: Vec<u16>,
    /// `busy[p * slots + s]`: the request participant `p` meets in slot `s`.
    pub busy: Vec<u32>,
    /// Per slot, its meetings (order is not kept).
    pub members: Vec<Vec<u32>>,
    /// Per request, its index in `members[slot]`.
    at: Vec<u32>,
    pub deg: Vec<u32>,
    pub placed: usize,
    pub prio_sum: u64,
}

impl<'p> State<'p> {
    pub fn new(pb: &'p Problem) -> State<'p> {
        let mut st = State {
            pb,
            slot_of: vec![UNSET; pb.requests()],
            busy: vec![NONE; pb.participants * pb.slots],
            members: vec![Vec::new(); pb.slots],
            at: vec![0; pb.requests()],
            deg: vec![0; pb.participants],
            placed: 0,
            prio_sum: 0,
        };
        for r in 0..pb.requests() {
            if let Some((s, _)) = pb.fixed[r] {
                st.place(r as u32, s as usize);
            }
        }
        st
    }

    pub fn score(&self) -> Score {
        (self.placed, self.prio_sum)
    }

    pub fn is_fixed(&self, r: u32) -> bool {
        self.pb.fixed[r as usize].is_some()
    }

    pub fn is_placed(&self, r: u32) -> bool {
        self.slot_of[r as usize] != UNSET
    }

    pub fn ends(&self, r: u32) -> [u32; 2] {
        [self.pb.a[r as usize], self.pb.b[r as usize]]
    }

    pub fn busy_at(&self, p: u32, s: usize) -> u32 {
        self.busy[p as usize * self.pb.slots + s]
    }

    pub fn table_free(&self, s: usize) -> bool {
        (self.members[s].len() as u32) < self.pb.cap[s]
    }

    pub fn is_full(&self, p: u32) -> bool {
        self.deg[p as usize] >= self.pb.max[p as usize]
    }

    /// Whether `r`, unplaced, could go to slot `s` now as things are.
    pub fn fits(&self, r: u32, s: usize) -> bool {
        let [a, b] = self.ends(r);
        self.busy_at(a, s) == NONE
            && self.busy_at(b, s) == NONE
            && self.table_free(s)
            && !self.is_full(a)
            && !self.is_full(b)
    }

    /// Like `fits`, for a request that is placed elsewhere and would move.
    pub fn fits_moved(&self, r: u32, s: usize) -> bool {
        let [a, b] = self.ends(r);
        self.busy_at(a, s) == NONE && self.busy_at(b, s) == NONE && self.table_free(s)
    }

    pub fn place(&mut self, r: u32, s: usize) {
        debug_assert!(!self.is_placed(r));
        let slots = self.pb.slots;
        for p in self.ends(r) {
            debug_assert_eq!(self.busy[p as usize * slots + s], NONE);
            self.busy[p as usize * slots + s] = r;
            self.deg[p as usize] += 1;
        }
        self.slot_of[r as usize] = s as u16;
        self.at[r as usize] = self.members[s].len() as u32;
        self.members[s].push(r);
        self.placed += 1;
        self.prio_sum += u64::from(self.pb.prio[r as usize]);
    }

    pub fn remove(&mut self, r: u32) -> usize {
        let s = self.slot_of[r as usize] as usize;
        debug_assert!(s != UNSET as usize);
        let slots = self.pb.slots;
        for p in self.ends(r) {
            self.busy[p as usize * slots + s] = NONE;
            self.deg[p as usize] -= 1;
        }
        let i = self.at[r as usize] as usize;
        self.members[s].swap_remove(i);
        if let Some(&moved) = self.members[s].get(i) {
            self.at[moved as usize] = i as u32;
        }
        self.slot_of[r as usize] = UNSET;
        self.placed -= 1;
        self.prio_sum -= u64::from(self.pb.prio[r as usize]);
        s
    }

    /// Unplaced requests, in index order.
    pub fn unplaced(&self) -> Vec<u32> {
        (0..self.pb.requests() as u32)
            .filter(|&r| !self.is_placed(r))
            .collect()
    }
}
