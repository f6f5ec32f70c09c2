#!/usr/bin/env bash
# Benchmark: musubi's partnering scheduler against Google OR-Tools CP-SAT
# (2 workers, 120 s) on the same seeded instances, side by side. Prints per
# instance both meeting counts, both times and the two ratios; the last
# line is the worst ratios (targets: meetings >= 0.99, time >= 20).
#
#   bench/scheduler.sh                 # the 3 instances of issue 12, ~4 min
#   SMOKE=1 SECONDS_LIMIT=5 bench/scheduler.sh   # 2 tiny instances, ~15 s
#
# CP-SAT comes from PyPI (ortools) into target/bench-venv; musubi's time is
# the wall time of the whole `musubi partnering solve` process (start,
# JSON in and out), CP-SAT's is its solve time only (no model building).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/bench-venv
if ! "$venv/bin/python" -c 'import ortools' 2>/dev/null; then
    echo "installing ortools into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'ortools>=9.10,<10' >&2
fi
cargo build --release --locked -q
args=(--musubi target/release/musubi --seconds "${SECONDS_LIMIT:-120}")
[ -n "${SMOKE:-}" ] && args+=(--smoke)
exec "$venv/bin/python" bench/scheduler.py "${args[@]}"
