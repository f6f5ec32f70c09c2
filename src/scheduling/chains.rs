//! Chains of moves, found breadth first: put an unplaced request into a
//! slot, and if that slot holds one meeting in the way (a side busy, or the
//! last table), move that meeting to another slot, and so on, until a move
//! needs no eviction (one more meeting) or the last evicted meeting is
//! dropped for a better one (same count, better priority or fairness).
//! This is the augmenting path of bipartite matching carried over to slots,
//! as Kempe chains are in edge colouring.

use super::instance::NONE;
use super::state::{State, UNSET};

/// How a chain ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The last move evicts nothing: one more meeting.
    Free,
    /// The last evicted request is left out.
    Drop(u32),
}

/// A chain to apply: the evicted requests and the moves, root first.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub moves: Vec<(u32, u16)>,
    pub evicted: Vec<u32>,
    pub end: End,
}

#[derive(Clone, Copy)]
struct Node {
    req: u32,
    parent: u32,
    /// The slot the parent takes, evicting `req` from it.
    parent_slot: u16,
}

/// Reused buffers, so a search allocates nothing.
pub(crate) struct Searcher {
    seen: Vec<u32>,
    stamp: u32,
    nodes: Vec<Node>,
    /// The most slots and tables one search looks at: a search that finds
    /// nothing in that many is unlikely to find anything soon.
    pub budget: usize,
    /// Steps taken by all searches so far.
    pub spent: usize,
}

impl Searcher {
    pub fn new(requests: usize) -> Searcher {
        Searcher {
            seen: vec![0; requests],
            stamp: 0,
            nodes: Vec::new(),
            budget: 200_000,
            spent: 0,
        }
    }

    fn mark(&mut self, r: u32) -> bool {
        let fresh = self.seen[r as usize] != self.stamp;
        self.seen[r as usize] = self.stamp;
        fresh
    }

    /// Breadth-first search for a chain from the unplaced request `root`.
    /// A free end is returned at once. Otherwise `drop_gain` rates dropping
    /// an evicted request (None: not allowed) and the best rated chain is
    /// returned.
    pub fn search<G: PartialOrd + Copy>(
        &mut self,
        st: &State,
        root: u32,
        mut drop_gain: impl FnMut(u32) -> Option<G>,
    ) -> Option<Chain> {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        self.nodes.clear();
        self.mark(root);
        self.nodes.push(Node {
            req: root,
            parent: NONE,
            parent_slot: UNSET,
        });
        let mut best: Option<(G, usize)> = None;
        let mut head = 0;
        let mut steps = 0;
        // Evicting a meeting only for its table leads somewhere if a table
        // is free in some slot, or if that meeting may be dropped.
        let spare = (0..st.pb.slots).any(|s| st.table_free(s));
        while head < self.nodes.len() && steps < self.budget {
            let i = head;
            head += 1;
            let x = self.nodes[i].req;
            let from = st.slot_of[x as usize];
            let [xa, xb] = st.ends(x);
            for &s in &st.pb.allowed[x as usize] {
                steps += 1;
                if s == from || self.is_taken_on_path(st, i, s) {
                    continue;
                }
                let s = s as usize;
                let (ba, bb) = (st.busy_at(xa, s), st.busy_at(xb, s));
                let blocker = match (ba, bb) {
                    (NONE, NONE) if st.table_free(s) => {
                        self.spent += steps;
                        return Some(self.chain(i, s as u16, End::Free));
                    }
                    (NONE, NONE) => None,
                    (y, NONE) | (NONE, y) => Some(y),
                    (y, z) if y == z => Some(y),
                    _ => continue,
                };
                let mut consider = |this: &mut Searcher, y: u32, gain: Option<G>| {
                    if st.is_fixed(y) || !this.mark(y) {
                        return;
                    }
                    this.nodes.push(Node {
                        req: y,
                        parent: i as u32,
                        parent_slot: s as u16,
                    });
                    if let Some(g) = gain
                        && best.as_ref().is_none_or(|(b, _)| g > *b)
                    {
                        best = Some((g, this.nodes.len() - 1));
                    }
                };
                match blocker {
                    Some(y) => {
                        let gain = drop_gain(y);
                        consider(self, y, gain)
                    }
                    // The last table: a meeting there may make room.
                    None => {
                        for &y in &st.members[s] {
                            steps += 1;
                            let gain = drop_gain(y);
                            if spare || gain.is_some() {
                                consider(self, y, gain);
                            }
                        }
                    }
                }
            }
        }
        self.spent += steps;
        best.map(|(_, n)| {
            let node = self.nodes[n];
            let mut c = self.chain(node.parent as usize, node.parent_slot, End::Drop(node.req));
            c.evicted.push(node.req);
            c
        })
    }

    /// Whether an ancestor of node `i` already moves into slot `s` with a
    /// participant in common: the chain would collide with itself.
    fn is_taken_on_path(&self, st: &State, i: usize, s: u16) -> bool {
        let [xa, xb] = st.ends(self.nodes[i].req);
        let mut j = i;
        while self.nodes[j].parent != NONE {
            let node = self.nodes[j];
            let parent = self.nodes[node.parent as usize].req;
            if node.parent_slot == s && st.ends(parent).iter().any(|p| *p == xa || *p == xb) {
                return true;
            }
            j = node.parent as usize;
        }
        false
    }

    fn chain(&self, i: usize, slot: u16, end: End) -> Chain {
        let mut moves = vec![(self.nodes[i].req, slot)];
        let mut evicted = Vec::new();
        let mut j = i;
        while self.nodes[j].parent != NONE {
            let node = self.nodes[j];
            evicted.push(node.req);
            moves.push((self.nodes[node.parent as usize].req, node.parent_slot));
            j = node.parent as usize;
        }
        moves.reverse();
        Chain {
            moves,
            evicted,
            end,
        }
    }
}

/// Applies a chain if it is still legal (moves along one path can meet
/// each other in ways the search does not see); else leaves `st` as it was.
pub(crate) fn apply(st: &mut State, chain: &Chain) -> bool {
    let root = chain.moves[0].0;
    if st.is_placed(root) {
        return false;
    }
    // Moves keep degrees; only the root adds one, and a drop takes one.
    let dropped = match chain.end {
        End::Drop(y) => st.ends(y),
        End::Free => [NONE, NONE],
    };
    if st
        .ends(root)
        .iter()
        .any(|p| st.deg[*p as usize] + 1 - u32::from(dropped.contains(p)) > st.pb.max[*p as usize])
    {
        return false;
    }
    let old: Vec<(u32, usize)> = chain.evicted.iter().map(|&y| (y, st.remove(y))).collect();
    let mut done = 0;
    let ok = chain.moves.iter().all(|&(x, s)| {
        let fits = !st.is_placed(x) && st.fits_moved(x, s as usize);
        if fits {
            st.place(x, s as usize);
            done += 1;
        }
        fits
    });
    if !ok {
        for &(x, _) in &chain.moves[..done] {
            st.remove(x);
        }
        for &(y, s) in &old {
            st.place(y, s);
        }
    }
    ok
}
