#!/usr/bin/env bash
# Benchmark: musubi's /calendar.ics against nginx serving the same bytes as a
# static file, in the same run, with wrk. Prints requests per second and p99
# for the full feed (200) and for revalidation (304), then the ratios; the
# ratio line is the last line.
#
#   bench/feeds.sh                      # 1,000 events, 3 rounds of 10 s each
#   EVENTS=50 DURATION=2 ROUNDS=1 bench/feeds.sh   # a quick smoke run
#
# Settings (environment): EVENTS (1000), DURATION seconds per measurement
# (10), CONNECTIONS (64), THREADS (2), ROUNDS (3; the median round counts),
# MUSUBI_PORT (18080), NGINX_PORT (18081).
set -euo pipefail

EVENTS=${EVENTS:-1000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
MUSUBI_PORT=${MUSUBI_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}

cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '%s\n' "$*" >&2; }

# Tools from Debian when missing.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

log "building musubi (release)"
cargo build --release --locked -q
musubi="$root/target/release/musubi"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export MUSUBI_DATABASE_URL="$work/musubi.db"
export MUSUBI_BIND="127.0.0.1:$MUSUBI_PORT"
export MUSUBI_BASE_URL="http://127.0.0.1:$MUSUBI_PORT"
export MUSUBI_LOG=warn
echo 'bench-password-123456' | "$musubi" admin create-user --email bench@link-j.example --name Bench >/dev/null
token=$("$musubi" admin create-token --email bench@link-j.example)
"$musubi" serve --demo >"$work/musubi.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$MUSUBI_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

log "seeding $EVENTS events"
python3 bench/seed_events.py "http://127.0.0.1:$MUSUBI_PORT" "$token" "$EVENTS"

# The same bytes for nginx, and each side's ETag for the 304 runs.
mkdir -p "$work/www"
curl -fsS -D "$work/musubi.headers" -o "$work/www/calendar.ics" "http://127.0.0.1:$MUSUBI_PORT/calendar.ics"
events_in_feed=$(grep -c '^BEGIN:VEVENT' "$work/www/calendar.ics")
bytes=$(wc -c <"$work/www/calendar.ics")
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { text/calendar ics; }
    charset utf-8;
    charset_types text/calendar;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $work/www;
    }
}
CONF
mkdir -p "$work/tmp"
# nginx's workers run as an unprivileged user; they need to read the file.
chmod 755 "$work" "$work/www"; chmod 644 "$work/www/calendar.ics"
"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>/dev/null || "$NGINX" -c "$work/nginx.conf"
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/calendar.ics" 2>/dev/null && break; sleep 0.1; done
cmp -s "$work/www/calendar.ics" <(curl -fsS "http://127.0.0.1:$NGINX_PORT/calendar.ics") || { log "nginx serves other bytes"; exit 1; }

etag_of() { curl -fsS -D - -o /dev/null "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
musubi_url="http://127.0.0.1:$MUSUBI_PORT/calendar.ics"
nginx_url="http://127.0.0.1:$NGINX_PORT/calendar.ics"
musubi_etag=$(etag_of "$musubi_url")
nginx_etag=$(etag_of "$nginx_url")
for pair in "$musubi_url|$musubi_etag" "$nginx_url|$nginx_etag"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${pair#*|}" "${pair%|*}")
    [ "$code" = 304 ] || { log "${pair%|*} answered $code to If-None-Match"; exit 1; }
done

# One wrk run: prints "rps p99_ms", counting non-2xx/3xx answers as failure.
measure() {
    local url=$1; shift
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
    if grep -q 'Non-2xx or 3xx' <<<"$out"; then log "$out"; log "errors from $url"; exit 1; fi
    local rps p99
    rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
    p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$out")
    echo "$rps $p99"
}

log "feed: $events_in_feed events, $bytes bytes; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS round(s)"
# Warm both (musubi renders the feed once per data version).
wrk -t1 -c4 -d1s "$musubi_url" >/dev/null
wrk -t1 -c4 -d1s "$nginx_url" >/dev/null

declare -a full_ratio=() nm_ratio=()
printf '%-5s %-13s %12s %10s %12s %10s %7s\n' round case "musubi req/s" "p99 ms" "nginx req/s" "p99 ms" ratio
for round in $(seq "$ROUNDS"); do
    for case in full 304; do
        if [ "$case" = full ]; then
            m=$(measure "$musubi_url"); n=$(measure "$nginx_url")
        else
            m=$(measure "$musubi_url" -H "If-None-Match: $musubi_etag")
            n=$(measure "$nginx_url" -H "If-None-Match: $nginx_etag")
        fi
        read -r m_rps m_p99 <<<"$m"
        read -r n_rps n_p99 <<<"$n"
        ratio=$(awk -v a="$m_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", a/b}')
        printf '%-5s %-13s %12s %10s %12s %10s %7s\n' "$round" "$case" "$m_rps" "$m_p99" "$n_rps" "$n_p99" "$ratio"
        if [ "$case" = full ]; then full_ratio+=("$ratio"); else nm_ratio+=("$ratio"); fi
    done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "targets: full >= 0.70, 304 >= 0.80 (median of $ROUNDS round(s))"
echo "ratio musubi/nginx: full $(median "${full_ratio[@]}") 304 $(median "${nm_ratio[@]}")"
