//! The instance and plan as JSON (the CLI's and the benchmark's format, in
//! the README), and the checked, index-based problem the solver works on.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The largest instance accepted: the solver keeps a participant × slot
/// table, so the product is bounded, and so are the parts.
pub const MAX_SLOTS: u32 = 500;
pub const MAX_TABLES: u32 = 100_000;
pub const MAX_PARTICIPANTS: usize = 200_000;
pub const MAX_REQUESTS: usize = 1_000_000;
const MAX_CELLS: usize = 20_000_000;
pub const DEFAULT_PRIORITY: u8 = 3;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub slots: u32,
    pub tables: Tables,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub requests: Vec<Request>,
    #[serde(default)]
    pub fixed: Vec<Placement>,
}

/// One count for every slot, or one count per slot.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Tables {
    Each(u32),
    PerSlot(Vec<u32>),
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_meetings: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub id: String,
    pub a: String,
    pub b: String,
    #[serde(default = "default_priority")]
    pub priority: u8,
}

fn default_priority() -> u8 {
    DEFAULT_PRIORITY
}

/// A meeting at a slot and a table (0-based): fixed in an instance, placed
/// in a plan.
#[derive(
    Debug, Clone, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
#[schema(as = PlannedMeeting)]
pub struct Placement {
    pub request: String,
    pub slot: u32,
    pub table: u32,
}

/// Why a request has no meeting in a plan.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = UnplacedReason)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No slot in which both sides are available and free.
    ParticipantUnavailable,
    /// Both sides are free in some slot, but every table there is taken.
    NoTable,
    /// One side already has its maximum number of meetings.
    ParticipantFull,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ParticipantUnavailable => "participant_unavailable",
            Reason::NoTable => "no_table",
            Reason::ParticipantFull => "participant_full",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UnplacedRequest)]
pub struct Unplaced {
    pub request: String,
    pub reason: Reason,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanStats)]
pub struct Stats {
    pub placed: usize,
    pub priority: u64,
    pub unplaced: usize,
    pub millis: u64,
}

/// A plan: the meetings (fixed ones included) by slot and table, the
/// requests left out with their reason, and totals.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PartneringPlan)]
pub struct Plan {
    pub meetings: Vec<Placement>,
    pub unplaced: Vec<Unplaced>,
    pub stats: Stats,
}

/// What is wrong with an instance, in words an organizer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InstanceError(pub String);

macro_rules! bad {
    ($($t:tt)*) => { return Err(InstanceError(format!($($t)*))) };
}

pub(crate) const NONE: u32 = u32::MAX;

/// An instance checked and turned into indexes.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub slots: usize,
    pub cap: Vec<u32>,
    pub participants: usize,
    /// `blocked[p * slots + s]`: participant `p` is not available in slot `s`.
    pub blocked: Vec<bool>,
    pub max: Vec<u32>,
    pub a: Vec<u32>,
    pub b: Vec<u32>,
    pub prio: Vec<u8>,
    /// Per request, the slots in which neither side is blocked.
    pub allowed: Vec<Vec<u16>>,
    /// Per request, its fixed slot and table.
    pub fixed: Vec<Option<(u16, u32)>>,
    /// Per participant, their requests.
    pub of: Vec<Vec<u32>>,
}

impl Problem {
    pub fn requests(&self) -> usize {
        self.a.len()
    }

    pub fn is_blocked(&self, p: u32, s: usize) -> bool {
        self.blocked[p as usize * self.slots + s]
    }

    pub fn from_instance(i: &Instance) -> Result<Problem, InstanceError> {
        if i.slots == 0 || i.slots > MAX_SLOTS {
            bad!("slots must be between 1 and {MAX_SLOTS}, not {}", i.slots);
        }
        let slots = i.slots as usize;
        let cap = match &i.tables {
            Tables::Each(n) => vec![*n; slots],
            Tables::PerSlot(v) if v.len() == slots => v.clone(),
            Tables::PerSlot(v) => bad!("tables has {} counts but there are {slots} slots", v.len()),
        };
        if let Some(n) = cap.iter().find(|&&n| n > MAX_TABLES) {
            bad!("at most {MAX_TABLES} tables per slot, not {n}");
        }
        if i.participants.len() > MAX_PARTICIPANTS {
            bad!("at most {MAX_PARTICIPANTS} participants");
        }
        if i.requests.len() > MAX_REQUESTS {
            bad!("at most {MAX_REQUESTS} requests");
        }
        if i.participants.len().saturating_mul(slots) > MAX_CELLS {
            bad!("participants × slots must stay under {MAX_CELLS}");
        }
        let mut pindex = HashMap::with_capacity(i.participants.len());
        let mut blocked = vec![false; i.participants.len() * slots];
        let mut max = Vec::with_capacity(i.participants.len());
        for (n, p) in i.participants.iter().enumerate() {
            if pindex.insert(p.id.as_str(), n as u32).is_some() {
                bad!("participant {:?} is listed twice", p.id);
            }
            for &s in &p.unavailable {
                if s >= i.slots {
                    bad!(
                        "participant {:?} is unavailable in slot {s}, but slots go from 0 to {}",
                        p.id,
                        i.slots - 1
                    );
                }
                blocked[n * slots + s as usize] = true;
            }
            max.push(p.max_meetings.unwrap_or(u32::MAX));
        }
        let mut rindex = HashMap::with_capacity(i.requests.len());
        let (mut a, mut b, mut prio) = (vec![], vec![], vec![]);
        let mut of = vec![Vec::new(); i.participants.len()];
        for (n, r) in i.requests.iter().enumerate() {
            if rindex.insert(r.id.as_str(), n as u32).is_some() {
                bad!("request {:?} is listed twice", r.id);
            }
            let side = |id: &str| {
                pindex.get(id).copied().ok_or_else(|| {
                    InstanceError(format!(
                        "request {:?} names participant {id:?}, who is not in participants",
                        r.id
                    ))
                })
            };
            let (pa, pb) = (side(&r.a)?, side(&r.b)?);
            if pa == pb {
                bad!("request {:?} asks {:?} to meet themselves", r.id, r.a);
            }
            if !(1..=5).contains(&r.priority) {
                bad!(
                    "request {:?} has priority {}; priorities go from 1 to 5",
                    r.id,
                    r.priority
                );
            }
            of[pa as usize].push(n as u32);
            of[pb as usize].push(n as u32);
            a.push(pa);
            b.push(pb);
            prio.push(r.priority);
        }
        let allowed = a
            .iter()
            .zip(&b)
            .map(|(&pa, &pb)| {
                (0..slots)
                    .filter(|&s| {
                        !blocked[pa as usize * slots + s] && !blocked[pb as usize * slots + s]
                    })
                    .map(|s| s as u16)
                    .collect()
            })
            .collect();
        let mut problem = Problem {
            slots,
            cap,
            participants: i.participants.len(),
            blocked,
            max,
            a,
            b,
            prio,
            allowed,
            fixed: vec![None; i.requests.len()],
            of,
        };
        problem.fix(i, &rindex)?;
        Ok(problem)
    }

    /// Checks the fixed meetings against each other and the participants.
    fn fix(&mut self, i: &Instance, rindex: &HashMap<&str, u32>) -> Result<(), InstanceError> {
        let mut table_taken = HashMap::new();
        let mut busy = HashMap::new();
        let mut count = vec![0u32; self.participants];
        for f in &i.fixed {
            let Some(&r) = rindex.get(f.request.as_str()) else {
                bad!(
                    "fixed meeting names request {:?}, which is not in requests",
                    f.request
                );
            };
            if f.slot as usize >= self.slots {
                bad!(
                    "fixed meeting {:?} is in slot {}, past the last slot",
                    f.request,
                    f.slot
                );
            }
            let s = f.slot as usize;
            if f.table >= self.cap[s] {
                bad!(
                    "fixed meeting {:?} is at table {}, but slot {} has {} tables",
                    f.request,
                    f.table,
                    f.slot,
                    self.cap[s]
                );
            }
            if self.fixed[r as usize].is_some() {
                bad!("request {:?} is fixed twice", f.request);
            }
            if let Some(other) = table_taken.insert((f.slot, f.table), &f.request) {
                bad!(
                    "fixed meetings {other:?} and {:?} share table {} in slot {}",
                    f.request,
                    f.table,
                    f.slot
                );
            }
            for p in [self.a[r as usize], self.b[r as usize]] {
                let id = &i.participants[p as usize].id;
                if self.is_blocked(p, s) {
                    bad!(
                        "fixed meeting {:?} is in slot {}, in which {id:?} is unavailable",
                        f.request,
                        f.slot
                    );
                }
                if let Some(other) = busy.insert((p, f.slot), &f.request) {
                    bad!(
                        "fixed meetings {other:?} and {:?} both have {id:?} in slot {}",
                        f.request,
                        f.slot
                    );
                }
                count[p as usize] += 1;
                if count[p as usize] > self.max[p as usize] {
                    bad!(
                        "{id:?} has more fixed meetings than their maximum of {}",
                        self.max[p as usize]
                    );
                }
            }
            self.fixed[r as usize] = Some((s as u16, f.table));
        }
        Ok(())
    }
}
