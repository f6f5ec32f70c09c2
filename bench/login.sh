#!/usr/bin/env bash
# Benchmark: a flood of parallel wrong sign-ins (POST /admin/login) against
# musubi in release mode, and what it does to the process's memory and to
# page latency. One musubi process, two phases:
#   1. reference: wrk -t1 -c4 on a public event page alone → p99;
#   2. flood: LOGINS connections of wrong sign-ins (bench/login.lua, which
#      counts 401 and 503 answers) and, at the same time, the same page wrk,
#      while VmRSS of musubi is sampled from /proc every 0.5 s.
# Prints peak and final RSS, page p99 idle and under the flood, sign-ins per
# second and their statuses; the ratio line (page p99 flood/idle, PASS/FAIL
# against the targets) is the last line.
#
#   bench/login.sh                          # 128 connections, 30 s per phase
#   DURATION=3 LOGINS=16 bench/login.sh     # a quick smoke run
#
# Settings: DURATION seconds per phase (30), LOGINS flood connections (128),
# LOGIN_THREADS wrk threads of the flood (2), PAGE_CONNECTIONS (4), PAGE path
# (empty: the first event of GET /api/v1/events, else /), MUSUBI_PORT (18092),
# RSS_LIMIT_MB (150), P99_LIMIT_MS (200), MUSUBI_BIN (a built musubi binary;
# empty: cargo build --release, honouring CARGO_TARGET_DIR). MUSUBI_* settings
# of musubi itself (e.g. MUSUBI_PASSWORD_HASHERS) pass through; the lockout is
# turned off (MUSUBI_LOGIN_MAX_FAILURES=0) so every attempt is hashed.
set -euo pipefail

DURATION=${DURATION:-30}
LOGINS=${LOGINS:-128}
LOGIN_THREADS=${LOGIN_THREADS:-2}
PAGE_CONNECTIONS=${PAGE_CONNECTIONS:-4}
PAGE=${PAGE:-}
MUSUBI_PORT=${MUSUBI_PORT:-18092}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-150}
P99_LIMIT_MS=${P99_LIMIT_MS:-200}
MUSUBI_BIN=${MUSUBI_BIN:-}
[ "$LOGIN_THREADS" -gt "$LOGINS" ] && LOGIN_THREADS=$LOGINS

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

if [ -n "$MUSUBI_BIN" ]; then
    musubi=$(realpath "$MUSUBI_BIN")
else
    log "building musubi (release)"
    cargo build --release --locked -q
    musubi=$(realpath "${CARGO_TARGET_DIR:-target}/release/musubi")
fi

work=$(mktemp -d)
pid=""
jobs_started=()
cleanup() {
    touch "$work/stop"
    for j in "${jobs_started[@]}"; do kill "$j" 2>/dev/null || true; done
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export MUSUBI_DATABASE_URL="$work/musubi.db"
export MUSUBI_BIND="127.0.0.1:$MUSUBI_PORT"
export MUSUBI_BASE_URL="http://127.0.0.1:$MUSUBI_PORT"
export MUSUBI_LOG=warn
export MUSUBI_RUN_WORKER=false
export MUSUBI_LOGIN_MAX_FAILURES=0
email=bench@example.org
password='bench-passphrase-for-login-flood'
wrong='not-the-passphrase-at-all'
printf '%s' "$password" | "$musubi" admin create-user --email "$email" --name Bench >/dev/null
"$musubi" serve --demo >"$work/musubi.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fsS "$MUSUBI_BASE_URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS -o /dev/null "$MUSUBI_BASE_URL/healthz" || { log "musubi did not start:"; cat "$work/musubi.log" >&2; exit 1; }

# The page to time: an event page of the demo.
if [ -z "$PAGE" ]; then
    slug=$(curl -fsS "$MUSUBI_BASE_URL/api/v1/events" | python3 -c '
import json, sys
data = json.load(sys.stdin)
items = data if isinstance(data, list) else next((v for v in data.values() if isinstance(v, list)), [])
print(items[0]["slug"] if items else "")')
    PAGE=${slug:+/events/$slug}
    PAGE=${PAGE:-/}
fi
page_url="$MUSUBI_BASE_URL$PAGE"
code=$(curl -s -o /dev/null -w '%{http_code}' "$page_url")
[ "$code" = 200 ] || { log "$page_url answered $code"; exit 1; }

# A CSRF token (the musubi_csrf cookie of the login form), reusable.
token=$(curl -fsS -D - -o /dev/null "$MUSUBI_BASE_URL/admin/login" | tr -d '\r' |
    sed -n 's/^[Ss]et-[Cc]ookie: musubi_csrf=\([^;]*\).*/\1/p' | head -n1)
[ -n "$token" ] || { log "no musubi_csrf cookie from /admin/login"; exit 1; }
login_once() {
    curl -s -o /dev/null -w '%{http_code}' -b "musubi_csrf=$token" \
        --data-urlencode "csrf_token=$token" --data-urlencode "email=$email" \
        --data-urlencode "password=$1" --data-urlencode "next=/admin" "$MUSUBI_BASE_URL/admin/login"
}
code=$(login_once "$wrong"); [ "$code" = 401 ] || { log "a wrong sign-in answered $code, not 401"; exit 1; }
code=$(login_once "$password"); [ "$code" = 303 ] || { log "the right sign-in answered $code, not 303"; exit 1; }

# "<value> <unit>" of wrk into milliseconds.
ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /m$/) {sub(/m$/,"",v); v*=60000} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v }'; }
p99_of() { ms "$(awk '$1=="99%"{print $2}' "$1")"; }
errors_of() {  # non-2xx/3xx answers plus socket errors (timeouts included)
    awk '/Non-2xx or 3xx responses:/{n+=$NF}
         /Socket errors:/{for (i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) {x=$i; sub(/,/,"",x); n+=x}}
         END{print n+0}' "$1"
}
page_wrk() { wrk -t1 -c"$PAGE_CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$page_url"; }
status_kb() { awk -v k="$1:" '$1==k{print $2}' "/proc/$pid/status"; }
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

log "page $PAGE; reference: wrk -t1 -c$PAGE_CONNECTIONS -d${DURATION}s"
wrk -t1 -c"$PAGE_CONNECTIONS" -d1s "$page_url" >/dev/null   # warm-up
page_wrk >"$work/page-idle.out"
idle_p99=$(p99_of "$work/page-idle.out")
idle_errors=$(errors_of "$work/page-idle.out")
idle_rss=$(status_kb VmRSS)

# Peak RSS from here on: reset VmHWM (clear_refs 5) when the kernel lets us.
if echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then hwm_note="since the flood began"; else hwm_note="whole process"; fi

# RSS sampler, every 0.5 s until told to stop or DURATION + 20 s have passed.
sampler() {
    local start=$EPOCHREALTIME deadline=$((SECONDS + DURATION + 20)) k v _
    while [ ! -e "$work/stop" ] && [ "$SECONDS" -lt "$deadline" ] && [ -r "/proc/$pid/status" ]; do
        while read -r k v _; do
            [ "$k" = VmRSS: ] && { awk -v a="$start" -v b="$EPOCHREALTIME" -v v="$v" 'BEGIN{printf "%.1f %d\n", b-a, v}'; break; }
        done <"/proc/$pid/status"
        sleep 0.5
    done
}
sampler >"$work/rss" &
sampler_pid=$!; jobs_started+=("$sampler_pid")

log "flood: wrk -t$LOGIN_THREADS -c$LOGINS -d${DURATION}s wrong sign-ins, page wrk -t1 -c$PAGE_CONNECTIONS beside it"
wrk -t"$LOGIN_THREADS" -c"$LOGINS" -d"${DURATION}s" --timeout 10s --latency -s bench/login.lua \
    "$MUSUBI_BASE_URL" -- "$token" "$email" "$wrong" >"$work/flood.out" &
flood_pid=$!; jobs_started+=("$flood_pid")
page_wrk >"$work/page-flood.out" &
page_pid=$!; jobs_started+=("$page_pid")
wait "$flood_pid" || { log "the flood's wrk failed"; cat "$work/flood.out" >&2; exit 1; }
wait "$page_pid" || { log "the page's wrk failed"; cat "$work/page-flood.out" >&2; exit 1; }
end_rss=$(status_kb VmRSS)
hwm=$(status_kb VmHWM)
sleep 2
settled_rss=$(status_kb VmRSS)
touch "$work/stop"; wait "$sampler_pid" 2>/dev/null || true
kill -0 "$pid" 2>/dev/null || { log "musubi died during the flood:"; tail -n 20 "$work/musubi.log" >&2; exit 1; }

flood_p99=$(p99_of "$work/page-flood.out")
flood_errors=$(errors_of "$work/page-flood.out")
read -r n401 n503 n429 nother < <(sed -n 's/^statuses 401=\([0-9]*\) 503=\([0-9]*\) 429=\([0-9]*\) other=\([0-9]*\)$/\1 \2 \3 \4/p' "$work/flood.out") || true
[ -n "${n401:-}" ] || { log "no status counts from bench/login.lua:"; cat "$work/flood.out" >&2; exit 1; }
login_rps=$(awk '/^Requests\/sec:/{print $2}' "$work/flood.out")
login_p99=$(p99_of "$work/flood.out")
login_socket=$(awk '/Socket errors:/{sub(/^ *Socket errors: */,""); print}' "$work/flood.out")
hashed_per_s=$(awk -v n="$n401" -v d="$DURATION" 'BEGIN{printf "%.1f", n/d}')
sampled_peak=$(awk 'BEGIN{m=0} $2>m{m=$2} END{print m}' "$work/rss")
peak=$(( hwm > sampled_peak ? hwm : sampled_peak ))
curve=$(awk '{s=int($1); if (!(s in m) || $2>m[s]) m[s]=$2; if (s>last) last=s}
             END{for (i=0;i<=last;i++) if (i in m) printf "%s%.0f", (i?" ":""), m[i]/1024; print ""}' "$work/rss")

printf '%-44s %s\n' "page" "$PAGE"
printf '%-44s %s\n' "RSS before the flood (MB)" "$(mb "$idle_rss")"
printf '%-44s %s\n' "peak RSS, VmHWM $hwm_note (MB)" "$(mb "$hwm")"
printf '%-44s %s\n' "peak RSS, sampled every 0.5 s (MB)" "$(mb "$sampled_peak")"
printf '%-44s %s\n' "RSS at the end of the flood (MB)" "$(mb "$end_rss")"
printf '%-44s %s\n' "RSS 2 s after the flood (MB)" "$(mb "$settled_rss")"
printf '%-44s %s\n' "RSS per second from the flood's start (MB)" "$curve"
printf '%-44s %s\n' "page p99 without flood (ms)" "$idle_p99 ($idle_errors errors)"
printf '%-44s %s\n' "page p99 during flood (ms)" "$flood_p99 ($flood_errors errors)"
printf '%-44s %s\n' "page req/s without / during flood" "$(awk '/^Requests\/sec:/{print $2}' "$work/page-idle.out") / $(awk '/^Requests\/sec:/{print $2}' "$work/page-flood.out")"
printf '%-44s %s\n' "sign-in answers per second (all statuses)" "$login_rps (p99 $login_p99 ms)"
printf '%-44s %s\n' "wrong sign-ins hashed per second (401)" "$hashed_per_s"
printf '%-44s %s\n' "sign-in answers 401 / 503 / 429 / other" "$n401 / $n503 / $n429 / $nother"
[ -n "$login_socket" ] && printf '%-44s %s\n' "sign-in socket errors" "$login_socket"

verdict=PASS; why=()
awk -v p="$peak" -v l="$RSS_LIMIT_MB" 'BEGIN{exit !(p/1024 < l)}' || { verdict=FAIL; why+=("RSS"); }
awk -v p="$flood_p99" -v l="$P99_LIMIT_MS" 'BEGIN{exit !(p < l)}' || { verdict=FAIL; why+=("p99"); }
[ "$flood_errors" -eq 0 ] || { verdict=FAIL; why+=("page errors"); }
[ "$((n429 + nother))" -eq 0 ] || { verdict=FAIL; why+=("sign-in answers other than 401/503"); }
[ ${#why[@]} -gt 0 ] && verdict="FAIL: ${why[*]}"
ratio=$(awk -v a="$flood_p99" -v b="$idle_p99" 'BEGIN{printf "%.2f", (b > 0 ? a/b : 0)}')
echo "targets: page p99 < $P99_LIMIT_MS ms and peak RSS < $RSS_LIMIT_MB MB during $LOGINS parallel wrong sign-ins for ${DURATION} s"
echo "ratio page p99 flood/idle: $ratio (p99 $flood_p99 ms < $P99_LIMIT_MS ms, peak RSS $(mb "$peak") MB < $RSS_LIMIT_MB MB: $verdict)"
