//! Properties of every plan, and optimality on instances small enough to
//! search exhaustively (by a search written separately from the solver).

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

fn caps(i: &Instance) -> Vec<u32> {
    match &i.tables {
        Tables::Each(n) => vec![*n; i.slots as usize],
        Tables::PerSlot(v) => v.clone(),
    }
}

/// Checks a plan against its instance; returns what is wrong, if anything.
pub(crate) fn check(i: &Instance, plan: &Plan) -> Result<(), String> {
    let caps = caps(i);
    let people: HashMap<&str, &Participant> =
        i.participants.iter().map(|p| (p.id.as_str(), p)).collect();
    let reqs: HashMap<&str, &Request> = i.requests.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut seen = HashSet::new();
    let mut tables = HashSet::new();
    let mut busy = HashSet::new();
    let mut count: HashMap<&str, u32> = HashMap::new();
    let mut prio = 0u64;
    for m in &plan.meetings {
        let r = reqs
            .get(m.request.as_str())
            .ok_or("unknown request placed")?;
        if !seen.insert(&m.request) {
            return Err(format!("{} placed twice", m.request));
        }
        if m.slot >= i.slots || m.table >= caps[m.slot as usize] {
            return Err(format!(
                "{} at slot {} table {} out of range",
                m.request, m.slot, m.table
            ));
        }
        if !tables.insert((m.slot, m.table)) {
            return Err(format!(
                "table {} double-booked in slot {}",
                m.table, m.slot
            ));
        }
        for p in [&r.a, &r.b] {
            if !busy.insert((p.clone(), m.slot)) {
                return Err(format!("{p} double-booked in slot {}", m.slot));
            }
            if people[p.as_str()].unavailable.contains(&m.slot) {
                return Err(format!("{p} meets in blocked slot {}", m.slot));
            }
            *count.entry(p).or_default() += 1;
        }
        prio += u64::from(r.priority);
    }
    for (p, n) in &count {
        if people[p].max_meetings.is_some_and(|max| *n > max) {
            return Err(format!("{p} has {n} meetings, over their maximum"));
        }
    }
    for f in &i.fixed {
        if !plan.meetings.contains(f) {
            return Err(format!("fixed meeting {} moved", f.request));
        }
    }
    for u in &plan.unplaced {
        if !seen.insert(&u.request) {
            return Err(format!("{} both placed and unplaced", u.request));
        }
        let r = reqs[u.request.as_str()];
        let full = |p: &String| {
            people[p.as_str()]
                .max_meetings
                .is_some_and(|max| count.get(p.as_str()).copied().unwrap_or(0) >= max)
        };
        let open: Vec<u32> = (0..i.slots)
            .filter(|s| {
                [&r.a, &r.b].iter().all(|p| {
                    !people[p.as_str()].unavailable.contains(s)
                        && !busy.contains(&((*p).clone(), *s))
                })
            })
            .collect();
        let tables_left = |s: u32| (0..caps[s as usize]).any(|t| !tables.contains(&(s, t)));
        let true_reason = match u.reason {
            Reason::ParticipantFull => full(&r.a) || full(&r.b),
            Reason::ParticipantUnavailable => !full(&r.a) && !full(&r.b) && open.is_empty(),
            Reason::NoTable => {
                !full(&r.a)
                    && !full(&r.b)
                    && !open.is_empty()
                    && !open.iter().any(|&s| tables_left(s))
            }
        };
        if !true_reason {
            return Err(format!(
                "{} is unplaced for {:?}, which is not true",
                u.request, u.reason
            ));
        }
    }
    if seen.len() != i.requests.len() {
        return Err("a request is neither placed nor unplaced".into());
    }
    if plan.stats.placed != plan.meetings.len()
        || plan.stats.unplaced != plan.unplaced.len()
        || plan.stats.priority != prio
    {
        return Err("stats do not add up".into());
    }
    Ok(())
}

/// The best (count, priority) by trying every assignment.
fn exhaustive(i: &Instance) -> (usize, u64) {
    fn go(
        i: &Instance,
        k: usize,
        caps: &mut [u32],
        busy: &mut HashSet<(String, u32)>,
        count: &mut HashMap<String, u32>,
        now: (usize, u64),
        best: &mut (usize, u64),
    ) {
        if now > *best {
            *best = now;
        }
        let Some(r) = i.requests.get(k) else { return };
        if let Some(f) = i.fixed.iter().find(|f| f.request == r.id) {
            // Fixed ones are placed up front by the caller.
            let _ = f;
            return go(i, k + 1, caps, busy, count, now, best);
        }
        let person = |id: &str| i.participants.iter().find(|p| p.id == id).unwrap();
        for s in 0..i.slots {
            let ok = caps[s as usize] > 0
                && [&r.a, &r.b].iter().all(|p| {
                    let q = person(p);
                    !q.unavailable.contains(&s)
                        && !busy.contains(&((*p).clone(), s))
                        && q.max_meetings
                            .is_none_or(|m| count.get(p.as_str()).copied().unwrap_or(0) < m)
                });
            if ok {
                caps[s as usize] -= 1;
                for p in [&r.a, &r.b] {
                    busy.insert((p.clone(), s));
                    *count.entry(p.clone()).or_default() += 1;
                }
                go(
                    i,
                    k + 1,
                    caps,
                    busy,
                    count,
                    (now.0 + 1, now.1 + u64::from(r.priority)),
                    best,
                );
                caps[s as usize] += 1;
                for p in [&r.a, &r.b] {
                    busy.remove(&(p.clone(), s));
                    *count.get_mut(p.as_str()).unwrap() -= 1;
                }
            }
        }
        go(i, k + 1, caps, busy, count, now, best);
    }
    let mut caps = caps(i);
    let mut busy = HashSet::new();
    let mut count = HashMap::new();
    let mut now = (0, 0);
    for f in &i.fixed {
        let r = i.requests.iter().find(|r| r.id == f.request).unwrap();
        caps[f.slot as usize] -= 1;
        for p in [&r.a, &r.b] {
            busy.insert((p.clone(), f.slot));
            *count.entry(p.clone()).or_default() += 1;
        }
        now = (now.0 + 1, now.1 + u64::from(r.priority));
    }
    let mut best = now;
    go(i, 0, &mut caps, &mut busy, &mut count, now, &mut best);
    best
}

prop_compose! {
    fn small_instance()(
        slots in 1u32..=4,
        people in 2usize..=6,
        tables in prop::collection::vec(0u32..=3, 4),
        per_slot in any::<bool>(),
        blocked in prop::collection::vec(any::<u8>(), 6 * 4),
        maxes in prop::collection::vec(prop::option::weighted(0.3, 0u32..=3), 6),
        pairs in prop::collection::vec((0usize..6, 0usize..6, 1u8..=5), 0..=9),
        fixes in prop::collection::vec((any::<bool>(), 0u32..4, 0u32..3), 9),
    ) -> Instance {
        let participants: Vec<Participant> = (0..people).map(|p| Participant {
            id: format!("p{p}"),
            unavailable: (0..slots).filter(|&s| blocked[p * 4 + s as usize] < 60).collect(),
            max_meetings: maxes[p],
        }).collect();
        let mut requests: Vec<Request> = Vec::new();
        for (n, (a, b, priority)) in pairs.into_iter().enumerate() {
            let (a, b) = (a % people, b % people);
            if a != b {
                requests.push(Request { id: format!("r{n}"), a: format!("p{a}"), b: format!("p{b}"), priority });
            }
        }
        let tables = if per_slot { Tables::PerSlot(tables[..slots as usize].to_vec()) } else { Tables::Each(tables[0]) };
        let mut i = Instance { slots, tables, participants, requests, fixed: vec![] };
        // Keep each proposed fixed meeting that is consistent with those before it.
        for (r, (want, slot, table)) in i.requests.clone().iter().zip(fixes) {
            if want {
                let mut next = i.clone();
                next.fixed.push(Placement { request: r.id.clone(), slot: slot % slots, table });
                if Problem::from_instance(&next).is_ok() {
                    i = next;
                }
            }
        }
        i
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_legal_and_optimal_on_small_instances(i in small_instance()) {
        let plan = solve(&i).unwrap();
        if let Err(e) = check(&i, &plan) {
            prop_assert!(false, "{e}\n{}", serde_json::to_string(&i).unwrap());
        }
        let best = exhaustive(&i);
        prop_assert_eq!((plan.stats.placed, plan.stats.priority), best, "{}", serde_json::to_string(&i).unwrap());
    }
}

fn parse(json: &str) -> Instance {
    serde_json::from_str(json).unwrap()
}

#[test]
fn bad_instances_are_refused_with_a_reason() {
    let base = r#""participants": [{"id": "p1"}, {"id": "p2", "unavailable": [1]}, {"id": "p3", "max_meetings": 1}]"#;
    for (rest, says) in [
        (r#""slots": 0, "tables": 1"#, "slots must be between 1 and"),
        (
            r#""slots": 2, "tables": 1, "participants": [{"id": "p1", "unavailable": [2]}]"#,
            "slots go from 0 to 1",
        ),
        (
            r#""slots": 2, "tables": 1, "participants": [{"id": "p1"}, {"id": "p1"}]"#,
            "listed twice",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 1, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p1"}}]"#
            ),
            "meet themselves",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 1, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p2", "priority": 6}}]"#
            ),
            "priorities go from 1 to 5",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 1, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p2"}}], "fixed": [{{"request": "r9", "slot": 0, "table": 0}}]"#
            ),
            "not in requests",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 1, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p2"}}], "fixed": [{{"request": "r1", "slot": 0, "table": 1}}]"#
            ),
            "slot 0 has 1 tables",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 1, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p2"}}], "fixed": [{{"request": "r1", "slot": 1, "table": 0}}]"#
            ),
            "in which \"p2\" is unavailable",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 2, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p3"}}, {{"id": "r2", "a": "p1", "b": "p2"}}], "fixed": [{{"request": "r1", "slot": 0, "table": 0}}, {{"request": "r2", "slot": 0, "table": 1}}]"#
            ),
            "both have \"p1\" in slot 0",
        ),
        (
            &format!(
                r#""slots": 2, "tables": 2, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p3"}}, {{"id": "r2", "a": "p2", "b": "p3"}}], "fixed": [{{"request": "r1", "slot": 0, "table": 0}}, {{"request": "r2", "slot": 1, "table": 0}}]"#
            ),
            "\"p2\" is unavailable",
        ),
        (
            &format!(
                r#""slots": 3, "tables": 2, {base}, "requests": [{{"id": "r1", "a": "p1", "b": "p3"}}, {{"id": "r2", "a": "p2", "b": "p3"}}], "fixed": [{{"request": "r1", "slot": 0, "table": 0}}, {{"request": "r2", "slot": 2, "table": 0}}]"#
            ),
            "more fixed meetings than their maximum of 1",
        ),
    ] {
        let err = solve(&parse(&format!("{{{rest}}}"))).unwrap_err();
        assert!(err.0.contains(says), "{rest}: {err}");
    }
}

#[test]
fn the_plan_checker_catches_each_broken_rule() {
    let i = parse(
        r#"{"slots": 2, "tables": 2, "participants": [{"id": "a"}, {"id": "b", "unavailable": [1]}, {"id": "c", "max_meetings": 1}],
            "requests": [{"id": "ab", "a": "a", "b": "b"}, {"id": "ac", "a": "a", "b": "c"}, {"id": "bc", "a": "b", "b": "c"}],
            "fixed": [{"request": "ab", "slot": 0, "table": 1}]}"#,
    );
    let plan = solve(&i).unwrap();
    check(&i, &plan).unwrap();
    assert_eq!(plan.stats.placed, 2, "{plan:?}");
    let broken = |f: &dyn Fn(&mut Plan)| {
        let mut p = plan.clone();
        f(&mut p);
        check(&i, &p).unwrap_err()
    };
    // Both meetings of a in one slot, a fixed meeting moved, a table
    // double-booked, a blocked slot used, a false reason, stats off.
    assert!(broken(&|p| p.meetings[1].slot = 0).contains("double-booked"));
    assert!(broken(&|p| p.meetings[0].table = 0).contains("fixed meeting ab moved"));
    assert!(broken(&|p| p.stats.placed = 3).contains("stats"));
    assert!(broken(&|p| p.unplaced[0].reason = Reason::NoTable).contains("not true"));
    assert!(
        broken(&|p| {
            p.meetings.truncate(1);
            p.meetings[0].slot = 1;
        })
        .contains("blocked slot")
    );
}
