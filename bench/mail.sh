#!/usr/bin/env bash
# Benchmark: musubi's mail worker sending MESSAGES messages (confirmation
# invites with HTML and iCalendar parts) to postfix's smtp-sink, side by side
# with postfix's smtp-source sending as many messages of the same size into
# the same sink with the same number of sessions. Prints both rates and the
# ratio; the ratio line is last.
#
#   bench/mail.sh
#   MESSAGES=500 bench/mail.sh          # a quick smoke run
#
# Settings: MESSAGES (10000), SESSIONS (8; musubi's MUSUBI_MAIL_CONCURRENCY
# and smtp-source -s), SINK_PORT (2526), MUSUBI_PORT (18091).
set -euo pipefail

MESSAGES=${MESSAGES:-10000}
SESSIONS=${SESSIONS:-8}
SINK_PORT=${SINK_PORT:-2526}
MUSUBI_PORT=${MUSUBI_PORT:-18091}

cd "$(dirname "$0")/.."
log() { printf '%s\n' "$*" >&2; }

missing=()
[ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian (for smtp-sink and smtp-source)"
    sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq >&2
    echo "postfix postfix/main_mailer_type select No configuration" | "${sudo_cmd[@]}" debconf-set-selections
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

log "building musubi (release)"
cargo build --release --locked -q
musubi="$PWD/target/release/musubi"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

sink_user=nobody
/usr/sbin/smtp-sink -u "$sink_user" -c "127.0.0.1:$SINK_PORT" 1024 >"$work/sink.log" 2>&1 &
pids+=($!)

export MUSUBI_DATABASE_URL="$work/musubi.db"
export MUSUBI_BIND="127.0.0.1:$MUSUBI_PORT"
export MUSUBI_BASE_URL="http://127.0.0.1:$MUSUBI_PORT"
export MUSUBI_LOG=warn
export MUSUBI_RATE_LIMIT_PER_MINUTE=0
export MUSUBI_RUN_WORKER=false
export MUSUBI_MAIL_DIR="$work/mail"
echo 'bench-password-123456' | "$musubi" admin create-user --email bench@link-j.example --name Bench >/dev/null
token=$("$musubi" admin create-token --email bench@link-j.example)
"$musubi" serve --demo >"$work/musubi.log" 2>&1 &
serve=$!
pids+=($serve)
for _ in $(seq 100); do curl -fsS "$MUSUBI_BASE_URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date -u -d '+60 days' +%Y-%m-%d)
curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"slug\":\"bench-partnering\",\"title_ja\":\"パートナリング・デイ\",\"title_en\":\"Partnering Day\",\"kind\":\"partnering\",\"starts_at\":\"${start}T10:00:00+09:00\",\"ends_at\":\"${start}T18:00:00+09:00\",\"status\":\"published\",\"organizer_slugs\":[\"link-j-west\",\"osaka-pref\"]}" \
  "$MUSUBI_BASE_URL/api/v1/events"

# One message written to a file first, for its size (smtp-source sends the same).
python3 bench/seed_guests.py "$MUSUBI_BASE_URL" bench-partnering 1 sample
MUSUBI_SMTP_URL="" "$musubi" worker --once >/dev/null
size=$(stat -c %s "$work"/mail/*.eml | head -1)

log "queueing $MESSAGES messages (registrations through the API)"
python3 bench/seed_guests.py "$MUSUBI_BASE_URL" bench-partnering "$MESSAGES" guest
kill "$serve"; wait "$serve" 2>/dev/null || true

log "musubi worker: $MESSAGES messages, $SESSIONS at a time"
t0=$(date +%s.%N)
out=$(MUSUBI_SMTP_URL="smtp://127.0.0.1:$SINK_PORT" MUSUBI_MAIL_CONCURRENCY="$SESSIONS" "$musubi" worker --once)
t1=$(date +%s.%N)
sent=$(awk '{print $2}' <<<"$out" | tr -d ,)
[ "$sent" = "$MESSAGES" ] || { log "musubi sent $sent of $MESSAGES: $out"; exit 1; }
musubi_rate=$(awk -v n="$MESSAGES" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", n/(b-a)}')

log "smtp-source: $MESSAGES messages of $size bytes, $SESSIONS sessions"
t0=$(date +%s.%N)
/usr/sbin/smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$size" -f bench@link-j.example -t guest@bench.example.jp "127.0.0.1:$SINK_PORT"
t1=$(date +%s.%N)
source_rate=$(awk -v n="$MESSAGES" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", n/(b-a)}')

printf '%-40s %12s\n' "" "messages/s"
printf '%-40s %12s\n' "musubi worker (render + SMTP)" "$musubi_rate"
printf '%-40s %12s\n' "postfix smtp-source ($size-byte messages)" "$source_rate"
echo "target: ratio >= 0.50"
echo "ratio musubi/smtp-source: $(awk -v a="$musubi_rate" -v b="$source_rate" 'BEGIN{printf "%.2f", a/b}')"
