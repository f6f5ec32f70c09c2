//! The third objective: the fewest participants who have a request but no
//! meeting, then the smallest gap between the most and fewest meetings
//! (among participants who have a request at all).

use super::state::State;

pub(crate) struct Fairness {
    /// How many counted participants have each number of meetings.
    hist: Vec<usize>,
    counted: Vec<bool>,
    /// The sum of squared meeting counts: not an objective, a guide. It
    /// falls with every trade from someone with more meetings to someone
    /// with fewer, which the gap only shows when the last one moves.
    squares: u64,
}

/// Participants without a meeting, the gap, then the guide: smaller is fairer.
pub(crate) type FairValue = (usize, u32, u64);

type Changes = [(u32, i32); 4];

impl Fairness {
    pub fn new(st: &State) -> Fairness {
        let pb = st.pb;
        let counted: Vec<bool> = pb.of.iter().map(|rs| !rs.is_empty()).collect();
        let mut hist = vec![0; pb.slots + 2];
        let mut squares = 0;
        for p in 0..pb.participants {
            if counted[p] {
                hist[st.deg[p] as usize] += 1;
                squares += u64::from(st.deg[p]).pow(2);
            }
        }
        Fairness {
            hist,
            counted,
            squares,
        }
    }

    pub fn counts(&self, p: u32) -> bool {
        self.counted[p as usize]
    }

    pub fn lowest(&self) -> u32 {
        self.hist.iter().position(|&n| n > 0).unwrap_or(0) as u32
    }

    pub fn value(&self) -> FairValue {
        let low = self.hist.iter().position(|&n| n > 0);
        let high = self.hist.iter().rposition(|&n| n > 0);
        let gap = match (low, high) {
            (Some(l), Some(h)) => (h - l) as u32,
            _ => 0,
        };
        (self.hist[0], gap, self.squares)
    }

    /// Degree changes when `plus` gains a meeting and `minus` loses one.
    /// Changes with the same participant merged (others left at 0).
    fn changes(plus: [u32; 2], minus: [u32; 2]) -> Changes {
        let mut c = [(u32::MAX, 0); 4];
        let all = [(plus[0], 1), (plus[1], 1), (minus[0], -1), (minus[1], -1)];
        for (n, (p, d)) in all.into_iter().enumerate() {
            match c[..n].iter_mut().find(|(q, _)| *q == p) {
                Some((_, e)) => *e += d,
                None => c[n] = (p, d),
            }
        }
        c
    }

    fn step(&mut self, from: i32, to: i32) {
        self.hist[from as usize] -= 1;
        self.hist[to as usize] += 1;
        self.squares = self.squares + (to * to) as u64 - (from * from) as u64;
    }

    fn shift(&mut self, st: &State, c: &Changes, sign: i32) {
        for &(p, d) in c {
            if d == 0 || !self.counted[p as usize] {
                continue;
            }
            let deg = st.deg[p as usize] as i32;
            // Before applying (sign 1), deg is the old degree; undoing
            // (sign -1), the histogram holds deg + d.
            if sign > 0 {
                self.step(deg, deg + d);
            } else {
                self.step(deg + d, deg);
            }
        }
    }

    /// The value if `plus` gained and `minus` lost a meeting, as of `st`.
    pub fn value_after(&mut self, st: &State, plus: [u32; 2], minus: [u32; 2]) -> FairValue {
        let c = Self::changes(plus, minus);
        self.shift(st, &c, 1);
        let v = self.value();
        self.shift(st, &c, -1);
        v
    }

    /// Records a change already made to `st`.
    pub fn moved(&mut self, st: &State, plus: [u32; 2], minus: [u32; 2]) {
        let c = Self::changes(plus, minus);
        for &(p, d) in &c {
            if d != 0 && self.counted[p as usize] {
                let now = st.deg[p as usize] as i32;
                self.step(now - d, now);
            }
        }
    }
}
