#!/usr/bin/env bash
# Benchmark: registrations through musubi's full HTTP path on SQLite
# (POST /api/v1/events/{slug}/registrations under wrk), side by side with the
# same number of raw SQLite transactions writing the same rows with the same
# pragmas (bench/sqlite_reference.py) as the limit. Prints both rates and the
# ratio; the ratio line is last.
#
#   bench/registrations.sh
#   DURATION=2 bench/registrations.sh        # a quick smoke run
#
# Settings: DURATION seconds (10), CONNECTIONS (32), THREADS (2),
# CAPACITY of the event (500; the rest are waitlisted), MUSUBI_PORT (18090).
set -euo pipefail

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
CAPACITY=${CAPACITY:-500}
MUSUBI_PORT=${MUSUBI_PORT:-18090}

cd "$(dirname "$0")/.."
log() { printf '%s\n' "$*" >&2; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

log "building musubi (release)"
cargo build --release --locked -q
musubi="$PWD/target/release/musubi"

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

export MUSUBI_DATABASE_URL="$work/musubi.db"
export MUSUBI_BIND="127.0.0.1:$MUSUBI_PORT"
export MUSUBI_BASE_URL="http://127.0.0.1:$MUSUBI_PORT"
export MUSUBI_LOG=warn
export MUSUBI_RATE_LIMIT_PER_MINUTE=0
# Mail is the worker's business (bench/mail.sh); here only the request path counts.
export MUSUBI_RUN_WORKER=false
echo 'bench-password-123456' | "$musubi" admin create-user --email bench@link-j.example --name Bench >/dev/null
token=$("$musubi" admin create-token --email bench@link-j.example)
"$musubi" serve --demo >"$work/musubi.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fsS "$MUSUBI_BASE_URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

start=$(date -u -d '+30 days' +%Y-%m-%d)
curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"slug\":\"bench-partnering\",\"title_ja\":\"パートナリング・デイ\",\"title_en\":\"Partnering Day\",\"kind\":\"partnering\",\"starts_at\":\"${start}T10:00:00+09:00\",\"ends_at\":\"${start}T18:00:00+09:00\",\"capacity\":$CAPACITY,\"status\":\"published\",\"organizer_slugs\":[\"link-j-west\",\"osaka-pref\"]}" \
  "$MUSUBI_BASE_URL/api/v1/events"

log "musubi: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s POST registrations"
out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/registrations.lua "$MUSUBI_BASE_URL")
if grep -q 'Non-2xx or 3xx' <<<"$out"; then log "$out"; log "some registrations failed"; exit 1; fi
musubi_rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
p99=$(awk '$1=="99%"{print $2}' <<<"$out")
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
count=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM registrations WHERE email_key LIKE '%@bench.example.jp'\").fetchone()[0])" "$work/musubi.db")

log "reference: $count raw SQLite transactions of the same rows"
ref_tps=$(python3 bench/sqlite_reference.py "$work/musubi.db" "$count" bench-partnering)

printf '%-34s %12s %10s\n' "" "per second" "p99"
printf '%-34s %12s %10s\n' "musubi HTTP registrations" "$musubi_rps" "$p99"
printf '%-34s %12s %10s\n' "raw SQLite transactions (Python)" "$ref_tps" "-"
echo "registrations stored: $count; target: ratio >= 0.50"
echo "ratio musubi/raw-sqlite: $(awk -v a="$musubi_rps" -v b="$ref_tps" 'BEGIN{printf "%.2f", a/b}')"
