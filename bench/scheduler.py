#!/usr/bin/env python3
"""musubi's partnering scheduler side by side with OR-Tools CP-SAT.

Generates the instances of issue 12 with a fixed seed, runs
`musubi partnering solve` and CP-SAT (2 workers, 120 s) on each, checks
musubi's plan, and prints both counts, both times and the two ratios;
the last line is the worst ratios. See README, "Benchmarks".
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from ortools.sat.python import cp_model

INSTANCES = [
    # name, participants, requests, slots, tables, blocked share, priorities 1-5
    ("tables bind", 400, 4000, 16, 60, 0.20, False),
    ("availability binds", 400, 3000, 16, 400, 0.30, True),
    ("large", 2000, 20000, 24, 300, 0.20, False),
]
SMOKE = [
    ("smoke tables", 40, 200, 6, 5, 0.20, False),
    ("smoke availability", 40, 150, 6, 40, 0.30, True),
]


def generate(seed, people, requests, slots, tables, blocked, priorities):
    rng = random.Random(seed)
    participants = [
        {"id": f"p{p}", "unavailable": [s for s in range(slots) if rng.random() < blocked]}
        for p in range(people)
    ]
    pairs = set()
    while len(pairs) < requests:
        a, b = rng.randrange(people), rng.randrange(people)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    pairs = sorted(pairs)
    rng.shuffle(pairs)
    reqs = [
        {"id": f"r{n}", "a": f"p{a}", "b": f"p{b}", "priority": rng.randint(1, 5) if priorities else 3}
        for n, (a, b) in enumerate(pairs)
    ]
    return {"slots": slots, "tables": tables, "participants": participants, "requests": reqs, "fixed": []}


def tables_of(inst):
    t = inst["tables"]
    return t if isinstance(t, list) else [t] * inst["slots"]


def check(inst, plan):
    """Independent check of a plan; raises on any broken rule."""
    caps = tables_of(inst)
    people = {p["id"]: p for p in inst["participants"]}
    reqs = {r["id"]: r for r in inst["requests"]}
    busy, tables, count, seen = set(), set(), {}, set()
    for m in plan["meetings"]:
        r = reqs[m["request"]]
        assert m["request"] not in seen, "placed twice"
        seen.add(m["request"])
        assert 0 <= m["table"] < caps[m["slot"]], "table out of range"
        assert (m["slot"], m["table"]) not in tables, "table double-booked"
        tables.add((m["slot"], m["table"]))
        for p in (r["a"], r["b"]):
            assert (p, m["slot"]) not in busy, "participant double-booked"
            assert m["slot"] not in people[p]["unavailable"], "blocked slot used"
            busy.add((p, m["slot"]))
            count[p] = count.get(p, 0) + 1
    for p, n in count.items():
        mx = people[p].get("max_meetings")
        assert mx is None or n <= mx, "maximum exceeded"
    assert len(seen) + len(plan["unplaced"]) == len(inst["requests"]), "requests lost"
    return len(plan["meetings"]), sum(reqs[m["request"]]["priority"] for m in plan["meetings"])


def run_musubi(binary, inst):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(inst, f)
    t0 = time.perf_counter()
    try:
        out = subprocess.run([binary, "partnering", "solve", "--input", f.name], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    finally:
        os.unlink(f.name)
    plan = json.loads(out.stdout)
    placed, prio = check(inst, plan)
    return placed, prio, wall


def run_cpsat(inst, seconds):
    people = {p["id"]: set(p["unavailable"]) for p in inst["participants"]}
    caps = tables_of(inst)
    model = cp_model.CpModel()
    by_ps, by_slot, terms = {}, {s: [] for s in range(inst["slots"])}, []
    weight = 5 * len(inst["requests"]) + 1  # count first, then priority
    for r in inst["requests"]:
        xs = []
        for s in range(inst["slots"]):
            if s in people[r["a"]] or s in people[r["b"]]:
                continue
            x = model.NewBoolVar("")
            xs.append(x)
            by_slot[s].append(x)
            for p in (r["a"], r["b"]):
                by_ps.setdefault((p, s), []).append(x)
            terms.append((weight + r["priority"], x))
        if xs:
            model.AddAtMostOne(xs)
    for xs in by_ps.values():
        model.AddAtMostOne(xs)
    for s, xs in by_slot.items():
        model.Add(sum(xs) <= caps[s])
    model.Maximize(sum(w * x for w, x in terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = seconds
    status = solver.Solve(model)
    placed = sum(1 for _, x in terms if solver.Value(x))
    prio = sum(w - weight for w, x in terms if solver.Value(x))
    return placed, prio, solver.WallTime(), solver.StatusName(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--musubi", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    rows = []
    for n, (name, people, requests, slots, tables, blocked, prios) in enumerate(SMOKE if args.smoke else INSTANCES):
        inst = generate(args.seed + n, people, requests, slots, tables, blocked, prios)
        m_placed, m_prio, m_time = run_musubi(args.musubi, inst)
        c_placed, c_prio, c_time, status = run_cpsat(inst, args.seconds)
        meet = m_placed / c_placed if c_placed else 1.0
        speed = c_time / m_time
        rows.append((meet, speed))
        print(
            f"{name:20} musubi {m_placed:6} meetings (priority {m_prio}) in {m_time:8.3f} s | "
            f"CP-SAT {c_placed:6} meetings (priority {c_prio}, {status}) in {c_time:8.3f} s | "
            f"meetings musubi/CP-SAT {meet:.4f} | time CP-SAT/musubi {speed:.1f}",
            flush=True,
        )
    print(f"worst ratios: meetings musubi/CP-SAT {min(r[0] for r in rows):.4f} (target >= 0.99), "
          f"time CP-SAT/musubi {min(r[1] for r in rows):.1f} (target >= 20)")


if __name__ == "__main__":
    sys.exit(main())
